package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// TestAccIdentity_importByIdentityInRegionThree imports, by identity as terraform ≥ 1.12 does,
// an image and a membership that exist only in RegionThree's Glance, and reads them there;
// the same identity without region (the provider's RegionOne) finds no image.
func TestAccIdentity_importByIdentityInRegionThree(t *testing.T) {
	acctest.PreCheck(t)
	ctx := context.Background()
	c := plainClient(t)
	name := acctest.RandomName("identity")
	img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: name, DiskFormat: "raw", ContainerFormat: "bare", Visibility: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteImage(context.Background(), img.ID) })
	alt := acctest.Alt.ProjectID(t)
	if _, err := c.ShareImage(ctx, img.ID, alt); err != nil {
		t.Fatal(err)
	}
	h := newProtoHarness(t)
	h.configure(map[string]string{}) // the environment's admin, in RegionOne

	imported, diags := h.importResource("glance_image", "", map[string]string{"id": img.ID, "region": "RegionThree"})
	failOnDiags(t, "ImportResourceState", diags)
	resp := h.read("glance_image", imported.State, imported.Identity, imported.Private)
	failOnDiags(t, "ReadResource", resp.Diagnostics)
	state := h.decode(h.stateType("glance_image"), resp.NewState)
	if state["name"] != name || state["region"] != "RegionThree" {
		t.Errorf("imported image: name %q (want %q), region %q", state["name"], name, state["region"])
	}
	want := map[string]string{"id": img.ID, "region": "RegionThree"}
	if id := h.decode(h.identityType("glance_image"), identityData(resp.NewIdentity)); !sameStrings(id, want) {
		t.Errorf("identity %v, want %v", id, want)
	}

	// Without region: the provider's RegionOne, whose Glance does not have the image.
	imported, diags = h.importResource("glance_image", "", map[string]string{"id": img.ID})
	failOnDiags(t, "ImportResourceState", diags)
	resp = h.read("glance_image", imported.State, imported.Identity, imported.Private)
	failOnDiags(t, "ReadResource in RegionOne", resp.Diagnostics)
	if s := h.decode(h.stateType("glance_image"), resp.NewState); s != nil {
		t.Errorf("the image was found in RegionOne: %v", s)
	}

	member := map[string]string{"image_id": img.ID, "member_id": alt, "region": "RegionThree"}
	imported, diags = h.importResource("glance_image_member", "", member)
	failOnDiags(t, "ImportResourceState member", diags)
	resp = h.read("glance_image_member", imported.State, imported.Identity, imported.Private)
	failOnDiags(t, "ReadResource member", resp.Diagnostics)
	if s := h.decode(h.stateType("glance_image_member"), resp.NewState); s["status"] != glance.MemberPending || s["id"] != img.ID+"/"+alt {
		t.Errorf("imported membership %v", s)
	}
	if id := h.decode(h.identityType("glance_image_member"), identityData(resp.NewIdentity)); !sameStrings(id, member) {
		t.Errorf("member identity %v, want %v", id, member)
	}
}

// oldProviderRevision is the last commit before resource identity and per-object regions
// (the parent of the commit that added identity.go), or GLANCE_ACC_OLD_PROVIDER_REV.
func oldProviderRevision(t *testing.T, repo string) string {
	t.Helper()
	if rev := os.Getenv("GLANCE_ACC_OLD_PROVIDER_REV"); rev != "" {
		return rev
	}
	out, err := exec.CommandContext(t.Context(), "git", "-C", repo, "log", "--diff-filter=A", "--format=%H", "-1", "--", "internal/provider/identity.go").Output()
	rev := strings.TrimSpace(string(out))
	if err != nil || rev == "" {
		t.Fatalf("cannot find the commit that added identity.go (%v): the test needs the git history, or GLANCE_ACC_OLD_PROVIDER_REV", err)
	}
	return rev + "^"
}

// buildOldProvider builds the provider as it was at rev into a directory of its own, for
// dev_overrides.
func buildOldProvider(t *testing.T, rev string) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if rev == "" {
		rev = oldProviderRevision(t, repo)
	}
	src, bin := filepath.Join(t.TempDir(), "src"), filepath.Join(t.TempDir(), "bin")
	for _, d := range []string{src, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	archive := exec.CommandContext(t.Context(), "sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", repo, rev, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", rev, err, out)
	}
	build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(bin, "terraform-provider-glance"), ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider at %s: %v\n%s", rev, err, out)
	}
	return bin
}

// cliWith is a CLI configuration whose dev_overrides run the provider in dir.
func cliWith(t *testing.T, dir string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "old.tfrc")
	body := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"glance-provider/glance\" = %q\n  }\n  direct {}\n}\n", dir)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"TF_CLI_CONFIG_FILE=" + p}
}

// TestAccIdentity_stateFromProviderWithoutIdentity applies a configuration of every resource
// with the provider as it was before identity and region (built from git), then plans with
// this build: the plan is empty (the refresh adds region and identity), and the resources
// are destroyed by this build.
func TestAccIdentity_stateFromProviderWithoutIdentity(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	old := buildOldProvider(t, "")
	name := acctest.RandomName("oldstate")
	file, _ := acctest.WriteRandomFile(t, "", 8<<10)
	dir := t.TempDir()
	writeConfig(t, dir, acctest.ExternalProvider+acctest.Admin.ProviderBlock(t, "")+acctest.Alt.ProviderBlock(t, "alt")+fmt.Sprintf(`
resource "glance_image" "test" {
  name        = %[1]q
  disk_format = "raw"
  visibility  = "shared"
  source = {
    file = %[2]q
  }
}
resource "glance_image" "target" {
  name        = "%[1]s-target"
  disk_format = "raw"
}
resource "glance_image_import" "test" {
  image_id = glance_image.target.id
  method   = "glance-direct"
  file     = %[2]q
}
resource "glance_image_member" "test" {
  image_id  = glance_image.test.id
  member_id = %[3]q
}
resource "glance_image_member_status" "test" {
  provider  = glance.alt
  image_id  = glance_image_member.test.image_id
  status    = "accepted"
}
resource "glance_image_cache" "test" {
  image_id = glance_image_import.test.image_id
}
`, name, file, acctest.Alt.ProjectID(t)))
	oldCLI, newCLI := cliWith(t, old), moveCLI(t, false, "")
	t.Cleanup(func() { deleteImagesNamed(t, name); deleteImagesNamed(t, name+"-target") })
	terraformOK(t, dir, oldCLI, "apply", "-auto-approve", "-input=false")
	if out, err := acctest.Terraform(t, dir, newCLI, "plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Fatalf("the state of the provider without identity does not plan empty with this build:\n%s", out)
	}
	// The refresh records the provider's region in state.
	terraformOK(t, dir, newCLI, "apply", "-refresh-only", "-auto-approve", "-input=false")
	for _, addr := range []string{"glance_image.test", "glance_image_import.test", "glance_image_member.test", "glance_image_member_status.test", "glance_image_cache.test"} {
		if out := terraformOK(t, dir, newCLI, "state", "show", addr); !strings.Contains(out, `region`) || !strings.Contains(out, `"RegionOne"`) {
			t.Errorf("%s has no region RegionOne after the refresh:\n%s", addr, out)
		}
	}
	if out, err := acctest.Terraform(t, dir, newCLI, "plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Fatalf("the plan after the refresh is not empty:\n%s", out)
	}
	terraformOK(t, dir, newCLI, "destroy", "-auto-approve", "-input=false")
	checkNoImagesNamed(t, name)
	checkNoImagesNamed(t, name+"-target")
}
