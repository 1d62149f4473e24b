package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_badInput plans invalid values and conflicting combinations of every resource
// and data source against the real cloud with the terraform CLI: each must fail at plan time
// (nothing is created) with a message that names the problem, shown at the argument's line.
func TestAccProvider_badInput(t *testing.T) {
	dir := t.TempDir()
	file, _ := acctest.WriteRandomFile(t, dir, 1024)
	const img = `"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"`
	r := func(typ, body string) string {
		return "resource \"" + typ + "\" \"x\" {\n" + body + "\n}\n"
	}
	d := func(typ, body string) string {
		return "data \"" + typ + "\" \"x\" {\n" + body + "\n}\n"
	}
	image := func(extra string) string { return r("glance_image", "name = \"x\"\ndisk_format = \"raw\"\n"+extra) }
	imp := func(extra string) string { return r("glance_image_import", "image_id = "+img+"\n"+extra) }
	// attr is the argument the error must point at: terraform shows its line under the error.
	cases := map[string]struct{ config, want, attr string }{
		// glance_image
		"image: empty name":                {r("glance_image", `name = ""`+"\n"+`disk_format = "raw"`), `(?s)name.*length`, "name"},
		"image: bad disk_format":           {r("glance_image", `name = "x"`+"\n"+`disk_format = "qcow3"`), `(?s)disk_format.*qcow2`, "disk_format"},
		"image: no disk_format, no source": {r("glance_image", `name = "x"`), `(?s)Missing disk_format.*only with source`, `resource "glance_image" "x"`},
		"image: bad container_format":      {image(`container_format = "zip"`), `(?s)container_format.*bare`, "container_format"},
		"image: bad visibility":            {image(`visibility = "everyone"`), `(?s)visibility.*community`, "visibility"},
		"image: negative min_disk_gb":      {image(`min_disk_gb = -1`), `(?s)min_disk_gb.*between 0 and`, "min_disk_gb"},
		"image: negative min_ram_mb":       {image(`min_ram_mb = -5`), `(?s)min_ram_mb.*between 0 and`, "min_ram_mb"},
		"image: reserved property":         {image(`properties = { status = "active" }`), `Reserved Property Name`, "properties"},
		"image: pending mark property":     {image(`properties = { terraform_glance_pending = "x" }`), `(?s)Reserved Property Name.*reserved by this provider`, "properties"},
		"image: bad id":                    {image(`id = "42"`), `must be a UUID`, "id"},
		"image: unknown store":             {image(`store = "nosuch"` + "\n" + `source = { file = "` + file + `" }`), `(?s)Unknown Store.*fast, slow`, "store"},
		"image: missing file":              {image(`source = { file = "` + filepath.Join(dir, "nope") + `" }`), `(?s)Source File Not Found.*source\.file: cannot read`, `resource "glance_image"`},
		"image: directory":                 {image(`source = { file = "` + dir + `" }`), `(?s)Source Is a Directory.*source\.file`, `resource "glance_image"`},
		"image: file and url":              {image(`source = { file = "` + file + `", url = "http://127.0.0.1:8000/x" }`), `Conflicting Image Sources`, "source"},
		"image: neither file nor url":      {image(`source = { checksum = "md5:` + strings.Repeat("a", 32) + `" }`), `Missing Image Source`, "source"},
		"image: url scheme":                {image(`source = { url = "file:///etc/passwd" }`), `(?s)Invalid Source URL.*source\.url`, `resource "glance_image"`},
		"image: bad checksum algorithm":    {image(`source = { file = "` + file + `", checksum = "sha1:` + strings.Repeat("a", 40) + `" }`), `(?s)Invalid Checksum.*source\.checksum`, `resource "glance_image"`},
		"image: short checksum":            {image(`source = { file = "` + file + `", checksum = "sha512:abc" }`), `(?s)Invalid Checksum.*source\.checksum`, `resource "glance_image"`},
		"image: bad decompress":            {image(`source = { file = "` + file + `", decompress = "rar" }`), `(?s)source\.decompress.*zstd`, `resource "glance_image"`},
		// glance_image_import
		"import: unknown method":          {imp(`method = "ftp-download"`), `(?s)method.*web-download`, "method"},
		"import: uri with glance-direct":  {imp(`method = "glance-direct"` + "\n" + `file = "` + file + `"` + "\n" + `uri = "http://127.0.0.1:8000/x"`), `Argument Not Used by This Method`, "uri"},
		"import: web-download needs uri":  {imp(`method = "web-download"`), `Missing Argument for web-download`, `resource "glance_image_import"`},
		"import: bad uri":                 {imp(`method = "web-download"` + "\n" + `uri = "ftp://x/y"`), `Invalid URI`, "uri"},
		"import: stores and all_stores":   {imp(`method = "copy-image"` + "\n" + `stores = ["fast"]` + "\n" + `all_stores = true`), `(?s)Conflicting Store Arguments|cannot be configured together|conflict`, "(stores|all_stores)"},
		"import: copy-image needs stores": {imp(`method = "copy-image"`), `Missing Target Stores`, `resource "glance_image_import"`},
		"import: unknown store":           {imp(`method = "web-download"` + "\n" + `uri = "http://127.0.0.1:8000/x"` + "\n" + `stores = ["fats"]`), `(?s)Unknown Store.*fast`, "stores"},
		"import: directory to stage":      {imp(`method = "glance-direct"` + "\n" + `file = "` + dir + `"`), `File Is a Directory`, "file"},
		"import: bad checksum":            {imp(`method = "glance-direct"` + "\n" + `file = "` + file + `"` + "\n" + `checksum = "crc32:1234"`), `Invalid Checksum`, "checksum"},
		"import: glance-download fields":  {imp(`method = "glance-download"`), `Missing Argument for glance-download`, `resource "glance_image_import"`},
		// members
		"member: bad image_id":                   {r("glance_image_member", `image_id = "x"`+"\n"+`member_id = "p"`), `must be an image UUID`, "image_id"},
		"member status: bad one":                 {r("glance_image_member_status", `image_id = `+img+"\n"+`status = "maybe"`), `(?s)status.*accepted`, "status"},
		"member status: bad id":                  {r("glance_image_member_status", `image_id = "x"`+"\n"+`status = "accepted"`), `must be an image UUID`, "image_id"},
		"data image: id and name":                {d("glance_image", `id = `+img+"\n"+`name = "x"`), `Invalid Attribute Combination`, "(id|name)"},
		"data images: bad status":                {d("glance_images", `status = "happy"`), `(?s)status.*active`, "status"},
		"data images: visibility":                {d("glance_images", `visibility = "secret"`), `(?s)visibility.*community`, "visibility"},
		"data image: member st.":                 {d("glance_image", `member_status = "maybe"`), `(?s)member_status.*accepted`, "member_status"},
		"data image: bad id":                     {d("glance_image", `id = "42"`), `must be an image UUID`, "id"},
		"data image: size range":                 {d("glance_image", "size_min = 10\nsize_max = 5"), `Empty Size Range`, "size_max"},
		"data image: most_recent not bool":       {d("glance_image", `most_recent = "sometimes"`), `bool is required`, "most_recent"},
		"data images: bad sort key":              {d("glance_images", `sort = "visibility:asc"`), `(?s)Invalid Sort Key.*created_at`, "sort"},
		"data images: bad sort direction":        {d("glance_images", `sort = "name:up"`), `(?s)Invalid Sort Direction.*asc or desc`, "sort"},
		"data images: negative size_min":         {d("glance_images", `size_min = -1`), `(?s)size_min.*at least 0`, "size_min"},
		"data images: negative size_max":         {d("glance_images", `size_max = -1`), `(?s)size_max.*at least 0`, "size_max"},
		"data images: size range":                {d("glance_images", "size_min = 10\nsize_max = 5"), `Empty Size Range`, "size_max"},
		"data images: empty name":                {d("glance_images", `name = ""`), `(?s)name.*length`, "name"},
		"data images: empty owner":               {d("glance_images", `owner = ""`), `(?s)owner.*length`, "owner"},
		"data images: empty tag":                 {d("glance_images", `tags = [""]`), `(?s)tags.*length`, "tags"},
		"data images: property with own arg":     {d("glance_images", `properties = { name = "x" }`), `(?s)properties.*none of`, "properties"},
		"data images: member status":             {d("glance_images", `member_status = "maybe"`), `(?s)member_status.*accepted`, "member_status"},
		"data images: hidden not bool":           {d("glance_images", `hidden = "sometimes"`), `bool is required`, "hidden"},
		"data stores: detail not bool":           {d("glance_stores", `detail = "maybe"`), `bool is required`, "detail"},
		"data usage: no arguments":               {d("glance_usage", `limit = 5`), `Unsupported argument`, "limit"},
		"data import methods: no arguments":      {d("glance_import_methods", `method = "x"`), `Unsupported argument`, "method"},
		"image: bad timeout":                     {image(`timeouts = { create = "soon" }`), `Invalid Attribute Value Time Duration`, `resource "glance_image"`},
		"image: tag too long":                    {image(`tags = ["` + strings.Repeat("t", 256) + `"]`), `(?s)tags.*length`, "tags"},
		"image: deactivated without data":        {image(`deactivated = true`), `Image Without Data Cannot Be Deactivated`, "deactivated"},
		"image: min_ram_mb too large":            {image(`min_ram_mb = 3000000000`), `(?s)min_ram_mb.*between 0 and 2147483647`, "min_ram_mb"},
		"image: empty file":                      {image(`source = { file = "" }`), `(?s)source\.file.*length`, `resource "glance_image"`},
		"image: emoji in name":                   {r("glance_image", "name = \"golden \U0001F600\"\ndisk_format = \"raw\""), `Character Glance Refuses`, "name"},
		"image: emoji in a property":             {image(`properties = { mood = "\U0001F600" }`), `Character Glance Refuses`, "properties"},
		"image: headers without url":             {image(`source = { file = "` + file + `", headers = { a = "b" } }`), `(?s)Headers Without URL.*source\.headers`, `resource "glance_image"`},
		"import: bad image_id":                   {r("glance_image_import", `image_id = "x"`+"\n"+`method = "copy-image"`+"\n"+`all_stores = true`), `must be an image UUID`, "image_id"},
		"import: region without glance-download": {imp(`method = "web-download"` + "\n" + `uri = "http://127.0.0.1:8000/x"` + "\n" + `glance_region = "RegionTwo"`), `Argument Not Used by This Method`, "glance_region"},
		"import: bad source image id":            {imp(`method = "glance-download"` + "\n" + `glance_image_id = "x"` + "\n" + `glance_region = "RegionTwo"`), `must be an image UUID`, "glance_image_id"},
		"import: bad interface":                  {imp(`method = "glance-download"` + "\n" + `glance_image_id = ` + img + "\n" + `glance_region = "RegionTwo"` + "\n" + `glance_service_interface = "private"`), `(?s)glance_service_interface.*public`, "glance_service_interface"},
		"import: empty stores":                   {imp(`method = "copy-image"` + "\n" + `stores = []`), `(?s)stores.*at least 1`, "stores"},
		"member: empty member_id":                {r("glance_image_member", `image_id = `+img+"\n"+`member_id = ""`), `(?s)member_id.*length`, "member_id"},
		"member status: empty member_id":         {r("glance_image_member_status", `image_id = `+img+"\n"+`member_id = ""`+"\n"+`status = "accepted"`), `(?s)member_id.*length`, "member_id"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			acctest.PreCheck(t)
			t.Parallel()
			// The terraform CLI itself, so the test sees what a user sees (the harness's
			// ExpectError cannot check two things of one error).
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(acctest.ExternalProvider+tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := acctest.Terraform(t, dir, nil, "plan")
			if err == nil {
				t.Fatalf("plan succeeded; want an error matching %s\n%s", tc.want, out)
			}
			if !regexp.MustCompile(tc.want).MatchString(out) {
				t.Errorf("the error does not match %s:\n%s", tc.want, out)
			}
			if !regexp.MustCompile(attributeLine(tc.attr)).MatchString(out) {
				t.Errorf("the error does not point at %s:\n%s", tc.attr, out)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "Plan:") {
				t.Errorf("want a plan-time error and no plan:\n%s", out)
			}
		})
	}
}

// attributeLine matches the source line terraform shows under an error: the argument's line,
// or the block's first line when the error is about a missing argument or a nested attribute
// (terraform cannot point inside an object value, so those messages name source.x themselves).
func attributeLine(attr string) string {
	if strings.HasPrefix(attr, "resource ") || strings.HasPrefix(attr, "data ") {
		return `\d+: ` + regexp.QuoteMeta(attr)
	}
	return `\d+: (?:` + attr + `)\s*=`
}
