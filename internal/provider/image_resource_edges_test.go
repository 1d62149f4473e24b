package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// testAccCheckImageStillActive checks that the image with that id is still in Glance, active.
func testAccCheckImageStillActive(t *testing.T, id *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		img, err := acctest.Client(t, acctest.Admin).GetImage(context.Background(), *id)
		if err != nil {
			return fmt.Errorf("image %s: %w", *id, err)
		}
		if img.Status != glance.StatusActive {
			return fmt.Errorf("image %s has status %s, want active", *id, img.Status)
		}
		return nil
	}
}

// TestAccImage_fixedIDReplacement: with id set in the configuration, a change that replaces the
// image (a new container_format, new file content) is a plan error on id, and nothing is
// deleted; without id the same change replaces the image under a new id.
func TestAccImage_fixedIDReplacement(t *testing.T) {
	name := acctest.RandomName("fixed-id")
	id := uuid.NewString()
	file, _ := acctest.WriteRandomFile(t, "", 64<<10)
	other, _ := acctest.WriteRandomFile(t, "", 64<<10)
	fixed := fmt.Sprintf("id = %q", id)
	want := regexp.MustCompile(`(?s)Image With a Fixed ID Cannot Be Replaced.*never\s+reuses\s+an\s+image\s+id.*Remove\s+id\s+from\s+the\s+configuration`)
	var kept string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name, fixed, fileSource(file)), Check: acctest.KeepID(testImageAddr, &kept),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("id"), knownvalue.StringExact(id))}},
			{Config: imageConfig(name, fixed, `container_format = "ovf"`, fileSource(file)), ExpectError: want},
			{Config: imageConfig(name, fixed, fileSource(other)), ExpectError: want},
			// Nothing was deleted: the same configuration plans no change.
			{Config: imageConfig(name, fixed, fileSource(file)), Check: testAccCheckImageStillActive(t, &kept),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("id"), knownvalue.StringExact(id))}},
			// The way out: without id, the replacement gets a new one.
			{Config: imageConfig(name, `container_format = "ovf"`, fileSource(file)), Check: func(s *terraform.State) error {
				got, err := acctest.ID(s, testImageAddr)
				if err == nil && got == id {
					err = fmt.Errorf("the replacement kept id %s", id)
				}
				return err
			}},
		},
	})
}

// TestAccImage_protectedPlanChecks: replacing or destroying a protected image fails at plan,
// with the way out, and nothing is deleted.
func TestAccImage_protectedPlanChecks(t *testing.T) {
	name := acctest.RandomName("protected-plan")
	file, _ := acctest.WriteRandomFile(t, "", 64<<10)
	var kept string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: imageConfig(name, `protected = true`, fileSource(file)), Check: acctest.KeepID(testImageAddr, &kept)},
			{Config: imageConfig(name, `protected = true`, `container_format = "ovf"`, fileSource(file)),
				ExpectError: regexp.MustCompile(`(?s)Protected Image Cannot Be Replaced.*container_format\s+changes.*protected\s+=\s+false.*Nothing\s+was\s+changed`)},
			// Unprotecting in the same change does not help: the old image is still protected when it is deleted.
			{Config: imageConfig(name, `protected = false`, `container_format = "ovf"`, fileSource(file)),
				ExpectError: regexp.MustCompile(`Protected Image Cannot Be Replaced`)},
			{Config: imageConfig(name, `protected = true`, fileSource(file)), Destroy: true,
				ExpectError: regexp.MustCompile(`(?s)Image Is Protected.*protected\s+=\s+false.*Nothing\s+was\s+changed`)},
			{Config: imageConfig(name, `protected = true`, fileSource(file)), Check: testAccCheckImageStillActive(t, &kept)},
			{Config: imageConfig(name, `protected = false`, fileSource(file))},
		},
	})
}

// TestAccImage_overQuota: a source file larger than what image_size_total has left is a plan
// error (a sparse file: nothing is read), and a 413 at upload names the project's quotas with
// their limits and usage.
func TestAccImage_overQuota(t *testing.T) {
	t.Run("file larger than the quota left", func(t *testing.T) {
		acctest.PreCheck(t)
		name := acctest.RandomName("quota-plan")
		usage, err := acctest.Client(t, acctest.Admin).Usage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		q, ok := usage[glance.QuotaImageSizeTotal]
		if !ok || q.Limit < 0 {
			t.Fatalf("the test environment reports no image_size_total limit: %v", usage)
		}
		file := filepath.Join(t.TempDir(), "huge.img")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// Larger than the whole limit, whatever other tests do to the usage meanwhile; sparse: it
		// takes no space.
		if err := os.Truncate(file, (q.Limit+1)<<20); err != nil {
			t.Fatal(err)
		}
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             testAccCheckImageDestroyed(t),
			// PlanOnly: should the check ever fail to fire, nothing is uploaded.
			Steps: []resource.TestStep{{Config: imageConfig(name, fileSource(file)), PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)Image Larger Than the Quota Left.*image_size_total\s+quota\s+has\s+only\s+\d+\s+bytes`)}},
		})
		testAccCheckNoImageNamed(t, name)
	})
	t.Run("413 at upload", func(t *testing.T) {
		proxy := acctest.NewFaultProxy(t, "")
		name := acctest.RandomName("quota-upload")
		file, _ := acctest.WriteRandomFile(t, "", 256<<10)
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t); proxy.FailWith(acctest.KindUpload, http.StatusRequestEntityTooLarge, 0) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             testAccCheckImageDestroyed(t),
			Steps: []resource.TestStep{{Config: faultConfig(proxy, name, file),
				ExpectError: regexp.MustCompile(`(?s)Error Uploading Image Data.*HTTP\s+413.*image_size_total\s+quota\s+\(limit\s+\d+\s+MiB,\s+usage\s+\d+\s+MiB\).*image\s+was\s+deleted`)}},
		})
		testAccCheckNoImageNamed(t, name)
	})
}
