package tclient

import (
	"os"
	"path/filepath"
	"testing"

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
