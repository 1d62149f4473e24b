package glance

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pendingGlance keeps images as JSON documents and answers list (with Glance's filters on
// name, owner and extra properties), get, create, patch and delete, recording the calls.
type pendingGlance struct {
	mu     sync.Mutex
	images map[string]map[string]any
	calls  []string
	// failDelete refuses deletes with this status when non-zero.
	failDelete int
	// created counts POSTs.
	created int
}

func newPendingGlance(imgs ...map[string]any) *pendingGlance {
	f := &pendingGlance{images: map[string]map[string]any{}}
	for _, img := range imgs {
		id, _ := img["id"].(string)
		f.images[id] = img
	}
	return f
}

func (f *pendingGlance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := strings.TrimPrefix(r.URL.Path, "/glance/v2/images")
	id = strings.TrimPrefix(id, "/")
	f.calls = append(f.calls, r.Method+" "+id)
	switch {
	case r.Method == http.MethodGet && id == "":
		f.list(w, r)
	case r.Method == http.MethodPost && id == "":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["status"], body["owner"] = StatusQueued, "p1"
		id, _ := body["id"].(string)
		f.images[id] = body
		f.created++
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	case f.images[id] == nil:
		w.WriteHeader(http.StatusNotFound)
	case r.Method == http.MethodGet:
		_ = json.NewEncoder(w).Encode(f.images[id])
	case r.Method == http.MethodDelete && f.failDelete != 0:
		w.WriteHeader(f.failDelete)
	case r.Method == http.MethodDelete:
		delete(f.images, id)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPatch:
		var ops []PatchOp
		_ = json.NewDecoder(r.Body).Decode(&ops)
		for _, op := range ops {
			key := strings.TrimPrefix(op.Path, "/")
			if op.Op == "remove" {
				delete(f.images[id], key)
			} else {
				f.images[id][key] = op.Value
			}
		}
		_ = json.NewEncoder(w).Encode(f.images[id])
	default:
		w.WriteHeader(http.StatusTeapot)
	}
}

func (f *pendingGlance) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := []map[string]any{}
	for _, img := range f.images {
		match := true
		for k := range q {
			switch k {
			case "visibility", "limit", "marker":
			default:
				if fmt.Sprint(img[k]) != q.Get(k) {
					match = false
				}
			}
		}
		if match {
			out = append(out, img)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"images": out})
}

func (f *pendingGlance) called(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// pendingFile writes a small file and returns its source and sha512.
func pendingFile(t *testing.T) (Source, string) {
	const content = "the data"
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.raw")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512([]byte(content))
	return FileSource(p), hex.EncodeToString(sum[:])
}

func leftover(id, key, status, hash string) map[string]any {
	return map[string]any{"id": id, "name": "img", "owner": "p1", "status": status, "visibility": "private",
		"os_hash_algo": "sha512", "os_hash_value": hash, "min_disk": 0, "min_ram": 0, "tags": []string{}, PendingProperty: key}
}

func TestPendingKey_distinguishesParts(t *testing.T) {
	if PendingKey("a", "bc") == PendingKey("ab", "c") || PendingKey("a") == PendingKey("a", "") {
		t.Fatal("keys of different parts collide")
	}
	if k := PendingKey("glance_image", "p1", "img"); k != PendingKey("glance_image", "p1", "img") || len(k) != 32 {
		t.Fatalf("key %q is not stable or not 32 hex digits", k)
	}
}

func TestCreatePendingImage_noLeftover(t *testing.T) {
	f := newPendingGlance()
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	res, err := c.CreatePendingImage(context.Background(),
		CreateImageRequest{ID: "new-1", Name: "img", Protected: true, Hidden: true, Properties: map[string]string{"os_distro": "x"}},
		PendingCreate{Key: "k1", Owner: "p1"})
	if err != nil || res.Image.ID != "new-1" || res.Adopted || res.Reused || len(res.Discarded) != 0 {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	got := f.images["new-1"]
	if got[PendingProperty] != "k1" || got["protected"] != false || got["os_hidden"] != false || got["os_distro"] != "x" {
		t.Fatalf("created %v: want marked, unprotected, not hidden, with its properties", got)
	}
	if lists := f.called("GET "); len(lists) != 1 {
		t.Fatalf("calls %v: want one list before the create", f.calls)
	}
}

func TestCreatePendingImage_listsByMarkOwnerAndAllVisibilities(t *testing.T) {
	var query string
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			query = r.URL.RawQuery
			_, _ = w.Write([]byte(`{"images": []}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": "n", "status": "queued"}`))
	})
	if _, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: "n", Name: "img"}, PendingCreate{Key: "k2", Owner: "p1"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{PendingProperty + "=k2", "owner=p1", "visibility=all", "name=img"} {
		if !strings.Contains(query, want) {
			t.Errorf("list query %q lacks %s", query, want)
		}
	}
}

func TestCreatePendingImage_discardsUnverified(t *testing.T) {
	src, _ := pendingFile(t)
	f := newPendingGlance(
		leftover("q", "k3", StatusQueued, ""),
		leftover("s", "k3", StatusSaving, ""),
		leftover("wrong", "k3", StatusActive, strings.Repeat("0", 128)),
		leftover("other-key", "k9", StatusQueued, ""),
	)
	other := leftover("other-owner", "k3", StatusQueued, "")
	other["owner"] = "p2"
	f.images["other-owner"] = other
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	res, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: "new-3", Name: "img"},
		PendingCreate{Key: "k3", Owner: "p1", Source: src})
	if err != nil || res.Adopted || res.Image.ID != "new-3" {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	slices.Sort(res.Discarded)
	if want := []string{"q", "s", "wrong"}; !slices.Equal(res.Discarded, want) {
		t.Fatalf("discarded %v, want %v", res.Discarded, want)
	}
	for _, keep := range []string{"other-key", "other-owner", "new-3"} {
		if f.images[keep] == nil {
			t.Errorf("image %s was deleted; only this key's leftovers in this project may be", keep)
		}
	}
}

func TestCreatePendingImage_adoptsVerified(t *testing.T) {
	src, sum := pendingFile(t)
	f := newPendingGlance(leftover("done", "k4", StatusActive, sum), leftover("partial", "k4", StatusSaving, ""))
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	res, err := c.CreatePendingImage(context.Background(),
		CreateImageRequest{ID: "new-4", Name: "img", MinDisk: 3, Tags: []string{"b", "a"}, Properties: map[string]string{"os_distro": "x"}},
		PendingCreate{Key: "k4", Owner: "p1", Source: src, Checksum: "sha512:" + sum})
	if err != nil || !res.Adopted || res.Image.ID != "done" || f.created != 0 {
		t.Fatalf("res = %+v, err = %v, creates = %d: want the verified leftover adopted, nothing created", res, err, f.created)
	}
	if !slices.Equal(res.Discarded, []string{"partial"}) {
		t.Fatalf("discarded %v, want the partial upload", res.Discarded)
	}
	if res.Image.MinDisk != 3 || res.Image.Properties["os_distro"] != "x" || strings.Join(res.Image.Tags, ",") != "a,b" {
		t.Fatalf("adopted image %+v was not patched to the request", res.Image)
	}
	if res.Image.Properties[PendingProperty] != "k4" {
		t.Fatal("the adopted image must keep its mark until FinishImage")
	}
}

func TestCreatePendingImage_checksumMismatchNotAdopted(t *testing.T) {
	src, sum := pendingFile(t)
	f := newPendingGlance(leftover("done5", "k5", StatusActive, sum))
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	res, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: "new-5", Name: "img"},
		PendingCreate{Key: "k5", Owner: "p1", Source: src, Checksum: "sha512:" + strings.Repeat("1", 128)})
	if err != nil || res.Adopted || !slices.Equal(res.Discarded, []string{"done5"}) {
		t.Fatalf("res = %+v, err = %v: data that does not match source.checksum must not be adopted", res, err)
	}
}

func TestCreatePendingImage_fixedIDReusedOrRefused(t *testing.T) {
	src, sum := pendingFile(t)
	cases := map[string]struct {
		status, hash          string
		adopted, reused, fail bool
	}{
		"queued: reused":            {StatusQueued, "", false, true, false},
		"active, verified: adopted": {StatusActive, sum, true, false, false},
		"active, other data":        {StatusActive, strings.Repeat("0", 128), false, false, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := "fixed"
			f := newPendingGlance(leftover(id, "k6", tc.status, tc.hash))
			c, _ := newCoreTestClient(t, f.ServeHTTP)
			res, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: id, Name: "img"},
				PendingCreate{Key: "k6", Owner: "p1", Source: src, FixedID: true})
			if len(f.called("DELETE")) != 0 || f.created != 0 {
				t.Fatalf("calls %v: an image with the chosen id can be neither deleted nor made again", f.calls)
			}
			if tc.fail {
				var step *StepError
				var state *ImageStateError
				if !errors.As(err, &step) || step.Step != StepAdoptLeftover || !errors.As(err, &state) || state.Problem != ImageHasData {
					t.Fatalf("err = %v, want a refused adoption (image has data)", err)
				}
				return
			}
			if err != nil || res.Image.ID != id || res.Adopted != tc.adopted || res.Reused != tc.reused {
				t.Fatalf("res = %+v, err = %v", res, err)
			}
		})
	}
}

func TestCreatePendingImage_fixedIDSettlesFromSaving(t *testing.T) {
	f := newPendingGlance(leftover("fixed7", "k7", StatusSaving, ""))
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/fixed7") {
			f.mu.Lock()
			f.images["fixed7"]["status"] = StatusQueued // Glance noticed the dead upload
			f.mu.Unlock()
		}
		f.ServeHTTP(w, r)
	})
	res, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: "fixed7", Name: "img"}, PendingCreate{Key: "k7", Owner: "p1", FixedID: true})
	if err != nil || !res.Reused || res.Image.Status != StatusQueued {
		t.Fatalf("res = %+v, err = %v: want the leftover reused once queued", res, err)
	}
}

func TestCreatePendingImage_sameKeyInOneProcess(t *testing.T) {
	f := newPendingGlance()
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: fmt.Sprintf("sib-%d", i), Name: "img"}, PendingCreate{Key: "k8", Owner: "p1"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(f.images) != 4 || len(f.called("DELETE")) != 0 {
		t.Fatalf("%d images, deletes %v: images of one process with the same key are not leftovers", len(f.images), f.called("DELETE"))
	}
}

func TestCreatePendingImage_discardRefused(t *testing.T) {
	f := newPendingGlance(leftover("stuck", "k10", StatusQueued, ""))
	f.failDelete = http.StatusForbidden
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	_, err := c.CreatePendingImage(context.Background(), CreateImageRequest{ID: "new-10", Name: "img"}, PendingCreate{Key: "k10", Owner: "p1"})
	var step *StepError
	if !errors.As(err, &step) || step.Step != StepDiscardLeftover || step.ImageID != "stuck" || !IsForbidden(err) || f.created != 0 {
		t.Fatalf("err = %v, creates = %d: want the refused delete named, nothing created", err, f.created)
	}
}

func TestFinishImage_unmarksHidesProtectsInOnePatch(t *testing.T) {
	f := newPendingGlance(leftover("m", "k11", StatusActive, "h"))
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	img, err := c.GetImage(context.Background(), "m")
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.FinishImage(context.Background(), img, FinishOptions{Protect: true, Hide: true})
	if err != nil || !done.Protected || !done.Hidden || done.Properties[PendingProperty] != "" {
		t.Fatalf("done = %+v, err = %v", done, err)
	}
	if patches := f.called("PATCH"); len(patches) != 1 {
		t.Fatalf("patches %v, want one", patches)
	}
}

func TestFinishImage_reactivatesDeactivatedLeftover(t *testing.T) {
	f := &lifecycleGlance{status: StatusDeactivated}
	img, err := newLifecycleClient(t, f).FinishImage(context.Background(), &Image{ID: "img-1", Status: StatusDeactivated}, FinishOptions{})
	if err != nil || img.Status != StatusActive || !slices.Equal(f.calls, []string{"reactivate", "GET"}) {
		t.Fatalf("img = %+v, err = %v, calls = %v", img, err, f.calls)
	}
	f = &lifecycleGlance{status: StatusDeactivated}
	if _, err := newLifecycleClient(t, f).FinishImage(context.Background(), &Image{ID: "img-1", Status: StatusDeactivated}, FinishOptions{Deactivate: true}); err != nil || len(f.calls) != 0 {
		t.Fatalf("err = %v, calls = %v: an image already deactivated needs nothing", err, f.calls)
	}
}

func TestDiscardPendingImage_unmarksWhenDeleteFails(t *testing.T) {
	f := newPendingGlance(leftover("d", "k12", StatusActive, "h"))
	f.failDelete = http.StatusInternalServerError
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	c.maxRetries = 0
	if err := c.DiscardPendingImage(context.Background(), "d"); err == nil {
		t.Fatal("want the delete's error")
	}
	if _, marked := f.images["d"][PendingProperty]; marked {
		t.Fatal("the mark stayed on an image that stays in state")
	}
}
