// Package digestcache remembers the digests of local files between runs, so that a file that
// was touched but not changed is hashed once, not on every terraform plan.
//
// An entry is keyed by the file's absolute path and the variant of its data that was hashed
// (for example a decompression), and holds the file's identity when it was hashed: size,
// modification time, inode, device and, where the system has one, change time. Any difference
// is a miss. The change time is what catches a file rewritten in place with its old size and
// modification time restored (touch -d, rsync -t, a tar extract): the system sets it on every
// write and every time change, and no program can set it back.
//
// The cache is a directory of small JSON files (one per path and variant), written atomically
// (a temporary file renamed into place) and pruned to a bounded number of entries. It is only
// a hint: an unreadable, corrupt or missing cache is a miss, and a cache that cannot be written
// costs a re-hash, never an error. The package has no Terraform imports.
package digestcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DirEnv names the environment variable that moves the cache directory; "off" disables it.
const DirEnv = "GLANCE_DIGEST_CACHE_DIR"

// DefaultMaxEntries bounds how many files the cache remembers.
const DefaultMaxEntries = 1000

// A file changed less than a racy window before it was stat'd may change again without its
// timestamps moving (the clock behind them ticks coarser than a nanosecond), so its digests
// are not cached; git's index follows the same rule. File systems with sub-millisecond
// timestamps take them from a clock that ticks every few milliseconds: fineRacyWindow is far
// beyond that. Timestamps in whole milliseconds or seconds (FAT, HFS+, some network file
// systems) get racyWindow.
const (
	racyWindow     = 2 * time.Second
	fineRacyWindow = 100 * time.Millisecond
)

// Identity is what a file looked like: a cached digest is valid while it stays the same.
type Identity struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	ModTimeNs int64  `json:"mtime_ns"`
	Inode     uint64 `json:"inode,omitempty"`
	Device    uint64 `json:"device,omitempty"`
	CtimeNs   int64  `json:"ctime_ns,omitempty"`
	// statTime is when the identity was read (not stored).
	statTime time.Time
}

// Stat reads the identity of the file at path.
func Stat(path string) (Identity, os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Identity{}, nil, err
	}
	return IdentityOf(path, fi), fi, nil
}

// IdentityOf is the identity of the file at path, as fi (from os.Stat) describes it.
func IdentityOf(path string, fi os.FileInfo) Identity {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	id := Identity{Path: abs, Size: fi.Size(), ModTimeNs: fi.ModTime().UnixNano(), statTime: time.Now()}
	id.Inode, id.Device, id.CtimeNs = systemIdentity(fi)
	return id
}

// racy reports an identity read too soon after the file changed to vouch for its content.
func (id Identity) racy() bool {
	latest := max(id.ModTimeNs, id.CtimeNs)
	window := racyWindow
	if latest%int64(time.Millisecond) != 0 {
		window = fineRacyWindow
	}
	return id.statTime.IsZero() || id.statTime.Sub(time.Unix(0, latest)) < window
}

// sameFile compares identities, ignoring when they were read.
func (id Identity) sameFile(o Identity) bool {
	id.statTime, o.statTime = time.Time{}, time.Time{}
	return id == o
}

// Cache is a directory of digest entries. A nil *Cache is a cache that is always empty.
type Cache struct {
	dir        string
	maxEntries int
}

// New returns a cache in dir that keeps at most maxEntries entries (DefaultMaxEntries when 0).
func New(dir string, maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &Cache{dir: dir, maxEntries: maxEntries}
}

// Default returns the cache in $GLANCE_DIGEST_CACHE_DIR, else in the user's cache directory
// (os.UserCacheDir()/terraform-provider-glance/digests); nil when it is "off" or there is
// no cache directory.
func Default() *Cache {
	dir := os.Getenv(DirEnv)
	if dir == "off" {
		return nil
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "terraform-provider-glance", "digests")
	}
	return New(dir, 0)
}

// Dir is the cache's directory ("" for a nil cache).
func (c *Cache) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

type entry struct {
	Identity Identity          `json:"identity"`
	Variant  string            `json:"variant"`
	Digests  map[string]string `json:"digests"`
}

// file is where the entry for path and variant lives.
func (c *Cache) file(path, variant string) string {
	sum := sha256.Sum256([]byte(path + "\x00" + variant))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:16])+".json")
}

func (c *Cache) read(id Identity, variant string) *entry {
	b, err := os.ReadFile(c.file(id.Path, variant))
	if err != nil {
		return nil
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Variant != variant || !e.Identity.sameFile(id) {
		return nil
	}
	return &e
}

// Get returns the digests (algorithm → hex) cached for the file with identity id and the given
// variant of its data, or nil when the cache has none for it as it is now.
func (c *Cache) Get(id Identity, variant string) map[string]string {
	if c == nil {
		return nil
	}
	e := c.read(id, variant)
	if e == nil || len(e.Digests) == 0 {
		return nil
	}
	return maps.Clone(e.Digests)
}

// Put remembers digests of the file with identity id (read before it was hashed), adding them
// to those already cached for it. It reports whether they were stored; a racy identity or a
// cache that cannot be written stores nothing.
func (c *Cache) Put(id Identity, variant string, digests map[string]string) bool {
	if c == nil || len(digests) == 0 || id.racy() {
		return false
	}
	e := entry{Identity: id, Variant: variant, Digests: map[string]string{}}
	if old := c.read(id, variant); old != nil {
		maps.Copy(e.Digests, old.Digests)
	}
	maps.Copy(e.Digests, digests)
	b, err := json.Marshal(e)
	if err != nil || c.write(c.file(id.Path, variant), b) != nil {
		return false
	}
	c.prune()
	return true
}

// write replaces name with b atomically: a reader sees the old entry or the new one, whole.
func (c *Cache) write(name string, b []byte) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".entry-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// prune removes the least recently written entries beyond maxEntries, and temporary files
// that a killed writer left behind.
func (c *Cache) prune() {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var entries []aged
	for _, de := range des {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		switch {
		case strings.HasPrefix(de.Name(), ".entry-") && time.Since(info.ModTime()) > time.Hour:
			_ = os.Remove(filepath.Join(c.dir, de.Name()))
		case strings.HasSuffix(de.Name(), ".json"):
			entries = append(entries, aged{de.Name(), info.ModTime()})
		}
	}
	if len(entries) <= c.maxEntries {
		return
	}
	slices.SortFunc(entries, func(a, b aged) int { return a.mod.Compare(b.mod) })
	for _, e := range entries[:len(entries)-c.maxEntries] {
		_ = os.Remove(filepath.Join(c.dir, e.name))
	}
}
