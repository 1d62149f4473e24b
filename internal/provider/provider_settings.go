package provider

import (
	"crypto/tls"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// Settings resolution: the provider block, then the OS_* environment, then clouds.yaml. The
// framework model is converted once (inputFrom); everything after it works on plain values,
// and each function decides one thing.

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

// providerInput is the provider block as plain values: nil for an argument that is not set
// (null, or unknown). A set empty string is kept: it overrides the environment where a
// single argument is concerned.
type providerInput struct {
	cloud, authURL, region, endpoint, endpointInterface        *string
	username, userID, userDomainName, userDomainID             *string
	projectName, projectID, projectDomainName, projectDomainID *string
	password, appCredID, appCredName, appCredSecret, token     *string
	caCertFile, cert, key                                      *string
	insecure                                                   *bool
	maxRetries                                                 *int64
}

// inputFrom converts the framework model once.
func inputFrom(m providerModel) providerInput {
	return providerInput{
		cloud: optString(m.Cloud), authURL: optString(m.AuthURL), region: optString(m.Region),
		endpoint: optString(m.Endpoint), endpointInterface: optString(m.EndpointInterface),
		username: optString(m.Username), userID: optString(m.UserID),
		userDomainName: optString(m.UserDomainName), userDomainID: optString(m.UserDomainID),
		projectName: optString(m.ProjectName), projectID: optString(m.ProjectID),
		projectDomainName: optString(m.ProjectDomainName), projectDomainID: optString(m.ProjectDomainID),
		password: optString(m.Password), appCredID: optString(m.ApplicationCredentialID),
		appCredName: optString(m.ApplicationCredentialName), appCredSecret: optString(m.ApplicationCredentialSecret),
		token: optString(m.Token), caCertFile: optString(m.CACertFile), cert: optString(m.Cert), key: optString(m.Key),
		insecure: optBool(m.Insecure), maxRetries: optInt64(m.MaxRetries),
	}
}

func optString(v types.String) *string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	s := v.ValueString()
	return &s
}

func optBool(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	b := v.ValueBool()
	return &b
}

func optInt64(v types.Int64) *int64 {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	n := v.ValueInt64()
	return &n
}

// settingError is one invalid or missing setting, reported on its attribute.
type settingError struct {
	attribute, summary, detail string
}

// resolveSettings merges arguments, environment and clouds.yaml, and reports every missing
// or conflicting value as its own attribute error that names the environment variable.
func resolveSettings(m providerModel, env lookupEnv) (settings, diag.Diagnostics) {
	s, errs := resolve(inputFrom(m), env)
	var diags diag.Diagnostics
	for _, e := range errs {
		diags.AddAttributeError(path.Root(e.attribute), e.summary, e.detail)
	}
	return s, diags
}

// resolve is resolveSettings over plain values.
func resolve(in providerInput, env lookupEnv) (settings, []settingError) {
	env = envFor(in, env)
	s, errs := connectionSettings(in, env)
	id := identityFrom(in, env)
	if cloud := stringOr(in.cloud, env, "OS_CLOUD"); cloud != "" {
		entry, err := readCloud(cloud, firstEnv(env, "OS_CLIENT_CONFIG_FILE"))
		if err != nil {
			return s, append(errs, cloudError(cloud, err))
		}
		id = id.withCloud(entry)
		s = s.withCloud(entry)
	}
	c := mergeCredentials(id.creds)
	tokenOnly := c.hasToken() && s.endpoint != ""
	errs = append(errs, authErrors(id, c, tokenOnly)...)
	errs = append(errs, collect(clientCertIncomplete(s.certFile, s.keyFile))...)
	errs = append(errs, unreadableFiles(s)...)
	blockToken := valueOf(in.token) != "" && valueOf(in.projectName) == "" && valueOf(in.projectID) == ""
	s.auth = authOptions(id, c, scopeFor(id, c, tokenOnly || blockToken))
	return s, errs
}

// envFor is the environment the settings may read. A cloud named in the provider block
// describes the whole connection: the OS_* variables of a sourced RC file (often another
// project's, or admin's) must not override it, or two aliases with cloud = "team-a" /
// "team-b" would silently both act as that user.
func envFor(in providerInput, env lookupEnv) lookupEnv {
	if valueOf(in.cloud) != "" {
		return onlyEnv(env, "OS_CLIENT_CONFIG_FILE")
	}
	return env
}

// connectionSettings are the settings beside authentication: where and how to connect.
func connectionSettings(in providerInput, env lookupEnv) (settings, []settingError) {
	s := settings{
		region:            stringOr(in.region, env, "OS_REGION_NAME"),
		endpoint:          stringOr(in.endpoint, env, "OS_IMAGE_ENDPOINT", "OS_IMAGE_URL"),
		endpointInterface: normalizeInterface(stringOr(in.endpointInterface, env, "OS_INTERFACE", "OS_ENDPOINT_TYPE")),
		caCertFile:        stringOr(in.caCertFile, env, "OS_CACERT"),
		certFile:          stringOr(in.cert, env, "OS_CERT"),
		keyFile:           stringOr(in.key, env, "OS_KEY"),
	}
	var errs []settingError
	insecure, err := boolOr(in.insecure, env, "OS_INSECURE")
	if err != nil {
		errs = append(errs, settingError{"insecure", "Invalid Provider Setting", err.Error()})
	}
	s.insecure = insecure
	var maxRetriesErr *settingError
	s.maxRetries, maxRetriesErr = maxRetriesFrom(in.maxRetries)
	errs = append(errs, collect(maxRetriesErr, invalidInterface(s.endpointInterface))...)
	return s, errs
}

// normalizeInterface lower-cases an endpoint interface and drops the "URL" of the
// OS_INTERFACE=publicURL spelling, which is common.
func normalizeInterface(v string) string {
	return strings.TrimSuffix(strings.ToLower(v), "url")
}

// invalidInterface reports an endpoint interface the catalog does not know.
func invalidInterface(iface string) *settingError {
	if iface == "" || slices.Contains(endpointInterfaces, iface) {
		return nil
	}
	return &settingError{"endpoint_interface", "Invalid Provider Setting",
		fmt.Sprintf("endpoint_interface (or OS_INTERFACE) is %q; use one of %s.", iface, strings.Join(endpointInterfaces, ", "))}
}

// maxRetriesFrom is the client's retry budget for max_retries: the default when unset, -1
// (no retries) for 0.
func maxRetriesFrom(v *int64) (int, *settingError) {
	switch {
	case v == nil:
		return glance.DefaultMaxRetries, nil
	case *v < 0 || *v > 100:
		return glance.DefaultMaxRetries, &settingError{"max_retries", "Invalid Provider Setting",
			fmt.Sprintf("max_retries = %d: use a value from 0 to 100.", *v)}
	case *v == 0:
		return -1, nil
	}
	return int(*v), nil
}

// identity is who authenticates and to which project, before the credentials are merged.
// Values that belong together (a user's name or id, a project's, a credential's parts) come
// from one place: the provider block, else the environment, else clouds.yaml. A provider
// block that sets an application credential is therefore not mixed with an OS_PASSWORD left
// in the shell, nor project_name with an OS_PROJECT_ID.
type identity struct {
	authURL                            string
	username, userID                   string
	domainName, domainID               string // the user's domain
	projectName, projectID             string
	projectDomainName, projectDomainID string
	// creds holds each source's credentials, in order: block, environment, clouds.yaml.
	creds []credentials
}

// identityFrom reads the identity from the provider block and the environment.
func identityFrom(in providerInput, env lookupEnv) identity {
	id := identity{authURL: stringOr(in.authURL, env, "OS_AUTH_URL")}
	id.username, id.userID = groupOr(env, field{in.username, []string{"OS_USERNAME"}}, field{in.userID, []string{"OS_USER_ID"}})
	id.domainName, id.domainID = groupOr(env,
		field{in.userDomainName, []string{"OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME"}}, field{in.userDomainID, []string{"OS_USER_DOMAIN_ID", "OS_DOMAIN_ID"}})
	id.projectName, id.projectID = groupOr(env,
		field{in.projectName, []string{"OS_PROJECT_NAME", "OS_TENANT_NAME"}}, field{in.projectID, []string{"OS_PROJECT_ID", "OS_TENANT_ID"}})
	id.projectDomainName, id.projectDomainID = groupOr(env,
		field{in.projectDomainName, []string{"OS_PROJECT_DOMAIN_NAME", "OS_DOMAIN_NAME"}}, field{in.projectDomainID, []string{"OS_PROJECT_DOMAIN_ID", "OS_DOMAIN_ID"}})
	id.creds = []credentials{
		{password: valueOf(in.password), appCredID: valueOf(in.appCredID), appCredName: valueOf(in.appCredName),
			appCredSecret: valueOf(in.appCredSecret), token: valueOf(in.token)},
		{password: firstEnv(env, "OS_PASSWORD"), appCredID: firstEnv(env, "OS_APPLICATION_CREDENTIAL_ID"),
			appCredName: firstEnv(env, "OS_APPLICATION_CREDENTIAL_NAME"), appCredSecret: firstEnv(env, "OS_APPLICATION_CREDENTIAL_SECRET"),
			token: firstEnv(env, "OS_TOKEN", "OS_AUTH_TOKEN")},
	}
	return id
}

// cloudEntry is what clouds.yaml says about one cloud.
type cloudEntry struct {
	auth     gophercloud.AuthOptions
	endpoint gophercloud.EndpointOpts
	tls      *tls.Config
}

// readCloud reads the named cloud from clouds.yaml (and secure.yaml), from file when set.
func readCloud(name, file string) (cloudEntry, error) {
	opts := []clouds.ParseOption{clouds.WithCloudName(name)}
	if file != "" {
		opts = append(opts, clouds.WithLocations(file))
	}
	a, e, t, err := clouds.Parse(opts...)
	return cloudEntry{auth: a, endpoint: e, tls: t}, err
}

func cloudError(cloud string, err error) settingError {
	return settingError{"cloud", "Error Reading clouds.yaml",
		fmt.Sprintf("Could not read cloud %q from clouds.yaml: %s. Check the name, or set OS_CLIENT_CONFIG_FILE to the file's path.", cloud, err)}
}

// withCloud fills what the arguments and the environment left empty from clouds.yaml.
func (id identity) withCloud(c cloudEntry) identity {
	fill(&id.authURL, c.auth.IdentityEndpoint)
	fillGroup(&id.username, &id.userID, c.auth.Username, c.auth.UserID)
	fillGroup(&id.domainName, &id.domainID, c.auth.DomainName, c.auth.DomainID)
	if sc := c.auth.Scope; sc != nil {
		fillGroup(&id.projectName, &id.projectID, sc.ProjectName, sc.ProjectID)
		if sc.ProjectName != "" {
			fillGroup(&id.projectDomainName, &id.projectDomainID, sc.DomainName, sc.DomainID)
		}
	}
	id.creds = append(slices.Clone(id.creds), credentials{password: c.auth.Password, appCredID: c.auth.ApplicationCredentialID,
		appCredName: c.auth.ApplicationCredentialName, appCredSecret: c.auth.ApplicationCredentialSecret, token: c.auth.TokenID})
	return id
}

// withCloud takes the region, a non-default interface and the TLS settings of clouds.yaml.
func (s settings) withCloud(c cloudEntry) settings {
	fill(&s.region, c.endpoint.Region)
	if av := c.endpoint.Availability; s.endpointInterface == "" && av != "" && av != gophercloud.AvailabilityPublic {
		s.endpointInterface = string(av)
	}
	s.cloudTLS = c.tls
	return s
}

// fill sets *dst to v when it is empty.
func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// fillGroup sets a pair that belongs together when both are empty.
func fillGroup(dstA, dstB *string, a, b string) {
	if *dstA == "" && *dstB == "" {
		*dstA, *dstB = a, b
	}
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
func (c credentials) any() bool      { return c.hasPassword() || c.hasAppCred() || c.hasToken() }

// mergeCredentials takes the way to authenticate from the first source (provider block,
// environment, clouds.yaml) that names one, and fills only that way's missing parts from the
// sources after it: credentials of another kind in a later source are ignored, not a conflict.
func mergeCredentials(sources []credentials) credentials {
	i := slices.IndexFunc(sources, credentials.any)
	if i < 0 {
		return credentials{}
	}
	c := sources[i]
	if !c.hasAppCred() {
		return c
	}
	for _, src := range sources[i+1:] {
		if c.appCredName == "" {
			fill(&c.appCredID, src.appCredID)
		}
		if c.appCredID == "" {
			fill(&c.appCredName, src.appCredName)
		}
		fill(&c.appCredSecret, src.appCredSecret)
	}
	return c
}

// authErrors are the missing or conflicting authentication settings, in the order a reader
// fixes them.
func authErrors(id identity, c credentials, tokenOnly bool) []settingError {
	return collect(
		missingKeystoneURL(id.authURL, tokenOnly),
		credentialConflict(c),
		passwordWithoutUser(id, c),
		appCredWithoutSecret(c),
		appCredSecretAlone(c),
		appCredIDAndName(c),
		appCredNameWithoutUser(id, c),
		userWithoutDomain(id, c),
		projectWithoutDomain(id, c),
	)
}

// collect drops the checks that passed.
func collect(errs ...*settingError) []settingError {
	var out []settingError
	for _, e := range errs {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

func missingKeystoneURL(authURL string, tokenOnly bool) *settingError {
	if authURL != "" || tokenOnly {
		return nil
	}
	return &settingError{"auth_url", "Missing Keystone URL",
		"The provider needs the Keystone endpoint to authenticate. Set auth_url in the provider block, " +
			"set the OS_AUTH_URL environment variable, or name a clouds.yaml entry with cloud (OS_CLOUD). " +
			"Alternatively set both token (OS_TOKEN) and endpoint (OS_IMAGE_ENDPOINT) to skip Keystone."}
}

// credentialConflict decides whether exactly one way to authenticate is given.
func credentialConflict(c credentials) *settingError {
	switch {
	case c.hasToken() && (c.hasPassword() || c.hasAppCred()):
		return &settingError{"token", "Conflicting Provider Settings",
			"Both token (OS_TOKEN) and another credential (password or application credential) are set. Keep one way to authenticate."}
	case c.hasPassword() && c.hasAppCred():
		return &settingError{"application_credential_id", "Conflicting Provider Settings",
			"Both password (OS_PASSWORD) and an application credential (OS_APPLICATION_CREDENTIAL_ID) are set. Keep one way to authenticate."}
	case !c.any():
		return &settingError{"password", "Missing Credentials",
			"The provider has no way to authenticate. Set password (OS_PASSWORD) with username (OS_USERNAME), " +
				"or application_credential_id and application_credential_secret (OS_APPLICATION_CREDENTIAL_ID, OS_APPLICATION_CREDENTIAL_SECRET), " +
				"or token (OS_TOKEN), or cloud (OS_CLOUD) to read them from clouds.yaml."}
	}
	return nil
}

func (id identity) hasUser() bool { return id.username != "" || id.userID != "" }

func passwordWithoutUser(id identity, c credentials) *settingError {
	if !c.hasPassword() || id.hasUser() {
		return nil
	}
	return &settingError{"username", "Missing User", "password is set but no user: set username (OS_USERNAME) or user_id (OS_USER_ID)."}
}

func appCredWithoutSecret(c credentials) *settingError {
	if !c.hasAppCred() || c.appCredSecret != "" {
		return nil
	}
	return &settingError{"application_credential_secret", "Missing Application Credential Secret",
		"An application credential is named but its secret is missing: set application_credential_secret (OS_APPLICATION_CREDENTIAL_SECRET)."}
}

func appCredSecretAlone(c credentials) *settingError {
	if !c.hasAppCred() || c.appCredID != "" || c.appCredName != "" {
		return nil
	}
	return &settingError{"application_credential_id", "Missing Application Credential",
		"application_credential_secret is set but not the credential it belongs to: set application_credential_id (OS_APPLICATION_CREDENTIAL_ID), or application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) with username."}
}

func appCredIDAndName(c credentials) *settingError {
	if c.appCredID == "" || c.appCredName == "" {
		return nil
	}
	return &settingError{"application_credential_name", "Conflicting Provider Settings",
		"Both application_credential_id (OS_APPLICATION_CREDENTIAL_ID) and application_credential_name (OS_APPLICATION_CREDENTIAL_NAME) are set; the id alone identifies the credential."}
}

func appCredNameWithoutUser(id identity, c credentials) *settingError {
	if c.appCredName == "" || id.hasUser() {
		return nil
	}
	return &settingError{"username", "Missing User",
		"application_credential_name needs the user that owns it: set username (OS_USERNAME) or user_id (OS_USER_ID)."}
}

// userWithoutDomain: Keystone finds a user by name only within a domain.
func userWithoutDomain(id identity, c credentials) *settingError {
	byName := id.username != "" && id.userID == "" && id.domainName == "" && id.domainID == ""
	if !byName || (!c.hasPassword() && c.appCredName == "") {
		return nil
	}
	return &settingError{"user_domain_name", "Missing User Domain",
		"username is set, and Keystone needs the user's domain to find it: set user_domain_name (OS_USER_DOMAIN_NAME) or user_domain_id (OS_USER_DOMAIN_ID)."}
}

// projectWithoutDomain: Keystone finds a project by name only within a domain; an
// application credential carries its own project.
func projectWithoutDomain(id identity, c credentials) *settingError {
	byName := id.projectName != "" && id.projectID == "" && id.projectDomainName == "" && id.projectDomainID == ""
	if !byName || c.hasAppCred() {
		return nil
	}
	return &settingError{"project_domain_name", "Missing Project Domain",
		"project_name is set, and Keystone needs the project's domain to find it: set project_domain_name (OS_PROJECT_DOMAIN_NAME) or project_domain_id (OS_PROJECT_DOMAIN_ID)."}
}

func clientCertIncomplete(cert, key string) *settingError {
	if (cert == "") == (key == "") {
		return nil
	}
	return &settingError{"cert", "Incomplete Client Certificate", "cert (OS_CERT) and key (OS_KEY) must be set together."}
}

// unreadableFiles reports the TLS files that are named but cannot be read.
func unreadableFiles(s settings) []settingError {
	var errs []settingError
	for _, f := range []struct{ attr, env, file string }{
		{"cacert_file", "OS_CACERT", s.caCertFile}, {"cert", "OS_CERT", s.certFile}, {"key", "OS_KEY", s.keyFile},
	} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			errs = append(errs, settingError{f.attr, "Unreadable File",
				fmt.Sprintf("%s (%s) names %q, which cannot be read: %s.", f.attr, f.env, f.file, err)})
		}
	}
	return errs
}

// scopeFor is the project to scope the token to. Application credentials carry their own,
// and so does a token used as it is (keepTokenScope: with an endpoint, or from the provider
// block without a project: the environment's project belongs to the RC file's password, and
// rescoping to it would fail). Otherwise a project if one is named.
func scopeFor(id identity, c credentials, keepTokenScope bool) *gophercloud.AuthScope {
	switch {
	case c.hasAppCred() || keepTokenScope:
		return nil
	case id.projectID != "":
		return &gophercloud.AuthScope{ProjectID: id.projectID}
	case id.projectName != "":
		return &gophercloud.AuthScope{ProjectName: id.projectName, DomainName: id.projectDomainName, DomainID: id.projectDomainID}
	}
	return nil
}

// authOptions is what gophercloud authenticates with.
func authOptions(id identity, c credentials, scope *gophercloud.AuthScope) gophercloud.AuthOptions {
	a := gophercloud.AuthOptions{
		IdentityEndpoint: id.authURL,
		Username:         id.username, UserID: id.userID, DomainName: id.domainName, DomainID: id.domainID,
		Password: c.password, TokenID: c.token,
		ApplicationCredentialID: c.appCredID, ApplicationCredentialName: c.appCredName, ApplicationCredentialSecret: c.appCredSecret,
		Scope: scope,
		// A token with a scope is exchanged for a scoped token; without one it is used as it is.
		AllowReauth: !c.hasToken(),
	}
	if c.hasToken() {
		// A token names its user itself: Keystone refuses a user or user domain beside it, and
		// those often linger in the environment from an RC file.
		a.Username, a.UserID, a.DomainName, a.DomainID = "", "", "", ""
	}
	return a
}

// lookupEnv is os.LookupEnv; tests pass a map instead.
type lookupEnv func(string) (string, bool)

// onlyEnv hides every environment variable but names.
func onlyEnv(env lookupEnv, names ...string) lookupEnv {
	return func(k string) (string, bool) {
		if !slices.Contains(names, k) {
			return "", false
		}
		return env(k)
	}
}

// firstEnv returns the first non-empty variable of names.
func firstEnv(env lookupEnv, names ...string) string {
	for _, n := range names {
		if v, ok := env(n); ok && v != "" {
			return v
		}
	}
	return ""
}

// stringOr returns the argument when set (even to ""), else the first set environment variable.
func stringOr(v *string, env lookupEnv, names ...string) string {
	if v != nil {
		return *v
	}
	return firstEnv(env, names...)
}

// boolOr returns the argument when set, else the environment variable parsed as a boolean.
func boolOr(v *bool, env lookupEnv, name string) (bool, error) {
	if v != nil {
		return *v, nil
	}
	s := firstEnv(env, name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean", name, s)
	}
	return b, nil
}

// field is a provider argument and the environment variables it falls back to.
type field struct {
	value *string
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

// valueOf is a set argument's value, or "".
func valueOf(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}
