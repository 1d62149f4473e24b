package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// faultConfig points the provider at a fault-injecting proxy in front of the real Glance.
func faultConfig(proxy *acctest.FaultProxy, name, file string) string {
	return fmt.Sprintf(`provider "glance" {
  endpoint    = %q
  max_retries = 3
}
`, proxy.URL()) + imageConfig(name, fileSource(file))
}

// testAccCheckNoImageNamed fails when Glance holds an image of that name: a failed apply must
// not leave one behind.
func testAccCheckNoImageNamed(t *testing.T, name string) {
	t.Helper()
	imgs, err := acctest.Client(t, acctest.Admin).ListImages(context.Background(), glance.ListImagesOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		t.Errorf("image %s (%s, status %s) was left behind", img.ID, img.Name, img.Status)
	}
}

// TestAccImage_faultsRecovered injects one fault per case; each apply must succeed through a
// bounded retry and leave an active image whose bytes are the file's.
func TestAccImage_faultsRecovered(t *testing.T) {
	cases := map[string]struct {
		inject func(p *acctest.FaultProxy)
		// minUploads and maxUploads bound the upload requests the proxy sees.
		minUploads, maxUploads int64
	}{
		// After a reset Glance may still be busy with the aborted upload and refuse one retry
		// with a 409; the provider waits and tries again, within max_retries.
		"connection reset mid-upload": {func(p *acctest.FaultProxy) { p.ResetAfter(acctest.KindUpload, 512<<10, 1) }, 2, 4},
		"503 on create":               {func(p *acctest.FaultProxy) { p.FailWith(acctest.KindCreate, http.StatusServiceUnavailable, 2) }, 1, 1},
		"503 on upload":               {func(p *acctest.FaultProxy) { p.FailWith(acctest.KindUpload, http.StatusServiceUnavailable, 1) }, 2, 2},
		"expired token on upload":     {func(p *acctest.FaultProxy) { p.ExpireTokenOnce(acctest.KindUpload) }, 2, 2},
		// A lost answer to a complete upload is verified, never answered with a second upload.
		"answer lost after upload": {func(p *acctest.FaultProxy) { p.DropAfterResponse(acctest.KindUpload, 1) }, 1, 1},
		"slow answers":             {func(p *acctest.FaultProxy) { p.Delay(acctest.KindAny, 300*time.Millisecond, 5) }, 1, 1},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			proxy := acctest.NewFaultProxy(t, "")
			name := acctest.RandomName("fault")
			file, sum := acctest.WriteRandomFile(t, "", 2<<20)
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t); tc.inject(proxy) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             testAccCheckImageDestroyed(t),
				Steps: []resource.TestStep{{
					Config: faultConfig(proxy, name, file),
					Check: resource.ComposeTestCheckFunc(testAccCheckImageData(t, testImageAddr, sum), func(*terraform.State) error {
						if got := proxy.Count(acctest.KindUpload); got < tc.minUploads || got > tc.maxUploads {
							return fmt.Errorf("%d upload requests, want %d to %d", got, tc.minUploads, tc.maxUploads)
						}
						return nil
					}),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
						statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum)),
					},
				}},
			})
		})
	}
}

// TestAccImage_faultsPersistent: faults that outlast the retries fail the apply with a clear
// error, and no image is left in Glance.
func TestAccImage_faultsPersistent(t *testing.T) {
	cases := map[string]struct {
		inject func(p *acctest.FaultProxy)
		want   string
	}{
		"upload always 503":   {func(p *acctest.FaultProxy) { p.FailWith(acctest.KindUpload, http.StatusServiceUnavailable, 0) }, `(?s)Error Uploading Image Data.*HTTP 503.*image\s+was\s+deleted`},
		"upload always reset": {func(p *acctest.FaultProxy) { p.ResetAfter(acctest.KindUpload, 256<<10, 0) }, `(?s)Error Uploading Image Data.*image\s+was\s+deleted`},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			proxy := acctest.NewFaultProxy(t, "")
			name := acctest.RandomName("fault-fatal")
			file, _ := acctest.WriteRandomFile(t, "", 1<<20)
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t); tc.inject(proxy) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             testAccCheckImageDestroyed(t),
				Steps:                    []resource.TestStep{{Config: faultConfig(proxy, name, file), ExpectError: regexp.MustCompile(tc.want)}},
			})
			testAccCheckNoImageNamed(t, name)
			// Bounded: at most 1 + max_retries attempts (fewer when Glance no longer allows one).
			if n := proxy.Count(acctest.KindUpload); n < 2 || n > 4 {
				t.Errorf("%d upload attempts, want 2 to 4 (1 + max_retries 3)", n)
			}
		})
	}
}

// TestAccImage_tokenExpiry runs an apply of over a minute with tokens that live 20 s (the test
// environment's second Keystone), every request slowed by the fault proxy: the provider must
// renew its token before uploads and after a 401, and the apply must succeed.
func TestAccImage_tokenExpiry(t *testing.T) {
	proxy := acctest.NewFaultProxy(t, "")
	name := acctest.RandomName("token")
	dir := t.TempDir()
	var b strings.Builder
	// The demo user's provider block, authenticating at the short-token Keystone.
	b.WriteString(strings.Replace(acctest.Demo.ProviderBlock(t, "", `endpoint = "`+proxy.URL()+`"`),
		acctest.Env(t, "OS_AUTH_URL"), acctest.Env(t, "GLANCE_ACC_SHORT_TOKEN_AUTH_URL"), 1))
	var checks []statecheck.StateCheck
	for i := range 8 {
		f := filepath.Join(dir, fmt.Sprintf("img-%d.bin", i))
		if err := os.WriteFile(f, []byte(strings.Repeat(fmt.Sprint(i), 100000)), 0o644); err != nil {
			t.Fatal(err)
		}
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf("depends_on = [glance_image.t%d]", i-1) // one after the other: a long apply
		}
		fmt.Fprintf(&b, "resource \"glance_image\" \"t%d\" {\n  name = \"%s-%d\"\n  disk_format = \"raw\"\n  source = { file = %q }\n  %s\n}\n", i, name, i, f, dep)
		checks = append(checks, statecheck.ExpectKnownValue(fmt.Sprintf("glance_image.t%d", i), tfjsonpath.New("status"), knownvalue.StringExact("active")))
	}
	start := time.Now()
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); proxy.Delay(acctest.KindAny, 2500*time.Millisecond, 0) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps:                    []resource.TestStep{{Config: b.String(), ConfigStateChecks: checks}},
	})
	if d := time.Since(start); d < 60*time.Second {
		t.Errorf("the run took %v; it must outlast several 20 s tokens to test anything", d)
	}
	// Plan and apply each authenticate once; anything more is a renewal of an expiring token.
	if n := proxy.DistinctTokens(); n < 4 {
		t.Errorf("the requests carried %d distinct tokens; over a long apply with 20 s tokens the provider must have renewed its token", n)
	}
	t.Logf("%d distinct tokens over the run", proxy.DistinctTokens())
}
