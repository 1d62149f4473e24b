package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// threeImages creates three tagged images; the last one is created after the others.
func threeImages(name string) string {
	return fmt.Sprintf(`
resource "glance_image" "a" {
  name        = "%[1]s-a"
  disk_format = "raw"
  tags        = [%[1]q, "first"]
  properties  = { flavour = "vanilla" }
}

resource "glance_image" "b" {
  name        = "%[1]s-b"
  disk_format = "qcow2"
  tags        = [%[1]q]
  properties  = { flavour = "vanilla" }
}

resource "glance_image" "c" {
  name        = "%[1]s-c"
  disk_format = "iso"
  tags        = [%[1]q]
  properties  = { flavour = "chocolate" }
  depends_on  = [glance_image.a, glance_image.b]
}
`, name)
}

func TestAccImageDataSource_lookups(t *testing.T) {
	name := acctest.RandomName("ds")
	images := threeImages(name)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: images},
			{
				Config: images + fmt.Sprintf(`
data "glance_image" "by_id" {
  id = glance_image.b.id
}

data "glance_image" "by_name_and_tag" {
  name = "%[1]s-a"
  tags = [%[1]q]
}

data "glance_image" "by_property_newest" {
  tags        = [%[1]q]
  properties  = { flavour = "vanilla" }
  most_recent = true
}

data "glance_images" "all" {
  tags = [%[1]q]
  sort = "name:desc"
}
`, name),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.glance_image.by_id", tfjsonpath.New("name"), knownvalue.StringExact(name+"-b")),
					statecheck.ExpectKnownValue("data.glance_image.by_id", tfjsonpath.New("disk_format"), knownvalue.StringExact("qcow2")),
					statecheck.ExpectKnownValue("data.glance_image.by_id", tfjsonpath.New("status"), knownvalue.StringExact("queued")),
					statecheck.ExpectKnownValue("data.glance_image.by_name_and_tag", tfjsonpath.New("all_properties").AtMapKey("flavour"), knownvalue.StringExact("vanilla")),
					statecheck.ExpectKnownValue("data.glance_image.by_property_newest", tfjsonpath.New("name"), knownvalue.StringRegexp(regexp.MustCompile(`-(a|b)$`))),
					statecheck.ExpectKnownValue("data.glance_images.all", tfjsonpath.New("images"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(name + "-c")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(name + "-b")}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(name + "-a"), "disk_format": knownvalue.StringExact("raw")}),
					})),
				},
			},
			{
				Config:      images + fmt.Sprintf(`data "glance_image" "many" { tags = [%q] }`, name),
				ExpectError: regexp.MustCompile(`(?s)Several Images Found.*3 images match.*` + name),
			},
			{
				Config:      images + fmt.Sprintf(`data "glance_image" "none" { name = "%s-nothing" }`, name),
				ExpectError: regexp.MustCompile(`No Image Found`),
			},
			{
				Config:      images + "data \"glance_image\" \"conflict\" {\n  id   = glance_image.a.id\n  name = \"x\"\n}\n",
				ExpectError: regexp.MustCompile(`Invalid Attribute Combination`),
			},
		},
	})
}

// TestAccImagesDataSource_paging lists more images than one page holds: the client follows
// Glance's next links (through the /glance-prefixed admin endpoint).
func TestAccImagesDataSource_paging(t *testing.T) {
	name := acctest.RandomName("paging")
	vars := config.Variables{"name": config.StringVariable(name)}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{ConfigDirectory: config.TestStepDirectory(), ConfigVariables: vars},
			{
				// Glance's default page is 25 images.
				ConfigDirectory: config.TestStepDirectory(),
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.glance_images.all", tfjsonpath.New("images"), knownvalue.ListSizeExact(30)),
				},
			},
		},
	})
}
