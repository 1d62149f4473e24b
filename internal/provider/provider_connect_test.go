package provider

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"

	"github.com/glance-provider/terraform-provider-glance/internal/testkit"
)

// TestAccProvider_connect runs the terraform CLI against services that cannot be reached, each
// in its own way: the error names the service, its URL and the cause, gives advice that fits
// the cause, and never blames the credentials (which no server judged).
func TestAccProvider_connect(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	authURL := acctest.Env(t, "OS_AUTH_URL")
	keystone, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	closed := testkit.ClosedPort(t)
	silent := testkit.SilentListener(t)
	for name, tc := range map[string]struct {
		authURL string
		extra   []string // provider arguments
		env     []string
		want    []string // all in the (unwrapped) output
	}{
		"keystone refused": {authURL: "http://" + closed + "/v3",
			want: []string{"cannot reach Keystone (connection refused)", "http://" + closed + "/v3", "check that Keystone is running"}},
		"keystone dns": {authURL: "http://nonexistent.invalid:5000/v3",
			want: []string{"cannot reach Keystone (host name not found)", "http://nonexistent.invalid:5000/v3", "does not resolve"}},
		"keystone https to a plain port": {authURL: "https://" + keystone.Host + "/v3", env: []string{"OS_CACERT="},
			want: []string{"cannot reach Keystone (connection closed during the TLS handshake)", "https://" + keystone.Host + "/v3", "use http://"}},
		"keystone untrusted certificate": {authURL: acctest.Env(t, "GLANCE_ACC_TLS_AUTH_URL"), env: []string{"OS_CACERT="},
			want: []string{"cannot reach Keystone (TLS certificate not trusted)", acctest.Env(t, "GLANCE_ACC_TLS_AUTH_URL"), "cacert_file (OS_CACERT)"}},
		"keystone timeout": {authURL: "http://" + silent + "/v3", env: []string{"GLANCE_RESPONSE_TIMEOUT=2s"},
			want: []string{"cannot reach Keystone (timed out)", "http://" + silent + "/v3", "did not answer in time"}},
		"glance down": {authURL: authURL, extra: []string{fmt.Sprintf("endpoint = %q", "http://"+closed), "max_retries = 0"},
			want: []string{"cannot reach Glance (connection refused)", "http://" + closed + "/v2/info/import", "check that Glance is running"}},
		"no image endpoint in the region": {authURL: authURL, extra: []string{`region = "RegionNowhere"`},
			want: []string{"no image endpoint in the catalog for region RegionNowhere", "set region (OS_REGION_NAME)"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			config := acctest.ExternalProvider + acctest.Demo.ProviderBlock(t, "", tc.extra...) + `data "glance_import_methods" "m" {}` + "\n"
			config = strings.Replace(config, fmt.Sprintf("auth_url = %q", authURL), fmt.Sprintf("auth_url = %q", tc.authURL), 1)
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := acctest.Terraform(t, dir, tc.env, "plan", "-input=false")
			if err == nil {
				t.Fatalf("plan succeeded:\n%s", out)
			}
			text := unwrapCLIOutput(out)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(strings.ToLower(text), "credential") {
				t.Errorf("output blames credentials, which no server judged:\n%s", out)
			}
		})
	}
}

// unwrapCLIOutput joins the lines of terraform's diagnostics, which it wraps and frames with │.
func unwrapCLIOutput(out string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(out, "│", " ")), " ")
}
