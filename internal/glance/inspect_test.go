package glance

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
)

// qcow2Image is a qcow2 version 3 header (with a backing file when backing is set) followed
// by filler, size bytes in all.
func qcow2Image(size int, backing string) []byte {
	b := make([]byte, size)
	copy(b, "QFI\xfb")
	binary.BigEndian.PutUint32(b[4:], 3)
	binary.BigEndian.PutUint32(b[20:], 16)
	binary.BigEndian.PutUint64(b[24:], 1<<30)
	binary.BigEndian.PutUint32(b[100:], 104)
	if backing != "" {
		binary.BigEndian.PutUint64(b[8:], 512)
		binary.BigEndian.PutUint32(b[16:], uint32(len(backing)))
		copy(b[512:], backing)
	}
	for i := 64 << 10; i < size; i++ {
		b[i] = byte(i % 251)
	}
	return b
}

// fixedVHD is raw data of size bytes whose last 512 are a fixed VHD footer.
func fixedVHD(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	footer := b[size-512:]
	clear(footer)
	copy(footer, "conectix")
	binary.BigEndian.PutUint64(footer[48:], uint64(size-512))
	binary.BigEndian.PutUint32(footer[60:], 2)
	return b
}

func rawImage(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i%251) + 1
	}
	return b
}

// receivedWhole reports whether any upload attempt reached the fake Glance complete.
func receivedWhole(f *fakeGlance) bool {
	time.Sleep(50 * time.Millisecond) // let the handler record what it got
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, whole := range f.complete {
		if whole {
			return true
		}
	}
	return f.status == StatusActive
}

func TestUpload_formatGuardStopsAMismatchInTheHead(t *testing.T) {
	data := qcow2Image(12<<20, "")
	f := &fakeGlance{}
	c, _ := newDataTestClient(t, f)
	_, err := c.Upload(context.Background(), "img", &bytesSource{data: data}, TransferOptions{DiskFormat: "raw"})
	var fe *FormatError
	if !errors.As(err, &fe) || !fe.Problem.Mismatch || fe.Problem.Found.Format != diskformat.QCOW2 || fe.AtEnd || !IsFormatError(err) {
		t.Fatalf("err = %v, want a *FormatError for qcow2 data declared raw", err)
	}
	if receivedWhole(f) {
		t.Fatal("Glance received the whole image")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.attempts != 1 || (len(f.bodies) > 0 && f.bodies[0] > int64(diskformat.HeadSize+guardBufSize)) {
		t.Fatalf("attempts %d, bodies %v: want one attempt stopped after the head", f.attempts, f.bodies)
	}
}

func TestUpload_formatGuardStopsAFooterBeforeTheLastByte(t *testing.T) {
	for _, decompress := range []string{"none", "gzip"} {
		t.Run(decompress, func(t *testing.T) {
			data := fixedVHD(6 << 20)
			src := data
			if decompress == "gzip" {
				src = compressed(t, "gzip", data)
			}
			f := &fakeGlance{}
			c, _ := newDataTestClient(t, f)
			_, err := c.Upload(context.Background(), "img", &bytesSource{data: src}, TransferOptions{DiskFormat: "raw", Decompress: decompress})
			var fe *FormatError
			if !errors.As(err, &fe) || !fe.AtEnd || fe.Problem.Found.Format != diskformat.VHD || fe.Problem.Found.Variant != "fixed" {
				t.Fatalf("err = %v, want a *FormatError for a fixed VHD found at the end", err)
			}
			if !strings.Contains(err.Error(), "before its last byte") {
				t.Errorf("message %q does not say the upload was stopped", err)
			}
			if receivedWhole(f) {
				t.Fatal("Glance received the whole image")
			}
		})
	}
}

func TestUpload_formatGuardRefusesUnsafeData(t *testing.T) {
	f := &fakeGlance{}
	c, _ := newDataTestClient(t, f)
	_, err := c.Upload(context.Background(), "img", &bytesSource{data: qcow2Image(1<<20, "/etc/shadow")}, TransferOptions{DiskFormat: "qcow2"})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Problem.Mismatch || !fe.Problem.HasReason(diskformat.ReasonBackingFile) || !strings.Contains(err.Error(), "/etc/shadow") {
		t.Fatalf("err = %v, want an unsafe *FormatError naming the backing file", err)
	}
	if receivedWhole(f) {
		t.Fatal("Glance received the whole image")
	}
}

func TestUpload_formatGuardPassesMatchingData(t *testing.T) {
	cases := map[string]struct {
		data     []byte
		declared string
	}{
		"raw":         {rawImage(5<<20 + 123), "raw"},
		"small raw":   {rawImage(100), "raw"},
		"empty":       {nil, "raw"},
		"qcow2":       {qcow2Image(9<<20, ""), "qcow2"},
		"fixed vhd":   {fixedVHD(2 << 20), "vhd"},
		"unchecked":   {rawImage(1 << 20), "ploop"},
		"small qcow2": {qcow2Image(4096, ""), "qcow2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeGlance{}
			c, _ := newDataTestClient(t, f)
			res, err := c.Upload(context.Background(), "img", &bytesSource{data: tc.data}, TransferOptions{DiskFormat: tc.declared})
			if err != nil {
				t.Fatal(err)
			}
			if res.Bytes != int64(len(tc.data)) || res.Digests["sha512"] != sha512Hex(tc.data) {
				t.Fatalf("sent %d bytes (want %d), digest %s", res.Bytes, len(tc.data), res.Digests["sha512"])
			}
			if len(tc.data) > 0 && f.hash != sha512Hex(tc.data) {
				t.Fatal("Glance did not receive the data as it is")
			}
		})
	}
}

// TestFormatGuard_anyReadSize: the guard passes every byte through in order, whatever sizes
// its reader and its caller use.
func TestFormatGuard_anyReadSize(t *testing.T) {
	data := rawImage(600<<10 + 777)
	for name, r := range map[string]func() io.Reader{
		"one byte source": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"half reads":      func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"whole":           func() io.Reader { return bytes.NewReader(data) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := iotest.TestReader(guardFormat(r(), "raw", "test"), data); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			buf := make([]byte, 7)
			if _, err := io.CopyBuffer(&out, struct{ io.Reader }{guardFormat(r(), "raw", "test")}, buf); err != nil || !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("tiny reads: err %v, %d bytes", err, out.Len())
			}
		})
	}
}

// chunkWriterTo is a source that hands its data to WriteTo in chunks of the given sizes, in
// turn, like the pipeline does.
type chunkWriterTo struct {
	data  []byte
	sizes []int
}

func (c *chunkWriterTo) Read([]byte) (int, error) { panic("the guard must use WriteTo") }

func (c *chunkWriterTo) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := 0; len(c.data) > 0; i++ {
		k := min(c.sizes[i%len(c.sizes)], len(c.data))
		m, err := w.Write(c.data[:k])
		n += int64(m)
		if err != nil {
			return n, err
		}
		c.data = c.data[k:]
	}
	return n, nil
}

// TestFormatGuard_writeTo: through WriteTo the guard passes every byte in order whatever the
// chunk sizes, and a footer found at the end stops the stream before its last TailSize bytes.
func TestFormatGuard_writeTo(t *testing.T) {
	data := rawImage(5<<20 + 777)
	for name, sizes := range map[string][]int{
		"large":   {256 << 10},
		"mixed":   {1, 100, 511, 512, 513, 300 << 10, 3},
		"small":   {7, 200},
		"at tail": {diskformat.TailSize},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := guardFormat(&chunkWriterTo{data: data, sizes: sizes}, "raw", "test").WriteTo(&out)
			if err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("err %v, %d bytes counted, %d written, equal %v", err, n, out.Len(), bytes.Equal(out.Bytes(), data))
			}
		})
	}
	vhd := fixedVHD(6 << 20)
	var out bytes.Buffer
	_, err := guardFormat(&chunkWriterTo{data: vhd, sizes: []int{1, 300 << 10, 513}}, "raw", "test").WriteTo(&out)
	var fe *FormatError
	if !errors.As(err, &fe) || !fe.AtEnd {
		t.Fatalf("err = %v, want a FormatError at the end", err)
	}
	if out.Len() > len(vhd)-diskformat.TailSize || !bytes.Equal(out.Bytes(), vhd[:out.Len()]) {
		t.Fatalf("%d of %d bytes went out: the footer must be held back", out.Len(), len(vhd))
	}
}

// TestGuardBody_fileInspectedInPlace: an uncompressed file's header is inspected from the
// file, so the guard copies no 4 MiB head aside, refuses a mismatch before the first byte
// goes, and still passes a raw file whole.
func TestGuardBody_fileInspectedInPlace(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) Source {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return fileSource(p)
	}
	raw := rawImage(9 << 20)
	src := write("raw.img", raw)
	sent := sha512.New()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body, guardErr := guardBody(bytes.NewReader(raw), "raw", "none", src)
	_, err := io.Copy(sent, struct{ io.Reader }{body})
	runtime.ReadMemStats(&after)
	if err != nil || guardErr() != nil || hex.EncodeToString(sent.Sum(nil)) != sha512Hex(raw) {
		t.Fatalf("raw file: err %v, guard %v, or other bytes went out", err, guardErr())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("the guard allocated %d bytes for a file: the head must be read in place", alloc)
	}

	vhd := fixedVHD(6 << 20)
	var out bytes.Buffer
	var n int64
	body, guardErr = guardBody(bytes.NewReader(vhd), "raw", "none", write("fixed.vhd", vhd))
	n, err = io.Copy(&out, struct{ io.Reader }{body})
	var fe *FormatError
	if !errors.As(err, &fe) || n != 0 || guardErr() == nil {
		t.Fatalf("fixed VHD declared raw: err %v, %d bytes went out; want a FormatError before the first byte", err, n)
	}
}

// rangeServer serves data with or without Range support and counts requests.
func rangeServer(t *testing.T, data []byte, ranges bool, requests *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("X-Token") != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if ranges {
			http.ServeContent(w, r, "image", time.Time{}, bytes.NewReader(data))
			return
		}
		w.Header().Set("Content-Length", "")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestInspectSource_urlWithRange(t *testing.T) {
	var requests atomic.Int32
	srv := rangeServer(t, fixedVHD(6<<20), true, &requests)
	src := URLSource(srv.URL+"/disk.vhd?sig=x", map[string]string{"X-Token": "secret"}, srv.Client())
	info, err := InspectSource(context.Background(), src, InspectOptions{RangeOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != diskformat.VHD || info.Variant != "fixed" || info.VirtualSize != 6<<20-512 || requests.Load() != 2 {
		t.Fatalf("info %+v after %d requests; want a fixed VHD from the head and the tail", info, requests.Load())
	}
}

func TestInspectSource_urlWithoutRange(t *testing.T) {
	var requests atomic.Int32
	srv := rangeServer(t, qcow2Image(8<<20, ""), false, &requests)
	src := URLSource(srv.URL, map[string]string{"X-Token": "secret"}, srv.Client())
	if _, err := InspectSource(context.Background(), src, InspectOptions{RangeOnly: true}); !errors.Is(err, ErrRangeUnsupported) {
		t.Fatalf("err = %v, want ErrRangeUnsupported", err)
	}
	info, err := InspectSource(context.Background(), src, InspectOptions{})
	if err != nil || info.Format != diskformat.QCOW2 || info.VirtualSize != 1<<30 {
		t.Fatalf("info %+v, err %v; want qcow2 from the head of a plain GET", info, err)
	}
	if _, err := InspectSource(context.Background(), URLSource(srv.URL, nil, srv.Client()), InspectOptions{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want the HTTP status", err)
	}
}

func TestInspectSource_compressedFile(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"gzip", "zstd"} {
		p := filepath.Join(dir, "disk."+format)
		if err := os.WriteFile(p, compressed(t, format, qcow2Image(16<<20, "base.qcow2")), 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := InspectSource(context.Background(), FileSource(p), InspectOptions{Decompress: "auto"})
		if err != nil || info.Format != diskformat.QCOW2 || info.BackingFile != "base.qcow2" || info.TailSeen {
			t.Fatalf("%s: info %+v, err %v; want qcow2 with its backing file from the head", format, info, err)
		}
	}
	p := filepath.Join(dir, "fixed.vhd")
	if err := os.WriteFile(p, fixedVHD(6<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := InspectSource(context.Background(), FileSource(p), InspectOptions{}); err != nil || info.Format != diskformat.VHD {
		t.Fatalf("info %+v, err %v; want the footer of an uncompressed file read", info, err)
	}
}

// benchBlock is what blockReader repeats: a source as cheap as a memory copy, so that the
// benchmark measures the guard rather than its source.
var benchBlock = rawImage(1 << 20)

type blockReader struct{}

func (blockReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], benchBlock)
	}
	return n, nil
}

// BenchmarkFormatGuard: the guard's cost on a 1 GiB stream, against the same copy without it
// (both through a 32 KiB buffer, as the HTTP transport copies a body).
func BenchmarkFormatGuard(b *testing.B) {
	const size = 1 << 30
	for _, guarded := range []bool{false, true} {
		name := "plain"
		if guarded {
			name = "guarded"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			buf := make([]byte, 32<<10)
			for range b.N {
				src := io.LimitReader(blockReader{}, size)
				r := src
				if guarded {
					r = guardFormat(src, "raw", "bench")
				}
				if n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{r}, buf); err != nil || n != size {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// TestInspectSource_compressedURL: a compressed URL is inspected from the decompressed first
// bytes of a Range request; data that fits in the head is seen to its end.
func TestInspectSource_compressedURL(t *testing.T) {
	// Incompressible filler, so that the compressed file is larger than one head.
	big := qcow2Image(12<<20, "")
	for i := 64 << 10; i < len(big); i++ {
		big[i] = byte((i * 2654435761) >> 13)
	}
	var requests atomic.Int32
	srv := rangeServer(t, compressed(t, "gzip", big), true, &requests)
	info, err := InspectSource(context.Background(), URLSource(srv.URL, map[string]string{"X-Token": "secret"}, srv.Client()),
		InspectOptions{Decompress: "gzip", RangeOnly: true})
	if err != nil || info.Format != diskformat.QCOW2 || info.TailSeen {
		t.Fatalf("info %+v, err %v; want qcow2 from the decompressed head", info, err)
	}
	small := rawImage(100 << 10)
	srv = rangeServer(t, compressed(t, "gzip", small), true, &requests)
	info, err = InspectSource(context.Background(), URLSource(srv.URL, map[string]string{"X-Token": "secret"}, srv.Client()),
		InspectOptions{Decompress: "auto"})
	if err != nil || info.Format != diskformat.Raw || info.VirtualSize != int64(len(small)) || !info.TailSeen {
		t.Fatalf("info %+v, err %v; want raw of %d bytes, seen to its end", info, err, len(small))
	}
}
