package provider

import (
	"slices"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Conversions between Go values and framework values, shared by every type.

// stringList makes a list of strings (empty, not null, when items is empty).
func stringList(items []string) types.List {
	v := make([]attr.Value, 0, len(items))
	for _, s := range items {
		v = append(v, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, v)
}

// stringSet makes a set of strings (empty, not null, when items is empty).
func stringSet(items []string) types.Set {
	v := make([]attr.Value, 0, len(items))
	for _, s := range items {
		v = append(v, types.StringValue(s))
	}
	return types.SetValueMust(types.StringType, v)
}

// stringMap makes a map of strings (empty, not null, when m is empty).
func stringMap(m map[string]string) types.Map {
	v := make(map[string]attr.Value, len(m))
	for k, s := range m {
		v[k] = types.StringValue(s)
	}
	return types.MapValueMust(types.StringType, v)
}

// setElements returns the elements of a set of strings, sorted (none when null or unknown).
func setElements(s types.Set) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	for _, e := range s.Elements() {
		if v, ok := e.(types.String); ok && !v.IsNull() && !v.IsUnknown() {
			out = append(out, v.ValueString())
		}
	}
	sort.Strings(out)
	return out
}

// keepPlanned sets *v to the planned value when the plan knew it: an apply must return what
// its plan promised, even when another resource of the same apply changed the image meanwhile.
func keepPlanned[T interface{ IsUnknown() bool }](v *T, planned T) {
	if !planned.IsUnknown() {
		*v = planned
	}
}

// knownString is a string value, or nil when it is null or unknown.
func knownString(v types.String) *string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	s := v.ValueString()
	return &s
}

// without returns the elements of a that are not in b, in a's order.
func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(b, s) })
}
