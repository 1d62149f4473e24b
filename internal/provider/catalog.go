package provider

import (
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// catalogImageEndpoint is one image endpoint of the token's catalog: a region and an interface.
type catalogImageEndpoint struct {
	region string
	iface  string
}

// imageCatalog is implemented by an Auth that knows the token's catalog (keystoneAuth).
type imageCatalog interface {
	imageEndpoints() ([]catalogImageEndpoint, bool)
}

// imageEndpoints lists the image endpoints of the token's catalog. ok is false when there is
// no catalog to check against: token + endpoint auth, or a token that came without one.
func (m *providerMeta) imageEndpoints() ([]catalogImageEndpoint, bool) {
	if m == nil || m.client == nil {
		return nil, false
	}
	c, ok := m.client.Auth().(imageCatalog)
	if !ok {
		return nil, false
	}
	return c.imageEndpoints()
}

// imageEndpoints reads the catalog of the current token, so it follows re-authentication.
func (k *keystoneAuth) imageEndpoints() ([]catalogImageEndpoint, bool) {
	eps, ok := k.imageCatalog()
	if !ok {
		return nil, false
	}
	var out []catalogImageEndpoint
	for _, ep := range eps {
		out = append(out, catalogImageEndpoint{region: firstNonEmpty(ep.Region, ep.RegionID), iface: strings.ToLower(ep.Interface)})
	}
	return out, true
}

// catalogEndpointEntry is one endpoint of the token's catalog, as Keystone lists it.
type catalogEndpointEntry = tokens.Endpoint

// imageCatalogEndpoints lists the image endpoints of the current token's catalog (none without
// a catalog).
func (k *keystoneAuth) imageCatalogEndpoints() []catalogEndpointEntry {
	eps, _ := k.imageCatalog()
	return eps
}

// imageCatalog returns the image endpoints of the current token's catalog; ok is false when the
// token came without a catalog.
func (k *keystoneAuth) imageCatalog() ([]catalogEndpointEntry, bool) {
	type catalogResult interface {
		ExtractServiceCatalog() (*tokens.ServiceCatalog, error)
	}
	r, ok := k.GetAuthResult().(catalogResult)
	if !ok {
		return nil, false
	}
	sc, err := r.ExtractServiceCatalog()
	if err != nil || sc == nil || len(sc.Entries) == 0 {
		return nil, false
	}
	var out []catalogEndpointEntry
	for _, e := range sc.Entries {
		if e.Type == "image" {
			out = append(out, e.Endpoints...)
		}
	}
	return out, true
}

// catalogRegions returns the regions that have an image endpoint with interface iface, sorted.
func catalogRegions(endpoints []catalogImageEndpoint, iface string) []string {
	var out []string
	for _, ep := range endpoints {
		if ep.iface == iface && !slices.Contains(out, ep.region) {
			out = append(out, ep.region)
		}
	}
	slices.Sort(out)
	return out
}

// catalogInterfaces returns the interfaces of the image endpoints in region, sorted. Regions
// compare as Glance compares them for glance-download: ignoring case.
func catalogInterfaces(endpoints []catalogImageEndpoint, region string) []string {
	var out []string
	for _, ep := range endpoints {
		if strings.EqualFold(ep.region, region) && !slices.Contains(out, ep.iface) {
			out = append(out, ep.iface)
		}
	}
	slices.Sort(out)
	return out
}
