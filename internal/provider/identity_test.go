package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Resource identity at the protocol level: terraform 1.11 (the CLI of the acceptance tests)
// sends no identities, so these tests call the provider server as terraform ≥ 1.12 does.

// protoHarness is a provider server and its schemas.
type protoHarness struct {
	t          *testing.T
	server     tfprotov6.ProviderServer
	schemas    *tfprotov6.GetProviderSchemaResponse
	identities map[string]*tfprotov6.ResourceIdentitySchema
}

func newProtoHarness(t *testing.T) *protoHarness {
	t.Helper()
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := server.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	failOnDiags(t, "GetResourceIdentitySchemas", ids.Diagnostics)
	return &protoHarness{t: t, server: server, schemas: schemas, identities: ids.IdentitySchemas}
}

func failOnDiags(t *testing.T, call string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		t.Fatalf("%s: %s: %s (%s)", call, d.Summary, d.Detail, d.Severity)
	}
}

// value is an object of type typ with the given string attributes; every other one is null.
func (h *protoHarness) value(typ tftypes.Type, attrs map[string]string) *tfprotov6.DynamicValue {
	h.t.Helper()
	if attrs == nil {
		return nil
	}
	obj, ok := typ.(tftypes.Object)
	if !ok {
		h.t.Fatalf("%s is not an object type", typ)
	}
	vals := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = tftypes.NewValue(at, v)
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		h.t.Fatal(err)
	}
	return &dv
}

// decode reads the known string attributes of an object; null ones are missing.
func (h *protoHarness) decode(typ tftypes.Type, dv *tfprotov6.DynamicValue) map[string]string {
	h.t.Helper()
	if dv == nil {
		return nil
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		h.t.Fatal(err)
	}
	if v.IsNull() {
		return nil
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for k, a := range attrs {
		var s string
		if a.Type().Is(tftypes.String) && a.IsKnown() && !a.IsNull() && a.As(&s) == nil {
			out[k] = s
		}
	}
	return out
}

func (h *protoHarness) stateType(typeName string) tftypes.Type {
	return h.schemas.ResourceSchemas[typeName].ValueType()
}

func (h *protoHarness) identityType(typeName string) tftypes.Type {
	return h.identities[typeName].ValueType()
}

// configure configures the provider with these arguments (the rest from the environment).
func (h *protoHarness) configure(attrs map[string]string) {
	h.t.Helper()
	resp, err := h.server.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.12.0", Config: h.value(h.schemas.Provider.ValueType(), attrs)})
	if err != nil {
		h.t.Fatal(err)
	}
	failOnDiags(h.t, "ConfigureProvider", resp.Diagnostics)
}

// importResource imports by id (when id is set) or by identity; it returns the one imported
// resource, or the diagnostics.
func (h *protoHarness) importResource(typeName, id string, identity map[string]string) (*tfprotov6.ImportedResource, []*tfprotov6.Diagnostic) {
	h.t.Helper()
	req := &tfprotov6.ImportResourceStateRequest{TypeName: typeName, ID: id}
	if identity != nil {
		req.Identity = &tfprotov6.ResourceIdentityData{IdentityData: h.value(h.identityType(typeName), identity)}
	}
	resp, err := h.server.ImportResourceState(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(resp.Diagnostics) > 0 {
		return nil, resp.Diagnostics
	}
	if len(resp.ImportedResources) != 1 {
		h.t.Fatalf("import of %s: %d resources", typeName, len(resp.ImportedResources))
	}
	return resp.ImportedResources[0], nil
}

// read refreshes a state (and its identity, nil for none) as terraform plan does.
func (h *protoHarness) read(typeName string, state *tfprotov6.DynamicValue, identity *tfprotov6.ResourceIdentityData, private []byte) *tfprotov6.ReadResourceResponse {
	h.t.Helper()
	resp, err := h.server.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
		TypeName: typeName, CurrentState: state, CurrentIdentity: identity, Private: private})
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

func identityData(resp *tfprotov6.ResourceIdentityData) *tfprotov6.DynamicValue {
	if resp == nil {
		return nil
	}
	return resp.IdentityData
}

func sameStrings(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

const identityTestImageID = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"

func TestGetResourceIdentitySchemas_everyResource(t *testing.T) {
	h := newProtoHarness(t)
	want := map[string][]string{
		"glance_image":               {"id"},
		"glance_image_import":        {"image_id"},
		"glance_image_member":        {"image_id", "member_id"},
		"glance_image_member_status": {"image_id", "member_id"},
		"glance_image_cache":         {"image_id"},
	}
	if len(h.identities) != len(want) {
		t.Errorf("identity schemas for %d types, want %d", len(h.identities), len(want))
	}
	for typeName, required := range want {
		s := h.identities[typeName]
		if s == nil {
			t.Errorf("%s has no identity schema", typeName)
			continue
		}
		var gotRequired []string
		optionalRegion := false
		for _, a := range s.IdentityAttributes {
			if !a.Type.Is(tftypes.String) {
				t.Errorf("%s.%s is not a string", typeName, a.Name)
			}
			switch {
			case a.RequiredForImport:
				gotRequired = append(gotRequired, a.Name)
			case a.Name == "region" && a.OptionalForImport:
				optionalRegion = true
			default:
				t.Errorf("%s: unexpected identity attribute %s", typeName, a.Name)
			}
		}
		slices.Sort(gotRequired)
		if !slices.Equal(gotRequired, required) || !optionalRegion {
			t.Errorf("%s: required %v (want %v), optional region %v", typeName, gotRequired, required, optionalRegion)
		}
	}
}

func TestImportResourceState_byIdentity(t *testing.T) {
	h := newProtoHarness(t)
	cases := []struct {
		typeName string
		identity map[string]string
		want     map[string]string // string attributes of the imported state
	}{
		{"glance_image", map[string]string{"id": identityTestImageID}, map[string]string{"id": identityTestImageID}},
		{"glance_image", map[string]string{"id": identityTestImageID, "region": "RegionThree"},
			map[string]string{"id": identityTestImageID, "region": "RegionThree"}},
		{"glance_image_import", map[string]string{"image_id": identityTestImageID},
			map[string]string{"id": identityTestImageID, "image_id": identityTestImageID}},
		{"glance_image_member", map[string]string{"image_id": identityTestImageID, "member_id": "6f0c1f2e3a4b4a379d7e4b1cf0a28c5e", "region": "RegionTwo"},
			map[string]string{"image_id": identityTestImageID, "member_id": "6f0c1f2e3a4b4a379d7e4b1cf0a28c5e", "region": "RegionTwo"}},
		{"glance_image_member_status", map[string]string{"image_id": identityTestImageID, "member_id": "p2"},
			map[string]string{"image_id": identityTestImageID, "member_id": "p2"}},
		{"glance_image_cache", map[string]string{"image_id": identityTestImageID},
			map[string]string{"id": identityTestImageID, "image_id": identityTestImageID}},
	}
	for _, c := range cases {
		t.Run(c.typeName+"/"+c.identity["region"], func(t *testing.T) {
			got, diags := h.importResource(c.typeName, "", c.identity)
			failOnDiags(t, "ImportResourceState", diags)
			if state := h.decode(h.stateType(c.typeName), got.State); !sameStrings(state, c.want) {
				t.Errorf("imported state %v, want %v", state, c.want)
			}
			if id := h.decode(h.identityType(c.typeName), identityData(got.Identity)); !sameStrings(id, c.identity) {
				t.Errorf("imported identity %v, want %v", id, c.identity)
			}
		})
	}
}

func TestImportResourceState_byIDWithRegion(t *testing.T) {
	h := newProtoHarness(t)
	for _, c := range []struct {
		typeName, id string
		want         map[string]string
	}{
		{"glance_image", identityTestImageID + "@RegionThree", map[string]string{"id": identityTestImageID, "region": "RegionThree"}},
		{"glance_image", identityTestImageID, map[string]string{"id": identityTestImageID}},
		{"glance_image_member", identityTestImageID + "/p2@RegionTwo", map[string]string{"image_id": identityTestImageID, "member_id": "p2", "region": "RegionTwo"}},
		{"glance_image_cache", identityTestImageID + "@RegionThree", map[string]string{"id": identityTestImageID, "image_id": identityTestImageID, "region": "RegionThree"}},
	} {
		got, diags := h.importResource(c.typeName, c.id, nil)
		failOnDiags(t, "ImportResourceState "+c.id, diags)
		if state := h.decode(h.stateType(c.typeName), got.State); !sameStrings(state, c.want) {
			t.Errorf("%s %s: imported state %v, want %v", c.typeName, c.id, state, c.want)
		}
	}
}

func TestImportResourceState_invalid(t *testing.T) {
	h := newProtoHarness(t)
	for _, c := range []struct {
		typeName, id string
		identity     map[string]string
		want         string
	}{
		{"glance_image", "ubuntu", nil, "is not an image id"},
		{"glance_image", identityTestImageID + "@", nil, "names no region"},
		{"glance_image", "", map[string]string{"id": "ubuntu"}, "is not an image id"},
		{"glance_image_member", "", map[string]string{"image_id": identityTestImageID}, "the identity has no member_id"},
		{"glance_image_member_status", identityTestImageID, nil, "<image_id>/<member_id>"},
		{"glance_image_import", identityTestImageID + "/x", nil, "is not an image id"},
	} {
		_, diags := h.importResource(c.typeName, c.id, c.identity)
		if len(diags) != 1 || diags[0].Summary != "Invalid Import ID" || !strings.Contains(diags[0].Detail, c.want) {
			t.Errorf("%s %q %v: diagnostics %+v, want Invalid Import ID with %q", c.typeName, c.id, c.identity, diags, c.want)
		}
	}
}

// fakeGlanceImage serves GET /v2/images/{identityTestImageID} (and 404 for any other image).
func fakeGlanceImage(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v2/images/"+identityTestImageID {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + identityTestImageID + `","name":"fake","status":"active","disk_format":"raw",` +
			`"container_format":"bare","visibility":"private","protected":false,"os_hidden":false,"min_disk":0,"min_ram":0,` +
			`"size":4,"virtual_size":null,"checksum":"c","os_hash_algo":"sha512","os_hash_value":"h","owner":"p","tags":[],` +
			`"stores":"fast","created_at":"2026-12-07T00:00:00Z","updated_at":"2026-12-07T00:00:00Z",` +
			`"file":"/v2/images/` + identityTestImageID + `/file","schema":"/v2/schemas/image"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// configuredHarness is a provider configured with a token and a fixed endpoint (no Keystone)
// in RegionOne, in front of a fake Glance.
func configuredHarness(t *testing.T) *protoHarness {
	t.Helper()
	for _, k := range []string{"OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_REGION_NAME", "OS_TOKEN", "OS_AUTH_TOKEN"} {
		t.Setenv(k, "")
	}
	srv := fakeGlanceImage(t)
	h := newProtoHarness(t)
	h.configure(map[string]string{"token": "t", "endpoint": srv.URL, "region": "RegionOne"})
	return h
}

// TestReadResource_identityAfterImportByIdentity: import by identity, then the read that
// follows, as terraform plan runs them; the identity comes back with the region recorded.
func TestReadResource_identityAfterImportByIdentity(t *testing.T) {
	h := configuredHarness(t)
	imported, diags := h.importResource("glance_image", "", map[string]string{"id": identityTestImageID})
	failOnDiags(t, "ImportResourceState", diags)
	resp := h.read("glance_image", imported.State, imported.Identity, imported.Private)
	failOnDiags(t, "ReadResource", resp.Diagnostics)
	want := map[string]string{"id": identityTestImageID, "region": "RegionOne"}
	if id := h.decode(h.identityType("glance_image"), identityData(resp.NewIdentity)); !sameStrings(id, want) {
		t.Errorf("identity after read %v, want %v", id, want)
	}
	state := h.decode(h.stateType("glance_image"), resp.NewState)
	if state["name"] != "fake" || state["region"] != "RegionOne" {
		t.Errorf("state after read: name %q, region %q", state["name"], state["region"])
	}
	// The next refresh sends that identity back: it does not change.
	again := h.read("glance_image", resp.NewState, resp.NewIdentity, resp.Private)
	failOnDiags(t, "second ReadResource", again.Diagnostics)
	if id := h.decode(h.identityType("glance_image"), identityData(again.NewIdentity)); !sameStrings(id, want) {
		t.Errorf("identity after the second read %v, want %v", id, want)
	}
}

// TestReadResource_stateWithoutIdentity: a state written by a provider without identity (and
// without region) reads without error and gets both.
func TestReadResource_stateWithoutIdentity(t *testing.T) {
	h := configuredHarness(t)
	old := h.value(h.stateType("glance_image"), map[string]string{"id": identityTestImageID, "name": "fake"})
	resp := h.read("glance_image", old, nil, nil)
	failOnDiags(t, "ReadResource", resp.Diagnostics)
	if id := h.decode(h.identityType("glance_image"), identityData(resp.NewIdentity)); id["id"] != identityTestImageID || id["region"] != "RegionOne" {
		t.Errorf("identity %v", id)
	}
	if s := h.decode(h.stateType("glance_image"), resp.NewState); s["region"] != "RegionOne" {
		t.Errorf("region in state %q, want RegionOne", s["region"])
	}
	// A resource gone from Glance is removed without an error about its missing identity.
	gone := h.value(h.stateType("glance_image"), map[string]string{"id": "5b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b", "name": "gone"})
	resp = h.read("glance_image", gone, nil, nil)
	failOnDiags(t, "ReadResource of a deleted image", resp.Diagnostics)
	if s := h.decode(h.stateType("glance_image"), resp.NewState); s != nil {
		t.Errorf("state of a deleted image %v, want removed", s)
	}
}

// TestReadResource_otherRegionWithoutCatalog: identity import into another region than the
// provider's, with token + endpoint auth (no catalog), fails on region.
func TestReadResource_otherRegionWithoutCatalog(t *testing.T) {
	h := configuredHarness(t)
	imported, diags := h.importResource("glance_image", "", map[string]string{"id": identityTestImageID, "region": "RegionThree"})
	failOnDiags(t, "ImportResourceState", diags)
	resp := h.read("glance_image", imported.State, imported.Identity, imported.Private)
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Region Not Available" ||
		resp.Diagnostics[0].Attribute.String() != tftypes.NewAttributePath().WithAttributeName("region").String() {
		t.Errorf("diagnostics %+v, want Region Not Available on region", resp.Diagnostics)
	}
}
