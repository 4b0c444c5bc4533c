// Package connect dials Temporal with the flags and environment variables
// the temporal CLI uses, shared by the worker and the plannerbench CLI.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	operatorpb "go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// Options are the connection settings.
type Options struct {
	Address       string
	Namespace     string
	APIKey        string
	TLSCertPath   string
	TLSKeyPath    string
	TLSCAPath     string
	TLSServerName string
	TLS           bool
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Register adds the flags, defaulting to the environment as the temporal CLI does.
func (o *Options) Register(fs *pflag.FlagSet) {
	fs.StringVar(&o.Address, "address", env("TEMPORAL_ADDRESS", "localhost:7233"), "Temporal frontend address ($TEMPORAL_ADDRESS)")
	fs.StringVarP(&o.Namespace, "namespace", "n", env("TEMPORAL_NAMESPACE", "default"), "Temporal namespace ($TEMPORAL_NAMESPACE)")
	fs.StringVar(&o.APIKey, "api-key", "", "API key ($TEMPORAL_API_KEY)")
	fs.StringVar(&o.TLSCertPath, "tls-cert-path", env("TEMPORAL_TLS_CERT", ""), "client certificate for mTLS ($TEMPORAL_TLS_CERT)")
	fs.StringVar(&o.TLSKeyPath, "tls-key-path", env("TEMPORAL_TLS_KEY", ""), "client key for mTLS ($TEMPORAL_TLS_KEY)")
	fs.StringVar(&o.TLSCAPath, "tls-ca-path", env("TEMPORAL_TLS_CA", ""), "server CA certificate ($TEMPORAL_TLS_CA)")
	fs.StringVar(&o.TLSServerName, "tls-server-name", env("TEMPORAL_TLS_SERVER_NAME", ""), "server name to verify ($TEMPORAL_TLS_SERVER_NAME)")
	fs.BoolVar(&o.TLS, "tls", os.Getenv("TEMPORAL_TLS") == "true", "use TLS without client certificates ($TEMPORAL_TLS)")
}

// Dial connects to Temporal.
func Dial(ctx context.Context, o Options, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{HostPort: o.Address, Namespace: o.Namespace}
	if logger != nil {
		opts.Logger = log.NewStructuredLogger(logger)
	}
	apiKey := o.APIKey
	if apiKey == "" {
		apiKey = os.Getenv("TEMPORAL_API_KEY")
	}
	if apiKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
	}
	if o.TLS || o.TLSCertPath != "" || o.TLSCAPath != "" || apiKey != "" {
		cfg := &tls.Config{ServerName: o.TLSServerName, MinVersion: tls.VersionTLS12}
		if o.TLSCertPath != "" || o.TLSKeyPath != "" {
			cert, err := tls.LoadX509KeyPair(o.TLSCertPath, o.TLSKeyPath)
			if err != nil {
				return nil, fmt.Errorf("--tls-cert-path/--tls-key-path: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if o.TLSCAPath != "" {
			pem, err := os.ReadFile(o.TLSCAPath)
			if err != nil {
				return nil, fmt.Errorf("--tls-ca-path: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--tls-ca-path %s: no certificate found", o.TLSCAPath)
			}
			cfg.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = cfg
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", o.Address, o.Namespace, err)
	}
	return c, nil
}

// EnsureSearchAttributes registers the keyword search attributes the
// namespace lacks. Registering an existing one is not an error.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, names []string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorpb.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, n := range names {
		if _, ok := have.GetCustomAttributes()[n]; !ok {
			missing[n] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorpb.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) && !strings.Contains(err.Error(), "already") {
		return fmt.Errorf("register search attributes: %w", err)
	}
	return nil
}

// UIURL guesses the web UI's address from the frontend's (the dev server
// serves it on the frontend port + 1000), unless PLANNERBENCH_UI_URL says.
func UIURL(o Options) string {
	if u := os.Getenv("PLANNERBENCH_UI_URL"); u != "" {
		return strings.TrimSuffix(u, "/")
	}
	host, port, ok := strings.Cut(o.Address, ":")
	if !ok {
		return "http://" + o.Address
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil {
		return "http://" + host
	}
	return fmt.Sprintf("http://%s:%d", host, p+1000)
}
