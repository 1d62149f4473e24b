package glance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	cacheImg   = "5b6c0b1e-8f0a-4c77-9c51-2f5f0d6f3a10"
	cacheOther = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// fakeCache is a Glance with the cache API: images by status, the cache and the queue.
type fakeCache struct {
	mu       sync.Mutex
	status   map[string]string // image id -> status; missing = 404
	cached   map[string]bool
	queued   []string
	requests []string // "METHOD path header"
	// onPut runs for each PUT (after recording); cacheAt is how many GETs of /v2/cache after a
	// PUT the image moves from the queue to the cache (0: at once; -1: never).
	cacheAt int
	gets    int
	putErr  int // status answered to PUT instead of queueing (0: none)
	// putLost answers 503 to the first PUT after queueing the image, as a lost answer.
	putLost bool
	// listStatus is answered to GET /v2/cache instead of the list (0: none).
	listStatus int
}

func newFakeCache() *fakeCache {
	return &fakeCache{status: map[string]string{cacheImg: StatusActive}, cached: map[string]bool{}}
}

func (f *fakeCache) handler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, strings.TrimSpace(r.Method+" "+r.URL.EscapedPath()+" "+r.Header.Get("X-Image-Cache-Clear-Target")))
	p := strings.TrimPrefix(r.URL.Path, "/glance")
	switch {
	case p == "/v2/cache" && r.Method == http.MethodGet:
		f.list(w)
	case p == "/v2/cache" && r.Method == http.MethodDelete:
		f.cached, f.queued = map[string]bool{}, nil
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(p, "/v2/cache/") && r.Method == http.MethodPut:
		f.put(w, strings.TrimPrefix(p, "/v2/cache/"))
	case strings.HasPrefix(p, "/v2/cache/") && r.Method == http.MethodDelete:
		f.remove(w, strings.TrimPrefix(p, "/v2/cache/"))
	case strings.HasPrefix(p, "/v2/images/") && r.Method == http.MethodGet:
		id := strings.TrimPrefix(p, "/v2/images/")
		st, ok := f.status[id]
		if !ok {
			http.Error(w, `{"message": "Image not found."}`, http.StatusNotFound)
			return
		}
		_, _ = fmt.Fprintf(w, `{"id": %q, "status": %q}`, id, st)
	default:
		http.Error(w, "unexpected", http.StatusTeapot)
	}
}

func (f *fakeCache) list(w http.ResponseWriter) {
	if f.listStatus != 0 {
		w.WriteHeader(f.listStatus)
		_, _ = w.Write([]byte(`{"message": "refused"}`))
		return
	}
	f.gets++
	if f.cacheAt >= 0 && f.gets > f.cacheAt {
		for _, id := range f.queued {
			f.cached[id] = true
		}
		f.queued = nil
	}
	var cached []string
	for id := range f.cached {
		cached = append(cached, fmt.Sprintf(`{"image_id": %q, "hits": 3, "last_accessed": 1796234553.751448, "last_modified": 1796234500.5, "size": 8388608}`, id))
	}
	q, _ := json.Marshal(f.queued)
	if f.queued == nil {
		q = []byte("[]")
	}
	_, _ = fmt.Fprintf(w, `{"cached_images": [%s], "queued_images": %s}`, strings.Join(cached, ","), q)
}

func (f *fakeCache) put(w http.ResponseWriter, id string) {
	st, ok := f.status[id]
	switch {
	case f.putErr != 0:
		w.WriteHeader(f.putErr)
		return
	case !ok:
		http.Error(w, `{"message": "Image not found."}`, http.StatusNotFound)
		return
	case st != StatusActive:
		http.Error(w, `{"message": "Only images with status active can be targeted for queueing"}`, http.StatusBadRequest)
		return
	}
	f.queued = append(f.queued, id)
	f.gets = 0
	if f.putLost {
		f.putLost = false
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (f *fakeCache) remove(w http.ResponseWriter, id string) {
	_, exists := f.status[id]
	inQueue := false
	for i, q := range f.queued {
		if q == id {
			f.queued, inQueue = append(f.queued[:i], f.queued[i+1:]...), true
			break
		}
	}
	if !exists && !f.cached[id] && !inQueue {
		http.Error(w, `{"message": "Image not found."}`, http.StatusNotFound)
		return
	}
	delete(f.cached, id)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeCache) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func newCacheTestClient(t *testing.T) (*Client, *fakeCache) {
	t.Helper()
	f := newFakeCache()
	c, _ := newCoreTestClient(t, f.handler)
	return c, f
}

func TestListImageCache_decodes(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.cached[cacheImg] = true
	f.queued = []string{cacheOther}
	f.cacheAt = -1
	ic, err := c.ListImageCache(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := CachedImage{ImageID: cacheImg, Size: 8388608, Hits: 3,
		LastAccessed: time.Date(2026, 12, 2, 18, 2, 33, 751448000, time.UTC),
		LastModified: time.Date(2026, 12, 2, 18, 1, 40, 500000000, time.UTC)}
	if len(ic.Cached) != 1 || ic.Cached[0] != want {
		t.Errorf("cached %+v, want [%+v]", ic.Cached, want)
	}
	if len(ic.Queued) != 1 || ic.Queued[0] != cacheOther {
		t.Errorf("queued %v", ic.Queued)
	}
	if got := f.requests[0]; got != "GET /glance/v2/cache" {
		t.Errorf("request %q", got)
	}
}

func TestListImageCache_emptyIsNotNil(t *testing.T) {
	c, _ := newCacheTestClient(t)
	ic, err := c.ListImageCache(context.Background())
	if err != nil || ic.Cached == nil || ic.Queued == nil || len(ic.Cached)+len(ic.Queued) != 0 {
		t.Fatalf("%+v, %v", ic, err)
	}
}

func TestListImageCache_refusals(t *testing.T) {
	for status, forbidden := range map[int]bool{http.StatusForbidden: true, http.StatusNotFound: false, http.StatusNotImplemented: false} {
		c, f := newCacheTestClient(t)
		f.listStatus = status
		_, err := c.ListImageCache(context.Background())
		var u *CacheUnavailableError
		if !errors.As(err, &u) || u.Forbidden != forbidden || !IsCacheUnavailable(err) {
			t.Errorf("%d: %v (%T), want CacheUnavailableError{Forbidden: %v}", status, err, err, forbidden)
		}
	}
	c, f := newCacheTestClient(t)
	f.listStatus = http.StatusBadRequest
	if _, err := c.ListImageCache(context.Background()); err == nil || IsCacheUnavailable(err) {
		t.Errorf("400: %v, want a plain error", err)
	}
}

func TestEpochTime_cases(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1796234553.751448": time.Date(2026, 12, 2, 18, 2, 33, 751448000, time.UTC),
		"1796234553":        time.Date(2026, 12, 2, 18, 2, 33, 0, time.UTC),
		"":                  {},
		"0":                 {},
		"x":                 {},
	} {
		if got := epochTime(json.Number(in)); !got.Equal(want) {
			t.Errorf("epochTime(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestClearImageCache_targets(t *testing.T) {
	c, f := newCacheTestClient(t)
	for _, target := range []CacheClearTarget{ClearCacheAndQueue, ClearCacheOnly, ClearQueueOnly} {
		if err := c.ClearImageCache(context.Background(), target); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"DELETE /glance/v2/cache", "DELETE /glance/v2/cache cache", "DELETE /glance/v2/cache queue"}
	if strings.Join(f.requests, "|") != strings.Join(want, "|") {
		t.Errorf("requests %q, want %q", f.requests, want)
	}
	c2, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) })
	if err := c2.ClearImageCache(context.Background(), ClearQueueOnly); !IsCacheUnavailable(err) {
		t.Errorf("403: %v, want CacheUnavailableError", err)
	}
}

func TestQueueImageCache_queuesAndWaits(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.cacheAt = 3
	entry, err := c.QueueImageCache(context.Background(), cacheImg, true)
	if err != nil {
		t.Fatal(err)
	}
	if entry.State != CacheStateCached || entry.Cached == nil || entry.Cached.Size != 8388608 {
		t.Errorf("entry %+v", entry)
	}
	if n := f.count("PUT /glance/v2/cache/" + cacheImg); n != 1 {
		t.Errorf("%d PUTs, want 1", n)
	}
}

func TestQueueImageCache_noWaitReportsQueued(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.cacheAt = -1
	entry, err := c.QueueImageCache(context.Background(), cacheImg, false)
	if err != nil || entry.State != CacheStateQueued {
		t.Fatalf("%+v, %v; want queued", entry, err)
	}
}

// An image already cached or queued is not PUT again: Glance would fetch it again.
func TestQueueImageCache_alreadyThereIsNotQueuedAgain(t *testing.T) {
	for _, state := range []CacheState{CacheStateCached, CacheStateQueued} {
		c, f := newCacheTestClient(t)
		f.cacheAt = -1
		if state == CacheStateCached {
			f.cached[cacheImg] = true
		} else {
			f.queued = []string{cacheImg}
		}
		entry, err := c.QueueImageCache(context.Background(), cacheImg, false)
		if err != nil || entry.State != state {
			t.Errorf("%s: %+v, %v", state, entry, err)
		}
		if n := f.count("PUT"); n != 0 {
			t.Errorf("%s: %d PUTs, want none", state, n)
		}
	}
}

func TestQueueImageCache_lostAnswerIsFound(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.cacheAt, f.putLost = -1, true
	entry, err := c.QueueImageCache(context.Background(), cacheImg, false)
	if err != nil || entry.State != CacheStateQueued {
		t.Fatalf("%+v, %v; want queued", entry, err)
	}
	if n := f.count("PUT"); n != 1 {
		t.Errorf("%d PUTs, want 1 (a PUT is never retried)", n)
	}
}

func TestQueueImageCache_serverErrorIsNotRetried(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.putErr = http.StatusInternalServerError
	_, err := c.QueueImageCache(context.Background(), cacheImg, false)
	if !statusIs(err, http.StatusInternalServerError) {
		t.Fatalf("%v, want the 500", err)
	}
	if n := f.count("PUT"); n != 1 {
		t.Errorf("%d PUTs, want 1", n)
	}
}

func TestQueueImageCache_notActive(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.status[cacheImg] = StatusDeactivated
	_, err := c.QueueImageCache(context.Background(), cacheImg, false)
	var nc *ImageNotCacheableError
	if !errors.As(err, &nc) || nc.Status != StatusDeactivated || nc.ImageID != cacheImg {
		t.Fatalf("%v (%T), want ImageNotCacheableError with status deactivated", err, err)
	}
}

func TestQueueImageCache_missingImage(t *testing.T) {
	c, _ := newCacheTestClient(t)
	_, err := c.QueueImageCache(context.Background(), cacheOther, false)
	if !IsNotFound(err) {
		t.Fatalf("%v, want a 404", err)
	}
}

func TestQueueImageCache_forbidden(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.listStatus = http.StatusForbidden
	_, err := c.QueueImageCache(context.Background(), cacheImg, false)
	var u *CacheUnavailableError
	if !errors.As(err, &u) || !u.Forbidden {
		t.Fatalf("%v, want CacheUnavailableError{Forbidden}", err)
	}
	if n := f.count("PUT"); n != 0 {
		t.Errorf("%d PUTs, want none", n)
	}
}

func TestQueueImageCache_droppedFromQueue(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		_, _ = w.Write([]byte(`{"cached_images": [], "queued_images": []}`))
	})
	for _, wait := range []bool{false, true} {
		_, err := c.QueueImageCache(context.Background(), cacheImg, wait)
		var w *CacheWaitError
		if !errors.As(err, &w) || w.State != CacheStateAbsent || IsCacheWaitTimeout(err) {
			t.Errorf("wait %v: %v, want CacheWaitError of an absent image", wait, err)
		}
	}
}

func TestWaitForImageCache_timeout(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.queued, f.cacheAt = []string{cacheImg}, -1
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	entry, err := c.WaitForImageCache(ctx, cacheImg)
	if !IsCacheWaitTimeout(err) || entry.State != CacheStateQueued {
		t.Fatalf("%+v, %v; want a timeout while queued", entry, err)
	}
	if !strings.Contains(err.Error(), "still queued") {
		t.Errorf("message %q", err)
	}
}

func TestJudgeCacheWait_cases(t *testing.T) {
	for name, tc := range map[string]struct {
		entry        CacheEntry
		absentBefore int
		done, failed bool
		absentAfter  int
	}{
		"cached":                {entry: CacheEntry{State: CacheStateCached}, done: true},
		"queued resets":         {entry: CacheEntry{State: CacheStateQueued}, absentBefore: 1},
		"absent once":           {entry: CacheEntry{}, absentAfter: 1},
		"absent twice":          {entry: CacheEntry{}, absentBefore: 1, failed: true, absentAfter: 2},
		"image deleted at once": {entry: CacheEntry{ImageDeleted: true}, failed: true, absentAfter: 1},
	} {
		absent := tc.absentBefore
		done, failed := judgeCacheWait(tc.entry, &absent)
		if done != tc.done || failed != tc.failed || absent != tc.absentAfter {
			t.Errorf("%s: done %v failed %v absent %d, want %v %v %d", name, done, failed, absent, tc.done, tc.failed, tc.absentAfter)
		}
	}
}

func TestImageCacheState_deletedImageIsAbsent(t *testing.T) {
	for _, status := range []string{"", StatusDeleted} {
		c, f := newCacheTestClient(t)
		f.cached[cacheOther] = true
		if status != "" {
			f.status[cacheOther] = status
		}
		entry, err := c.ImageCacheState(context.Background(), cacheOther)
		if err != nil || entry.State != CacheStateAbsent || !entry.ImageDeleted {
			t.Errorf("status %q: %+v, %v; want absent, deleted", status, entry, err)
		}
	}
}

func TestImageCacheState_absentReadsNoImage(t *testing.T) {
	c, f := newCacheTestClient(t)
	entry, err := c.ImageCacheState(context.Background(), cacheImg)
	if err != nil || entry.State != CacheStateAbsent || entry.ImageDeleted {
		t.Fatalf("%+v, %v", entry, err)
	}
	if n := f.count("GET /glance/v2/images"); n != 0 {
		t.Errorf("%d image reads, want none", n)
	}
}

func TestEvictImageCache_cases(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.cached[cacheImg], f.queued, f.cacheAt = true, []string{cacheImg}, -1
	if err := c.EvictImageCache(context.Background(), cacheImg); err != nil {
		t.Fatal(err)
	}
	if f.cached[cacheImg] || len(f.queued) != 0 {
		t.Errorf("still cached %v or queued %v", f.cached, f.queued)
	}
	// Neither an image nor a cache entry: 404, not an error.
	if err := c.EvictImageCache(context.Background(), cacheOther); err != nil {
		t.Errorf("404: %v", err)
	}
	if got := f.requests[0]; got != "DELETE /glance/v2/cache/"+cacheImg {
		t.Errorf("request %q", got)
	}
	c2, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) })
	if err := c2.EvictImageCache(context.Background(), cacheImg); !IsCacheUnavailable(err) {
		t.Errorf("403: %v, want CacheUnavailableError", err)
	}
}

func TestCachedImageCacheAvailable_memoised(t *testing.T) {
	c, f := newCacheTestClient(t)
	for range 3 {
		if err := c.CachedImageCacheAvailable(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	f.listStatus = http.StatusForbidden
	f.mu.Unlock()
	if err := c.CachedImageCacheAvailable(context.Background()); err != nil {
		t.Errorf("answer not memoised: %v", err)
	}
	if n := f.count("GET"); n != 1 {
		t.Errorf("%d GETs, want 1", n)
	}

	c2, f2 := newCacheTestClient(t)
	f2.listStatus = http.StatusNotFound
	for range 2 {
		if err := c2.CachedImageCacheAvailable(context.Background()); !IsCacheUnavailable(err) {
			t.Errorf("404: %v", err)
		}
	}
	if n := f2.count("GET"); n != 1 {
		t.Errorf("%d GETs, want 1 (unavailability memoised)", n)
	}
}

// A transient failure is not memoised: the next plan-time check asks again.
func TestCachedImageCacheAvailable_transientNotKept(t *testing.T) {
	c, f := newCacheTestClient(t)
	f.listStatus = http.StatusBadRequest
	if err := c.CachedImageCacheAvailable(context.Background()); err == nil || IsCacheUnavailable(err) {
		t.Fatalf("%v, want a plain error", err)
	}
	f.mu.Lock()
	f.listStatus = 0
	f.mu.Unlock()
	if err := c.CachedImageCacheAvailable(context.Background()); err != nil {
		t.Fatalf("second ask: %v", err)
	}
}
