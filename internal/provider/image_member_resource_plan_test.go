package provider

import (
	"strings"
	"testing"
)

func TestMemberVisibilityProblem_cases(t *testing.T) {
	cases := map[string]struct {
		planned            string
		declared, creating bool
		current            string
		want               string // "", "error" or "warning"
	}{
		"declared shared":                 {planned: "shared", declared: true, creating: true, current: "private"},
		"declared private":                {planned: "private", declared: true, creating: true, want: "error"},
		"declared private, existing":      {planned: "community", declared: true, want: "warning"},
		"declared unknown":                {planned: "", declared: true, creating: true, current: "private"},
		"not declared, private in Glance": {creating: true, current: "private", want: "warning"},
		"not declared, existing member":   {current: "private"},
		"not declared, shared":            {creating: true, current: "shared"},
		"not declared, unreadable":        {creating: true},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			p := memberVisibilityProblem("img", tc.planned, tc.declared, tc.creating, tc.current)
			got := ""
			switch {
			case p != nil && p.Warning:
				got = "warning"
			case p != nil:
				got = "error"
			}
			if got != tc.want {
				t.Fatalf("memberVisibilityProblem = %+v, want %q", p, tc.want)
			}
			if p != nil && (p.Attribute != "image_id" || !strings.Contains(p.Detail, `visibility = "shared"`)) {
				t.Errorf("problem %+v: want it on image_id with the way out", p)
			}
		})
	}
}
