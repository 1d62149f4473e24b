package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_tls runs the terraform CLI against the test environment's TLS front ends of
// Keystone and Glance, whose certificate a private CA signed: default verification rejects
// them with an error that says what to do; cacert_file trusts them (authentication, an upload
// over HTTP/2, a read); OS_CACERT does the same; insecure skips the check with a warning.
func TestAccProvider_tls(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	caFile := acctest.Env(t, "GLANCE_ACC_TLS_CACERT")
	name := acctest.RandomName("tls")
	file, digest := acctest.WriteRandomFile(t, "", 3<<20)
	dir := t.TempDir()
	write := func(tlsSetting string) {
		t.Helper()
		config := acctest.ExternalProvider + acctest.Admin.ProviderBlock(t, "",
			fmt.Sprintf("endpoint = %q", acctest.Env(t, "GLANCE_ACC_TLS_ENDPOINT")), tlsSetting)
		config = strings.Replace(config, acctest.Env(t, "OS_AUTH_URL"), acctest.Env(t, "GLANCE_ACC_TLS_AUTH_URL"), 1)
		config += fmt.Sprintf(`
data "glance_import_methods" "m" {}

resource "glance_image" "tls" {
  name        = %q
  disk_format = "raw"
  source      = { file = %q }
}

output "methods" {
  value = length(data.glance_import_methods.m.methods)
}

output "os_hash_value" {
  value = glance_image.tls.os_hash_value
}
`, name, file)
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tf := func(env []string, args ...string) (string, error) { return acctest.Terraform(t, dir, env, args...) }
	t.Cleanup(func() {
		write(fmt.Sprintf("cacert_file = %q", caFile))
		_, _ = tf(nil, "destroy", "-auto-approve")
	})

	write("")
	out, err := tf(nil, "plan")
	if err == nil || !strings.Contains(out, "certificate") || !strings.Contains(out, "cacert_file") {
		t.Fatalf("plan against an untrusted certificate: want an error that names the certificate and cacert_file, got err=%v\n%s", err, out)
	}

	write(fmt.Sprintf("cacert_file = %q", caFile))
	if out, err := tf(nil, "apply", "-auto-approve"); err != nil {
		t.Fatalf("apply with cacert_file: %v\n%s", err, out)
	}
	if out, _ := tf(nil, "output", "-raw", "os_hash_value"); out != digest {
		t.Errorf("os_hash_value after an upload through TLS = %q, want the file's sha512 %s", out, digest)
	}
	if out, _ := tf(nil, "output", "-raw", "methods"); out != "4" {
		t.Errorf("import methods read through TLS: %q, want 4", out)
	}

	write("")
	if out, err := tf([]string{"OS_CACERT=" + caFile}, "plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan with OS_CACERT: want success and no changes, got %v\n%s", err, out)
	}

	write("insecure = true")
	out, err = tf(nil, "plan", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("plan with insecure = true: want success and no changes, got %v\n%s", err, out)
	}
	if !strings.Contains(out, "Warning: TLS Verification Disabled") {
		t.Errorf("insecure = true must warn; plan printed:\n%s", out)
	}
}

// TestAccImage_concurrency applies 20 images, an import and a share at Terraform's default
// parallelism (testdata/TestAccImage_concurrency); the second plan must be empty.
func TestAccImage_concurrency(t *testing.T) {
	name := acctest.RandomName("many")
	dir := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("img-%d.bin", i)), []byte(fmt.Sprintf("image %d %s", i, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			ConfigDirectory: config.TestNameDirectory(),
			ConfigVariables: config.Variables{
				"name":      config.StringVariable(name),
				"dir":       config.StringVariable(dir),
				"web_url":   config.StringVariable(acctest.Env(t, "GLANCE_ACC_WEB_URL")),
				"member_id": config.StringVariable(acctest.Alt.ProjectID(t)),
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image.many[19]", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_import.web", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_member.share[4]", tfjsonpath.New("status"), knownvalue.StringExact("pending")),
			},
		}},
	})
}
