package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
)

// fakeCatalog answers endpoint lookups from a map of interface -> URL.
func fakeCatalog(urls map[gophercloud.Availability]string) *gophercloud.ProviderClient {
	return &gophercloud.ProviderClient{EndpointLocator: func(eo gophercloud.EndpointOpts) (string, error) {
		if u, ok := urls[eo.Availability]; ok && eo.Type == "image" {
			return u, nil
		}
		return "", errors.New("no endpoint")
	}}
}

func TestCatalogEndpoint(t *testing.T) {
	both := fakeCatalog(map[gophercloud.Availability]string{
		gophercloud.AvailabilityAdmin:  "https://pcd/glance/",
		gophercloud.AvailabilityPublic: "https://public/glance/",
	})
	publicOnly := fakeCatalog(map[gophercloud.Availability]string{gophercloud.AvailabilityPublic: "https://public/"})
	for name, tc := range map[string]struct {
		pc    *gophercloud.ProviderClient
		iface string
		want  string
	}{
		"admin preferred":         {both, "", "https://pcd/glance/"},
		"public when no admin":    {publicOnly, "", "https://public/"},
		"explicit interface wins": {both, "public", "https://public/glance/"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := catalogEndpoint(tc.pc, "RegionOne", tc.iface)
			if err != nil || got != tc.want {
				t.Fatalf("catalogEndpoint = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	_, err := catalogEndpoint(publicOnly, "RegionOne", "internal")
	if err == nil || !strings.Contains(err.Error(), "region RegionOne") || !strings.Contains(err.Error(), "endpoint_interface") {
		t.Fatalf("err = %v, want an error naming the region and what to set", err)
	}
}
