package glance

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/md5" //nolint:gosec // Glance's "checksum" is md5; we verify it, we do not rely on it
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// DecompressModes are the values of TransferOptions.Decompress. "none" (or "") sends the
// bytes as they are; "auto" recognises gzip, bzip2, xz and zstd by their magic bytes and
// passes anything else through unchanged.
var DecompressModes = []string{"none", "auto", "gzip", "bzip2", "xz", "zstd"}

// HashAlgorithms are the digests the pipeline can compute in the same pass as the upload.
var HashAlgorithms = []string{"md5", "sha256", "sha512"}

// Digests maps an algorithm of HashAlgorithms to a lowercase hex digest.
type Digests map[string]string

// TransferOptions shape an upload or a stage.
type TransferOptions struct {
	// Store sends X-Image-Meta-Store, choosing the store the data lands in.
	Store string
	// Decompress is one of DecompressModes; "" means "none".
	Decompress string
	// Algorithms are computed in the same pass, in addition to the cloud's os_hash_algo.
	Algorithms []string
	// DiskFormat, when set, guards the stream (inspect.go): data of another format, or unsafe
	// data, stops the transfer with a *FormatError before its last byte is sent.
	DiskFormat string
}

// TransferResult is what one pass over a source produced.
type TransferResult struct {
	// Bytes is the number of bytes sent (after decompression).
	Bytes   int64
	Digests Digests
}

// ParseChecksum splits an expected digest "sha256:<hex>", "sha512:<hex>" or "md5:<hex>" and
// checks the hex length.
func ParseChecksum(s string) (algorithm, hexDigest string, err error) {
	algo, digest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return "", "", fmt.Errorf("%q is not of the form <algorithm>:<hex digest>, for example sha256:9f86d0…", s)
	}
	algo = strings.ToLower(algo)
	want := map[string]int{"md5": 32, "sha256": 64, "sha512": 128}[algo]
	if want == 0 {
		return "", "", fmt.Errorf("checksum algorithm %q is not supported; use one of %s", algo, strings.Join(HashAlgorithms, ", "))
	}
	digest = strings.ToLower(digest)
	if len(digest) != want {
		return "", "", fmt.Errorf("a %s digest has %d hex digits, %q has %d", algo, want, digest, len(digest))
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return "", "", fmt.Errorf("digest %q is not hexadecimal", digest)
	}
	return algo, digest, nil
}

func newHash(algo string) (hash.Hash, error) {
	switch algo {
	case "md5":
		return md5.New(), nil //nolint:gosec // see import
	case "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported hash algorithm %q", algo)
}

// errPermanent marks source errors a retry cannot fix (a corrupt archive, a vanished file).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// decompressor wraps r according to mode. The returned closer releases decoder resources.
func decompressor(mode string, r io.Reader) (io.Reader, func(), error) {
	noop := func() {}
	if mode == "auto" {
		br := bufio.NewReaderSize(r, 64<<10)
		magic, _ := br.Peek(6)
		mode = sniffCompression(magic)
		r = br
	}
	switch mode {
	case "", "none":
		return r, noop, nil
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, noop, fmt.Errorf("the data is not gzip (decompress = \"gzip\"): %w", err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case "bzip2":
		return bzip2.NewReader(r), noop, nil
	case "xz":
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, noop, fmt.Errorf("the data is not xz (decompress = \"xz\"): %w", err)
		}
		return xr, noop, nil
	case "zstd":
		// One decoder goroutine and low-memory mode keep the pipeline's memory flat.
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, noop, fmt.Errorf("the data is not zstd (decompress = \"zstd\"): %w", err)
		}
		return zr, zr.Close, nil
	}
	return nil, noop, fmt.Errorf("unknown decompression %q; use one of %s", mode, strings.Join(DecompressModes, ", "))
}

// sniffCompression names the compression whose magic bytes start b, or "none".
func sniffCompression(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(b, []byte("BZh")):
		return "bzip2"
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	}
	return "none"
}

// chunkSize is the unit the pipeline reads and hashes in; queueDepth chunks may wait for
// each hasher, so memory stays under (queueDepth+2) * chunkSize per algorithm.
const (
	chunkSize  = 256 << 10
	queueDepth = 8
)

var chunkPool = sync.Pool{New: func() any { return &chunk{buf: make([]byte, chunkSize)} }}

type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

func (c *chunk) release() {
	if c.refs.Add(-1) == 0 {
		chunkPool.Put(c)
	}
}

// hashingReader reads its source in chunks and hands each chunk to one goroutine per
// algorithm, so hashing runs beside the upload instead of in its way. Bytes are counted as
// they are read; nothing is kept once every consumer is done with a chunk.
type hashingReader struct {
	src     io.Reader
	cur     *chunk
	off     int
	queues  []chan *chunk
	hashes  map[string]hash.Hash
	wg      sync.WaitGroup
	bytes   atomic.Int64
	err     error // sticky source error
	eof     bool
	stopped bool
}

func newHashingReader(src io.Reader, algorithms []string) (*hashingReader, error) {
	h := &hashingReader{src: src, hashes: map[string]hash.Hash{}}
	for _, a := range algorithms {
		if _, dup := h.hashes[a]; dup {
			continue
		}
		hh, err := newHash(a)
		if err != nil {
			return nil, err
		}
		h.hashes[a] = hh
		q := make(chan *chunk, queueDepth)
		h.queues = append(h.queues, q)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for c := range q {
				hh.Write(c.buf[:c.n])
				c.release()
			}
		}()
	}
	return h, nil
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.cur == nil || h.off == h.cur.n {
		if h.cur != nil {
			h.cur.release()
			h.cur = nil
		}
		if h.err != nil {
			return 0, h.err
		}
		if h.eof {
			return 0, io.EOF
		}
		if err := h.fill(); err != nil && h.cur == nil {
			return 0, err
		}
	}
	n := copy(p, h.cur.buf[h.off:h.cur.n])
	h.off += n
	return n, nil
}

// WriteTo hands whole chunks to w (the HTTP transport, through io.Copy), saving the copy
// into a caller's buffer that Read needs.
func (h *hashingReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if h.cur == nil || h.off == h.cur.n {
			if h.cur != nil {
				h.cur.release()
				h.cur = nil
			}
			if h.err != nil {
				return total, h.err
			}
			if h.eof {
				return total, nil
			}
			if err := h.fill(); err != nil && h.cur == nil {
				if errors.Is(err, io.EOF) {
					return total, nil
				}
				return total, err
			}
		}
		n, err := w.Write(h.cur.buf[h.off:h.cur.n])
		h.off += n
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// fill reads the next chunk and dispatches it to the hashers.
func (h *hashingReader) fill() error {
	c, _ := chunkPool.Get().(*chunk) // the pool only holds *chunk
	n, err := readChunk(h.src, c.buf)
	switch {
	case errors.Is(err, io.EOF):
		h.eof = true
	case errors.Is(err, io.ErrUnexpectedEOF):
		// A download cut off before its Content-Length or last chunk, or a compressed stream
		// that stops mid-way: taken as the end, the cut data would become the whole image.
		h.err = fmt.Errorf("the data ended early, after %d bytes (a download cut off, or a truncated compressed file): %w", h.bytes.Load()+int64(n), err)
	case err != nil:
		h.err = err
	}
	if n == 0 {
		chunkPool.Put(c)
		if h.err != nil {
			return h.err
		}
		return io.EOF
	}
	c.n = n
	c.refs.Store(int32(len(h.queues) + 1))
	for _, q := range h.queues {
		q <- c
	}
	h.cur, h.off = c, 0
	h.bytes.Add(int64(n))
	return nil
}

// readChunk fills buf from r like io.ReadFull, but keeps the reader's own error: io.EOF is
// the clean end, and io.ErrUnexpectedEOF from the reader means the data was cut short (where
// io.ReadFull would report a short last chunk the same way).
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// finish stops the hashers and returns the digests; complete is false when the source was
// not read to its end (then the digests describe a prefix and must not be used).
func (h *hashingReader) finish() (Digests, bool) {
	complete := h.eof && h.err == nil && (h.cur == nil || h.off == h.cur.n)
	h.stop()
	d := Digests{}
	for a, hh := range h.hashes {
		d[a] = hex.EncodeToString(hh.Sum(nil))
	}
	return d, complete
}

// stop closes the hash queues and waits for the hashers; safe to call twice.
func (h *hashingReader) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	if h.cur != nil {
		h.cur.release()
		h.cur = nil
	}
	for _, q := range h.queues {
		close(q)
	}
	h.wg.Wait()
}

// pipeline is one pass over a source: open → decompress → hash and count.
type pipeline struct {
	*hashingReader
	closeSrc   func() error
	closeDec   func()
	size       int64 // bytes the reader will yield, or -1
	sourceSize int64
}

func openPipeline(ctx context.Context, src Source, decompress string, algorithms []string) (*pipeline, error) {
	rc, size, err := src.Open(ctx)
	if err != nil {
		return nil, err
	}
	dec, closeDec, err := decompressor(decompress, rc)
	if err != nil {
		_ = rc.Close()
		return nil, &permanentError{fmt.Errorf("%s: %w", src, err)}
	}
	hr, err := newHashingReader(&sourceErrReader{r: dec, src: src, decompressing: decompress != "" && decompress != "none"}, algorithms)
	if err != nil {
		closeDec()
		_ = rc.Close()
		return nil, err
	}
	p := &pipeline{hashingReader: hr, closeSrc: rc.Close, closeDec: closeDec, sourceSize: size, size: -1}
	if decompress == "" || decompress == "none" {
		p.size = size
	}
	return p, nil
}

// Close stops the hashers and releases the source.
func (p *pipeline) Close() error {
	p.stop()
	p.closeDec()
	return p.closeSrc()
}

// sourceErrReader names the source in read errors and marks decompression errors permanent.
type sourceErrReader struct {
	r             io.Reader
	src           Source
	decompressing bool
}

func (s *sourceErrReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &sourceError{src: s.src.String(), err: err, permanent: s.decompressing}
	}
	return n, err
}

// sourceError is a failure to read the image data (as opposed to a failure to send it).
type sourceError struct {
	src       string
	err       error
	permanent bool
}

func (e *sourceError) Error() string { return "reading " + e.src + ": " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// HashSource reads src once through the same pipeline as an upload, without sending it: the
// provider uses it to tell whether a file's content changed.
func HashSource(ctx context.Context, src Source, decompress string, algorithms []string) (*TransferResult, error) {
	p, err := openPipeline(ctx, src, decompress, algorithms)
	if err != nil {
		return nil, err
	}
	defer func() { _ = p.Close() }()
	if _, err := io.Copy(io.Discard, readerWithContext(ctx, p)); err != nil {
		return nil, err
	}
	d, complete := p.finish()
	if !complete {
		return nil, fmt.Errorf("reading %s stopped before its end", src)
	}
	return &TransferResult{Bytes: p.bytes.Load(), Digests: d}, nil
}

// readerWithContext stops a long read when ctx is cancelled.
func readerWithContext(ctx context.Context, r io.Reader) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return r.Read(p)
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// neededAlgorithms is the cloud's algorithm plus the caller's, without duplicates.
func neededAlgorithms(cloud string, extra []string) []string {
	out := []string{cloud}
	for _, a := range extra {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// progressLogger logs a transfer's progress every interval until stop is called.
func (c *Client) progressLogger(ctx context.Context, what, imageID string, total int64, count func() int64) (stop func()) {
	const interval = 5 * time.Second
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				c.log.Info(ctx, what+" in progress", progressFields(imageID, count(), total, time.Since(start)))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func progressFields(imageID string, n, total int64, elapsed time.Duration) map[string]any {
	// Byte counts as text: Terraform's log would print large numbers as 1.6e+09.
	f := map[string]any{"image_id": imageID, "bytes": strconv.FormatInt(n, 10)}
	secs := elapsed.Seconds()
	if secs > 0 {
		rate := float64(n) / secs
		f["mb_per_s"] = fmt.Sprintf("%.1f", rate/1e6)
		if total > 0 && rate > 0 {
			f["total"] = strconv.FormatInt(total, 10)
			f["percent"] = fmt.Sprintf("%.1f", 100*float64(n)/float64(total))
			f["eta_s"] = int((float64(total-n) / rate) + 0.5)
		}
	}
	return f
}
