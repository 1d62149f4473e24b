package glance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"
)

// The image cache management API (Image API 2.14+, Yoga): GET /v2/cache, PUT and DELETE
// /v2/cache/{image_id}, DELETE /v2/cache. Each Glance API node keeps its own cache; a call
// reaches the node that answers it. Glance's default policy lets only admins call it, and a
// Glance without image_cache_dir (or without the cache management routes) answers 404.

// CacheState is where an image stands in the cache of the Glance node that answered.
type CacheState string

// The states of CacheEntry.State.
const (
	CacheStateCached CacheState = "cached"
	CacheStateQueued CacheState = "queued"
	// CacheStateAbsent: neither cached nor queued.
	CacheStateAbsent CacheState = ""
)

// CachedImage is one image in the cache, as GET /v2/cache lists it. Glance reports the times
// as epoch seconds; they are converted to UTC times (zero when Glance sent none).
type CachedImage struct {
	ImageID      string
	Size         int64
	Hits         int64
	LastAccessed time.Time
	LastModified time.Time
}

// ImageCache is the answer of GET /v2/cache: the cached images and the ids of the queued
// ones, in Glance's order (cached by id, queued oldest first).
type ImageCache struct {
	Cached []CachedImage
	Queued []string
}

// CacheEntry is one image's place in the cache.
type CacheEntry struct {
	ImageID string
	State   CacheState
	// Cached is the cache's record of the image when State is cached.
	Cached *CachedImage
	// ImageDeleted is set by ImageCacheState when the image itself no longer exists (State is
	// then absent, whatever the cache still holds for it).
	ImageDeleted bool
}

// Entry is imageID's place in c.
func (c *ImageCache) Entry(imageID string) CacheEntry {
	for i := range c.Cached {
		if c.Cached[i].ImageID == imageID {
			img := c.Cached[i]
			return CacheEntry{ImageID: imageID, State: CacheStateCached, Cached: &img}
		}
	}
	for _, id := range c.Queued {
		if id == imageID {
			return CacheEntry{ImageID: imageID, State: CacheStateQueued}
		}
	}
	return CacheEntry{ImageID: imageID, State: CacheStateAbsent}
}

// CacheClearTarget says what DELETE /v2/cache clears (header x-image-cache-clear-target).
type CacheClearTarget string

// The targets of ClearImageCache.
const (
	ClearCacheAndQueue CacheClearTarget = ""
	ClearCacheOnly     CacheClearTarget = "cache"
	ClearQueueOnly     CacheClearTarget = "queue"
)

// CacheUnavailableError is Glance refusing the cache API: Forbidden (403) when policy lets
// only admins manage the cache, otherwise (404, 501) the cloud does not offer it at all.
type CacheUnavailableError struct {
	Forbidden bool
	Err       error
}

func (e *CacheUnavailableError) Error() string { return e.Err.Error() }
func (e *CacheUnavailableError) Unwrap() error { return e.Err }

// IsCacheUnavailable reports whether the cache management API is not available to the caller.
func IsCacheUnavailable(err error) bool {
	var u *CacheUnavailableError
	return errors.As(err, &u)
}

// ImageNotCacheableError is Glance refusing to queue an image that is not active.
type ImageNotCacheableError struct {
	ImageID string
	// Status is the image's status when it could be read, else empty.
	Status string
	Err    error
}

func (e *ImageNotCacheableError) Error() string { return e.Err.Error() }
func (e *ImageNotCacheableError) Unwrap() error { return e.Err }

// CacheWaitError is a queued image that did not reach the cache: the wait ran out (Err is the
// context's error) or the image left the queue uncached.
type CacheWaitError struct {
	ImageID string
	// State is the image's last state seen.
	State CacheState
	Err   error
}

func (e *CacheWaitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("image %s left the cache queue without being cached (the prefetcher failed to fetch it: see the Glance API log)", e.ImageID)
	}
	state := string(e.State)
	if e.State == CacheStateAbsent {
		state = "neither queued nor cached"
	}
	return fmt.Sprintf("image %s is still %s: %v", e.ImageID, state, e.Err)
}

func (e *CacheWaitError) Unwrap() error { return e.Err }

// IsCacheWaitTimeout reports whether waiting for an image to be cached ran out of time.
func IsCacheWaitTimeout(err error) bool {
	var w *CacheWaitError
	return errors.As(err, &w) && errors.Is(w.Err, context.DeadlineExceeded)
}

// cacheError types a refusal of a cache call: 403 always means policy, and on the calls
// without an image (GET and DELETE /v2/cache) 404 and 501 mean the API is not offered.
func cacheError(err error, withImage bool) error {
	switch {
	case IsForbidden(err):
		return &CacheUnavailableError{Forbidden: true, Err: err}
	case !withImage && IsUnsupported(err):
		return &CacheUnavailableError{Err: err}
	}
	return err
}

// wireCachedImage is the JSON of one cached image; Glance sends numbers (times as floats).
type wireCachedImage struct {
	ImageID      string      `json:"image_id"`
	Hits         json.Number `json:"hits"`
	LastAccessed json.Number `json:"last_accessed"`
	LastModified json.Number `json:"last_modified"`
	Size         json.Number `json:"size"`
}

// ListImageCache reads the cache and queue of the node that answers (GET /v2/cache).
func (c *Client) ListImageCache(ctx context.Context) (*ImageCache, error) {
	var out struct {
		Cached []wireCachedImage `json:"cached_images"`
		Queued []string          `json:"queued_images"`
	}
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/cache", idempotent: true, out: &out}); err != nil {
		return nil, cacheError(err, false)
	}
	ic := &ImageCache{Cached: make([]CachedImage, 0, len(out.Cached)), Queued: out.Queued}
	if ic.Queued == nil {
		ic.Queued = []string{}
	}
	for _, w := range out.Cached {
		ic.Cached = append(ic.Cached, CachedImage{
			ImageID: w.ImageID, Size: wholeNumber(w.Size), Hits: wholeNumber(w.Hits),
			LastAccessed: epochTime(w.LastAccessed), LastModified: epochTime(w.LastModified),
		})
	}
	return ic, nil
}

// wholeNumber is n as an int64 (0 when absent or not a number).
func wholeNumber(n json.Number) int64 {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil {
		return 0
	}
	return int64(f)
}

// epochTime is a number of epoch seconds (with a fraction) as a UTC time; zero when absent.
func epochTime(n json.Number) time.Time {
	f, err := n.Float64()
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}

// CacheImage queues an active image for caching (PUT /v2/cache/{image_id}); a Glance of Zed or
// later starts fetching it at once, older ones when their prefetcher runs. It is not retried:
// Glance fetches the image again for every PUT it receives, even when it is cached already.
func (c *Client) CacheImage(ctx context.Context, imageID string) error {
	err := c.doJSON(ctx, call{method: http.MethodPut, path: "/v2/cache/" + escape(imageID)})
	return cacheError(err, true)
}

// DeleteImageCacheEntry removes an image from the cache and the queue (DELETE
// /v2/cache/{image_id}). Glance answers 404 when the image neither exists nor is cached or
// queued.
func (c *Client) DeleteImageCacheEntry(ctx context.Context, imageID string) error {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: "/v2/cache/" + escape(imageID), idempotent: true})
	return cacheError(err, true)
}

// ClearImageCache empties the cache, the queue or both (DELETE /v2/cache with the header
// x-image-cache-clear-target) on the node that answers.
func (c *Client) ClearImageCache(ctx context.Context, target CacheClearTarget) error {
	cl := call{method: http.MethodDelete, path: "/v2/cache", idempotent: true}
	if target != ClearCacheAndQueue {
		cl.headers = map[string]string{"x-image-cache-clear-target": string(target)}
	}
	return cacheError(c.doJSON(ctx, cl), false)
}

// ImageCacheState reports whether an image is cached or queued. An entry of an image that no
// longer exists counts as absent (with ImageDeleted), since Glance serves no data for it.
func (c *Client) ImageCacheState(ctx context.Context, imageID string) (CacheEntry, error) {
	ic, err := c.ListImageCache(ctx)
	if err != nil {
		return CacheEntry{ImageID: imageID}, err
	}
	entry := ic.Entry(imageID)
	if entry.State == CacheStateAbsent {
		return entry, nil
	}
	img, err := c.GetImage(ctx, imageID)
	switch {
	case IsNotFound(err) || err == nil && (img.Status == StatusDeleted || img.Status == StatusPendingDel):
		return CacheEntry{ImageID: imageID, State: CacheStateAbsent, ImageDeleted: true}, nil
	case err != nil:
		return entry, err
	}
	return entry, nil
}

// QueueImageCache puts an image into the cache: it queues the image unless it is cached or
// queued already (Glance would fetch it again), and with wait waits until it is cached, as
// WaitForImageCache. It returns the image's place in the cache afterwards. A refusal because
// the image is not active is an *ImageNotCacheableError; an answer lost on the way is found
// again by reading the queue.
func (c *Client) QueueImageCache(ctx context.Context, imageID string, wait bool) (CacheEntry, error) {
	entry, err := c.ImageCacheState(ctx, imageID)
	if err != nil {
		return entry, err
	}
	if entry.State == CacheStateAbsent {
		if err := c.CacheImage(ctx, imageID); err != nil {
			if entry, found := c.queuedAfterAll(ctx, imageID, err); found {
				return c.afterQueue(ctx, entry, wait)
			}
			return entry, c.queueFailure(ctx, imageID, err)
		}
		if entry, err = c.ImageCacheState(ctx, imageID); err != nil {
			return entry, err
		}
	}
	return c.afterQueue(ctx, entry, wait)
}

// afterQueue waits for a queued image when asked to. Without waiting, an image that is
// neither queued nor cached right after a successful PUT is looked at once more (Glance drops
// the queue entry a moment before it records the cached image); still absent, the prefetcher
// dropped it.
func (c *Client) afterQueue(ctx context.Context, entry CacheEntry, wait bool) (CacheEntry, error) {
	switch {
	case entry.State == CacheStateCached:
		return entry, nil
	case wait:
		return c.WaitForImageCache(ctx, entry.ImageID)
	case entry.State == CacheStateQueued:
		return entry, nil
	}
	t := time.NewTimer(pollStart)
	select {
	case <-ctx.Done():
		t.Stop()
		return entry, &CacheWaitError{ImageID: entry.ImageID, State: entry.State, Err: ctx.Err()}
	case <-t.C:
	}
	again, err := c.ImageCacheState(ctx, entry.ImageID)
	if err != nil {
		return again, err
	}
	if again.State == CacheStateAbsent {
		return again, &CacheWaitError{ImageID: entry.ImageID, State: CacheStateAbsent}
	}
	return again, nil
}

// queuedAfterAll reads the cache after a PUT failed for a reason other than Glance's refusal
// (a lost answer, a 5xx): the image may have been queued all the same.
func (c *Client) queuedAfterAll(ctx context.Context, imageID string, err error) (CacheEntry, bool) {
	if IsCacheUnavailable(err) || IsNotFound(err) || IsBadRequest(err) || ctx.Err() != nil {
		return CacheEntry{}, false
	}
	entry, stateErr := c.ImageCacheState(ctx, imageID)
	return entry, stateErr == nil && entry.State != CacheStateAbsent
}

// queueFailure types a failed PUT: a 400 is an image that is not active.
func (c *Client) queueFailure(ctx context.Context, imageID string, err error) error {
	if !IsBadRequest(err) {
		return err
	}
	status := ""
	if img, getErr := c.GetImage(ctx, imageID); getErr == nil {
		status = img.Status
	}
	return &ImageNotCacheableError{ImageID: imageID, Status: status, Err: err}
}

// WaitForImageCache polls GET /v2/cache, with a growing interval, until the image is cached.
// It fails with a *CacheWaitError when ctx ends first or when the image is neither queued nor
// cached on two polls in a row (Glance drops the queue entry a moment before it records the
// cached image, so one such answer is not yet a failure).
func (c *Client) WaitForImageCache(ctx context.Context, imageID string) (CacheEntry, error) {
	interval := pollStart
	absent := 0
	for {
		entry, err := c.ImageCacheState(ctx, imageID)
		if err != nil {
			return entry, err
		}
		done, failed := judgeCacheWait(entry, &absent)
		if done || failed {
			if failed {
				return entry, &CacheWaitError{ImageID: imageID, State: entry.State}
			}
			return entry, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return entry, &CacheWaitError{ImageID: imageID, State: entry.State, Err: ctx.Err()}
		case <-t.C:
		}
		interval = min(interval*3/2, pollMax)
	}
}

// judgeCacheWait decides one poll of WaitForImageCache: done when cached, failed when the
// image is absent for the second poll in a row (or its image was deleted); absent counts the
// polls in a row that found it absent.
func judgeCacheWait(entry CacheEntry, absent *int) (done, failed bool) {
	switch entry.State {
	case CacheStateCached:
		return true, false
	case CacheStateQueued:
		*absent = 0
		return false, false
	}
	*absent++
	return false, entry.ImageDeleted || *absent >= 2
}

// EvictImageCache removes an image from the cache and from the queue; an image that is in
// neither (404) is not an error.
func (c *Client) EvictImageCache(ctx context.Context, imageID string) error {
	err := c.DeleteImageCacheEntry(ctx, imageID)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// cacheProbe memoises whether the cache API answers, for one Client (one Terraform command).
type cacheProbe struct {
	mu   sync.Mutex
	done bool
	err  error // nil or a *CacheUnavailableError
}

// CachedImageCacheAvailable reports, asking once per Client, whether the caller may use the
// image cache API: nil, or a *CacheUnavailableError (kept) or another error (not kept).
func (c *Client) CachedImageCacheAvailable(ctx context.Context) error {
	c.cacheAPI.mu.Lock()
	defer c.cacheAPI.mu.Unlock()
	if !c.cacheAPI.done {
		_, err := c.ListImageCache(ctx)
		if err != nil && !IsCacheUnavailable(err) {
			return err
		}
		c.cacheAPI.err, c.cacheAPI.done = err, true
	}
	return c.cacheAPI.err
}
