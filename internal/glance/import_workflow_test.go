package glance

import (
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// workflowGlance is fakeImportGlance plus the endpoints the workflows use around an import:
// staging, deactivation and deletion from stores.
type workflowGlance struct {
	*fakeImportGlance
	stagePuts     atomic.Int32
	deactivations atomic.Int32
	deleteStatus  int // answer to DELETE /v2/stores/...; 0 means 204
	dmu           sync.Mutex
	deletes       []string
}

func (f *workflowGlance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/glance/v2/images/img-1/stage":
		f.stagePuts.Add(1)
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil || n != r.ContentLength {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && r.URL.Path == "/glance/v2/images/img-1/actions/deactivate":
		f.deactivations.Add(1)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/glance/v2/stores/"):
		f.dmu.Lock()
		f.deletes = append(f.deletes, strings.TrimPrefix(r.URL.Path, "/glance/v2/stores/"))
		f.dmu.Unlock()
		if f.deleteStatus != 0 {
			w.WriteHeader(f.deleteStatus)
			_, _ = w.Write([]byte(`{"message": "fake"}`))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		f.fakeImportGlance.ServeHTTP(w, r)
	}
}

func newWorkflowClient(t *testing.T, f *workflowGlance) *Client {
	t.Helper()
	f.t = t
	fastImportPolls(t)
	quiet := stageQuiet
	stageQuiet = 50 * time.Millisecond
	t.Cleanup(func() { stageQuiet = quiet })
	settle := stagedSettleWait
	stagedSettleWait = 300 * time.Millisecond
	t.Cleanup(func() { stagedSettleWait = settle })
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	return c
}

// activeImageWithDigests renders an active image in store fast with its data's digests.
func activeImageWithDigests(osHash, md5sum string) string {
	s := importImageJSON("active", "fast", "", "")
	return strings.TrimSuffix(s, "}") + `,"os_hash_algo":"sha512","os_hash_value":"` + osHash + `","checksum":"` + md5sum + `"}`
}

var webDownload = ImportRequest{Method: ImportMethod{Name: MethodWebDownload, URI: "http://h/x"}, Stores: []string{"fast"}, AllStoresMustSucceed: true}

func TestImport_webDownloadVerified(t *testing.T) {
	md5sum := strings.Repeat("ab", 16)
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
		{image: importImageJSON("queued", "", "", "")},
		{image: importImageJSON("importing", "", "fast", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
		{image: activeImageWithDigests("cd", md5sum), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
	}}}
	c := newWorkflowClient(t, f)
	res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload, Checksum: "md5:" + md5sum})
	if err != nil || res.Image.Status != StatusActive || res.ChecksumNotVerified != nil || f.posts.Load() != 1 || f.deactivations.Load() != 0 {
		t.Fatalf("res = %+v, err = %v, posts = %d", res, err, f.posts.Load())
	}
}

func TestImport_failedImport(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
		{image: importImageJSON("queued", "", "", "")},
		{image: importImageJSON("queued", "", "", "fast"), tasks: tasksOf(importTaskJSON("t1", "failure", "Task failed due to Internal Error", "2024-05-01T10:00:00Z", "fast"))},
	}}}
	c := newWorkflowClient(t, f)
	res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	var ie *ImportError
	if !errors.As(err, &ie) || strings.Join(ie.FailedStores, ",") != "fast" || res == nil || res.Image != nil {
		t.Fatalf("res = %+v, err = %v; want an *ImportError and the result without an image", res, err)
	}
}

func TestImport_killedImage(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
		{image: importImageJSON("queued", "", "", "")},
		{image: importImageJSON("killed", "", "", "")},
	}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Status != StatusKilled {
		t.Fatalf("err = %v, want an *ImportError for the killed image", err)
	}
}

func TestImport_lostAnswerToImportRequest(t *testing.T) {
	// The tasks list follows the image step last read: after the request it shows the task.
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{postStatus: http.StatusBadGateway, beforePost: "[]", steps: []importStep{
		{image: importImageJSON("queued", "", "", ""), tasks: tasksOf(importTaskJSON("t1", "processing", "", "2024-05-01T10:00:00Z", "fast"))},
		{image: importImageJSON("active", "fast", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
	}}}
	c := newWorkflowClient(t, f)
	res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	if err != nil || res.Image.Status != StatusActive || f.posts.Load() != 1 {
		t.Fatalf("res = %+v, err = %v, posts = %d; want the started import waited for", res, err, f.posts.Load())
	}
}

func TestImport_conflictIsReturnedAsIs(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{postStatus: http.StatusConflict, steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	if !IsConflict(err) || IsImportFailed(err) {
		t.Fatalf("err = %v, want Glance's 409", err)
	}
}

func TestImport_refusedForTheImageStatus(t *testing.T) {
	for status, is := range map[string]func(error) bool{
		StatusUploading: IsStagedDataPresent,
		StatusActive:    IsImageHasData,
		StatusSaving:    IsImageBusy,
	} {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON(status, "", "", "")}}}}
		c := newWorkflowClient(t, f)
		_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}}, File: "unused"})
		if !is(err) || f.posts.Load() != 0 || f.stagePuts.Load() != 0 {
			t.Errorf("%s: err = %v, posts = %d, stages = %d; want the refusal before anything is sent", status, err, f.posts.Load(), f.stagePuts.Load())
		}
	}
}

func TestImport_imageNotReadable(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: "404"}}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	var re *ImageReadError
	if !errors.As(err, &re) || !IsNotFound(err) {
		t.Fatalf("err = %v, want an *ImageReadError for the 404", err)
	}
}

func writeTestFile(t *testing.T, data string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestImport_glanceDirectVerifiedAgainstTheStagedBytes(t *testing.T) {
	data := strings.Repeat("disk ", 1000)
	sum := sha512.Sum512([]byte(data))
	md := md5.Sum([]byte(data))
	for name, tc := range map[string]struct {
		osHash   string
		wantErr  bool
		checksum string
	}{
		"match":                    {osHash: hex.EncodeToString(sum[:]), checksum: "md5:" + hex.EncodeToString(md[:])},
		"Glance stored other data": {osHash: strings.Repeat("00", 64), wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
				{image: importImageJSON("queued", "", "", "")},
				{image: activeImageWithDigests(tc.osHash, ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
			}}}
			c := newWorkflowClient(t, f)
			res, err := c.Import(context.Background(), "img-1", ImportSpec{
				Request: ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}, Stores: []string{"fast"}, AllStoresMustSucceed: true},
				File:    writeTestFile(t, data), Checksum: tc.checksum,
			})
			var wrong *WrongDataError
			var mismatch *DigestMismatchError
			switch {
			case f.stagePuts.Load() != 1:
				t.Fatalf("stages = %d, want 1", f.stagePuts.Load())
			case !tc.wantErr && (err != nil || res.Staged["sha512"] != hex.EncodeToString(sum[:]) || res.StagedNotVerified != nil):
				t.Fatalf("res = %+v, err = %v", res, err)
			case tc.wantErr && (!errors.As(err, &wrong) || !errors.As(err, &mismatch) || wrong.DeactivateErr != nil || f.deactivations.Load() != 1):
				t.Fatalf("err = %v, deactivations = %d; want the mismatch and the image deactivated", err, f.deactivations.Load())
			}
		})
	}
}

func TestImport_stagingBrokenOff(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{
		Request: ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}},
		File:    writeTestFile(t, strings.Repeat("x", 100000)), Checksum: "md5:" + strings.Repeat("0", 32),
	})
	var se *StageError
	var de *ExpectedDigestError
	if !errors.As(err, &se) || !errors.As(err, &de) || se.Status != StatusQueued || f.posts.Load() != 0 {
		t.Fatalf("err = %v (%+v), posts = %d; want a *StageError for the digest with the image queued, and no import", err, se, f.posts.Load())
	}
}

func TestImport_stagingFileMissing(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{
		Request: ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}}, File: filepath.Join(t.TempDir(), "nope"),
	})
	var se *StageError
	if !errors.As(err, &se) || !errors.Is(err, os.ErrNotExist) || f.posts.Load() != 0 {
		t.Fatalf("err = %v, want a *StageError for the missing file", err)
	}
}

func TestImport_webDownloadWrongDataDeactivated(t *testing.T) {
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
		{image: importImageJSON("queued", "", "", "")},
		{image: activeImageWithDigests(strings.Repeat("cd", 64), ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
	}}}
	c := newWorkflowClient(t, f)
	res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload, Checksum: "sha512:" + strings.Repeat("ab", 64)})
	var wrong *WrongDataError
	var mismatch *ChecksumMismatchError
	if !errors.As(err, &wrong) || !errors.As(err, &mismatch) || f.deactivations.Load() != 1 || res == nil || res.Image == nil {
		t.Fatalf("err = %v, deactivations = %d", err, f.deactivations.Load())
	}
	if mismatch.Expected != strings.Repeat("ab", 64) || mismatch.Actual != strings.Repeat("cd", 64) || !strings.Contains(mismatch.Source, "os_hash_value") {
		t.Fatalf("mismatch = %+v", mismatch)
	}
}

func TestImport_takesOverARunningImport(t *testing.T) {
	running := `[{"id": "t1", "type": "api_image_import", "status": "processing", "created_at": "2024-05-01T10:00:00Z",
	  "input": {"image_id": "img-1", "backend": ["fast"], "import_req": {"method": {"name": "web-download", "uri": "http://h/x"}, "stores": ["fast"]}}}]`
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{
		{image: importImageJSON("importing", "", "fast", ""), tasks: running},
		{image: importImageJSON("active", "fast", "", ""), tasks: strings.Replace(running, "processing", "success", 1)},
	}}}
	c := newWorkflowClient(t, f)
	res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: webDownload})
	if err != nil || res.Resumed == nil || res.Image.Status != StatusActive || f.posts.Load() != 0 {
		t.Fatalf("res = %+v, err = %v, posts = %d; want the running import taken over", res, err, f.posts.Load())
	}
}

func TestImport_copyImage(t *testing.T) {
	t.Run("copies to the stores without the data", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
			{image: importImageJSON("active", "fast", "", "")},
			{image: importImageJSON("active", "fast,slow", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "slow"))},
		}}}
		c := newWorkflowClient(t, f)
		res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, Stores: []string{"fast", "slow"}, AllStoresMustSucceed: true}})
		if err != nil || strings.Join(res.Copied, ",") != "slow" || strings.Join(res.Request.Stores, ",") != "slow" ||
			!strings.Contains(string(f.postBody), `"stores":["slow"]`) {
			t.Fatalf("res = %+v, err = %v, body = %s", res, err, f.postBody)
		}
	})
	t.Run("nothing to copy", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "fast,slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, Stores: []string{"slow"}}})
		if err != nil || !res.NothingToCopy || res.Image != res.Before || len(res.Copied) != 0 || f.posts.Load() != 0 {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
	})
	t.Run("source checked before copying", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: activeImageWithDigests(strings.Repeat("cd", 64), "")}}}}
		c := newWorkflowClient(t, f)
		_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, Stores: []string{"slow"}},
			Checksum: "sha512:" + strings.Repeat("ab", 64)})
		var mismatch *ChecksumMismatchError
		var wrong *WrongDataError
		if !errors.As(err, &mismatch) || errors.As(err, &wrong) || f.posts.Load() != 0 || f.deactivations.Load() != 0 {
			t.Fatalf("err = %v; want the mismatch, no copy and no deactivation", err)
		}
	})
	t.Run("not active", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("queued", "", "", "")}}}}
		c := newWorkflowClient(t, f)
		_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, AllStores: true}})
		if !IsImageNotActive(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestUpdateCopies(t *testing.T) {
	copyReq := func(stores ...string) ImportRequest {
		return ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, Stores: stores, AllStoresMustSucceed: true}
	}
	t.Run("adds and removes", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
			{image: importImageJSON("active", "fast,slow", "", "")},
			{image: importImageJSON("active", "fast,slow,cold", "", ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "cold"))},
			{image: importImageJSON("active", "fast,cold", "", "")},
		}}}
		c := newWorkflowClient(t, f)
		res, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("cold", "fast"), Copied: []string{"slow"}, Previous: []string{"slow", "fast"}})
		if err != nil || strings.Join(res.Copied, ",") != "cold" || strings.Join(f.deletes, ",") != "slow/img-1" || len(res.LeftInPlace) != 0 {
			t.Fatalf("res = %+v, err = %v, deletes = %v", res, err, f.deletes)
		}
	})
	t.Run("nothing to add or remove", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		res, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("slow"), Previous: []string{"slow"}})
		if err != nil || !res.Copy.NothingToCopy || len(f.deletes) != 0 || f.posts.Load() != 0 {
			t.Fatalf("res = %+v, err = %v, deletes = %v", res, err, f.deletes)
		}
	})
	t.Run("last copy kept", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		res, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: ImportRequest{Method: ImportMethod{Name: MethodCopyImage}, AllStores: false},
			Copied: []string{"slow"}, Previous: []string{"slow"}})
		if err != nil || strings.Join(res.LastCopyKept, ",") != "slow" || len(f.deletes) != 0 || len(res.Copied) != 0 {
			t.Fatalf("res = %+v, err = %v, deletes = %v", res, err, f.deletes)
		}
	})
	t.Run("left in place", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "fast,slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		res, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("fast"), Previous: []string{"fast", "slow"}})
		if err != nil || strings.Join(res.LeftInPlace, ",") != "slow" || len(f.deletes) != 0 {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
	})
	t.Run("deletion refused", func(t *testing.T) {
		f := &workflowGlance{deleteStatus: http.StatusForbidden, fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "fast,slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		_, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("fast"), Copied: []string{"slow"}})
		var de *StoreDeleteError
		if !errors.As(err, &de) || de.Store != "slow" || !IsForbidden(err) {
			t.Fatalf("err = %v, want a *StoreDeleteError with the 403", err)
		}
	})
	t.Run("not active", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("deactivated", "fast", "", "")}}}}
		c := newWorkflowClient(t, f)
		_, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("slow")})
		if !IsImageNotActive(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("failed copy", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
			{image: importImageJSON("active", "fast", "", "")},
			{image: importImageJSON("active", "fast", "", "slow"), tasks: tasksOf(importTaskJSON("t1", "failure", "copy failed", "2024-05-01T10:00:00Z", "slow"))},
		}}}
		c := newWorkflowClient(t, f)
		res, err := c.UpdateCopies(context.Background(), "img-1", CopiesUpdate{Request: copyReq("fast", "slow")})
		if !IsImportFailed(err) || res == nil || len(f.deletes) != 0 {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
	})
}

func TestDeleteCopies(t *testing.T) {
	t.Run("deletes its copies, never the last", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("active", "fast,slow,cold", "", "")}}}}
		c := newWorkflowClient(t, f)
		r, err := c.DeleteCopies(context.Background(), "img-1", []string{"slow", "cold", "fast", "gone"})
		if err != nil || strings.Join(r.Deleted, ",") != "slow,cold" || strings.Join(r.LastCopyKept, ",") != "fast" || strings.Join(r.Remaining, ",") != "fast" {
			t.Fatalf("removal = %+v, err = %v", r, err)
		}
	})
	t.Run("image gone", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: "404"}}}}
		c := newWorkflowClient(t, f)
		if r, err := c.DeleteCopies(context.Background(), "img-1", []string{"slow"}); r != nil || err != nil {
			t.Fatalf("removal = %+v, err = %v; want nothing to do", r, err)
		}
	})
	t.Run("not active", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: importImageJSON("deactivated", "fast,slow", "", "")}}}}
		c := newWorkflowClient(t, f)
		r, err := c.DeleteCopies(context.Background(), "img-1", []string{"slow"})
		if err != nil || r.Status != StatusDeactivated || len(f.deletes) != 0 {
			t.Fatalf("removal = %+v, err = %v", r, err)
		}
	})
}

func TestImportPrecondition(t *testing.T) {
	running := `[{"id": "t1", "type": "api_image_import", "status": "success", "created_at": "2024-05-01T10:00:00Z",
	  "input": {"image_id": "img-1", "import_req": {"method": {"name": "web-download", "uri": "http://h/x"}, "stores": ["fast"]}}}]`
	for name, tc := range map[string]struct {
		step  importStep
		check func(error) bool
	}{
		"queued":                       {importStep{image: importImageJSON("queued", "", "", "")}, func(err error) bool { return err == nil }},
		"active, no task":              {importStep{image: importImageJSON("active", "fast", "", ""), tasks: "[]"}, IsImageHasData},
		"active, same import finished": {importStep{image: importImageJSON("active", "fast", "", ""), tasks: running}, func(err error) bool { return err == nil }},
		"uploading":                    {importStep{image: importImageJSON("uploading", "", "", "")}, IsStagedDataPresent},
		"not there yet":                {importStep{image: "404"}, IsNotFound},
	} {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{tc.step}}}
		c := newWorkflowClient(t, f)
		if err := c.ImportPrecondition(context.Background(), "img-1", webDownload); !tc.check(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// A stage broken off by an earlier run leaves the image uploading until Glance notices; the
// import waits for it instead of calling the image staged.
func TestImportPrecondition_brokenOffStageSettles(t *testing.T) {
	uploading, queued := importStep{image: importImageJSON("uploading", "", "", "")}, importStep{image: importImageJSON("queued", "", "", "")}
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{uploading, uploading, queued}}}
	c := newWorkflowClient(t, f)
	glanceDirect := ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}}
	if err := c.ImportPrecondition(context.Background(), "img-1", glanceDirect); err != nil || f.imageGets.Load() != 3 {
		t.Fatalf("err = %v after %d reads, want nil once the image is queued again", err, f.imageGets.Load())
	}
}

func TestImport_brokenOffStageSettlesBeforeStaging(t *testing.T) {
	data := "disk"
	uploading, queued := importStep{image: importImageJSON("uploading", "", "", "")}, importStep{image: importImageJSON("queued", "", "", "")}
	f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{uploading, queued, {image: "404"}}}}
	c := newWorkflowClient(t, f)
	_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}}, File: writeTestFile(t, data)})
	if IsStagedDataPresent(err) || f.stagePuts.Load() != 1 {
		t.Fatalf("err = %v, stages = %d; want the file staged once the image settled", err, f.stagePuts.Load())
	}
}

func TestCheckImportPrecondition(t *testing.T) {
	for name, tc := range map[string]struct {
		method, status string
		want           ImageStateProblem // 0: no error
	}{
		"web-download into queued":   {MethodWebDownload, StatusQueued, 0},
		"web-download into active":   {MethodWebDownload, StatusActive, ImageHasData},
		"glance-direct, deactivated": {MethodGlanceDirect, StatusDeactivated, ImageHasData},
		"glance-direct, uploading":   {MethodGlanceDirect, StatusUploading, ImageHasStagedData},
		"importing":                  {MethodGlanceDownload, StatusImporting, ImageBusy},
		"saving":                     {MethodWebDownload, StatusSaving, ImageBusy},
		"copy-image of active":       {MethodCopyImage, StatusActive, 0},
		"copy-image of queued":       {MethodCopyImage, StatusQueued, ImageNotActive},
	} {
		err := CheckImportPrecondition(tc.method, &Image{ID: "i", Status: tc.status})
		var se *ImageStateError
		switch {
		case tc.want == 0 && err != nil:
			t.Errorf("%s: unexpected %v", name, err)
		case tc.want != 0 && (!errors.As(err, &se) || se.Problem != tc.want || se.Status != tc.status):
			t.Errorf("%s: err = %v, want problem %d", name, err, tc.want)
		}
	}
}

func TestMayResumeImport(t *testing.T) {
	for _, tc := range []struct {
		method, status string
		want           bool
	}{
		{MethodWebDownload, StatusImporting, true},
		{MethodWebDownload, StatusActive, true},
		{MethodGlanceDirect, StatusImporting, true},
		{MethodGlanceDirect, StatusActive, true}, // when its data is the file's (Import checks)
		{MethodCopyImage, StatusImporting, false},
		{MethodGlanceDownload, StatusQueued, false},
	} {
		if got := MayResumeImport(tc.method, tc.status); got != tc.want {
			t.Errorf("MayResumeImport(%s, %s) = %v, want %v", tc.method, tc.status, got, tc.want)
		}
	}
}

func TestCompareChecksum(t *testing.T) {
	sha512 := strings.Repeat("ab", 64)
	md5sum := strings.Repeat("cd", 16)
	sha256 := strings.Repeat("ef", 32)
	img := &Image{ID: "i", OSHashAlgo: "sha512", OSHashValue: sha512, Checksum: md5sum}
	for name, tc := range map[string]struct {
		expected   string
		staged     Digests
		mismatch   bool
		unverified bool
		invalid    bool
	}{
		"sha512 matches os_hash_value": {expected: "sha512:" + strings.ToUpper(sha512)},
		"sha512 differs":               {expected: "sha512:" + strings.Repeat("00", 64), mismatch: true},
		"md5 matches checksum":         {expected: "md5:" + md5sum},
		"sha256 cannot be verified":    {expected: "sha256:" + sha256, unverified: true},
		"sha256 from the staged file":  {expected: "sha256:" + sha256, staged: Digests{"sha256": sha256}},
		"staged sha256 differs":        {expected: "sha256:" + sha256, staged: Digests{"sha256": strings.Repeat("11", 32)}, mismatch: true},
		"malformed":                    {expected: "sha1:abc", invalid: true},
	} {
		u, err := CompareChecksum(tc.expected, img, tc.staged)
		var m *ChecksumMismatchError
		var inv *InvalidChecksumError
		if errors.As(err, &m) != tc.mismatch || (u != nil) != tc.unverified || errors.As(err, &inv) != tc.invalid {
			t.Errorf("%s: unverified = %+v, err = %v", name, u, err)
		}
	}
	if u, _ := CompareChecksum("sha256:"+sha256, &Image{ID: "i"}, nil); u == nil || u.CloudAlgorithm != "none" {
		t.Errorf("no os_hash_algo: %+v", u)
	}
}

func TestFailedTargets(t *testing.T) {
	img := &Image{ID: "i", Stores: []string{"fast"}, FailedImport: []string{"slow", "old"}}
	for name, tc := range map[string]struct {
		req  ImportRequest
		want string
	}{
		"named stores":              {ImportRequest{Stores: []string{"fast", "slow"}}, "slow"},
		"all stores":                {ImportRequest{AllStores: true}, "slow,old"},
		"default store: stale only": {ImportRequest{}, ""},
		"other stores: stale only":  {ImportRequest{Stores: []string{"fast"}}, ""},
	} {
		if got := strings.Join(failedTargets(img, tc.req), ","); got != tc.want {
			t.Errorf("%s: failedTargets = %q, want %q", name, got, tc.want)
		}
	}
}

func TestCachedInfo_perClient(t *testing.T) {
	var methods, stores atomic.Int32
	storesStatus := http.StatusInternalServerError
	h := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/glance/v2/info/import":
			methods.Add(1)
			_, _ = w.Write([]byte(`{"import-methods": {"value": ["web-download"]}}`))
		case "/glance/v2/info/stores":
			stores.Add(1)
			w.WriteHeader(storesStatus)
		}
	}
	ctx := context.Background()
	c, _ := newCoreTestClient(t, h)
	c.maxRetries = 0
	for range 2 {
		if m, err := c.CachedImportMethods(ctx); err != nil || strings.Join(m, ",") != "web-download" {
			t.Fatalf("methods = %v, err = %v", m, err)
		}
	}
	if _, err := c.CachedStores(ctx); err == nil {
		t.Fatal("a 500 must be an error")
	}
	storesStatus = http.StatusNotFound
	for range 2 {
		if _, err := c.CachedStores(ctx); !IsUnsupported(err) {
			t.Fatalf("err = %v, want the cloud without multiple stores", err)
		}
	}
	if methods.Load() != 1 || stores.Load() != 2 {
		t.Fatalf("methods asked %d times, stores %d; want 1 and 2 (errors are asked again, answers are kept)", methods.Load(), stores.Load())
	}
	other, _ := newCoreTestClient(t, h)
	if _, err := other.CachedImportMethods(ctx); err != nil || methods.Load() != 2 {
		t.Fatalf("another client must ask for itself: %v, %d", err, methods.Load())
	}
}

// glanceDirectFast is a glance-direct import into store fast, as the take-over tests declare it.
var glanceDirectFast = ImportRequest{Method: ImportMethod{Name: MethodGlanceDirect}, Stores: []string{"fast"}, AllStoresMustSucceed: true}

func TestImport_glanceDirectTakesOverAFinishedImport(t *testing.T) {
	data := strings.Repeat("disk ", 1000)
	sum := sha512.Sum512([]byte(data))
	done := tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))
	t.Run("the file's data: taken over", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{
			{image: activeImageWithDigests(hex.EncodeToString(sum[:]), ""), tasks: done},
		}}}
		c := newWorkflowClient(t, f)
		res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: glanceDirectFast, File: writeTestFile(t, data)})
		if err != nil || res.Resumed == nil || res.Image.Status != StatusActive || f.stagePuts.Load() != 0 || f.posts.Load() != 0 || f.deactivations.Load() != 0 {
			t.Fatalf("res = %+v, err = %v, stages = %d, posts = %d", res, err, f.stagePuts.Load(), f.posts.Load())
		}
	})
	t.Run("other data: refused, left alone", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{
			{image: activeImageWithDigests(strings.Repeat("00", 64), ""), tasks: done},
		}}}
		c := newWorkflowClient(t, f)
		_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: glanceDirectFast, File: writeTestFile(t, data)})
		var state *ImageStateError
		if !errors.As(err, &state) || state.Problem != ImageHasData || f.deactivations.Load() != 0 || f.posts.Load() != 0 {
			t.Fatalf("err = %v, deactivations = %d; want the image refused as having data, and left alone", err, f.deactivations.Load())
		}
	})
}

func TestImport_glanceDirectImportsAnEarlierStage(t *testing.T) {
	data := strings.Repeat("disk ", 1000)
	sum := sha512.Sum512([]byte(data))
	staged := func(size int) string {
		return strings.TrimSuffix(importImageJSON("uploading", "", "", ""), "}") + `,"size":` + strconv.Itoa(size) + `}`
	}
	t.Run("same size: imported and verified against the file", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{beforePost: "[]", steps: []importStep{
			{image: staged(len(data))},
			{image: activeImageWithDigests(hex.EncodeToString(sum[:]), ""), tasks: tasksOf(importTaskJSON("t1", "success", "", "2024-05-01T10:00:00Z", "fast"))},
		}}}
		c := newWorkflowClient(t, f)
		res, err := c.Import(context.Background(), "img-1", ImportSpec{Request: glanceDirectFast, File: writeTestFile(t, data)})
		if err != nil || !res.StagedEarlier || res.Staged["sha512"] != hex.EncodeToString(sum[:]) || f.stagePuts.Load() != 0 || f.posts.Load() != 1 {
			t.Fatalf("res = %+v, err = %v, stages = %d, posts = %d", res, err, f.stagePuts.Load(), f.posts.Load())
		}
	})
	t.Run("other size: refused at once", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: staged(len(data) + 1)}}}}
		c := newWorkflowClient(t, f)
		_, err := c.Import(context.Background(), "img-1", ImportSpec{Request: glanceDirectFast, File: writeTestFile(t, data)})
		if !IsStagedDataPresent(err) || f.imageGets.Load() != 1 || f.posts.Load() != 0 {
			t.Fatalf("err = %v, image reads = %d; want staged data refused without waiting for it to settle", err, f.imageGets.Load())
		}
	})
	t.Run("plan: no warning for a complete stage", func(t *testing.T) {
		f := &workflowGlance{fakeImportGlance: &fakeImportGlance{steps: []importStep{{image: staged(len(data))}}}}
		c := newWorkflowClient(t, f)
		if err := c.ImportPrecondition(context.Background(), "img-1", glanceDirectFast); err != nil {
			t.Fatalf("err = %v", err)
		}
	})
}
