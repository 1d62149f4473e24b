package glance

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Interoperable import methods, as GET /v2/info/import names them.
const (
	MethodGlanceDirect   = "glance-direct"
	MethodWebDownload    = "web-download"
	MethodCopyImage      = "copy-image"
	MethodGlanceDownload = "glance-download"
)

// Task statuses (GET /v2/images/{id}/tasks).
const (
	TaskPending    = "pending"
	TaskProcessing = "processing"
	TaskSuccess    = "success"
	TaskFailure    = "failure"
)

// taskTypeImport is the type of the task POST /v2/images/{id}/import creates.
const taskTypeImport = "api_image_import"

// ImportMethod is the "method" object of an import request. Only the fields of the chosen
// method are sent.
type ImportMethod struct {
	Name string `json:"name"`
	// URI is the source of web-download.
	URI string `json:"uri,omitempty"`
	// GlanceImageID, GlanceRegion and GlanceServiceInterface name the source of glance-download.
	GlanceImageID          string `json:"glance_image_id,omitempty"`
	GlanceRegion           string `json:"glance_region,omitempty"`
	GlanceServiceInterface string `json:"glance_service_interface,omitempty"`
}

// ImportRequest is the body of POST /v2/images/{id}/import.
type ImportRequest struct {
	Method ImportMethod `json:"method"`
	// Stores are the target stores; empty (and AllStores false) means the default store.
	Stores []string `json:"stores,omitempty"`
	// AllStores imports into every store the cloud offers; it excludes Stores.
	AllStores bool `json:"all_stores,omitempty"`
	// AllStoresMustSucceed is always sent. Glance's default is true: the import fails (and
	// the data is removed again) when any store fails. With false it succeeds when at least
	// one store got the data, and lists the others in os_glance_failed_import.
	AllStoresMustSucceed bool `json:"all_stores_must_succeed"`
}

// ImportImage asks Glance to import data into an image (POST /v2/images/{id}/import; 202).
//
// The call is not idempotent, so an answer that never arrived or a 5xx is not retried: the
// import may have started. Only a request that provably never left (the connection could not
// be opened) is retried. RunImport resolves the ambiguous cases by looking at the image's tasks.
func (c *Client) ImportImage(ctx context.Context, id string, req ImportRequest) error {
	if req.Method.Name == "" {
		return errors.New("import request without a method name")
	}
	if req.AllStores && len(req.Stores) > 0 {
		return errors.New("import request with both stores and all_stores")
	}
	for attempt := 0; ; attempt++ {
		err := c.doJSON(ctx, call{method: http.MethodPost, path: "/v2/images/" + escape(id) + "/import", body: req})
		if err != nil && attempt < c.maxRetries && importNotSent(err) && ctx.Err() == nil {
			c.log.Warn(ctx, "Could not connect to Glance to request the import, retrying", map[string]any{
				"image_id": id, "method": req.Method.Name, "error": err.Error(), "attempt": attempt + 1,
			})
			if err := c.sleep(ctx, attempt, nil); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// importNotSent reports errors that happened before the request could be written: a failed
// dial (connection refused, DNS, dial timeout). Glance cannot have seen such a request.
func importNotSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// importMaybeStarted reports whether a failed import request may nevertheless have started an
// import: Glance answered 5xx, or the connection failed after the request was sent.
func importMaybeStarted(err error) bool {
	if err == nil || importNotSent(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= 500
	}
	return true
}

// DeleteFromStore removes an image's data from one store (DELETE /v2/stores/{store}/{image};
// admin by default). Data that is already gone (404) is not an error. Glance refuses (403) to
// delete the only copy of an image's data.
func (c *Client) DeleteFromStore(ctx context.Context, store, imageID string) error {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: "/v2/stores/" + escape(store) + "/" + escape(imageID), idempotent: true})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// Task is one asynchronous Glance task of an image, such as the api_image_import task an
// import request creates.
type Task struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Message   string    `json:"message"`
	CreatedAt string    `json:"created_at"`
	UpdatedAt string    `json:"updated_at"`
	Input     TaskInput `json:"input"`
}

// TaskInput is what an import task was asked to do.
type TaskInput struct {
	ImageID   string         `json:"image_id"`
	ImportReq *ImportRequest `json:"import_req"`
	// Backend lists the stores the import targets, as Glance resolved them (all_stores
	// expanded, stores that already hold the image left out for copy-image).
	Backend []string `json:"backend"`
}

// ImageTasks lists the tasks of an image that the caller may see, newest first
// (GET /v2/images/{id}/tasks). A project sees only the tasks it started; the list expires
// (48 h by default).
func (c *Client) ImageTasks(ctx context.Context, imageID string) ([]Task, error) {
	var out struct {
		Tasks []Task `json:"tasks"`
	}
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: "/v2/images/" + escape(imageID) + "/tasks", idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	sort.SliceStable(out.Tasks, func(i, j int) bool {
		return taskTime(out.Tasks[i].CreatedAt).After(taskTime(out.Tasks[j].CreatedAt))
	})
	return out.Tasks, nil
}

// taskTime parses Glance's timestamps ("2024-05-01T10:00:00Z", with or without fraction and
// zone); an unparsable value sorts last.
func taskTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ImportError is an import that Glance did not complete. FailedStores are the target stores
// Glance reports as failed; NotImported are the other targets that do not hold the data (with
// all_stores_must_succeed Glance removes the data from the stores that worked when another
// fails). Task is the import task when the caller may see it.
type ImportError struct {
	ImageID      string
	Reason       string
	Status       string
	Stores       []string
	FailedStores []string
	NotImported  []string
	Task         *Task
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import of image %s failed: %s (image status %q", e.ImageID, e.Reason, e.Status)
	if len(e.FailedStores) > 0 {
		fmt.Fprintf(&b, ", failed stores: %s", strings.Join(e.FailedStores, ", "))
	}
	if len(e.NotImported) > 0 {
		fmt.Fprintf(&b, ", not imported into: %s", strings.Join(e.NotImported, ", "))
	}
	if len(e.Stores) > 0 {
		fmt.Fprintf(&b, ", data in stores: %s", strings.Join(e.Stores, ", "))
	}
	b.WriteString(")")
	if e.Task != nil {
		fmt.Fprintf(&b, "; task %s is %s", e.Task.ID, e.Task.Status)
		if e.Task.Message != "" {
			fmt.Fprintf(&b, ": %q", e.Task.Message)
		}
	}
	return b.String()
}

// IsImportFailed reports whether err is an *ImportError.
func IsImportFailed(err error) bool {
	var e *ImportError
	return errors.As(err, &e)
}

// ImportWait says what an import is expected to achieve.
type ImportWait struct {
	// Stores are the target stores; empty means the default store or, with AllStores, every
	// store (the import task then says which).
	Stores      []string
	AllStores   bool
	MustSucceed bool
	// PriorTasks are the ids of tasks that existed before the import was requested; they are
	// never mistaken for this import's task. Nil means "the newest import task is this one",
	// which holds because Glance creates the task before it answers the import request.
	PriorTasks map[string]bool
}

// importTaskEvery bounds how often the tasks list is read while the image still looks busy:
// it is the only place some failures show (an image can stay "importing" forever after its
// conversion task failed). A variable so that tests can shorten it.
var importTaskEvery = 2500 * time.Millisecond

// WaitForImport waits until the import running on image id has finished and returns the
// image. It fails with an *ImportError when Glance reports a failure: a killed image, a failed
// import task, or (when w.MustSucceed) any failed target store. Without MustSucceed an import
// that reached at least one store succeeds; the others are in the image's FailedImport. The
// wait ends with the context (its deadline is the timeout).
//
// It polls the image (status, stores, os_glance_importing_to_stores, os_glance_failed_import)
// with a short, growing interval and reads the import task when the image looks finished or
// failed, and every few seconds otherwise. A terminal task is authoritative; without a visible
// task (the caller may not read tasks) the image alone decides.
func (c *Client) WaitForImport(ctx context.Context, id string, w ImportWait) (*Image, error) {
	var (
		task       *Task
		tasksOff   bool
		lastTask   time.Time
		lastSeen   string
		lastImage  *Image
		firstCheck = true
	)
	// Polling (start near 100 ms, grow to a few seconds) is WaitForImage's.
	readTask := func() {
		tasks, err := c.ImageTasks(ctx, id)
		lastTask = time.Now()
		switch {
		case IsForbidden(err) || IsNotFound(err) || IsUnsupported(err):
			// Not every cloud lets a caller read tasks: the image alone will have to do.
			tasksOff = true
			c.log.Debug(ctx, "Import tasks are not readable; judging the import from the image alone", map[string]any{"image_id": id, "error": err.Error()})
		case err != nil:
			c.log.Warn(ctx, "Could not read the import task, will try again", map[string]any{"image_id": id, "error": err.Error()})
		default:
			task = newestImportTask(tasks, w.PriorTasks)
		}
	}
	img, err := c.WaitForImage(ctx, id, func(img *Image) (bool, error) {
		lastImage = img
		// The task is read when the image alone looks finished or failed (to confirm, and for
		// its message), at the start (for the resolved target stores), and every few seconds.
		if imageOnly, _ := judgeImport(img, nil, w); !tasksOff &&
			(firstCheck || imageOnly != importPending || time.Since(lastTask) >= importTaskEvery) {
			readTask()
		}
		firstCheck = false
		verdict, reason := judgeImport(img, task, w)
		if seen := describeImport(img, task); seen != lastSeen {
			lastSeen = seen
			c.log.Info(ctx, "Waiting for the image import", map[string]any{"image_id": id, "state": seen})
		}
		switch verdict {
		case importDone:
			return true, nil
		case importFailed:
			failed, notImported := importFailedTargets(img, task, w)
			return false, &ImportError{
				ImageID: id, Reason: reason, Status: img.Status, Stores: img.Stores,
				FailedStores: failed, NotImported: notImported, Task: task,
			}
		}
		return false, nil
	})
	switch {
	case IsNotFound(err):
		return nil, &ImportError{ImageID: id, Reason: "the image was deleted during the import", Status: StatusDeleted, Task: task}
	case err != nil && ctx.Err() != nil && !IsImportFailed(err):
		return lastImage, fmt.Errorf("waiting for the import of image %s (last seen: %s): %w", id, describeImport(lastImage, task), ctx.Err())
	}
	return img, err
}

// RunImport requests an import and waits for it. It notes the image's tasks first so that it
// can tell its own task apart, and when the request itself failed ambiguously (a 5xx, or the
// connection broke after the request was sent) it looks for a new import task: if one exists
// the import started and is waited for; otherwise the request's error is returned.
func (c *Client) RunImport(ctx context.Context, id string, req ImportRequest) (*Image, error) {
	w := ImportWait{Stores: req.Stores, AllStores: req.AllStores, MustSucceed: req.AllStoresMustSucceed}
	before, tasksErr := c.ImageTasks(ctx, id)
	if tasksErr == nil {
		w.PriorTasks = make(map[string]bool, len(before))
		for _, t := range before {
			w.PriorTasks[t.ID] = true
		}
	} else {
		c.log.Debug(ctx, "Cannot read the image's tasks before the import", map[string]any{"image_id": id, "error": tasksErr.Error()})
		if req.AllStores {
			// Without the task, which stores "all" means must come from the store list.
			if stores, err := c.Stores(ctx); err == nil {
				for _, s := range stores {
					if !s.ReadOnly {
						w.Stores = append(w.Stores, s.ID)
					}
				}
			}
		}
	}
	c.log.Info(ctx, "Requesting the image import", map[string]any{
		"image_id": id, "method": req.Method.Name, "stores": strings.Join(req.Stores, ","), "all_stores": req.AllStores,
		"all_stores_must_succeed": req.AllStoresMustSucceed,
	})
	if err := c.ImportImage(ctx, id, req); err != nil {
		if !importMaybeStarted(err) || tasksErr != nil {
			return nil, err
		}
		after, lerr := c.ImageTasks(ctx, id)
		if lerr != nil || newestImportTask(after, w.PriorTasks) == nil {
			return nil, fmt.Errorf("%w (no import task was started)", err)
		}
		c.log.Warn(ctx, "The import request failed but Glance started the import; waiting for it", map[string]any{"image_id": id, "error": err.Error()})
	}
	return c.WaitForImport(ctx, id, w)
}

// ResumableImport returns the newest import task of image id when it asked for the same import
// as req (method, source and target stores) and has not failed: an import a previous,
// interrupted run started, which Glance carried on with. It returns nil when there is none or
// tasks cannot be read.
func (c *Client) ResumableImport(ctx context.Context, id string, req ImportRequest) *Task {
	tasks, err := c.ImageTasks(ctx, id)
	if err != nil {
		return nil
	}
	t := newestImportTask(tasks, nil)
	if t == nil || t.Status == TaskFailure || t.Input.ImportReq == nil {
		return nil
	}
	got, want := t.Input.ImportReq, req
	if got.Method.Name != want.Method.Name || got.Method.URI != want.Method.URI || got.Method.GlanceImageID != want.Method.GlanceImageID ||
		!strings.EqualFold(got.Method.GlanceRegion, want.Method.GlanceRegion) || got.AllStores != want.AllStores ||
		!sameStrings(got.Stores, want.Stores) {
		return nil
	}
	return t
}

// sameStrings reports whether a and b hold the same strings, in any order.
func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// newestImportTask returns the newest import task (tasks are newest first) that is not in prior.
func newestImportTask(tasks []Task, prior map[string]bool) *Task {
	for i := range tasks {
		t := tasks[i]
		if prior[t.ID] || (t.Type != "" && t.Type != taskTypeImport) {
			continue
		}
		return &t
	}
	return nil
}

type importVerdict int

const (
	importPending importVerdict = iota
	importDone
	importFailed
)

// importTargets are the stores the import writes to: the task's resolved list when visible,
// else what was asked for (empty for the default store or an unexpanded all_stores).
func importTargets(task *Task, w ImportWait) []string {
	if task != nil {
		// A Glance without multiple stores records the backend as [null]: no named target.
		named := slices.DeleteFunc(slices.Clone(task.Input.Backend), func(s string) bool { return s == "" })
		if len(named) > 0 {
			return named
		}
	}
	return w.Stores
}

// importFailedTargets splits the targets without the data into the stores Glance reports as
// failed (os_glance_failed_import, and once the task has ended, stores still listed as
// importing: a failed conversion leaves them there) and the others. Without known targets,
// the failed list is what Glance reports.
func importFailedTargets(img *Image, task *Task, w ImportWait) (failed, notImported []string) {
	ended := task != nil && task.Status != TaskPending && task.Status != TaskProcessing
	isFailed := func(s string) bool {
		return slices.Contains(img.FailedImport, s) || (ended && slices.Contains(img.ImportingToStores, s))
	}
	targets := importTargets(task, w)
	if len(targets) == 0 {
		failed = slices.Clone(img.FailedImport)
		if ended {
			for _, s := range img.ImportingToStores {
				if !slices.Contains(failed, s) {
					failed = append(failed, s)
				}
			}
		}
		return failed, nil
	}
	for _, s := range targets {
		switch {
		case isFailed(s):
			failed = append(failed, s)
		case ended && !slices.Contains(img.Stores, s):
			notImported = append(notImported, s)
		}
	}
	return failed, notImported
}

// judgeImport decides, from one view of the image and of its import task (nil when not
// visible), whether the import is still running, done, or failed (with a reason).
func judgeImport(img *Image, task *Task, w ImportWait) (importVerdict, string) {
	switch img.Status {
	case StatusKilled, StatusDeleted, StatusPendingDel:
		return importFailed, "the image is " + img.Status
	}
	p := newImportProgress(img, task, w)
	if task != nil {
		return judgeByTask(img, task, w, p)
	}
	return judgeByImage(img, w, p)
}

// importProgress is where the data of an import stands against its target stores.
type importProgress struct {
	// missing are the targets without the data, failed the targets Glance lists as failed (all
	// failed stores when the targets are not known).
	missing, failed []string
	// landed: the data reached at least one target (or the targets are not known).
	landed bool
}

func newImportProgress(img *Image, task *Task, w ImportWait) importProgress {
	targets := importTargets(task, w)
	var p importProgress
	for _, s := range targets {
		if !slices.Contains(img.Stores, s) {
			p.missing = append(p.missing, s)
		}
		if slices.Contains(img.FailedImport, s) {
			p.failed = append(p.failed, s)
		}
	}
	if len(targets) == 0 {
		p.failed = img.FailedImport
	}
	p.landed = len(targets) == 0 || len(p.missing) < len(targets)
	return p
}

// judgeByTask judges an import whose task is visible. A finished task is authoritative: Glance
// marks it only after the whole flow (and any revert) ran, so the image's bookkeeping keys are
// final, or stale.
func judgeByTask(img *Image, task *Task, w ImportWait, p importProgress) (importVerdict, string) {
	switch task.Status {
	case TaskFailure:
		return importFailed, "the import task failed"
	case TaskSuccess:
		switch {
		case img.Status != StatusActive:
			return importFailed, "the import task succeeded but the image is " + img.Status
		case len(p.missing) > 0 && w.MustSucceed:
			return importFailed, "the data did not reach every target store"
		case !p.landed:
			return importFailed, "the data reached none of the target stores"
		}
		return importDone, ""
	}
	return importPending, ""
}

// judgeByImage judges an import from the image alone (its task is not visible).
func judgeByImage(img *Image, w ImportWait, p importProgress) (importVerdict, string) {
	switch {
	case len(img.ImportingToStores) > 0:
		return importPending, ""
	case img.Status == StatusActive && len(p.missing) == 0:
		if len(p.failed) > 0 && w.MustSucceed {
			return importFailed, "some target stores failed"
		}
		return importDone, ""
	case len(p.failed) == 0:
		return importPending, ""
	case w.MustSucceed:
		return importFailed, "some target stores failed"
	case img.Status != StatusActive || !p.landed:
		return importFailed, "every target store failed"
	}
	// Partial success: every target either holds the data or failed.
	for _, s := range p.missing {
		if !slices.Contains(p.failed, s) {
			return importPending, ""
		}
	}
	return importDone, ""
}

// describeImport renders the import-relevant state for logs and timeout errors.
func describeImport(img *Image, task *Task) string {
	if img == nil {
		return "image not read yet"
	}
	s := fmt.Sprintf("status=%s stores=[%s] importing=[%s] failed=[%s]", img.Status,
		strings.Join(img.Stores, ","), strings.Join(img.ImportingToStores, ","), strings.Join(img.FailedImport, ","))
	if task != nil {
		s += fmt.Sprintf(" task=%s", task.Status)
		if task.Message != "" {
			s += fmt.Sprintf(" %q", task.Message)
		}
	}
	return s
}

// ExpectDigest wraps src so that its data must have the expected digest (algorithm one of
// HashAlgorithms, hexDigest in hex). The reader holds back the last byte until the source is
// exhausted and hashed, and fails instead of releasing it when the digest differs, so a
// request body read from it never reaches its Content-Length: the server sees a truncated
// upload and keeps nothing (Glance unstages a glance-direct stage and puts the image back to
// queued). The failure is permanent: a retry would read the same data.
//
// A source of zero bytes is not checked here (no body is read); compare the transfer's
// digests afterwards as well.
func ExpectDigest(src Source, algorithm, hexDigest string) Source {
	return &expectDigestSource{src: src, algo: strings.ToLower(algorithm), want: strings.ToLower(hexDigest)}
}

// ExpectedDigestError says that a source's data is not what its expected digest describes.
type ExpectedDigestError struct {
	Source    string
	Algorithm string
	Expected  string
	Actual    string
}

func (e *ExpectedDigestError) Error() string {
	return fmt.Sprintf("the %s of %s is %s, not the expected %s", e.Algorithm, e.Source, e.Actual, e.Expected)
}

type expectDigestSource struct {
	src        Source
	algo, want string
}

func (s *expectDigestSource) String() string { return s.src.String() }

func (s *expectDigestSource) Open(ctx context.Context) (io.ReadCloser, int64, error) {
	h, err := newHash(s.algo)
	if err != nil {
		return nil, 0, &permanentError{err}
	}
	rc, size, err := s.src.Open(ctx)
	if err != nil {
		return nil, 0, err
	}
	return &digestGate{rc: rc, h: h, src: s}, size, nil
}

// digestGate passes data through, one byte behind, and releases the last byte only when the
// whole stream has the expected digest.
type digestGate struct {
	rc      io.ReadCloser
	h       hash.Hash
	src     *expectDigestSource
	held    byte
	hasHeld bool
	flush   bool // verified: release the held byte, then EOF
	err     error
}

func (g *digestGate) Read(p []byte) (int, error) {
	switch {
	case g.err != nil:
		return 0, g.err
	case g.flush:
		if !g.hasHeld {
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		p[0], g.hasHeld = g.held, false
		return 1, nil
	case len(p) == 0:
		return 0, nil
	}
	n, err := g.rc.Read(p)
	out := 0
	if n > 0 {
		g.h.Write(p[:n])
		last := p[n-1]
		if g.hasHeld {
			copy(p[1:n], p[:n-1])
			p[0] = g.held
			out = n
		} else {
			out = n - 1
		}
		g.held, g.hasHeld = last, true
	}
	switch {
	case errors.Is(err, io.EOF):
		if got := hex.EncodeToString(g.h.Sum(nil)); got != g.src.want {
			g.err = &permanentError{&ExpectedDigestError{Source: g.src.String(), Algorithm: g.src.algo, Expected: g.src.want, Actual: got}}
			if out > 0 {
				return out, nil
			}
			return 0, g.err
		}
		g.flush = true
		if out > 0 {
			return out, nil
		}
		return g.Read(p)
	case err != nil:
		return out, err
	}
	return out, nil
}

func (g *digestGate) Close() error { return g.rc.Close() }
