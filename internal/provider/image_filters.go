package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// imageSortKeys are the keys Glance sorts image lists by; any other key is a 400.
var imageSortKeys = []string{"created_at", "updated_at", "name", "id", "status", "size", "disk_format", "container_format"}

// imageFilterQueryNames are list parameters with an argument of their own: as a properties
// filter they would clash with it.
var imageFilterQueryNames = []string{"name", "visibility", "owner", "status", "member_status", "tag", "tags",
	"size_min", "size_max", "os_hidden", "hidden", "sort", "sort_key", "sort_dir", "limit", "marker"}

// sortValidator checks Glance's sort syntax: comma-separated key[:asc|desc].
type sortValidator struct{}

func (sortValidator) Description(context.Context) string {
	return "comma-separated key[:asc|desc] with keys " + strings.Join(imageSortKeys, ", ")
}

func (v sortValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (sortValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, part := range strings.Split(req.ConfigValue.ValueString(), ",") {
		key, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch {
		case !slices.Contains(imageSortKeys, key):
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid Sort Key",
				fmt.Sprintf("%q is not a key Glance sorts by. Use %s, each optionally followed by :asc or :desc, separated by commas, such as \"name:asc,created_at:desc\".", key, quotedList(imageSortKeys)))
		case dir != "" && dir != "asc" && dir != "desc":
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid Sort Direction",
				fmt.Sprintf("%q in %q is not a direction: use asc or desc, such as \"%s:asc\".", dir, part, key))
		}
	}
}

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
