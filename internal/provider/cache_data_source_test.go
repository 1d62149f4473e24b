package provider

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// TestAccCacheDataSource_basic caches an image and finds it in the listing.
func TestAccCacheDataSource_basic(t *testing.T) {
	file, _ := acctest.WriteRandomFile(t, "", imageCacheTestSize)
	cfg := imageCacheConfig(acctest.RandomName("cache-ds"), file, []string{"wait_until_cached = true"}) + `
data "glance_cache" "all" {
  depends_on = [glance_image_cache.test]
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.CompareValueCollection("data.glance_cache.all", []tfjsonpath.Path{tfjsonpath.New("cached_images"), tfjsonpath.New("image_id")},
					testImageAddr, tfjsonpath.New("id"), compare.ValuesSame()),
				statecheck.CompareValueCollection("data.glance_cache.all", []tfjsonpath.Path{tfjsonpath.New("cached_images"), tfjsonpath.New("last_modified")},
					testImageCacheAddr, tfjsonpath.New("last_modified"), compare.ValuesSame()),
			},
		}},
	})
}

// TestAccCacheDataSource_nonAdmin reads the cache as a member: an error that says the API is
// admin only.
func TestAccCacheDataSource_nonAdmin(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      acctest.Demo.ProviderBlock(t, "") + `data "glance_cache" "all" {}`,
			ExpectError: regexp.MustCompile(`(?s)Image Cache Management Not Available.*admin role`),
		}},
	})
}

func TestFlattenCache_cases(t *testing.T) {
	at := time.Date(2026, 12, 2, 18, 2, 33, 0, time.UTC)
	for name, tc := range map[string]struct {
		in           glance.ImageCache
		cached, want string
	}{
		"empty": {in: glance.ImageCache{Cached: []glance.CachedImage{}, Queued: []string{}}, cached: "[]", want: "[]"},
		"both": {
			in: glance.ImageCache{
				Cached: []glance.CachedImage{{ImageID: "a", Size: 10, Hits: 1, LastAccessed: at, LastModified: at}, {ImageID: "b", Size: 2}},
				Queued: []string{"c", "d"},
			},
			cached: `[{"hits":1,"image_id":"a","last_accessed":"2026-12-02T18:02:33Z","last_modified":"2026-12-02T18:02:33Z","size":10},` +
				`{"hits":0,"image_id":"b","last_accessed":<null>,"last_modified":<null>,"size":2}]`,
			want: `["c","d"]`,
		},
	} {
		m := flattenCache(&tc.in)
		if m.CachedImages.IsNull() || m.QueuedImages.IsNull() {
			t.Errorf("%s: null list", name)
		}
		if got := m.CachedImages.String(); got != tc.cached {
			t.Errorf("%s: cached_images\n got  %s\n want %s", name, got, tc.cached)
		}
		if got := m.QueuedImages.String(); got != tc.want {
			t.Errorf("%s: queued_images %s, want %s", name, got, tc.want)
		}
		if m.QueuedImages.ElementType(context.Background()) != types.StringType {
			t.Errorf("%s: element type %v", name, m.QueuedImages.ElementType(context.Background()))
		}
	}
}
