package provider

import (
	"slices"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// catalogTestResult is a Keystone answer with a catalog, as gophercloud keeps it.
type catalogTestResult struct{ catalog *tokens.ServiceCatalog }

func (catalogTestResult) ExtractTokenID() (string, error) { return "token", nil }
func (r catalogTestResult) ExtractServiceCatalog() (*tokens.ServiceCatalog, error) {
	return r.catalog, nil
}

func TestProviderMetaImageEndpoints(t *testing.T) {
	keystone := func(t *testing.T, entries ...tokens.CatalogEntry) glance.Auth {
		pc := &gophercloud.ProviderClient{}
		if err := pc.SetTokenAndAuthResult(catalogTestResult{&tokens.ServiceCatalog{Entries: entries}}); err != nil {
			t.Fatal(err)
		}
		return &keystoneAuth{ProviderClient: pc}
	}
	image := tokens.CatalogEntry{Type: "image", Endpoints: []tokens.Endpoint{
		{Region: "RegionOne", Interface: "public"}, {Region: "RegionOne", Interface: "admin"}, {RegionID: "RegionTwo", Interface: "public"},
	}}
	identity := tokens.CatalogEntry{Type: "identity", Endpoints: []tokens.Endpoint{{Region: "RegionThree", Interface: "public"}}}
	for name, tc := range map[string]struct {
		auth glance.Auth
		want []catalogImageEndpoint
		ok   bool
	}{
		"keystone":                   {auth: keystone(t, identity, image), ok: true, want: []catalogImageEndpoint{{"RegionOne", "public"}, {"RegionOne", "admin"}, {"RegionTwo", "public"}}},
		"keystone, no image service": {auth: keystone(t, identity), ok: true},
		"keystone, no catalog":       {auth: keystone(t)},
		"token and endpoint":         {auth: staticToken("t")},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := glance.New("http://127.0.0.1:1", tc.auth, glance.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := (&providerMeta{client: c}).imageEndpoints()
			if ok != tc.ok || !slices.Equal(got, tc.want) {
				t.Fatalf("imageEndpoints() = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if _, ok := (&providerMeta{}).imageEndpoints(); ok {
		t.Error("a provider without a client has no catalog")
	}
}

func TestCatalogRegionsAndInterfaces(t *testing.T) {
	eps := []catalogImageEndpoint{{"RegionTwo", "public"}, {"RegionOne", "public"}, {"RegionOne", "admin"}, {"RegionOne", "public"}}
	if got := catalogRegions(eps, "public"); !slices.Equal(got, []string{"RegionOne", "RegionTwo"}) {
		t.Errorf("catalogRegions(public) = %v", got)
	}
	if got := catalogRegions(eps, "internal"); len(got) != 0 {
		t.Errorf("catalogRegions(internal) = %v, want none", got)
	}
	if got := catalogInterfaces(eps, "regionone"); !slices.Equal(got, []string{"admin", "public"}) {
		t.Errorf("catalogInterfaces(regionone) = %v", got)
	}
}
