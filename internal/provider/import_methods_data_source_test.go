package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

func TestAccImportMethodsDataSource_basic(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// Through the catalog's admin endpoint, which the test env serves under /glance.
			Config: `data "glance_import_methods" "m" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_import_methods.m", tfjsonpath.New("methods"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("glance-direct"), knownvalue.StringExact("web-download"),
					knownvalue.StringExact("copy-image"), knownvalue.StringExact("glance-download"),
				})),
			},
		}, {
			// The same through the public endpoint, chosen by interface.
			Config: acctest.Demo.ProviderBlock(t, "", `endpoint_interface = "public"`) + `data "glance_import_methods" "m" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_import_methods.m", tfjsonpath.New("methods"), knownvalue.ListSizeExact(4)),
			},
		}},
	})
}
