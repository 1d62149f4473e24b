package diskformat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// maxRead bounds any single read an inspector makes: no header field can make it read more.
const maxRead = 1 << 20

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// inspector reads an image through bounded reads and remembers the first real I/O error.
type inspector struct {
	r    io.ReaderAt
	size int64
	err  error
}

// readUpTo reads at most n bytes at off; fewer when the image (or what was seen of it) ends.
func (in *inspector) readUpTo(off int64, n int) []byte {
	if off < 0 || n <= 0 || n > maxRead || (in.size >= 0 && off >= in.size) {
		return nil
	}
	if in.size >= 0 && int64(n) > in.size-off {
		n = int(in.size - off)
	}
	buf := make([]byte, n)
	got, err := in.r.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, errOutside) && in.err == nil {
		in.err = err
	}
	return buf[:got]
}

// read reads exactly n bytes at off; ok is false when they are not all there.
func (in *inspector) read(off int64, n int) ([]byte, bool) {
	b := in.readUpTo(off, n)
	return b, len(b) == n && n > 0
}

// signature is one format's magic bytes at an offset.
type signature struct {
	format Format
	offset int
	magic  []byte
}

var signatures = []signature{
	{QCOW2, 0, []byte("QFI\xfb")},
	{QED, 0, []byte("QED\x00")},
	{VMDK, 0, []byte("KDMV")},
	{VMDK, 0, []byte("# Disk DescriptorFile")},
	{VHDX, 0, []byte("vhdxfile")},
	{VHD, 0, []byte("conectix")},
	{VDI, 0x40, []byte{0x7f, 0x10, 0xda, 0xbe}},
	{ISO, 0x8001, []byte("CD001")},
}

// matches lists the formats whose magic bytes the first bytes carry, once each.
func matches(head []byte) []Format {
	var out []Format
	for _, s := range signatures {
		end := s.offset + len(s.magic)
		if end <= len(head) && bytes.Equal(head[s.offset:end], s.magic) && (len(out) == 0 || out[len(out)-1] != s.format) {
			out = append(out, s.format)
		}
	}
	return out
}

func (in *inspector) inspect() Info {
	head := in.readUpTo(0, 0x8001+5)
	found := matches(head)
	if len(found) == 0 {
		return in.raw()
	}
	var info Info
	switch found[0] {
	case QCOW2:
		info = in.qcow2(head)
	case QED:
		info = in.qed(head)
	case VMDK:
		info = in.vmdk(head)
	case VHDX:
		info = in.vhdx()
	case VHD:
		info = in.vhd(head)
	case VDI:
		info = in.vdi(head)
	case ISO:
		info = in.iso()
	}
	info.TailSeen = in.tailSeen()
	if len(found) > 1 {
		names := make([]string, len(found))
		for i, f := range found {
			names[i] = string(f)
		}
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonMultipleFormats,
			"the data carries the headers of several formats at once (" + joinAnd(names) + "), so a host could read it as any of them"})
	}
	return info
}

// tailSeen reports whether the last TailSize bytes can be read.
func (in *inspector) tailSeen() bool {
	if in.size < TailSize {
		return in.size >= 0
	}
	_, ok := in.read(in.size-TailSize, TailSize)
	return ok
}

// raw is the result when no header matched: a fixed VHD if the last 512 bytes are a VHD
// footer, raw otherwise.
func (in *inspector) raw() Info {
	info := Info{Format: Raw, TailSeen: in.tailSeen()}
	if in.size >= 0 {
		info.VirtualSize = in.size
	}
	if in.size >= TailSize && info.TailSeen {
		if footer, ok := in.read(in.size-TailSize, TailSize); ok && bytes.HasPrefix(footer, []byte("conectix")) {
			vhd := in.vhd(footer)
			vhd.TailSeen = true
			return vhd
		}
	}
	return info
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " and " + s[len(s)-1]
}

// cString is b up to its first NUL, with non-printable bytes dropped, at most 255 runes: names
// from a crafted header go into messages.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	out := make([]rune, 0, len(b))
	for _, r := range string(b) {
		if r >= 0x20 && r != 0x7f && r != 0xfffd {
			out = append(out, r)
		}
		if len(out) == 255 {
			out = append(out, '…')
			break
		}
	}
	return string(out)
}

func malformed(detail string) Unsafe { return Unsafe{ReasonMalformed, detail} }
