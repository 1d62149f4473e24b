package glance

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"
)

// The import workflows: a whole import as a caller declares it (Import), the plan-time check
// of the image (ImportPrecondition), and the management of copy-image copies (UpdateCopies,
// DeleteCopies, built on CopyToStores and DeleteFromStores).

// ImportSpec is an import as declared.
type ImportSpec struct {
	Request ImportRequest
	// File is the local file a glance-direct import stages.
	File string
	// Checksum is the expected digest of the data, "ALGORITHM:HEX"; empty for none.
	Checksum string
}

// ImportResult is what Import did.
type ImportResult struct {
	// Before is the image before the import, Image after it (the same image when a copy-image
	// import had nothing to copy).
	Before, Image *Image
	// Request is the request as sent: copy-image leaves out the stores that held the data.
	Request ImportRequest
	// Resumed is the import task of an earlier, interrupted run that was taken over.
	Resumed *Task
	// StagedEarlier: a glance-direct import found the file staged by an earlier, interrupted
	// run (the stage finished, the import was never requested) and imported that.
	StagedEarlier bool
	// NothingToCopy: every store of a copy-image import already held the data.
	NothingToCopy bool
	// Staged are the digests of the bytes a glance-direct import staged (or, when it took an
	// earlier import over, of the file).
	Staged Digests
	// Copied are the stores a copy-image import copied the data to.
	Copied []string
	// FailedStores are target stores that failed, accepted with AllStoresMustSucceed false.
	FailedStores []string
	// ChecksumNotVerified is set when the expected checksum could not be compared.
	ChecksumNotVerified *UnverifiedChecksum
	// StagedNotVerified says why Glance's digest could not be compared with the staged bytes.
	StagedNotVerified error
}

// Import runs an import into image id from start to verified end: it reads the image, takes
// over the same import an interrupted earlier run left (ResumableImport) or checks that the
// image can take one (*ImageStateError), stages the file (glance-direct, *StageError), leaves
// out the stores that hold the data (copy-image), requests the import and waits for it
// (*ImportError, or the context's error), and verifies the result against the staged bytes
// and Checksum. Data that fails verification after Glance made it active is deactivated
// (*WrongDataError).
//
// The result is returned with the error when the import itself ran, so that what it did
// (such as failed stores) can still be reported.
func (c *Client) Import(ctx context.Context, id string, spec ImportSpec) (*ImportResult, error) {
	before, err := c.GetImage(ctx, id)
	if err != nil {
		return nil, &ImageReadError{ImageID: id, Err: err}
	}
	method := spec.Request.Method.Name
	if method != MethodCopyImage {
		before = c.unstagedImage(ctx, before)
	}
	res := &ImportResult{Before: before, Request: spec.Request}
	if err := c.takeOverEarlierRun(ctx, spec, res); err != nil {
		return nil, err
	}
	switch {
	case res.Resumed != nil:
		c.log.Info(ctx, "Taking over the same import started by an earlier run", map[string]any{
			"image_id": id, "task": res.Resumed.ID, "task_status": res.Resumed.Status,
		})
	case res.StagedEarlier:
		c.log.Info(ctx, "Importing the file an earlier, interrupted run staged", map[string]any{"image_id": id, "size": before.Size})
	default:
		if err := CheckImportPrecondition(method, before); err != nil {
			return nil, err
		}
	}
	switch method {
	case MethodGlanceDirect:
		err = c.importFile(ctx, id, spec, res)
	case MethodCopyImage:
		err = c.importCopy(ctx, spec, res)
	default:
		err = c.importFromSource(ctx, id, spec, res)
	}
	return res, err
}

// takeOverEarlierRun looks for what an interrupted earlier run of the same import left, and
// records in res what can be taken over: an import Glance still runs or finished (web-download
// and glance-download recognised by their task; glance-direct also by its data, which must be
// the file's), or, for glance-direct, a complete stage of a file of the same size that was
// never imported.
func (c *Client) takeOverEarlierRun(ctx context.Context, spec ImportSpec, res *ImportResult) error {
	before, method := res.Before, spec.Request.Method.Name
	if MayResumeImport(method, before.Status) {
		res.Resumed = c.ResumableImport(ctx, before.ID, spec.Request)
	}
	if res.Resumed != nil && method == MethodGlanceDirect && before.Status == StatusActive {
		// A finished glance-direct import is the declared one only if its data is the file's.
		hashed, err := HashSource(ctx, FileSource(spec.File), "none", HashAlgorithms)
		if err != nil {
			return &VerifyFileError{ImageID: before.ID, File: spec.File, Err: err}
		}
		if VerifyImageDigest(before, hashed.Digests) != nil {
			res.Resumed = nil
		} else {
			res.Staged = hashed.Digests
			if err := c.checkStagedChecksum(ctx, before.ID, spec, res.Staged); err != nil {
				return err
			}
		}
	}
	if res.Resumed == nil && method == MethodGlanceDirect && stagedComplete(before) {
		if st, err := os.Stat(spec.File); err == nil && st.Size() == before.Size {
			res.StagedEarlier = true
		}
	}
	return nil
}

// stagedComplete reports an image whose stage has finished (Glance records the size and the
// staging host only then) and that was not imported yet.
func stagedComplete(img *Image) bool {
	return img.Status == StatusUploading && (img.Size > 0 || img.Properties["os_glance_stage_host"] != "")
}

// importFile is the glance-direct part of Import.
func (c *Client) importFile(ctx context.Context, id string, spec ImportSpec, res *ImportResult) error {
	if res.Resumed == nil && !res.StagedEarlier {
		staged, err := c.StageFile(ctx, id, spec.File, spec.Checksum)
		if err != nil {
			return err
		}
		res.Staged = staged
	}
	if err := c.runImportStep(ctx, id, res); err != nil {
		return err
	}
	if res.Staged == nil {
		// The earlier run's digests of the staged bytes are gone: check against the file.
		if err := c.hashFileForResumed(ctx, id, spec, res); err != nil {
			return err
		}
	}
	err := VerifyImageDigest(res.Image, res.Staged)
	var mismatch *DigestMismatchError
	switch {
	case errors.As(err, &mismatch):
		return c.rejectWrongData(ctx, id, err)
	case err != nil:
		res.StagedNotVerified = err
	}
	return nil
}

// hashFileForResumed hashes the file of a glance-direct import taken over from an earlier run
// and compares it with the checksum.
func (c *Client) hashFileForResumed(ctx context.Context, id string, spec ImportSpec, res *ImportResult) error {
	hashed, err := HashSource(ctx, FileSource(spec.File), "none", HashAlgorithms)
	if err != nil {
		return &VerifyFileError{ImageID: id, File: spec.File, Err: err}
	}
	res.Staged = hashed.Digests
	return c.checkStagedChecksum(ctx, id, spec, res.Staged)
}

// checkStagedChecksum compares the digests of the file an import of an earlier run staged
// with the checksum; imported data that is not the declared data is deactivated.
func (c *Client) checkStagedChecksum(ctx context.Context, id string, spec ImportSpec, staged Digests) error {
	if spec.Checksum == "" {
		return nil
	}
	algo, digest, err := ParseChecksum(spec.Checksum)
	if err != nil {
		return &InvalidChecksumError{Err: err}
	}
	if staged[algo] != digest {
		return c.rejectWrongData(ctx, id, &ExpectedDigestError{Source: spec.File, Algorithm: algo, Expected: digest, Actual: staged[algo]})
	}
	return nil
}

// importFromSource is the web-download and glance-download part of Import.
func (c *Client) importFromSource(ctx context.Context, id string, spec ImportSpec, res *ImportResult) error {
	if err := c.runImportStep(ctx, id, res); err != nil {
		return err
	}
	if spec.Checksum == "" {
		return nil
	}
	unverified, err := CompareChecksum(spec.Checksum, res.Image, nil)
	var mismatch *ChecksumMismatchError
	switch {
	case errors.As(err, &mismatch):
		return c.rejectWrongData(ctx, id, err)
	case err != nil:
		return err
	}
	res.ChecksumNotVerified = unverified
	return nil
}

// importCopy is the copy-image part of Import: the source is verified before it is copied.
func (c *Client) importCopy(ctx context.Context, spec ImportSpec, res *ImportResult) error {
	if spec.Checksum != "" {
		unverified, err := CompareChecksum(spec.Checksum, res.Before, nil)
		if err != nil {
			return err
		}
		res.ChecksumNotVerified = unverified
	}
	cp, err := c.CopyToStores(ctx, res.Before, spec.Request)
	res.Request = cp.Request
	res.Image, res.Copied, res.FailedStores, res.NothingToCopy = cp.Image, cp.Copied, cp.FailedStores, cp.NothingToCopy
	return err
}

// runImportStep requests the import of res.Request, or waits for the import it takes over.
func (c *Client) runImportStep(ctx context.Context, id string, res *ImportResult) error {
	var (
		img *Image
		err error
	)
	req := res.Request
	if res.Resumed != nil {
		img, err = c.WaitForImport(ctx, id, ImportWait{Stores: req.Stores, AllStores: req.AllStores, MustSucceed: req.AllStoresMustSucceed})
	} else {
		img, err = c.RunImport(ctx, id, req)
	}
	if err != nil {
		return err
	}
	res.Image, res.FailedStores = img, failedTargets(img, req)
	return nil
}

// rejectWrongData deactivates an image whose imported data failed verification: Glance made
// it active, and no server may boot from data that is not what was declared.
func (c *Client) rejectWrongData(ctx context.Context, id string, cause error) error {
	return &WrongDataError{ImageID: id, Err: cause, DeactivateErr: c.Deactivate(ctx, id)}
}

// failedTargets are the stores of req that Glance lists as failed. os_glance_failed_import may
// still list stores of an earlier attempt; an import into the default store cannot partly fail.
func failedTargets(img *Image, req ImportRequest) []string {
	switch {
	case req.AllStores:
		return slices.Clone(img.FailedImport)
	case len(req.Stores) > 0:
		return slices.DeleteFunc(slices.Clone(img.FailedImport), func(s string) bool { return !slices.Contains(req.Stores, s) })
	}
	return nil
}

// without returns the elements of a that are not in b, in a's order.
func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(b, s) })
}

// IsResumableMethod reports whether an import that an interrupted apply left running can be
// taken over by a later one: web-download and glance-download are recognised by the source
// their task records, glance-direct by the method (its result is checked against the file).
func IsResumableMethod(method string) bool {
	return method == MethodWebDownload || method == MethodGlanceDownload || method == MethodGlanceDirect
}

// MayResumeImport reports whether an import with method may be taken over from an image in
// status: while Glance still runs it, or once it has finished. A finished glance-direct import
// is taken over only when its data is the file's (Import hashes the file first): it may be an
// older version of it.
func MayResumeImport(method, status string) bool {
	return IsResumableMethod(method) && (status == StatusImporting || status == StatusActive)
}

// CheckImportPrecondition checks that an image is in a status the method can work with:
// copy-image needs an active image, the other methods a queued one. It returns an
// *ImageStateError otherwise.
func CheckImportPrecondition(method string, img *Image) error {
	refuse := func(p ImageStateProblem) error {
		return &ImageStateError{ImageID: img.ID, Method: method, Status: img.Status, Problem: p}
	}
	if method == MethodCopyImage {
		if img.Status == StatusActive {
			return nil
		}
		return refuse(ImageNotActive)
	}
	switch img.Status {
	case StatusQueued:
		return nil
	case StatusUploading:
		return refuse(ImageHasStagedData)
	case StatusImporting, StatusSaving:
		return refuse(ImageBusy)
	}
	return refuse(ImageHasData)
}

// ImportPrecondition checks, before an import is planned, whether image id can take req. It
// returns nil when it can, or when the same import, started by an interrupted run, can be
// taken over; an *ImageStateError when it cannot; the read error otherwise (IsNotFound when
// the image does not exist yet).
func (c *Client) ImportPrecondition(ctx context.Context, id string, req ImportRequest) error {
	img, err := c.GetImage(ctx, id)
	if err != nil {
		return err
	}
	if req.Method.Name != MethodCopyImage {
		img = c.unstagedImage(ctx, img)
	}
	err = CheckImportPrecondition(req.Method.Name, img)
	switch {
	case err == nil:
		return nil
	case MayResumeImport(req.Method.Name, img.Status) && c.ResumableImport(ctx, img.ID, req) != nil:
		return nil
	case req.Method.Name == MethodGlanceDirect && stagedComplete(img):
		return nil // staged by an interrupted run: Import takes it over when the file's size matches
	}
	return err
}

// CompareChecksum compares an expected digest ("ALGORITHM:HEX") with the digests known for
// img: staged (the bytes that were sent), os_hash_value for the cloud's algorithm, the md5
// checksum. It returns a *ChecksumMismatchError on a mismatch, an *InvalidChecksumError for a
// malformed expected digest, and an *UnverifiedChecksum when nothing can be compared (checking
// would mean downloading the image).
func CompareChecksum(expected string, img *Image, staged Digests) (*UnverifiedChecksum, error) {
	algo, want, err := ParseChecksum(expected)
	if err != nil {
		return nil, &InvalidChecksumError{Err: err}
	}
	got, source := "", ""
	switch {
	case staged[algo] != "":
		got, source = staged[algo], "the "+algo+" of the staged file"
	case img.OSHashAlgo == algo && img.OSHashValue != "":
		got, source = img.OSHashValue, "the image's os_hash_value ("+algo+")"
	case algo == "md5" && img.Checksum != "":
		got, source = img.Checksum, "the image's md5 checksum"
	}
	if got == "" {
		cloud := img.OSHashAlgo
		if cloud == "" {
			cloud = "none"
		}
		return &UnverifiedChecksum{ImageID: img.ID, Algorithm: algo, CloudAlgorithm: cloud}, nil
	}
	if !strings.EqualFold(got, want) {
		return nil, &ChecksumMismatchError{ImageID: img.ID, Algorithm: algo, Expected: strings.ToLower(want), Actual: strings.ToLower(got), Source: source}
	}
	return nil, nil
}

// StageFile streams file to the image's staging area (PUT /v2/images/{id}/stage) and returns
// the digests of the bytes sent (every algorithm of HashAlgorithms, so that a later change of
// checksum is verified without reading the data again). With a checksum the stream is gated:
// data with another digest never completes the request, so Glance keeps nothing and the image
// stays queued for a corrected retry. Errors are *StageError.
func (c *Client) StageFile(ctx context.Context, id, file, checksum string) (Digests, error) {
	fail := func(err error) (Digests, error) {
		se := &StageError{ImageID: id, File: file, Err: err}
		var mismatch *ExpectedDigestError
		if errors.As(err, &mismatch) {
			if img, gerr := c.GetImage(ctx, id); gerr == nil {
				se.Status = img.Status
			}
		}
		return nil, se
	}
	src := FileSource(file)
	var algo, digest string
	if checksum != "" {
		var err error
		if algo, digest, err = ParseChecksum(checksum); err != nil {
			return fail(err)
		}
		src = ExpectDigest(src, algo, digest)
	}
	c.log.Info(ctx, "Staging the file for a glance-direct import", map[string]any{"image_id": id, "file": file})
	res, err := c.Stage(ctx, id, src, TransferOptions{Algorithms: HashAlgorithms})
	if err != nil {
		var answered *Error
		if !errors.As(err, &answered) {
			// The client broke the body off (digest mismatch, unreadable file, connection
			// lost): Glance unstages only when its read fails, a moment later.
			c.settleStage(ctx, id)
		}
		return fail(err)
	}
	// A file of zero bytes sends no body, so the gate never ran: compare here too.
	if got := res.Digests[algo]; checksum != "" && got != "" && got != digest {
		return fail(&ExpectedDigestError{Source: file, Algorithm: algo, Expected: digest, Actual: got})
	}
	return res.Digests, nil
}

// stageSettleTimeout bounds the wait for Glance to notice a broken-off stage, and stageQuiet is
// how long a queued image must stay queued when it was never seen uploading: the broken-off
// request may still be on its way through a proxy or load balancer. Variables for tests.
var (
	stageSettleTimeout = 30 * time.Second
	stageQuiet         = 3 * time.Second
)

// stagedSettleWait bounds how long an image found uploading may take to go back to queued
// before an import calls it staged. A variable for tests.
var stagedSettleWait = 30 * time.Second

// unstagedImage gives an image found uploading a bounded time to go back to queued: after a
// stage that an earlier run broke off, Glance unstages only once its own read of the request
// fails, which on a busy host comes seconds later (the earlier run's settleStage may have given
// up before). An image still uploading after that really holds staged data or a running stage,
// and is returned as it is for CheckImportPrecondition to refuse.
func (c *Client) unstagedImage(ctx context.Context, img *Image) *Image {
	if img.Status != StatusUploading || stagedComplete(img) {
		return img
	}
	c.log.Info(ctx, "Image is uploading; waiting briefly for Glance to discard a broken-off stage", map[string]any{"image_id": img.ID})
	wctx, cancel := context.WithTimeout(ctx, stagedSettleWait)
	defer cancel()
	settled, err := c.WaitForImage(wctx, img.ID, func(i *Image) (bool, error) { return i.Status != StatusUploading, nil })
	if err != nil {
		return img
	}
	return settled
}

// settleStage waits, briefly, until Glance has put the image back to queued after a stage the
// client broke off, so that the caller's advice and the next plan see the real state. Glance
// sets uploading when the request arrives and queued again when its read of the body fails.
func (c *Client) settleStage(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, stageSettleTimeout)
	defer cancel()
	start, sawUploading := time.Now(), false
	img, err := c.WaitForImage(ctx, id, func(img *Image) (bool, error) {
		if img.Status == StatusUploading {
			sawUploading = true
			return false, nil
		}
		return sawUploading || time.Since(start) >= stageQuiet, nil
	})
	if err != nil {
		c.log.Warn(ctx, "Glance has not put the image back to queued after the broken-off stage", map[string]any{"image_id": id, "error": err.Error()})
		return
	}
	c.log.Debug(ctx, "Image settled after the broken-off stage", map[string]any{"image_id": id, "status": img.Status})
}
