package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// imageSortKeys are the keys Glance sorts image lists by; any other key is a 400.
var imageSortKeys = []string{"created_at", "updated_at", "name", "id", "status", "size", "disk_format", "container_format"}

// imageFilterQueryNames are list parameters with an argument of their own: as a properties
// filter they would clash with it.
var imageFilterQueryNames = []string{"name", "visibility", "owner", "status", "member_status", "tag", "tags",
	"size_min", "size_max", "os_hidden", "hidden", "sort", "sort_key", "sort_dir", "limit", "marker"}

// validateImageFilters checks what no single attribute validator can: size_min ≤ size_max.
func validateImageFilters(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var sizeMin, sizeMax types.Int64
	diags.Append(config.GetAttribute(ctx, path.Root("size_min"), &sizeMin)...)
	diags.Append(config.GetAttribute(ctx, path.Root("size_max"), &sizeMax)...)
	if sizeMin.IsNull() || sizeMin.IsUnknown() || sizeMax.IsNull() || sizeMax.IsUnknown() {
		return
	}
	if sizeMin.ValueInt64() > sizeMax.ValueInt64() {
		diags.AddAttributeError(path.Root("size_max"), "Empty Size Range",
			fmt.Sprintf("size_max (%d) is below size_min (%d), so no image could match: swap them or widen the range.", sizeMax.ValueInt64(), sizeMin.ValueInt64()))
	}
}
