package glance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// storeAs is an onUpload hook that stores the body as a fake Glance would, then lets change
// alter the image (its status, algorithm or hash) before answering 204.
func storeAs(f *fakeGlance, change func(body []byte)) func(int, http.ResponseWriter, *http.Request) bool {
	return func(_ int, w http.ResponseWriter, r *http.Request) bool {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.status, f.algo, f.hash = StatusActive, "sha512", sha512Hex(body)
		change(body)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return true
	}
}

func TestUploadImage_verifiesAndReturnsTheActiveImage(t *testing.T) {
	data := sampleData()
	f := &fakeGlance{}
	c, _ := newDataTestClient(t, f)
	src := &bytesSource{data: data}
	res, err := c.UploadImage(context.Background(), "img", src, UploadOptions{Store: "slow", Checksum: "SHA256:" + strings.ToUpper(sha256Hex(data))})
	if err != nil {
		t.Fatal(err)
	}
	if res.Image.Status != StatusActive || res.Image.OSHashValue != sha512Hex(data) || res.Bytes != int64(len(data)) ||
		res.Digests["sha256"] != sha256Hex(data) || f.store != "slow" || src.opens.Load() != 1 {
		t.Fatalf("result %+v image %+v store %q opens %d", res, res.Image, f.store, src.opens.Load())
	}
}

func TestUploadImage_checksumMismatch(t *testing.T) {
	data := sampleData()
	f := &fakeGlance{}
	c, _ := newDataTestClient(t, f)
	want := strings.Repeat("0", 64)
	_, err := c.UploadImage(context.Background(), "img", &bytesSource{data: data}, UploadOptions{Checksum: "sha256:" + want})
	var mm *ChecksumMismatchError
	if !errors.As(err, &mm) || mm.Algorithm != "sha256" || mm.Actual != sha256Hex(data) || mm.Expected != want || mm.Source != "the data read from test data" || mm.ImageID != "img" {
		t.Fatalf("err = %#v, want a *ChecksumMismatchError", err)
	}
}

func TestUploadImage_invalidChecksumSendsNothing(t *testing.T) {
	f := &fakeGlance{}
	c, _ := newDataTestClient(t, f)
	if _, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{Checksum: "sha256:abc"}); err == nil || f.attempts != 0 {
		t.Fatalf("err = %v, attempts = %d; want an error before any upload", err, f.attempts)
	}
}

func TestUploadImage_wrongOSHashValue(t *testing.T) {
	f := &fakeGlance{}
	f.onUpload = storeAs(f, func([]byte) { f.hash = strings.Repeat("a", 128) })
	c, _ := newDataTestClient(t, f)
	_, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{})
	var ve *VerificationError
	var dm *DigestMismatchError
	if !errors.As(err, &ve) || !errors.As(err, &dm) || dm.Glance != f.hash || ve.ImageID != "img" {
		t.Fatalf("err = %v, want a *VerificationError wrapping a *DigestMismatchError", err)
	}
}

func TestUploadImage_killed(t *testing.T) {
	f := &fakeGlance{}
	f.onUpload = storeAs(f, func([]byte) { f.status = StatusKilled })
	c, _ := newDataTestClient(t, f)
	_, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{})
	var we *WaitError
	if !errors.As(err, &we) || !strings.Contains(we.Err.Error(), "killed") || f.attempts != 1 {
		t.Fatalf("err = %v attempts = %d, want a *WaitError saying killed after one upload", err, f.attempts)
	}
}

// TestUploadImage_otherHashAlgorithmIsVerifiedByReading: the cloud hashes with sha256 while
// the client expected sha512; the source is read again to verify, and the client learns it.
func TestUploadImage_otherHashAlgorithmIsVerifiedByReading(t *testing.T) {
	data := sampleData()
	f := &fakeGlance{}
	f.onUpload = storeAs(f, func(body []byte) { f.algo, f.hash = "sha256", sha256Hex(body) })
	c, _ := newDataTestClient(t, f)
	src := &bytesSource{data: data}
	res, err := c.UploadImage(context.Background(), "img", src, UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if src.opens.Load() != 2 || res.Image.OSHashAlgo != "sha256" || c.HashAlgorithm() != "sha256" {
		t.Fatalf("opens = %d image %+v algorithm %s; want a second read and sha256 learned", src.opens.Load(), res.Image, c.HashAlgorithm())
	}
}

func TestUploadImage_otherHashAlgorithmMismatch(t *testing.T) {
	f := &fakeGlance{}
	f.onUpload = storeAs(f, func([]byte) { f.algo, f.hash = "sha256", strings.Repeat("b", 64) })
	c, _ := newDataTestClient(t, f)
	_, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{})
	var ve *VerificationError
	var dm *DigestMismatchError
	if !errors.As(err, &ve) || !errors.As(err, &dm) {
		t.Fatalf("err = %v, want a *VerificationError wrapping a *DigestMismatchError", err)
	}
}

func TestUploadImage_503IsRetried(t *testing.T) {
	f := &fakeGlance{onUpload: func(attempt int, w http.ResponseWriter, _ *http.Request) bool {
		if attempt == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}}
	c, _ := newDataTestClient(t, f)
	res, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{})
	if err != nil || f.attempts != 2 || res.Image.Status != StatusActive {
		t.Fatalf("err = %v attempts = %d", err, f.attempts)
	}
}

func TestUploadImage_persistentTransferErrorIsReturnedAsIs(t *testing.T) {
	f := &fakeGlance{onUpload: func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}}
	c, _ := newDataTestClient(t, f)
	_, err := c.UploadImage(context.Background(), "img", &bytesSource{data: sampleData()}, UploadOptions{})
	var ge *Error
	var we *WaitError
	var ve *VerificationError
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusServiceUnavailable || errors.As(err, &we) || errors.As(err, &ve) {
		t.Fatalf("err = %v, want the transfer's HTTP 503", err)
	}
	if f.attempts != 1+c.maxRetries {
		t.Fatalf("attempts = %d, want %d", f.attempts, 1+c.maxRetries)
	}
}
