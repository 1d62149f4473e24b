package provider

import (
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the real terraform CLI.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"glance": providerserver.NewProtocol6WithError(New("test")()),
}

// envMap is a lookupEnv backed by a map, for unit tests of configuration resolution.
func envMap(m map[string]string) lookupEnv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
