package glance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Upload streams src into the image (PUT /v2/images/{id}/file): one pass that decompresses,
// hashes (the cloud's os_hash_algo plus opts.Algorithms) and sends. Content-Length is set
// when the size is known, otherwise the body is chunked.
//
// A failed attempt is retried only when the source can be read again from its start and the
// image is still queued; a source that fails mid-stream aborts the request, so Glance never
// receives a partial body as if it were whole.
func (c *Client) Upload(ctx context.Context, imageID string, src Source, opts TransferOptions) (*TransferResult, error) {
	return c.transfer(ctx, "file", imageID, src, opts)
}

// Stage streams src into the staging area for a glance-direct import (PUT .../stage), with
// the same pipeline and retry rules as Upload.
func (c *Client) Stage(ctx context.Context, imageID string, src Source, opts TransferOptions) (*TransferResult, error) {
	return c.transfer(ctx, "stage", imageID, src, opts)
}

// transfer runs attempts of a data-plane PUT until one succeeds or a retry is not safe.
func (c *Client) transfer(ctx context.Context, kind, imageID string, src Source, opts TransferOptions) (*TransferResult, error) {
	algorithms := neededAlgorithms(c.HashAlgorithm(), opts.Algorithms)
	what := "upload"
	if kind == "stage" {
		what = "staging"
	}
	for attempt := 0; ; attempt++ {
		res, complete, err := c.transferOnce(ctx, kind, what, imageID, src, opts, algorithms)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		unauthorized := IsUnauthorized(err)
		if !retryableTransferError(err) || attempt >= c.maxRetries {
			return nil, err
		}
		if unauthorized {
			if c.auth == nil {
				return nil, err
			}
			if rerr := c.auth.Reauthenticate(ctx, ""); rerr != nil {
				return nil, fmt.Errorf("%w; re-authenticating failed: %w", err, rerr)
			}
		}
		img, gerr := c.settledImage(ctx, imageID)
		if gerr != nil {
			return nil, fmt.Errorf("%w; checking the image before a retry failed: %w", err, gerr)
		}
		switch {
		case img.Status == StatusQueued:
		case kind == "file" && img.Status == StatusActive && complete:
			// Glance stored everything but its answer was lost: the caller verifies the
			// digests against os_hash_value, which tells whether these were the bytes.
			c.log.Warn(ctx, "The upload's answer was lost, but the image is active; verifying it instead of re-sending",
				map[string]any{"image_id": imageID, "error": err.Error()})
			return res, nil
		case kind == "stage" && img.Status == StatusUploading && complete:
			c.log.Warn(ctx, "The stage answer was lost, but the data is staged", map[string]any{"image_id": imageID, "error": err.Error()})
			return res, nil
		default:
			return nil, fmt.Errorf("%w; the image is now %q, so the %s cannot be retried safely", err, img.Status, what)
		}
		c.log.Warn(ctx, "Image "+what+" failed; re-sending from the start", map[string]any{
			"image_id": imageID, "attempt": attempt + 1, "error": err.Error(),
		})
		if err := c.sleep(ctx, attempt, nil); err != nil {
			return nil, err
		}
	}
}

// settledImage waits (a bounded time) while Glance is still busy with an aborted transfer:
// after a broken connection it may show the image as "saving" for a moment before putting it
// back to "queued", and a retry sent meanwhile would be refused with a 409.
func (c *Client) settledImage(ctx context.Context, imageID string) (*Image, error) {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	img, err := c.WaitForImage(wctx, imageID, func(img *Image) (bool, error) { return img.Status != StatusSaving, nil })
	if err != nil && img != nil && ctx.Err() == nil {
		return img, nil // still saving after a minute: let the caller decide with what it saw
	}
	return img, err
}

// retryableTransferError reports failures a re-sent body may fix.
func retryableTransferError(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	var se *sourceError
	if errors.As(err, &se) {
		return !se.permanent
	}
	var ge *Error
	if errors.As(err, &ge) {
		// 409: Glance still finishing an aborted attempt; the retry checks the status first.
		return ge.StatusCode == http.StatusUnauthorized || ge.StatusCode == http.StatusConflict || retryableStatus(ge.StatusCode)
	}
	return retryableNetError(err)
}

// transferOnce sends the source once. complete reports whether the whole source was read
// (then res holds its digests even when the answer was lost).
func (c *Client) transferOnce(ctx context.Context, kind, what, imageID string, src Source, opts TransferOptions, algorithms []string) (res *TransferResult, complete bool, err error) {
	p, err := openPipeline(ctx, src, opts.Decompress, algorithms)
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = p.Close() }()
	if p.size > 0 {
		// Budget: 15 minutes plus the time the data takes at a slow 50 MB/s.
		if err := c.EnsureFreshToken(ctx, 15*time.Minute+time.Duration(p.size/50e6)*time.Second); err != nil {
			return nil, false, fmt.Errorf("renewing the token before the %s: %w", what, err)
		}
	}
	target := c.url("/v2/images/"+escape(imageID)+"/"+kind, nil)
	sendBody, guardErr := guardBody(p, opts.DiskFormat, opts.Decompress, src)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, io.NopCloser(sendBody))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if p.size >= 0 {
		req.ContentLength = p.size
		req.Header.Set("Content-Length", strconv.FormatInt(p.size, 10))
	}
	if p.size == 0 {
		req.Body = http.NoBody
	}
	if opts.Store != "" {
		req.Header.Set("X-Image-Meta-Store", opts.Store)
	}
	c.prepare(req)
	c.log.Info(ctx, "Image "+what+" started", map[string]any{"image_id": imageID, "source": src.String(), "bytes": strconv.FormatInt(p.size, 10), "store": opts.Store})
	stop := c.progressLogger(ctx, "Image "+what, imageID, p.size, p.bytes.Load)
	start := time.Now()
	resp, err := c.http.Do(req)
	stop()
	if err != nil {
		// Prefer the source's own error: the transport only says the body failed.
		if p.err != nil {
			err = p.err
		}
		if gerr := guardErr(); gerr != nil {
			err = gerr
		}
		d, done := p.finish()
		return &TransferResult{Bytes: p.bytes.Load(), Digests: d}, done, fmt.Errorf("image %s %s: %w", what, imageID, redactErr(err))
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, false, errorFromResponse(resp, body)
	}
	// With Content-Length the transport stops at the declared size: make sure the source
	// really ended there (a file that grew while being sent is not what was declared).
	if !p.eof && p.err == nil {
		var one [1]byte
		if n, _ := p.Read(one[:]); n > 0 {
			return nil, false, &permanentError{fmt.Errorf("%s changed while it was being sent (it is longer than the %d bytes it had)", src, p.size)}
		}
	}
	d, done := p.finish()
	if !done {
		return nil, false, fmt.Errorf("image %s %s: the source was not read to its end", what, imageID)
	}
	n := p.bytes.Load()
	c.log.Info(ctx, "Image "+what+" finished", progressFields(imageID, n, n, time.Since(start)))
	return &TransferResult{Bytes: n, Digests: d}, true, nil
}

// Download reads image data (GET /v2/images/{id}/file). offset > 0 or length >= 0 sends a
// Range header; length -1 reads to the end. The caller closes the reader.
func (c *Client) Download(ctx context.Context, imageID string, offset, length int64) (io.ReadCloser, error) {
	target := c.url("/v2/images/"+escape(imageID)+"/file", nil)
	for reauthed := false; ; reauthed = true {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, err
		}
		switch {
		case length >= 0:
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
		case offset > 0:
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		}
		token := c.prepare(req)
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("downloading image %s: %w", imageID, err)
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && !reauthed && c.auth != nil:
			_ = resp.Body.Close()
			if err := c.auth.Reauthenticate(ctx, token); err != nil {
				return nil, err
			}
			continue
		case resp.StatusCode == http.StatusNoContent:
			_ = resp.Body.Close()
			return nil, fmt.Errorf("image %s has no data yet", imageID)
		case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent:
			return resp.Body, nil
		default:
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			return nil, errorFromResponse(resp, body)
		}
	}
}

// DigestMismatchError says that the data Glance holds is not the data that was sent.
type DigestMismatchError struct {
	Algorithm string
	Glance    string
	Local     string
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("Glance's %s of the image is %s, but the data sent has %s", e.Algorithm, e.Glance, e.Local)
}

// DigestUnavailableError says that the pipeline did not compute the algorithm Glance used.
type DigestUnavailableError struct{ Algorithm string }

func (e *DigestUnavailableError) Error() string {
	return fmt.Sprintf("Glance hashed the image with %s, which was not computed while sending", e.Algorithm)
}

// VerifyImageDigest compares Glance's os_hash_value (with os_hash_algo) and, when md5 was
// computed, its checksum with the digests of the data that was sent.
func VerifyImageDigest(img *Image, got Digests) error {
	verified := false
	if img.OSHashAlgo != "" && img.OSHashValue != "" {
		local, ok := got[img.OSHashAlgo]
		if !ok {
			return &DigestUnavailableError{Algorithm: img.OSHashAlgo}
		}
		if local != img.OSHashValue {
			return &DigestMismatchError{Algorithm: "os_hash_value (" + img.OSHashAlgo + ")", Glance: img.OSHashValue, Local: local}
		}
		verified = true
	}
	if local, ok := got["md5"]; ok && img.Checksum != "" {
		if local != img.Checksum {
			return &DigestMismatchError{Algorithm: "checksum (md5)", Glance: img.Checksum, Local: local}
		}
		verified = true
	}
	if !verified {
		return fmt.Errorf("image %s reports no os_hash_value or checksum to verify the data against", img.ID)
	}
	return nil
}

// HashAlgorithm is the os_hash_algo this cloud uses, as learned from the images the client
// has read; Glance's default, sha512, until one was seen.
func (c *Client) HashAlgorithm() string {
	if a, ok := c.hashAlgo.Load().(string); ok && a != "" {
		return a
	}
	return "sha512"
}

// noteImage learns the cloud's hash algorithm from an image Glance returned.
func (c *Client) noteImage(img *Image) {
	if img != nil && img.OSHashAlgo != "" {
		if _, err := newHash(img.OSHashAlgo); err == nil {
			c.hashAlgo.Store(img.OSHashAlgo)
		}
	}
}
