package glance

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastImportPolls makes the waiter re-read the task on every poll in one test.
func fastImportPolls(t *testing.T) {
	t.Helper()
	every := importTaskEvery
	importTaskEvery = 0
	t.Cleanup(func() { importTaskEvery = every })
}

// importImageJSON renders an image as Glance shows it during an import.
func importImageJSON(status, stores, importing, failed string) string {
	m := map[string]any{"id": "img-1", "name": "n", "status": status,
		"os_glance_importing_to_stores": importing, "os_glance_failed_import": failed}
	if stores != "" {
		m["stores"] = stores
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// importTaskJSON renders one import task.
func importTaskJSON(id, status, message, created string, backend ...string) string {
	b, _ := json.Marshal(map[string]any{
		"id": id, "type": "api_image_import", "status": status, "message": message, "created_at": created,
		"updated_at": created, "owner": "p", "image_id": "img-1", "result": nil,
		"input": map[string]any{"image_id": "img-1", "backend": backend,
			"import_req": map[string]any{"method": map[string]any{"name": "glance-direct"}, "stores": backend}},
	})
	return string(b)
}

// importStep is what the fake Glance shows at one poll: the image, and the tasks list
// (a JSON array, or "403" when tasks are forbidden).
type importStep struct {
	image string
	tasks string
}

// fakeImportGlance serves a scripted import under the /glance prefix: each GET of the image
// moves to the next step (the last one repeats); the tasks list follows the image.
type fakeImportGlance struct {
	t          *testing.T
	mu         sync.Mutex
	steps      []importStep
	next       int
	beforePost string // tasks list before the import request
	posted     bool
	postStatus int // answer to POST /import; 0 means 202
	postBody   []byte
	posts      atomic.Int32
	imageGets  atomic.Int32
	taskGets   atomic.Int32
}

func (f *fakeImportGlance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.steps[max(0, min(f.next-1, len(f.steps)-1))]
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/glance/v2/images/img-1/import":
		f.posts.Add(1)
		f.postBody, _ = io.ReadAll(r.Body)
		f.posted = true
		if f.postStatus != 0 {
			w.WriteHeader(f.postStatus)
			_, _ = fmt.Fprintf(w, `{"message": "fake %d"}`, f.postStatus)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodGet && r.URL.Path == "/glance/v2/images/img-1":
		f.imageGets.Add(1)
		step := f.steps[min(f.next, len(f.steps)-1)]
		f.next++
		if step.image == "404" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(step.image))
	case r.Method == http.MethodGet && r.URL.Path == "/glance/v2/images/img-1/tasks":
		f.taskGets.Add(1)
		tasks := cur.tasks
		if !f.posted && f.beforePost != "" {
			tasks = f.beforePost
		}
		if tasks == "403" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message": "tasks_api_access"}`))
			return
		}
		if tasks == "" {
			tasks = "[]"
		}
		_, _ = fmt.Fprintf(w, `{"tasks": %s, "schema": "/v2/schemas/tasks"}`, tasks)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}
}

func newFakeImportClient(t *testing.T, f *fakeImportGlance) *Client {
	t.Helper()
	f.t = t
	fastImportPolls(t)
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	return c
}

func tasksOf(tasks ...string) string { return "[" + strings.Join(tasks, ",") + "]" }

func TestImportImage_body(t *testing.T) {
	for name, tc := range map[string]struct {
		req  ImportRequest
		want string
	}{
		"glance-direct to two stores": {
			req:  ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}, Stores: []string{"fast", "slow"}, AllStoresMustSucceed: true},
			want: `{"method":{"name":"glance-direct"},"stores":["fast","slow"],"all_stores_must_succeed":true}`,
		},
		"web-download, must_succeed false is sent": {
			req:  ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x.img"}, Stores: []string{"slow"}},
			want: `{"method":{"name":"web-download","uri":"http://h/x.img"},"stores":["slow"],"all_stores_must_succeed":false}`,
		},
		"glance-download to all stores": {
			req: ImportRequest{Method: ImportMethod{Name: MethodGlanceDownload, GlanceImageID: "src", GlanceRegion: "RegionTwo", GlanceServiceInterface: "public"},
				AllStores: true, AllStoresMustSucceed: true},
			want: `{"method":{"name":"glance-download","glance_image_id":"src","glance_region":"RegionTwo","glance_service_interface":"public"},"all_stores":true,"all_stores_must_succeed":true}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}
			c := newFakeImportClient(t, f)
			if err := c.ImportImage(context.Background(), "img-1", tc.req); err != nil {
				t.Fatal(err)
			}
			if string(f.postBody) != tc.want {
				t.Fatalf("body = %s\nwant   %s", f.postBody, tc.want)
			}
		})
	}
}

func TestImportImage_invalidRequest(t *testing.T) {
	c, _ := newCoreTestClient(t, func(http.ResponseWriter, *http.Request) { t.Error("no request expected") })
	if err := c.ImportImage(context.Background(), "img-1", ImportRequest{}); err == nil {
		t.Error("no method: want an error")
	}
	if err := c.ImportImage(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: "copy-image"}, Stores: []string{"a"}, AllStores: true}); err == nil {
		t.Error("stores and all_stores: want an error")
	}
}

func TestImportImage_5xxIsNotRetried(t *testing.T) {
	f := &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}, postStatus: http.StatusServiceUnavailable}
	c := newFakeImportClient(t, f)
	err := c.ImportImage(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x"}})
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusServiceUnavailable || f.posts.Load() != 1 {
		t.Fatalf("err = %v, posts = %d; want one request and its 503", err, f.posts.Load())
	}
	if !importMaybeStarted(err) {
		t.Error("a 503 after sending may have started the import")
	}
}

func TestImportImage_connectionRefusedIsRetried(t *testing.T) {
	f := &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var dials atomic.Int32
	dialer := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) <= 2 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connect: connection refused")}
		}
		return dialer.DialContext(ctx, network, addr)
	}}
	c, err := New(srv.URL+"/glance", newFakeAuth(), Options{HTTPClient: &http.Client{Transport: transport}, retryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportImage(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, Stores: []string{"slow"}}); err != nil {
		t.Fatalf("ImportImage = %v, want success after the refused connections", err)
	}
	if f.posts.Load() != 1 || dials.Load() != 3 {
		t.Fatalf("posts = %d, dials = %d; want 1 and 3", f.posts.Load(), dials.Load())
	}
}

func TestImportMaybeStarted(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"nil":               {nil, false},
		"409":               {&Error{StatusCode: 409}, false},
		"400":               {&Error{StatusCode: 400}, false},
		"500":               {&Error{StatusCode: 500}, true},
		"dial refused":      {fmt.Errorf("POST x: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), false},
		"reset after write": {fmt.Errorf("POST x: %w", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}), true},
		"EOF":               {fmt.Errorf("POST x: %w", io.ErrUnexpectedEOF), true},
		"cancelled":         {context.Canceled, false},
	} {
		if got := importMaybeStarted(tc.err); got != tc.want {
			t.Errorf("%s: importMaybeStarted = %v, want %v", name, got, tc.want)
		}
	}
}

func TestDeleteFromStore(t *testing.T) {
	var paths []string
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		switch r.URL.Path {
		case "/glance/v2/stores/slow/img-1":
			w.WriteHeader(http.StatusNoContent)
		case "/glance/v2/stores/slow/gone":
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message": "Cannot delete image data from the only store containing it. Consider deleting the image instead."}`))
		}
	})
	ctx := context.Background()
	if err := c.DeleteFromStore(ctx, "slow", "img-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteFromStore(ctx, "slow", "gone"); err != nil {
		t.Fatalf("404 = %v, want nil (already gone)", err)
	}
	err := c.DeleteFromStore(ctx, "fast", "img-1")
	if !IsForbidden(err) || !strings.Contains(err.Error(), "only store") {
		t.Fatalf("last copy: err = %v, want the 403", err)
	}
	if paths[0] != "DELETE /glance/v2/stores/slow/img-1" {
		t.Fatalf("paths = %v", paths)
	}
}

func TestImageTasks_newestFirst(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/glance/v2/images/img-1/tasks" {
			t.Errorf("path = %s", r.URL.Path)
		}
		_, _ = fmt.Fprintf(w, `{"tasks": %s}`, tasksOf(
			importTaskJSON("old", "failure", "Task failed due to Internal Error", "2024-05-01T10:00:00Z", "fast"),
			importTaskJSON("new", "success", "Copied 8 MiB", "2024-05-01T10:05:00Z", "fast", "slow"),
			importTaskJSON("mid", "success", "", "2024-05-01T10:01:00.500000", "fast"),
		))
	})
	tasks, err := c.ImageTasks(context.Background(), "img-1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range tasks {
		ids = append(ids, tk.ID)
	}
	if strings.Join(ids, ",") != "new,mid,old" {
		t.Fatalf("order = %v, want newest first", ids)
	}
	in := tasks[0].Input
	if tasks[0].Message != "Copied 8 MiB" || strings.Join(in.Backend, ",") != "fast,slow" || in.ImportReq == nil || in.ImportReq.Method.Name != "glance-direct" {
		t.Fatalf("task = %+v", tasks[0])
	}
}

func TestWaitForImport_glanceDirectTwoStores(t *testing.T) {
	// The timeline measured on the real Glance (glance-testenv.md §4).
	running := tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast", "slow"))
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("uploading", "", "", ""), tasks: running},
		{image: importImageJSON("importing", "", "fast,slow", ""), tasks: running},
		{image: importImageJSON("importing", "fast", "slow", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "Copied 1024 MiB", "2024-05-01T10:00:00Z", "fast", "slow"))},
		{image: importImageJSON("active", "fast,slow", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "Copied 1024 MiB", "2024-05-01T10:00:00Z", "fast", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	img, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}, MustSucceed: true})
	if err != nil {
		t.Fatal(err)
	}
	if img.Status != StatusActive || strings.Join(img.Stores, ",") != "fast,slow" || f.imageGets.Load() < 4 {
		t.Fatalf("img = %+v after %d polls", img, f.imageGets.Load())
	}
}

func TestWaitForImport_stuckImportingWithFailedTask(t *testing.T) {
	// With the image_conversion plugin, a failed conversion fails the task but leaves the
	// image "importing" forever, with no failed store listed.
	stuck := importImageJSON("importing", "", "fast", "")
	failedTask := tasksOf(importTaskJSON("t1", "failure", "Image conversion failed: qemu-img: Could not open", "2024-05-01T10:00:00Z", "fast"))
	f := &fakeImportGlance{steps: []importStep{
		{image: stuck, tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
		{image: stuck, tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
		{image: stuck, tasks: failedTask},
	}}
	c := newFakeImportClient(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.WaitForImport(ctx, "img-1", ImportWait{Stores: []string{"fast"}, MustSucceed: true})
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *ImportError (the task failed)", err)
	}
	if ie.Status != StatusImporting || strings.Join(ie.FailedStores, ",") != "fast" || ie.Task == nil || ie.Task.ID != "t1" ||
		!strings.Contains(err.Error(), "Image conversion failed") || !strings.Contains(err.Error(), "failed stores: fast") {
		t.Fatalf("err = %v (%+v)", err, ie)
	}
}

func TestWaitForImport_failedWebDownloadBackToQueued(t *testing.T) {
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("importing", "", "fast,slow", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast", "slow"))},
		{image: importImageJSON("queued", "", "", "fast,slow"), tasks: tasksOf(importTaskJSON("t1", "failure", "Task failed due to Internal Error", "2024-05-01T10:00:00Z", "fast", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}})
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Status != StatusQueued || strings.Join(ie.FailedStores, ",") != "fast,slow" ||
		!strings.Contains(err.Error(), "Task failed due to Internal Error") {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitForImport_queuedStillImportingWithFailedTask(t *testing.T) {
	// The glance-download metadata failure: the image is queued again, one store is still
	// listed as importing, and only the task tells that it is over.
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("queued", "", "slow", ""), tasks: tasksOf(importTaskJSON("t1", "failure", "unknown url type: 'None/v2/images/x'", "2024-05-01T10:00:00Z", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"slow"}, MustSucceed: true})
	var ie *ImportError
	if !errors.As(err, &ie) || strings.Join(ie.FailedStores, ",") != "slow" || !strings.Contains(err.Error(), "unknown url type") {
		t.Fatalf("err = %v", err)
	}
}

func TestWaitForImport_partialSuccessAllowed(t *testing.T) {
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("importing", "", "fast,slow", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast", "slow"))},
		{image: importImageJSON("active", "fast", "", "slow"), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	img, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}})
	if err != nil {
		t.Fatalf("all_stores_must_succeed = false: err = %v, want success with a failed store", err)
	}
	if strings.Join(img.Stores, ",") != "fast" || strings.Join(img.FailedImport, ",") != "slow" {
		t.Fatalf("img = %+v", img)
	}
}

func TestWaitForImport_partialFailureWhenAllMustSucceed(t *testing.T) {
	// Glance reports success of the task only when every store succeeded; this covers a cloud
	// that says success anyway: with must_succeed the missing store is still a failure.
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("active", "fast", "", "slow"), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}, MustSucceed: true})
	var ie *ImportError
	if !errors.As(err, &ie) || strings.Join(ie.FailedStores, ",") != "slow" {
		t.Fatalf("err = %v, want slow named as failed", err)
	}
}

func TestWaitForImport_rolledBackStoresAreNotCalledFailed(t *testing.T) {
	// all_stores_must_succeed: slow failed, and Glance removed the data from fast again.
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("queued", "", "", "slow"), tasks: tasksOf(importTaskJSON("t1", "failure", "Task failed due to Internal Error", "2024-05-01T10:00:00Z", "fast", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}, MustSucceed: true})
	var ie *ImportError
	if !errors.As(err, &ie) || strings.Join(ie.FailedStores, ",") != "slow" || strings.Join(ie.NotImported, ",") != "fast" ||
		!strings.Contains(err.Error(), "not imported into: fast") {
		t.Fatalf("err = %v (%+v)", err, ie)
	}
}

func TestWaitForImport_copyImageIsNotDoneBeforeItStarts(t *testing.T) {
	// copy-image keeps the image active: right after the request it looks finished.
	running := tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "slow"))
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("active", "fast", "", ""), tasks: running},
		{image: importImageJSON("active", "fast", "slow", ""), tasks: running},
		{image: importImageJSON("active", "fast,slow", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "slow"))},
	}}
	c := newFakeImportClient(t, f)
	img, err := c.WaitForImport(context.Background(), "img-1", ImportWait{AllStores: true, MustSucceed: true})
	if err != nil || strings.Join(img.Stores, ",") != "fast,slow" || f.imageGets.Load() != 3 {
		t.Fatalf("img = %+v, err = %v after %d polls", img, err, f.imageGets.Load())
	}
}

func TestWaitForImport_withoutTasks(t *testing.T) {
	t.Run("done", func(t *testing.T) {
		f := &fakeImportGlance{steps: []importStep{
			{image: importImageJSON("active", "fast", "", ""), tasks: "403"},
			{image: importImageJSON("active", "fast", "slow", ""), tasks: "403"},
			{image: importImageJSON("active", "fast,slow", "", ""), tasks: "403"},
		}}
		c := newFakeImportClient(t, f)
		img, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"slow"}, MustSucceed: true})
		if err != nil || strings.Join(img.Stores, ",") != "fast,slow" {
			t.Fatalf("img = %+v, err = %v", img, err)
		}
		if f.taskGets.Load() != 1 {
			t.Fatalf("tasks read %d times; after a 403 the waiter must stop asking", f.taskGets.Load())
		}
	})
	t.Run("failed", func(t *testing.T) {
		f := &fakeImportGlance{steps: []importStep{
			{image: importImageJSON("importing", "", "fast", ""), tasks: "403"},
			{image: importImageJSON("queued", "", "", "fast"), tasks: "403"},
		}}
		c := newFakeImportClient(t, f)
		_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{MustSucceed: true})
		var ie *ImportError
		if !errors.As(err, &ie) || strings.Join(ie.FailedStores, ",") != "fast" || ie.Task != nil {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("partial", func(t *testing.T) {
		f := &fakeImportGlance{steps: []importStep{
			{image: importImageJSON("active", "fast", "", "slow"), tasks: "403"},
		}}
		c := newFakeImportClient(t, f)
		img, err := c.WaitForImport(context.Background(), "img-1", ImportWait{Stores: []string{"fast", "slow"}})
		if err != nil || strings.Join(img.FailedImport, ",") != "slow" {
			t.Fatalf("img = %+v, err = %v", img, err)
		}
	})
}

func TestWaitForImport_killedAndDeleted(t *testing.T) {
	for status, step := range map[string]importStep{
		StatusKilled:  {image: importImageJSON("killed", "", "", "")},
		StatusDeleted: {image: "404"},
	} {
		f := &fakeImportGlance{steps: []importStep{step}}
		c := newFakeImportClient(t, f)
		_, err := c.WaitForImport(context.Background(), "img-1", ImportWait{MustSucceed: true})
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Status != status {
			t.Errorf("%s: err = %v", status, err)
		}
	}
}

func TestWaitForImport_timeoutSaysWhereItStood(t *testing.T) {
	f := &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("importing", "", "fast", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "Copied 10 MiB", "2024-05-01T10:00:00Z", "fast"))},
	}}
	c := newFakeImportClient(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.WaitForImport(ctx, "img-1", ImportWait{MustSucceed: true})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "importing=[fast]") || !strings.Contains(err.Error(), "Copied 10 MiB") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunImport_ignoresEarlierFailedTask(t *testing.T) {
	// A failed earlier attempt left a failed task; the new import must not be judged by it.
	old := importTaskJSON("old", "failure", "Task failed due to Internal Error", "2024-05-01T10:00:00Z", "fast")
	f := &fakeImportGlance{
		beforePost: tasksOf(old),
		steps: []importStep{
			// Same second as the old task: ordering by time alone could not tell them apart.
			{image: importImageJSON("queued", "", "", "fast"), tasks: tasksOf(old, importTaskJSON("new", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
			{image: importImageJSON("importing", "", "fast", ""), tasks: tasksOf(old, importTaskJSON("new", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
			{image: importImageJSON("active", "fast", "", ""), tasks: tasksOf(old, importTaskJSON("new", "success", "", "2024-05-01T10:00:00Z", "fast"))},
		},
	}
	c := newFakeImportClient(t, f)
	img, err := c.RunImport(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x"}, Stores: []string{"fast"}, AllStoresMustSucceed: true})
	if err != nil || img.Status != StatusActive {
		t.Fatalf("img = %+v, err = %v", img, err)
	}
}

func TestRunImport_ambiguousAnswer(t *testing.T) {
	t.Run("import started", func(t *testing.T) {
		f := &fakeImportGlance{
			postStatus: http.StatusBadGateway,
			beforePost: "[]",
			steps: []importStep{
				{image: importImageJSON("importing", "", "fast", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
				{image: importImageJSON("active", "fast", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
			},
		}
		c := newFakeImportClient(t, f)
		img, err := c.RunImport(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x"}, AllStoresMustSucceed: true})
		if err != nil || img.Status != StatusActive || f.posts.Load() != 1 {
			t.Fatalf("img = %+v, err = %v, posts = %d; want one request and the import waited for", img, err, f.posts.Load())
		}
	})
	t.Run("nothing started", func(t *testing.T) {
		f := &fakeImportGlance{postStatus: http.StatusInternalServerError, steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}
		c := newFakeImportClient(t, f)
		_, err := c.RunImport(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x"}, AllStoresMustSucceed: true})
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != 500 || !strings.Contains(err.Error(), "no import task was started") || f.posts.Load() != 1 {
			t.Fatalf("err = %v, posts = %d", err, f.posts.Load())
		}
	})
	t.Run("conflict is returned as is", func(t *testing.T) {
		f := &fakeImportGlance{postStatus: http.StatusConflict, steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}
		c := newFakeImportClient(t, f)
		_, err := c.RunImport(context.Background(), "img-1", ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}, AllStoresMustSucceed: true})
		if !IsConflict(err) || f.imageGets.Load() != 0 {
			t.Fatalf("err = %v, image reads = %d", err, f.imageGets.Load())
		}
	})
}

func TestJudgeImport(t *testing.T) {
	img := func(status, stores, importing, failed string) *Image {
		var i Image
		if err := json.Unmarshal([]byte(importImageJSON(status, stores, importing, failed)), &i); err != nil {
			t.Fatal(err)
		}
		return &i
	}
	task := func(status string, backend ...string) *Task {
		return &Task{ID: "t", Status: status, Input: TaskInput{Backend: backend}}
	}
	must := ImportWait{Stores: []string{"fast", "slow"}, MustSucceed: true}
	may := ImportWait{Stores: []string{"fast", "slow"}}
	for name, tc := range map[string]struct {
		img  *Image
		task *Task
		w    ImportWait
		want importVerdict
	}{
		"task processing, image looks done":     {img("active", "fast,slow", "", ""), task("processing"), must, importPending},
		"task success":                          {img("active", "fast,slow", "", ""), task("success"), must, importDone},
		"task success, stale importing key":     {img("active", "fast,slow", "slow", ""), task("success"), must, importDone},
		"task failure":                          {img("active", "fast", "", ""), task("failure"), must, importFailed},
		"task success, image not active":        {img("queued", "", "", ""), task("success"), must, importFailed},
		"task success, nothing landed":          {img("active", "fast", "", "slow"), task("success", "slow"), may, importFailed},
		"no task: importing":                    {img("importing", "", "fast", ""), nil, must, importPending},
		"no task: done":                         {img("active", "fast,slow", "", ""), nil, must, importDone},
		"no task: queued, not started":          {img("queued", "", "", ""), nil, must, importPending},
		"no task: partial allowed":              {img("active", "fast", "", "slow"), nil, may, importDone},
		"no task: partial not allowed":          {img("active", "fast", "", "slow"), nil, must, importFailed},
		"no task: all failed":                   {img("queued", "", "", "fast,slow"), nil, may, importFailed},
		"no task: stale failure of other store": {img("active", "fast", "", "slow"), nil, ImportWait{Stores: []string{"fast"}, MustSucceed: true}, importDone},
		"killed":                                {img("killed", "", "", ""), task("processing"), must, importFailed},
		// A Glance without multiple stores: the task's backend is [null], the image has no stores.
		"single store: task success": {img("active", "", "", ""), task("success", ""), ImportWait{MustSucceed: true}, importDone},
		"single store: task failure": {img("queued", "", "", ""), task("failure", ""), ImportWait{MustSucceed: true}, importFailed},
	} {
		if got, reason := judgeImport(tc.img, tc.task, tc.w); got != tc.want {
			t.Errorf("%s: verdict %d (%s), want %d", name, got, reason, tc.want)
		}
	}
}

// memSource is an in-memory Source.
type memSource []byte

func (m memSource) String() string { return "memory" }
func (m memSource) Open(context.Context) (io.ReadCloser, int64, error) {
	return io.NopCloser(strings.NewReader(string(m))), int64(len(m)), nil
}

func TestExpectDigest_passesMatchingData(t *testing.T) {
	data := []byte(strings.Repeat("glance-direct ", 1000))
	sum := sha256.Sum256(data)
	for _, bufSize := range []int{1, 2, 7, 4096, 1 << 20} {
		rc, size, err := ExpectDigest(memSource(data), "SHA256", hex.EncodeToString(sum[:])).Open(context.Background())
		if err != nil || size != int64(len(data)) {
			t.Fatalf("Open = %d, %v", size, err)
		}
		var got []byte
		buf := make([]byte, bufSize)
		for {
			n, err := rc.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("buffer %d: %v", bufSize, err)
			}
		}
		if string(got) != string(data) {
			t.Fatalf("buffer %d: got %d bytes, want the %d bytes unchanged", bufSize, len(got), len(data))
		}
	}
}

func TestExpectDigest_withholdsTheLastByteOnMismatch(t *testing.T) {
	data := []byte(strings.Repeat("x", 10000))
	rc, _, err := ExpectDigest(memSource(data), "sha512", strings.Repeat("0", 128)).Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	var de *ExpectedDigestError
	if !errors.As(err, &de) || de.Algorithm != "sha512" || de.Source != "memory" || len(de.Actual) != 128 {
		t.Fatalf("err = %v, want an *ExpectedDigestError", err)
	}
	if len(got) != len(data)-1 {
		t.Fatalf("released %d bytes of %d: the last byte must be withheld so the body stays short", len(got), len(data))
	}
	if retryableTransferError(err) {
		t.Fatal("a digest mismatch must not be retried")
	}
}

func TestStage_expectDigestMismatchNeverCompletesTheBody(t *testing.T) {
	data := []byte(strings.Repeat("staged ", 50000))
	var puts atomic.Int32
	var received atomic.Int64  // bytes of the latest short request
	var completed atomic.Int64 // bytes of a complete request
	var status atomic.Value
	status.Store(StatusQueued)
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/glance/v2/images/img-1/stage":
			puts.Add(1)
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil || n != r.ContentLength {
				received.Store(n)
				// Glance: a short body fails the stage, and the image goes back to queued.
				status.Store(StatusQueued)
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			completed.Store(n)
			status.Store(StatusUploading)
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet:
			_, _ = fmt.Fprintf(w, `{"id": "img-1", "status": %q}`, status.Load())
		}
	})
	_, err := c.Stage(context.Background(), "img-1", ExpectDigest(memSource(data), "md5", strings.Repeat("a", 32)), TransferOptions{})
	var de *ExpectedDigestError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want the digest mismatch", err)
	}
	// The pipeline reads ahead, so the request may fail before Glance sees it at all; what
	// matters is that Glance never gets the whole body, and that nothing is retried.
	if puts.Load() > 1 || completed.Load() != 0 || received.Load() >= int64(len(data)) || status.Load() != StatusQueued {
		t.Fatalf("puts = %d, server received %d of %d bytes, status %v; want at most one short request", puts.Load(), received.Load(), len(data), status.Load())
	}

	sum := md5.Sum(data)
	res, err := c.Stage(context.Background(), "img-1", ExpectDigest(memSource(data), "md5", hex.EncodeToString(sum[:])), TransferOptions{Algorithms: []string{"md5"}})
	// (The first request's handler may still be draining; only complete requests count here.)
	if err != nil || completed.Load() != int64(len(data)) || res.Digests["md5"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("matching digest: res = %+v, err = %v, completed %d", res, err, completed.Load())
	}
}

func TestResumableImport(t *testing.T) {
	var body atomic.Value
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, body.Load().(string)) //nolint:forcetypeassert // the test stores strings only
	})
	task := func(status, method, uri string, stores string) string {
		return `{"tasks": [{"id": "t1", "type": "api_image_import", "status": "` + status + `", "created_at": "2026-11-30T10:00:00Z",
		  "input": {"image_id": "img", "import_req": {"method": {"name": "` + method + `", "uri": "` + uri + `"}, "stores": [` + stores + `]}}}]}`
	}
	want := ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/a.img"}, Stores: []string{"fast", "slow"}}
	for name, tc := range map[string]struct {
		tasks string
		found bool
	}{
		"same import, running":   {task("processing", MethodWebDownload, "http://h/a.img", `"slow", "fast"`), true},
		"same import, succeeded": {task("success", MethodWebDownload, "http://h/a.img", `"fast", "slow"`), true},
		"same import, failed":    {task("failure", MethodWebDownload, "http://h/a.img", `"fast", "slow"`), false},
		"another URL":            {task("processing", MethodWebDownload, "http://h/b.img", `"fast", "slow"`), false},
		"other stores":           {task("processing", MethodWebDownload, "http://h/a.img", `"fast"`), false},
		"another method":         {task("processing", MethodGlanceDirect, "", `"fast", "slow"`), false},
		"no task":                {`{"tasks": []}`, false},
	} {
		body.Store(tc.tasks)
		if got := c.ResumableImport(context.Background(), "img", want); (got != nil) != tc.found {
			t.Errorf("%s: found %v, want %v", name, got != nil, tc.found)
		}
	}
}
