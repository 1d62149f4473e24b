package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// Moves from terraform-provider-openstack (TPO) and pcd, through the terraform CLI as a user
// runs it. TPO is the real provider, built by scripts/tpo.sh (make tpo) into
// $GLANCE_ENV_DIR/bin; pcd is not on the Go module proxy, so its states are written by hand
// the way pcd writes them (its schemas: platform9/terraform-provider-pcd,
// internal/services/images/image_resource.go, image_access_resource.go,
// image_access_accept_resource.go).

// moveCLI writes a CLI configuration with dev_overrides for this provider (the binary of
// scripts/testacc.sh), when withTPO for TPO, and for pcd when pcdDir (holding a
// terraform-provider-pcd) is set; it returns the environment that selects it.
func moveCLI(t *testing.T, withTPO bool, pcdDir string) []string {
	t.Helper()
	cfg, err := os.ReadFile(os.Getenv("TF_CLI_CONFIG_FILE"))
	if err != nil {
		t.Fatalf("reading the CLI configuration of scripts/testacc.sh: %v", err)
	}
	m := regexp.MustCompile(`"glance-provider/glance"\s*=\s*"([^"]+)"`).FindSubmatch(cfg)
	if m == nil {
		t.Fatalf("no dev_overrides entry for glance-provider/glance in %s", os.Getenv("TF_CLI_CONFIG_FILE"))
	}
	overrides := fmt.Sprintf("    \"glance-provider/glance\" = %q\n", m[1])
	if withTPO {
		bin := filepath.Join(acctest.Env(t, "GLANCE_ENV_DIR"), "bin")
		if _, err := os.Stat(filepath.Join(bin, "terraform-provider-openstack")); err != nil {
			t.Fatalf("terraform-provider-openstack is not built: run make tpo (%v)", err)
		}
		overrides += fmt.Sprintf("    \"terraform-provider-openstack/openstack\" = %q\n", bin)
	}
	if pcdDir != "" {
		overrides += fmt.Sprintf("    \"platform9/pcd\" = %q\n", pcdDir)
	}
	p := filepath.Join(t.TempDir(), "move.tfrc")
	body := "provider_installation {\n  dev_overrides {\n" + overrides + "  }\n  direct {}\n}\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"TF_CLI_CONFIG_FILE=" + p}
}

// terraformOK runs the CLI and fails the test when it fails.
func terraformOK(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := acctest.Terraform(t, dir, env, args...)
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// plannedChange is one resource change of a saved plan (terraform show -json).
type plannedChange struct {
	Address         string `json:"address"`
	PreviousAddress string `json:"previous_address"`
	Change          struct {
		Actions []string       `json:"actions"`
		Before  map[string]any `json:"before"`
		After   map[string]any `json:"after"`
	} `json:"change"`
}

// planChanges plans into a file and returns its resource changes.
func planChanges(t *testing.T, dir string, env []string) []plannedChange {
	t.Helper()
	terraformOK(t, dir, env, "plan", "-input=false", "-out=tfplan")
	out := terraformOK(t, dir, env, "show", "-json", "tfplan")
	var plan struct {
		ResourceChanges []plannedChange `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &plan); err != nil {
		t.Fatalf("reading the plan: %v\n%s", err, out)
	}
	return plan.ResourceChanges
}

// checkOnlyMoves fails unless the plan moves exactly the pairs in moves (to -> from) and
// changes nothing.
func checkOnlyMoves(t *testing.T, changes []plannedChange, moves map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range changes {
		if want, ok := moves[c.Address]; !ok || c.PreviousAddress != want {
			t.Errorf("%s (from %q): not one of the expected moves %v", c.Address, c.PreviousAddress, moves)
		}
		if strings.Join(c.Change.Actions, ",") != "no-op" {
			t.Errorf("%s: actions %v, want no-op\nbefore: %v\nafter:  %v", c.Address, c.Change.Actions, c.Change.Before, c.Change.After)
		}
		seen[c.Address] = true
	}
	for to := range moves {
		if !seen[to] {
			t.Errorf("the plan does not move %s to %s", moves[to], to)
		}
	}
}

// stateIDs lists "address id" of every resource in the state.
func stateIDs(t *testing.T, dir string, env []string) map[string]string {
	t.Helper()
	out := terraformOK(t, dir, env, "show", "-json")
	var st struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &st); err != nil {
		t.Fatalf("reading the state: %v\n%s", err, out)
	}
	ids := map[string]string{}
	for _, r := range st.Values.RootModule.Resources {
		ids[r.Address], _ = r.Values["id"].(string)
	}
	return ids
}

// writeConfig replaces the configuration in dir.
func writeConfig(t *testing.T, dir, config string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

// deleteImagesNamed deletes what a failed test left (the test's context is over by then).
func deleteImagesNamed(t *testing.T, name string) {
	ctx := context.Background()
	c := acctest.Client(t, acctest.Admin)
	imgs, _ := c.ListImages(ctx, glance.ListImagesOptions{Name: name, Visibility: "all"})
	for _, img := range imgs {
		_ = c.DeleteImage(ctx, img.ID)
	}
}

// checkNoImagesNamed fails when Glance still has an image of that name.
func checkNoImagesNamed(t *testing.T, name string) {
	t.Helper()
	imgs, err := acctest.Client(t, acctest.Admin).ListImages(t.Context(), glance.ListImagesOptions{Name: name, Visibility: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 0 {
		t.Errorf("%d images named %s are left after destroy", len(imgs), name)
	}
}

func TestAccMove_fromOpenStack(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	dir := t.TempDir()
	env := moveCLI(t, true, "")
	file, _ := acctest.WriteRandomFile(t, "", 1<<20)
	name := acctest.RandomName("move-tpo")
	altUser, altPass, altProject := acctest.Alt.Credentials(t)
	altID := acctest.Alt.ProjectID(t)
	t.Cleanup(func() { deleteImagesNamed(t, name) })

	// 1. What a TPO user has: an image from a local file, shared with alt, accepted by alt.
	writeConfig(t, dir, fmt.Sprintf(`
terraform {
  required_providers {
    openstack = { source = "terraform-provider-openstack/openstack" }
  }
}
provider "openstack" {}
provider "openstack" {
  alias               = "alt"
  auth_url            = %[4]q
  user_name           = %[5]q
  password            = %[6]q
  tenant_name         = %[7]q
  user_domain_name    = "Default"
  project_domain_name = "Default"
}
resource "openstack_images_image_v2" "img" {
  name             = %[1]q
  local_file_path  = %[2]q
  container_format = "bare"
  disk_format      = "raw"
  visibility       = "shared"
  min_disk_gb      = 1
  tags             = ["golden", "v1"]
  properties       = { os_distro = "cirros", hw_disk_bus = "scsi" }
}
resource "openstack_images_image_access_v2" "member" {
  image_id  = openstack_images_image_v2.img.id
  member_id = %[3]q
}
resource "openstack_images_image_access_accept_v2" "accept" {
  provider = openstack.alt
  image_id = openstack_images_image_access_v2.member.image_id
  status   = "accepted"
}
`, name, file, altID, acctest.Env(t, "OS_AUTH_URL"), altUser, altPass, altProject))
	terraformOK(t, dir, env, "apply", "-auto-approve", "-input=false")
	before := stateIDs(t, dir, env)
	imageID := before["openstack_images_image_v2.img"]
	if imageID == "" {
		t.Fatalf("TPO created no image: %v", before)
	}

	// 2. The same resources in glance_* form, with moved {} blocks, and no openstack provider.
	writeConfig(t, dir, acctest.ExternalProvider+acctest.Alt.ProviderBlock(t, "alt")+fmt.Sprintf(`
provider "glance" {}
resource "glance_image" "img" {
  name        = %[1]q
  disk_format = "raw"
  visibility  = "shared"
  min_disk_gb = 1
  tags        = ["golden", "v1"]
  properties  = { os_distro = "cirros", hw_disk_bus = "scsi" }
  source      = { file = %[2]q }
}
resource "glance_image_member" "member" {
  image_id  = glance_image.img.id
  member_id = %[3]q
}
resource "glance_image_member_status" "accept" {
  provider = glance.alt
  image_id = glance_image_member.member.image_id
  status   = "accepted"
}
moved {
  from = openstack_images_image_v2.img
  to   = glance_image.img
}
moved {
  from = openstack_images_image_access_v2.member
  to   = glance_image_member.member
}
moved {
  from = openstack_images_image_access_accept_v2.accept
  to   = glance_image_member_status.accept
}
`, name, file, altID))
	checkOnlyMoves(t, planChanges(t, dir, env), map[string]string{
		"glance_image.img":                  "openstack_images_image_v2.img",
		"glance_image_member.member":        "openstack_images_image_access_v2.member",
		"glance_image_member_status.accept": "openstack_images_image_access_accept_v2.accept",
	})
	out := terraformOK(t, dir, env, "apply", "-input=false", "tfplan")
	if !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
		t.Errorf("applying the moves changed something:\n%s", out)
	}
	after := stateIDs(t, dir, env)
	if after["glance_image.img"] != imageID {
		t.Errorf("glance_image.img has id %q, want the TPO image %s", after["glance_image.img"], imageID)
	}
	if want := imageID + "/" + altID; after["glance_image_member.member"] != want || after["glance_image_member_status.accept"] != want {
		t.Errorf("member ids %v, want %s", after, want)
	}
	// 3. Settled: the next plan is empty, and nothing was uploaded again.
	if out, err := acctest.Terraform(t, dir, env, "plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Errorf("the plan after the move is not empty:\n%s", out)
	}
	m, err := acctest.Client(t, acctest.Alt).GetMember(t.Context(), imageID, altID)
	if err != nil || m.Status != glance.MemberAccepted {
		t.Errorf("alt's membership after the move: %+v, %v", m, err)
	}
	// 4. Destroy leaves nothing.
	terraformOK(t, dir, env, "destroy", "-auto-approve", "-input=false")
	if _, err := acctest.Client(t, acctest.Admin).GetImage(t.Context(), imageID); !glance.IsNotFound(err) {
		t.Errorf("image %s after destroy: %v", imageID, err)
	}
	checkNoImagesNamed(t, name)
}

// buildFakePCD builds testdata/fakepcd (see its comment) and returns its directory.
func buildFakePCD(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, "terraform-provider-pcd"), "./testdata/fakepcd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/fakepcd: %v\n%s", err, out)
	}
	return dir
}

// pcdState is a terraform.tfstate holding what pcd writes for an image from a local file
// (pcd_images_image), its member (pcd_images_image_access) and the member's acceptance
// (pcd_images_image_access_accept, under an aliased provider): attributes as pcd's schemas
// declare them, values as pcd's Create and Read set them.
func pcdState(img *glance.Image, file, memberID, region string) string {
	member := map[string]any{"id": img.ID + "/" + memberID, "image_id": img.ID, "member_id": memberID, "status": "accepted",
		"created_at": img.CreatedAt, "updated_at": img.UpdatedAt, "schema": "/v2/schemas/member", "region": region}
	accept := map[string]any{}
	for k, v := range member {
		accept[k] = v
	}
	instance := func(attrs map[string]any) []map[string]any {
		return []map[string]any{{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []any{}}}
	}
	state := map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "9d1c7e4e-0c36-4c84-9a43-5d2f0f5b1e01", "outputs": map[string]any{},
		"resources": []map[string]any{
			{"mode": "managed", "type": pcdImageType, "name": "img", "provider": `provider["registry.terraform.io/platform9/pcd"]`,
				"instances": instance(map[string]any{
					"id": img.ID, "name": img.Name, "container_format": "bare", "disk_format": "raw", "local_file_path": file,
					"image_source_url": nil, "min_disk_gb": 0, "min_ram_mb": 0, "protected": false, "visibility": "shared", "hidden": false,
					"tags": []string{"golden"}, "verify_checksum": true, "properties": map[string]string{"os_distro": "cirros"},
					"checksum": img.Checksum, "size_bytes": img.Size, "status": img.Status, "owner": img.Owner,
					"created_at": img.CreatedAt, "updated_at": img.UpdatedAt, "region": region,
				})},
			{"mode": "managed", "type": pcdAccessType, "name": "member", "provider": `provider["registry.terraform.io/platform9/pcd"]`,
				"instances": instance(member)},
			{"mode": "managed", "type": pcdAccessAcceptType, "name": "accept", "provider": `provider["registry.terraform.io/platform9/pcd"].alt`,
				"instances": instance(accept)},
		},
		"check_results": nil,
	}
	b, _ := json.MarshalIndent(state, "", "  ")
	return string(b)
}

func TestAccMove_fromPCD(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	ctx := t.Context()
	name := acctest.RandomName("move-pcd")
	file, _ := acctest.WriteRandomFile(t, "", 1<<20)
	altID := acctest.Alt.ProjectID(t)
	owner := acctest.Client(t, acctest.Admin)
	// What pcd would have made: an image with data from the file, shared with alt, accepted.
	img, err := owner.CreateImage(ctx, glance.CreateImageRequest{Name: name, DiskFormat: "raw", ContainerFormat: "bare",
		Visibility: "shared", Tags: []string{"golden"}, Properties: map[string]string{"os_distro": "cirros"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.DeleteImage(context.WithoutCancel(ctx), img.ID) })
	up, err := owner.UploadImage(ctx, img.ID, glance.FileSource(file), glance.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img = up.Image
	if _, err := owner.ShareImage(ctx, img.ID, altID); err != nil {
		t.Fatal(err)
	}
	if _, err := acctest.Client(t, acctest.Alt).UpdateMemberStatus(ctx, img.ID, altID, glance.MemberAccepted); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfstate"), []byte(pcdState(img, file, altID, acctest.Env(t, "OS_REGION_NAME"))), 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(file string) string {
		return acctest.ExternalProvider + acctest.Alt.ProviderBlock(t, "alt") + fmt.Sprintf(`
provider "glance" {}
resource "glance_image" "img" {
  name        = %[1]q
  disk_format = "raw"
  visibility  = "shared"
  tags        = ["golden"]
  properties  = { os_distro = "cirros" }
  source      = { file = %[2]q }
}
resource "glance_image_member" "member" {
  image_id  = glance_image.img.id
  member_id = %[3]q
}
resource "glance_image_member_status" "accept" {
  provider = glance.alt
  image_id = glance_image_member.member.image_id
  status   = "accepted"
}
moved {
  from = pcd_images_image.img
  to   = glance_image.img
}
moved {
  from = pcd_images_image_access.member
  to   = glance_image_member.member
}
moved {
  from = pcd_images_image_access_accept.accept
  to   = glance_image_member_status.accept
}
`, name, file, altID)
	}
	writeConfig(t, dir, config(file))

	// Terraform must be able to start the provider the state names, even to move away from it.
	out, err := acctest.Terraform(t, dir, moveCLI(t, false, ""), "plan", "-input=false")
	if err == nil || !strings.Contains(out, "registry.terraform.io/platform9/pcd") {
		t.Errorf("planning without a pcd provider: want terraform to ask for it, got (err %v)\n%s", err, out)
	}
	env := moveCLI(t, false, buildFakePCD(t))
	// A source file with other bytes than the image: the move plans a replacement, not an
	// empty plan (the file is compared by content).
	other, _ := acctest.WriteRandomFile(t, "", 1<<20)
	writeConfig(t, dir, config(other))
	replaced := false
	for _, c := range planChanges(t, dir, env) {
		replaced = replaced || c.Address == "glance_image.img" && strings.Join(c.Change.Actions, ",") == "delete,create"
	}
	if !replaced {
		t.Error("a moved image whose source file differs does not plan a replacement")
	}
	writeConfig(t, dir, config(file))
	checkOnlyMoves(t, planChanges(t, dir, env), map[string]string{
		"glance_image.img":                  "pcd_images_image.img",
		"glance_image_member.member":        "pcd_images_image_access.member",
		"glance_image_member_status.accept": "pcd_images_image_access_accept.accept",
	})
	out = terraformOK(t, dir, env, "apply", "-input=false", "tfplan")
	if !strings.Contains(out, "0 added, 0 changed, 0 destroyed") {
		t.Errorf("applying the moves changed something:\n%s", out)
	}
	if got := stateIDs(t, dir, env)["glance_image.img"]; got != img.ID {
		t.Errorf("glance_image.img has id %q, want %s", got, img.ID)
	}
	if out, err := acctest.Terraform(t, dir, env, "plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Errorf("the plan after the move is not empty:\n%s", out)
	}
	terraformOK(t, dir, env, "destroy", "-auto-approve", "-input=false")
	if _, err := owner.GetImage(ctx, img.ID); !glance.IsNotFound(err) {
		t.Errorf("image %s after destroy: %v", img.ID, err)
	}
	checkNoImagesNamed(t, name)
}
