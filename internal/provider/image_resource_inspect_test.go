package provider

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"

	"github.com/glance-provider/terraform-provider-glance/internal/testkit"
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

// diskFormatConfig renders a glance_image "test" whose disk_format is declared ("" leaves it
// out) with a source.
func diskFormatConfig(name, diskFormat, source string) string {
	df := ""
	if diskFormat != "" {
		df = fmt.Sprintf("disk_format = %q", diskFormat)
	}
	return fmt.Sprintf("resource \"glance_image\" \"test\" {\n  name = %q\n  %s\n  %s\n}\n", name, df, source)
}

// wrapped compiles a pattern whose spaces match any white space, as Terraform wraps the
// lines of a diagnostic.
func wrapped(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// expectNoImages fails when an image of one of the names exists.
func expectNoImages(t *testing.T, names []string) {
	t.Helper()
	for _, n := range names {
		if imgs := acctest.ImagesNamed(t, n); len(imgs) > 0 {
			t.Errorf("image %s exists (%d of them, first %s): a refused plan or apply must create nothing", n, len(imgs), imgs[0].ID)
		}
	}
}

// TestAccImage_diskFormatRefusedAtPlan: every mismatch and every unsafe image made by qemu-img
// fails at plan, on the right attribute, and creates nothing.
func TestAccImage_diskFormatRefusedAtPlan(t *testing.T) {
	acctest.RequireQemu(t)
	dir := t.TempDir()
	q := func(args ...string) string { return acctest.QemuImg(t, dir, args...) }
	raw := q("create", "-q", "-f", "raw", "disk.raw", "16M")
	plain := q("create", "-q", "-f", "qcow2", "plain.qcow2", "64M")
	overlay := q("create", "-q", "-f", "qcow2", "-b", "plain.qcow2", "-F", "qcow2", "overlay.qcow2")
	dataFile := q("create", "-q", "-f", "qcow2", "-o", "data_file=external.raw", "datafile.qcow2", "64M")
	flat := q("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "16M")
	split := q("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "split.vmdk", "3G")
	sparse := q("create", "-q", "-f", "vmdk", "sparse.vmdk", "64M")
	qed := q("create", "-q", "-f", "qed", "disk.qed", "64M")
	fixed := q("create", "-q", "-f", "vpc", "-o", "subformat=fixed", "fixed.vhd", "16M")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	b, _ := os.ReadFile(plain)
	_, _ = zw.Write(b)
	_ = zw.Close()
	gzQcow := filepath.Join(dir, "plain.qcow2.gz")
	if err := os.WriteFile(gzQcow, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, declared, file, decompress, want string
	}{
		{"qcow2-as-raw", "raw", plain, "", `(?s)Disk Format Mismatch.*disk_format = "raw", but.*is qcow2.*Set disk_format = "qcow2"`},
		{"raw-as-qcow2", "qcow2", raw, "", `(?s)Disk Format Mismatch.*is raw`},
		{"vmdk-as-qcow2", "qcow2", sparse, "", `(?s)Disk Format Mismatch.*is vmdk \(createType monolithicSparse`},
		{"fixed-vhd-as-raw", "raw", fixed, "", `(?s)Disk Format Mismatch.*is vhd \(fixed`},
		{"gzip-qcow2-as-raw", "raw", gzQcow, "gzip", `(?s)Disk Format Mismatch.*\(decompressed\) is qcow2`},
		{"backing-file", "qcow2", overlay, "", `(?s)Unsafe Disk Image.*backing file.*plain.qcow2.*OSSA-2024-001`},
		{"backing-file-undeclared", "", overlay, "", `(?s)Unsafe Disk Image.*backing file`},
		{"data-file", "qcow2", dataFile, "", `(?s)Unsafe Disk Image.*external data file.*external.raw`},
		{"vmdk-flat", "vmdk", flat, "", `(?s)Unsafe Disk Image.*VMDK descriptor.*monolithicFlat.*flat-flat.vmdk`},
		{"vmdk-split", "vmdk", split, "", `(?s)Unsafe Disk Image.*twoGbMaxExtentSparse`},
		{"qed", "", qed, "", `(?s)Unsafe Disk Image.*QED`},
	}
	var names []string
	var steps []resource.TestStep
	for _, c := range cases {
		name := acctest.RandomName("df-" + c.name)
		names = append(names, name)
		src := fileSource(c.file)
		if c.decompress != "" {
			src = fileSource(c.file, fmt.Sprintf("decompress = %q", c.decompress))
		}
		steps = append(steps, resource.TestStep{Config: diskFormatConfig(name, c.declared, src), PlanOnly: true, ExpectError: wrapped(c.want)})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
	expectNoImages(t, names)
}

// TestAccImage_diskFormatInferred: a qcow2 with no disk_format is planned as qcow2 (known at
// plan), applied as qcow2, and Glance's virtual_size is qemu-img's.
func TestAccImage_diskFormatInferred(t *testing.T) {
	acctest.RequireQemu(t)
	dir := t.TempDir()
	file, _ := acctest.WriteRandomFile(t, dir, 1<<20)
	img := acctest.QemuImg(t, dir, "convert", "-q", "-f", "raw", "-O", "qcow2", file, "disk.qcow2")
	acctest.QemuImg(t, dir, "resize", "-q", "disk.qcow2", "96M")
	virtual := testkit.QemuVirtualSize(t, img, "")
	name := acctest.RandomName("df-inferred")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: diskFormatConfig(name, "", fileSource(img)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("disk_format"), knownvalue.StringExact("qcow2")),
				plancheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("container_format"), knownvalue.StringExact("bare")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("disk_format"), knownvalue.StringExact("qcow2")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("virtual_size"), knownvalue.Int64Exact(virtual)),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
			},
		}, {
			// Declaring what was inferred changes nothing.
			Config:           diskFormatConfig(name, "qcow2", fileSource(img)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

// TestAccImage_diskFormatURL: the test web server answers no Range request, so a URL source
// is checked at apply before the image record is created: a mismatch creates nothing; with no
// disk_format the content decides, after apply.
func TestAccImage_diskFormatURL(t *testing.T) {
	acctest.RequireQemu(t)
	dir := t.TempDir()
	img := acctest.QemuImg(t, dir, "create", "-q", "-f", "qcow2", "disk.qcow2", "32M")
	content, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	bad, good := acctest.RandomName("df-url-bad"), acctest.RandomName("df-url")
	u := acctest.WebFile(t, good+".qcow2", content)
	src := fmt.Sprintf("source = {\n    url = %q\n  }", u)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config:      diskFormatConfig(bad, "raw", src),
			ExpectError: wrapped(`(?s)Disk Format Mismatch.*disk_format = "raw", but source.url .* is qcow2`),
		}, {
			Config: diskFormatConfig(good, "", src),
			Check: func(*terraform.State) error {
				if imgs := acctest.ImagesNamed(t, bad); len(imgs) > 0 {
					return fmt.Errorf("the refused URL image %s was created", imgs[0].ID)
				}
				return nil
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("disk_format"), knownvalue.StringExact("qcow2")),
				statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("virtual_size"), knownvalue.Int64Exact(32<<20)),
			},
		}},
	})
}

// TestAccImageImport_glanceDirectUnsafeFile: a glance-direct file with a backing file fails
// at plan, and neither the image nor the import is created.
func TestAccImageImport_glanceDirectUnsafeFile(t *testing.T) {
	acctest.RequireQemu(t)
	dir := t.TempDir()
	acctest.QemuImg(t, dir, "create", "-q", "-f", "qcow2", "base.qcow2", "16M")
	overlay := acctest.QemuImg(t, dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "overlay.qcow2")
	name := acctest.RandomName("df-import")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "glance_image" "target" {
  name        = %q
  disk_format = "qcow2"
}

resource "glance_image_import" "test" {
  image_id = glance_image.target.id
  method   = "glance-direct"
  file     = %q
}
`, name, overlay),
			PlanOnly:    true,
			ExpectError: wrapped(`(?s)Unsafe Disk Image.*backing file.*base.qcow2`),
		}},
	})
	expectNoImages(t, []string{name})
}

// TestAccImage_diskFormatFooterStopsUpload: a fixed VHD declared raw, from a URL whose server
// answers no Range request: the first bytes look raw, so the image is created, and the footer
// shows only at the end of the stream. The upload stops before its last byte, Glance never
// makes the image active, and the failed create deletes it.
func TestAccImage_diskFormatFooterStopsUpload(t *testing.T) {
	acctest.RequireQemu(t)
	dir := t.TempDir()
	img := acctest.QemuImg(t, dir, "create", "-q", "-f", "vpc", "-o", "subformat=fixed", "fixed.vhd", "8M")
	content, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	name := acctest.RandomName("df-footer")
	u := acctest.WebFile(t, name+".vhd", content)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      diskFormatConfig(name, "raw", fmt.Sprintf("source = {\n    url = %q\n  }", u)),
			ExpectError: wrapped(`(?s)Disk Format Mismatch.*at its end, and the upload was stopped before its last byte.*is vhd \(fixed.*image was deleted`),
		}},
	})
	expectNoImages(t, []string{name})
}
