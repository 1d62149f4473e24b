package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// imageSortKeys are the keys Glance sorts image lists by; any other key is a 400.
var imageSortKeys = []string{"created_at", "updated_at", "name", "id", "status", "size", "disk_format", "container_format"}

// imageFilterQueryNames are list parameters with an argument of their own: as a properties
// filter they would clash with it.
var imageFilterQueryNames = []string{"name", "visibility", "owner", "status", "member_status", "tag", "tags",
	"size_min", "size_max", "os_hidden", "hidden", "sort", "sort_key", "sort_dir", "limit", "marker", "created_at", "updated_at"}

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

// imageTimeOperators are the comparison operators Glance takes in its created_at and
// updated_at filters.
var imageTimeOperators = []string{"gt", "gte", "eq", "neq", "lt", "lte"}

// imageTimeLayouts are the ISO 8601 forms Glance reads: with an offset or Z, or without one
// (UTC), with or without fractional seconds.
var imageTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"}

// timeFilterProblem checks a time comparison filter, "<op>:<ISO 8601 time>"; it returns what
// is wrong ("" when nothing is).
func timeFilterProblem(v string) string {
	op, when, ok := strings.Cut(v, ":")
	if !ok || !slices.Contains(imageTimeOperators, op) {
		return fmt.Sprintf("%q does not start with an operator: write <operator>:<time> with the operator one of %s, such as \"gte:2026-01-31T00:00:00Z\".",
			v, quotedList(imageTimeOperators))
	}
	for _, layout := range imageTimeLayouts {
		if _, err := time.Parse(layout, when); err == nil {
			return ""
		}
	}
	return fmt.Sprintf("%q is not an ISO 8601 time: write CCYY-MM-DDThh:mm:ss with an optional offset (Z, +01:00; UTC without one), such as \"%s:2026-01-31T00:00:00Z\".", when, op)
}

// timeFilterValidator reports a created_at or updated_at filter Glance would refuse.
type timeFilterValidator struct{}

func (timeFilterValidator) Description(context.Context) string {
	return "<operator>:<ISO 8601 time> with the operator one of " + strings.Join(imageTimeOperators, ", ")
}

func (v timeFilterValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (timeFilterValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if p := timeFilterProblem(req.ConfigValue.ValueString()); p != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Time Filter", p)
	}
}

// regexpValidator reports a regular expression Go's regexp package (RE2) cannot compile.
type regexpValidator struct{}

func (regexpValidator) Description(context.Context) string {
	return "a regular expression in RE2 syntax"
}

func (v regexpValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (regexpValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Regular Expression",
			fmt.Sprintf("%s. name_regex takes RE2 syntax (https://github.com/google/re2/wiki/Syntax): escape a literal dot as \\\\. and anchor with ^ and $.", err))
	}
}

// imagesNamed keeps the images whose name matches pattern (all when pattern is ""). Glance
// cannot filter by a pattern: the list is filtered after it was read.
func imagesNamed(images []glance.Image, pattern string) ([]glance.Image, error) {
	if pattern == "" {
		return images, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	out := make([]glance.Image, 0, len(images))
	for _, img := range images {
		if re.MatchString(img.Name) {
			out = append(out, img)
		}
	}
	return out, nil
}

// imageFilterTags is the tags filter and the single tag together (Glance wants all of them).
func imageFilterTags(tags []string, tag string) []string {
	if tag != "" && !slices.Contains(tags, tag) {
		tags = append(tags, tag)
	}
	return tags
}
