package diskformat

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// qcow2 reads a qcow2 header (qemu docs/interop/qcow2.txt; all fields big-endian).
func (in *inspector) qcow2(head []byte) Info {
	info := Info{Format: QCOW2}
	if len(head) < 72 {
		info.Unsafe = append(info.Unsafe, malformed("the qcow2 header is cut short"))
		return info
	}
	info.Version = int(be.Uint32(head[4:]))
	backingOff, backingLen := be.Uint64(head[8:]), be.Uint32(head[16:])
	clusterBits := be.Uint32(head[20:])
	info.VirtualSize = clampSize(be.Uint64(head[24:]))
	qcow2Encryption(&info, be.Uint32(head[32:]))
	if info.Version != 2 && info.Version != 3 {
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("qcow2 version %d is not 2 or 3", info.Version)))
		return info
	}
	if clusterBits < 9 || clusterBits > 21 {
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("qcow2 cluster_bits %d is outside 9-21", clusterBits)))
		return info
	}
	clusterSize := uint64(1) << clusterBits
	if backingOff != 0 {
		info.BackingFile = "(unreadable name)"
		if backingLen <= 1023 && backingOff < clusterSize && backingOff+uint64(backingLen) <= clusterSize {
			if name, ok := in.read(int64(backingOff), int(backingLen)); ok {
				info.BackingFile = cString(name)
			}
		}
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonBackingFile, fmt.Sprintf("it has a backing file, %q: a host would read that file from its own disk", info.BackingFile)})
	}
	extStart := uint64(72)
	if info.Version == 3 {
		var ok bool
		if extStart, ok = qcow2Version3(&info, head, clusterSize); !ok {
			return info
		}
	}
	if name, found := in.qcow2Extensions(extStart, clusterSize, backingOff); found {
		info.DataFile = name
	}
	if info.DataFile != "" {
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonDataFile, fmt.Sprintf("its data lives in an external data file, %q: a host would read that file from its own disk", info.DataFile)})
	}
	return info
}

func qcow2Encryption(info *Info, method uint32) {
	switch method {
	case 0:
	case 1:
		info.Encryption = "aes"
	case 2:
		info.Encryption = "luks"
	default:
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("unknown qcow2 encryption method %d", method)))
	}
}

// qcow2Version3 reads the version 3 fields: the incompatible features (an external data file,
// bits not known to be safe) and the header length, where the extensions start. ok is false
// for a header too damaged to read on.
func qcow2Version3(info *Info, head []byte, clusterSize uint64) (extStart uint64, ok bool) {
	if len(head) < 104 {
		info.Unsafe = append(info.Unsafe, malformed("the qcow2 version 3 header is cut short"))
		return 0, false
	}
	incompatible := be.Uint64(head[72:])
	headerLen := uint64(be.Uint32(head[100:]))
	if headerLen < 104 || headerLen > clusterSize || headerLen%8 != 0 {
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("qcow2 header_length %d is not a multiple of 8 between 104 and the cluster size", headerLen)))
		return 0, false
	}
	const known = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 // dirty, corrupt, external data file, compression type, extended L2
	if unknown := incompatible &^ known; unknown != 0 {
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonUnknownFeatures, fmt.Sprintf("it sets incompatible qcow2 feature bits 0x%x that are not known to be safe", unknown)})
	}
	if incompatible&(1<<2) != 0 {
		info.DataFile = "(unnamed)"
	}
	return headerLen, true
}

// qcow2Extensions walks the header extensions (type, length, data padded to 8 bytes) in the
// first cluster and returns the external data file name, if one is recorded.
func (in *inspector) qcow2Extensions(off, clusterSize, backingOff uint64) (string, bool) {
	end := clusterSize
	if backingOff > off && backingOff < end {
		end = backingOff
	}
	for i := 0; i < 256 && off+8 <= end; i++ {
		h, ok := in.read(int64(off), 8)
		if !ok {
			return "", false
		}
		typ, length := be.Uint32(h), uint64(be.Uint32(h[4:]))
		if typ == 0 || off+8+length > end {
			return "", false
		}
		if typ == 0x44415441 { // external data file name
			name, _ := in.read(int64(off+8), int(min(length, 1023)))
			return cString(name), true
		}
		off += 8 + (length+7)/8*8
	}
	return "", false
}

// qed reads a QED header (little-endian). QED is refused whatever it holds.
func (in *inspector) qed(head []byte) Info {
	info := Info{Format: QED, Unsafe: []Unsafe{{ReasonQED, "QED images are refused by Glance and Nova since OSSA-2024-001: convert it to qcow2 or raw"}}}
	if len(head) < 64 {
		info.Unsafe = append(info.Unsafe, malformed("the QED header is cut short"))
		return info
	}
	info.VirtualSize = clampSize(le.Uint64(head[48:]))
	if le.Uint64(head[16:])&1 != 0 { // QED_F_BACKING_FILE
		info.BackingFile = "(unreadable name)"
		off, n := le.Uint32(head[56:]), le.Uint32(head[60:])
		if n <= 1023 {
			if name, ok := in.read(int64(off), int(n)); ok {
				info.BackingFile = cString(name)
			}
		}
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonBackingFile, fmt.Sprintf("it has a backing file, %q", info.BackingFile)})
	}
	return info
}

// The VMDK createTypes whose data is all in the one file.
var selfContainedVMDK = map[string]bool{"monolithicSparse": true, "streamOptimized": true}

// vmdk reads a sparse extent header (little-endian) and its embedded descriptor, or a text
// descriptor file.
func (in *inspector) vmdk(head []byte) Info {
	info := Info{Format: VMDK}
	if bytes.HasPrefix(head, []byte("# Disk DescriptorFile")) {
		info.Variant = "descriptor"
		desc := in.readUpTo(0, 64<<10)
		parseVMDKDescriptor(&info, desc)
		for _, e := range info.Extents {
			info.VirtualSize += e.Sectors * 512
		}
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonExtents, fmt.Sprintf("it is a VMDK descriptor (createType %q) whose data is in other files (%s): a host would open those files on its own disk", info.CreateType, extentFiles(info.Extents))})
		return info
	}
	info.Variant = "sparse"
	if len(head) < 44 {
		info.Unsafe = append(info.Unsafe, malformed("the VMDK header is cut short"))
		return info
	}
	info.Version = int(le.Uint32(head[4:]))
	capacity := le.Uint64(head[12:])
	descOff, descLen := le.Uint64(head[28:]), le.Uint64(head[36:])
	if capacity < 1<<54 {
		info.VirtualSize = int64(capacity) * 512
	}
	if info.Version < 1 || info.Version > 3 {
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("VMDK version %d is not 1, 2 or 3", info.Version)))
	}
	if descOff == 0 || descLen == 0 || descOff > HeadSize/512 || descLen > 2048 {
		info.Unsafe = append(info.Unsafe, malformed("the VMDK has no descriptor where one is expected, so its extents cannot be checked"))
		return info
	}
	parseVMDKDescriptor(&info, in.readUpTo(int64(descOff)*512, int(descLen)*512))
	vmdkSafety(&info)
	return info
}

// vmdkSafety refuses createTypes and extents that involve other files.
func vmdkSafety(info *Info) {
	if !selfContainedVMDK[info.CreateType] {
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonExtents, fmt.Sprintf("its createType %q is not a self-contained one (monolithicSparse, streamOptimized)", info.CreateType)})
		return
	}
	if len(info.Extents) > 1 {
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonExtents, fmt.Sprintf("it is split into %d extents (%s)", len(info.Extents), extentFiles(info.Extents))})
		return
	}
	for _, e := range info.Extents {
		if e.Type != "SPARSE" || strings.ContainsAny(e.File, `/\`) {
			info.Unsafe = append(info.Unsafe, Unsafe{ReasonExtents, fmt.Sprintf("its extent is %s %q, not the file itself", e.Type, e.File)})
		}
	}
}

var (
	vmdkCreateType = regexp.MustCompile(`(?m)^\s*createType\s*=\s*"([^"\n]{0,64})"`)
	vmdkExtent     = regexp.MustCompile(`(?m)^\s*(RW|RDONLY|NOACCESS)\s+(\d{1,19})\s+([A-Za-z]+)(?:\s+"([^"\n]*)")?`)
)

// parseVMDKDescriptor reads createType and the extent lines of a descriptor (text up to its
// first NUL); at most 1024 extents are kept.
func parseVMDKDescriptor(info *Info, desc []byte) {
	if i := bytes.IndexByte(desc, 0); i >= 0 {
		desc = desc[:i]
	}
	if m := vmdkCreateType.FindSubmatch(desc); m != nil {
		info.CreateType = cString(m[1])
	}
	for _, m := range vmdkExtent.FindAllSubmatch(desc, 1024) {
		n, err := strconv.ParseInt(string(m[2]), 10, 64)
		if err != nil || n > 1<<54 {
			n = 0
		}
		info.Extents = append(info.Extents, Extent{Access: string(m[1]), Sectors: n, Type: string(m[3]), File: cString(m[4])})
	}
}

func extentFiles(extents []Extent) string {
	var names []string
	for i, e := range extents {
		if i == 5 {
			names = append(names, fmt.Sprintf("%d more", len(extents)-5))
			break
		}
		names = append(names, fmt.Sprintf("%s %q", e.Type, e.File))
	}
	if len(names) == 0 {
		return "no extents listed"
	}
	return strings.Join(names, ", ")
}

// vhd reads a VHD footer (big-endian, 512 bytes): the copy at the start of a dynamic disk, or
// the last 512 bytes, which every VHD has.
func (in *inspector) vhd(footer []byte) Info {
	info := Info{Format: VHD}
	if len(footer) < 64 {
		info.Unsafe = append(info.Unsafe, malformed("the VHD footer is cut short"))
		return info
	}
	info.VirtualSize = clampSize(be.Uint64(footer[48:]))
	switch be.Uint32(footer[60:]) {
	case 2:
		info.Variant = "fixed"
	case 3:
		info.Variant = "dynamic"
	case 4:
		info.Variant = "differencing"
		info.BackingFile = in.vhdParent(be.Uint64(footer[16:]))
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonDifferencing, fmt.Sprintf("it is a differencing VHD whose parent is %q: a host would open the parent from its own disk", info.BackingFile)})
	default:
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("unknown VHD disk type %d", be.Uint32(footer[60:]))))
	}
	return info
}

// vhdParent reads the parent's name (UTF-16BE, 512 bytes at 64) from a dynamic disk header.
func (in *inspector) vhdParent(headerOff uint64) string {
	if headerOff > HeadSize {
		return "(unreadable name)"
	}
	h, ok := in.read(int64(headerOff), 1024)
	if !ok || !bytes.HasPrefix(h, []byte("cxsparse")) {
		return "(unreadable name)"
	}
	u := make([]uint16, 0, 256)
	for i := 64; i+1 < 576; i += 2 {
		c := be.Uint16(h[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return cString([]byte(string(utf16.Decode(u))))
}

// GUIDs of the VHDX structures, as stored (the first three fields little-endian).
var (
	vhdxMetadataRegion = guid(0x8B7CA206, 0x4790, 0x4B9A, 0xB8FE575F050F886E)
	vhdxVirtualSize    = guid(0x2FA54224, 0xCD1B, 0x4876, 0xB2115DBED83BF4B8)
	vhdxFileParameters = guid(0xCAA16737, 0xFA36, 0x4D43, 0xB3B633F0AA44E76B)
	vhdxParentLocator  = guid(0xA8D35F2D, 0xB30B, 0x454D, 0xABF7D3D84834AB0C)
)

func guid(a uint32, b, c uint16, d uint64) [16]byte {
	var g [16]byte
	le.PutUint32(g[0:], a)
	le.PutUint16(g[4:], b)
	le.PutUint16(g[6:], c)
	be.PutUint64(g[8:], d)
	return g
}

// vhdx finds the metadata region through the region table (at 192 KiB) and reads the virtual
// disk size and whether the disk has a parent.
func (in *inspector) vhdx() Info {
	info := Info{Format: VHDX}
	meta, ok := in.vhdxMetadataOffset()
	if !ok {
		return info // the region table was not seen: the format is known, the size is not
	}
	table, ok := in.read(meta, 32)
	if !ok || !bytes.HasPrefix(table, []byte("metadata")) {
		info.Unsafe = append(info.Unsafe, malformed("the VHDX metadata region has no metadata table"))
		return info
	}
	count := int(le.Uint16(table[10:]))
	if count > 2047 {
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("the VHDX metadata table has %d entries (at most 2047)", count)))
		return info
	}
	entries, ok := in.read(meta+32, count*32)
	if !ok {
		return info
	}
	for i := 0; i < count; i++ {
		e := entries[i*32 : i*32+32]
		id, itemOff, itemLen := [16]byte(e[:16]), int64(le.Uint32(e[16:])), le.Uint32(e[20:])
		switch id {
		case vhdxVirtualSize:
			if v, ok := in.read(meta+itemOff, 8); ok && itemLen >= 8 {
				info.VirtualSize = clampSize(le.Uint64(v))
			}
		case vhdxFileParameters:
			if v, ok := in.read(meta+itemOff, 8); ok && itemLen >= 8 && le.Uint32(v[4:])&2 != 0 {
				info.Variant = "differencing"
			}
		case vhdxParentLocator:
			info.Variant = "differencing"
		}
	}
	if info.Variant == "differencing" {
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonDifferencing, "it is a differencing VHDX that needs a parent disk: a host would open the parent from its own disk"})
	}
	return info
}

// vhdxMetadataOffset reads the region table (or its copy) and returns the metadata region's
// offset.
func (in *inspector) vhdxMetadataOffset() (int64, bool) {
	for _, off := range []int64{192 << 10, 256 << 10} {
		h, ok := in.read(off, 16)
		if !ok || !bytes.HasPrefix(h, []byte("regi")) {
			continue
		}
		count := int(le.Uint32(h[8:]))
		if count > 2047 {
			continue
		}
		entries, ok := in.read(off+16, count*32)
		if !ok {
			continue
		}
		for i := 0; i < count; i++ {
			e := entries[i*32 : i*32+32]
			if [16]byte(e[:16]) == vhdxMetadataRegion {
				if o := le.Uint64(e[16:]); o < 1<<50 {
					return int64(o), true
				}
			}
		}
	}
	return 0, false
}

// vdi reads a VirtualBox header (little-endian).
func (in *inspector) vdi(head []byte) Info {
	info := Info{Format: VDI}
	if len(head) < 0x178 {
		info.Unsafe = append(info.Unsafe, malformed("the VDI header is cut short"))
		return info
	}
	info.Version = int(le.Uint32(head[0x44:]) >> 16)
	info.VirtualSize = clampSize(le.Uint64(head[0x170:]))
	switch t := le.Uint32(head[0x4c:]); t {
	case 1:
		info.Variant = "dynamic"
	case 2:
		info.Variant = "fixed"
	case 3, 4:
		info.Variant = map[uint32]string{3: "undo", 4: "differencing"}[t]
		info.Unsafe = append(info.Unsafe, Unsafe{ReasonDifferencing, "it is a " + info.Variant + " VDI that needs a parent disk"})
	default:
		info.Unsafe = append(info.Unsafe, malformed(fmt.Sprintf("unknown VDI image type %d", t)))
	}
	return info
}

// iso reads the primary volume descriptor at 32 KiB: volume space size (blocks) and logical
// block size, both stored both-endian; the little-endian halves are read.
func (in *inspector) iso() Info {
	info := Info{Format: ISO}
	for i := int64(0); i < 16; i++ {
		d, ok := in.read(0x8000+i*2048, 2048)
		if !ok || string(d[1:6]) != "CD001" || d[0] == 0xff {
			break
		}
		if d[0] == 1 {
			blocks, blockSize := int64(le.Uint32(d[80:])), int64(le.Uint16(d[128:]))
			info.VirtualSize = blocks * blockSize
			break
		}
	}
	return info
}

// clampSize turns a 64-bit size field into an int64, 0 when it cannot be a size.
func clampSize(v uint64) int64 {
	if v > 1<<62 {
		return 0
	}
	return int64(v)
}
