package tclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func clearEnv(t *testing.T) {
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_TLS",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_NAME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
}

func TestDefaultsWithoutProfileOrEnvironment(t *testing.T) {
	clearEnv(t)
	var o Options
	opts, err := o.Resolve()
	require.NoError(t, err)
	require.Equal(t, DefaultAddress, opts.HostPort)
	require.Equal(t, DefaultNamespace, opts.Namespace)
	require.Nil(t, opts.ConnectionOptions.TLS)
}

// A user's temporal CLI profile works unchanged; the environment overrides
// the file, and flags override both.
func TestProfileEnvironmentThenFlags(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.default]
address = "file-host:7233"
namespace = "from-file"

[profile.cloud]
address = "cloud-host:7233"
namespace = "team.a1b2c"
api_key = "key-from-file"
`), 0o600))
	t.Setenv("TEMPORAL_CONFIG_FILE", file)

	var o Options
	opts, err := o.Resolve()
	require.NoError(t, err)
	require.Equal(t, "file-host:7233", opts.HostPort)
	require.Equal(t, "from-file", opts.Namespace)

	t.Setenv("TEMPORAL_NAMESPACE", "from-env")
	o = Options{}
	opts, err = o.Resolve()
	require.NoError(t, err)
	require.Equal(t, "from-env", opts.Namespace)
	require.Equal(t, "from-env", o.Namespace, "Resolve fills the values in force")

	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	o = Options{}
	o.Register(fs)
	require.NoError(t, fs.Parse([]string{"--profile", "cloud", "--address", "flag-host:7233"}))
	opts, err = o.Resolve()
	require.NoError(t, err)
	require.Equal(t, "flag-host:7233", opts.HostPort)
	require.Equal(t, "from-env", opts.Namespace)
	require.NotNil(t, opts.Credentials, "the profile's API key")
	require.NotNil(t, opts.ConnectionOptions.TLS, "an API key turns TLS on, as the temporal CLI does")

	o = Options{Profile: "missing"}
	_, err = o.Resolve()
	require.Error(t, err, "a named profile that does not exist is an error")
}

func TestTLSFlagsOverProfile(t *testing.T) {
	clearEnv(t)
	o := Options{TLSCAPath: filepath.Join(t.TempDir(), "missing-ca.pem")}
	_, err := o.Resolve()
	require.Error(t, err)
	require.Contains(t, err.Error(), "CA")
}

// A Temporal endpoint whose certificate the configured CA did not sign:
// the dial fails at once with an error that says so and names the CA file.
func TestWrongCAIsAClearError(t *testing.T) {
	// A TLS endpoint (HTTP/2, as gRPC needs) with its own certificate.
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	// Another CA, written where --tls-ca-path points.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the server's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	caPath := filepath.Join(t.TempDir(), "wrong-ca.pem")
	require.NoError(t, os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))

	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	o := &Options{Address: strings.TrimPrefix(srv.URL, "https://"), Namespace: "default", TLSCAPath: caPath, TLSServerName: "example.com"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = Dial(ctx, o, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "TLS: the server's certificate is not signed by the CA in "+caPath)
}
