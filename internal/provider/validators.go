package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// glanceTextValidator rejects characters outside Unicode's Basic Multilingual Plane (emoji,
// some rare scripts): Glance refuses them in names, tags and properties ("can't contain 4 byte
// unicode characters"), so the plan says so instead of the apply.
type glanceTextValidator struct{}

func (glanceTextValidator) Description(context.Context) string {
	return "no characters outside the Basic Multilingual Plane (4-byte UTF-8, such as emoji)"
}

func (v glanceTextValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (glanceTextValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, r := range req.ConfigValue.ValueString() {
		if r > 0xFFFF {
			resp.Diagnostics.AddAttributeError(req.Path, "Character Glance Refuses",
				fmt.Sprintf("%q contains %q (U+%04X), a 4-byte UTF-8 character such as an emoji, which Glance refuses in names, tags and properties. Remove it.",
					req.ConfigValue.ValueString(), r, r))
			return
		}
	}
}

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
