package provider

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
)

// TestAccProvider_badInput plans invalid values and conflicting combinations of every resource
// and data source against the real cloud: each must fail at plan time (PlanOnly, nothing is
// created) with a message that names the problem.
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
	cases := map[string]struct{ config, want string }{
		// glance_image
		"image: empty name":             {r("glance_image", `name = ""`+"\n"+`disk_format = "raw"`), `(?s)name.*length`},
		"image: bad disk_format":        {r("glance_image", `name = "x"`+"\n"+`disk_format = "qcow3"`), `(?s)disk_format.*qcow2`},
		"image: bad container_format":   {image(`container_format = "zip"`), `(?s)container_format.*bare`},
		"image: bad visibility":         {image(`visibility = "everyone"`), `(?s)visibility.*community`},
		"image: negative min_disk_gb":   {image(`min_disk_gb = -1`), `(?s)min_disk_gb.*at least 0`},
		"image: negative min_ram_mb":    {image(`min_ram_mb = -5`), `(?s)min_ram_mb.*at least 0`},
		"image: reserved property":      {image(`properties = { status = "active" }`), `Reserved Property Name`},
		"image: bad id":                 {image(`id = "42"`), `must be a UUID`},
		"image: unknown store":          {image(`store = "nosuch"` + "\n" + `source = { file = "` + file + `" }`), `(?s)Unknown Store.*fast, slow`},
		"image: missing file":           {image(`source = { file = "` + filepath.Join(dir, "nope") + `" }`), `Source File Not Found`},
		"image: directory":              {image(`source = { file = "` + dir + `" }`), `Source Is a Directory`},
		"image: file and url":           {image(`source = { file = "` + file + `", url = "http://127.0.0.1:8000/x" }`), `Conflicting Image Sources`},
		"image: neither file nor url":   {image(`source = { checksum = "md5:` + strings.Repeat("a", 32) + `" }`), `Missing Image Source`},
		"image: url scheme":             {image(`source = { url = "file:///etc/passwd" }`), `Invalid Source URL`},
		"image: bad checksum algorithm": {image(`source = { file = "` + file + `", checksum = "sha1:` + strings.Repeat("a", 40) + `" }`), `Invalid Checksum`},
		"image: short checksum":         {image(`source = { file = "` + file + `", checksum = "sha512:abc" }`), `Invalid Checksum`},
		"image: bad decompress":         {image(`source = { file = "` + file + `", decompress = "rar" }`), `(?s)decompress.*zstd`},
		// glance_image_import
		"import: unknown method":          {imp(`method = "ftp-download"`), `(?s)method.*web-download`},
		"import: uri with glance-direct":  {imp(`method = "glance-direct"` + "\n" + `file = "` + file + `"` + "\n" + `uri = "http://127.0.0.1:8000/x"`), `Argument Not Used by This Method`},
		"import: web-download needs uri":  {imp(`method = "web-download"`), `Missing Argument for web-download`},
		"import: bad uri":                 {imp(`method = "web-download"` + "\n" + `uri = "ftp://x/y"`), `Invalid URI`},
		"import: stores and all_stores":   {imp(`method = "copy-image"` + "\n" + `stores = ["fast"]` + "\n" + `all_stores = true`), `(?s)Conflicting Store Arguments|cannot be configured together|conflict`},
		"import: copy-image needs stores": {imp(`method = "copy-image"`), `Missing Target Stores`},
		"import: unknown store":           {imp(`method = "web-download"` + "\n" + `uri = "http://127.0.0.1:8000/x"` + "\n" + `stores = ["fats"]`), `(?s)Unknown Store.*fast`},
		"import: directory to stage":      {imp(`method = "glance-direct"` + "\n" + `file = "` + dir + `"`), `File Is a Directory`},
		"import: bad checksum":            {imp(`method = "glance-direct"` + "\n" + `file = "` + file + `"` + "\n" + `checksum = "crc32:1234"`), `Invalid Checksum`},
		"import: glance-download fields":  {imp(`method = "glance-download"`), `Missing Argument for glance-download`},
		// members
		"member: bad image_id":    {r("glance_image_member", `image_id = "x"`+"\n"+`member_id = "p"`), `must be an image UUID`},
		"member status: bad one":  {r("glance_image_member_status", `image_id = `+img+"\n"+`status = "maybe"`), `(?s)status.*accepted`},
		"member status: bad id":   {r("glance_image_member_status", `image_id = "x"`+"\n"+`status = "accepted"`), `must be an image UUID`},
		"data image: id and name": {d("glance_image", `id = `+img+"\n"+`name = "x"`), `Invalid Attribute Combination`},
		"data images: bad status": {d("glance_images", `status = "happy"`), `(?s)status.*active`},
		"data images: visibility": {d("glance_images", `visibility = "secret"`), `(?s)visibility.*community`},
		"data image: member st.":  {d("glance_image", `member_status = "maybe"`), `(?s)member_status.*accepted`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: regexp.MustCompile(tc.want)}},
			})
		})
	}
}
