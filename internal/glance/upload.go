package glance

import (
	"context"
	"errors"
	"fmt"
)

// UploadOptions shape UploadImage.
type UploadOptions struct {
	// Store sends X-Image-Meta-Store, choosing the store the data lands in.
	Store string
	// Decompress is one of DecompressModes; "" means "none".
	Decompress string
	// Checksum is the expected digest of the (decompressed) data, "<algorithm>:<hex>" as
	// ParseChecksum reads it; "" expects nothing.
	Checksum string
	// DiskFormat is the image's disk_format: the data must be of that format and safe
	// (TransferOptions.DiskFormat); "" does not inspect the data.
	DiskFormat string
}

// UploadResult is what UploadImage leaves: the active, verified image and the digests of the
// data that was sent.
type UploadResult struct {
	Image   *Image
	Bytes   int64
	Digests Digests
}

// WaitError says that an image whose data was sent did not become active.
type WaitError struct {
	ImageID string
	Err     error
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("image %s did not become active: %s", e.ImageID, e.Err)
}

func (e *WaitError) Unwrap() error { return e.Err }

// VerificationError says that an active image's data could not be shown to be the data that
// was sent: Glance's digests differ (Err is then a *DigestMismatchError), or they could not be
// compared.
type VerificationError struct {
	ImageID string
	Err     error
}

func (e *VerificationError) Error() string {
	return fmt.Sprintf("the data of image %s does not match what was sent: %s", e.ImageID, e.Err)
}

func (e *VerificationError) Unwrap() error { return e.Err }

// UploadImage puts src into image id and makes sure Glance holds exactly that data: it streams
// the source (Upload, with its retries), checks opts.Checksum, waits for the image to become
// active and verifies Glance's os_hash_value and checksum against the digests of the data sent.
// When Glance used a hash algorithm that was not computed while sending, it reads the source
// a second time to verify with that one.
//
// Errors: a *ChecksumMismatchError, a *WaitError, a *VerificationError, or the error of the
// transfer itself. The image is left as it is; deleting it after a failure is the caller's call.
func (c *Client) UploadImage(ctx context.Context, id string, src Source, opts UploadOptions) (*UploadResult, error) {
	var wantAlgo, wantDigest string
	if opts.Checksum != "" {
		var err error
		if wantAlgo, wantDigest, err = ParseChecksum(opts.Checksum); err != nil {
			return nil, err
		}
	}
	topts := TransferOptions{Store: opts.Store, Decompress: opts.Decompress, DiskFormat: opts.DiskFormat}
	if wantAlgo != "" {
		topts.Algorithms = []string{wantAlgo}
	}
	res, err := c.Upload(ctx, id, src, topts)
	if err != nil {
		return nil, err
	}
	if wantDigest != "" && res.Digests[wantAlgo] != wantDigest {
		return nil, &ChecksumMismatchError{ImageID: id, Algorithm: wantAlgo, Expected: wantDigest, Actual: res.Digests[wantAlgo], Source: "the data read from " + src.String()}
	}
	c.log.Info(ctx, "Waiting for the image to become active", map[string]any{"image_id": id})
	img, err := c.WaitForImage(ctx, id, ActiveImage)
	if err != nil {
		return nil, &WaitError{ImageID: id, Err: err}
	}
	if err := c.verifyUpload(ctx, img, src, opts.Decompress, res.Digests); err != nil {
		return nil, &VerificationError{ImageID: id, Err: err}
	}
	return &UploadResult{Image: img, Bytes: res.Bytes, Digests: res.Digests}, nil
}

// verifyUpload compares the image's digests with those of the data sent, hashing the source
// again when Glance used an algorithm that was not computed (the client learns it for the
// next upload).
func (c *Client) verifyUpload(ctx context.Context, img *Image, src Source, decompress string, sent Digests) error {
	c.log.Info(ctx, "Verifying image data", map[string]any{"image_id": img.ID, "os_hash_algo": img.OSHashAlgo})
	err := VerifyImageDigest(img, sent)
	var unavailable *DigestUnavailableError
	if !errors.As(err, &unavailable) {
		return err
	}
	c.log.Warn(ctx, "Glance uses another hash algorithm than expected; reading the source again to verify",
		map[string]any{"image_id": img.ID, "os_hash_algo": unavailable.Algorithm})
	again, err := HashSource(ctx, src, decompress, []string{unavailable.Algorithm})
	if err != nil {
		return err
	}
	return VerifyImageDigest(img, again.Digests)
}
