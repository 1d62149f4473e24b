package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	regionNull    = types.StringNull()
	regionUnknown = types.StringUnknown()
	regionOne     = types.StringValue("RegionOne")
	regionThree   = types.StringValue("RegionThree")
)

type plannedRegionCase struct {
	config, state types.String
	creating      bool
	providerKnown bool
	want          types.String
	wantReplace   bool
}

func checkPlannedRegion(t *testing.T, cases map[string]plannedRegionCase) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, replace := plannedRegion(c.config, c.state, c.creating, "RegionOne", c.providerKnown)
			if !got.Equal(c.want) || replace != c.wantReplace {
				t.Errorf("plannedRegion(%s, %s, creating=%v) = %s, replace %v; want %s, %v", c.config, c.state, c.creating, got, replace, c.want, c.wantReplace)
			}
		})
	}
}

func TestPlannedRegion_create(t *testing.T) {
	checkPlannedRegion(t, map[string]plannedRegionCase{
		"not set: the provider's":           {config: regionNull, creating: true, providerKnown: true, want: regionOne},
		"set":                               {config: regionThree, creating: true, providerKnown: true, want: regionThree},
		"not set, provider config unknown":  {config: regionNull, creating: true, want: regionUnknown},
		"unknown (from another resource)":   {config: regionUnknown, creating: true, providerKnown: true, want: regionUnknown},
		"set, provider config unknown kept": {config: regionThree, creating: true, want: regionThree},
	})
}

func TestPlannedRegion_existing(t *testing.T) {
	checkPlannedRegion(t, map[string]plannedRegionCase{
		"not set: stays where it is":                      {config: regionNull, state: regionThree, providerKnown: true, want: regionThree},
		"set to the state's":                              {config: regionThree, state: regionThree, providerKnown: true, want: regionThree},
		"changed: replace":                                {config: regionOne, state: regionThree, providerKnown: true, want: regionOne, wantReplace: true},
		"unknown: replace, as RequiresReplace does":       {config: regionUnknown, state: regionThree, providerKnown: true, want: regionUnknown, wantReplace: true},
		"state from before region: the provider's":        {config: regionNull, state: regionNull, providerKnown: true, want: regionOne},
		"state from before region, set to the provider's": {config: regionOne, state: regionNull, providerKnown: true, want: regionOne},
		"state from before region, set to another":        {config: regionThree, state: regionNull, providerKnown: true, want: regionThree, wantReplace: true},
		"state from before region, provider unknown":      {config: regionThree, state: regionNull, want: regionThree},
	})
}

func TestSplitImportRegion(t *testing.T) {
	for in, want := range map[string][2]string{
		"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b":             {"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b", ""},
		"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b@RegionThree": {"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b", "RegionThree"},
		"img/member@Region@Two":                            {"img/member@Region", "Two"},
	} {
		id, region := splitImportRegion(in)
		if id != want[0] || region != want[1] {
			t.Errorf("splitImportRegion(%q) = %q, %q; want %q, %q", in, id, region, want[0], want[1])
		}
	}
}

// regionTestCloud is a token with a catalog of three regions: RegionOne and RegionTwo serve
// one Glance (one), RegionThree another (three); hits counts the requests each answered.
type regionTestCloud struct {
	one, three *httptest.Server
	hitsOne    atomic.Int64
	hitsThree  atomic.Int64
	auth       *keystoneAuth
}

func newRegionTestCloud(t *testing.T) *regionTestCloud {
	t.Helper()
	rc := &regionTestCloud{}
	serve := func(hits *atomic.Int64, name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if r.Header.Get("X-Auth-Token") != "catalog-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b","name":"` + name + `","status":"active"}`))
		}))
		t.Cleanup(s.Close)
		return s
	}
	rc.one, rc.three = serve(&rc.hitsOne, "one"), serve(&rc.hitsThree, "three")
	ep := func(region, iface, url string) tokens.Endpoint {
		return tokens.Endpoint{Region: region, RegionID: region, Interface: iface, URL: url}
	}
	catalog := &tokens.ServiceCatalog{Entries: []tokens.CatalogEntry{
		{Type: "identity", Endpoints: []tokens.Endpoint{ep("RegionFour", "public", "http://127.0.0.1:1/v3")}},
		{Type: "image", Endpoints: []tokens.Endpoint{
			ep("RegionOne", "public", rc.one.URL), ep("RegionTwo", "public", rc.one.URL+"/"),
			ep("RegionThree", "public", rc.three.URL+"/v2"), ep("RegionThree", "internal", "http://127.0.0.1:1"),
		}},
	}}
	pc := &gophercloud.ProviderClient{}
	if err := pc.SetTokenAndAuthResult(catalogTokenResult{catalogTestResult{catalog}}); err != nil {
		t.Fatal(err)
	}
	pc.EndpointLocator = func(opts gophercloud.EndpointOpts) (string, error) {
		return openstack.V3Endpoint(context.Background(), pc, catalog, opts)
	}
	rc.auth = &keystoneAuth{ProviderClient: pc}
	return rc
}

// catalogTokenResult is a Keystone answer whose token id is catalog-token.
type catalogTokenResult struct{ catalogTestResult }

func (catalogTokenResult) ExtractTokenID() (string, error) { return "catalog-token", nil }

// meta is the provider's meta as Configure leaves it: the client of the provider's endpoint.
func (rc *regionTestCloud) meta(t *testing.T, region, endpoint string) *providerMeta {
	t.Helper()
	c, err := glance.New(endpoint, rc.auth, glance.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	m := &providerMeta{client: c, region: region}
	m.initRegions(settings{region: region})
	return m
}

func TestInRegion_otherRegionHasItsOwnClient(t *testing.T) {
	rc := newRegionTestCloud(t)
	m := rc.meta(t, "RegionOne", rc.one.URL)
	three, err := m.inRegion("RegionThree")
	if err != nil {
		t.Fatal(err)
	}
	if three.client == m.client || three.region != "RegionThree" || three.planned != m.planned {
		t.Fatalf("RegionThree view: client shared %v, region %q, planned shared %v", three.client == m.client, three.region, three.planned == m.planned)
	}
	img, err := three.client.GetImage(context.Background(), "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")
	if err != nil || img.Name != "three" || rc.hitsThree.Load() != 1 || rc.hitsOne.Load() != 0 {
		t.Fatalf("GetImage in RegionThree = %+v, %v; hits one %d, three %d", img, err, rc.hitsOne.Load(), rc.hitsThree.Load())
	}
	again, _ := m.inRegion("RegionThree")
	fromView, _ := three.inRegion("RegionThree")
	if again != three || fromView != three {
		t.Error("the RegionThree view is not memoised")
	}
	for _, r := range []string{"", "RegionOne"} {
		if v, _ := three.inRegion(r); v != m {
			t.Errorf("inRegion(%q) from a view is not the provider's meta", r)
		}
	}
}

func TestInRegion_unknownRegionNamesTheCatalogsRegions(t *testing.T) {
	rc := newRegionTestCloud(t)
	m := rc.meta(t, "RegionOne", rc.one.URL)
	_, err := m.inRegion("RegionFour")
	d := regionDiag(err)
	if d.Summary() != "Unknown Region" || !strings.Contains(d.Detail(), "Regions with an image endpoint: `RegionOne`, `RegionThree`, `RegionTwo`.") {
		t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}

func TestInRegion_tokenAndEndpointHasNoOtherRegion(t *testing.T) {
	c, err := glance.New("http://127.0.0.1:1", staticToken("t"), glance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &providerMeta{client: c, region: "RegionOne"}
	m.initRegions(settings{region: "RegionOne"})
	if v, err := m.inRegion("RegionOne"); v != m || err != nil {
		t.Errorf("the provider's own region: %v, %v", v, err)
	}
	_, err = m.inRegion("RegionThree")
	if d := regionDiag(err); d.Summary() != "Region Not Available" || !strings.Contains(d.Detail(), "token and a fixed endpoint") {
		t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}

func TestInitRegions_regionOfTheEndpointWhenNoneIsConfigured(t *testing.T) {
	rc := newRegionTestCloud(t)
	if m := rc.meta(t, "", rc.three.URL+"/"); m.region != "RegionThree" {
		t.Errorf("provider region = %q, want RegionThree (the catalog region of its endpoint)", m.region)
	}
	if m := rc.meta(t, "", "http://127.0.0.1:2"); m.region != "" {
		t.Errorf("provider region = %q for an endpoint not in the catalog, want none", m.region)
	}
}

func TestUseRegion_recordsTheProvidersRegion(t *testing.T) {
	rc := newRegionTestCloud(t)
	root := rc.meta(t, "RegionOne", rc.one.URL)
	m := root
	region := types.StringNull()
	var diags diag.Diagnostics
	if !useRegion(&m, &region, &diags) || m != root || region.ValueString() != "RegionOne" {
		t.Fatalf("null region: ok, meta %p (root %p), region %s, %v", m, root, region, diags)
	}
	region = types.StringValue("RegionThree")
	if !useRegion(&m, &region, &diags) || m.region != "RegionThree" {
		t.Fatalf("RegionThree: meta region %q, %v", m.region, diags)
	}
	region = types.StringValue("Nowhere")
	if useRegion(&m, &region, &diags) || !diags.HasError() {
		t.Fatal("an unknown region was accepted")
	}
	var notReady diag.Diagnostics
	unknown := &providerMeta{configUnknown: true}
	if useRegion(&unknown, &region, &notReady) || !notReady.HasError() {
		t.Fatal("a provider whose configuration is unknown was used")
	}
}
