package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// The test environment's catalog has RegionOne and RegionTwo on the Glance at :9292 and
// RegionThree on a second, plain Glance at :9294 with its own database and one store, so an
// image made in RegionThree exists only there (and has no multi-store stores).

// plainClient is a client of RegionThree's Glance.
func plainClient(t *testing.T) *glance.Client {
	t.Helper()
	return acctest.ClientAt(t, acctest.Admin, acctest.Env(t, "GLANCE_ACC_PLAIN_ENDPOINT"))
}

// testAccCheckImageIn checks through the clients that the image at addr is in the Glance of
// want ("plain" for RegionThree, "main" for RegionOne/RegionTwo) and not in the other one.
func testAccCheckImageIn(t *testing.T, addr, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, addr)
		if err != nil {
			return err
		}
		ctx := context.Background()
		_, inPlain := plainClient(t).GetImage(ctx, id)
		_, inMain := acctest.Client(t, acctest.Admin).GetImage(ctx, id)
		wantPlain := want == "plain"
		if (inPlain == nil) != wantPlain || (inMain == nil) == wantPlain {
			return fmt.Errorf("image %s: read from the plain Glance: %s; from the main Glance: %s; want it only in the %s one", id, errText(inPlain), errText(inMain), want)
		}
		return nil
	}
}

// errText is an error's message, or "found".
func errText(err error) string {
	if err == nil {
		return "found"
	}
	return err.Error()
}

// testAccCheckRegionImagesDestroyed checks that no glance_image of the state is left in
// either Glance.
func testAccCheckRegionImagesDestroyed(t *testing.T) func(*terraform.State) error {
	return func(s *terraform.State) error {
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "glance_image" {
				continue
			}
			for name, c := range map[string]*glance.Client{"plain": plainClient(t), "main": acctest.Client(t, acctest.Admin)} {
				if img, err := c.GetImage(context.Background(), rs.Primary.ID); err == nil && img.Status != glance.StatusDeleted {
					return fmt.Errorf("image %s still exists in the %s Glance", rs.Primary.ID, name)
				}
			}
		}
		return nil
	}
}

// TestAccRegion_imageAndMember creates an image and a membership in RegionThree, imports the
// image with @RegionThree, moves it to RegionTwo (a replacement) and leaves region out after
// that (it stays where it is).
func TestAccRegion_imageAndMember(t *testing.T) {
	name := acctest.RandomName("region")
	file, sum := acctest.WriteRandomFile(t, "", 64<<10)
	config := func(region string) string {
		return acctest.Admin.ProviderBlock(t, "") + imageConfig(name, fileSource(file), `visibility = "shared"`, region) + fmt.Sprintf(`
resource "glance_image_member" "test" {
  %s
  image_id  = glance_image.test.id
  member_id = %q
}
`, region, acctest.Alt.ProjectID(t))
	}
	region := func(r string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("region"), knownvalue.StringExact(r))
	}
	var ids imageIDs
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckRegionImagesDestroyed(t),
		Steps: []resource.TestStep{{
			Config: config(`region = "RegionThree"`),
			Check: resource.ComposeTestCheckFunc(ids.record, testAccCheckImageIn(t, testImageAddr, "plain"),
				func(s *terraform.State) error {
					id, _ := acctest.ID(s, testImageAddr)
					m, err := plainClient(t).GetMember(context.Background(), id, acctest.Alt.ProjectID(t))
					if err != nil || m.Status != glance.MemberPending {
						return fmt.Errorf("member in the plain Glance: %+v, %w", m, err)
					}
					return nil
				}),
			ConfigStateChecks: []statecheck.StateCheck{
				region("RegionThree"),
				statecheck.ExpectKnownValue("glance_image_member.test", tfjsonpath.New("region"), knownvalue.StringExact("RegionThree")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum)),
				// The plain Glance has no multi-store: no store holds the data by name.
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("stores"), knownvalue.ListSizeExact(0)),
			},
		}, {
			ResourceName: testImageAddr,
			ImportState:  true,
			ImportStateIdFunc: func(s *terraform.State) (string, error) {
				id, err := acctest.ID(s, testImageAddr)
				return id + "@RegionThree", err
			},
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"source", "timeouts"},
		}, {
			ResourceName: "glance_image_member.test",
			ImportState:  true,
			ImportStateIdFunc: func(s *terraform.State) (string, error) {
				id, err := acctest.ID(s, "glance_image_member.test")
				return id + "@RegionThree", err
			},
			ImportStateVerify: true,
		}, {
			// Another region replaces the image (and with it the membership).
			Config: config(`region = "RegionTwo"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				plancheck.ExpectResourceAction("glance_image_member.test", plancheck.ResourceActionDestroyBeforeCreate),
			}},
			Check: resource.ComposeTestCheckFunc(ids.record, testAccCheckImageIn(t, testImageAddr, "main"),
				func(*terraform.State) error {
					if _, err := plainClient(t).GetImage(context.Background(), ids.ids[0]); !glance.IsNotFound(err) {
						return fmt.Errorf("the replaced image %s in RegionThree: %w, want it deleted", ids.ids[0], err)
					}
					return nil
				}),
			ConfigStateChecks: []statecheck.StateCheck{region("RegionTwo")},
		}, {
			// Without region the resources stay in RegionTwo, not the provider's RegionOne.
			Config:            config(""),
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			ConfigStateChecks: []statecheck.StateCheck{region("RegionTwo")},
		}},
	})
}

// TestAccRegion_dataSources reads RegionThree's Glance with every data source and compares
// it with the provider's region.
func TestAccRegion_dataSources(t *testing.T) {
	acctest.PreCheck(t)
	name := acctest.RandomName("regionds")
	c := plainClient(t)
	ctx := context.Background()
	img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: name, DiskFormat: "raw", ContainerFormat: "bare", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteImage(context.Background(), img.ID) })
	config := acctest.Admin.ProviderBlock(t, "") + fmt.Sprintf(`
data "glance_image" "three" {
  region = "RegionThree"
  name   = %[1]q
}
data "glance_images" "three" {
  region = "RegionThree"
  name   = %[1]q
}
data "glance_images" "one" {
  name = %[1]q
}
data "glance_stores" "three" {
  region = "RegionThree"
}
data "glance_stores" "one" {}
data "glance_import_methods" "three" {
  region = "RegionThree"
}
data "glance_usage" "three" {
  region = "RegionThree"
}
data "glance_cache" "three" {
  region = "RegionThree"
}
`, name)
	regionIs := func(addr, want string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New("region"), knownvalue.StringExact(want))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_image.three", tfjsonpath.New("id"), knownvalue.StringExact(img.ID)),
				statecheck.ExpectKnownValue("data.glance_images.three", tfjsonpath.New("images"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownValue("data.glance_images.one", tfjsonpath.New("images"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.glance_stores.three", tfjsonpath.New("stores"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.glance_stores.one", tfjsonpath.New("stores"), knownvalue.ListSizeExact(2)),
				statecheck.ExpectKnownValue("data.glance_import_methods.three", tfjsonpath.New("methods"), knownvalue.ListSizeExact(4)),
				// The plain Glance enforces no quotas; the main one does.
				statecheck.ExpectKnownValue("data.glance_usage.three", tfjsonpath.New("image_count_total"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.glance_cache.three", tfjsonpath.New("cached_images"), knownvalue.NotNull()),
				regionIs("data.glance_image.three", "RegionThree"),
				regionIs("data.glance_stores.three", "RegionThree"),
				regionIs("data.glance_usage.three", "RegionThree"),
				regionIs("data.glance_cache.three", "RegionThree"),
				regionIs("data.glance_import_methods.three", "RegionThree"),
				regionIs("data.glance_stores.one", "RegionOne"),
			},
		}},
	})
}

// TestAccRegion_unknownRegion: a region without an image endpoint fails the plan on region
// and lists the catalog's regions, for a resource and for a data source.
func TestAccRegion_unknownRegion(t *testing.T) {
	name := acctest.RandomName("noregion")
	// Terraform wraps the detail: any space may be a line break.
	spaced := func(s string) string { return strings.ReplaceAll(regexp.QuoteMeta(s), " ", `\s+`) }
	want := regexp.MustCompile("(?s)Unknown Region.*" + spaced(`region = "RegionNine"`) + `.*` +
		spaced("Regions with an image endpoint: `RegionOne`, `RegionThree`, `RegionTwo`."))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config:      acctest.Admin.ProviderBlock(t, "") + imageConfig(name, `region = "RegionNine"`),
			PlanOnly:    true,
			ExpectError: want,
		}, {
			Config:      acctest.Admin.ProviderBlock(t, "") + `data "glance_stores" "nine" { region = "RegionNine" }`,
			PlanOnly:    true,
			ExpectError: want,
		}, {
			Config:      acctest.Admin.ProviderBlock(t, "") + imageConfig(name, `region = ""`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)region.*string length must be at least 1`),
		}},
	})
}

// TestAccRegion_glanceDownloadAcrossGlances: the use that needs per-object regions. One
// configuration uploads an image in RegionOne and has RegionThree's Glance download it
// (glance-download from glance_region RegionOne into an image whose region is RegionThree).
func TestAccRegion_glanceDownloadAcrossGlances(t *testing.T) {
	name := acctest.RandomName("download")
	file, sum := acctest.WriteRandomFile(t, "", 256<<10)
	config := acctest.Admin.ProviderBlock(t, "") + fmt.Sprintf(`
resource "glance_image" "source" {
  name        = "%[1]s-source"
  disk_format = "raw"
  source = {
    file = %[2]q
  }
}
resource "glance_image" "target" {
  region      = "RegionThree"
  name        = "%[1]s-target"
  disk_format = "raw"
}
resource "glance_image_import" "target" {
  region          = "RegionThree"
  image_id        = glance_image.target.id
  method          = "glance-download"
  glance_image_id = glance_image.source.id
  glance_region   = "RegionOne"
}
`, name, file)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckRegionImagesDestroyed(t),
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeTestCheckFunc(testAccCheckImageIn(t, "glance_image.source", "main"), testAccCheckImageIn(t, "glance_image.target", "plain"),
				func(s *terraform.State) error {
					id, _ := acctest.ID(s, "glance_image.target")
					img, err := plainClient(t).GetImage(context.Background(), id)
					if err != nil || img.Status != glance.StatusActive || img.OSHashValue != sum {
						return fmt.Errorf("the downloaded image in RegionThree: %+v, %w (want active with os_hash_value %s)", img, err, sum)
					}
					return nil
				}),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.target", tfjsonpath.New("region"), knownvalue.StringExact("RegionThree")),
				statecheck.ExpectKnownValue("glance_image_import.target", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum)),
			},
		}},
	})
}
