package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_cloudsYAML authenticates from a clouds.yaml entry whose password sits in the
// secure.yaml beside it, with another user's OS_* variables set, and uploads an image as the
// entry's user.
func TestAccProvider_cloudsYAML(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	dir := t.TempDir()
	username, password, project := acctest.Demo.Credentials(t)
	clouds := fmt.Sprintf(`clouds:
  acc:
    auth:
      auth_url: %s
      username: %s
      project_name: %s
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`, acctest.Env(t, "OS_AUTH_URL"), username, project)
	secure := fmt.Sprintf("clouds:\n  acc:\n    auth:\n      password: %q\n", password)
	file, digest := acctest.WriteRandomFile(t, dir, 256<<10)
	name := acctest.RandomName("clouds")
	config := acctest.ExternalProvider + fmt.Sprintf(`
provider "glance" {
  cloud = "acc"
}

resource "glance_image" "from_clouds" {
  name        = %q
  disk_format = "raw"
  source      = { file = %q }
}

output "owner" {
  value = glance_image.from_clouds.owner
}

output "os_hash_value" {
  value = glance_image.from_clouds.os_hash_value
}
`, name, file)
	for f, content := range map[string]string{"clouds.yaml": clouds, "secure.yaml": secure, "main.tf": config} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The test environment's admin OS_* variables stay set, as a sourced RC file would: the
	// cloud named in the provider block must win over them (the owner check below tells).
	env := []string{"OS_CLIENT_CONFIG_FILE=" + filepath.Join(dir, "clouds.yaml")}
	tf := func(args ...string) string {
		t.Helper()
		out, err := acctest.Terraform(t, dir, env, args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Cleanup(func() { _, _ = acctest.Terraform(t, dir, env, "destroy", "-auto-approve") })
	tf("apply", "-auto-approve")
	if got := tf("output", "-raw", "owner"); got != acctest.Demo.ProjectID(t) {
		t.Errorf("owner = %q, want the clouds.yaml user's project %s", got, acctest.Demo.ProjectID(t))
	}
	if got := tf("output", "-raw", "os_hash_value"); got != digest {
		t.Errorf("os_hash_value = %q, want %s", got, digest)
	}
	tf("plan", "-detailed-exitcode")
	tf("destroy", "-auto-approve")
	testAccCheckNoImageNamed(t, name)
}
