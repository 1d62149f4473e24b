package provider

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccImage_sourceHeadersWriteOnly shows that the CLI running the test (terraform, or
// OpenTofu in make testacc-tofu) supports write-only arguments: source.headers reaches the
// provider (the source server answers only with the header), is never stored in state, and a
// changed header value is no change to plan.
func TestAccImage_sourceHeadersWriteOnly(t *testing.T) {
	name := acctest.RandomName("write-only")
	secret := "write-only-" + strings.TrimPrefix(name, acctest.NamePrefix)
	content := bytes.Repeat([]byte("served only with the header "), 20000)
	sum := sha512.Sum512(content)
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Secret") != secret {
			http.Error(w, "missing header", http.StatusUnauthorized)
			return
		}
		served.Add(1)
		http.ServeContent(w, r, "disk.img", time.Time{}, bytes.NewReader(content))
	}))
	t.Cleanup(srv.Close)
	config := func(header string) string {
		return imageConfig(name, fmt.Sprintf(`source = {
    url     = %q
    headers = { "X-Secret" = %q }
  }`, srv.URL+"/disk.img", header))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config(secret),
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						if served.Load() == 0 {
							return fmt.Errorf("the source server never got the X-Secret header")
						}
						return nil
					},
					testAccCheckNotInState(secret),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("os_hash_value"), knownvalue.StringExact(hex.EncodeToString(sum[:]))),
					statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("source").AtMapKey("headers"), knownvalue.Null()),
				},
			},
			{
				// A write-only value is not compared with state: a new header is no change.
				Config:           config(secret + "-rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            testAccCheckNotInState(secret),
			},
		},
	})
}

// testAccCheckNotInState fails when any attribute of any resource in state contains s.
func testAccCheckNotInState(s string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		for addr, rs := range st.RootModule().Resources {
			if rs.Primary == nil {
				continue
			}
			for k, v := range rs.Primary.Attributes {
				if strings.Contains(v, s) {
					return fmt.Errorf("%s.%s holds the write-only value", addr, k)
				}
			}
		}
		return nil
	}
}
