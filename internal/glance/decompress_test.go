package glance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

func TestDecompress_roundTrip(t *testing.T) {
	data := sampleData()
	for _, format := range []string{"gzip", "bzip2", "xz", "zstd"} {
		t.Run(format, func(t *testing.T) {
			rc, err := Decompress(format, bytes.NewReader(compressed(t, format, data)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes (want %d), err %v", len(got), len(data), err)
			}
			if err := rc.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The decoders would read a file 4 KiB (gzip) or 8 KiB (xz) at a time, a system call each: the
// compressed source is read in compressedReadSize blocks instead.
func TestDecompress_readsTheSourceInLargeBlocks(t *testing.T) {
	for _, format := range []string{"gzip", "bzip2", "xz", "zstd", "auto"} {
		t.Run(format, func(t *testing.T) {
			codec, data := format, bytes.Repeat(sampleData(), 8)
			switch format {
			case "auto":
				codec = "gzip"
			case "bzip2":
				data = sampleData() // testdata/sample.bin.bz2
			}
			packed := compressed(t, codec, data)
			src := &readCounter{r: bytes.NewReader(packed)}
			rc, err := Decompress(format, src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes (want %d), err %v", len(got), len(data), err)
			}
			if most := len(packed)/compressedReadSize + 2; src.reads > most {
				t.Fatalf("%d reads of a %d-byte source, want at most %d", src.reads, len(packed), most)
			}
		})
	}
}

type readCounter struct {
	r     io.Reader
	reads int
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// Concatenated streams (pbzip2, pigz, several `xz` runs appended) decode as one.
func TestDecompress_concatenatedStreams(t *testing.T) {
	data := sampleData()
	for _, format := range []string{"gzip", "bzip2", "xz", "zstd"} {
		t.Run(format, func(t *testing.T) {
			one := compressed(t, format, data)
			rc, err := Decompress(format, bytes.NewReader(append(append([]byte{}, one...), one...)))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = rc.Close() }()
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, append(append([]byte{}, data...), data...)) {
				t.Fatalf("got %d bytes (want %d), err %v", len(got), 2*len(data), err)
			}
		})
	}
}

func TestDecompress_notThatFormat(t *testing.T) {
	for _, format := range []string{"gzip", "bzip2", "xz", "zstd"} {
		t.Run(format, func(t *testing.T) {
			rc, err := Decompress(format, strings.NewReader("plain text, not compressed at all"))
			if err == nil {
				_, err = io.ReadAll(rc)
			}
			if err == nil {
				t.Fatal("want an error for data that is not " + format)
			}
		})
	}
}

// An xz header that declares a dictionary above XZDictionaryLimit is refused before the
// decoder allocates it.
func TestDecompress_xzDictionaryLimit(t *testing.T) {
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 2 * XZDictionaryLimit}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("a small payload under a huge dictionary"))
	_ = w.Close()
	rc, err := Decompress("xz", &buf)
	if err == nil {
		_, err = io.ReadAll(rc)
	}
	var le *DecompressLimitError
	if !errors.As(err, &le) || le.Format != "xz" || !IsDecompressLimit(err) || !strings.Contains(err.Error(), "64 MiB") {
		t.Fatalf("want a *DecompressLimitError for xz, got %v", err)
	}
}

// A zstd frame whose window is above ZstdWindowLimit is refused.
func TestDecompress_zstdWindowLimit(t *testing.T) {
	// magic, descriptor (no content size, not single-segment), window 2^(10+18) = 256 MiB,
	// then an empty last raw block.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 18 << 3, 0x01, 0x00, 0x00}
	rc, err := Decompress("zstd", bytes.NewReader(frame))
	if err == nil {
		_, err = io.ReadAll(rc)
		_ = rc.Close()
	}
	var le *DecompressLimitError
	if !errors.As(err, &le) || le.Format != "zstd" {
		t.Fatalf("want a *DecompressLimitError for zstd, got %v", err)
	}
	// The same frame with a 2 MiB window decodes (to nothing).
	frame[5] = 11 << 3
	rc, err = Decompress("zstd", bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || len(got) != 0 {
		t.Fatalf("%q %v", got, err)
	}
	_ = rc.Close()
}

// Through the pipeline the limit is a permanent source error naming the source, not a retry.
func TestHashSource_decompressLimitIsPermanent(t *testing.T) {
	var buf bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 2 * XZDictionaryLimit}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("payload"))
	_ = w.Close()
	_, err = HashSource(context.Background(), &bytesSource{data: buf.Bytes()}, "xz", []string{"sha512"})
	if !IsDecompressLimit(err) || retryableTransferError(err) {
		t.Fatalf("want a permanent limit error, got %v (retryable %v)", err, retryableTransferError(err))
	}
}

// A source file is decoded on the producer goroutine in chunkSize pieces: a multi-chunk file
// comes through whole, and closing the pipeline half-way stops the producer.
func TestPipeline_producerStopsOnClose(t *testing.T) {
	f := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(f, bytes.Repeat([]byte{7}, 5*chunkSize+123), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := HashSource(context.Background(), FileSource(f), "none", []string{"sha256"})
	if err != nil || res.Bytes != 5*chunkSize+123 {
		t.Fatalf("%v %v", res, err)
	}
	p, err := openPipeline(context.Background(), FileSource(f), "none", []string{"sha512"})
	if err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 10)
	if _, err := p.Read(one); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.producer.inline == nil {
		t.Fatal("plain data is read inline, without a producer goroutine")
	}
	if err := p.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
	// Decompressed data goes through the producer goroutine, which Close stops half-way.
	gz := filepath.Join(t.TempDir(), "big.gz")
	if err := os.WriteFile(gz, compressed(t, "gzip", bytes.Repeat(sampleData(), 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = openPipeline(context.Background(), FileSource(gz), "gzip", []string{"sha512"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(one); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.producer.done:
	default:
		t.Fatal("the producer goroutine still runs after Close")
	}
}
