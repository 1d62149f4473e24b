package glance

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
)

// vhdxImage is a VHDX of size bytes whose metadata region lies 3 MiB in (as qemu-img puts
// it), with a parent locator (a differencing disk) when parent is set.
func vhdxImage(size int, parent bool) []byte {
	const metaOff = 3 << 20
	b := rawImage(size)
	clear(b[:256<<10])
	copy(b, "vhdxfile")
	guid := func(a uint32, b2, c uint16, d uint64) []byte {
		g := make([]byte, 16)
		binary.LittleEndian.PutUint32(g, a)
		binary.LittleEndian.PutUint16(g[4:], b2)
		binary.LittleEndian.PutUint16(g[6:], c)
		binary.BigEndian.PutUint64(g[8:], d)
		return g
	}
	copy(b[192<<10:], "regi")
	binary.LittleEndian.PutUint32(b[192<<10+8:], 1)
	copy(b[192<<10+16:], guid(0x8B7CA206, 0x4790, 0x4B9A, 0xB8FE575F050F886E)) // metadata region
	binary.LittleEndian.PutUint64(b[192<<10+32:], uint64(metaOff))
	m := b[metaOff:]
	clear(m[:4096])
	copy(m, "metadata")
	binary.LittleEndian.PutUint16(m[10:], 2)
	copy(m[32:], guid(0x2FA54224, 0xCD1B, 0x4876, 0xB2115DBED83BF4B8)) // virtual size
	binary.LittleEndian.PutUint32(m[48:], 1024)
	binary.LittleEndian.PutUint64(m[1024:], 1<<30)
	if parent {
		copy(m[64:], guid(0xA8D35F2D, 0xB30B, 0x454D, 0xABF7D3D84834AB0C)) // parent locator
	}
	return b
}

// differencingFooter is raw-looking data of size bytes whose last 512 are the footer of a
// differencing VHD, its dynamic header (with the parent's name) at headerOff: the one case
// where the end of a stream points back into its first bytes.
func differencingFooter(size, headerOff int, parent string) []byte {
	b := rawImage(size)
	f := b[size-512:]
	clear(f)
	copy(f, "conectix")
	binary.BigEndian.PutUint64(f[16:], uint64(headerOff))
	binary.BigEndian.PutUint64(f[48:], 1<<30)
	binary.BigEndian.PutUint32(f[60:], 4)
	h := b[headerOff : headerOff+1024]
	clear(h)
	copy(h, "cxsparse")
	for i, c := range utf16.Encode([]rune(parent)) {
		binary.BigEndian.PutUint16(h[64+2*i:], c)
	}
	return b
}

// wholeHeadInspection is what InspectSource found before it kept only the first bytes an
// inspection needs: the first HeadSize bytes of the (decompressed) data, with its end when
// all of it fits.
func wholeHeadInspection(data []byte) diskformat.Info {
	if len(data) < diskformat.HeadSize {
		return diskformat.InspectBytes(data, data, int64(len(data)))
	}
	return diskformat.InspectBytes(data[:diskformat.HeadSize], nil, -1)
}

// headCases are images whose inspection needs the first FirstRead bytes, more of the head,
// the end, or the end and then more of the head.
func headCases() map[string][]byte {
	return map[string][]byte{
		"raw":                     rawImage(9 << 20),
		"small raw":               rawImage(100 << 10),
		"tiny raw":                rawImage(100),
		"raw of exactly HeadSize": rawImage(diskformat.HeadSize),
		"qcow2 with backing file": qcow2Image(6<<20, "base.qcow2"),
		"small qcow2":             qcow2Image(1<<20, ""),
		"fixed vhd":               fixedVHD(2 << 20),
		"vhdx":                    vhdxImage(6<<20, false),
		"differencing vhdx":       vhdxImage(6<<20, true),
		"small vhdx":              vhdxImage(3<<20+8192, true),
		"differencing footer":     differencingFooter(2<<20, 1<<20, "parent.vhd"),
	}
}

// TestInspectSource_sameAsTheWholeHead: a compressed file, inspected from the first bytes its
// header asks for, gives exactly what its whole 4 MiB head gave, the end included where the
// data is shorter.
func TestInspectSource_sameAsTheWholeHead(t *testing.T) {
	dir := t.TempDir()
	for name, data := range headCases() {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, "image.gz")
			if err := os.WriteFile(p, compressed(t, "gzip", data), 0o600); err != nil {
				t.Fatal(err)
			}
			want := wholeHeadInspection(data)
			got, err := InspectSource(context.Background(), FileSource(p), InspectOptions{Decompress: "gzip"})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, want)
			}
		})
	}
	if info := wholeHeadInspection(headCases()["differencing footer"]); info.BackingFile != "parent.vhd" {
		t.Fatalf("the differencing footer case reads %+v: it no longer tests the second pass", info)
	}
}

// TestInspectSource_urlSameAsTheWholeHead: the same for URLs, plain (with the tail from a
// second Range request) and compressed, and a server that ignores Range.
func TestInspectSource_urlSameAsTheWholeHead(t *testing.T) {
	for name, data := range headCases() {
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			head := data[:min(len(data), diskformat.HeadSize)]
			tail := data[max(0, len(data)-diskformat.TailSize):]
			want := diskformat.InspectBytes(head, tail, int64(len(data)))
			got, err := InspectSource(context.Background(), URLSource(rangeServer(t, data, true, &requests).URL, map[string]string{"X-Token": "secret"}, nil), InspectOptions{})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("plain: got %+v, %v; want %+v", got, err, want)
			}
			gz := compressed(t, "gzip", data)
			if len(gz) > diskformat.HeadSize {
				return // a Range request cuts the compressed data short
			}
			for _, ranges := range []bool{true, false} {
				want := wholeHeadInspection(data)
				if !ranges {
					// No length known: what arrived is what can be seen, without its end.
					want = diskformat.InspectBytes(head, nil, -1)
				}
				srv := rangeServer(t, gz, ranges, &requests)
				got, err = InspectSource(context.Background(), URLSource(srv.URL, map[string]string{"X-Token": "secret"}, nil), InspectOptions{Decompress: "gzip"})
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("gzip, ranges %v: got %+v, %v; want %+v", ranges, got, err, want)
				}
			}
		})
	}
}

// TestInspectSource_keepsOnlyTheFirstBytes: inspecting a compressed raw image allocates a
// fraction of the 4 MiB head it once copied aside (the decoder's own state aside).
func TestInspectSource_keepsOnlyTheFirstBytes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "raw.gz")
	if err := os.WriteFile(p, compressed(t, "gzip", rawImage(16<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := InspectSource(context.Background(), FileSource(p), InspectOptions{Decompress: "gzip"})
	runtime.ReadMemStats(&after)
	if err != nil || info.Format != diskformat.Raw {
		t.Fatalf("info %+v, err %v", info, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("inspecting allocated %d bytes: more than the first bytes and the decoder", alloc)
	}
}

// TestFormatGuard_gathersWhatTheHeaderNeeds: the guard holds FirstRead bytes of a raw stream
// instead of 4 MiB, still reads a VHDX's metadata region a few MiB in, and stops a mismatch
// after the first FirstRead bytes.
func TestFormatGuard_gathersWhatTheHeaderNeeds(t *testing.T) {
	raw := rawImage(9 << 20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, struct{ io.Reader }{guardFormat(bytes.NewReader(raw), "raw", "test")})
	runtime.ReadMemStats(&after)
	if err != nil || n != int64(len(raw)) {
		t.Fatalf("raw: %d bytes, %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<10 {
		t.Errorf("the guard allocated %d bytes for a raw stream: it must keep only the first bytes", alloc)
	}

	_, err = io.Copy(io.Discard, struct{ io.Reader }{guardFormat(bytes.NewReader(vhdxImage(6<<20, true)), "vhdx", "test")})
	var fe *FormatError
	if !errors.As(err, &fe) || !fe.Problem.HasReason(diskformat.ReasonDifferencing) || fe.AtEnd {
		t.Fatalf("differencing VHDX: err = %v, want it refused from its metadata region", err)
	}
	if _, err = io.Copy(io.Discard, struct{ io.Reader }{guardFormat(bytes.NewReader(vhdxImage(6<<20, false)), "vhdx", "test")}); err != nil {
		t.Fatalf("VHDX: %v", err)
	}

	var out bytes.Buffer
	_, err = io.Copy(&out, struct{ io.Reader }{guardFormat(bytes.NewReader(qcow2Image(12<<20, "")), "raw", "test")})
	if !errors.As(err, &fe) || !fe.Problem.Mismatch || out.Len() > diskformat.FirstRead+guardBufSize {
		t.Fatalf("qcow2 declared raw: err %v after %d bytes; want a mismatch within the first bytes", err, out.Len())
	}
}

// TestInspectSource_releasesTheDecoder: after inspecting compressed data, the decoder's
// memory is collected and handed back before the upload opens its own decoder; a plain file
// has no decoder to release.
func TestInspectSource_releasesTheDecoder(t *testing.T) {
	dir := t.TempDir()
	gz, raw := filepath.Join(dir, "raw.gz"), filepath.Join(dir, "raw.img")
	if err := os.WriteFile(gz, compressed(t, "gzip", rawImage(1<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(raw, rawImage(1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	forced := func(p, decompress string) uint32 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := InspectSource(context.Background(), FileSource(p), InspectOptions{Decompress: decompress}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.NumForcedGC - before.NumForcedGC
	}
	if n := forced(gz, "gzip"); n != 1 {
		t.Errorf("%d collections after inspecting gzip data, want 1", n)
	}
	if n := forced(raw, "none"); n != 0 {
		t.Errorf("%d collections after inspecting a plain file, want none", n)
	}
}

// countingSource serves data and counts the bytes its readers hand out.
type countingSource struct {
	data []byte
	read atomic.Int64
}

func (c *countingSource) String() string { return "counted data" }
func (c *countingSource) Open(context.Context) (io.ReadCloser, int64, error) {
	return io.NopCloser(&countingReader{r: bytes.NewReader(c.data), n: &c.read}), int64(len(c.data)), nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// The first bytes of a multi-block xz source are decoded by the sequential decoder even where
// parallel decoding is on: a parallel one would read whole blocks ahead of the few it needs.
func TestInspectSource_decodesHeadsSequentially(t *testing.T) {
	saved := decodeWorkers
	decodeWorkers = func() int { return 3 }
	t.Cleanup(func() { decodeWorkers = saved })
	const blocks = 24
	src := &countingSource{data: toolCompress(t, diskLike(t, blocks<<20), "xz", "-T2", "--block-size=1048576", "-c")}
	if _, err := InspectSource(context.Background(), src, InspectOptions{Decompress: "xz"}); err != nil {
		t.Fatal(err)
	}
	// HeadSize (4 MiB) of output is 4 of the 1 MiB blocks; the read buffer adds at most one.
	if most := int64(len(src.data)) * 5 / blocks; src.read.Load() > most {
		t.Fatalf("read %d of %d compressed bytes to inspect the first %d, want at most %d", src.read.Load(), len(src.data), diskformat.HeadSize, most)
	}
}
