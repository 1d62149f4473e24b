package provider

import (
	"slices"
	"strings"
	"testing"
)

func TestReplacingChanges_cases(t *testing.T) {
	prior := imageReplaceFields{ID: "a", DiskFormat: "raw", ContainerFormat: "bare", Store: "fast", HasSource: true}
	cases := map[string]struct {
		planned    imageReplaceFields
		dataReason string
		want       []string
	}{
		"nothing":              {planned: prior},
		"new id":               {planned: imageReplaceFields{ID: "b", DiskFormat: "raw", ContainerFormat: "bare", Store: "fast", HasSource: true}, want: []string{`id changes from "a" to "b"`}},
		"formats":              {planned: imageReplaceFields{ID: "a", DiskFormat: "qcow2", ContainerFormat: "ovf", Store: "fast", HasSource: true}, want: []string{`disk_format changes from "raw" to "qcow2"`, `container_format changes from "bare" to "ovf"`}},
		"store":                {planned: imageReplaceFields{ID: "a", DiskFormat: "raw", ContainerFormat: "bare", Store: "slow", HasSource: true}, want: []string{`store changes from "fast" to "slow"`}},
		"store without source": {planned: imageReplaceFields{ID: "a", DiskFormat: "raw", ContainerFormat: "bare", Store: "slow"}},
		"unknown":              {planned: imageReplaceFields{ID: "a", DiskFormat: "(known after apply)", ContainerFormat: "bare", Store: "fast", HasSource: true}, want: []string{`disk_format changes from "raw" to "(known after apply)"`}},
		"data":                 {planned: prior, dataReason: "the content of f changed", want: []string{"the content of f changed"}},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			if got := replacingChanges(prior, tc.planned, tc.dataReason); !slices.Equal(got, tc.want) {
				t.Errorf("replacingChanges = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplacementProblems_cases(t *testing.T) {
	changes := []string{`disk_format changes from "raw" to "qcow2"`}
	cases := map[string]struct {
		facts replacementFacts
		want  []string // attribute: summary
	}{
		"no replacement":         {facts: replacementFacts{ConfigID: "a", StateID: "a", Protected: true}},
		"generated id":           {facts: replacementFacts{StateID: "a", Changes: changes}},
		"fixed id":               {facts: replacementFacts{ConfigID: "a", StateID: "a", Changes: changes}, want: []string{"id: Image With a Fixed ID Cannot Be Replaced"}},
		"new fixed id":           {facts: replacementFacts{ConfigID: "b", StateID: "a", Changes: []string{`id changes from "a" to "b"`}}},
		"protected":              {facts: replacementFacts{StateID: "a", Protected: true, Changes: changes}, want: []string{"protected: Protected Image Cannot Be Replaced"}},
		"protected and fixed id": {facts: replacementFacts{ConfigID: "a", StateID: "a", Protected: true, Changes: changes}, want: []string{"id: Image With a Fixed ID Cannot Be Replaced", "protected: Protected Image Cannot Be Replaced"}},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			var got []string
			for _, p := range replacementProblems(tc.facts) {
				got = append(got, p.Attribute+": "+p.Summary)
				if p.Warning || !strings.Contains(p.Detail, changes[0]) && !strings.Contains(p.Detail, "id changes") || !strings.Contains(p.Detail, "Nothing was changed") {
					t.Errorf("problem %+v: want an error that says why and that nothing changed", p)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("replacementProblems = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplacementProblems_fixedIDAdvice(t *testing.T) {
	p := replacementProblems(replacementFacts{ConfigID: "a", StateID: "a", Changes: []string{"x"}})
	if len(p) != 1 || !strings.Contains(p[0].Detail, "never reuses an image id") || !strings.Contains(p[0].Detail, "Remove id from the configuration") {
		t.Errorf("fixed id problem %+v: want why (ids are never reused) and what to do", p)
	}
}

func TestDestroyProblem_cases(t *testing.T) {
	if p := destroyProblem("a", false); p != nil {
		t.Errorf("unprotected image: %+v", p)
	}
	p := destroyProblem("a", true)
	if p == nil || p.Summary != "Image Is Protected" || !strings.Contains(p.Detail, "protected = false") {
		t.Errorf("protected image: %+v, want the way out", p)
	}
}

func TestFileQuotaProblem_cases(t *testing.T) {
	cases := map[string]struct {
		size, remaining int64
		reported, want  bool
	}{
		"fits":          {size: 10, remaining: 10, reported: true},
		"too large":     {size: 11, remaining: 10, reported: true, want: true},
		"no quota":      {size: 11, remaining: 0, reported: false},
		"quota used up": {size: 1, remaining: 0, reported: true, want: true},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			p := fileQuotaProblem("f.img", tc.size, tc.remaining, tc.reported)
			if (p != nil) != tc.want {
				t.Fatalf("fileQuotaProblem = %+v, want a problem: %v", p, tc.want)
			}
			if p != nil && (p.Attribute != "source.file" || !strings.Contains(p.Detail, "image_size_total")) {
				t.Errorf("problem %+v: want it on source.file, naming the quota", p)
			}
		})
	}
}

func TestPlannedImages_visibility(t *testing.T) {
	var p plannedImages
	if _, ok := p.plannedVisibility("a"); ok {
		t.Fatal("an empty registry knows an image")
	}
	p.setVisibility("a", "private")
	p.setVisibility("a", "shared")
	if v, ok := p.plannedVisibility("a"); !ok || v != "shared" {
		t.Errorf("plannedVisibility = %q, %v; want the last plan's", v, ok)
	}
}
