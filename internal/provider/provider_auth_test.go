package provider

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

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

func TestKeystoneError_cases(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/v3/auth/tokens", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	for name, tc := range map[string]struct {
		err              error
		want             []string
		blamesCredential bool
	}{
		"refused names Keystone and the URL": {refused, []string{"cannot reach Keystone (connection refused)", "http://127.0.0.1:1/v3", "auth_url (OS_AUTH_URL)"}, false},
		"401 blames the credentials": {gophercloud.ErrUnexpectedResponseCode{Actual: http.StatusUnauthorized},
			[]string{"authenticating with Keystone", "Check the credentials"}, true},
		"404 says the URL is not Keystone's v3": {gophercloud.ErrUnexpectedResponseCode{Actual: http.StatusNotFound},
			[]string{"not Keystone's v3 API"}, false},
		"500 is Keystone's answer, as it is": {gophercloud.ErrUnexpectedResponseCode{Actual: http.StatusInternalServerError},
			[]string{"authenticating with Keystone at http://127.0.0.1:1/v3 failed"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			msg := keystoneError("http://user:secret@127.0.0.1:1/v3", tc.err).Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q: %s", w, msg)
				}
			}
			if got := strings.Contains(strings.ToLower(msg), "credential"); got != tc.blamesCredential {
				t.Errorf("mentions credentials = %v, want %v: %s", got, tc.blamesCredential, msg)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("message leaks the URL's password: %s", msg)
			}
		})
	}
}

func TestResponseTimeout_cases(t *testing.T) {
	for value, want := range map[string]time.Duration{
		"":     defaultResponseTimeout,
		"90s":  90 * time.Second,
		"junk": defaultResponseTimeout,
		"-1s":  defaultResponseTimeout,
	} {
		t.Setenv("GLANCE_RESPONSE_TIMEOUT", value)
		if got := responseTimeout(); got != want {
			t.Errorf("GLANCE_RESPONSE_TIMEOUT=%q: %v, want %v", value, got, want)
		}
	}
}
