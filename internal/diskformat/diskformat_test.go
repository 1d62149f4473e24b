package diskformat

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/testkit"
)

// requireTool skips without the tool, unless GLANCE_REQUIRE_QEMU is set (make unit sets it, so
// CI cannot skip these tests).
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("GLANCE_REQUIRE_QEMU") != "" {
			t.Fatalf("%s is not installed, and GLANCE_REQUIRE_QEMU is set (install qemu-utils and xorriso)", name)
		}
		t.Skipf("%s is not installed (qemu-utils, xorriso); set GLANCE_REQUIRE_QEMU=1 to fail instead", name)
	}
	return p
}

func run(t testing.TB, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// fixture is a real image made by qemu-img (or xorriso) and what Inspect must find in it.
type fixture struct {
	name    string
	file    string
	format  Format
	unsafe  []Reason
	qemu    bool // the virtual size is compared with qemu-img info (else with the file size)
	check   func(t *testing.T, info Info)
	tailVHD bool // recognised only from the last 512 bytes
}

// makeFixtures creates every fixture in a temporary directory.
func makeFixtures(t testing.TB) []fixture {
	requireTool(t, "qemu-img")
	requireTool(t, "xorriso")
	dir := t.TempDir()
	q := func(args ...string) { run(t, dir, "qemu-img", args...) }
	// Some data, so that compressed and converted images are not empty.
	data := bytes.Repeat([]byte("glance disk-format fixture "), 40000)
	if err := os.WriteFile(filepath.Join(dir, "data.raw"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, "data.raw"), 8<<20); err != nil {
		t.Fatal(err)
	}
	q("create", "-q", "-f", "qcow2", "plain.qcow2", "1G")
	q("create", "-q", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "64M")
	q("create", "-q", "-f", "qcow2", "-b", "plain.qcow2", "-F", "qcow2", "overlay.qcow2")
	q("create", "-q", "-f", "qcow2", "-o", "data_file=external.raw", "datafile.qcow2", "64M")
	q("convert", "-q", "-c", "-O", "qcow2", "data.raw", "compressed.qcow2")
	q("create", "-q", "-f", "vmdk", "sparse.vmdk", "1G")
	q("convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", "data.raw", "stream.vmdk")
	q("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "64M")
	q("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "split.vmdk", "3G")
	q("create", "-q", "-f", "vpc", "dynamic.vhd", "1G")
	q("create", "-q", "-f", "vpc", "-o", "subformat=fixed", "fixed.vhd", "64M")
	q("create", "-q", "-f", "vhdx", "disk.vhdx", "1G")
	q("create", "-q", "-f", "vdi", "disk.vdi", "1G")
	q("create", "-q", "-f", "qed", "disk.qed", "1G")
	q("create", "-q", "-f", "raw", "disk.raw", "64M")
	if err := os.MkdirAll(filepath.Join(dir, "isoroot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "isoroot", "README"), data[:4096], 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "xorriso", "-as", "mkisofs", "-quiet", "-o", "disk.iso", "isoroot")
	p := func(name string) string { return filepath.Join(dir, name) }
	return []fixture{
		{name: "qcow2", file: p("plain.qcow2"), format: QCOW2, qemu: true, check: func(t *testing.T, i Info) {
			if i.Version != 3 {
				t.Errorf("version %d, want 3", i.Version)
			}
		}},
		{name: "qcow2_v2", file: p("v2.qcow2"), format: QCOW2, qemu: true, check: func(t *testing.T, i Info) {
			if i.Version != 2 {
				t.Errorf("version %d, want 2", i.Version)
			}
		}},
		{name: "qcow2_backing", file: p("overlay.qcow2"), format: QCOW2, qemu: true, unsafe: []Reason{ReasonBackingFile}, check: func(t *testing.T, i Info) {
			if i.BackingFile != "plain.qcow2" {
				t.Errorf("backing file %q, want plain.qcow2", i.BackingFile)
			}
		}},
		{name: "qcow2_datafile", file: p("datafile.qcow2"), format: QCOW2, qemu: true, unsafe: []Reason{ReasonDataFile}, check: func(t *testing.T, i Info) {
			if i.DataFile != "external.raw" {
				t.Errorf("data file %q, want external.raw", i.DataFile)
			}
		}},
		{name: "qcow2_compressed", file: p("compressed.qcow2"), format: QCOW2, qemu: true},
		{name: "vmdk_monolithicSparse", file: p("sparse.vmdk"), format: VMDK, qemu: true, check: createType("monolithicSparse")},
		{name: "vmdk_streamOptimized", file: p("stream.vmdk"), format: VMDK, qemu: true, check: createType("streamOptimized")},
		{name: "vmdk_monolithicFlat", file: p("flat.vmdk"), format: VMDK, qemu: true, unsafe: []Reason{ReasonExtents}, check: func(t *testing.T, i Info) {
			createType("monolithicFlat")(t, i)
			if len(i.Extents) != 1 || i.Extents[0].Type != "FLAT" || i.Extents[0].File != "flat-flat.vmdk" {
				t.Errorf("extents %+v, want one FLAT flat-flat.vmdk", i.Extents)
			}
		}},
		{name: "vmdk_twoGbMaxExtentSparse", file: p("split.vmdk"), format: VMDK, qemu: true, unsafe: []Reason{ReasonExtents}, check: func(t *testing.T, i Info) {
			if len(i.Extents) != 2 {
				t.Errorf("%d extents, want 2", len(i.Extents))
			}
		}},
		{name: "vhd_dynamic", file: p("dynamic.vhd"), format: VHD, qemu: true, check: variant("dynamic")},
		{name: "vhd_fixed", file: p("fixed.vhd"), format: VHD, qemu: true, tailVHD: true, check: variant("fixed")},
		{name: "vhdx", file: p("disk.vhdx"), format: VHDX, qemu: true},
		{name: "vdi", file: p("disk.vdi"), format: VDI, qemu: true, check: variant("dynamic")},
		{name: "qed", file: p("disk.qed"), format: QED, qemu: true, unsafe: []Reason{ReasonQED}},
		{name: "raw", file: p("disk.raw"), format: Raw, qemu: true},
		{name: "iso", file: p("disk.iso"), format: ISO},
	}
}

func createType(want string) func(*testing.T, Info) {
	return func(t *testing.T, i Info) {
		if i.CreateType != want {
			t.Errorf("createType %q, want %q", i.CreateType, want)
		}
	}
}

func variant(want string) func(*testing.T, Info) {
	return func(t *testing.T, i Info) {
		if i.Variant != want {
			t.Errorf("variant %q, want %q", i.Variant, want)
		}
	}
}

func reasons(i Info) []Reason {
	out := []Reason{}
	for _, u := range i.Unsafe {
		out = append(out, u.Reason)
	}
	return out
}

// headAndTail reads what a stream inspection sees of a file.
func headAndTail(t *testing.T, file string) ([]byte, []byte, int64) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	head := b[:min(len(b), HeadSize)]
	tail := b[max(0, len(b)-TailSize):]
	return head, tail, int64(len(b))
}

// TestInspect_realImages: every format qemu-img (and xorriso) makes is recognised, with the
// virtual size qemu-img reports, from the file and from its first and last bytes alone.
func TestInspect_realImages(t *testing.T) {
	for _, fx := range makeFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			f, err := os.Open(fx.file)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			st, _ := f.Stat()
			info, err := Inspect(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != fx.format {
				t.Fatalf("format %q, want %q (%+v)", info.Format, fx.format, info)
			}
			want := st.Size()
			if fx.qemu {
				qemuFormat := ""
				if fx.tailVHD {
					qemuFormat = "vpc"
				}
				want = testkit.QemuVirtualSize(t, fx.file, qemuFormat)
			}
			if info.VirtualSize != want {
				t.Errorf("virtual size %d, want %d", info.VirtualSize, want)
			}
			if got := reasons(info); !slices.Equal(got, append([]Reason{}, fx.unsafe...)) {
				t.Errorf("unsafe %v, want %v (%v)", got, fx.unsafe, info.Unsafe)
			}
			if fx.check != nil {
				fx.check(t, info)
			}
			// A stream sees the first HeadSize and the last TailSize bytes only.
			head, tail, size := headAndTail(t, fx.file)
			streamed := InspectBytes(head, tail, size)
			if streamed.Format != info.Format || streamed.VirtualSize != info.VirtualSize || !slices.Equal(reasons(streamed), reasons(info)) || !streamed.TailSeen {
				t.Errorf("from head and tail: %+v, from the file: %+v", streamed, info)
			}
			// Without the tail (size unknown) only a fixed VHD reads differently: as raw.
			headOnly := InspectBytes(head, nil, -1)
			wantFormat := info.Format
			if fx.tailVHD {
				wantFormat = Raw
			}
			if headOnly.Format != wantFormat || headOnly.TailSeen {
				t.Errorf("from the head alone: %s (tail seen %v), want %s", headOnly.Format, headOnly.TailSeen, wantFormat)
			}
		})
	}
}

func TestCheck_declared(t *testing.T) {
	qcow := Info{Format: QCOW2, Version: 3, VirtualSize: 1 << 30}
	backing := Info{Format: QCOW2, Version: 3, BackingFile: "/etc/passwd", Unsafe: []Unsafe{{ReasonBackingFile, "it has a backing file"}}}
	iso := Info{Format: ISO}
	cases := []struct {
		name      string
		info      Info
		declared  string
		ok        bool
		mismatch  bool
		hasReason Reason
	}{
		{"qcow2_as_qcow2", qcow, "qcow2", true, false, ""},
		{"qcow2_as_raw", qcow, "raw", false, true, ""},
		{"raw_as_qcow2", Info{Format: Raw}, "qcow2", false, true, ""},
		{"iso_as_raw", iso, "raw", true, false, ""},
		{"iso_as_iso", iso, "iso", true, false, ""},
		{"raw_as_iso", Info{Format: Raw}, "iso", false, true, ""},
		{"qcow2_as_ploop", qcow, "ploop", true, false, ""},
		{"qcow2_as_ami", qcow, "ami", false, true, ""},
		{"backing_as_qcow2", backing, "qcow2", false, false, ReasonBackingFile},
		{"backing_undeclared", backing, "", false, false, ReasonBackingFile},
		{"vhd_as_vhdx", Info{Format: VHD}, "vhdx", false, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Check(c.info, c.declared)
			if (p == nil) != c.ok {
				t.Fatalf("Check = %v, want ok=%v", p, c.ok)
			}
			if p == nil {
				return
			}
			if p.Mismatch != c.mismatch {
				t.Errorf("mismatch %v, want %v", p.Mismatch, c.mismatch)
			}
			if c.hasReason != "" && !p.HasReason(c.hasReason) {
				t.Errorf("reasons %v, want %s", p.Unsafe, c.hasReason)
			}
			if p.Error() == "" || p.Advice() == "" {
				t.Error("a problem without words")
			}
		})
	}
}

func TestProblem_words(t *testing.T) {
	p := Check(Info{Format: QCOW2, Version: 3, VirtualSize: 1 << 30}, "raw")
	if got, want := p.Error(), "the data is qcow2 (version 3, virtual size 1 GiB), not raw"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := p.Advice(); !bytes.Contains([]byte(got), []byte(`disk_format = "qcow2"`)) {
		t.Errorf("Advice() = %q, names no disk_format", got)
	}
}

func TestInfer_formats(t *testing.T) {
	cases := []struct {
		info Info
		want string
		ok   bool
	}{
		{Info{Format: QCOW2}, "qcow2", true},
		{Info{Format: Raw}, "raw", true},
		{Info{Format: ISO}, "iso", true},
		{Info{Format: VHD}, "vhd", true},
		{Info{Format: QED, Unsafe: []Unsafe{{ReasonQED, "qed"}}}, "", false},
		{Info{Format: QCOW2, Unsafe: []Unsafe{{ReasonDataFile, "data"}}}, "", false},
	}
	for _, c := range cases {
		got, ok := Infer(c.info)
		if got != c.want || ok != c.ok {
			t.Errorf("Infer(%s) = %q, %v; want %q, %v", c.info.Format, got, ok, c.want, c.ok)
		}
	}
}

func TestWindow_bounds(t *testing.T) {
	w := NewWindow([]byte("0123456789"), []byte("xyz"), 100)
	buf := make([]byte, 4)
	if n, err := w.ReadAt(buf, 2); n != 4 || err != nil || string(buf) != "2345" {
		t.Errorf("head read: %d %v %q", n, err, buf[:n])
	}
	if n, err := w.ReadAt(buf[:3], 97); n != 3 || err != nil || string(buf[:3]) != "xyz" {
		t.Errorf("tail read: %d %v %q", n, err, buf[:n])
	}
	if _, err := w.ReadAt(buf, 50); err == nil {
		t.Error("a read between head and tail succeeded")
	}
	if _, err := w.ReadAt(buf, 99); err == nil {
		t.Error("a read past the end succeeded")
	}
	if _, err := w.ReadAt(buf, -1); err == nil {
		t.Error("a negative offset succeeded")
	}
}

// TestInspect_qcow2Encryption: the encryption method is reported (a LUKS qcow2 takes qemu-img
// seconds of key derivation to make, so the header is written here).
func TestInspect_qcow2Encryption(t *testing.T) {
	for method, want := range map[uint32]string{0: "", 1: "aes", 2: "luks"} {
		h := make([]byte, 512)
		copy(h, "QFI\xfb")
		be.PutUint32(h[4:], 2)
		be.PutUint32(h[20:], 16)
		be.PutUint64(h[24:], 1<<20)
		be.PutUint32(h[32:], method)
		info := InspectBytes(h, nil, -1)
		if info.Encryption != want || !info.Safe() || info.VirtualSize != 1<<20 {
			t.Errorf("method %d: %+v, want encryption %q, safe", method, info, want)
		}
	}
}

// incremental inspects the first bytes of data as a stream does: from the first `from`
// bytes, growing as InspectHead asks, never beyond what data holds. It returns what was found
// and how many first bytes it took.
func incremental(data, tail []byte, size int64, from int) (Info, int) {
	n := min(from, len(data))
	for {
		info, need := InspectHead(data[:n], tail, size)
		if need <= n || n == len(data) {
			return info, n
		}
		n = min(need, len(data))
	}
}

// TestInspectHead_sameAsTheWholeHead: inspected from FirstRead bytes and growing only where a
// header asks, every real image gives exactly what its first HeadSize bytes give, with size
// known or not, with its last bytes or without; and only a VHDX (whose metadata region lies a
// few MiB in) needs more than FirstRead bytes of a stream.
func TestInspectHead_sameAsTheWholeHead(t *testing.T) {
	for _, fx := range makeFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			b, err := os.ReadFile(fx.file)
			if err != nil {
				t.Fatal(err)
			}
			head, tail := b[:min(len(b), HeadSize)], b[max(0, len(b)-TailSize):]
			for _, c := range []struct {
				tail []byte
				size int64
			}{{nil, -1}, {nil, int64(len(b))}, {tail, int64(len(b))}} {
				want := InspectBytes(head, c.tail, c.size)
				got, used := incremental(head, c.tail, c.size, FirstRead)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("size %d, tail %v: from %d first bytes %+v, from %d: %+v", c.size, c.tail != nil, used, got, len(head), want)
				}
				// With the size known and no tail, the end of data shorter than HeadSize is
				// in the head.
				small := c.tail == nil && c.size >= 0 && c.size < HeadSize+TailSize
				if fx.format != VHDX && !small && used > FirstRead {
					t.Errorf("size %d, tail %v: %d first bytes read, want at most %d", c.size, c.tail != nil, used, FirstRead)
				}
			}
		})
	}
}
