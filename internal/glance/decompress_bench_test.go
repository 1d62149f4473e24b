package glance

import (
	"bufio"
	stdbzip2 "compress/bzip2"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// BenchmarkDecompress compares the decoder each format uses with the alternatives at hand on
// a disk-like image compressed by the C tools: GLANCE_BENCH_IMAGE names the uncompressed file,
// and <file>.gz, .bz2, .xz and .zst must exist beside it (scripts/bench.sh makes them). MB/s is
// output bytes per second of one goroutine's decoding. The parallel decoders run last, at 1, 2
// and GOMAXPROCS workers (MB/s of wall time), on the .bz2 file and on <file>.txz, the image
// compressed by `xz -T0` (multi-block); a missing file skips its cases.
func BenchmarkDecompress(b *testing.B) {
	img := os.Getenv("GLANCE_BENCH_IMAGE")
	if img == "" {
		b.Skip("GLANCE_BENCH_IMAGE is not set")
	}
	st, err := os.Stat(img)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, ext string
		open      func(io.Reader) (io.Reader, error)
	}{
		{"gzip/klauspost", ".gz", func(r io.Reader) (io.Reader, error) { return decompressor("gzip", r) }},
		{"gzip/stdlib", ".gz", func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) }},
		{"bzip2/dsnet", ".bz2", func(r io.Reader) (io.Reader, error) { return decompressor("bzip2", r) }},
		{"bzip2/stdlib", ".bz2", func(r io.Reader) (io.Reader, error) { return stdbzip2.NewReader(r), nil }},
		{"xz/therootcompany", ".xz", func(r io.Reader) (io.Reader, error) { return decompressor("xz", r) }},
		{"xz/ulikunitz", ".xz", func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }},
		{"zstd/one-goroutine", ".zst", func(r io.Reader) (io.Reader, error) { return decompressor("zstd", r) }},
		{"zstd/default-options", ".zst", func(r io.Reader) (io.Reader, error) { return zstd.NewReader(r) }},
	}
	for _, w := range slices.Compact([]int{1, 2, max(2, runtime.GOMAXPROCS(0))}) {
		cases = append(cases, []struct {
			name, ext string
			open      func(io.Reader) (io.Reader, error)
		}{
			{fmt.Sprintf("xz-T0/parallel-%d", w), ".txz", func(r io.Reader) (io.Reader, error) { return decompressorWorkers("xz", r, w) }},
			{fmt.Sprintf("bzip2-blocks/parallel-%d", w), ".bz2", func(r io.Reader) (io.Reader, error) { return decompressorWorkers("bzip2", r, w) }},
		}...)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(st.Size())
			buf := make([]byte, chunkSize)
			for range b.N {
				f, err := os.Open(img + c.ext)
				if err != nil {
					b.Skip(err)
				}
				d, err := c.open(bufio.NewReaderSize(f, 256<<10))
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{d}, buf)
				if err != nil || n != st.Size() {
					b.Fatalf("%d bytes, %v", n, err)
				}
				if cl, ok := d.(io.Closer); ok {
					_ = cl.Close()
				}
				_ = f.Close()
			}
		})
	}
}
