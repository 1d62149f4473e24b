package provider

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// problemsText renders problems as "attr: summary" lines, for comparisons.
func problemsText(ps []attrProblem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.attr+": "+p.summary)
	}
	return strings.Join(out, "\n")
}

func TestImportArgumentProblems_methods(t *testing.T) {
	for name, tc := range map[string]struct {
		method string
		set    []string
		want   []string
	}{
		"glance-direct with file":        {glance.MethodGlanceDirect, []string{"file"}, nil},
		"glance-direct without file":     {glance.MethodGlanceDirect, nil, []string{"file: Missing Argument for glance-direct"}},
		"glance-direct with uri":         {glance.MethodGlanceDirect, []string{"file", "uri"}, []string{"uri: Argument Not Used by This Method"}},
		"web-download without uri":       {glance.MethodWebDownload, nil, []string{"uri: Missing Argument for web-download"}},
		"glance-download complete":       {glance.MethodGlanceDownload, []string{"glance_image_id", "glance_region", "glance_service_interface"}, nil},
		"glance-download without region": {glance.MethodGlanceDownload, []string{"glance_image_id"}, []string{"glance_region: Missing Argument for glance-download"}},
		"copy-image takes none": {glance.MethodCopyImage, []string{"file", "glance_service_interface"},
			[]string{"file: Argument Not Used by This Method", "glance_service_interface: Argument Not Used by This Method"}},
		"wrong argument and missing one": {glance.MethodWebDownload, []string{"file"},
			[]string{"file: Argument Not Used by This Method", "uri: Missing Argument for web-download"}},
	} {
		t.Run(name, func(t *testing.T) {
			set := map[string]bool{}
			for _, a := range tc.set {
				set[a] = true
			}
			if got := problemsText(importArgumentProblems(tc.method, set)); got != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(tc.want, "\n"))
			}
		})
	}
	p := importArgumentProblems(glance.MethodWebDownload, map[string]bool{"file": true})[0]
	if p.detail != `file is used only with method = "glance-direct"; this import uses "web-download". Remove file, or change the method.` {
		t.Errorf("detail = %s", p.detail)
	}
}

func TestImportMethodProblems_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		facts importMethodFacts
		want  string
	}{
		"glance-download from itself":         {importMethodFacts{Method: glance.MethodGlanceDownload, SourceIsTarget: true}, "glance_image_id: Image Cannot Be Its Own Source"},
		"glance-download from another":        {importMethodFacts{Method: glance.MethodGlanceDownload}, ""},
		"copy-image without stores":           {importMethodFacts{Method: glance.MethodCopyImage, NoTargetStores: true}, "stores: Missing Target Stores"},
		"web-download without stores is fine": {importMethodFacts{Method: glance.MethodWebDownload, NoTargetStores: true}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := problemsText(importMethodProblems(tc.facts)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImportValueProblems_cases(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	for name, tc := range map[string]struct {
		values importValues
		want   string
	}{
		"nothing known":         {importValues{}, ""},
		"stores and all_stores": {importValues{StoresAndAllStores: true}, "stores: Conflicting Store Arguments"},
		"good checksum":         {importValues{Checksum: str("md5:" + strings.Repeat("a", 32))}, ""},
		"bad checksum":          {importValues{Checksum: str("sha1:abc")}, "checksum: Invalid Checksum"},
		"readable file":         {importValues{File: str(file)}, ""},
		"missing file":          {importValues{File: str(filepath.Join(dir, "nope"))}, "file: File Not Readable"},
		"directory":             {importValues{File: str(dir)}, "file: File Is a Directory"},
		"https URL":             {importValues{URI: str("https://example.com/x.img")}, ""},
		"ftp URL":               {importValues{URI: str("ftp://h/x")}, "uri: Invalid URI"},
		"relative URL":          {importValues{URI: str("/x.img")}, "uri: Invalid URI"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := problemsText(importValueProblems(tc.values)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImportReplaceArguments_cases(t *testing.T) {
	all := map[string]bool{"image_id": true, "method": true, "file": true, "uri": true, "glance_image_id": true, "glance_region": true,
		"glance_service_interface": true, "stores": true, "all_stores": true}
	for name, tc := range map[string]struct {
		adopted             bool
		stateMethod, method string
		changed             map[string]bool
		want                string
	}{
		"nothing changed":               {false, glance.MethodWebDownload, glance.MethodWebDownload, nil, ""},
		"uri":                           {false, glance.MethodWebDownload, glance.MethodWebDownload, map[string]bool{"uri": true}, "uri"},
		"stores of a data import":       {false, glance.MethodWebDownload, glance.MethodWebDownload, map[string]bool{"stores": true, "all_stores": true}, "all_stores,stores"},
		"stores of copy-image in place": {false, glance.MethodCopyImage, glance.MethodCopyImage, map[string]bool{"stores": true, "all_stores": true}, ""},
		"copy-image to another method":  {false, glance.MethodCopyImage, glance.MethodWebDownload, map[string]bool{"method": true, "uri": true, "stores": true}, "method,stores,uri"},
		"adopted: only the image":       {true, "", glance.MethodWebDownload, all, "image_id"},
		"everything, sorted":            {false, glance.MethodWebDownload, glance.MethodGlanceDirect, all, "all_stores,file,glance_image_id,glance_region,glance_service_interface,image_id,method,stores,uri"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := strings.Join(importReplaceArguments(tc.adopted, tc.stateMethod, tc.method, tc.changed), ","); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCopiesMove_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		method                      string
		adopted, stores, all, moves bool
	}{
		"copy-image stores change":      {glance.MethodCopyImage, false, true, false, true},
		"copy-image all_stores change":  {glance.MethodCopyImage, false, false, true, true},
		"copy-image adopted":            {glance.MethodCopyImage, true, false, false, true},
		"copy-image checksum only":      {glance.MethodCopyImage, false, false, false, false},
		"web-download adopted, no move": {glance.MethodWebDownload, true, true, false, false},
	} {
		if got := copiesMove(tc.method, tc.adopted, tc.stores, tc.all); got != tc.moves {
			t.Errorf("%s: copiesMove = %v, want %v", name, got, tc.moves)
		}
	}
}

func TestMethodNotOffered_cases(t *testing.T) {
	if p := methodNotOffered("web-download", []string{"glance-direct", "web-download"}); p != nil {
		t.Errorf("offered: %+v", p)
	}
	p := methodNotOffered("copy-image", []string{"glance-direct", "web-download"})
	if p == nil || p.attr != "method" || p.summary != "Import Method Not Offered" || !strings.Contains(p.detail, "It offers: `glance-direct`, `web-download`.") {
		t.Errorf("not offered: %+v", p)
	}
	if p := methodNotOffered("web-download", nil); p == nil || !strings.Contains(p.detail, "none (interoperable import is disabled)") {
		t.Errorf("import disabled: %+v", p)
	}
}

func TestStoreProblems_cases(t *testing.T) {
	stores := []glance.Store{{ID: "fast"}, {ID: "slow"}}
	for name, tc := range map[string]struct {
		choice      storeChoice
		unsupported bool
		want        string
	}{
		"known stores":               {storeChoice{Stores: []string{"fast"}, StoresSet: true}, false, ""},
		"unknown stores":             {storeChoice{Stores: []string{"fast", "nope", "gone"}, StoresSet: true}, false, "stores: Unknown Store\nstores: Unknown Store"},
		"single store: copy-image":   {storeChoice{CopyImage: true, AllStores: true, StoresSet: true}, true, "method: Cloud Has No Multiple Stores"},
		"single store: all_stores":   {storeChoice{AllStores: true}, true, "all_stores: Cloud Has No Multiple Stores"},
		"single store: named stores": {storeChoice{Stores: []string{"fast"}, StoresSet: true}, true, "stores: Cloud Has No Multiple Stores"},
		"multi store: copy-image":    {storeChoice{CopyImage: true}, false, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := problemsText(storeProblems(tc.choice, stores, tc.unsupported)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCatalogProblem_cases(t *testing.T) {
	endpoints := []catalogImageEndpoint{{"RegionOne", "public"}, {"RegionOne", "admin"}, {"RegionTwo", "public"}, {"RegionThree", "internal"}}
	for name, tc := range map[string]struct {
		region, iface string
		want          string
	}{
		"region and interface":  {"RegionTwo", "public", ""},
		"region in other case":  {"regiontwo", "public", ""},
		"unknown region":        {"RegionX", "public", "glance_region: Region Not in Catalog"},
		"interface not offered": {"RegionTwo", "internal", "glance_service_interface: No Image Endpoint for This Interface"},
	} {
		t.Run(name, func(t *testing.T) {
			got := ""
			if p := catalogProblem(endpoints, tc.region, tc.iface); p != nil {
				got = p.attr + ": " + p.summary
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTestAccImport_render(t *testing.T) {
	got := testAccImport{name: "copy", imageID: "glance_image_import.data.image_id", method: "copy-image", stores: `["slow"]`, checksum: "md5:00"}.String()
	want := `
resource "glance_image_import" "copy" {
  image_id = glance_image_import.data.image_id
  method   = "copy-image"
  stores = ["slow"]
  checksum = "md5:00"
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = (testAccImport{method: "web-download", uri: "http://h/x", all: true}).String()
	if !strings.Contains(got, "image_id = glance_image.test.id\n") ||
		!strings.Contains(got, "all_stores = true\n") || !strings.Contains(got, `uri = "http://h/x"`) {
		t.Errorf("defaults: %s", got)
	}
}
