package provider

import (
	"context"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/digestcache"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// hashingLogMessage is logged (INFO) each time a source file is read to compute its digests;
// tests count it to prove that a touched but unchanged file is hashed once.
const hashingLogMessage = "Hashing the source file"

// hashFileOnce returns the digests algos of the source file at p (its data after decompress),
// which st describes: from the digest cache when the file is as it was when last hashed, else
// by reading it, and then remembered. The cache is a hint: any problem with it is a re-hash.
func hashFileOnce(ctx context.Context, p string, st os.FileInfo, decompress string, algos []string) (map[string]string, error) {
	id := digestcache.IdentityOf(p, st)
	cache := digestcache.Default()
	if cached := cache.Get(id, decompress); hasAll(cached, algos) {
		tflog.Debug(ctx, "Source file digests from the digest cache", map[string]any{"file": p, "cache_dir": cache.Dir()})
		return cached, nil
	}
	tflog.Info(ctx, hashingLogMessage, map[string]any{"file": p, "algorithms": strings.Join(algos, ",")})
	res, err := glance.HashSource(ctx, glance.FileSource(p), decompress, algos)
	if err != nil {
		return nil, err
	}
	digests := map[string]string{}
	for _, a := range algos {
		digests[a] = res.Digests[a]
	}
	if !cache.Put(id, decompress, digests) {
		tflog.Debug(ctx, "Source file digests not cached (cache off or unwritable, or the file changed a moment ago)", map[string]any{"file": p})
	}
	return digests, nil
}

func hasAll(digests map[string]string, algos []string) bool {
	if len(digests) == 0 {
		return false
	}
	for _, a := range algos {
		if digests[a] == "" {
			return false
		}
	}
	return true
}
