package provider

import (
	"os"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/digestcache"
)

// TestMain keeps the tests' digests out of the user's cache directory: unless the caller chose
// one, every test (and every provider binary the CLI tests start) uses a temporary cache.
func TestMain(m *testing.M) {
	if os.Getenv(digestcache.DirEnv) != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "glance-digests-")
	if err != nil {
		os.Exit(m.Run())
	}
	_ = os.Setenv(digestcache.DirEnv, dir)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
