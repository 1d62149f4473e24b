package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

func TestAccUsageDataSource_basic(t *testing.T) {
	checks := []statecheck.StateCheck{}
	// testenv.sh registers these default limits in Keystone.
	for name, limit := range map[string]int64{
		"image_size_total": 1000000, "image_stage_total": 1000000, "image_count_total": 10000, "image_count_uploading": 1000,
	} {
		checks = append(checks,
			statecheck.ExpectKnownValue("data.glance_usage.u", tfjsonpath.New(name).AtMapKey("limit"), knownvalue.Int64Exact(limit)),
			statecheck.ExpectKnownValue("data.glance_usage.u", tfjsonpath.New(name).AtMapKey("usage"), knownvalue.NotNull()),
		)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            acctest.Demo.ProviderBlock(t, "") + `data "glance_usage" "u" {}`,
			ConfigStateChecks: checks,
		}},
	})
}

// TestAccUsageDataSource_quotasOff reads a Glance that does not enforce unified limits: every
// quota is null (and the data source warns), not an error.
func TestAccUsageDataSource_quotasOff(t *testing.T) {
	checks := []statecheck.StateCheck{}
	for _, q := range quotaResources {
		checks = append(checks, statecheck.ExpectKnownValue("data.glance_usage.u", tfjsonpath.New(q.name), knownvalue.Null()))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: acctest.Demo.ProviderBlock(t, "", `endpoint = "`+acctest.Env(t, "GLANCE_ACC_PLAIN_ENDPOINT")+`"`) +
				`data "glance_usage" "u" {}`,
			ConfigStateChecks: checks,
		}},
	})
}
