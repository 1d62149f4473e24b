package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// pendingTestModel is a planned glance_image with a file source.
func pendingTestModel() imageModel {
	m := imageModel{Source: &imageSourceModel{File: types.StringValue("disk.raw"), URL: types.StringNull(),
		Decompress: types.StringValue("none"), Checksum: types.StringNull()}}
	m.ID = types.StringUnknown()
	m.Name = types.StringValue("img")
	m.DiskFormat = types.StringValue("raw")
	m.ContainerFormat = types.StringValue("bare")
	m.Visibility = types.StringValue("private")
	m.MinDiskGB = types.Int64Value(0)
	m.Store = types.StringNull()
	return m
}

func TestImagePendingCreate_key(t *testing.T) {
	base := imagePendingCreate(pendingTestModel(), nil, "p1")
	if base.Key == "" || base.Owner != "p1" || base.FixedID || base.Source == nil || base.Source.String() != "disk.raw" {
		t.Fatalf("pending = %+v", base)
	}
	identifying := map[string]struct {
		change  func(m *imageModel)
		project string
	}{
		"name":             {change: func(m *imageModel) { m.Name = types.StringValue("other") }},
		"disk_format":      {change: func(m *imageModel) { m.DiskFormat = types.StringValue("qcow2") }},
		"container_format": {change: func(m *imageModel) { m.ContainerFormat = types.StringValue("ovf") }},
		"file":             {change: func(m *imageModel) { m.Source.File = types.StringValue("other.raw") }},
		"url": {change: func(m *imageModel) {
			m.Source.File, m.Source.URL = types.StringNull(), types.StringValue("http://h/disk.raw")
		}},
		"decompress": {change: func(m *imageModel) { m.Source.Decompress = types.StringValue("gzip") }},
		"store":      {change: func(m *imageModel) { m.Store = types.StringValue("slow") }},
		"no source":  {change: func(m *imageModel) { m.Source = nil }},
		"project":    {change: func(*imageModel) {}, project: "p2"},
	}
	for name, tc := range identifying {
		m := pendingTestModel()
		tc.change(&m)
		project := tc.project
		if project == "" {
			project = "p1"
		}
		if imagePendingCreate(m, nil, project).Key == base.Key {
			t.Errorf("%s changed, the key did not: a leftover of another image would be taken for this one's", name)
		}
	}
	patchable := map[string]func(m *imageModel){
		"visibility": func(m *imageModel) { m.Visibility = types.StringValue("shared") },
		"min_disk":   func(m *imageModel) { m.MinDiskGB = types.Int64Value(5) },
		"checksum":   func(m *imageModel) { m.Source.Checksum = types.StringValue("sha256:" + strings.Repeat("a", 64)) },
	}
	for name, change := range patchable {
		m := pendingTestModel()
		change(&m)
		if imagePendingCreate(m, nil, "p1").Key != base.Key {
			t.Errorf("%s changed the key: a leftover would be orphaned by a change that a patch or verification handles", name)
		}
	}
	fixed := pendingTestModel()
	fixed.ID = types.StringValue("4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")
	if !imagePendingCreate(fixed, nil, "p1").FixedID {
		t.Error("an id set in the configuration must be FixedID")
	}
}

func TestLeftoverDetail_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		step *glance.StepError
		want string
	}{
		"list failed": {&glance.StepError{Step: glance.StepFindLeftovers, Err: errors.New("boom")}, "listing the images an interrupted earlier apply"},
		"delete refused": {&glance.StepError{ImageID: "i", Step: glance.StepDiscardLeftover, Err: errors.New("403")},
			"Delete it yourself"},
		"fixed id still saving": {&glance.StepError{ImageID: "i", Step: glance.StepAdoptLeftover,
			Err: &glance.ImageStateError{ImageID: "i", Status: glance.StatusSaving, Problem: glance.ImageBusy}}, "still saving"},
		"fixed id other data": {&glance.StepError{ImageID: "i", Step: glance.StepAdoptLeftover,
			Err: &glance.ImageStateError{ImageID: "i", Status: glance.StatusActive, Problem: glance.ImageHasData}}, "remove id from the configuration"},
	} {
		if got := leftoverDetail("img", tc.step); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q lacks %q", name, got, tc.want)
		}
	}
}
