package glance

import (
	"errors"
	"fmt"
)

// Typed errors of the import workflows (Import, UpdateCopies, DeleteCopies, ImportPrecondition).
// Callers tell them apart with errors.As or the Is… predicates, never by their text.

// ImageReadError is a failed read of the image an import works on. IsNotFound(err) holds when
// the image does not exist or is not visible.
type ImageReadError struct {
	ImageID string
	Err     error
}

func (e *ImageReadError) Error() string { return fmt.Sprintf("reading image %s: %v", e.ImageID, e.Err) }
func (e *ImageReadError) Unwrap() error { return e.Err }

// ImageStateProblem says why an image's status does not allow an import.
type ImageStateProblem int

const (
	// ImageNotActive: copy-image copies the data of an active image only.
	ImageNotActive ImageStateProblem = iota + 1
	// ImageHasStagedData: the image is uploading (data staged, or being staged, and not imported).
	ImageHasStagedData
	// ImageBusy: another upload or import is running on the image.
	ImageBusy
	// ImageHasData: the image already has data; Glance imports only into a queued image.
	ImageHasData
)

// ImageStateError is an import refused before anything was sent, because of the image's status.
type ImageStateError struct {
	ImageID string
	Method  string
	Status  string
	Problem ImageStateProblem
}

func (e *ImageStateError) Error() string {
	what := map[ImageStateProblem]string{
		ImageNotActive:     "is not active",
		ImageHasStagedData: "has staged data",
		ImageBusy:          "is busy with another upload or import",
		ImageHasData:       "already has data",
	}[e.Problem]
	return fmt.Sprintf("cannot run a %s import: image %s %s (status %s)", e.Method, e.ImageID, what, e.Status)
}

func imageStateIs(err error, p ImageStateProblem) bool {
	var e *ImageStateError
	return errors.As(err, &e) && e.Problem == p
}

// IsImageHasData reports an import refused because the image already has data.
func IsImageHasData(err error) bool { return imageStateIs(err, ImageHasData) }

// IsStagedDataPresent reports an import refused because data is staged in the image (uploading).
func IsStagedDataPresent(err error) bool { return imageStateIs(err, ImageHasStagedData) }

// IsImageBusy reports an import refused because another upload or import runs on the image.
func IsImageBusy(err error) bool { return imageStateIs(err, ImageBusy) }

// IsImageNotActive reports a copy refused because the image is not active.
func IsImageNotActive(err error) bool { return imageStateIs(err, ImageNotActive) }

// StageError is a failed stage of a glance-direct import: nothing was imported. Status is the
// image's status read after a stage refused for its checksum ("" when not read).
type StageError struct {
	ImageID string
	File    string
	Status  string
	Err     error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("staging %s for image %s: %v", e.File, e.ImageID, e.Err)
}
func (e *StageError) Unwrap() error { return e.Err }

// InvalidChecksumError is an expected checksum that is not "ALGORITHM:HEX".
type InvalidChecksumError struct{ Err error }

func (e *InvalidChecksumError) Error() string { return e.Err.Error() }
func (e *InvalidChecksumError) Unwrap() error { return e.Err }

// ChecksumMismatchError says that an image's data does not have the expected digest. Source
// names where the actual digest comes from (the staged file's, os_hash_value, md5 checksum).
type ChecksumMismatchError struct {
	ImageID   string
	Algorithm string
	Expected  string
	Actual    string
	Source    string
}

func (e *ChecksumMismatchError) Error() string {
	return fmt.Sprintf("the data of image %s does not match checksum: expected %s:%s, %s is %s", e.ImageID, e.Algorithm, e.Expected, e.Source, e.Actual)
}

// UnverifiedChecksum says that an expected checksum could not be compared: Glance reports
// digests for CloudAlgorithm (os_hash_algo, "none" when unset) and md5 only.
type UnverifiedChecksum struct {
	ImageID        string
	Algorithm      string
	CloudAlgorithm string
}

// VerifyFileError is a file that could not be read to verify an import an earlier run left.
type VerifyFileError struct {
	ImageID string
	File    string
	Err     error
}

func (e *VerifyFileError) Error() string {
	return fmt.Sprintf("reading %s to verify the import into image %s: %v", e.File, e.ImageID, e.Err)
}
func (e *VerifyFileError) Unwrap() error { return e.Err }

// WrongDataError is an import whose data failed verification after Glance made the image
// active. Err is the mismatch (*ChecksumMismatchError, *DigestMismatchError or
// *ExpectedDigestError). The image was deactivated so that no server boots from it, unless
// DeactivateErr says why not.
type WrongDataError struct {
	ImageID       string
	Err           error
	DeactivateErr error
}

func (e *WrongDataError) Error() string {
	return fmt.Sprintf("image %s holds data that failed verification: %v", e.ImageID, e.Err)
}
func (e *WrongDataError) Unwrap() error { return e.Err }

// StoreDeleteError is a failed deletion of an image's data from one store.
type StoreDeleteError struct {
	ImageID string
	Store   string
	Err     error
}

func (e *StoreDeleteError) Error() string {
	return fmt.Sprintf("deleting image %s's data from store %s: %v", e.ImageID, e.Store, e.Err)
}
func (e *StoreDeleteError) Unwrap() error { return e.Err }
