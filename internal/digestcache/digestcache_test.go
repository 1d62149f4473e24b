package digestcache

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// settled is id as if read well after the file last changed (outside the racy window).
func settled(id Identity) Identity {
	id.statTime = time.Unix(0, max(id.ModTimeNs, id.CtimeNs)).Add(2 * racyWindow)
	return id
}

// newFile writes content to a new file whose modification time is an hour ago.
func newFile(t *testing.T) (string, time.Time) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.raw")
	if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p, mtime
}

func stat(t *testing.T, p string) Identity {
	t.Helper()
	id, _, err := Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCache_hitWhileUnchanged(t *testing.T) {
	c := New(t.TempDir(), 0)
	p, _ := newFile(t)
	if !c.Put(settled(stat(t, p)), "none", map[string]string{"sha512": "aa"}) {
		t.Fatal("Put stored nothing")
	}
	if got := c.Get(stat(t, p), "none"); got["sha512"] != "aa" {
		t.Errorf("Get = %v, want sha512 aa", got)
	}
	if got := c.Get(stat(t, p), "gzip"); got != nil {
		t.Errorf("another variant of the data hit: %v", got)
	}
}

func TestCache_mergesAlgorithms(t *testing.T) {
	c := New(t.TempDir(), 0)
	p, _ := newFile(t)
	id := settled(stat(t, p))
	c.Put(id, "none", map[string]string{"sha512": "aa"})
	c.Put(id, "none", map[string]string{"md5": "bb"})
	if got := c.Get(id, "none"); got["sha512"] != "aa" || got["md5"] != "bb" {
		t.Errorf("Get = %v, want both algorithms", got)
	}
}

func TestCache_changedFileMisses(t *testing.T) {
	for name, change := range map[string]func(t *testing.T, p string, mtime time.Time){
		"new size": func(t *testing.T, p string, _ time.Time) {
			if err := os.WriteFile(p, []byte("longer data"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"touched": func(t *testing.T, p string, _ time.Time) {
			now := time.Now()
			if err := os.Chtimes(p, now, now); err != nil {
				t.Fatal(err)
			}
		},
		"same size, modification time restored": func(t *testing.T, p string, mtime time.Time) {
			if runtime.GOOS == "windows" {
				t.Skip("no change time on this system")
			}
			time.Sleep(20 * time.Millisecond) // past the file system's timestamp resolution
			if err := os.WriteFile(p, []byte("DATA"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		},
		"replaced by another file of the same size and time": func(t *testing.T, p string, mtime time.Time) {
			other := p + ".new"
			if err := os.WriteFile(other, []byte("DATA"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(other, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, p); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := New(t.TempDir(), 0)
			p, mtime := newFile(t)
			c.Put(settled(stat(t, p)), "none", map[string]string{"sha512": "aa"})
			change(t, p, mtime)
			after := stat(t, p)
			if after.ModTimeNs != mtime.UnixNano() && name != "touched" && name != "new size" {
				t.Fatalf("modification time not restored: %d, want %d", after.ModTimeNs, mtime.UnixNano())
			}
			if got := c.Get(after, "none"); got != nil {
				t.Errorf("a changed file hit the cache: %v", got)
			}
		})
	}
}

func TestCache_racyIdentityIsNotStored(t *testing.T) {
	c := New(t.TempDir(), 0)
	p := filepath.Join(t.TempDir(), "fresh")
	if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.Put(stat(t, p), "none", map[string]string{"sha512": "aa"}) {
		t.Error("a file changed a moment before it was read was cached")
	}
}

func TestCache_corruptOrForeignEntryIsAMiss(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, 0)
	p, _ := newFile(t)
	id := settled(stat(t, p))
	c.Put(id, "none", map[string]string{"sha512": "aa"})
	for _, content := range []string{"{not json", `{"identity": {"path": "/elsewhere"}, "variant": "none", "digests": {"sha512": "aa"}}`, ""} {
		if err := os.WriteFile(c.file(id.Path, "none"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := c.Get(id, "none"); got != nil {
			t.Errorf("entry %q hit: %v", content, got)
		}
	}
}

func TestCache_unwritableIsNotAnError(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := New(filepath.Join(blocker, "digests"), 0) // a directory below a file cannot exist
	p, _ := newFile(t)
	if c.Put(settled(stat(t, p)), "none", map[string]string{"sha512": "aa"}) {
		t.Error("Put reported success in a directory that cannot exist")
	}
	if c.Get(stat(t, p), "none") != nil {
		t.Error("Get hit in a directory that cannot exist")
	}
	var nilCache *Cache
	if nilCache.Put(stat(t, p), "none", map[string]string{"sha512": "aa"}) || nilCache.Get(stat(t, p), "none") != nil {
		t.Error("a nil cache stored or returned something")
	}
}

func TestCache_boundedSize(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, 3)
	var ids []Identity
	for i := range 5 {
		p, _ := newFile(t)
		id := settled(stat(t, p))
		ids = append(ids, id)
		c.Put(id, "none", map[string]string{"sha512": "aa"})
		old := time.Now().Add(time.Duration(i-10) * time.Minute) // entries age in the order written
		_ = os.Chtimes(c.file(id.Path, "none"), old, old)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 3 {
		t.Errorf("%d entries, want 3", len(des))
	}
	if c.Get(ids[4], "none") == nil || c.Get(ids[0], "none") != nil {
		t.Error("prune did not keep the newest entries")
	}
}

func TestDefault_dir(t *testing.T) {
	t.Setenv(DirEnv, "/some/where")
	if got := Default().Dir(); got != "/some/where" {
		t.Errorf("Default().Dir() = %q with %s set", got, DirEnv)
	}
	t.Setenv(DirEnv, "off")
	if Default() != nil {
		t.Errorf("%s=off did not disable the cache", DirEnv)
	}
	t.Setenv(DirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := Default().Dir(); runtime.GOOS == "linux" && got != "/xdg/terraform-provider-glance/digests" {
		t.Errorf("Default().Dir() = %q, want the user's cache directory", got)
	}
}

func TestIdentityRacy_cases(t *testing.T) {
	changed := time.Date(2026, 12, 7, 8, 0, 0, 123456789, time.UTC)
	coarse := changed.Truncate(time.Second)
	for name, tc := range map[string]struct {
		changed, stat time.Time
		racy          bool
	}{
		"fine timestamps, read 50 ms after":   {changed, changed.Add(50 * time.Millisecond), true},
		"fine timestamps, read 200 ms after":  {changed, changed.Add(200 * time.Millisecond), false},
		"second timestamps, read 1 s after":   {coarse, coarse.Add(time.Second), true},
		"second timestamps, read 3 s after":   {coarse, coarse.Add(3 * time.Second), false},
		"identity never read from the system": {changed, time.Time{}, true},
	} {
		t.Run(name, func(t *testing.T) {
			id := Identity{ModTimeNs: tc.changed.UnixNano(), CtimeNs: tc.changed.UnixNano(), statTime: tc.stat}
			if got := id.racy(); got != tc.racy {
				t.Errorf("racy = %v, want %v", got, tc.racy)
			}
		})
	}
}
