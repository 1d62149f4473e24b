package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the real terraform CLI.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"glance": providerserver.NewProtocol6WithError(New("test")()),
}

// envMap is a lookupEnv backed by a map, for unit tests of configuration resolution.
func envMap(m map[string]string) lookupEnv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// nullProviderModel has every argument null, as with an empty provider block.
func nullProviderModel() providerModel {
	s := types.StringNull()
	return providerModel{
		Cloud: s, AuthURL: s, Region: s, Username: s, UserID: s, Password: s, UserDomainName: s, UserDomainID: s,
		ProjectName: s, ProjectID: s, ProjectDomainName: s, ProjectDomainID: s, ApplicationCredentialID: s,
		ApplicationCredentialName: s, ApplicationCredentialSecret: s, Token: s, Endpoint: s, EndpointInterface: s,
		Insecure: types.BoolNull(), CACertFile: s, Cert: s, Key: s, MaxRetries: types.Int64Null(),
	}
}

var passwordEnv = map[string]string{
	"OS_AUTH_URL": "http://k:5000/v3", "OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_USER_DOMAIN_NAME": "Default",
	"OS_PROJECT_NAME": "proj", "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne",
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestResolveSettings_valid(t *testing.T) {
	for name, tc := range map[string]struct {
		env   map[string]string
		model func(*providerModel)
		check func(t *testing.T, s settings)
	}{
		"password from env": {env: passwordEnv, check: func(t *testing.T, s settings) {
			if s.auth.Username != "u" || s.auth.Password != "p" || s.auth.Scope.ProjectName != "proj" || !s.auth.AllowReauth || s.region != "RegionOne" {
				t.Errorf("settings = %+v", s.auth)
			}
		}},
		"argument overrides env": {env: passwordEnv, model: func(m *providerModel) { m.Username = types.StringValue("arg") }, check: func(t *testing.T, s settings) {
			if s.auth.Username != "arg" {
				t.Errorf("username = %q", s.auth.Username)
			}
		}},
		"application credential": {env: map[string]string{"OS_AUTH_URL": "http://k/v3", "OS_APPLICATION_CREDENTIAL_ID": "id", "OS_APPLICATION_CREDENTIAL_SECRET": "s", "OS_PROJECT_NAME": "ignored"}, check: func(t *testing.T, s settings) {
			if s.auth.Scope != nil || s.auth.ApplicationCredentialSecret != "s" {
				t.Errorf("an application credential carries its own scope: %+v", s.auth)
			}
		}},
		"token and endpoint need no Keystone": {env: map[string]string{"OS_TOKEN": "t", "OS_IMAGE_ENDPOINT": "https://h/glance"}, check: func(t *testing.T, s settings) {
			if s.endpoint != "https://h/glance" || s.auth.TokenID != "t" || s.auth.AllowReauth {
				t.Errorf("settings = %+v", s)
			}
		}},
		"block's application credential wins over OS_PASSWORD": {env: passwordEnv, model: func(m *providerModel) {
			m.ApplicationCredentialID, m.ApplicationCredentialSecret = types.StringValue("id"), types.StringValue("s")
		}, check: func(t *testing.T, s settings) {
			if s.auth.Password != "" || s.auth.ApplicationCredentialID != "id" || s.auth.Scope != nil {
				t.Errorf("the shell's password must not be mixed in: %+v", s.auth)
			}
		}},
		"block's token wins over OS_PASSWORD": {env: passwordEnv, model: func(m *providerModel) { m.Token = types.StringValue("t") }, check: func(t *testing.T, s settings) {
			// Keystone refuses a user name or domain beside a token, and the RC file's project
			// is not the token's.
			if s.auth.Password != "" || s.auth.TokenID != "t" || s.auth.AllowReauth || s.auth.Username != "" || s.auth.DomainName != "" || s.auth.Scope != nil {
				t.Errorf("auth = %+v", s.auth)
			}
		}},
		"block's secret completes OS_APPLICATION_CREDENTIAL_ID": {env: map[string]string{"OS_AUTH_URL": "http://k/v3", "OS_APPLICATION_CREDENTIAL_ID": "id", "OS_PASSWORD": "p"},
			model: func(m *providerModel) { m.ApplicationCredentialSecret = types.StringValue("s") }, check: func(t *testing.T, s settings) {
				if s.auth.ApplicationCredentialID != "id" || s.auth.ApplicationCredentialSecret != "s" || s.auth.Password != "" {
					t.Errorf("auth = %+v", s.auth)
				}
			}},
		"block's project_name wins over OS_PROJECT_ID": {env: withEnv(passwordEnv, "OS_PROJECT_ID", "envid"), model: func(m *providerModel) { m.ProjectName = types.StringValue("mine") },
			check: func(t *testing.T, s settings) {
				if s.auth.Scope == nil || s.auth.Scope.ProjectName != "mine" || s.auth.Scope.ProjectID != "" {
					t.Errorf("scope = %+v", s.auth.Scope)
				}
			}},
		"block's user_id wins over OS_USERNAME": {env: passwordEnv, model: func(m *providerModel) { m.UserID = types.StringValue("uid") }, check: func(t *testing.T, s settings) {
			if s.auth.UserID != "uid" || s.auth.Username != "" {
				t.Errorf("auth = %+v", s.auth)
			}
		}},
		"interface publicURL": {env: withEnv(passwordEnv, "OS_INTERFACE", "publicURL"), check: func(t *testing.T, s settings) {
			if s.endpointInterface != "public" {
				t.Errorf("endpointInterface = %q", s.endpointInterface)
			}
		}},
		"max_retries 0 disables retries": {env: passwordEnv, model: func(m *providerModel) { m.MaxRetries = types.Int64Value(0) }, check: func(t *testing.T, s settings) {
			if s.maxRetries != -1 {
				t.Errorf("maxRetries = %d", s.maxRetries)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			m := nullProviderModel()
			if tc.model != nil {
				tc.model(&m)
			}
			s, diags := resolveSettings(m, envMap(tc.env))
			if diags.HasError() {
				t.Fatalf("unexpected errors: %v", diags)
			}
			tc.check(t, s)
		})
	}
}

func TestResolveSettings_clouds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "clouds.yaml")
	err := os.WriteFile(file, []byte(`clouds:
  pcd:
    auth:
      auth_url: https://pcd.example.com/keystone/v3
      username: alice
      password: from-file
      user_domain_name: Default
      project_name: service
      project_domain_name: Default
    region_name: region-one
    interface: internal
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	m := nullProviderModel()
	m.Cloud = types.StringValue("pcd")
	m.Password = types.StringValue("from-argument")
	// A sourced RC file of another user must not leak into a cloud named in the block.
	rc := withEnv(passwordEnv, "OS_CLIENT_CONFIG_FILE", file, "OS_USERNAME", "admin", "OS_PASSWORD", "admin-secret", "OS_INTERFACE", "public")
	s, diags := resolveSettings(m, envMap(rc))
	if diags.HasError() {
		t.Fatal(diags)
	}
	if s.auth.IdentityEndpoint != "https://pcd.example.com/keystone/v3" || s.auth.Username != "alice" ||
		s.auth.Password != "from-argument" || s.region != "region-one" || s.endpointInterface != "internal" ||
		s.auth.Scope == nil || s.auth.Scope.ProjectName != "service" || s.auth.Scope.DomainName != "Default" {
		t.Fatalf("settings = %+v region=%s iface=%s", s.auth, s.region, s.endpointInterface)
	}

	m.Cloud = types.StringValue("nope")
	_, diags = resolveSettings(m, envMap(map[string]string{"OS_CLIENT_CONFIG_FILE": file}))
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "nope") {
		t.Fatalf("diags = %v, want an error naming the cloud", diags)
	}
}

func TestResolveSettings_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		env       map[string]string
		model     func(*providerModel)
		attribute string
		mentions  string
	}{
		"nothing at all":             {env: map[string]string{}, attribute: "auth_url", mentions: "OS_AUTH_URL"},
		"no credentials":             {env: map[string]string{"OS_AUTH_URL": "http://k/v3"}, attribute: "password", mentions: "OS_PASSWORD"},
		"password without user":      {env: withEnv(passwordEnv, "OS_USERNAME", ""), attribute: "username", mentions: "OS_USERNAME"},
		"user without domain":        {env: withEnv(passwordEnv, "OS_USER_DOMAIN_NAME", ""), attribute: "user_domain_name", mentions: "OS_USER_DOMAIN_NAME"},
		"project without domain":     {env: withEnv(passwordEnv, "OS_PROJECT_DOMAIN_NAME", ""), attribute: "project_domain_name", mentions: "OS_PROJECT_DOMAIN_NAME"},
		"token and password":         {env: withEnv(passwordEnv, "OS_TOKEN", "t"), attribute: "token", mentions: "OS_TOKEN"},
		"password and app cred":      {env: withEnv(passwordEnv, "OS_APPLICATION_CREDENTIAL_ID", "i", "OS_APPLICATION_CREDENTIAL_SECRET", "s"), attribute: "application_credential_id", mentions: "OS_APPLICATION_CREDENTIAL_ID"},
		"app cred without secret":    {env: map[string]string{"OS_AUTH_URL": "http://k/v3", "OS_APPLICATION_CREDENTIAL_ID": "i"}, attribute: "application_credential_secret", mentions: "OS_APPLICATION_CREDENTIAL_SECRET"},
		"app cred name without user": {env: map[string]string{"OS_AUTH_URL": "http://k/v3", "OS_APPLICATION_CREDENTIAL_NAME": "n", "OS_APPLICATION_CREDENTIAL_SECRET": "s"}, attribute: "username", mentions: "OS_USERNAME"},
		"token and password in block": {env: map[string]string{"OS_AUTH_URL": "http://k/v3"}, model: func(m *providerModel) {
			m.Token, m.Password, m.Username = types.StringValue("t"), types.StringValue("p"), types.StringValue("u")
		}, attribute: "token", mentions: "OS_TOKEN"},
		"app cred secret alone": {env: map[string]string{"OS_AUTH_URL": "http://k/v3"}, model: func(m *providerModel) { m.ApplicationCredentialSecret = types.StringValue("s") },
			attribute: "application_credential_id", mentions: "OS_APPLICATION_CREDENTIAL_ID"},
		"bad interface":    {env: withEnv(passwordEnv, "OS_INTERFACE", "private"), attribute: "endpoint_interface", mentions: "OS_INTERFACE"},
		"cert without key": {env: passwordEnv, model: func(m *providerModel) { m.Cert = types.StringValue("/etc/hostname") }, attribute: "cert", mentions: "OS_KEY"},
		"missing cacert":   {env: withEnv(passwordEnv, "OS_CACERT", "/nonexistent/ca.pem"), attribute: "cacert_file", mentions: "/nonexistent/ca.pem"},
		"bad OS_INSECURE":  {env: withEnv(passwordEnv, "OS_INSECURE", "maybe"), attribute: "insecure", mentions: "OS_INSECURE"},
	} {
		t.Run(name, func(t *testing.T) {
			m := nullProviderModel()
			if tc.model != nil {
				tc.model(&m)
			}
			_, diags := resolveSettings(m, envMap(tc.env))
			found := false
			for _, d := range diags.Errors() {
				if strings.Contains(d.Detail(), tc.mentions) && diagPath(d) == tc.attribute {
					found = true
				}
			}
			if !found {
				t.Fatalf("want an error on %s mentioning %s, got %v", tc.attribute, tc.mentions, diags)
			}
		})
	}
}

// TestAccProvider_noCredentials runs the real terraform with an empty environment: plan must
// fail with an attribute error that names OS_AUTH_URL.
func TestAccProvider_noCredentials(t *testing.T) {
	acctest.PreCheck(t)
	for _, k := range []string{"OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME", "OS_CLOUD"} {
		t.Setenv(k, "")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `data "glance_import_methods" "m" {}`,
			ExpectError: regexp.MustCompile(`(?s)Missing Keystone URL.*OS_AUTH_URL`),
		}},
	})
}

// TestAccProvider_badPassword shows Keystone's refusal as a clear error.
func TestAccProvider_badPassword(t *testing.T) {
	acctest.PreCheck(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `provider "glance" { password = "wrong" }` + "\n" + `data "glance_import_methods" "m" {}`,
			ExpectError: regexp.MustCompile(`(?s)Error Connecting to the Image Service.*authenticating with Keystone`),
		}},
	})
}

// diagPath returns the attribute path of a diagnostic, or "" when it has none.
func diagPath(d diag.Diagnostic) string {
	if wp, ok := d.(diag.DiagnosticWithPath); ok {
		return wp.Path().String()
	}
	return ""
}

// TestAccProvider_tokenAndEndpoint configures only a token and the prefixed endpoint: no
// Keystone URL is needed.
func TestAccProvider_tokenAndEndpoint(t *testing.T) {
	acctest.PreCheck(t)
	token := acctest.Token(t, acctest.Demo)
	t.Setenv("OS_AUTH_URL", "")
	t.Setenv("OS_PASSWORD", "")
	t.Setenv("OS_USERNAME", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "glance" {
  token    = "` + token + `"
  endpoint = "` + acctest.Env(t, "GLANCE_ACC_ADMIN_ENDPOINT") + `"
}
data "glance_import_methods" "m" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_import_methods.m", tfjsonpath.New("methods"), knownvalue.ListSizeExact(4)),
			},
		}},
	})
}
