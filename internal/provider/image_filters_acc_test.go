package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// filterImages are three images made through the API, one second apart (Glance keeps times to
// the second), so that the time filters can tell them apart:
//
//	alpha-1  tags name, red   1000 bytes  created first, updated last
//	alpha-2  tags name, blue  3000 bytes
//	beta     tags name, red   no data     shared with alt (pending)
type filterImages struct {
	name                    string
	alpha1, alpha2, beta    *glance.Image
	alpha1Updated, betaTime string
}

func makeFilterImages(t *testing.T) filterImages {
	t.Helper()
	ctx := t.Context()
	c := acctest.Client(t, acctest.Admin)
	f := filterImages{name: acctest.RandomName("filters")}
	create := func(suffix, visibility string, size int64, tags ...string) *glance.Image {
		img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: f.name + "-" + suffix, DiskFormat: "raw", ContainerFormat: "bare",
			Visibility: visibility, Tags: append(tags, f.name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.DeleteImage(context.Background(), img.ID) })
		if size > 0 {
			file, _ := acctest.WriteRandomFile(t, "", size)
			up, err := c.UploadImage(ctx, img.ID, glance.FileSource(file), glance.UploadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			img = up.Image
		}
		time.Sleep(1100 * time.Millisecond)
		return img
	}
	f.alpha1 = create("alpha-1", "private", 1000, "red")
	f.alpha2 = create("alpha-2", "private", 3000, "blue")
	f.beta = create("beta", "shared", 0, "red")
	if _, err := c.ShareImage(ctx, f.beta.ID, acctest.Alt.ProjectID(t)); err != nil {
		t.Fatal(err)
	}
	beta, err := c.GetImage(ctx, f.beta.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.betaTime = beta.UpdatedAt
	updated, err := c.UpdateImage(ctx, f.alpha1.ID, []glance.PatchOp{{Op: "add", Path: "/flavour", Value: "vanilla"}})
	if err != nil {
		t.Fatal(err)
	}
	f.alpha1Updated = updated.UpdatedAt
	if f.alpha1Updated <= f.betaTime {
		t.Fatalf("alpha-1 updated at %s, not after beta's %s", f.alpha1Updated, f.betaTime)
	}
	return f
}

// nextSecond is the second after a time Glance showed. Glance shows times to the second but
// keeps (and compares) fractions of it, so an image is after its own shown created_at.
func nextSecond(t *testing.T, shown string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, shown)
	if err != nil {
		t.Fatal(err)
	}
	return ts.Add(time.Second).UTC().Format(time.RFC3339)
}

// names expects a glance_images result to list exactly these images, in this order.
func names(address string, want ...string) statecheck.StateCheck {
	checks := make([]knownvalue.Check, 0, len(want))
	for _, n := range want {
		checks = append(checks, knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(n)}))
	}
	return statecheck.ExpectKnownValue(address, tfjsonpath.New("images"), knownvalue.ListExact(checks))
}

func TestAccImagesDataSource_tpoFilters(t *testing.T) {
	acctest.PreCheck(t)
	f := makeFilterImages(t)
	n := f.name
	adminProject := acctest.Admin.ProjectID(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: `data "glance_images" "bad" { created_at_filter = "after:2026-01-31T00:00:00Z" }`, ExpectError: regexp.MustCompile(`(?s)Invalid Time Filter.*does not start with an operator`)},
			{Config: `data "glance_images" "bad" { updated_at_filter = "gte:yesterday" }`, ExpectError: regexp.MustCompile(`(?s)Invalid Time Filter.*not an ISO 8601 time`)},
			{Config: `data "glance_images" "bad" { name_regex = "ubuntu-(" }`, ExpectError: regexp.MustCompile(`Invalid Regular Expression`)},
			{Config: "data \"glance_images\" \"bad\" {\n  name       = \"x\"\n  name_regex = \"x\"\n}", ExpectError: regexp.MustCompile(`Invalid Attribute Combination`)},
			{Config: `data "glance_images" "bad" { properties = { created_at = "gt:2026-01-31T00:00:00Z" } }`, ExpectError: regexp.MustCompile(`(?s)properties`)}, {
				Config: fmt.Sprintf(`
data "glance_images" "regex" {
  tags       = [%[1]q]
  name_regex = "-alpha-[0-9]$"
  sort       = "name:asc"
}
data "glance_images" "tag" {
  tags = [%[1]q]
  tag  = "red"
  sort = "name:asc"
}
data "glance_images" "created_after" {
  tags              = [%[1]q]
  created_at_filter = "gte:%[2]s"
  sort              = "name:asc"
}
data "glance_images" "created_until" {
  tags              = [%[1]q]
  created_at_filter = "lt:%[2]s"
}
data "glance_images" "updated_after" {
  tags              = [%[1]q]
  updated_at_filter = "gte:%[3]s"
}
data "glance_images" "size" {
  tags     = [%[1]q]
  size_min = 2000
  size_max = 4000
}
data "glance_images" "small" {
  tags     = [%[1]q]
  size_max = 1500
}
data "glance_images" "owner" {
  tags  = [%[1]q]
  owner = %[4]q
  sort  = "name:desc"
}
`, n, nextSecond(t, f.alpha1.CreatedAt), nextSecond(t, f.betaTime), adminProject),
				ConfigStateChecks: []statecheck.StateCheck{
					names("data.glance_images.regex", n+"-alpha-1", n+"-alpha-2"),
					names("data.glance_images.tag", n+"-alpha-1", n+"-beta"),
					names("data.glance_images.created_after", n+"-alpha-2", n+"-beta"),
					names("data.glance_images.created_until", n+"-alpha-1"),
					names("data.glance_images.updated_after", n+"-alpha-1"),
					names("data.glance_images.size", n+"-alpha-2"),
					names("data.glance_images.small", n+"-alpha-1"),
					names("data.glance_images.owner", n+"-beta", n+"-alpha-2", n+"-alpha-1"),
				},
			},
			{
				// The member's view: images shared with alt, not yet accepted.
				Config: acctest.Alt.ProviderBlock(t, "") + fmt.Sprintf(`
data "glance_images" "pending" {
  tag           = %[1]q
  member_status = "pending"
  owner         = %[2]q
}
data "glance_images" "accepted" {
  tag   = %[1]q
  owner = %[2]q
}
`, n, adminProject),
				ConfigStateChecks: []statecheck.StateCheck{
					names("data.glance_images.pending", n+"-beta"),
					names("data.glance_images.accepted"),
				},
			},
		},
	})
}

func TestAccImageDataSource_tpoFilters(t *testing.T) {
	acctest.PreCheck(t)
	f := makeFilterImages(t)
	n := f.name
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      fmt.Sprintf(`data "glance_image" "many" { name_regex = %q }`, "^"+n+"-alpha-"),
				ExpectError: regexp.MustCompile(`(?s)Several Images Found.*2 images match`),
			},
			{
				Config:      "data \"glance_image\" \"bad\" {\n  sort        = \"name:asc\"\n  most_recent = true\n}",
				ExpectError: regexp.MustCompile(`Invalid Attribute Combination`),
			},
			{
				Config:      `data "glance_image" "bad" { sort = "colour:asc" }`,
				ExpectError: regexp.MustCompile(`Invalid Sort Key`),
			},
			{
				Config:      `data "glance_image" "bad" { created_at_filter = "gte:2026-02-30T00:00:00Z" }`,
				ExpectError: regexp.MustCompile(`Invalid Time Filter`),
			}, {
				Config: fmt.Sprintf(`
data "glance_image" "regex_sorted" {
  tags       = [%[1]q]
  name_regex = "-alpha-"
  sort       = "name:desc"
}
data "glance_image" "biggest" {
  tag  = %[1]q
  sort = "size:desc"
}
data "glance_image" "tag_and_regex" {
  tag        = "red"
  tags       = [%[1]q]
  name_regex = "alpha"
}
data "glance_image" "updated" {
  tag               = %[1]q
  updated_at_filter = "gte:%[2]s"
}
data "glance_image" "first_created" {
  tag               = %[1]q
  created_at_filter = "lt:%[3]s"
}
data "glance_image" "size_range" {
  tag      = %[1]q
  size_min = 500
  size_max = 1500
}
`, n, f.alpha1Updated, f.alpha2.CreatedAt),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.glance_image.regex_sorted", tfjsonpath.New("name"), knownvalue.StringExact(n+"-alpha-2")),
					statecheck.ExpectKnownValue("data.glance_image.biggest", tfjsonpath.New("id"), knownvalue.StringExact(f.alpha2.ID)),
					statecheck.ExpectKnownValue("data.glance_image.tag_and_regex", tfjsonpath.New("id"), knownvalue.StringExact(f.alpha1.ID)),
					statecheck.ExpectKnownValue("data.glance_image.updated", tfjsonpath.New("id"), knownvalue.StringExact(f.alpha1.ID)),
					statecheck.ExpectKnownValue("data.glance_image.first_created", tfjsonpath.New("id"), knownvalue.StringExact(f.alpha1.ID)),
					statecheck.ExpectKnownValue("data.glance_image.size_range", tfjsonpath.New("id"), knownvalue.StringExact(f.alpha1.ID)),
				},
			},
		},
	})
}
