package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// providerMeta is what resources and data sources receive from Configure.
type providerMeta struct {
	client *glance.Client
	// projectID is the project the token is scoped to; empty with token + endpoint auth.
	projectID string
	region    string
	// configUnknown is set when the provider configuration depends on values known only at
	// apply: plan-time checks that need the API are skipped.
	configUnknown bool
	// planned is what glance_image plans tell glance_image_member plans.
	planned plannedImages
}

// connect authenticates (unless token + endpoint make it unnecessary), picks the image
// endpoint and builds the one Glance client every resource shares.
func connect(ctx context.Context, s settings, version string) (*providerMeta, error) {
	tlsConfig, err := buildTLS(s)
	if err != nil {
		return nil, err
	}
	httpClient := newHTTPClient(tlsConfig)
	meta := &providerMeta{region: s.region}
	var auth glance.Auth
	endpoint := s.endpoint
	if s.auth.TokenID != "" && endpoint != "" {
		auth = staticToken(s.auth.TokenID)
		tflog.Info(ctx, "Using token and endpoint; no Keystone call")
	} else {
		ka, err := authenticate(ctx, s.auth, httpClient, version)
		if err != nil {
			return nil, err
		}
		auth = ka
		meta.projectID = ka.projectID()
		if endpoint == "" {
			endpoint, err = catalogEndpoint(ka.ProviderClient, s.region, s.endpointInterface)
			if err != nil {
				return nil, err
			}
		}
	}
	tflog.Info(ctx, "Image service endpoint", map[string]any{"endpoint": endpoint, "region": s.region})
	client, err := glance.New(endpoint, auth, glance.Options{
		HTTPClient: httpClient,
		MaxRetries: s.maxRetries,
		Logger:     tflogLogger{},
		UserAgent:  version,
	})
	if err != nil {
		return nil, err
	}
	meta.client = client
	return meta, nil
}

// newHTTPClient is the one HTTP client Keystone and Glance calls share.
func newHTTPClient(tlsConfig *tls.Config) *http.Client {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		base = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	transport := base.Clone()
	transport.TLSClientConfig = tlsConfig
	transport.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.MaxIdleConnsPerHost = 64 // Terraform runs 10 operations at once; keep their connections
	transport.ForceAttemptHTTP2 = true
	transport.ResponseHeaderTimeout = responseTimeout()
	return &http.Client{Transport: transport}
}

// authenticate gets a Keystone token with the resolved options.
func authenticate(ctx context.Context, opts gophercloud.AuthOptions, httpClient *http.Client, version string) (*keystoneAuth, error) {
	pc, err := openstack.NewClient(opts.IdentityEndpoint)
	if err != nil {
		return nil, fmt.Errorf("invalid auth_url %q: %w", opts.IdentityEndpoint, err)
	}
	pc.HTTPClient = *httpClient
	pc.UserAgent.Prepend("terraform-provider-glance/" + version)
	if err := openstack.Authenticate(ctx, pc, opts); err != nil {
		return nil, keystoneError(opts.IdentityEndpoint, err)
	}
	return &keystoneAuth{ProviderClient: pc}, nil
}

// keystoneError explains a failed authentication by its cause: a Keystone that could not be
// reached (glance.ClassifyConnection), credentials refused (401, the only case that blames
// them), or another answer from Keystone.
func keystoneError(authURL string, err error) error {
	if ce := glance.NewConnectionError("Keystone", "authenticating at", authURL, "auth_url (OS_AUTH_URL)", err); ce != nil {
		return ce
	}
	u := glance.RedactURL(authURL)
	switch {
	case gophercloud.ResponseCodeIs(err, http.StatusUnauthorized):
		return fmt.Errorf("authenticating with Keystone at %s failed: %w. Check the credentials (OS_USERNAME/OS_PASSWORD, application credential or token) and the project scope", u, err)
	case gophercloud.ResponseCodeIs(err, http.StatusNotFound):
		return fmt.Errorf("authenticating with Keystone at %s failed: %w. The URL answers but is not Keystone's v3 API: auth_url (OS_AUTH_URL) usually ends in /v3", u, err)
	}
	return fmt.Errorf("authenticating with Keystone at %s failed: %w", u, err)
}

// responseTimeout bounds the wait for the headers of an answer from Keystone or Glance, after
// the request (with any upload body) was sent: a server that accepts a connection and never
// answers fails instead of hanging. GLANCE_RESPONSE_TIMEOUT (a Go duration) overrides it.
func responseTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("GLANCE_RESPONSE_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return defaultResponseTimeout
}

// defaultResponseTimeout is long enough for a store that finishes writing an upload before
// Glance answers, short enough that a hung server ends a run.
const defaultResponseTimeout = 5 * time.Minute

// catalogEndpoint picks the image endpoint: the named interface, or admin when the catalog
// has one (PCD routes uploads through it to the shared store), else public.
func catalogEndpoint(pc *gophercloud.ProviderClient, region, iface string) (string, error) {
	try := []gophercloud.Availability{gophercloud.AvailabilityAdmin, gophercloud.AvailabilityPublic}
	if iface != "" {
		try = []gophercloud.Availability{gophercloud.Availability(iface)}
	}
	var errs []error
	for _, av := range try {
		sc, err := openstack.NewImageV2(pc, gophercloud.EndpointOpts{Region: region, Availability: av})
		if err == nil {
			return sc.Endpoint, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", av, err))
	}
	where := "the catalog"
	if region != "" {
		where += " for region " + region
	}
	return "", fmt.Errorf("no image endpoint in %s (%w); set region (OS_REGION_NAME), endpoint_interface, or endpoint (OS_IMAGE_ENDPOINT)", where, errors.Join(errs...))
}

func buildTLS(s settings) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cloudTLS != nil {
		cfg = s.cloudTLS.Clone()
	}
	if s.insecure {
		cfg.InsecureSkipVerify = true //nolint:gosec // the user asked for it, and is warned
	}
	if s.caCertFile != "" {
		pem, err := os.ReadFile(s.caCertFile)
		if err != nil {
			return nil, fmt.Errorf("reading cacert_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cacert_file %s holds no PEM certificate", s.caCertFile)
		}
		cfg.RootCAs = pool
	}
	if s.certFile != "" {
		cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// keystoneAuth adapts gophercloud's provider client to glance.Auth and glance.TokenExpiry.
type keystoneAuth struct {
	*gophercloud.ProviderClient
}

func (k *keystoneAuth) TokenExpiresAt() time.Time {
	if t := k.token(); t != nil {
		return t.ExpiresAt
	}
	return time.Time{}
}

func (k *keystoneAuth) token() *tokens.Token {
	type tokenResult interface {
		ExtractToken() (*tokens.Token, error)
	}
	r, ok := k.GetAuthResult().(tokenResult)
	if !ok {
		return nil
	}
	t, err := r.ExtractToken()
	if err != nil {
		return nil
	}
	return t
}

func (k *keystoneAuth) projectID() string {
	type projectResult interface {
		ExtractProject() (*tokens.Project, error)
	}
	r, ok := k.GetAuthResult().(projectResult)
	if !ok {
		return ""
	}
	p, err := r.ExtractProject()
	if err != nil || p == nil {
		return ""
	}
	return p.ID
}

// staticToken is a token given by the user, used as it is.
type staticToken string

func (t staticToken) Token() string { return string(t) }
func (t staticToken) Reauthenticate(context.Context, string) error {
	return errors.New("the token was rejected (HTTP 401) and a token given in the configuration cannot be renewed; supply a fresh token or use password or application credential authentication")
}

// tflogLogger routes the Glance client's logs to Terraform's log.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, f map[string]any) { tflog.Debug(ctx, msg, f) }
func (tflogLogger) Info(ctx context.Context, msg string, f map[string]any)  { tflog.Info(ctx, msg, f) }
func (tflogLogger) Warn(ctx context.Context, msg string, f map[string]any)  { tflog.Warn(ctx, msg, f) }
