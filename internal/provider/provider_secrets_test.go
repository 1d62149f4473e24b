package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_secretsNotLogged runs apply, plan and destroy with TF_LOG=trace through the
// terraform CLI, as a user would (the test harness logs each step's configuration itself, so it
// is not used here). The configuration holds every kind of secret in HCL: a password, an
// application-credential secret, a token and a source.url header. None may appear in the trace
// log, the CLI output or the state file, and no Keystone token may be logged at all.
func TestAccProvider_secretsNotLogged(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	dir := t.TempDir()
	name := acctest.RandomName("secrets")
	_, password, _ := acctest.Admin.Credentials(t)
	credID, credSecret := acctest.ApplicationCredential(t, acctest.Demo)
	token := acctest.Token(t, acctest.Demo)
	headerSecret := "header-secret-" + strings.TrimPrefix(name, acctest.NamePrefix)
	imageURL := acctest.WebFile(t, name+".img", []byte(strings.Repeat("x", 4096)))
	file, _ := acctest.WriteRandomFile(t, "", 64<<10)
	config := acctest.ExternalProvider + acctest.Admin.ProviderBlock(t, "") + fmt.Sprintf(`
provider "glance" {
  alias                         = "appcred"
  auth_url                      = %[1]q
  application_credential_id     = %[2]q
  application_credential_secret = %[3]q
}

provider "glance" {
  alias    = "token"
  token    = %[4]q
  endpoint = %[5]q
}

# A token with the catalog from Keystone (auth_url from OS_AUTH_URL); the OS_USERNAME and
# OS_USER_DOMAIN_NAME of the environment must not be sent beside it.
provider "glance" {
  alias = "token_catalog"
  token = %[4]q
}

resource "glance_image" "url" {
  name        = "%[6]s-url"
  disk_format = "raw"
  source = {
    url     = %[7]q
    headers = { Authorization = "Bearer %[8]s" }
  }
}

resource "glance_image" "appcred" {
  provider    = glance.appcred
  name        = "%[6]s-appcred"
  disk_format = "raw"
  source      = { file = %[9]q }
}

data "glance_image" "seen_with_token" {
  provider = glance.token
  id       = glance_image.appcred.id
}

output "seen_with_token" {
  value = data.glance_image.seen_with_token.os_hash_value
}

data "glance_image" "seen_with_token_catalog" {
  provider = glance.token_catalog
  id       = glance_image.appcred.id
}

output "seen_with_token_catalog" {
  value = data.glance_image.seen_with_token_catalog.os_hash_value
}
`, acctest.Env(t, "OS_AUTH_URL"), credID, credSecret, token, acctest.Env(t, "GLANCE_ACC_PUBLIC_ENDPOINT"),
		name, imageURL, headerSecret, file)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "trace.log")
	traceEnv := []string{"TF_LOG=TRACE", "TF_LOG_PATH=" + logFile}
	var cliOutput strings.Builder
	run := func(args ...string) {
		out, err := acctest.Terraform(t, dir, traceEnv, args...)
		cliOutput.WriteString(out)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_, _ = acctest.Terraform(t, dir, nil, "destroy", "-auto-approve")
		}
	})

	run("apply", "-auto-approve")
	stateBytes, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Outputs map[string]struct {
			Value string `json:"value"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(stateBytes, &state); err != nil {
		t.Fatal(err)
	}
	// Every provider configuration really worked: the token providers read the image the
	// application credential uploaded.
	for _, out := range []string{"seen_with_token", "seen_with_token_catalog"} {
		if v := state.Outputs[out].Value; len(v) != 128 {
			t.Fatalf("output %s = %q, want the image's sha512 os_hash_value", out, v)
		}
	}
	run("plan", "-detailed-exitcode")
	run("destroy", "-auto-approve")
	destroyed = true
	testAccCheckNoImageNamed(t, name+"-url")

	logBytes, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	logText := string(logBytes)
	if dump := os.Getenv("GLANCE_ACC_KEEP_TRACE"); dump != "" {
		_ = os.WriteFile(dump, logBytes, 0o600)
	}
	// The log must hold the provider's own request records, or the check would prove nothing.
	if !strings.Contains(logText, "Glance request") || !strings.Contains(logText, "Image upload finished") {
		t.Fatalf("the trace log (%d bytes) has no Glance request records of the provider", len(logBytes))
	}
	secrets := map[string]string{
		"password":                      password,
		"application credential secret": credSecret,
		"token":                         token,
		"source.url header":             headerSecret,
	}
	places := map[string]string{"TF_LOG=trace output": logText, "CLI output": cliOutput.String(), "state file": string(stateBytes)}
	for what, secret := range secrets {
		for where, text := range places {
			if strings.Contains(text, secret) {
				t.Errorf("the %s appears in the %s", what, where)
			}
		}
	}
	// Fernet tokens start with gAAAAA: the provider's own Keystone tokens must not be logged either.
	if m := regexp.MustCompile(`gAAAAA[A-Za-z0-9_-]{20,}`).FindString(logText); m != "" {
		t.Errorf("a Keystone token (%.12s…) appears in the TF_LOG=trace output", m)
	}
}
