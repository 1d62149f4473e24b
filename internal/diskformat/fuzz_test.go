package diskformat

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"testing"
)

// syntheticSeeds are small hand-made headers of every format, so that the seed corpus covers
// each parser even where qemu-img is not installed.
func syntheticSeeds() [][]byte {
	qcow := make([]byte, 4096)
	copy(qcow, "QFI\xfb")
	binary.BigEndian.PutUint32(qcow[4:], 3)
	binary.BigEndian.PutUint64(qcow[8:], 512) // backing file at 512
	binary.BigEndian.PutUint32(qcow[16:], 11)
	binary.BigEndian.PutUint32(qcow[20:], 12)
	binary.BigEndian.PutUint64(qcow[24:], 1<<30)
	binary.BigEndian.PutUint64(qcow[72:], 1<<2) // external data file
	binary.BigEndian.PutUint32(qcow[100:], 112)
	binary.BigEndian.PutUint32(qcow[112:], 0x44415441)
	binary.BigEndian.PutUint32(qcow[116:], 8)
	copy(qcow[120:], "data.raw")
	copy(qcow[512:], "/etc/passwd")

	vmdk := make([]byte, 2048)
	copy(vmdk, "KDMV")
	binary.LittleEndian.PutUint32(vmdk[4:], 1)
	binary.LittleEndian.PutUint64(vmdk[12:], 2048)
	binary.LittleEndian.PutUint64(vmdk[28:], 1)
	binary.LittleEndian.PutUint64(vmdk[36:], 2)
	copy(vmdk[512:], "# Disk DescriptorFile\ncreateType=\"monolithicSparse\"\nRW 2048 SPARSE \"a.vmdk\"\n")

	desc := []byte("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"/dev/sda\" 0\n")

	vhd := make([]byte, 512)
	copy(vhd, "conectix")
	binary.BigEndian.PutUint64(vhd[16:], 512)
	binary.BigEndian.PutUint64(vhd[48:], 1<<20)
	binary.BigEndian.PutUint32(vhd[60:], 4)

	vdi := make([]byte, 512)
	binary.LittleEndian.PutUint32(vdi[0x40:], 0xbeda107f)
	binary.LittleEndian.PutUint32(vdi[0x4c:], 1)
	binary.LittleEndian.PutUint64(vdi[0x170:], 1<<30)

	qed := make([]byte, 128)
	copy(qed, "QED\x00")
	binary.LittleEndian.PutUint64(qed[16:], 1)
	binary.LittleEndian.PutUint64(qed[48:], 1<<30)
	binary.LittleEndian.PutUint32(qed[56:], 64)
	binary.LittleEndian.PutUint32(qed[60:], 8)
	copy(qed[64:], "base.img")

	iso := make([]byte, 0x8800)
	iso[0x8000] = 1
	copy(iso[0x8001:], "CD001")
	binary.LittleEndian.PutUint32(iso[0x8050:], 20)
	binary.LittleEndian.PutUint16(iso[0x8080:], 2048)

	vhdx := make([]byte, 0x40000)
	copy(vhdx, "vhdxfile")
	copy(vhdx[0x30000:], "regi")
	binary.LittleEndian.PutUint32(vhdx[0x30008:], 1)
	copy(vhdx[0x30010:], vhdxMetadataRegion[:])
	binary.LittleEndian.PutUint64(vhdx[0x30020:], 0x38000)
	copy(vhdx[0x38000:], "metadata")
	binary.LittleEndian.PutUint16(vhdx[0x3800a:], 1)
	copy(vhdx[0x38020:], vhdxVirtualSize[:])
	binary.LittleEndian.PutUint32(vhdx[0x38030:], 0x100)
	binary.LittleEndian.PutUint64(vhdx[0x38100:], 1<<30)

	return [][]byte{nil, []byte("QFI\xfb"), qcow, vmdk, desc, vhd, vdi, qed, iso, vhdx, bytes.Repeat([]byte{0}, 1024)}
}

// FuzzInspect: no input makes Inspect panic, read out of bounds or report nonsense. `go test`
// runs the seed corpus (synthetic headers, and the first bytes of qemu-img's images where
// qemu-img is installed); `go test -fuzz FuzzInspect -fuzztime 60s ./internal/diskformat/`
// explores further.
func FuzzInspect(f *testing.F) {
	for _, s := range syntheticSeeds() {
		f.Add(s)
	}
	if os.Getenv("GLANCE_REQUIRE_QEMU") != "" || hasQemu() {
		for _, fx := range makeFixtures(f) {
			b, err := os.ReadFile(fx.file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b[:min(len(b), 64<<10)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		whole, err := Inspect(bytes.NewReader(data), size)
		if err != nil {
			t.Fatalf("Inspect over bytes: %v", err)
		}
		streamed := InspectBytes(data[:min(len(data), HeadSize)], data[max(0, len(data)-TailSize):], size)
		headOnly := InspectBytes(data, nil, -1)
		for _, info := range []Info{whole, streamed, headOnly} {
			if info.Format == "" || info.VirtualSize < 0 {
				t.Fatalf("format %q, virtual size %d", info.Format, info.VirtualSize)
			}
			for _, d := range []string{"", "raw", "qcow2", "vmdk", "vhd", "iso", "ploop"} {
				if p := Check(info, d); p != nil && (p.Error() == "" || p.Advice() == "") {
					t.Fatal("a problem without words")
				}
			}
			_ = info.Describe()
		}
		if whole.Format != streamed.Format || whole.VirtualSize != streamed.VirtualSize {
			t.Fatalf("whole %+v, streamed %+v", whole, streamed)
		}
		if whole.Format == Raw && whole.VirtualSize != size {
			t.Fatalf("raw virtual size %d, size %d", whole.VirtualSize, size)
		}
		// Inspected as a stream grows, from a few first bytes on: exactly what the first
		// HeadSize bytes give, size known or not, with the tail or without.
		head, tail := data[:min(len(data), HeadSize)], data[max(0, len(data)-TailSize):]
		for _, c := range []struct {
			tail []byte
			size int64
		}{{nil, -1}, {nil, size}, {tail, size}} {
			want := InspectBytes(head, c.tail, c.size)
			for _, from := range []int{1, 512, FirstRead} {
				if got, n := incremental(head, c.tail, c.size, from); !reflect.DeepEqual(got, want) {
					t.Fatalf("size %d, tail %v, from %d first bytes: %+v after %d bytes, want %+v", c.size, c.tail != nil, from, got, n, want)
				}
			}
		}
	})
}

func hasQemu() bool {
	_, err := os.Stat("/usr/bin/qemu-img")
	return err == nil
}
