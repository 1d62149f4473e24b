package glance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/therootcompany/xz"
)

// The decoders, chosen by a benchmark on disk-like data (text, binaries, zero runs, random
// parts; compressed by the C tools at their default levels). Output MB per CPU-second on the
// reference 2-core machine, with the C tool for comparison:
//
//	gzip   klauspost/compress/gzip 283   compress/gzip 206   gzip -dc 202
//	bzip2  dsnet/compress/bzip2     24   compress/bzip2 13   bzip2 -dc 26
//	xz     therootcompany/xz        63   ulikunitz/xz 39     xz -dc 90
//	zstd   klauspost zstd, one goroutine 910 (default options 777)   zstd -dc 866
//
// Memory per format stays bounded whatever a header claims: gzip ~40 KiB of decoder state,
// bzip2 ~10 MiB (a 900 kB block and its transform tables), xz the LZMA2 dictionary the
// stream declares (8 MiB at xz's default level), refused above XZDictionaryLimit, zstd the
// frame's window (2-8 MiB at zstd's default levels), refused above ZstdWindowLimit.
//
// With more than one decode worker (defaultDecodeWorkers: GOMAXPROCS-1, up to 4; a 2-core
// client keeps the sequential decoders) bzip2 and multi-block xz decode several blocks at
// once (decompress_parallel.go), with the same output and errors, and these bounds for W
// workers:
//
//	bzip2  W decoders of 6.3 MiB (a 900 kB block: its symbols, move-to-front buffer and
//	       BWT vector; one more while a block is re-cut after a false magic) plus, per block
//	       in flight, its compressed bits twice (≤ 2.5 MB each by the format, ~0.5 MB
//	       typical) and 320 KiB of output, and the scanner's window (≤ 2 × 2.75 MB): ~8 MiB
//	       per worker typical, ~12 MiB at worst
//	xz     blocks in flight (at most W) ≤ xzParallelBudget (128 MiB) in all: each one's
//	       dictionary, compressed bytes and up to 32 MiB of output waiting; W decoders each
//	       keep the largest dictionary they met (≤ XZDictionaryLimit). A block that does not
//	       declare its size, or declares more than half the budget, is streamed, never held.
//	       xz -T0 at the default level (24 MiB blocks, 8 MiB dictionary): ~40 MiB per worker.
const (
	// XZDictionaryLimit is the largest LZMA2 dictionary an xz source may declare (xz -9 and
	// xz -e use 64 MiB).
	XZDictionaryLimit = 64 << 20
	// ZstdWindowLimit is the largest window a zstd source may declare (zstd --long uses 128 MiB).
	ZstdWindowLimit = 128 << 20
)

// DecompressModes are the values of TransferOptions.Decompress. "none" (or "") sends the
// bytes as they are; "auto" recognises gzip, bzip2, xz and zstd by their magic bytes and
// passes anything else through unchanged.
var DecompressModes = []string{"none", "auto", "gzip", "bzip2", "xz", "zstd"}

// DecompressLimitError says that compressed data asks for more decoder memory than the
// provider allows.
type DecompressLimitError struct {
	Format string
	What   string // "dictionary" or "window"
	Limit  int64
}

func (e *DecompressLimitError) Error() string {
	return fmt.Sprintf("the %s data declares a %s larger than the %d MiB this provider allows; "+
		"recompress it with a smaller setting (the tools' default levels are well within the limit)", e.Format, e.What, e.Limit>>20)
}

// IsDecompressLimit reports whether err is a *DecompressLimitError.
func IsDecompressLimit(err error) bool {
	var le *DecompressLimitError
	return errors.As(err, &le)
}

// Decompress wraps r according to mode (one of DecompressModes): the reader yields the
// decompressed bytes, and its Close releases the decoder (not r): for a parallel decoder its
// goroutines and the process's one parallel-decoding turn, so it must be called.
func Decompress(mode string, r io.Reader) (io.ReadCloser, error) {
	return decompressor(mode, r)
}

// compressedReadSize is how much of the compressed source one read asks for. The decoders read
// 4 KiB (gzip) or 8 KiB (xz) at a time on their own: a system call each from a file.
const compressedReadSize = 128 << 10

// decompressor wraps r according to mode; the returned Close releases decoder resources.
func decompressor(mode string, r io.Reader) (io.ReadCloser, error) {
	workers := decodeWorkers()
	if workers <= 1 || !parallelDecoding.TryLock() {
		return decompressorWorkers(mode, r, 1)
	}
	rc, err := decompressorWorkers(mode, r, workers)
	if o := orderedOf(rc); err == nil && o != nil {
		o.onClose = parallelDecoding.Unlock
	} else {
		parallelDecoding.Unlock()
	}
	return rc, err
}

// parallelDecoding is held by the one parallel decoder a process runs at a time: uploads
// side by side (terraform -parallelism) already share the cores, and each parallel decoder
// has its own memory budget, so the others decode sequentially.
var parallelDecoding sync.Mutex

// decompressorWorkers is decompressor with the number of blocks bzip2 and multi-block xz
// decode at once (decompress_parallel.go); 1 runs the sequential decoders.
func decompressorWorkers(mode string, r io.Reader, workers int) (io.ReadCloser, error) {
	if mode == "" || mode == "none" {
		return io.NopCloser(r), nil
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, compressedReadSize)
	}
	if mode == "auto" {
		magic, _ := br.Peek(6)
		mode = sniffCompression(magic)
	}
	switch mode {
	case "none":
		return io.NopCloser(br), nil
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("the data is not gzip (decompress = \"gzip\"): %w", err)
		}
		return zr, nil
	case "bzip2":
		if magic, _ := br.Peek(3); !bytes.Equal(magic, []byte("BZh")) {
			return nil, errors.New("the data is not bzip2 (decompress = \"bzip2\"): no BZh header")
		}
		if workers > 1 {
			d := newParallelBzip2(br, workers)
			d.start()
			return d, nil
		}
		zr, err := bzip2.NewReader(br, nil)
		if err != nil {
			return nil, fmt.Errorf("the data is not bzip2 (decompress = \"bzip2\"): %w", err)
		}
		return zr, nil
	case "xz":
		if workers > 1 {
			if magic, _ := br.Peek(6); !bytes.Equal(magic, xzMagic) {
				return nil, fmt.Errorf("the data is not xz (decompress = \"xz\"): %w", xz.ErrFormat)
			}
			if xzFirstBlockSized(br) {
				d := newParallelXZ(br, workers)
				d.start()
				return d, nil
			}
		}
		xr, err := xz.NewReader(br, XZDictionaryLimit)
		if errors.Is(err, xz.ErrMemlimit) {
			return nil, &DecompressLimitError{Format: "xz", What: "dictionary", Limit: XZDictionaryLimit}
		}
		if err != nil {
			return nil, fmt.Errorf("the data is not xz (decompress = \"xz\"): %w", err)
		}
		return io.NopCloser(&xzLimitReader{xr}), nil
	case "zstd":
		// One decoder goroutine: the pipeline already decodes on its own goroutine, and the
		// extra ones cost more CPU (and memory) than they save.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(ZstdWindowLimit),
			zstd.WithDecoderMaxMemory(ZstdWindowLimit*2))
		if err != nil {
			return nil, fmt.Errorf("the data is not zstd (decompress = \"zstd\"): %w", err)
		}
		return &zstdLimitReader{zr}, nil
	}
	return nil, fmt.Errorf("unknown decompression %q; use one of %s", mode, strings.Join(DecompressModes, ", "))
}

// xzLimitReader turns the decoder's memory-limit error into a *DecompressLimitError.
type xzLimitReader struct{ r *xz.Reader }

func (x *xzLimitReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if errors.Is(err, xz.ErrMemlimit) {
		err = &DecompressLimitError{Format: "xz", What: "dictionary", Limit: XZDictionaryLimit}
	}
	return n, err
}

// zstdLimitReader turns the decoder's window errors into a *DecompressLimitError.
type zstdLimitReader struct{ d *zstd.Decoder }

func (z *zstdLimitReader) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		err = &DecompressLimitError{Format: "zstd", What: "window", Limit: ZstdWindowLimit}
	}
	return n, err
}

func (z *zstdLimitReader) Close() error {
	z.d.Close()
	return nil
}

// sniffCompression names the compression whose magic bytes start b, or "none".
func sniffCompression(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "gzip"
	case bytes.HasPrefix(b, []byte("BZh")):
		return "bzip2"
	case bytes.HasPrefix(b, xzMagic):
		return "xz"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	}
	return "none"
}
