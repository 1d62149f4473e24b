package provider

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

const testImageAddr = "glance_image.test"

// imageConfig renders a glance_image "test" with the given extra lines.
func imageConfig(name string, lines ...string) string {
	return fmt.Sprintf("resource \"glance_image\" \"test\" {\n  name        = %q\n  disk_format = \"raw\"\n  %s\n}\n", name, strings.Join(lines, "\n  "))
}

func fileSource(p string, extra ...string) string {
	return fmt.Sprintf("source = {\n    file = %q\n    %s\n  }", p, strings.Join(extra, "\n    "))
}

// testAccCheckImageDestroyed checks through the client that no glance_image of the state
// exists any more.
func testAccCheckImageDestroyed(t *testing.T) func(*terraform.State) error {
	return func(s *terraform.State) error {
		c := acctest.Client(t, acctest.Admin)
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "glance_image" || rs.Primary == nil {
				continue
			}
			img, err := c.GetImage(context.Background(), rs.Primary.ID)
			if err == nil && img.Status != glance.StatusDeleted {
				return fmt.Errorf("image %s still exists (status %s)", rs.Primary.ID, img.Status)
			}
			if err != nil && !glance.IsNotFound(err) {
				return err
			}
		}
		return nil
	}
}

// testAccCheckImageData downloads the image and compares its sha512 with want.
func testAccCheckImageData(t *testing.T, addr, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, addr)
		if err != nil {
			return err
		}
		rc, err := acctest.Client(t, acctest.Admin).Download(context.Background(), id, 0, -1)
		if err != nil {
			return err
		}
		defer func() { _ = rc.Close() }()
		h := sha512.New()
		if _, err := io.Copy(h, rc); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return fmt.Errorf("downloaded data of %s has sha512 %s, want %s", id, got, want)
		}
		return nil
	}
}

// testAccCheckImageInGlance reads glance_image.test through the client and runs check on it.
func testAccCheckImageInGlance(t *testing.T, check func(*glance.Image) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, testImageAddr)
		if err != nil {
			return err
		}
		img, err := acctest.Client(t, acctest.Admin).GetImage(context.Background(), id)
		if err != nil {
			return err
		}
		return check(img)
	}
}

// imageIDs records the image id of each step, to compare across steps: of glance_image.test,
// or of the resource at addr when set.
type imageIDs struct {
	addr string
	ids  []string
}

func (r *imageIDs) record(s *terraform.State) error {
	addr := r.addr
	if addr == "" {
		addr = testImageAddr
	}
	id, err := acctest.ID(s, addr)
	r.ids = append(r.ids, id)
	return err
}

func TestAccImage_basic(t *testing.T) {
	name := acctest.RandomName("basic")
	file, sum := acctest.WriteRandomFile(t, "", 3<<20+17)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: imageConfig(name, fileSource(file), `properties = { os_distro = "cirros" }`, `tags = ["b", "a"]`),
			Check:  testAccCheckImageData(t, testImageAddr, sum),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("size"), knownvalue.Int64Exact(3<<20+17)),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_algo"), knownvalue.StringExact("sha512")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum)),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("stores"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("fast")})),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("visibility"), knownvalue.StringExact("private")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("container_format"), knownvalue.StringExact("bare")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("a"), knownvalue.StringExact("b")})),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("all_properties").AtMapKey("os_distro"), knownvalue.StringExact("cirros")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(uuidPattern)),
			},
		}, {
			ResourceName:            testImageAddr,
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"source", "timeouts"},
		}},
	})
}

// TestAccImage_importRoundTrip imports an image made outside Terraform, then declares it with a
// source whose content matches: the plan records the source in place, without a replace.
func TestAccImage_importRoundTrip(t *testing.T) {
	name := acctest.RandomName("import")
	file, sum := acctest.WriteRandomFile(t, "", 1<<20)
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum256 := sha256.Sum256(content)
	c := acctest.Client(t, acctest.Admin)
	ctx := context.Background()
	// other_tool stands for a property another tool set: the configuration does not declare it.
	img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: name, DiskFormat: "raw", ContainerFormat: "bare", Visibility: "private", Tags: []string{"x"},
		Properties: map[string]string{"os_distro": "ubuntu", "other_tool": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteImage(ctx, img.ID) })
	if _, err := c.Upload(ctx, img.ID, glance.FileSource(file), glance.TransferOptions{}); err != nil {
		t.Fatal(err)
	}
	config := func(checksum string) string {
		return imageConfig(name, fileSource(file, checksum), `tags = ["x"]`, `properties = { os_distro = "ubuntu" }`)
	}
	sameImage := statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("id"), knownvalue.StringExact(img.ID))
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionUpdate)}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:             config(""),
			ResourceName:       testImageAddr,
			ImportState:        true,
			ImportStateId:      img.ID,
			ImportStatePersist: true,
			ImportStateCheck: func(s []*terraform.InstanceState) error {
				if len(s) != 1 || s[0].Attributes["os_hash_value"] != sum || s[0].Attributes["properties.os_distro"] != "ubuntu" {
					return fmt.Errorf("imported state: %v", s)
				}
				return nil
			},
		}, {
			// The source is recorded in place; the undeclared property stays in Glance.
			Config:            config(""),
			ConfigPlanChecks:  update,
			ConfigStateChecks: []statecheck.StateCheck{sameImage},
			Check: testAccCheckImageInGlance(t, func(img *glance.Image) error {
				if img.Properties["other_tool"] != "v" || img.Properties["os_distro"] != "ubuntu" {
					return fmt.Errorf("properties after the first apply: %v; want os_distro and other_tool kept", img.Properties)
				}
				return nil
			}),
		}, {
			// A checksum that is not the file's fails the plan, before anything is replaced.
			Config:      config(`checksum = "sha256:` + strings.Repeat("0", 64) + `"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Source Checksum Mismatch.*sha256\s+` + hex.EncodeToString(sum256[:])),
		}, {
			// The right one (in upper case, too) is recorded in place: the data is the same.
			Config:            config(`checksum = "SHA256:` + strings.ToUpper(hex.EncodeToString(sum256[:])) + `"`),
			ConfigPlanChecks:  update,
			ConfigStateChecks: []statecheck.StateCheck{sameImage},
		}, {
			// Only the letter case changed: recorded in place, not a replacement.
			Config:            config(`checksum = "sha256:` + hex.EncodeToString(sum256[:]) + `"`),
			ConfigPlanChecks:  update,
			ConfigStateChecks: []statecheck.StateCheck{sameImage},
		}},
	})
}

func TestAccImage_updateInPlace(t *testing.T) {
	name := acctest.RandomName("update")
	file, _ := acctest.WriteRandomFile(t, "", 1<<20)
	ids := &imageIDs{}
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionUpdate)}}
	step := func(checks []statecheck.StateCheck, lines ...string) resource.TestStep {
		return resource.TestStep{Config: imageConfig(name+"-x", append([]string{fileSource(file)}, lines...)...), ConfigPlanChecks: update, ConfigStateChecks: checks, Check: ids.record}
	}
	attr := func(name string, v knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New(name), v)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name, fileSource(file), `properties = { a = "1", b = "2" }`), Check: ids.record},
			step([]statecheck.StateCheck{attr("name", knownvalue.StringExact(name+"-x"))}, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{attr("visibility", knownvalue.StringExact("shared"))}, `visibility = "shared"`, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{attr("protected", knownvalue.Bool(true))}, `visibility = "community"`, `protected = true`, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{attr("hidden", knownvalue.Bool(true)), attr("protected", knownvalue.Bool(false))}, `hidden = true`, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{attr("min_disk_gb", knownvalue.Int64Exact(2)), attr("min_ram_mb", knownvalue.Int64Exact(512))}, `min_disk_gb = 2`, `min_ram_mb = 512`, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{attr("tags", knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("t1"), knownvalue.StringExact("t 2")}))}, `tags = ["t1", "t 2"]`, `properties = { a = "1", b = "2" }`),
			step([]statecheck.StateCheck{
				attr("properties", knownvalue.MapExact(map[string]knownvalue.Check{"a": knownvalue.StringExact("10"), "c": knownvalue.StringExact("3")})),
				attr("all_properties", knownvalue.MapExact(map[string]knownvalue.Check{"a": knownvalue.StringExact("10"), "c": knownvalue.StringExact("3")})),
			}, `properties = { a = "10", c = "3" }`),
			step([]statecheck.StateCheck{attr("deactivated", knownvalue.Bool(true)), attr("status", knownvalue.StringExact("deactivated"))}, `deactivated = true`),
			step([]statecheck.StateCheck{attr("deactivated", knownvalue.Bool(false)), attr("status", knownvalue.StringExact("active"))}),
			{
				// A property added outside Terraform is not drift.
				PreConfig: func() {
					c := acctest.Client(t, acctest.Admin)
					if _, err := c.UpdateImage(context.Background(), ids.ids[len(ids.ids)-1], []glance.PatchOp{{Op: "add", Path: "/added_elsewhere", Value: "x"}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:   imageConfig(name+"-x", fileSource(file)),
				PlanOnly: true,
			},
		},
	})
	for i, id := range ids.ids {
		if id != ids.ids[0] {
			t.Fatalf("step %d has image %s, want %s: in-place updates must keep the id", i+1, id, ids.ids[0])
		}
	}
}

func TestAccImage_contentChange(t *testing.T) {
	name := acctest.RandomName("content")
	dir := t.TempDir()
	file := filepath.Join(dir, "disk.img")
	write := func(content []byte) {
		if err := os.WriteFile(file, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := bytes.Repeat([]byte("first content "), 40000)
	write(first)
	moved := filepath.Join(dir, "moved.img")
	ids := &imageIDs{}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name, fileSource(file)), Check: ids.record},
			{
				// Touched, same content: no change.
				PreConfig: func() {
					later := time.Now().Add(time.Hour)
					if err := os.Chtimes(file, later, later); err != nil {
						t.Fatal(err)
					}
				},
				Config:           imageConfig(name, fileSource(file)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            ids.record,
			},
			{
				// Moved to another path, same content: the path is recorded, the image stays.
				PreConfig: func() {
					if err := os.Rename(file, moved); err != nil {
						t.Fatal(err)
					}
				},
				Config:           imageConfig(name, fileSource(moved)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionUpdate)}},
				Check:            ids.record,
			},
			{
				// New content: replaced.
				PreConfig:        func() { write([]byte("second, different content")); _ = os.Rename(file, moved) },
				Config:           imageConfig(name, fileSource(moved)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionDestroyBeforeCreate)}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("size"), knownvalue.Int64Exact(int64(len("second, different content")))),
				},
				Check: ids.record,
			},
		},
	})
	if ids.ids[0] != ids.ids[1] || ids.ids[1] != ids.ids[2] || ids.ids[2] == ids.ids[3] {
		t.Fatalf("ids %v: want the same id until the content changed, then a new one", ids.ids)
	}
}

func TestAccImage_urlSource(t *testing.T) {
	name := acctest.RandomName("url")
	content := bytes.Repeat([]byte("served by the test web server "), 100000)
	u := acctest.WebFile(t, name+".img", content)
	sum := sha512.Sum512(content)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			ConfigDirectory: config.TestNameDirectory(),
			ConfigVariables: config.Variables{"name": config.StringVariable(name), "url": config.StringVariable(u),
				"checksum": config.StringVariable("sha512:" + hex.EncodeToString(sum[:]))},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(hex.EncodeToString(sum[:]))),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("source").AtMapKey("headers"), knownvalue.Null()),
			},
		}},
	})
}

func TestAccImage_compressedSources(t *testing.T) {
	content := bytes.Repeat([]byte("compressible image data "), 200000)
	sum := sha512.Sum512(content)
	dir := t.TempDir()
	var gz, xzb, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	_, _ = gw.Write(content)
	_ = gw.Close()
	xw, _ := xz.NewWriter(&xzb)
	_, _ = xw.Write(content)
	_ = xw.Close()
	zw, _ := zstd.NewWriter(&zs)
	_, _ = zw.Write(content)
	_ = zw.Close()
	files := map[string][]byte{"img.gz": gz.Bytes(), "img.xz": xzb.Bytes(), "img.zst": zs.Bytes()}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	name := acctest.RandomName("compressed")
	var checks []statecheck.StateCheck
	for i := range 3 {
		addr := fmt.Sprintf("glance_image.c%d", i)
		checks = append(checks,
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(hex.EncodeToString(sum[:]))),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("size"), knownvalue.Int64Exact(int64(len(content)))))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			ConfigDirectory:   config.TestNameDirectory(),
			ConfigVariables:   config.Variables{"name": config.StringVariable(name), "dir": config.StringVariable(dir)},
			ConfigStateChecks: checks,
		}},
	})
}

func TestAccImage_storeAndRecordOnly(t *testing.T) {
	name := acctest.RandomName("store")
	file, sum := acctest.WriteRandomFile(t, "", 1<<20)
	record := func(lines ...string) string {
		return imageConfig(name, fileSource(file), `store = "slow"`) + `
resource "glance_image" "record" {
  name        = "` + name + `-record"
  disk_format = "raw" # the random bytes of step 3 are raw: a qcow2 record would fail the disk-format check
  ` + strings.Join(lines, "\n  ") + `
}`
	}
	recordIDs := &imageIDs{addr: "glance_image.record"}
	recordID := recordIDs.record
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: record(),
			Check:  recordID,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("stores"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("slow")})),
				statecheck.ExpectKnownValue("glance_image.record", tfjsonpath.New("status"), knownvalue.StringExact("queued")),
				statecheck.ExpectKnownValue("glance_image.record", tfjsonpath.New("stores"), knownvalue.ListSizeExact(0)),
			},
		}, {
			// Without source, store has no effect: no replacement.
			Config: record(`store = "slow"`),
			Check:  recordID,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("glance_image.record", plancheck.ResourceActionUpdate),
			}},
		}, {
			// A source added to a record without data: a new image with the data replaces it.
			Config: record(`store = "slow"`, fileSource(file)),
			Check:  resource.ComposeTestCheckFunc(recordID, testAccCheckImageData(t, "glance_image.record", sum)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("glance_image.record", plancheck.ResourceActionDestroyBeforeCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image.record", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image.record", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum)),
				statecheck.ExpectKnownValue("glance_image.record", tfjsonpath.New("stores"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("slow")})),
			},
		}},
	})
	if recordIDs.ids[0] != recordIDs.ids[1] || recordIDs.ids[1] == recordIDs.ids[2] {
		t.Fatalf("record ids %v: want the same image after the store change and a new one with the data", recordIDs.ids)
	}
}

func TestAccImage_disappears(t *testing.T) {
	name := acctest.RandomName("disappears")
	ids := &imageIDs{}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name), Check: ids.record},
			{
				PreConfig: func() {
					if err := acctest.Client(t, acctest.Admin).DeleteImage(context.Background(), ids.ids[0]); err != nil {
						t.Fatal(err)
					}
				},
				Config:           imageConfig(name),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionCreate)}},
				Check:            ids.record,
			},
		},
	})
	if ids.ids[0] == ids.ids[1] {
		t.Fatal("the image deleted out of band was not re-created")
	}
}

func TestAccImage_protectedDelete(t *testing.T) {
	name := acctest.RandomName("protected")
	file, _ := acctest.WriteRandomFile(t, "", 64<<10)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name, `protected = true`, fileSource(file)), Check: testAccCheckImageInGlance(t, func(img *glance.Image) error {
				if !img.Protected || img.Status != glance.StatusActive {
					return fmt.Errorf("image is %s, protected %t; want active and protected", img.Status, img.Protected)
				}
				return nil
			})},
			{Config: imageConfig(name, `protected = true`, fileSource(file)), Destroy: true, ExpectError: regexp.MustCompile(`(?s)Image Is Protected.*protected = false`)},
			{Config: imageConfig(name, `protected = false`, fileSource(file))},
		},
	})
}

// TestAccImage_failedUploadLeavesNothing: a wrong expected checksum fails the apply, and no image
// of that name is left in Glance.
func TestAccImage_failedUploadLeavesNothing(t *testing.T) {
	name := acctest.RandomName("failed")
	file, _ := acctest.WriteRandomFile(t, "", 1<<20)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			// protected too: the image is protected only after its data is verified, or it
			// could not be deleted.
			Config:      imageConfig(name, `protected = true`, fileSource(file, `checksum = "sha256:`+strings.Repeat("0", 64)+`"`)),
			ExpectError: regexp.MustCompile(`(?s)Image Checksum Mismatch.*image\s+was\s+deleted`),
		}, {
			// The error left nothing behind: no image with that name.
			Config: `data "glance_images" "left" {
  name = "` + name + `"
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_images.left", tfjsonpath.New("images"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
	imgs, err := acctest.Client(t, acctest.Admin).ListImages(context.Background(), glance.ListImagesOptions{Name: name})
	if err != nil || len(imgs) != 0 {
		t.Fatalf("images named %s after the failed apply: %v %v", name, imgs, err)
	}
}

func TestAccImage_planErrors(t *testing.T) {
	dir := t.TempDir()
	file, _ := acctest.WriteRandomFile(t, dir, 1024)
	cases := map[string]struct {
		config string
		want   string
	}{
		"missing file":      {imageConfig("x", fileSource(filepath.Join(dir, "nope.img"))), `Source File Not Found`},
		"directory":         {imageConfig("x", fileSource(dir)), `Source Is a Directory`},
		"file and url":      {imageConfig("x", `source = { file = "`+file+`", url = "http://127.0.0.1:8000/x" }`), `Conflicting Image Sources`},
		"no file nor url":   {imageConfig("x", `source = { decompress = "auto" }`), `Missing Image Source`},
		"bad url":           {imageConfig("x", `source = { url = "ftp://example.com/x" }`), `Invalid Source URL`},
		"bad disk_format":   {strings.Replace(imageConfig("x"), `"raw"`, `"qcow3"`, 1), `(?s)disk_format.*qcow2`},
		"bad checksum":      {imageConfig("x", fileSource(file, `checksum = "sha256:abc"`)), `Invalid Checksum`},
		"unknown store":     {imageConfig("x", fileSource(file), `store = "nosuch"`), `(?s)Unknown Store.*fast, slow`},
		"reserved property": {imageConfig("x", `properties = { os_glance_failed_import = "x" }`), `Reserved Property Name`},
		"bad decompress":    {imageConfig("x", fileSource(file, `decompress = "rar"`)), `(?s)decompress.*zstd`},
		"bad id":            {imageConfig("x", `id = "not-a-uuid"`), `must be a UUID`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: regexp.MustCompile(tc.want)}},
			})
		})
	}
}

func TestPropertyPatchOps(t *testing.T) {
	ops := propertyPatchOps(
		map[string]string{"a": "1", "b": "2", "gone": "x"},
		map[string]string{"a": "1", "b": "3", "new": "n"},
		map[string]string{"a": "1", "b": "2", "server": "s"},
	)
	var got []string
	for _, o := range ops {
		got = append(got, fmt.Sprintf("%s %s %v", o.Op, o.Path, o.Value))
	}
	// a unchanged; b changed; new added; gone is no longer on the server, so not removed;
	// server-added keys are left alone.
	want := []string{"add /b 3", "add /new n"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("ops = %v, want %v", got, want)
	}
	ops = propertyPatchOps(map[string]string{"a/b": "1"}, map[string]string{}, map[string]string{"a/b": "1"})
	if len(ops) != 1 || ops[0].Op != "remove" || ops[0].Path != "/a~1b" {
		t.Fatalf("ops = %+v", ops)
	}
}

func TestFlattenImage_declaredPropertiesOnly(t *testing.T) {
	img := &glance.Image{ID: "i", Name: "n", Status: "active", Properties: map[string]string{"a": "1", "added": "x", "os_glance_failed_import": ""}}
	m := imageModel{Properties: types.MapValueMust(types.StringType, map[string]attr.Value{"a": types.StringValue("old")})}
	flattenImage(img, &m, false)
	if len(m.Properties.Elements()) != 1 || m.Properties.Elements()["a"] != types.StringValue("1") || len(m.AllProperties.Elements()) != 3 {
		t.Fatalf("properties %v all %v", m.Properties, m.AllProperties)
	}
	adopted := imageModel{}
	flattenImage(img, &adopted, true)
	if len(adopted.Properties.Elements()) != 2 {
		t.Fatalf("adopted %v: want a and added, not the os_glance key", adopted.Properties)
	}
}

func TestImageFingerprint_matches(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(f, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(f)
	fp := newImageFingerprint(f, st, "none", "sha512", "d")
	if !fp.matches(f, st, "none", "sha512") {
		t.Fatal("fingerprint does not match its own file")
	}
	later := st.ModTime().Add(time.Second)
	_ = os.Chtimes(f, later, later)
	st2, _ := os.Stat(f)
	if fp.matches(f, st2, "none", "sha512") || fp.matches(f+"2", st, "none", "sha512") || fp.matches(f, st, "gzip", "sha512") {
		t.Fatal("fingerprint matches a changed file")
	}
	var nilFP *imageFingerprint
	if nilFP.matches(f, st, "none", "sha512") {
		t.Fatal("nil fingerprint matches")
	}
}

// fakePrivate is a privateState in memory.
type fakePrivate map[string][]byte

func (f fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return f[key], nil
}

func (f fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	f[key] = value
	return nil
}

// TestRefreshImageFingerprint: a touched file is hashed once, on refresh, and its new
// fingerprint kept, so that later runs do not hash it again.
func TestRefreshImageFingerprint(t *testing.T) {
	ctx := context.Background()
	file, sum := acctest.WriteRandomFile(t, "", 256<<10)
	state := imageModel{
		Source:     &imageSourceModel{File: types.StringValue(file), Decompress: types.StringValue("none")},
		imageAttrs: imageAttrs{OSHashAlgo: types.StringValue("sha512"), OSHashValue: types.StringValue(sum)},
	}
	first := fakePrivate{}
	if diags := refreshImageFingerprint(ctx, state, fakePrivate{}, first); diags.HasError() {
		t.Fatal(diags)
	}
	fp, _ := loadImageFingerprint(ctx, first)
	if fp == nil || fp.Digest != sum || fp.Path != file {
		t.Fatalf("fingerprint after the first refresh: %+v; want the file's sha512", fp)
	}
	// Unchanged file: nothing is hashed or written again.
	second := fakePrivate{}
	_ = refreshImageFingerprint(ctx, state, first, second)
	if len(second) != 0 {
		t.Fatalf("the refresh of an unchanged file wrote %v; want nothing", second)
	}
	// Touched: hashed again, same digest, new mtime kept.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	third := fakePrivate{}
	_ = refreshImageFingerprint(ctx, state, first, third)
	if fp, _ := loadImageFingerprint(ctx, third); fp == nil || fp.Digest != sum || fp.ModTimeNs != later.UnixNano() {
		t.Fatalf("fingerprint after a touch: %+v; want the same digest with the new mtime", fp)
	}
}
