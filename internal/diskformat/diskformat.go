// Package diskformat recognises disk image formats from their bytes: raw, qcow2, VMDK, VHD,
// VHDX, VDI, QED and ISO 9660. It reports each format's virtual size and what makes an image
// unsafe to hand to a compute host: a backing file, an external data file, a VMDK whose
// descriptor points at other files, a differencing disk, QED (OSSA-2024-001 /
// CVE-2024-32498).
//
// The input is untrusted. Every read is bounded (at most the first HeadSize bytes and the last
// 512 matter, plus a few small structures whose offsets a header gives and that are checked
// against those bounds), and malformed headers are findings, never panics.
package diskformat

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format is a disk image format as this package names it.
type Format string

// The formats Inspect recognises. Raw is what is left when no other format matches.
const (
	Raw   Format = "raw"
	QCOW2 Format = "qcow2"
	VMDK  Format = "vmdk"
	VHD   Format = "vhd"
	VHDX  Format = "vhdx"
	VDI   Format = "vdi"
	QED   Format = "qed"
	ISO   Format = "iso"
)

// Formats lists every format Inspect can report.
var Formats = []Format{Raw, QCOW2, VMDK, VHD, VHDX, VDI, QED, ISO}

// HeadSize is how many bytes from the start of an image are enough to recognise every format
// and read its virtual size (a VHDX keeps its metadata region a few MiB in). A stream is
// inspected from its first HeadSize bytes and its last TailSize bytes.
const (
	HeadSize = 4 << 20
	TailSize = 512
)

// Reason names why an image is unsafe.
type Reason string

// Reasons an image is refused whatever disk_format says.
const (
	// ReasonBackingFile: the image reads its data from another file (qcow2, QED), which a
	// compute host would open from its own disk.
	ReasonBackingFile Reason = "backing-file"
	// ReasonDataFile: a qcow2 whose data lives in an external data file.
	ReasonDataFile Reason = "data-file"
	// ReasonExtents: a VMDK whose descriptor points at extents in other files, or whose
	// createType is not one of the self-contained ones (monolithicSparse, streamOptimized).
	ReasonExtents Reason = "external-extents"
	// ReasonDifferencing: a differencing VHD or VDI, which needs its parent.
	ReasonDifferencing Reason = "differencing"
	// ReasonQED: QED, which no OpenStack service accepts since OSSA-2024-001.
	ReasonQED Reason = "qed"
	// ReasonUnknownFeatures: a qcow2 with incompatible features this inspector does not know
	// (and so cannot show to be safe).
	ReasonUnknownFeatures Reason = "unknown-features"
	// ReasonMalformed: a header whose fields do not make sense (out of bounds, unknown
	// version): a crafted or damaged image.
	ReasonMalformed Reason = "malformed"
	// ReasonMultipleFormats: an ISO whose first bytes are also another format's header, so a
	// host could read it as either.
	ReasonMultipleFormats Reason = "multiple-formats"
)

// Unsafe is one reason an image must not be uploaded, with what was found.
type Unsafe struct {
	Reason Reason
	Detail string
}

func (u Unsafe) String() string { return u.Detail }

// Extent is one extent line of a VMDK descriptor.
type Extent struct {
	Access  string // RW, RDONLY, NOACCESS
	Sectors int64
	Type    string // SPARSE, FLAT, ZERO, VMFS, …
	File    string
}

// Info is what Inspect found.
type Info struct {
	Format Format
	// VirtualSize is the size of the disk the image describes, in bytes; 0 when the format has
	// none or it could not be read (a VHDX whose metadata lies beyond what was seen). For raw
	// it is the size of the data, when known.
	VirtualSize int64
	// Version of the format's header (qcow2 2 or 3, VMDK sparse 1-3, VDI major version).
	Version int
	// Variant: VHD fixed, dynamic or differencing; VDI dynamic, fixed, undo or differencing;
	// VMDK sparse or descriptor (a text descriptor file).
	Variant string
	// BackingFile names the backing (parent) file, when the image has one.
	BackingFile string
	// DataFile names a qcow2's external data file ("(unnamed)" when the feature bit is set
	// without a name).
	DataFile string
	// Encryption: "aes" or "luks" for an encrypted qcow2, "" otherwise.
	Encryption string
	// CreateType and Extents describe a VMDK descriptor.
	CreateType string
	Extents    []Extent
	// Unsafe lists why the image must not be uploaded; empty when it may be.
	Unsafe []Unsafe
	// TailSeen reports whether the last TailSize bytes were inspected: without them a fixed
	// VHD (whose only header is a footer) cannot be told from raw.
	TailSeen bool
}

// Safe reports whether nothing unsafe was found.
func (i Info) Safe() bool { return len(i.Unsafe) == 0 }

// DiskFormat is the Glance disk_format for the content: raw, qcow2, vmdk, vhd, vhdx, vdi or iso.
// ok is false for QED, which Glance has no disk_format for.
func (i Info) DiskFormat() (string, bool) {
	if i.Format == QED || i.Format == "" {
		return "", false
	}
	return string(i.Format), true
}

// Describe says what the content is in a few words, for messages: "qcow2 (version 3,
// virtual size 1 GiB)".
func (i Info) Describe() string {
	var parts []string
	switch {
	case i.Format == VMDK && i.CreateType != "":
		parts = append(parts, "createType "+i.CreateType)
	case i.Variant != "":
		parts = append(parts, i.Variant)
	}
	if i.Version > 0 && i.Format == QCOW2 {
		parts = append(parts, fmt.Sprintf("version %d", i.Version))
	}
	if i.Encryption != "" {
		parts = append(parts, "encrypted ("+i.Encryption+")")
	}
	if i.VirtualSize > 0 {
		parts = append(parts, "virtual size "+humanBytes(i.VirtualSize))
	}
	if len(parts) == 0 {
		return string(i.Format)
	}
	return string(i.Format) + " (" + strings.Join(parts, ", ") + ")"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n)/unit, 0
	for v >= unit && u < len(units)-1 {
		v /= unit
		u++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// errOutside is what a bounded reader answers for bytes it does not hold.
var errOutside = errors.New("diskformat: outside the inspected bytes")

// Inspect recognises the format of the image r holds. size is the image's length in bytes,
// or -1 when unknown (then the tail is not read, and a fixed VHD reads as raw). Reads that
// fail because r does not hold those bytes (a Window, io.EOF) count as "not seen"; any other
// read error is returned.
func Inspect(r io.ReaderAt, size int64) (Info, error) {
	in := &inspector{r: r, size: size}
	info := in.inspect()
	if in.err != nil {
		return Info{}, in.err
	}
	return info, nil
}

// InspectBytes inspects an image whose first bytes are head and whose last bytes are tail
// (nil when not seen); size is the whole image's length, or -1.
func InspectBytes(head, tail []byte, size int64) Info {
	info, _ := Inspect(NewWindow(head, tail, size), size) // a Window never fails otherwise
	return info
}

// FirstRead is how many first bytes decide almost every image: the headers, an ISO's volume
// descriptors, a VMDK's embedded descriptor. InspectHead says when more are needed (a VHDX's
// metadata region, a descriptor or backing file name further in).
const FirstRead = 64 << 10

// InspectHead inspects an image from its first bytes (head) and, when seen, its last bytes
// (tail; nil when not seen), as InspectBytes(head, tail, size) does, and says how many first
// bytes that answer rests on. When need <= len(head), the answer is the one InspectBytes gives
// with the first HeadSize bytes as head (or all the data, when shorter) and the same tail: its
// reads asked for no byte beyond head that the tail did not hold. Otherwise head was too short:
// read the first need bytes (need <= HeadSize) and ask again. So a stream is inspected from
// FirstRead bytes, growing only where a header points further in, rather than from HeadSize.
func InspectHead(head, tail []byte, size int64) (info Info, need int) {
	w := NewWindow(head, tail, size)
	info, _ = Inspect(w, size) // a Window never fails otherwise
	return info, int(w.need)
}
