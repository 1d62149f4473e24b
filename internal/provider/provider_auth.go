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
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// settings is the provider configuration after clouds.yaml and environment fallbacks.
type settings struct {
	auth              gophercloud.AuthOptions
	region            string
	endpoint          string
	endpointInterface string
	insecure          bool
	caCertFile        string
	certFile          string
	keyFile           string
	maxRetries        int
	cloudTLS          *tls.Config
}

// resolveSettings merges arguments, environment and clouds.yaml, and reports every missing
// or conflicting value as its own attribute error that names the environment variable.
func resolveSettings(m providerModel, env lookupEnv) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	if valueOf(m.Cloud) != "" {
		// A cloud named in the provider block describes the whole connection: the OS_* variables
		// of a sourced RC file (often another project's, or admin's) must not override it, or
		// two aliases with cloud = "team-a" / "team-b" would silently both act as that user.
		env = onlyEnv(env, "OS_CLIENT_CONFIG_FILE")
	}
	s := settings{
		region:            stringOr(m.Region, env, "OS_REGION_NAME"),
		endpoint:          stringOr(m.Endpoint, env, "OS_IMAGE_ENDPOINT", "OS_IMAGE_URL"),
		endpointInterface: strings.ToLower(stringOr(m.EndpointInterface, env, "OS_INTERFACE", "OS_ENDPOINT_TYPE")),
		caCertFile:        stringOr(m.CACertFile, env, "OS_CACERT"),
		certFile:          stringOr(m.Cert, env, "OS_CERT"),
		keyFile:           stringOr(m.Key, env, "OS_KEY"),
		maxRetries:        glance.DefaultMaxRetries,
	}
	s.endpointInterface = strings.TrimSuffix(s.endpointInterface, "url") // OS_INTERFACE=publicURL is common
	insecure, err := boolOr(m.Insecure, env, "OS_INSECURE")
	if err != nil {
		diags.AddAttributeError(path.Root("insecure"), "Invalid Provider Setting", err.Error())
	}
	s.insecure = insecure
	if !m.MaxRetries.IsNull() {
		if n := m.MaxRetries.ValueInt64(); n < 0 || n > 100 {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid Provider Setting", fmt.Sprintf("max_retries = %d: use a value from 0 to 100.", n))
		} else if n == 0 {
			s.maxRetries = -1
		} else {
			s.maxRetries = int(n)
		}
	}
	if s.endpointInterface != "" && !slices.Contains(endpointInterfaces, s.endpointInterface) {
		diags.AddAttributeError(path.Root("endpoint_interface"), "Invalid Provider Setting",
			fmt.Sprintf("endpoint_interface (or OS_INTERFACE) is %q; use one of %s.", s.endpointInterface, strings.Join(endpointInterfaces, ", ")))
	}

	// Values that belong together (a user's name or id, a project's, a credential's parts) come
	// from one place: the provider block, else the environment, else clouds.yaml. A provider
	// block that sets an application credential is therefore not mixed with an OS_PASSWORD
	// left in the shell, nor project_name with an OS_PROJECT_ID.
	a := gophercloud.AuthOptions{IdentityEndpoint: stringOr(m.AuthURL, env, "OS_AUTH_URL")}
	a.Username, a.UserID = groupOr(env, field{m.Username, []string{"OS_USERNAME"}}, field{m.UserID, []string{"OS_USER_ID"}})
	a.DomainName, a.DomainID = groupOr(env, field{m.UserDomainName, []string{"OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME"}}, field{m.UserDomainID, []string{"OS_USER_DOMAIN_ID", "OS_DOMAIN_ID"}})
	projectName, projectID := groupOr(env, field{m.ProjectName, []string{"OS_PROJECT_NAME", "OS_TENANT_NAME"}}, field{m.ProjectID, []string{"OS_PROJECT_ID", "OS_TENANT_ID"}})
	projectDomainName, projectDomainID := groupOr(env, field{m.ProjectDomainName, []string{"OS_PROJECT_DOMAIN_NAME", "OS_DOMAIN_NAME"}}, field{m.ProjectDomainID, []string{"OS_PROJECT_DOMAIN_ID", "OS_DOMAIN_ID"}})
	creds := []credentials{
		{password: valueOf(m.Password), appCredID: valueOf(m.ApplicationCredentialID), appCredName: valueOf(m.ApplicationCredentialName),
			appCredSecret: valueOf(m.ApplicationCredentialSecret), token: valueOf(m.Token)},
		{password: firstEnv(env, "OS_PASSWORD"), appCredID: firstEnv(env, "OS_APPLICATION_CREDENTIAL_ID"), appCredName: firstEnv(env, "OS_APPLICATION_CREDENTIAL_NAME"),
			appCredSecret: firstEnv(env, "OS_APPLICATION_CREDENTIAL_SECRET"), token: firstEnv(env, "OS_TOKEN", "OS_AUTH_TOKEN")},
	}

	// clouds.yaml fills what the arguments and the environment left empty.
	if cloud := stringOr(m.Cloud, env, "OS_CLOUD"); cloud != "" {
		opts := []clouds.ParseOption{clouds.WithCloudName(cloud)}
		if f := firstEnv(env, "OS_CLIENT_CONFIG_FILE"); f != "" {
			opts = append(opts, clouds.WithLocations(f))
		}
		ca, ea, tlsConfig, err := clouds.Parse(opts...)
		if err != nil {
			diags.AddAttributeError(path.Root("cloud"), "Error Reading clouds.yaml",
				fmt.Sprintf("Could not read cloud %q from clouds.yaml: %s. Check the name, or set OS_CLIENT_CONFIG_FILE to the file's path.", cloud, err))
			return s, diags
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fillGroup := func(dstA, dstB *string, a, b string) {
			if *dstA == "" && *dstB == "" {
				*dstA, *dstB = a, b
			}
		}
		fill(&a.IdentityEndpoint, ca.IdentityEndpoint)
		fillGroup(&a.Username, &a.UserID, ca.Username, ca.UserID)
		fillGroup(&a.DomainName, &a.DomainID, ca.DomainName, ca.DomainID)
		creds = append(creds, credentials{password: ca.Password, appCredID: ca.ApplicationCredentialID, appCredName: ca.ApplicationCredentialName,
			appCredSecret: ca.ApplicationCredentialSecret, token: ca.TokenID})
		fill(&s.region, ea.Region)
		if s.endpointInterface == "" && ea.Availability != "" && ea.Availability != gophercloud.AvailabilityPublic {
			s.endpointInterface = string(ea.Availability)
		}
		if ca.Scope != nil {
			fillGroup(&projectName, &projectID, ca.Scope.ProjectName, ca.Scope.ProjectID)
			if ca.Scope.ProjectName != "" {
				fillGroup(&projectDomainName, &projectDomainID, ca.Scope.DomainName, ca.Scope.DomainID)
			}
		}
		s.cloudTLS = tlsConfig
	}
	c := mergeCredentials(creds)
	a.Password, a.TokenID = c.password, c.token
	a.ApplicationCredentialID, a.ApplicationCredentialName, a.ApplicationCredentialSecret = c.appCredID, c.appCredName, c.appCredSecret

	tokenOnly := a.TokenID != "" && s.endpoint != ""
	if a.IdentityEndpoint == "" && !tokenOnly {
		diags.AddAttributeError(path.Root("auth_url"), "Missing Keystone URL",
			"The provider needs the Keystone endpoint to authenticate. Set auth_url in the provider block, "+
				"set the OS_AUTH_URL environment variable, or name a clouds.yaml entry with cloud (OS_CLOUD). "+
				"Alternatively set both token (OS_TOKEN) and endpoint (OS_IMAGE_ENDPOINT) to skip Keystone.")
	}

	hasPassword := a.Password != ""
	hasAppCred := c.hasAppCred()
	hasToken := a.TokenID != ""
	switch {
	case hasToken && (hasPassword || hasAppCred):
		diags.AddAttributeError(path.Root("token"), "Conflicting Provider Settings",
			"Both token (OS_TOKEN) and another credential (password or application credential) are set. Keep one way to authenticate.")
	case hasPassword && hasAppCred:
		diags.AddAttributeError(path.Root("application_credential_id"), "Conflicting Provider Settings",
			"Both password (OS_PASSWORD) and an application credential (OS_APPLICATION_CREDENTIAL_ID) are set. Keep one way to authenticate.")
	case !hasToken && !hasPassword && !hasAppCred:
		diags.AddAttributeError(path.Root("password"), "Missing Credentials",
			"The provider has no way to authenticate. Set password (OS_PASSWORD) with username (OS_USERNAME), "+
				"or application_credential_id and application_credential_secret (OS_APPLICATION_CREDENTIAL_ID, OS_APPLICATION_CREDENTIAL_SECRET), "+
				"or token (OS_TOKEN), or cloud (OS_CLOUD) to read them from clouds.yaml.")
	}
	if hasPassword && a.Username == "" && a.UserID == "" {
		diags.AddAttributeError(path.Root("username"), "Missing User",
			"password is set but no user: set username (OS_USERNAME) or user_id (OS_USER_ID).")
	}
	if hasAppCred && a.ApplicationCredentialSecret == "" {
		diags.AddAttributeError(path.Root("application_credential_secret"), "Missing Application Credential Secret",
			"An application credential is named but its secret is missing: set application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET).")
	}
	if hasAppCred && a.ApplicationCredentialID == "" && a.ApplicationCredentialName == "" {
		diags.AddAttributeError(path.Root("application_credential_id"), "Missing Application Credential",
			"application_credential_secret is set but not the credential it belongs to: set application_credential_id (OS_APPLICATION_CREDENTIAL_ID), or application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) with username.")
	}
	if a.ApplicationCredentialID != "" && a.ApplicationCredentialName != "" {
		diags.AddAttributeError(path.Root("application_credential_name"), "Conflicting Provider Settings",
			"Both application_credential_id (OS_APPLICATION_CREDENTIAL_ID) and application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) are set; the id alone identifies the credential.")
	}
	if a.ApplicationCredentialName != "" && a.Username == "" && a.UserID == "" {
		diags.AddAttributeError(path.Root("username"), "Missing User",
			"application_credential_name needs the user that owns it: set username (OS_USERNAME) or user_id (OS_USER_ID).")
	}
	if a.Username != "" && a.UserID == "" && a.DomainName == "" && a.DomainID == "" && (hasPassword || a.ApplicationCredentialName != "") {
		diags.AddAttributeError(path.Root("user_domain_name"), "Missing User Domain",
			"username is set, and Keystone needs the user's domain to find it: set user_domain_name (OS_USER_DOMAIN_NAME) or user_domain_id (OS_USER_DOMAIN_ID).")
	}
	if projectName != "" && projectID == "" && projectDomainName == "" && projectDomainID == "" && !hasAppCred {
		diags.AddAttributeError(path.Root("project_domain_name"), "Missing Project Domain",
			"project_name is set, and Keystone needs the project's domain to find it: set project_domain_name (OS_PROJECT_DOMAIN_NAME) or project_domain_id (OS_PROJECT_DOMAIN_ID).")
	}
	if (s.certFile == "") != (s.keyFile == "") {
		diags.AddAttributeError(path.Root("cert"), "Incomplete Client Certificate",
			"cert (OS_CERT) and key (OS_KEY) must be set together.")
	}
	for _, f := range []struct{ attr, env, file string }{
		{"cacert_file", "OS_CACERT", s.caCertFile}, {"cert", "OS_CERT", s.certFile}, {"key", "OS_KEY", s.keyFile},
	} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			diags.AddAttributeError(path.Root(f.attr), "Unreadable File",
				fmt.Sprintf("%s (%s) names %q, which cannot be read: %s.", f.attr, f.env, f.file, err))
		}
	}

	// Scope: application credentials carry their own; otherwise a project if one is named. A
	// token from the provider block keeps its own scope unless the block names a project: the
	// environment's project belongs to the RC file's password, and rescoping to it would fail.
	blockToken := hasToken && valueOf(m.Token) != "" && valueOf(m.ProjectName) == "" && valueOf(m.ProjectID) == ""
	if !hasAppCred && !tokenOnly && !blockToken {
		switch {
		case projectID != "":
			a.Scope = &gophercloud.AuthScope{ProjectID: projectID}
		case projectName != "":
			a.Scope = &gophercloud.AuthScope{ProjectName: projectName, DomainName: projectDomainName, DomainID: projectDomainID}
		}
	}
	// A token names its user itself: Keystone refuses a user or user domain beside it, and those
	// often linger in the environment from an RC file.
	if hasToken {
		a.Username, a.UserID, a.DomainName, a.DomainID = "", "", "", ""
	}
	// A token with a scope is exchanged for a scoped token; without one it is used as it is.
	a.AllowReauth = !hasToken
	s.auth = a
	return s, diags
}

// onlyEnv hides every environment variable but names.
func onlyEnv(env lookupEnv, names ...string) lookupEnv {
	return func(k string) (string, bool) {
		if !slices.Contains(names, k) {
			return "", false
		}
		return env(k)
	}
}

// field is a provider argument and the environment variables it falls back to.
type field struct {
	value types.String
	env   []string
}

// groupOr returns two values that belong together (a name and an id) from the provider block
// when it sets either, else from the environment.
func groupOr(env lookupEnv, first, second field) (string, string) {
	if valueOf(first.value) != "" || valueOf(second.value) != "" {
		return valueOf(first.value), valueOf(second.value)
	}
	return firstEnv(env, first.env...), firstEnv(env, second.env...)
}

// valueOf is a known string argument's value, or "".
func valueOf(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}

// credentials are the secrets that choose how the provider authenticates.
type credentials struct {
	password, appCredID, appCredName, appCredSecret, token string
}

func (c credentials) hasPassword() bool { return c.password != "" }
func (c credentials) hasAppCred() bool {
	return c.appCredID != "" || c.appCredName != "" || c.appCredSecret != ""
}
func (c credentials) hasToken() bool { return c.token != "" }

// mergeCredentials takes the way to authenticate from the first source (provider block,
// environment, clouds.yaml) that names one, and fills only that way's missing parts from the
// sources after it: credentials of another kind in a later source are ignored, not a conflict.
func mergeCredentials(sources []credentials) credentials {
	var c credentials
	chosen := false
	for _, src := range sources {
		if !chosen {
			c, chosen = src, src.hasPassword() || src.hasAppCred() || src.hasToken()
			continue
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		if c.hasAppCred() {
			if c.appCredName == "" {
				fill(&c.appCredID, src.appCredID)
			}
			if c.appCredID == "" {
				fill(&c.appCredName, src.appCredName)
			}
			fill(&c.appCredSecret, src.appCredSecret)
		}
	}
	return c
}

// providerMeta is what resources and data sources receive from Configure.
type providerMeta struct {
	client *glance.Client
	// projectID is the project the token is scoped to; empty with token + endpoint auth.
	projectID string
	region    string
	// configUnknown is set when the provider configuration depends on values known only at
	// apply: plan-time checks that need the API are skipped.
	configUnknown bool
}

// connect authenticates (unless token + endpoint make it unnecessary), picks the image
// endpoint and builds the one Glance client every resource shares.
func connect(ctx context.Context, s settings, version string) (*providerMeta, error) {
	tlsConfig, err := buildTLS(s)
	if err != nil {
		return nil, err
	}
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		base = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	transport := base.Clone()
	transport.TLSClientConfig = tlsConfig
	transport.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.MaxIdleConnsPerHost = 64 // Terraform runs 10 operations at once; keep their connections
	transport.ForceAttemptHTTP2 = true
	httpClient := &http.Client{Transport: transport}

	meta := &providerMeta{region: s.region}
	var auth glance.Auth
	endpoint := s.endpoint
	if s.auth.TokenID != "" && endpoint != "" {
		auth = staticToken(s.auth.TokenID)
		tflog.Info(ctx, "Using token and endpoint; no Keystone call")
	} else {
		pc, err := openstack.NewClient(s.auth.IdentityEndpoint)
		if err != nil {
			return nil, fmt.Errorf("invalid auth_url %q: %w", s.auth.IdentityEndpoint, err)
		}
		pc.HTTPClient = *httpClient
		pc.UserAgent.Prepend("terraform-provider-glance/" + version)
		if err := openstack.Authenticate(ctx, pc, s.auth); err != nil {
			if glance.IsCertificateError(err) {
				return nil, fmt.Errorf("connecting to Keystone at %s failed: %w. The server's TLS certificate is not trusted: set cacert_file (OS_CACERT) to the PEM file of the CA that signed it", s.auth.IdentityEndpoint, err)
			}
			return nil, fmt.Errorf("authenticating with Keystone at %s failed: %w. Check the credentials (OS_USERNAME/OS_PASSWORD, application credential or token) and the project scope", s.auth.IdentityEndpoint, err)
		}
		ka := &keystoneAuth{ProviderClient: pc}
		auth = ka
		meta.projectID = ka.projectID()
		if endpoint == "" {
			endpoint, err = catalogEndpoint(pc, s.region, s.endpointInterface)
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
