// Package tclient dials Temporal the way the temporal CLI does: the
// profile file and TEMPORAL_* environment variables of the SDK's envconfig
// (so a user's `temporal` setup works unchanged), with explicit flags
// overriding them. Shared by the worker and the plannerbench CLI.
package tclient

import (
	"context"
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
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"
)

// Defaults when neither a flag, the environment nor a profile says.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Options are the connection flags; an empty field leaves the profile's or
// environment's value.
type Options struct {
	Address       string
	Namespace     string
	APIKey        string
	TLSCertPath   string
	TLSKeyPath    string
	TLSCAPath     string
	TLSServerName string
	TLS           bool
	// Profile and ConfigFile select the envconfig profile (defaults:
	// $TEMPORAL_PROFILE or "default", $TEMPORAL_CONFIG_FILE or the user's
	// temporal.toml).
	Profile    string
	ConfigFile string
}

// Register adds the flags.
func (o *Options) Register(fs *pflag.FlagSet) {
	fs.StringVar(&o.Address, "address", "", "Temporal frontend address (default $TEMPORAL_ADDRESS, the profile's, or "+DefaultAddress+")")
	fs.StringVarP(&o.Namespace, "namespace", "n", "", "Temporal namespace (default $TEMPORAL_NAMESPACE, the profile's, or "+DefaultNamespace+")")
	fs.StringVar(&o.APIKey, "api-key", "", "API key (default $TEMPORAL_API_KEY or the profile's)")
	fs.StringVar(&o.TLSCertPath, "tls-cert-path", "", "client certificate for mTLS ($TEMPORAL_TLS_CLIENT_CERT_PATH)")
	fs.StringVar(&o.TLSKeyPath, "tls-key-path", "", "client key for mTLS ($TEMPORAL_TLS_CLIENT_KEY_PATH)")
	fs.StringVar(&o.TLSCAPath, "tls-ca-path", "", "server CA certificate ($TEMPORAL_TLS_SERVER_CA_CERT_PATH)")
	fs.StringVar(&o.TLSServerName, "tls-server-name", "", "server name to verify ($TEMPORAL_TLS_SERVER_NAME)")
	fs.BoolVar(&o.TLS, "tls", false, "use TLS ($TEMPORAL_TLS)")
	fs.StringVar(&o.Profile, "profile", "", "profile of the temporal CLI's config file ($TEMPORAL_PROFILE)")
	fs.StringVar(&o.ConfigFile, "config-file", "", "the temporal CLI's config file ($TEMPORAL_CONFIG_FILE)")
}

// Resolve loads the envconfig profile, applies the flags over it and the
// defaults under it, and fills o's Address and Namespace with the values in
// force (for messages and links).
func (o *Options) Resolve() (client.Options, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		ConfigFilePath: o.ConfigFile, ConfigFileProfile: o.Profile,
	})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client profile: %w", err)
	}
	override := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	override(&prof.Address, o.Address)
	override(&prof.Namespace, o.Namespace)
	override(&prof.APIKey, o.APIKey)
	if prof.Address == "" {
		prof.Address = DefaultAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultNamespace
	}
	if o.TLS || o.TLSCertPath != "" || o.TLSKeyPath != "" || o.TLSCAPath != "" || o.TLSServerName != "" {
		if prof.TLS == nil {
			prof.TLS = &envconfig.ClientConfigTLS{}
		}
		t := prof.TLS
		t.Disabled = false
		if o.TLSCertPath != "" || o.TLSKeyPath != "" {
			t.ClientCertPath, t.ClientKeyPath, t.ClientCertData, t.ClientKeyData = o.TLSCertPath, o.TLSKeyPath, nil, nil
		}
		if o.TLSCAPath != "" {
			t.ServerCACertPath, t.ServerCACertData = o.TLSCAPath, nil
		}
		override(&t.ServerName, o.TLSServerName)
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client (%s, namespace %s): %w", prof.Address, prof.Namespace, err)
	}
	o.Address, o.Namespace = prof.Address, prof.Namespace
	return opts, nil
}

// Dial connects to Temporal.
func Dial(ctx context.Context, o *Options, logger *slog.Logger) (client.Client, error) {
	opts, err := o.Resolve()
	if err != nil {
		return nil, err
	}
	if logger != nil {
		opts.Logger = log.NewStructuredLogger(logger)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s)%s: %w", o.Address, o.Namespace, tlsHint(err, o), err)
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
	if o.Address == "" {
		_, _ = o.Resolve() // an unreadable profile leaves the defaults
	}
	if o.Address == "" {
		o.Address = DefaultAddress
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

// tlsHint names the likely cause of a failed TLS handshake, which gRPC
// reports deep inside its error text.
func tlsHint(err error, o *Options) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "x509: certificate signed by unknown authority"), strings.Contains(msg, "certificate is not trusted"):
		ca := o.TLSCAPath
		if ca == "" {
			ca = "the system's roots (set --tls-ca-path)"
		}
		return ": TLS: the server's certificate is not signed by the CA in " + ca
	case strings.Contains(msg, "x509: certificate is valid for"):
		return ": TLS: the server's certificate is for another name (set --tls-server-name)"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return ": TLS: the server does not speak TLS (drop --tls)"
	}
	return ""
}
