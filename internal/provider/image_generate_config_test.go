package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// TestAccImage_generatedConfig imports an image made outside Terraform with an import block
// and `terraform plan -generate-config-out`, as a user adopting existing images would.
// Terraform writes every optional argument with the image's value (and leaves out computed
// attributes and the Optional+Computed id); the test checks that what is written is the
// image's arguments only, that it plans clean as written, and that it still plans clean with
// the lines a user would not write (defaults and nulls) deleted. region is written (the region
// the image was imported from, recorded in state like every resource's region): a user may keep
// it to pin the image there or delete it, as the trimmed configuration does; either plans clean.
func TestAccImage_generatedConfig(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	ctx := t.Context()
	c := acctest.Client(t, acctest.Admin)
	name := acctest.RandomName("genconfig")
	img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: name, DiskFormat: "qcow2", ContainerFormat: "bare", Visibility: "shared",
		MinRAM: 256, Tags: []string{"golden"}, Properties: map[string]string{"os_distro": "cirros", "owner_specified.openstack.md5": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteImage(context.Background(), img.ID) })
	file, _ := acctest.WriteRandomFile(t, "", 4096)
	if _, err := c.UploadImage(ctx, img.ID, glance.FileSource(file), glance.UploadOptions{}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	env := moveCLI(t, false, "")
	writeConfig(t, dir, acctest.ExternalProvider+fmt.Sprintf(`
provider "glance" {}
import {
  to = glance_image.adopted
  id = %q
}
`, img.ID))
	terraformOK(t, dir, env, "plan", "-input=false", "-generate-config-out=generated.tf")
	b, err := os.ReadFile(filepath.Join(dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	generated := string(b)
	args := generatedArguments(generated)
	want := []string{"container_format", "deactivated", "disk_format", "hidden", "min_disk_gb", "min_ram_mb", "name", "properties",
		"protected", "region", "source", "store", "tags", "timeouts", "visibility"}
	if strings.Join(args, ",") != strings.Join(want, ",") {
		t.Errorf("generated arguments %v, want %v:\n%s", args, want, generated)
	}
	for _, line := range []string{`name             = "` + name + `"`, `disk_format      = "qcow2"`, `min_ram_mb       = 256`,
		`os_distro = "cirros"`, `tags       = ["golden"]`, `visibility = "shared"`, `region     = "RegionOne"`} {
		if !strings.Contains(generated, line) {
			t.Errorf("generated config lacks %s:\n%s", line, generated)
		}
	}
	if strings.Contains(generated, "owner_specified") {
		t.Errorf("a property a client tool added is declared:\n%s", generated)
	}
	// As written: the plan imports and changes nothing; after the import the plan is empty.
	out := terraformOK(t, dir, env, "plan", "-input=false")
	if !strings.Contains(out, "1 to import, 0 to add, 0 to change, 0 to destroy") {
		t.Errorf("the generated configuration does not plan clean:\n%s", out)
	}
	// Trimmed as a user would keep it: the defaults and nulls deleted, and the provider's region.
	trimmed := regexp.MustCompile(`(?m)^\s*(container_format\s*= "bare"|deactivated\s*= false|hidden\s*= false|min_disk_gb\s*= 0|protected\s*= false|region\s*= "RegionOne"|source\s*= null|store\s*= null|timeouts\s*= null)\n`).
		ReplaceAllString(generated, "")
	if err := os.WriteFile(filepath.Join(dir, "generated.tf"), []byte(trimmed), 0o600); err != nil {
		t.Fatal(err)
	}
	out = terraformOK(t, dir, env, "apply", "-auto-approve", "-input=false")
	if !strings.Contains(out, "1 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("the trimmed configuration does not apply as a pure import:\n%s\n%s", trimmed, out)
	}
	if out, err := acctest.Terraform(t, dir, env, "plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Errorf("the plan after the import is not empty:\n%s", out)
	}
	terraformOK(t, dir, env, "destroy", "-auto-approve", "-input=false")
	if _, err := c.GetImage(ctx, img.ID); !glance.IsNotFound(err) {
		t.Errorf("image %s after destroy: %v", img.ID, err)
	}
}

// generatedArguments lists, sorted, the top-level arguments of the one resource block
// terraform generated.
func generatedArguments(hcl string) []string {
	var args []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z_]+)\s*=`).FindAllStringSubmatch(hcl, -1) {
		args = append(args, m[1])
	}
	sort.Strings(args)
	return args
}
