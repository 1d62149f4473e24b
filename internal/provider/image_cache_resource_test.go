package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

const testImageCacheAddr = "glance_image_cache.test"

// imageCacheTestSize is the size of the images the cache tests upload (1 MiB).
const imageCacheTestSize = 1 << 20

// imageCacheConfig renders glance_image.test from file and, unless cacheLines is nil, a
// glance_image_cache.test of it with the given extra lines.
func imageCacheConfig(name, file string, cacheLines []string) string {
	cfg := imageConfig(name, fileSource(file))
	if cacheLines != nil {
		cfg += fmt.Sprintf("resource \"glance_image_cache\" \"test\" {\n  image_id = glance_image.test.id\n  %s\n}\n", strings.Join(cacheLines, "\n  "))
	}
	return cfg
}

// testAccCheckImageCacheState reads the cache through the client and checks where
// glance_image.test is.
func testAccCheckImageCacheState(t *testing.T, want glance.CacheState) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, testImageAddr)
		if err != nil {
			return err
		}
		entry, err := acctest.Client(t, acctest.Admin).ImageCacheState(context.Background(), id)
		if err != nil {
			return err
		}
		if entry.State != want || entry.ImageDeleted {
			return fmt.Errorf("image %s is %q in the cache (image deleted: %v), want %q", id, entry.State, entry.ImageDeleted, want)
		}
		return nil
	}
}

// downloadImage reads an image's data through the API (a cache hit when it is cached).
func downloadImage(t *testing.T, id *string) func() {
	return func() {
		rc, err := acctest.Client(t, acctest.Admin).Download(context.Background(), *id, 0, -1)
		if err != nil {
			t.Fatalf("downloading image %s: %v", *id, err)
		}
		defer func() { _ = rc.Close() }()
		if n, err := io.Copy(io.Discard, rc); err != nil || n != imageCacheTestSize {
			t.Fatalf("downloading image %s: %d bytes, %v", *id, n, err)
		}
	}
}

func cachedStateChecks(hits knownvalue.Check) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("state"), knownvalue.StringExact("cached")),
		statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("size"), knownvalue.Int64Exact(imageCacheTestSize)),
		statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("hits"), hits),
		statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("last_modified"), knownvalue.StringRegexp(rfc3339UTC)),
		statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("last_accessed"), knownvalue.StringRegexp(rfc3339UTC)),
		statecheck.CompareValuePairs(testImageCacheAddr, tfjsonpath.New("id"), testImageAddr, tfjsonpath.New("id"), compare.ValuesSame()),
	}
}

var rfc3339UTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// TestAccImageCache_basic queues an image (without waiting), sees it cached, imports it,
// keeps the plan empty while downloads change hits, and evicts it when the resource goes
// while the image stays.
func TestAccImageCache_basic(t *testing.T) {
	file, _ := acctest.WriteRandomFile(t, "", imageCacheTestSize)
	name := acctest.RandomName("cache")
	cfg := imageCacheConfig(name, file, []string{})
	var imageID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  resource.ComposeTestCheckFunc(acctest.KeepID(testImageAddr, &imageID)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("state"), knownvalue.StringRegexp(regexp.MustCompile(`^(queued|cached)$`))),
					statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("wait_until_cached"), knownvalue.Bool(false)),
					statecheck.CompareValuePairs(testImageCacheAddr, tfjsonpath.New("image_id"), testImageAddr, tfjsonpath.New("id"), compare.ValuesSame()),
				},
			},
			{
				// The test Glance caches a queued image within a second: the refresh sees it.
				Config:            cfg,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: cachedStateChecks(knownvalue.Int64Exact(0)),
				Check:             testAccCheckImageCacheState(t, glance.CacheStateCached),
			},
			{
				ResourceName:      testImageCacheAddr,
				ImportState:       true,
				ImportStateIdFunc: acctest.ImportID(testImageCacheAddr),
				ImportStateVerify: true,
			},
			{
				// A download is a cache hit: hits and last_accessed change, the plan stays empty.
				PreConfig:        downloadImage(t, &imageID),
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: cachedStateChecks(knownvalue.Int64Func(func(v int64) error {
					if v < 1 {
						return fmt.Errorf("hits %d after a download, want at least 1", v)
					}
					return nil
				})),
			},
			{
				// Removing the resource evicts the image; the image itself stays.
				Config: imageCacheConfig(name, file, nil),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testImageCacheAddr, plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionNoop),
				}},
				Check: testAccCheckImageCacheState(t, glance.CacheStateAbsent),
			},
		},
	})
}

// TestAccImageCache_waitUntilCached waits at create, then turns the wait off and on in place.
func TestAccImageCache_waitUntilCached(t *testing.T) {
	file, _ := acctest.WriteRandomFile(t, "", imageCacheTestSize)
	name := acctest.RandomName("cache-wait")
	sameID := statecheck.CompareValue(compare.ValuesSame())
	inPlace := func(wait bool) resource.TestStep {
		return resource.TestStep{
			Config: imageCacheConfig(name, file, []string{fmt.Sprintf("wait_until_cached = %v", wait), `timeouts = { create = "2m", update = "2m" }`}),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testImageCacheAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: append(cachedStateChecks(knownvalue.Int64Exact(0)),
				statecheck.ExpectKnownValue(testImageCacheAddr, tfjsonpath.New("wait_until_cached"), knownvalue.Bool(wait)),
				sameID.AddStateValue(testImageCacheAddr, tfjsonpath.New("id"))),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config:            imageCacheConfig(name, file, []string{"wait_until_cached = true", `timeouts = { create = "2m", update = "2m" }`}),
				ConfigStateChecks: append(cachedStateChecks(knownvalue.Int64Exact(0)), sameID.AddStateValue(testImageCacheAddr, tfjsonpath.New("id"))),
				Check:             testAccCheckImageCacheState(t, glance.CacheStateCached),
			},
			inPlace(false),
			inPlace(true),
		},
	})
}

// TestAccImageCache_disappears evicts the image out of band: the next plan queues it again.
func TestAccImageCache_disappears(t *testing.T) {
	file, _ := acctest.WriteRandomFile(t, "", imageCacheTestSize)
	cfg := imageCacheConfig(acctest.RandomName("cache-gone"), file, []string{"wait_until_cached = true"})
	var imageID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  resource.ComposeTestCheckFunc(acctest.KeepID(testImageAddr, &imageID), testAccCheckImageCacheState(t, glance.CacheStateCached)),
			},
			{
				PreConfig: func() {
					if err := acctest.Client(t, acctest.Admin).EvictImageCache(context.Background(), imageID); err != nil {
						t.Fatalf("evicting %s: %v", imageID, err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testImageCacheAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: cachedStateChecks(knownvalue.Int64Exact(0)),
				Check:             testAccCheckImageCacheState(t, glance.CacheStateCached),
			},
		},
	})
}

// TestAccImageCache_nonAdmin plans a cache entry as a member: the cache API is admin only, and
// the plan says so before anything is created.
func TestAccImageCache_nonAdmin(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: acctest.Demo.ProviderBlock(t, "") +
				`resource "glance_image_cache" "test" { image_id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b" }`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Image Cache Management Not Available.*admin API.*admin role.*HTTP 403`),
		}},
	})
}

// TestAccImageCache_badInput: a malformed image id fails at plan on its line; a malformed
// import id is refused.
func TestAccImageCache_badInput(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `resource "glance_image_cache" "test" { image_id = "ubuntu-24.04" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)image_id.*must be an image UUID`),
			},
			{
				Config:        `resource "glance_image_cache" "test" { image_id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b" }`,
				ResourceName:  testImageCacheAddr,
				ImportState:   true,
				ImportStateId: "ubuntu-24.04",
				ExpectError:   regexp.MustCompile(`(?s)Invalid Import ID.*UUID of\s+the cached image`),
			},
		},
	})
}

func TestFlattenImageCache_cases(t *testing.T) {
	accessed := time.Date(2026, 12, 2, 18, 2, 33, 751448000, time.UTC)
	modified := time.Date(2026, 12, 2, 18, 1, 40, 0, time.UTC)
	for name, tc := range map[string]struct {
		entry glance.CacheEntry
		want  imageCacheModel
	}{
		"cached": {
			entry: glance.CacheEntry{ImageID: "i", State: glance.CacheStateCached,
				Cached: &glance.CachedImage{ImageID: "i", Size: 8388608, Hits: 2, LastAccessed: accessed, LastModified: modified}},
			want: imageCacheModel{ID: types.StringValue("i"), ImageID: types.StringValue("i"), State: types.StringValue("cached"),
				Size: types.Int64Value(8388608), Hits: types.Int64Value(2),
				LastAccessed: types.StringValue("2026-12-02T18:02:33Z"), LastModified: types.StringValue("2026-12-02T18:01:40Z")},
		},
		"queued": {
			entry: glance.CacheEntry{ImageID: "i", State: glance.CacheStateQueued},
			want: imageCacheModel{ID: types.StringValue("i"), ImageID: types.StringValue("i"), State: types.StringValue("queued"),
				Size: types.Int64Null(), Hits: types.Int64Null(), LastAccessed: types.StringNull(), LastModified: types.StringNull()},
		},
		"cached without times": {
			entry: glance.CacheEntry{ImageID: "i", State: glance.CacheStateCached, Cached: &glance.CachedImage{ImageID: "i", Size: 1}},
			want: imageCacheModel{ID: types.StringValue("i"), ImageID: types.StringValue("i"), State: types.StringValue("cached"),
				Size: types.Int64Value(1), Hits: types.Int64Value(0), LastAccessed: types.StringNull(), LastModified: types.StringNull()},
		},
	} {
		// A queued image that was cached before keeps none of the old record.
		got := imageCacheModel{Size: types.Int64Value(5), Hits: types.Int64Value(9), LastAccessed: types.StringValue("x"), LastModified: types.StringValue("y")}
		flattenImageCache(tc.entry, &got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got  %v\n want %v", name, got, tc.want)
		}
	}
}

func TestCacheUnavailableProblem_cases(t *testing.T) {
	forbidden := &glance.CacheUnavailableError{Forbidden: true, Err: &glance.Error{Method: "GET", URL: "http://g/v2/cache", StatusCode: http.StatusForbidden}}
	missing := &glance.CacheUnavailableError{Err: &glance.Error{Method: "GET", URL: "http://g/v2/cache", StatusCode: http.StatusNotFound}}
	for name, tc := range map[string]struct {
		unavailable bool
		err         error
		want        []string
	}{
		"available":   {false, nil, nil},
		"other error": {false, errors.New("connection refused"), nil},
		"forbidden":   {true, forbidden, []string{"admin API", "admin role", "HTTP 403"}},
		"not offered": {true, missing, []string{"does not offer", "image_cache_dir", "keystone+cachemanagement", "HTTP 404"}},
	} {
		summary, detail, ok := cacheUnavailableProblem(tc.unavailable, tc.err)
		if ok != (tc.want != nil) {
			t.Errorf("%s: ok %v", name, ok)
			continue
		}
		if ok && summary != "Image Cache Management Not Available" {
			t.Errorf("%s: summary %q", name, summary)
		}
		for _, w := range tc.want {
			if !strings.Contains(detail, w) {
				t.Errorf("%s: detail %q lacks %q", name, detail, w)
			}
		}
	}
}

func TestCacheQueueErrorDetail_cases(t *testing.T) {
	const id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
	glanceErr := func(code int) error {
		return &glance.Error{Method: "PUT", URL: "http://g/v2/cache/" + id, StatusCode: code}
	}
	for name, tc := range map[string]struct {
		err  error
		want []string
	}{
		"not active":   {&glance.ImageNotCacheableError{ImageID: id, Status: "queued", Err: glanceErr(400)}, []string{`has status "queued"`, "only active images"}},
		"not found":    {glanceErr(404), []string{"does not exist"}},
		"forbidden":    {&glance.CacheUnavailableError{Forbidden: true, Err: glanceErr(403)}, []string{"admin role"}},
		"timeout":      {&glance.CacheWaitError{ImageID: id, State: glance.CacheStateQueued, Err: context.DeadlineExceeded}, []string{"still queued", "timeouts.create", "glance-cache-prefetcher", "tainted"}},
		"dropped":      {&glance.CacheWaitError{ImageID: id}, []string{"neither queued nor cached", "left the cache queue"}},
		"server error": {glanceErr(500), []string{"Queueing image " + id + " for caching failed", "HTTP 500"}},
	} {
		got := cacheQueueErrorDetail(id, "timeouts.create", tc.err)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", name, got, w)
			}
		}
	}
}
