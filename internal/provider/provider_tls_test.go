package provider

import (
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_tls serves the real Glance through a TLS proxy with a self-signed
// certificate: default verification rejects it, cacert_file trusts it, insecure skips the check.
func TestAccProvider_tls(t *testing.T) {
	acctest.PreCheck(t)
	target, err := url.Parse(acctest.Env(t, "GLANCE_ACC_PUBLIC_ENDPOINT"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	srv := httptest.NewTLSServer(proxy)
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func(extra string) string {
		return fmt.Sprintf("provider \"glance\" {\n  endpoint = %q\n  %s\n}\ndata \"glance_import_methods\" \"m\" {}\n", srv.URL, extra)
	}
	methods := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.glance_import_methods.m", tfjsonpath.New("methods"), knownvalue.ListSizeExact(4)),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(""), ExpectError: regexp.MustCompile(`(?s)Error Reading Import Methods.*certificate`)},
			{Config: cfg(fmt.Sprintf("cacert_file = %q", caFile)), ConfigStateChecks: methods},
			{Config: cfg("insecure = true"), ConfigStateChecks: methods},
		},
	})
}

// TestAccImage_concurrency applies 20 images, an import and a share at Terraform's default
// parallelism; the second plan must be empty.
func TestAccImage_concurrency(t *testing.T) {
	name := acctest.RandomName("many")
	dir := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("img-%d.bin", i)), []byte(fmt.Sprintf("image %d %s", i, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`
resource "glance_image" "many" {
  count       = 20
  name        = "%[1]s-${count.index}"
  disk_format = "raw"
  visibility  = "shared"
  tags        = [%[1]q]
  source = {
    file = "%[2]s/img-${count.index}.bin"
  }
}

resource "glance_image" "record" {
  name        = "%[1]s-imported"
  disk_format = "raw"
}

resource "glance_image_import" "web" {
  image_id = glance_image.record.id
  method   = "web-download"
  uri      = "%[3]s/img8m.bin"
}

resource "glance_image_member" "share" {
  count     = 5
  image_id  = glance_image.many[count.index].id
  member_id = %[4]q
}
`, name, dir, acctest.Env(t, "GLANCE_ACC_WEB_URL"), acctest.Alt.ProjectID(t))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image.many[19]", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_import.web", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_member.share[4]", tfjsonpath.New("status"), knownvalue.StringExact("pending")),
			},
		}},
	})
}
