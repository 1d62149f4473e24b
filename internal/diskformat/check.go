package diskformat

import (
	"fmt"
	"slices"
	"strings"
)

// accepted maps a Glance disk_format to the content formats it may hold. raw takes an ISO too
// (an ISO 9660 image is a valid raw disk). ploop is not checked; aki, ari and ami (kernels,
// ramdisks, raw machine images) take only content with no other format's header.
var accepted = map[string][]Format{
	"raw":   {Raw, ISO},
	"qcow2": {QCOW2},
	"vmdk":  {VMDK},
	"vhd":   {VHD},
	"vhdx":  {VHDX},
	"vdi":   {VDI},
	"iso":   {ISO},
	"aki":   {Raw},
	"ari":   {Raw},
	"ami":   {Raw},
}

// Checked reports whether Check compares content with this disk_format (ploop, for one, is not
// compared: only its safety is checked).
func Checked(diskFormat string) bool {
	_, ok := accepted[diskFormat]
	return ok
}

// Accepts reports whether content of format f may be uploaded as diskFormat. A disk_format
// this package does not check accepts anything.
func Accepts(diskFormat string, f Format) bool {
	formats, ok := accepted[diskFormat]
	return !ok || slices.Contains(formats, f)
}

// Infer is the disk_format to declare for the content; ok is false when there is none
// (QED) or the content is unsafe.
func Infer(info Info) (string, bool) {
	if !info.Safe() {
		return "", false
	}
	return info.DiskFormat()
}

// Problem is why content may not be uploaded as declared: its format differs from the
// declared disk_format (Mismatch), or it is unsafe whatever was declared (Unsafe), or both.
type Problem struct {
	Declared string // the disk_format; "" when none was declared
	Found    Info
	Mismatch bool
	Unsafe   []Unsafe
}

// Check decides whether content described by info may be uploaded with the disk_format
// declared ("" checks safety only). nil means it may.
func Check(info Info, declared string) *Problem {
	p := &Problem{Declared: declared, Found: info, Unsafe: info.Unsafe}
	p.Mismatch = declared != "" && !Accepts(declared, info.Format)
	if !p.Mismatch && len(p.Unsafe) == 0 {
		return nil
	}
	return p
}

// Error says what was found and why it cannot be uploaded, without advice.
func (p *Problem) Error() string {
	var parts []string
	if p.Mismatch {
		parts = append(parts, fmt.Sprintf("the data is %s, not %s", p.Found.Describe(), p.Declared))
	}
	if len(p.Unsafe) > 0 {
		reasons := make([]string, len(p.Unsafe))
		for i, u := range p.Unsafe {
			reasons[i] = u.Detail
		}
		parts = append(parts, fmt.Sprintf("the %s image is unsafe: %s", p.Found.Format, strings.Join(reasons, "; ")))
	}
	return strings.Join(parts, "; ")
}

// Advice says how to fix the problem, in a sentence or two.
func (p *Problem) Advice() string {
	if len(p.Unsafe) > 0 {
		return unsafeAdvice(p.Unsafe[0].Reason)
	}
	if f, ok := p.Found.DiskFormat(); ok {
		return fmt.Sprintf("Set disk_format = %q (or leave disk_format out to have it inferred), or convert the image: qemu-img convert -O %s SOURCE OUTPUT.", f, qemuName(p.Declared))
	}
	return "Convert the image to the declared format with qemu-img convert."
}

// HasReason reports whether the problem includes the reason.
func (p *Problem) HasReason(r Reason) bool {
	return slices.ContainsFunc(p.Unsafe, func(u Unsafe) bool { return u.Reason == r })
}

func unsafeAdvice(r Reason) string {
	switch r {
	case ReasonBackingFile, ReasonDifferencing:
		return "Flatten it into a self-contained image first: qemu-img convert -O qcow2 SOURCE OUTPUT (convert reads the backing chain and writes one file)."
	case ReasonDataFile:
		return "Convert it into a self-contained image first: qemu-img convert -O qcow2 SOURCE OUTPUT (the output keeps its data inside)."
	case ReasonExtents:
		return "Convert it into a single-file image first: qemu-img convert -O vmdk -o subformat=streamOptimized SOURCE OUTPUT (or -O qcow2)."
	case ReasonQED:
		return "Convert it first: qemu-img convert -O qcow2 SOURCE OUTPUT."
	}
	return "Re-create or convert the image with qemu-img convert, and check where it came from."
}

// qemuName is qemu-img's name for a disk_format.
func qemuName(diskFormat string) string {
	switch diskFormat {
	case "vhd":
		return "vpc"
	case "iso", "aki", "ari", "ami", "":
		return "raw"
	}
	return diskFormat
}
