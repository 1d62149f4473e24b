package provider

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// imageImportTestSchema returns the resource schema.
func imageImportTestSchema(t *testing.T) rschema.Schema {
	t.Helper()
	var resp fwresource.SchemaResponse
	NewImageImportResource().Schema(context.Background(), fwresource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	return resp.Schema
}

// imageImportTestValue builds a resource object; attributes not given are null. String values
// are given as Go strings, sets as []string, bools as bool.
func imageImportTestValue(t *testing.T, s rschema.Schema, attrs map[string]any) tftypes.Value {
	t.Helper()
	typ, ok := s.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("the schema is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		v, ok := attrs[name]
		if !ok {
			vals[name] = tftypes.NewValue(at, nil)
			continue
		}
		switch x := v.(type) {
		case []string:
			elems := make([]tftypes.Value, 0, len(x))
			for _, e := range x {
				elems = append(elems, tftypes.NewValue(tftypes.String, e))
			}
			vals[name] = tftypes.NewValue(at, elems)
		case tftypes.Value:
			vals[name] = x
		default:
			vals[name] = tftypes.NewValue(at, x)
		}
	}
	return tftypes.NewValue(typ, vals)
}

var imageImportUnknownString = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)

func TestImageImportResource_schemaDescriptions(t *testing.T) {
	s := imageImportTestSchema(t)
	method := s.Attributes["method"].GetMarkdownDescription()
	for _, m := range imageImportMethods {
		if !strings.Contains(method, "`"+m+"`") {
			t.Errorf("method description does not list %s: %s", m, method)
		}
	}
	for name, a := range s.Attributes {
		if len(a.GetMarkdownDescription()) < 20 {
			t.Errorf("attribute %s has no real description", name)
		}
	}
}

func TestImageImportResource_validateConfig(t *testing.T) {
	s := imageImportTestSchema(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		attrs     map[string]any
		attribute string // "" = no error expected
		summary   string
	}{
		"glance-direct ok":               {attrs: map[string]any{"image_id": "i", "method": "glance-direct", "file": file, "stores": []string{"fast"}}},
		"web-download ok":                {attrs: map[string]any{"image_id": "i", "method": "web-download", "uri": "https://example.com/x.img", "checksum": "md5:" + strings.Repeat("a", 32)}},
		"copy-image all_stores ok":       {attrs: map[string]any{"image_id": "i", "method": "copy-image", "all_stores": true}},
		"glance-download ok":             {attrs: map[string]any{"image_id": "i", "method": "glance-download", "glance_image_id": "s", "glance_region": "RegionTwo"}},
		"unknown method skips the rules": {attrs: map[string]any{"image_id": "i", "method": imageImportUnknownString, "uri": "http://h/x"}},
		"unknown file is not checked":    {attrs: map[string]any{"image_id": "i", "method": "glance-direct", "file": imageImportUnknownString}},
		"glance-direct without file":     {attrs: map[string]any{"image_id": "i", "method": "glance-direct"}, attribute: "file", summary: "Missing Argument for glance-direct"},
		"glance-direct with uri": {attrs: map[string]any{"image_id": "i", "method": "glance-direct", "file": file, "uri": "http://h/x"},
			attribute: "uri", summary: "Argument Not Used by This Method"},
		"web-download without uri":   {attrs: map[string]any{"image_id": "i", "method": "web-download"}, attribute: "uri", summary: "Missing Argument"},
		"web-download with ftp":      {attrs: map[string]any{"image_id": "i", "method": "web-download", "uri": "ftp://h/x"}, attribute: "uri", summary: "Invalid URI"},
		"web-download with file":     {attrs: map[string]any{"image_id": "i", "method": "web-download", "uri": "http://h/x", "file": file}, attribute: "file", summary: "Argument Not Used"},
		"glance-download, no region": {attrs: map[string]any{"image_id": "i", "method": "glance-download", "glance_image_id": "s"}, attribute: "glance_region", summary: "Missing Argument"},
		"glance-download from itself": {attrs: map[string]any{"image_id": "i", "method": "glance-download", "glance_image_id": "i", "glance_region": "R"},
			attribute: "glance_image_id", summary: "Image Cannot Be Its Own Source"},
		"interface with web-download": {attrs: map[string]any{"image_id": "i", "method": "web-download", "uri": "http://h/x", "glance_service_interface": "public"},
			attribute: "glance_service_interface", summary: "Argument Not Used"},
		"copy-image without stores": {attrs: map[string]any{"image_id": "i", "method": "copy-image"}, attribute: "stores", summary: "Missing Target Stores"},
		"stores and all_stores": {attrs: map[string]any{"image_id": "i", "method": "copy-image", "stores": []string{"slow"}, "all_stores": true},
			attribute: "stores", summary: "Conflicting Store Arguments"},
		"file is a directory": {attrs: map[string]any{"image_id": "i", "method": "glance-direct", "file": dir}, attribute: "file", summary: "File Is a Directory"},
		"file missing": {attrs: map[string]any{"image_id": "i", "method": "glance-direct", "file": filepath.Join(dir, "nope")},
			attribute: "file", summary: "File Not Readable"},
		"bad checksum": {attrs: map[string]any{"image_id": "i", "method": "copy-image", "all_stores": true, "checksum": "sha1:abc"},
			attribute: "checksum", summary: "Invalid Checksum"},
	} {
		t.Run(name, func(t *testing.T) {
			req := fwresource.ValidateConfigRequest{Config: tfsdk.Config{Schema: s, Raw: imageImportTestValue(t, s, tc.attrs)}}
			var resp fwresource.ValidateConfigResponse
			(&ImageImportResource{}).ValidateConfig(context.Background(), req, &resp)
			if tc.attribute == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("unexpected errors: %v", resp.Diagnostics)
				}
				return
			}
			if !imageImportHasError(resp.Diagnostics, tc.attribute, tc.summary) {
				t.Fatalf("want an error on %s with %q, got %v", tc.attribute, tc.summary, resp.Diagnostics)
			}
		})
	}
}

func imageImportHasError(diags diag.Diagnostics, attribute, summary string) bool {
	for _, d := range diags.Errors() {
		if diagPath(d) == attribute && strings.Contains(d.Summary(), summary) {
			return true
		}
	}
	return false
}

func TestImageImportResource_modifyPlan(t *testing.T) {
	s := imageImportTestSchema(t)
	created := map[string]any{
		"id": "i", "image_id": "i", "method": "web-download", "uri": "http://h/a", "stores": []string{"fast"},
		"all_stores": false, "all_stores_must_succeed": true, "status": "active", "image_stores": []string{"fast"},
		"failed_stores": []string{}, "copied_stores": []string{}, "os_hash_algo": "sha512", "os_hash_value": "h",
	}
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			k := fmt.Sprint(kv[i])
			if kv[i+1] == nil {
				delete(m, k)
			} else {
				m[k] = kv[i+1]
			}
		}
		return m
	}
	config := func(m map[string]any) map[string]any {
		return with(m, "id", nil, "status", nil, "image_stores", nil, "failed_stores", nil, "copied_stores", nil, "os_hash_algo", nil, "os_hash_value", nil)
	}
	copyImage := with(created, "method", "copy-image", "uri", nil, "stores", []string{"slow"}, "image_stores", []string{"fast", "slow"}, "copied_stores", []string{"slow"})
	imported := map[string]any{"id": "i", "image_id": "i", "all_stores": false, "all_stores_must_succeed": true, "status": "active",
		"image_stores": []string{"fast"}, "failed_stores": []string{}, "copied_stores": []string{}, "os_hash_algo": "sha512", "os_hash_value": "h"}

	for name, tc := range map[string]struct {
		state, plan map[string]any
		replace     []string
		iface       any // expected glance_service_interface: string, nil (null) or "unknown"
	}{
		"no change":                      {state: created, plan: created},
		"uri change replaces":            {state: created, plan: with(created, "uri", "http://h/b"), replace: []string{"uri"}},
		"stores change replaces":         {state: created, plan: with(created, "stores", []string{"slow"}), replace: []string{"stores"}},
		"must_succeed is in place":       {state: created, plan: with(created, "all_stores_must_succeed", false)},
		"checksum is in place":           {state: created, plan: with(created, "checksum", "md5:"+strings.Repeat("0", 32))},
		"image change replaces":          {state: created, plan: with(created, "image_id", "j"), replace: []string{"image_id"}},
		"copy-image stores in place":     {state: copyImage, plan: with(copyImage, "stores", []string{"slow", "fast"})},
		"copy-image all_stores in place": {state: copyImage, plan: with(copyImage, "stores", nil, "all_stores", true)},
		"method change replaces":         {state: copyImage, plan: with(copyImage, "method", "web-download", "uri", "http://h/a"), replace: []string{"method", "uri"}},
		"adopting after import":          {state: imported, plan: with(imported, "method", "web-download", "uri", "http://h/a", "stores", []string{"fast"}, "checksum", "md5:"+strings.Repeat("0", 32))},
		"adopting, other image replaces": {state: imported, plan: with(imported, "image_id", "j", "method", "web-download", "uri", "http://h/a"), replace: []string{"image_id"}},
		"glance-download default":        {state: nil, plan: map[string]any{"image_id": "i", "method": "glance-download", "glance_image_id": "s", "glance_region": "R", "all_stores": false, "all_stores_must_succeed": true}, iface: "public"},
		"unknown method":                 {state: nil, plan: map[string]any{"image_id": "i", "method": imageImportUnknownString, "all_stores": false, "all_stores_must_succeed": true}, iface: "unknown"},
	} {
		t.Run(name, func(t *testing.T) {
			state := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(context.Background()), nil)}
			if tc.state != nil {
				state.Raw = imageImportTestValue(t, s, tc.state)
			}
			req := fwresource.ModifyPlanRequest{
				Config: tfsdk.Config{Schema: s, Raw: imageImportTestValue(t, s, config(tc.plan))},
				Plan:   tfsdk.Plan{Schema: s, Raw: imageImportTestValue(t, s, tc.plan)},
				State:  state,
			}
			resp := fwresource.ModifyPlanResponse{Plan: req.Plan}
			(&ImageImportResource{}).ModifyPlan(context.Background(), req, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			var got []string
			for _, p := range resp.RequiresReplace {
				got = append(got, p.String())
			}
			if strings.Join(got, ",") != strings.Join(tc.replace, ",") {
				t.Fatalf("RequiresReplace = %v, want %v", got, tc.replace)
			}
			var iface types.String
			resp.Diagnostics.Append(resp.Plan.GetAttribute(context.Background(), path.Root("glance_service_interface"), &iface)...)
			switch want := tc.iface.(type) {
			case nil:
				if !iface.IsNull() {
					t.Errorf("glance_service_interface = %v, want null", iface)
				}
			case string:
				if want == "unknown" && !iface.IsUnknown() || want != "unknown" && iface.ValueString() != want {
					t.Errorf("glance_service_interface = %v, want %s", iface, want)
				}
			}
		})
	}
}

// TestImageImportResource_modifyPlanChecksTheCloud runs the plan-time API checks against a fake
// Glance under the /glance prefix that offers three methods and two stores, and under the
// /single prefix a Glance without multiple stores that offers all four methods (as Glance does).
func TestImageImportResource_modifyPlanChecksTheCloud(t *testing.T) {
	s := imageImportTestSchema(t)
	var calls sync.Map // path → true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Store(r.URL.Path, true)
		switch r.URL.Path {
		case "/glance/v2/info/import":
			_, _ = w.Write([]byte(`{"import-methods": {"value": ["glance-direct", "web-download", "glance-download"]}}`))
		case "/single/v2/info/import":
			_, _ = w.Write([]byte(`{"import-methods": {"value": ["glance-direct", "web-download", "copy-image", "glance-download"]}}`))
		case "/glance/v2/info/stores":
			_, _ = w.Write([]byte(`{"stores": [{"id": "fast", "default": "true"}, {"id": "slow"}]}`))
		case "/glance/v2/images/active-image":
			_, _ = w.Write([]byte(`{"id": "active-image", "status": "active", "stores": "fast"}`))
		case "/glance/v2/images/queued-image", "/single/v2/images/queued-image":
			_, _ = w.Write([]byte(`{"id": "queued-image", "status": "queued"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	newClient := func(prefix string, auth glance.Auth) *glance.Client {
		c, err := glance.New(srv.URL+prefix, auth, glance.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	client := newClient("/glance", nil)
	single := &providerMeta{client: newClient("/single", nil)}
	catalog := &providerMeta{client: newClient("/glance", imageImportTestCatalog{
		{"RegionOne", "public"}, {"RegionOne", "admin"}, {"RegionTwo", "public"}, {"RegionThree", "internal"},
	})}
	plan := func(attrs map[string]any) map[string]any {
		if _, ok := attrs["all_stores"]; !ok {
			attrs["all_stores"] = false
		}
		attrs["all_stores_must_succeed"] = true
		return attrs
	}
	copyState := plan(map[string]any{"id": "active-image", "image_id": "active-image", "method": "copy-image", "stores": []string{"slow"}, "status": "active"})
	download := func(kv ...any) map[string]any {
		attrs := plan(map[string]any{"image_id": "not-yet", "method": "glance-download", "glance_image_id": "source"})
		for i := 0; i+1 < len(kv); i += 2 {
			attrs[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return attrs
	}
	for name, tc := range map[string]struct {
		attrs      map[string]any
		state      map[string]any // nil: create
		meta       *providerMeta
		attribute  string
		summary    string
		detailHas  string
		warning    string
		noAPICalls bool
	}{
		"offered method, known stores, queued image": {attrs: plan(map[string]any{"image_id": "queued-image", "method": "web-download", "uri": "http://h/x", "stores": []string{"slow"}})},
		"image created by this apply (404)":          {attrs: plan(map[string]any{"image_id": "not-yet", "method": "web-download", "uri": "http://h/x"})},
		"method not offered": {attrs: plan(map[string]any{"image_id": "queued-image", "method": "copy-image", "stores": []string{"slow"}}),
			attribute: "method", summary: "Import Method Not Offered", detailHas: "It offers: `glance-direct`, `web-download`, `glance-download`"},
		"unknown store": {attrs: plan(map[string]any{"image_id": "queued-image", "method": "web-download", "uri": "http://h/x", "stores": []string{"fast", "nope"}}),
			attribute: "stores", summary: "Unknown Store", detailHas: "Its stores are: `fast`, `slow`"},
		// A warning, not an error: terraform destroy plans the configuration first, and an
		// error would keep the image from being destroyed.
		"data import into an active image": {attrs: plan(map[string]any{"image_id": "active-image", "method": "web-download", "uri": "http://h/x"}),
			attribute: "image_id", warning: "Image Already Has Data"},
		"provider configuration unknown": {attrs: plan(map[string]any{"image_id": "active-image", "method": "copy-image", "stores": []string{"nope"}}),
			meta: &providerMeta{configUnknown: true}, noAPICalls: true},
		"unknown values are not checked": {attrs: plan(map[string]any{"image_id": imageImportUnknownString, "method": imageImportUnknownString,
			"stores": tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, tftypes.UnknownValue)}), noAPICalls: true},

		// A cloud without multiple stores (GET /v2/info/stores answers 404) would answer the
		// import with a bare HTTP 500.
		"single store: stores": {attrs: plan(map[string]any{"image_id": "queued-image", "method": "web-download", "uri": "http://h/x", "stores": []string{"fast"}}),
			meta: single, attribute: "stores", summary: "Cloud Has No Multiple Stores", detailHas: "Remove stores"},
		"single store: all_stores": {attrs: plan(map[string]any{"image_id": "queued-image", "method": "web-download", "uri": "http://h/x", "all_stores": true}),
			meta: single, attribute: "all_stores", summary: "Cloud Has No Multiple Stores", detailHas: "Remove all_stores"},
		"single store: copy-image": {attrs: plan(map[string]any{"image_id": "active-image", "method": "copy-image", "all_stores": true}),
			meta: single, attribute: "method", summary: "Cloud Has No Multiple Stores", detailHas: `method = "copy-image" copies`},
		"single store: copy-image to stores": {attrs: plan(map[string]any{"image_id": "active-image", "method": "copy-image", "stores": []string{"slow"}}),
			meta: single, attribute: "method", summary: "Cloud Has No Multiple Stores", detailHas: "Remove this glance_image_import"},
		"single store: all_stores turned on": {attrs: plan(map[string]any{"id": "active-image", "image_id": "active-image", "method": "copy-image", "all_stores": true, "status": "active"}),
			state: copyState, meta: single, attribute: "all_stores", summary: "Cloud Has No Multiple Stores"},
		"single store: unchanged import is not checked": {attrs: copyState, state: copyState, meta: single, noAPICalls: true},
		"single store: default store":                   {attrs: plan(map[string]any{"image_id": "queued-image", "method": "web-download", "uri": "http://h/x"}), meta: single},

		// glance-download: the source region needs an image endpoint in the token's catalog.
		"catalog: region and interface":          {attrs: download("glance_region", "RegionTwo"), meta: catalog},
		"catalog: region in another case":        {attrs: download("glance_region", "regiontwo"), meta: catalog},
		"catalog: admin interface":               {attrs: download("glance_region", "RegionOne", "glance_service_interface", "admin"), meta: catalog},
		"catalog: no catalog (token + endpoint)": {attrs: download("glance_region", "RegionX")},
		"catalog: unknown region": {attrs: download("glance_region", "RegionX"), meta: catalog,
			attribute: "glance_region", summary: "Region Not in Catalog", detailHas: "Regions with an image endpoint for the public interface: `RegionOne`, `RegionTwo`."},
		"catalog: unknown region, internal": {attrs: download("glance_region", "RegionX", "glance_service_interface", "internal"), meta: catalog,
			attribute: "glance_region", summary: "Region Not in Catalog", detailHas: "for the internal interface: `RegionThree`."},
		"catalog: interface missing in region": {attrs: download("glance_region", "RegionTwo", "glance_service_interface", "internal"), meta: catalog,
			attribute: "glance_service_interface", summary: "No Image Endpoint for This Interface", detailHas: "only for `public`"},
		"catalog: unknown region value": {attrs: download("glance_region", imageImportUnknownString), meta: catalog},
		"catalog: provider configuration unknown": {attrs: download("glance_region", "RegionX"),
			meta: &providerMeta{configUnknown: true, client: catalog.client}, noAPICalls: true},
	} {
		t.Run(name, func(t *testing.T) {
			calls.Clear()
			meta := tc.meta
			if meta == nil {
				meta = &providerMeta{client: client}
			}
			raw := imageImportTestValue(t, s, tc.attrs)
			req := fwresource.ModifyPlanRequest{
				Config: tfsdk.Config{Schema: s, Raw: raw},
				Plan:   tfsdk.Plan{Schema: s, Raw: raw},
				State:  tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(context.Background()), nil)},
			}
			if tc.state != nil {
				req.State.Raw = imageImportTestValue(t, s, tc.state)
			}
			resp := fwresource.ModifyPlanResponse{Plan: req.Plan}
			(&ImageImportResource{meta: meta}).ModifyPlan(context.Background(), req, &resp)
			if tc.summary == "" && resp.Diagnostics.HasError() {
				t.Fatalf("unexpected errors: %v", resp.Diagnostics)
			}
			if tc.summary != "" {
				if !imageImportHasError(resp.Diagnostics, tc.attribute, tc.summary) || len(resp.Diagnostics.Errors()) != 1 || !strings.Contains(resp.Diagnostics.Errors()[0].Detail(), tc.detailHas) {
					t.Fatalf("want %q on %s mentioning %q, got %v", tc.summary, tc.attribute, tc.detailHas, resp.Diagnostics)
				}
			}
			if tc.warning != "" {
				found := false
				for _, d := range resp.Diagnostics.Warnings() {
					found = found || (d.Summary() == tc.warning && diagPath(d) == tc.attribute && strings.Contains(d.Detail(), "will fail at apply"))
				}
				if !found {
					t.Fatalf("want the warning %q on %s, got %v", tc.warning, tc.attribute, resp.Diagnostics)
				}
			}
			n := 0
			calls.Range(func(any, any) bool { n++; return true })
			if tc.noAPICalls && n != 0 {
				t.Fatalf("%d endpoints called; want none", n)
			}
		})
	}
}

// imageImportTestCatalog is an Auth whose token catalog has these image endpoints.
type imageImportTestCatalog []catalogImageEndpoint

func (imageImportTestCatalog) Token() string                                { return "token" }
func (imageImportTestCatalog) Reauthenticate(context.Context, string) error { return nil }
func (c imageImportTestCatalog) imageEndpoints() ([]catalogImageEndpoint, bool) {
	return c, true
}

func TestImageStateDiag(t *testing.T) {
	for name, tc := range map[string]struct {
		method, status string
		summary        string
	}{
		"web-download into queued":     {glance.MethodWebDownload, glance.StatusQueued, ""},
		"glance-direct into queued":    {glance.MethodGlanceDirect, glance.StatusQueued, ""},
		"web-download into active":     {glance.MethodWebDownload, glance.StatusActive, "Image Already Has Data"},
		"glance-download, deactivated": {glance.MethodGlanceDownload, glance.StatusDeactivated, "Image Already Has Data"},
		"glance-direct into uploading": {glance.MethodGlanceDirect, glance.StatusUploading, "Image Has Staged Data"},
		"web-download while importing": {glance.MethodWebDownload, glance.StatusImporting, "Image Busy"},
		"copy-image of active":         {glance.MethodCopyImage, glance.StatusActive, ""},
		"copy-image of queued":         {glance.MethodCopyImage, glance.StatusQueued, "Image Not Active"},
	} {
		err := glance.CheckImportPrecondition(tc.method, &glance.Image{ID: "i", Status: tc.status})
		var se *glance.ImageStateError
		switch {
		case tc.summary == "" && err != nil:
			t.Errorf("%s: unexpected %v", name, err)
		case tc.summary != "" && !errors.As(err, &se):
			t.Errorf("%s: got %v, want an *ImageStateError", name, err)
		case tc.summary != "":
			if d := imageStateDiag(se); d.Summary() != tc.summary || diagPath(d) != "image_id" {
				t.Errorf("%s: got %v, want %q on image_id", name, d, tc.summary)
			}
		}
	}
	d := imageStateDiag(&glance.ImageStateError{ImageID: "i", Method: glance.MethodWebDownload, Status: glance.StatusActive, Problem: glance.ImageHasData})
	if !strings.Contains(d.Detail(), "-replace=glance_image.NAME") || !strings.Contains(d.Detail(), "terraform import glance_image_import.NAME i") {
		t.Errorf("the detail must say how to replace or adopt: %s", d.Detail())
	}
}

func TestAddChecksumError(t *testing.T) {
	sha512 := strings.Repeat("ab", 64)
	md5 := strings.Repeat("cd", 16)
	sha256 := strings.Repeat("ef", 32)
	img := &glance.Image{ID: "i", OSHashAlgo: "sha512", OSHashValue: sha512, Checksum: md5}
	for name, tc := range map[string]struct {
		expected string
		staged   glance.Digests
		ok       bool
		warning  bool
	}{
		"sha512 matches os_hash_value": {expected: "sha512:" + strings.ToUpper(sha512), ok: true},
		"sha512 differs":               {expected: "sha512:" + strings.Repeat("00", 64)},
		"md5 matches checksum":         {expected: "md5:" + md5, ok: true},
		"sha256 cannot be verified":    {expected: "sha256:" + sha256, ok: true, warning: true},
		"sha256 from the staged file":  {expected: "sha256:" + sha256, staged: glance.Digests{"sha256": sha256}, ok: true},
		"staged sha256 differs":        {expected: "sha256:" + sha256, staged: glance.Digests{"sha256": strings.Repeat("11", 32)}},
	} {
		var diags diag.Diagnostics
		unverified, err := glance.CompareChecksum(tc.expected, img, tc.staged)
		addChecksumUnverified(&diags, unverified)
		if err != nil {
			addChecksumError(&diags, err, true)
		}
		if (err == nil) != tc.ok || (len(diags.Warnings()) > 0) != tc.warning {
			t.Errorf("%s: err = %v, diags = %v", name, err, diags)
		}
		if err != nil && (!diags.HasError() || diags.Errors()[0].Summary() != "Checksum Mismatch" ||
			!strings.Contains(diags.Errors()[0].Detail(), "The data imported into image i does not match checksum")) {
			t.Errorf("%s: want a Checksum Mismatch error, got %v", name, diags)
		}
	}
}

func TestAddWrongDataError(t *testing.T) {
	var diags diag.Diagnostics
	addWrongDataError(&diags, &glance.WrongDataError{ImageID: "i", Err: &glance.DigestMismatchError{Algorithm: "sha512", Glance: "aa", Local: "bb"}})
	if !diags.HasError() || diags.Errors()[0].Summary() != "Imported Data Differs From the Staged File" ||
		len(diags.Warnings()) != 1 || diags.Warnings()[0].Summary() != "Image Deactivated" {
		t.Errorf("staged mismatch: %v", diags)
	}
	diags = nil
	addWrongDataError(&diags, &glance.WrongDataError{ImageID: "i", Err: &glance.ExpectedDigestError{Algorithm: "md5", Expected: "aa", Actual: "bb"},
		DeactivateErr: errors.New("403")})
	if !imageImportHasError(diags, "checksum", "Checksum Mismatch") || len(diags.Warnings()) != 1 || diags.Warnings()[0].Summary() != "Image With Wrong Data Left Active" {
		t.Errorf("file mismatch: %v", diags)
	}
}

func TestAddFailedStoresWarning(t *testing.T) {
	img := &glance.Image{ID: "i", Stores: []string{"fast"}, FailedImport: []string{"slow", "old"}}
	req := glance.ImportRequest{Method: glance.ImportMethod{Name: "web-download"}}
	var diags diag.Diagnostics
	addFailedStoresWarning(&diags, "i", img, req, nil)
	if len(diags) != 0 {
		t.Errorf("no failed stores: unexpected %v", diags)
	}
	addFailedStoresWarning(&diags, "i", img, req, []string{"slow"})
	if len(diags.Warnings()) != 1 || !strings.Contains(diags.Warnings()[0].Detail(), "succeeded in fast but failed in slow") {
		t.Errorf("want a warning naming slow, got %v", diags)
	}
}

func TestWithout(t *testing.T) {
	if got := without([]string{"a", "b", "c"}, []string{"b"}); strings.Join(got, ",") != "a,c" {
		t.Errorf("without = %v", got)
	}
	if got := storesWithData([]string{"a", "b", "c"}, &glance.Image{Stores: []string{"c"}, FailedImport: []string{"a"}}); strings.Join(got, ",") != "a,c" {
		t.Errorf("storesWithData = %v", got)
	}
	set := stringSet([]string{"slow", "fast"})
	if got := setElements(set); strings.Join(got, ",") != "fast,slow" {
		t.Errorf("round trip = %v", got)
	}
	if empty := stringSet(nil); empty.IsNull() || len(empty.Elements()) != 0 {
		t.Errorf("empty set = %v, want [] (not null)", empty)
	}
}

// ---------------------------------------------------------------------------------------------
// Acceptance tests (real terraform, real Glance: see scripts/testacc.sh).

// testAccImageImportMiB is the size of the test images: a few MiB, so that the tests exercise
// real data without taking long.
const testAccImageImportMiB = 3 << 20

// testAccImageImportRecord is a glance_image without source: the record an import fills.
func testAccImageImportRecord(name, extra string) string {
	return fmt.Sprintf(`
resource "glance_image" %[1]q {
  name        = %[2]q
  disk_format = "raw"
%[3]s}
`, name, acctest.RandomName("import-"+name), extra)
}

// testAccImport is a glance_image_import block of a test configuration; empty fields are left
// out. It replaces the HCL blocks the tests would otherwise repeat.
type testAccImport struct {
	name     string // default "test"
	imageID  string // HCL expression; default glance_image.<name>.id
	method   string
	file     string
	uri      string
	source   string // glance_image_id, an HCL expression
	region   string
	stores   string // HCL list such as ["fast", "slow"]
	all      bool
	checksum string
	extra    string // more HCL lines
}

func (c testAccImport) String() string {
	if c.name == "" {
		c.name = "test"
	}
	if c.imageID == "" {
		c.imageID = "glance_image." + c.name + ".id"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nresource \"glance_image_import\" %q {\n  image_id = %s\n  method   = %q\n", c.name, c.imageID, c.method)
	line := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %s = %s\n", key, value)
		}
	}
	quoted := func(v string) string {
		if v == "" {
			return ""
		}
		return fmt.Sprintf("%q", v)
	}
	line("file", quoted(c.file))
	line("uri", quoted(c.uri))
	line("glance_image_id", c.source)
	line("glance_region", quoted(c.region))
	line("stores", c.stores)
	if c.all {
		line("all_stores", "true")
	}
	line("checksum", quoted(c.checksum))
	b.WriteString(c.extra)
	b.WriteString("}\n")
	return b.String()
}

// testAccImageImportWebFile publishes testAccImageImportMiB random bytes on the test web server and returns
// the URL and the content's sha512 and md5.
func testAccImageImportWebFile(t *testing.T) (string, string, string) {
	t.Helper()
	b := make([]byte, testAccImageImportMiB)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s512 := sha512.Sum512(b)
	m5 := md5.Sum(b)
	return acctest.WebFile(t, acctest.RandomName("web")+".raw", b), hex.EncodeToString(s512[:]), hex.EncodeToString(m5[:])
}

// testAccImageImportDestroyed checks that every image of the configuration is gone.
func testAccImageImportDestroyed(t *testing.T) func(*terraform.State) error {
	return func(s *terraform.State) error {
		c := acctest.Client(t, acctest.Admin)
		for _, rs := range s.RootModule().Resources {
			if rs.Primary == nil || rs.Type != "glance_image" && rs.Type != "glance_image_import" {
				continue
			}
			img, err := c.GetImage(context.Background(), rs.Primary.ID)
			if err == nil {
				return fmt.Errorf("image %s (%s) still exists, status %s", rs.Primary.ID, rs.Type, img.Status)
			}
			if !glance.IsNotFound(err) {
				return err
			}
		}
		return nil
	}
}

// testAccImageImportInGlance is a state check that reads the image of a resource from Glance.
type testAccImageImportInGlance struct {
	t       *testing.T
	address string
	check   func(*glance.Image) error
}

func (c testAccImageImportInGlance) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = fmt.Errorf("no state")
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		id, _ := r.AttributeValues["id"].(string)
		img, err := acctest.Client(c.t, acctest.Admin).GetImage(ctx, id)
		if err != nil {
			resp.Error = fmt.Errorf("%s: reading image %s: %w", c.address, id, err)
			return
		}
		if err := c.check(img); err != nil {
			resp.Error = fmt.Errorf("%s: image %s in Glance: %w", c.address, id, err)
		}
		return
	}
	resp.Error = fmt.Errorf("%s not in the state", c.address)
}

func testAccImageImportGlance(t *testing.T, address string, check func(*glance.Image) error) statecheck.StateCheck {
	return testAccImageImportInGlance{t: t, address: address, check: check}
}

// testAccImageImportStoresAre checks Glance's store list of an image.
func testAccImageImportStoresAre(want ...string) func(*glance.Image) error {
	return func(img *glance.Image) error {
		got := slices.Clone(img.Stores)
		sort.Strings(got)
		sort.Strings(want)
		if img.Status != glance.StatusActive || strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("status %s, stores %v; want active in %v", img.Status, got, want)
		}
		return nil
	}
}

func testAccImageImportStoreSet(stores ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, 0, len(stores))
	for _, s := range stores {
		checks = append(checks, knownvalue.StringExact(s))
	}
	return knownvalue.SetExact(checks)
}

func TestAccImageImport_glanceDirect(t *testing.T) {
	testAccImageImportPreCheck(t)
	file, sum512 := acctest.WriteRandomFile(t, "", testAccImageImportMiB)
	otherFile, _ := acctest.WriteRandomFile(t, "", 1024)
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum256 := sha256.Sum256(content)
	record := testAccImageImportRecord("test", "")
	config := func(checksum string) string {
		return record + testAccImport{method: "glance-direct", file: file, stores: `["fast", "slow"]`, checksum: checksum}.String()
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config("sha512:" + sum512),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue("glance_image_import.test", tfjsonpath.New("id")),
					statecheck.CompareValuePairs("glance_image_import.test", tfjsonpath.New("id"), "glance_image.test", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("status"), knownvalue.StringExact("active")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast", "slow")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("failed_stores"), knownvalue.SetSizeExact(0)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("copied_stores"), knownvalue.SetSizeExact(0)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_algo"), knownvalue.StringExact("sha512")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("glance_service_interface"), knownvalue.Null()),
					testAccImageImportGlance(t, "glance_image_import.test", func(img *glance.Image) error {
						if img.Size != testAccImageImportMiB || img.OSHashValue != sum512 {
							return fmt.Errorf("size %d, os_hash_value %s; want %d and the file's sha512", img.Size, img.OSHashValue, testAccImageImportMiB)
						}
						return testAccImageImportStoresAre("fast", "slow")(img)
					}),
				},
			},
			{
				ResourceName:      "glance_image_import.test",
				ImportState:       true,
				ImportStateVerify: true,
				// Glance cannot report how the data came in.
				ImportStateVerifyIgnore: []string{"method", "file", "stores", "checksum"},
			},
			{
				// Another digest of the same data is verified in place (from the digests taken
				// while staging), without touching the data.
				Config: config("sha256:" + hex.EncodeToString(sum256[:])),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("glance_image_import.test", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue("glance_image_import.test", tfjsonpath.New("id")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("checksum"), knownvalue.StringExact("sha256:"+hex.EncodeToString(sum256[:]))),
				},
			},
			{
				Config:      config("sha256:" + strings.Repeat("0", 64)),
				ExpectError: testAccImageImportErr("Checksum Mismatch", "does not match checksum"),
			},
			{
				// New data needs a new image: the plan warns, and the apply fails before
				// anything is sent to Glance.
				Config:      strings.Replace(config("sha512:"+sum512), file, otherFile, 1),
				ExpectError: testAccImageImportErr("Image Already Has Data", "replace the image as well"),
			},
		},
	})
}

// TestAccImageImport_glanceDirectChecksumMismatch: a wrong checksum stops the import before
// Glance imports anything, and the image stays usable for the corrected retry.
func TestAccImageImport_glanceDirectChecksumMismatch(t *testing.T) {
	testAccImageImportPreCheck(t)
	file, sum512 := acctest.WriteRandomFile(t, "", testAccImageImportMiB)
	record := testAccImageImportRecord("test", "")
	config := func(checksum string) string {
		return record + testAccImport{method: "glance-direct", file: file, checksum: checksum}.String()
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				// The stage is broken off before its last byte: Glance keeps nothing.
				Config:      config("sha512:" + strings.Repeat("ab", 64)),
				ExpectError: testAccImageImportErr("Checksum Mismatch", "does not match checksum", "broke the stage off before the last byte", "is queued again"),
			},
			{
				Config: config("sha512:" + sum512),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast")),
				},
			},
		},
	})
}

func TestAccImageImport_webDownload(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, sumMD5 := testAccImageImportWebFile(t)
	record := testAccImageImportRecord("test", "")
	config := record + testAccImport{method: "web-download", uri: uri, stores: `["slow"]`, checksum: "md5:" + sumMD5}.String()
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("slow")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
					testAccImageImportGlance(t, "glance_image_import.test", testAccImageImportStoresAre("slow")),
				},
			},
			{
				ResourceName:            "glance_image_import.test",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"method", "uri", "stores", "checksum"},
			},
			{
				// Forget the import (web-download data stays with the image)...
				Config: record,
				ConfigStateChecks: []statecheck.StateCheck{
					testAccImageImportGlance(t, "glance_image.test", testAccImageImportStoresAre("slow")),
				},
			},
			{
				// ...import it again and keep the imported state...
				Config:             config,
				ResourceName:       "glance_image_import.test",
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateIdFunc:  acctest.ImportID("glance_image.test"),
			},
			{
				// ...and let the next apply adopt the configuration: an in-place update
				// without API calls, never a replacement (which would need a new image).
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("glance_image_import.test", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("method"), knownvalue.StringExact("web-download")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("uri"), knownvalue.StringExact(uri)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("slow")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
				},
			},
		},
	})
}

func TestAccImageImport_allStores(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config: testAccImageImportRecord("test", "") + testAccImport{method: "web-download", uri: uri, all: true, checksum: "sha512:" + sum512}.String(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast", "slow")),
				statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("stores"), knownvalue.Null()),
				testAccImageImportGlance(t, "glance_image_import.test", testAccImageImportStoresAre("fast", "slow")),
			},
		}},
	})
}

// TestAccImageImport_failedImportRecovers: a web-download of a URL that answers 404 fails
// with the failed stores and Glance's task message, is not saved, and the next apply with a
// fixed uri imports into the same image.
func TestAccImageImport_failedImportRecovers(t *testing.T) {
	testAccImageImportPreCheck(t)
	good, sum512, _ := testAccImageImportWebFile(t)
	missing := strings.TrimRight(acctest.Env(t, "GLANCE_ACC_WEB_URL"), "/") + "/" + acctest.RandomName("missing") + ".raw"
	record := testAccImageImportRecord("test", "")
	config := func(uri string) string {
		return record + testAccImport{method: "web-download", uri: uri, stores: `["fast", "slow"]`}.String()
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config:      config(missing),
				ExpectError: testAccImageImportErr("Error Importing Image Data", "web-download import of image", "failed", "Failed stores: fast, slow", "Glance task", "failure"),
			},
			{
				Config: config(good),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("glance_image.test", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("glance_image_import.test", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("failed_stores"), knownvalue.SetSizeExact(0)),
					testAccImageImportGlance(t, "glance_image_import.test", testAccImageImportStoresAre("fast", "slow")),
				},
			},
		},
	})
}

// TestAccImageImport_partialFailure makes one store fail for real: a directory named like the
// image in the slow store's data directory makes Glance's file store refuse to write there
// (it will not overwrite an existing path), while the fast store works.
func TestAccImageImport_partialFailure(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	id := testAccImageImportUUID(t)
	dataDir := ""
	stores, err := acctest.Client(t, acctest.Admin).StoresDetail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		if s.ID == "slow" {
			dataDir = s.Properties["data_dir"]
		}
	}
	if dataDir == "" {
		t.Fatal("the slow store has no data_dir; this test needs the test environment's file stores")
	}
	blocker := filepath.Join(dataDir, id)
	if err := os.Mkdir(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(blocker) })

	record := testAccImageImportRecord("test", fmt.Sprintf("  id = %q\n", id))
	config := func(mustSucceed bool) string {
		return record + testAccImport{method: "web-download", uri: uri, stores: `["fast", "slow"]`,
			extra: fmt.Sprintf("  all_stores_must_succeed = %t\n", mustSucceed)}.String()
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				// Every store must succeed: the whole import fails and names the store.
				Config:      config(true),
				ExpectError: testAccImageImportErr("Error Importing Image Data", "Failed stores:", "slow", "one failing store fails the whole import"),
			},
			{
				// Partial success accepted: the data is in fast, slow is reported.
				Config: config(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("failed_stores"), testAccImageImportStoreSet("slow")),
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
					testAccImageImportGlance(t, "glance_image_import.test", func(img *glance.Image) error {
						if strings.Join(img.FailedImport, ",") != "slow" {
							return fmt.Errorf("os_glance_failed_import = %v, want slow", img.FailedImport)
						}
						return testAccImageImportStoresAre("fast")(img)
					}),
				},
			},
		},
	})
}

// testAccImageImportUUID returns a random image id.
func testAccImageImportUUID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// TestAccImageImport_copyImage adds and removes stores of a copy-image import and checks what
// Glance reports at each step: only the copies the resource made are ever deleted.
func TestAccImageImport_copyImage(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	base := testAccImageImportRecord("test", "") + testAccImport{name: "data", imageID: "glance_image.test.id", method: "web-download", uri: uri, stores: `["fast"]`}.String()
	withCopy := func(stores string) string {
		return base + testAccImport{name: "copy", imageID: "glance_image_import.data.image_id", method: "copy-image", stores: stores}.String()
	}
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction("glance_image_import.copy", plancheck.ResourceActionUpdate),
	}}
	imageID := "" // recorded by the checks, for the out-of-band deletion below
	copyState := func(stores, copied []string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("image_stores"), testAccImageImportStoreSet(stores...)),
			statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("copied_stores"), testAccImageImportStoreSet(copied...)),
			statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
			testAccImageImportGlance(t, "glance_image_import.copy", func(img *glance.Image) error {
				imageID = img.ID
				return testAccImageImportStoresAre(stores...)(img)
			}),
		}
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config:            withCopy(`["slow"]`),
				ConfigStateChecks: append(copyState([]string{"fast", "slow"}, []string{"slow"}), sameID.AddStateValue("glance_image_import.copy", tfjsonpath.New("id"))),
			},
			{
				ResourceName:      "glance_image_import.copy",
				ImportState:       true,
				ImportStateVerify: true,
				// data and copy share the id (the image's), and the verification compares with
				// whichever of them it finds first: the number of image_stores tells them apart.
				ImportStateVerifyIdentifierAttribute: "image_stores.#",
				// The imported resource cannot know which copies it made.
				ImportStateVerifyIgnore: []string{"method", "stores", "copied_stores"},
			},
			{
				// fast already holds the data (from the first import): nothing to copy, and
				// the resource does not claim that copy.
				Config:            withCopy(`["slow", "fast"]`),
				ConfigPlanChecks:  update,
				ConfigStateChecks: append(copyState([]string{"fast", "slow"}, []string{"slow"}), sameID.AddStateValue("glance_image_import.copy", tfjsonpath.New("id"))),
			},
			{
				// Removing slow deletes the copy this resource made there.
				Config:            withCopy(`["fast"]`),
				ConfigPlanChecks:  update,
				ConfigStateChecks: append(copyState([]string{"fast"}, nil), sameID.AddStateValue("glance_image_import.copy", tfjsonpath.New("id"))),
			},
			{
				// Copy to slow again; fast, which the resource did not copy, stays.
				Config:            withCopy(`["slow"]`),
				ConfigPlanChecks:  update,
				ConfigStateChecks: copyState([]string{"fast", "slow"}, []string{"slow"}),
			},
			{
				// A copy deleted out of band is drift: the plan copies it again.
				PreConfig: func() {
					if err := acctest.Client(t, acctest.Admin).DeleteFromStore(context.Background(), "slow", imageID); err != nil {
						t.Fatal(err)
					}
				},
				Config:            withCopy(`["slow"]`),
				ConfigPlanChecks:  update,
				ConfigStateChecks: copyState([]string{"fast", "slow"}, []string{"slow"}),
			},
			{
				// Destroying the copy-image import deletes its copy; the image keeps its data in fast.
				Config: base,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("glance_image_import.copy", plancheck.ResourceActionDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					testAccImageImportGlance(t, "glance_image_import.data", testAccImageImportStoresAre("fast")),
				},
			},
		},
	})
}

func TestAccImageImport_copyImageAllStores(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, _, _ := testAccImageImportWebFile(t)
	config := testAccImageImportRecord("test", "") +
		testAccImport{name: "data", imageID: "glance_image.test.id", method: "web-download", uri: uri}.String() +
		testAccImport{name: "copy", imageID: "glance_image_import.data.image_id", method: "copy-image", all: true}.String()
	var imageID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config: config,
			Check:  acctest.KeepID("glance_image.test", &imageID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.data", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast")),
				statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("fast", "slow")),
				statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("copied_stores"), testAccImageImportStoreSet("slow")),
				testAccImageImportGlance(t, "glance_image_import.copy", testAccImageImportStoresAre("fast", "slow")),
			},
		}, {
			// A copy deleted out of band is drift with all_stores too: the plan copies it again.
			PreConfig: func() {
				if err := acctest.Client(t, acctest.Admin).DeleteFromStore(context.Background(), "slow", imageID); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("glance_image_import.copy", plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.copy", tfjsonpath.New("copied_stores"), testAccImageImportStoreSet("slow")),
				testAccImageImportGlance(t, "glance_image_import.copy", testAccImageImportStoresAre("fast", "slow")),
			},
		}},
	})
}

// TestAccImageImport_glanceDownload copies an image through the second region, which points
// at the same Glance.
func TestAccImageImport_glanceDownload(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	config := testAccImageImportRecord("source", "") + testAccImageImportRecord("target", "") +
		testAccImport{name: "source", method: "web-download", uri: uri}.String() +
		testAccImport{name: "target", method: "glance-download", source: "glance_image_import.source.image_id", region: "RegionTwo",
			stores: `["slow"]`, checksum: "sha512:" + sum512}.String()
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.target", tfjsonpath.New("glance_service_interface"), knownvalue.StringExact("public")),
					statecheck.ExpectKnownValue("glance_image_import.target", tfjsonpath.New("image_stores"), testAccImageImportStoreSet("slow")),
					statecheck.CompareValuePairs("glance_image_import.source", tfjsonpath.New("os_hash_value"), "glance_image_import.target", tfjsonpath.New("os_hash_value"), compare.ValuesSame()),
					testAccImageImportGlance(t, "glance_image_import.target", testAccImageImportStoresAre("slow")),
				},
			},
			{
				ResourceName:            "glance_image_import.target",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"method", "glance_image_id", "glance_region", "glance_service_interface", "stores", "checksum"},
			},
		},
	})
}

// TestAccImageImport_glanceDownloadRegion: a glance_region without an image endpoint in the
// token's catalog fails at plan, not at apply with Glance's generic "Internal Error". Regions
// compare ignoring case, as in Glance; with token + endpoint auth there is no catalog to check.
func TestAccImageImport_glanceDownloadRegion(t *testing.T) {
	testAccImageImportPreCheck(t)
	config := func(provider, region string) string {
		return provider + fmt.Sprintf(`
resource "glance_image_import" "download" {
  image_id        = %q
  method          = "glance-download"
  glance_image_id = %q
  glance_region   = %q
}
`, testAccImageImportUUID(t), testAccImageImportUUID(t), region)
	}
	token := fmt.Sprintf("provider \"glance\" {\n  token    = %q\n  endpoint = %q\n}\n", acctest.Token(t, acctest.Admin), acctest.Env(t, "GLANCE_ACC_ADMIN_ENDPOINT"))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config("", "RegionX"),
				PlanOnly:    true,
				ExpectError: testAccImageImportErr("Region Not in Catalog", `no image endpoint in region "RegionX"`, "public interface: `RegionOne`, `RegionThree`, `RegionTwo`"),
			},
			{Config: config("", "regiontwo"), PlanOnly: true, ExpectNonEmptyPlan: true},
			{Config: config(token, "RegionX"), PlanOnly: true, ExpectNonEmptyPlan: true},
		},
	})
}

// TestAccImageImport_disappears deletes the image out of band: the import leaves the state and
// the next plan creates both again.
func TestAccImageImport_disappears(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, _, _ := testAccImageImportWebFile(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config: testAccImageImportRecord("test", "") + testAccImport{method: "web-download", uri: uri}.String(),
			ConfigStateChecks: []statecheck.StateCheck{
				testAccImageImportGlance(t, "glance_image_import.test", func(img *glance.Image) error {
					return acctest.Client(t, acctest.Admin).DeleteImage(context.Background(), img.ID)
				}),
			},
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("glance_image_import.test", plancheck.ResourceActionCreate),
			}},
		}},
	})
}

// TestAccImageImport_lostAnswer: Glance accepts the import but the answer never reaches the
// provider. The request is not repeated (it is not idempotent); the provider finds the task
// Glance started and waits for it.
func TestAccImageImport_lostAnswer(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	proxy := acctest.NewFaultProxy(t, acctest.Env(t, "GLANCE_ACC_PUBLIC_ENDPOINT"))
	proxy.DropAfterResponse(acctest.KindImport, 1)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config: acctest.Admin.ProviderBlock(t, "", fmt.Sprintf("endpoint = %q", proxy.URL())) + testAccImageImportRecord("test", "") +
				testAccImport{method: "web-download", uri: uri}.String(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
				testAccImageImportGlance(t, "glance_image_import.test", func(*glance.Image) error {
					if n := proxy.Count(acctest.KindImport); n != 1 {
						return fmt.Errorf("%d import requests reached the proxy, want exactly 1", n)
					}
					return nil
				}),
			},
		}},
	})
}

// TestAccImageImport_import503: a 5xx answer to the import request is not retried (the import
// might have started); with no import task started, the error says so and the next apply works.
func TestAccImageImport_import503(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, _, _ := testAccImageImportWebFile(t)
	proxy := acctest.NewFaultProxy(t, acctest.Env(t, "GLANCE_ACC_PUBLIC_ENDPOINT"))
	proxy.FailWith(acctest.KindImport, http.StatusServiceUnavailable, 1)
	config := acctest.Admin.ProviderBlock(t, "", fmt.Sprintf("endpoint = %q", proxy.URL())) + testAccImageImportRecord("test", "") +
		testAccImport{method: "web-download", uri: uri}.String()
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: testAccImageImportErr("Error Importing Image Data", "HTTP 503", "no import task was started"),
			},
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("status"), knownvalue.StringExact("active")),
					testAccImageImportGlance(t, "glance_image_import.test", func(*glance.Image) error {
						if n := proxy.Count(acctest.KindImport); n != 2 {
							return fmt.Errorf("%d import requests, want 2 (one refused, one for the second apply)", n)
						}
						return nil
					}),
				},
			},
		},
	})
}

// TestAccImageImport_badConfig checks the plan-time errors: combinations that do not fit the
// method, and methods or stores the cloud does not offer.
func TestAccImageImport_badConfig(t *testing.T) {
	testAccImageImportPreCheck(t)
	dir := t.TempDir()
	file, _ := acctest.WriteRandomFile(t, dir, 1024)
	img := testAccImageImportUUID(t) // not created: the API checks must not need it
	for name, tc := range map[string]struct {
		body string
		err  []string
	}{
		"glance-direct without file": {`method = "glance-direct"`, []string{"Missing Argument for glance-direct", "needs the local file to stage"}},
		"glance-direct with uri": {fmt.Sprintf("method = \"glance-direct\"\nfile = %q\nuri = \"http://h/x\"", file),
			[]string{"Argument Not Used by This Method", `uri is used only with method = "web-download"`}},
		"web-download without uri":  {`method = "web-download"`, []string{`method = "web-download" needs the URL Glance downloads`}},
		"web-download ftp":          {"method = \"web-download\"\nuri = \"ftp://h/x.img\"", []string{"Invalid URI", "absolute http:// or https:// URL"}},
		"glance-download no region": {"method = \"glance-download\"\nglance_image_id = \"x\"", []string{"Missing Argument for glance-download", "region of that image"}},
		"copy-image without stores": {`method = "copy-image"`, []string{"Missing Target Stores", "all_stores = true"}},
		"stores and all_stores":     {"method = \"copy-image\"\nstores = [\"slow\"]\nall_stores = true", []string{"Conflicting Store Arguments"}},
		"file is a directory":       {fmt.Sprintf("method = \"glance-direct\"\nfile = %q", dir), []string{"File Is a Directory"}},
		"file missing":              {fmt.Sprintf("method = \"glance-direct\"\nfile = %q", filepath.Join(dir, "nope.raw")), []string{"File Not Readable", "no such file"}},
		"bad checksum":              {"method = \"web-download\"\nuri = \"http://h/x\"\nchecksum = \"sha1:00\"", []string{"Invalid Checksum", `algorithm "sha1" is not supported`}},
		"method typo":               {"method = \"webdownload\"\nuri = \"http://h/x\"", []string{"value must be one of", `got: "webdownload"`}},
		// Checked against GET /v2/info/stores at plan time.
		"store typo": {"method = \"web-download\"\nuri = \"http://h/x\"\nstores = [\"fast\", \"slwo\"]", []string{"Unknown Store", `no store "slwo"`, "Its stores are: `fast`, `slow`"}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      fmt.Sprintf("resource \"glance_image_import\" \"bad\" {\nimage_id = %q\n%s\n}\n", img, tc.body),
					PlanOnly:    true,
					ExpectError: testAccImageImportErr(tc.err...),
				}},
			})
		})
	}
}

// TestAccImageImport_offeredMethodsPlan: every method the cloud offers, with existing stores,
// passes the plan-time checks against the real /v2/info/import and /v2/info/stores (the typo
// case is in TestAccImageImport_badConfig; a method the cloud lacks is unit-tested, as every
// Glance of the test environment offers all four).
func TestAccImageImport_offeredMethodsPlan(t *testing.T) {
	testAccImageImportPreCheck(t)
	file, _ := acctest.WriteRandomFile(t, "", 1024)
	for _, method := range imageImportMethods {
		t.Run(method, func(t *testing.T) {
			body := map[string]string{
				glance.MethodGlanceDirect:   fmt.Sprintf("file = %q", file),
				glance.MethodWebDownload:    `uri = "http://127.0.0.1:8000/x.raw"`,
				glance.MethodCopyImage:      "",
				glance.MethodGlanceDownload: fmt.Sprintf("glance_image_id = %q\n  glance_region = \"RegionTwo\"", testAccImageImportUUID(t)),
			}[method]
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
resource "glance_image_import" "ok" {
  image_id = %q
  method   = %q
  stores   = ["fast", "slow"]
  %s
}
`, testAccImageImportUUID(t), method, body),
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
				}},
			})
		})
	}
}

// TestAccImageImport_unknownProviderConfig: while the provider configuration is unknown at plan,
// the checks that need Glance are skipped silently (a store typo then fails only at apply).
func TestAccImageImport_unknownProviderConfig(t *testing.T) {
	testAccImageImportPreCheck(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}

provider "glance" {
  endpoint = terraform_data.endpoint.output
}

resource "glance_image_import" "later" {
  image_id = %q
  method   = "web-download"
  uri      = "http://h/x"
  stores   = ["no-such-store"]
}
`, acctest.Env(t, "GLANCE_ACC_ADMIN_ENDPOINT"), testAccImageImportUUID(t)),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}

// testAccImageImportErr matches a diagnostic that contains parts in this order. Terraform wraps
// diagnostic text, so any run of spaces may be a line break.
func testAccImageImportErr(parts ...string) *regexp.Regexp {
	quoted := make([]string, 0, len(parts))
	for _, p := range parts {
		quoted = append(quoted, strings.Join(strings.Fields(regexp.QuoteMeta(p)), `\s+`))
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, ".*"))
}

// testAccImageImportPreCheck skips an acceptance test outside acceptance runs, as resource.Test
// does, before the test reads the environment; in an acceptance run a missing environment fails.
func testAccImageImportPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: runs with %s=1 (scripts/testacc.sh)", resource.EnvTfAcc)
	}
	acctest.PreCheck(t)
}

// TestAccImageImport_singleStoreCloud imports by glance-direct and web-download into the test
// environment's plain Glance, which has no multiple stores: Glance records no target store,
// and the imports must still count as done.
func TestAccImageImport_singleStoreCloud(t *testing.T) {
	testAccImageImportPreCheck(t)
	plain := acctest.Env(t, "GLANCE_ACC_PLAIN_ENDPOINT")
	file, fileSum := acctest.WriteRandomFile(t, "", testAccImageImportMiB)
	uri, uriSum, _ := testAccImageImportWebFile(t)
	client := acctest.ClientAt(t, acctest.Admin, plain)
	hasData := func(address, sum string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			id, err := acctest.Attr(s, address, "image_id")
			if err != nil {
				return err
			}
			img, err := client.GetImage(context.Background(), id)
			if err != nil {
				return err
			}
			if img.Status != glance.StatusActive || img.OSHashValue != sum {
				return fmt.Errorf("%s: image %s is %s with os_hash_value %.16s…; want active with %.16s…", address, img.ID, img.Status, img.OSHashValue, sum)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			for _, rs := range s.RootModule().Resources {
				if rs.Primary == nil || rs.Type != "glance_image" {
					continue
				}
				_, err := client.GetImage(context.Background(), rs.Primary.ID)
				switch {
				case err == nil:
					return fmt.Errorf("image %s still exists", rs.Primary.ID)
				case !glance.IsNotFound(err):
					return fmt.Errorf("reading image %s: %w", rs.Primary.ID, err)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: acctest.Admin.ProviderBlock(t, "", fmt.Sprintf("endpoint = %q", plain)) +
				testAccImageImportRecord("direct", "") + testAccImageImportRecord("web", "") +
				testAccImport{name: "direct", method: "glance-direct", file: file}.String() + testAccImport{name: "web", method: "web-download", uri: uri}.String(),
			Check: resource.ComposeTestCheckFunc(hasData("glance_image_import.direct", fileSum), hasData("glance_image_import.web", uriSum)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.direct", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_import.web", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(uriSum)),
			},
		}},
	})
}

// TestAccImageImport_singleStorePlan: on the plain Glance, which has no multiple stores, all_stores
// and copy-image fail at plan instead of with Glance's bare HTTP 500 at apply.
func TestAccImageImport_singleStorePlan(t *testing.T) {
	testAccImageImportPreCheck(t)
	provider := acctest.Admin.ProviderBlock(t, "", fmt.Sprintf("endpoint = %q", acctest.Env(t, "GLANCE_ACC_PLAIN_ENDPOINT")))
	for name, tc := range map[string]struct {
		body string
		err  []string
	}{
		"all_stores": {"method = \"web-download\"\nuri = \"http://h/x\"\nall_stores = true", []string{"Cloud Has No Multiple Stores", "all_stores cannot be used"}},
		"copy-image": {"method = \"copy-image\"\nall_stores = true", []string{"Cloud Has No Multiple Stores", `method = "copy-image" copies`}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      provider + fmt.Sprintf("resource \"glance_image_import\" \"bad\" {\nimage_id = %q\n%s\n}\n", testAccImageImportUUID(t), tc.body),
					PlanOnly:    true,
					ExpectError: testAccImageImportErr(tc.err...),
				}},
			})
		})
	}
}

// TestAccImageImport_webDownloadChecksumMismatch: Glance imports the data before the provider
// can verify it, so a wrong checksum leaves the image deactivated (no server boots from it),
// and terraform destroy still works.
func TestAccImageImport_webDownloadChecksumMismatch(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, _, _ := testAccImageImportWebFile(t)
	name := acctest.RandomName("import-mismatch")
	record := fmt.Sprintf(`
resource "glance_image" "test" {
  name        = %q
  disk_format = "raw"
}
`, name)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config:      record + testAccImport{method: "web-download", uri: uri, checksum: "md5:" + strings.Repeat("0", 32)}.String(),
			ExpectError: testAccImageImportErr("Checksum Mismatch", "does not match checksum"),
		}, {
			// The failed import is not in state; the image is, deactivated, which the plan of
			// glance_image shows as drift.
			PreConfig: func() {
				imgs, err := acctest.Client(t, acctest.Admin).ListImages(context.Background(), glance.ListImagesOptions{Name: name})
				if err != nil || len(imgs) != 1 || imgs[0].Status != glance.StatusDeactivated {
					t.Fatalf("images named %s after the failed verification: %+v (%v); want one, deactivated", name, imgs, err)
				}
			},
			Config:             record,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}

// TestAccImageImport_takesOverInterruptedImport: an import an interrupted apply started (here
// requested directly, without waiting) is taken over by the next apply, which waits for it and
// records the result, instead of refusing an image that is importing or already has the data.
func TestAccImageImport_takesOverInterruptedImport(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, _ := testAccImageImportWebFile(t)
	name := acctest.RandomName("import-resume")
	record := fmt.Sprintf(`
resource "glance_image" "test" {
  name        = %q
  disk_format = "raw"
}
`, name)
	var imageID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{{
			Config: record,
			Check:  acctest.KeepID("glance_image.test", &imageID),
		}, {
			PreConfig: func() {
				err := acctest.Client(t, acctest.Admin).ImportImage(context.Background(), imageID, glance.ImportRequest{
					Method: glance.ImportMethod{Name: glance.MethodWebDownload, URI: uri}, AllStoresMustSucceed: true,
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			Config: record + testAccImport{method: "web-download", uri: uri, checksum: "sha512:" + sum512}.String(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("status"), knownvalue.StringExact("active")),
				statecheck.ExpectKnownValue("glance_image_import.test", tfjsonpath.New("os_hash_value"), knownvalue.StringExact(sum512)),
			},
		}},
	})
}

// TestAccImageImport_imageChangesInTheSameApply: glance_image deactivates the image in the same
// apply that updates the import in place; the import must return what its plan promised (the
// new status shows at the next refresh), not fail with an inconsistent result.
func TestAccImageImport_imageChangesInTheSameApply(t *testing.T) {
	testAccImageImportPreCheck(t)
	uri, sum512, md5sum := testAccImageImportWebFile(t)
	config := func(deactivated bool, checksum string) string {
		return testAccImageImportRecord("test", fmt.Sprintf("  deactivated = %t\n", deactivated)) +
			testAccImport{method: "web-download", uri: uri, checksum: checksum}.String()
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccImageImportDestroyed(t),
		Steps: []resource.TestStep{
			{Config: config(false, "sha512:"+sum512)},
			{Config: config(true, "md5:"+md5sum)},
			{Config: config(false, "sha512:"+sum512)},
		},
	})
}
