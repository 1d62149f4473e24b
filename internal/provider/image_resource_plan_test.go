package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// Digests of the tests: an image with data hashed with sha512, and an md5 checksum.
var (
	testSHA512   = strings.Repeat("5", 128)
	testOtherSHA = strings.Repeat("6", 128)
	testMD5      = strings.Repeat("d", 32)
	testSHA256   = strings.Repeat("2", 64)
)

// activeImage is an existing image with data from file "f" (and the given checksum).
func activeImage(checksum string) imageFacts {
	return imageFacts{ID: "i", Status: "active", HashAlgo: "sha512", HashValue: testSHA512, MD5: testMD5,
		Source: &sourceDecl{File: "f", Decompress: "none", Checksum: checksum}}
}

func TestKeptInPlace_nothingChanged(t *testing.T) {
	if got := keptInPlace(false, false); !slices.Equal(got, []string{"stores", "status", "all_properties"}) {
		t.Fatalf("kept %v", got)
	}
}

func TestKeptInPlace_deactivatedChanged(t *testing.T) {
	if got := keptInPlace(true, false); !slices.Equal(got, []string{"stores", "all_properties"}) {
		t.Fatalf("kept %v: the status changes with deactivated", got)
	}
}

func TestKeptInPlace_propertiesChanged(t *testing.T) {
	if got := keptInPlace(false, true); !slices.Equal(got, []string{"stores", "status"}) {
		t.Fatalf("kept %v: all_properties changes with properties", got)
	}
}

func TestKeptImportedProperties_cases(t *testing.T) {
	cases := map[string]struct {
		adopted, inState, declared, want []string
	}{
		"not imported":            {nil, []string{"a"}, nil, nil},
		"all declared":            {[]string{"a", "b"}, []string{"a", "b"}, []string{"a", "b"}, nil},
		"undeclared kept":         {[]string{"a", "b"}, []string{"a", "b"}, []string{"a"}, []string{"b"}},
		"already gone from state": {[]string{"a", "b"}, []string{"a"}, nil, []string{"a"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := keptImportedProperties(tc.adopted, tc.inState, tc.declared); !slices.Equal(got, tc.want) {
				t.Fatalf("kept %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCannotDeactivate_cases(t *testing.T) {
	queued := imageFacts{Status: "queued"}
	cases := map[string]struct {
		creating, hasSource, deactivate bool
		img                             imageFacts
		want                            bool
	}{
		"new record":                  {creating: true, deactivate: true, want: true},
		"new image with source":       {creating: true, hasSource: true, deactivate: true},
		"new record, not deactivated": {creating: true},
		"queued record":               {img: queued, deactivate: true, want: true},
		"queued, already deactivated": {img: imageFacts{Status: "queued", Deactivated: true}, deactivate: true},
		"active image":                {img: activeImage(""), deactivate: true},
		"imported data":               {img: imageFacts{Status: "queued", HashValue: testSHA512}, deactivate: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := cannotDeactivate(tc.creating, tc.hasSource, tc.img, tc.deactivate); got != tc.want {
				t.Fatalf("cannotDeactivate = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestSourceChecksumChanged_cases(t *testing.T) {
	sum := "sha256:" + testSHA256
	cases := map[string]struct {
		prior    *sourceDecl
		checksum string
		want     bool
	}{
		"none declared":          {&sourceDecl{Checksum: sum}, "", false},
		"same":                   {&sourceDecl{Checksum: sum}, sum, false},
		"letter case only":       {&sourceDecl{Checksum: sum}, strings.ToUpper(sum), false},
		"new digest":             {&sourceDecl{Checksum: sum}, "sha256:" + strings.Repeat("3", 64), true},
		"first checksum":         {&sourceDecl{}, sum, true},
		"no source before":       {nil, sum, true},
		"malformed is no digest": {nil, "sha256:abc", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sourceChecksumChanged(tc.prior, tc.checksum); got != tc.want {
				t.Fatalf("changed = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestImageHasChecksum_cases(t *testing.T) {
	img := activeImage("")
	cases := map[string]struct {
		algo, digest           string
		img                    imageFacts
		wantKnown, wantMatches bool
	}{
		"os_hash_value matches":  {"sha512", testSHA512, img, true, true},
		"os_hash_value differs":  {"sha512", testOtherSHA, img, true, false},
		"md5 matches":            {"md5", testMD5, img, true, true},
		"md5 differs":            {"md5", strings.Repeat("e", 32), img, true, false},
		"other algorithm":        {"sha256", testSHA256, img, false, false},
		"image without checksum": {"md5", testMD5, imageFacts{HashAlgo: "sha512"}, false, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			known, matches := imageHasChecksum(tc.img, tc.algo, tc.digest)
			if known != tc.wantKnown || matches != tc.wantMatches {
				t.Fatalf("known %t matches %t, want %t %t", known, matches, tc.wantKnown, tc.wantMatches)
			}
		})
	}
}

func TestReplaceReason_queuedRecordGainsData(t *testing.T) {
	reason, compare := replaceReason(imageFacts{Status: "queued"}, sourceDecl{File: "f"})
	if !strings.Contains(reason, "no data yet") || compare {
		t.Fatalf("reason %q compare %t", reason, compare)
	}
}

func TestReplaceReason_urlChanged(t *testing.T) {
	img := imageFacts{Status: "active", HashAlgo: "sha512", HashValue: testSHA512, Source: &sourceDecl{URL: "http://a/x"}}
	reason, compare := replaceReason(img, sourceDecl{URL: "http://b/x"})
	if !strings.Contains(reason, "source.url changed") || compare {
		t.Fatalf("reason %q compare %t", reason, compare)
	}
}

func TestReplaceReason_urlChecksum(t *testing.T) {
	img := imageFacts{Status: "active", HashAlgo: "sha512", HashValue: testSHA512, MD5: testMD5, Source: &sourceDecl{URL: "http://a/x"}}
	cases := map[string]struct {
		checksum string
		replace  bool
	}{
		"unchanged url, no checksum":   {"", false},
		"the image's os_hash_value":    {"sha512:" + testSHA512, false},
		"the image's md5":              {"MD5:" + strings.ToUpper(testMD5), false},
		"another sha512":               {"sha512:" + testOtherSHA, true},
		"an algorithm the image lacks": {"sha256:" + testSHA256, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reason, _ := replaceReason(img, sourceDecl{URL: "http://a/x", Checksum: tc.checksum})
			if (reason != "") != tc.replace || (tc.replace && !strings.Contains(reason, "source.checksum changed")) {
				t.Fatalf("reason %q, want a replacement: %t", reason, tc.replace)
			}
		})
	}
}

func TestReplaceReason_fileIsCompared(t *testing.T) {
	reason, compare := replaceReason(activeImage(""), sourceDecl{File: "g"})
	if reason != "" || !compare {
		t.Fatalf("reason %q compare %t: a file source is decided by its content", reason, compare)
	}
}

func TestMissingSourceFileIsWarning_cases(t *testing.T) {
	if !missingSourceFileIsWarning(&sourceDecl{File: "f"}, "f") {
		t.Fatal("a file that disappeared after the upload must be a warning")
	}
	if missingSourceFileIsWarning(&sourceDecl{File: "f"}, "g") || missingSourceFileIsWarning(nil, "f") {
		t.Fatal("a new path that does not exist must be an error")
	}
}

func TestFileHashAlgorithms_cases(t *testing.T) {
	sum256 := "sha256:" + testSHA256
	cases := map[string]struct {
		img          imageFacts
		checksum     string
		cached       string
		want         []string
		wantMismatch *checksumMismatch
	}{
		"touchedFile":                         {img: activeImage(""), want: []string{"sha512"}},
		"untouchedFile":                       {img: activeImage(""), cached: testSHA512},
		"untouched, changed content cached":   {img: activeImage(""), cached: testOtherSHA},
		"touched, checksum of another algo":   {img: activeImage(sum256), checksum: sum256, want: []string{"sha512", "sha256"}},
		"untouched, same checksum":            {img: activeImage(sum256), checksum: sum256, cached: testSHA512},
		"untouched, new sha256 checksum":      {img: activeImage(""), checksum: sum256, cached: testSHA512, want: []string{"sha512", "sha256"}},
		"untouched, new md5 the image has":    {img: activeImage(""), checksum: "md5:" + testMD5, cached: testSHA512},
		"untouched, new md5 the image lacks":  {img: activeImage(""), checksum: "md5:" + strings.Repeat("e", 32), cached: testSHA512, wantMismatch: &checksumMismatch{Algorithm: "md5", Actual: testMD5, Want: strings.Repeat("e", 32)}},
		"changed content, new md5":            {img: activeImage(""), checksum: "md5:" + testMD5, cached: testOtherSHA, want: []string{"sha512", "md5"}},
		"touched, checksum of the image algo": {img: activeImage(""), checksum: "sha512:" + testSHA512, want: []string{"sha512"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, mismatch := fileHashAlgorithms(tc.img, sourceDecl{File: "f", Decompress: "none", Checksum: tc.checksum}, tc.cached)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("algorithms %v, want %v", got, tc.want)
			}
			if (mismatch == nil) != (tc.wantMismatch == nil) || (mismatch != nil && *mismatch != *tc.wantMismatch) {
				t.Fatalf("mismatch %+v, want %+v", mismatch, tc.wantMismatch)
			}
		})
	}
}

func TestFileReplaceReason_cases(t *testing.T) {
	img := activeImage("")
	cases := map[string]struct {
		checksum     string
		digests      map[string]string
		wantReason   string
		wantMismatch *checksumMismatch
	}{
		"same content":                   {digests: map[string]string{"sha512": testSHA512}},
		"fileContentChanged":             {digests: map[string]string{"sha512": testOtherSHA}, wantReason: "the content of f changed: its sha512 is 6666666666666666…, the image's os_hash_value is 5555555555555555…"},
		"checksum of the file":           {checksum: "sha256:" + testSHA256, digests: map[string]string{"sha512": testOtherSHA, "sha256": testSHA256}, wantReason: "the content of f changed"},
		"checksum not the file's":        {checksum: "sha256:" + testSHA256, digests: map[string]string{"sha512": testSHA512, "sha256": strings.Repeat("7", 64)}, wantMismatch: &checksumMismatch{"sha256", strings.Repeat("7", 64), testSHA256}},
		"sha512 checksum not the file's": {checksum: "sha512:" + testOtherSHA, digests: map[string]string{"sha512": testSHA512}, wantMismatch: &checksumMismatch{"sha512", testSHA512, testOtherSHA}},
		"checksum not hashed":            {checksum: "md5:" + testMD5, digests: map[string]string{"sha512": testSHA512}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reason, mismatch := fileReplaceReason(img, sourceDecl{File: "f", Checksum: tc.checksum}, tc.digests)
			if !strings.HasPrefix(reason, tc.wantReason) || (tc.wantReason == "" && reason != "") {
				t.Fatalf("reason %q, want %q", reason, tc.wantReason)
			}
			if (mismatch == nil) != (tc.wantMismatch == nil) || (mismatch != nil && *mismatch != *tc.wantMismatch) {
				t.Fatalf("mismatch %+v, want %+v", mismatch, tc.wantMismatch)
			}
		})
	}
}

func TestReservedPropertyNames_cases(t *testing.T) {
	got := reservedPropertyNames([]string{"os_distro", "name", "os_glance_failed_import", "os_hidden", "hw_disk_bus", "status", "terraform_glance_pending"})
	if want := []string{"name", "os_glance_failed_import", "os_hidden", "status", "terraform_glance_pending"}; !slices.Equal(got, want) {
		t.Fatalf("reserved %v, want %v", got, want)
	}
}

// summaries lists the problems as "path: summary" (W for warnings).
func summaries(problems []planProblem) []string {
	var out []string
	for _, p := range problems {
		s := p.path().String() + ": " + p.Summary
		if p.Warning {
			s = "W " + s
		}
		out = append(out, s)
	}
	return out
}

func ptr(s string) *string { return &s }

func TestImageConfigProblems_cases(t *testing.T) {
	file := &sourceConfig{FileSet: true, File: ptr("/tmp/x.img")}
	cases := map[string]struct {
		cfg  imageConfigValues
		want []string
	}{
		"record":               {imageConfigValues{}, nil},
		"reserved property":    {imageConfigValues{PropertyKeys: []string{"a", "os_hidden"}}, []string{`properties["os_hidden"]: Reserved Property Name`}},
		"store without source": {imageConfigValues{StoreSet: true}, []string{"W store: Store Without Source"}},
		"store with source":    {imageConfigValues{StoreSet: true, Source: file}, nil},
		"file":                 {imageConfigValues{Source: file}, nil},
		"file and url":         {imageConfigValues{Source: &sourceConfig{FileSet: true, URLSet: true, URL: ptr("http://h/x")}}, []string{"source: Conflicting Image Sources"}},
		"neither":              {imageConfigValues{Source: &sourceConfig{}}, []string{"source: Missing Image Source"}},
		"ftp url":              {imageConfigValues{Source: &sourceConfig{URLSet: true, URL: ptr("ftp://h/x")}}, []string{"source.url: Invalid Source URL"}},
		"relative url":         {imageConfigValues{Source: &sourceConfig{URLSet: true, URL: ptr("/x")}}, []string{"source.url: Invalid Source URL"}},
		"unknown url":          {imageConfigValues{Source: &sourceConfig{URLSet: true}}, nil},
		"headers with file":    {imageConfigValues{Source: &sourceConfig{FileSet: true, HeadersKnown: true}}, []string{"source.headers: Headers Without URL"}},
		"headers with url":     {imageConfigValues{Source: &sourceConfig{URLSet: true, URL: ptr("https://h/x"), HeadersKnown: true}}, nil},
		"bad checksum":         {imageConfigValues{Source: &sourceConfig{FileSet: true, Checksum: ptr("sha256:abc")}}, []string{"source.checksum: Invalid Checksum"}},
		"good checksum":        {imageConfigValues{Source: &sourceConfig{FileSet: true, Checksum: ptr("sha256:" + testSHA256)}}, nil},
		"directory":            {imageConfigValues{Source: &sourceConfig{FileSet: true, File: ptr("/tmp"), FileIsDir: true}}, []string{"source.file: Source Is a Directory"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := summaries(imageConfigProblems(tc.cfg)); !slices.Equal(got, tc.want) {
				t.Fatalf("problems %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPlanProblemPath_cases(t *testing.T) {
	if got := (planProblem{Attribute: "source.checksum"}).path(); !got.Equal(path.Root("source").AtName("checksum")) {
		t.Fatalf("path %s", got)
	}
	if got := (planProblem{Attribute: "properties", Key: "k"}).path(); !got.Equal(path.Root("properties").AtMapKey("k")) {
		t.Fatalf("path %s", got)
	}
}

// testImage is a glance.Image with every field the flattener maps.
func testImage() *glance.Image {
	return &glance.Image{ID: "i", Name: "n", DiskFormat: "raw", ContainerFormat: "bare", Visibility: "shared", Protected: true, Hidden: true,
		MinDisk: 2, MinRAM: 512, Tags: []string{"t"}, Status: glance.StatusDeactivated, Size: 10, VirtualSize: 20, Checksum: testMD5,
		OSHashAlgo: "sha512", OSHashValue: testSHA512, Owner: "p", Stores: []string{"fast"}, Properties: map[string]string{"a": "1"},
		CreatedAt: "c", UpdatedAt: "u", File: "/f", Schema: "/s"}
}

func TestFlattenImageAttrs_everyField(t *testing.T) {
	a := flattenImageAttrs(testImage())
	if a.ID.ValueString() != "i" || a.Visibility.ValueString() != "shared" || !a.Protected.ValueBool() || !a.Hidden.ValueBool() ||
		a.MinDiskGB.ValueInt64() != 2 || a.MinRAMMB.ValueInt64() != 512 || !a.Deactivated.ValueBool() || a.Size.ValueInt64() != 10 ||
		a.VirtualSize.ValueInt64() != 20 || a.Checksum.ValueString() != testMD5 || a.OSHashValue.ValueString() != testSHA512 ||
		a.Owner.ValueString() != "p" || len(a.Stores.Elements()) != 1 || len(a.Tags.Elements()) != 1 || len(a.AllProperties.Elements()) != 1 ||
		a.CreatedAt.ValueString() != "c" || a.UpdatedAt.ValueString() != "u" || a.File.ValueString() != "/f" || a.Schema.ValueString() != "/s" {
		t.Fatalf("flattened %+v", a)
	}
}

// TestFlattenImageAttrs_fitsEverySchema sets the models of the three image types, built with
// the shared flattener, into states of their schemas: every attribute must have its place.
func TestFlattenImageAttrs_fitsEverySchema(t *testing.T) {
	ctx := context.Background()
	var rs resource.SchemaResponse
	(&ImageResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	rm := imageModel{Properties: types.MapNull(types.StringType), Store: types.StringNull(),
		Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())}}
	flattenImage(testImage(), &rm, false)
	state := tfsdk.State{Schema: rs.Schema, Raw: tftypes.NewValue(rs.Schema.Type().TerraformType(ctx), nil)}
	if diags := state.Set(ctx, &rm); diags.HasError() {
		t.Fatalf("glance_image: %v", diags)
	}
	var ds datasource.SchemaResponse
	(&ImageDataSource{}).Schema(ctx, datasource.SchemaRequest{}, &ds)
	dm := imageDataModel{imageAttrs: flattenImageAttrs(testImage()), MemberStatus: types.StringNull(), Properties: types.MapNull(types.StringType),
		SizeMin: types.Int64Null(), SizeMax: types.Int64Null(), MostRecent: types.BoolNull()}
	dstate := tfsdk.State{Schema: ds.Schema, Raw: tftypes.NewValue(ds.Schema.Type().TerraformType(ctx), nil)}
	if diags := dstate.Set(ctx, &dm); diags.HasError() {
		t.Fatalf("data glance_image: %v", diags)
	}
	list := flattenImageList([]glance.Image{*testImage()})
	item, ok := list.Elements()[0].(types.Object)
	if !ok || item.Attributes()["properties"].String() != `{"a":"1"}` || item.Attributes()["min_ram_mb"].String() != "512" {
		t.Fatalf("glance_images item %v", list)
	}
}

func TestAdoptedURLCheck_cases(t *testing.T) {
	adopted := imageFacts{ID: "i", Status: "active", Size: 100}
	managed := adopted
	managed.Source = &sourceDecl{URL: "http://h/a.raw", Decompress: "none"}
	for name, tc := range map[string]struct {
		img  imageFacts
		src  sourceDecl
		want bool
	}{
		"imported image, url, no decompression":      {adopted, sourceDecl{URL: "http://h/a.raw", Decompress: "none"}, true},
		"decompressed: the served size says nothing": {adopted, sourceDecl{URL: "http://h/a.raw.xz", Decompress: "auto"}, false},
		"file source is hashed instead":              {adopted, sourceDecl{File: "/a.raw", Decompress: "none"}, false},
		"source already recorded":                    {managed, sourceDecl{URL: "http://h/a.raw", Decompress: "none"}, false},
		"image without data":                         {imageFacts{ID: "i", Status: "queued"}, sourceDecl{URL: "http://h/a.raw", Decompress: "none"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := adoptedURLCheck(tc.img, tc.src); got != tc.want {
				t.Errorf("adoptedURLCheck = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAdoptedURLReplaceReason_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		image, url int64
		replace    bool
	}{
		"same size is adopted":      {100, 100, false},
		"other size replaces":       {100, 99, true},
		"length not said":           {100, -1, false},
		"zero length counts as not": {100, 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			reason := adoptedURLReplaceReason(tc.image, tc.url)
			if (reason != "") != tc.replace {
				t.Errorf("adoptedURLReplaceReason(%d, %d) = %q, want replace %v", tc.image, tc.url, reason, tc.replace)
			}
		})
	}
}
