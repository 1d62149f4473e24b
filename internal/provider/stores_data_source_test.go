package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

func TestAccStoresDataSource_basic(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `data "glance_stores" "all" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_stores.all", tfjsonpath.New("stores"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact("fast"), "description": knownvalue.StringExact("Fast file store"),
						"default": knownvalue.Bool(true), "read_only": knownvalue.Bool(false),
						"type": knownvalue.Null(), "weight": knownvalue.Null(), "properties": knownvalue.Null(),
					}),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact("slow"), "description": knownvalue.StringExact("Slow file store"),
						"default": knownvalue.Bool(false), "read_only": knownvalue.Bool(false),
						"type": knownvalue.Null(), "weight": knownvalue.Null(), "properties": knownvalue.Null(),
					}),
				})),
			},
		}},
	})
}

func TestAccStoresDataSource_detail(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `data "glance_stores" "all" { detail = true }`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_stores.all", tfjsonpath.New("stores").AtSliceIndex(0).AtMapKey("type"), knownvalue.StringExact("file")),
				statecheck.ExpectKnownValue("data.glance_stores.all", tfjsonpath.New("stores").AtSliceIndex(1).AtMapKey("id"), knownvalue.StringExact("slow")),
				statecheck.ExpectKnownValue("data.glance_stores.all", tfjsonpath.New("stores").AtSliceIndex(1).AtMapKey("properties").AtMapKey("data_dir"),
					knownvalue.StringRegexp(regexp.MustCompile(`/images/slow$`))),
			},
		}},
	})
}

func TestAccStoresDataSource_detailAsMember(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      acctest.Demo.ProviderBlock(t, "") + `data "glance_stores" "all" { detail = true }`,
			ExpectError: regexp.MustCompile(`(?s)Store Detail Needs the Admin Role.*Remove detail = true`),
		}},
	})
}

// TestAccStoresDataSource_singleStore reads a Glance without multi-store: an empty list (and a
// warning), not an error.
func TestAccStoresDataSource_singleStore(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: acctest.Admin.ProviderBlock(t, "", `endpoint = "`+acctest.Env(t, "GLANCE_ACC_PLAIN_ENDPOINT")+`"`) +
				`data "glance_stores" "all" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.glance_stores.all", tfjsonpath.New("stores"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}
