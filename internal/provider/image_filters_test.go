package provider

import (
	"slices"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

func TestTimeFilterProblem_cases(t *testing.T) {
	cases := map[string]string{ // value -> part of the problem ("" for none)
		"gte:2026-01-31T00:00:00Z":           "",
		"lt:2026-01-31T10:20:30+01:00":       "",
		"neq:2026-01-31T10:20:30.123456Z":    "",
		"eq:2026-01-31T10:20:30":             "",
		"gt:2026-01-31T10:20:30.5":           "",
		"2026-01-31T00:00:00Z":               "does not start with an operator",
		"after:2026-01-31T00:00:00Z":         "does not start with an operator",
		"gte:yesterday":                      "is not an ISO 8601 time",
		"gte:2026-01-31":                     "is not an ISO 8601 time",
		"lte:2026-13-01T00:00:00Z":           "is not an ISO 8601 time",
		"GTE:2026-01-31T00:00:00Z":           "does not start with an operator",
		"gte:2026-01-31T00:00:00Z trailing ": "is not an ISO 8601 time",
	}
	for v, want := range cases {
		got := timeFilterProblem(v)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("timeFilterProblem(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestImagesNamed_cases(t *testing.T) {
	images := []glance.Image{{Name: "ubuntu-22.04"}, {Name: "ubuntu-24.04"}, {Name: "debian-12"}, {Name: "my-ubuntu"}}
	names := func(imgs []glance.Image) string {
		var out []string
		for _, i := range imgs {
			out = append(out, i.Name)
		}
		return strings.Join(out, ",")
	}
	cases := map[string]string{
		"":             "ubuntu-22.04,ubuntu-24.04,debian-12,my-ubuntu",
		"ubuntu":       "ubuntu-22.04,ubuntu-24.04,my-ubuntu",
		"^ubuntu-2[4]": "ubuntu-24.04",
		"^none$":       "",
	}
	for pattern, want := range cases {
		got, err := imagesNamed(images, pattern)
		if err != nil || names(got) != want {
			t.Errorf("imagesNamed(%q) = %q, %v; want %q", pattern, names(got), err, want)
		}
	}
	if _, err := imagesNamed(images, "("); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

func TestImageFilterTags_cases(t *testing.T) {
	cases := []struct {
		tags []string
		tag  string
		want []string
	}{
		{nil, "", nil},
		{nil, "a", []string{"a"}},
		{[]string{"a", "b"}, "c", []string{"a", "b", "c"}},
		{[]string{"a", "b"}, "a", []string{"a", "b"}},
	}
	for _, c := range cases {
		if got := imageFilterTags(c.tags, c.tag); !slices.Equal(got, c.want) {
			t.Errorf("imageFilterTags(%v, %q) = %v, want %v", c.tags, c.tag, got, c.want)
		}
	}
}
