package provider

import (
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
)

func TestDecideDiskFormat(t *testing.T) {
	qcow := diskformat.Info{Format: diskformat.QCOW2, Version: 3, VirtualSize: 1 << 30}
	backing := diskformat.Info{Format: diskformat.QCOW2, Version: 3, BackingFile: "base.qcow2",
		Unsafe: []diskformat.Unsafe{{Reason: diskformat.ReasonBackingFile, Detail: `it has a backing file, "base.qcow2"`}}}
	cases := map[string]struct {
		info        diskformat.Info
		declared    string
		wantFormat  string
		wantAttrs   []string
		wantInError []string
	}{
		"matches":             {qcow, "qcow2", "", nil, nil},
		"inferred":            {qcow, "", "qcow2", nil, nil},
		"inferred raw":        {diskformat.Info{Format: diskformat.Raw, VirtualSize: 10}, "", "raw", nil, nil},
		"mismatch":            {qcow, "raw", "", []string{"disk_format"}, []string{`disk_format = "raw"`, "qcow2 (version 3, virtual size 1 GiB)", `Set disk_format = "qcow2"`}},
		"unsafe":              {backing, "qcow2", "", []string{"source.file"}, []string{"base.qcow2", "OSSA-2024-001", "qemu-img convert"}},
		"unsafe not inferred": {backing, "", "", []string{"source.file"}, []string{"backing file"}},
		"unsafe and mismatch": {backing, "vmdk", "", []string{"source.file", "disk_format"}, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := decideDiskFormat(c.info, c.declared, "source.file disk.img", "source.file")
			if d.DiskFormat != c.wantFormat {
				t.Errorf("disk_format %q, want %q", d.DiskFormat, c.wantFormat)
			}
			var attrs []string
			var text string
			for _, p := range d.Problems {
				attrs = append(attrs, p.Attribute)
				text += p.Summary + ": " + p.Detail + "\n"
				if p.Warning {
					t.Errorf("%s is a warning, want an error", p.Summary)
				}
			}
			if strings.Join(attrs, ",") != strings.Join(c.wantAttrs, ",") {
				t.Errorf("problems on %v, want %v:\n%s", attrs, c.wantAttrs, text)
			}
			for _, w := range c.wantInError {
				if !strings.Contains(text, w) {
					t.Errorf("the problem does not say %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestDiskFormatConfigProblem(t *testing.T) {
	if p := diskFormatConfigProblem(true, false); p == nil || p.Attribute != "disk_format" {
		t.Errorf("no disk_format and no source: %v, want a problem on disk_format", p)
	}
	for _, c := range [][2]bool{{true, true}, {false, false}, {false, true}} {
		if p := diskFormatConfigProblem(c[0], c[1]); p != nil {
			t.Errorf("null=%v source=%v: unexpected %v", c[0], c[1], p)
		}
	}
}
