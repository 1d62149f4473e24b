package glance

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/dsnet/compress/bzip2"
)

// Parallel bzip2: every block starts with the 48-bit magic 0x314159265359 at any bit offset,
// and every stream ends with 0x177245385090, the stream's combined CRC and padding to a byte.
// The dispatcher finds the candidate magics in the compressed bits, cuts the source into
// segments between them and repacks each block segment as a standalone one-block stream
// ("BZh" level, the block's bits, the end magic, the block's CRC as the stream CRC), which an
// ordinary decoder decodes on its own goroutine, checking the block's CRC. The reader checks
// each stream's combined CRC. A magic can also occur by chance inside a block's compressed
// bits: the block before it then fails to decode (its data is cut short), and the reader
// re-decodes it together with the next segment(s), discarding the speculative decode of the
// false one; the CRCs catch anything else.

const (
	bzBlockMagic = 0x314159265359
	bzEndMagic   = 0x177245385090
	// bzMaxSegment is the largest compressed block bzip2 can write (900,000 symbols of at
	// most 20 bits plus the tables), with margin: no magic within it is corrupt data.
	bzMaxSegment = 2_500_000
	// bzPipeDepth pieces of a block's output wait for the reader. The expensive part of a
	// block (Huffman, move-to-front, inverse BWT) is done before its first byte comes out,
	// so a short pipe keeps the workers busy.
	bzPipeDepth = 4
	bzReadSize  = 256 << 10
)

// bzTable[v] has bit s set when the 16-bit value v at bytes p+1, p+2 fits a magic starting
// at bit s of byte p.
var bzTable = func() (t [1 << 16]uint8) {
	for _, m := range []uint64{bzBlockMagic, bzEndMagic} {
		for s := range 8 {
			t[(m>>(24+s))&0xffff] |= 1 << s
		}
	}
	return t
}()

// bzRepackPool keeps the repacked streams' buffers (a block's compressed size each).
var bzRepackPool = sync.Pool{New: func() any { return new([]byte) }}

var errBzShort = errors.New("bzip2: corrupted input: block shorter than its header")

// bzSegment is the compressed bits between two candidate magics.
type bzSegment struct {
	raw        []byte // the bytes holding bits [start, end)
	start, end int    // bit offsets in raw
	absStart   int64  // bit offset of start in the source
	footer     bool   // starts with the end-of-stream magic (else a block magic)
	tail       bool   // the source ended before another magic: cut short
	level      byte   // the stream's level digit, '1'..'9'
	firstErr   error  // when re-cut: the error of the first decode
}

func (s *bzSegment) bits() int { return s.end - s.start }

// merge returns s extended by the following segment n.
func (s *bzSegment) merge(n *bzSegment) *bzSegment {
	// s's bytes end in the byte where n's bits start; n.raw starts at that byte.
	keep := s.end / 8
	raw := make([]byte, 0, keep+len(n.raw))
	raw = append(append(raw, s.raw[:keep]...), n.raw...)
	return &bzSegment{raw: raw, start: s.start, end: keep*8 + n.end, absStart: s.absStart,
		footer: s.footer, tail: n.tail, level: s.level, firstErr: s.firstErr}
}

// bitsAt reads n ≤ 56 bits at bit offset pos of b (big-endian bit order).
func bitsAt(b []byte, pos, n int) uint64 {
	var v uint64
	for i := range (pos%8 + n + 7) / 8 {
		v = v<<8 | uint64(b[pos/8+i])
	}
	total := ((pos%8 + n + 7) / 8) * 8
	return (v >> (total - pos%8 - n)) & (1<<n - 1)
}

// repack makes the segment's block a standalone bzip2 stream.
func (s *bzSegment) repack(buf []byte) []byte {
	nbits := s.bits()
	out := buf[:0]
	if need := 4 + (nbits+80)/8 + 2; cap(out) < need {
		out = make([]byte, 0, need)
	}
	out = out[:4]
	out[0], out[1], out[2], out[3] = 'B', 'Z', 'h', s.level
	a, k := s.start/8, uint(s.start%8)
	nbytes := (nbits + 7) / 8
	for i := range nbytes {
		v := s.raw[a+i] << k
		if k > 0 && a+i+1 < len(s.raw) {
			v |= s.raw[a+i+1] >> (8 - k)
		}
		out = append(out, v)
	}
	if r := nbits % 8; r != 0 {
		out[len(out)-1] &= 0xff << (8 - r)
	}
	crc := bitsAt(s.raw, s.start+48, 32)
	out = appendBits(out, nbits, bzEndMagic, 48)
	return appendBits(out, nbits+48, crc, 32)
}

// appendBits writes the n low bits of v after the first used bits of b's tail (b holds
// 4 header bytes plus used bits).
func appendBits(b []byte, used int, v uint64, n int) []byte {
	pos := used % 8
	for i := n - 1; i >= 0; i-- {
		if pos%8 == 0 && (pos > 0 || used%8 == 0) {
			b = append(b, 0)
		}
		if v>>uint(i)&1 == 1 {
			b[len(b)-1] |= 0x80 >> uint(pos%8)
		}
		pos++
	}
	return b
}

// parallelBzip2 decodes a bzip2 source on up to workers goroutines.
type parallelBzip2 struct {
	*orderedOutput
	src       io.Reader
	decoders  chan *bzip2.Reader
	streamCRC uint32
	// testCandidates, when set, adds false candidates (absolute bit offsets) to the scan.
	testCandidates map[int64]bool
}

func newParallelBzip2(src io.Reader, workers int) *parallelBzip2 {
	d := &parallelBzip2{
		orderedOutput: newOrderedOutput(workers, int64(workers)*(2*bzMaxSegment+(bzPipeDepth+1)*pieceSize)),
		src:           src,
		decoders:      make(chan *bzip2.Reader, workers),
	}
	d.finished = d.finish
	return d
}

func (d *parallelBzip2) start() {
	d.wg.Add(1)
	go d.dispatch()
}

// bzScanner holds the source's bytes from the current candidate on.
type bzScanner struct {
	buf  []byte
	base int64 // source offset of buf[0]
	scan int64 // next byte offset whose (p+1, p+2) pair to test
	eof  bool
	err  error
}

func (d *parallelBzip2) fill(sc *bzScanner, keepFrom int64) {
	if drop := int(keepFrom - sc.base); drop > len(sc.buf)/2 && drop > 0 {
		sc.buf = append(sc.buf[:0], sc.buf[drop:]...)
		sc.base = keepFrom
	}
	if cap(sc.buf)-len(sc.buf) < bzReadSize {
		nb := make([]byte, len(sc.buf), 2*cap(sc.buf)+bzReadSize)
		copy(nb, sc.buf)
		sc.buf = nb
	}
	n, err := io.ReadAtLeast(d.src, sc.buf[len(sc.buf):cap(sc.buf)], 1)
	sc.buf = sc.buf[:len(sc.buf)+n]
	if errors.Is(err, io.EOF) {
		sc.eof = true
	} else if err != nil {
		sc.err = err
	}
}

// next finds the next candidate magic at or after bit offset from; -1 at the source's end.
func (d *parallelBzip2) nextCandidate(sc *bzScanner, from, keepFrom int64) int64 {
	if q := from/8 + 1; sc.scan < q {
		sc.scan = q
	}
	for {
		end := sc.base + int64(len(sc.buf)) - 5 // bytes q-1 .. q+5 must be in buf
		for q := sc.scan; q < end; q++ {
			i := int(q - sc.base)
			mask := bzTable[uint16(sc.buf[i])<<8|uint16(sc.buf[i+1])]
			if mask == 0 && d.testCandidates == nil {
				continue
			}
			v := bitsAt(sc.buf[i-1:i+6], 0, 56)
			for s := range 8 {
				c := (q-1)*8 + int64(s)
				if c < from {
					continue
				}
				if d.testCandidates[c] {
					delete(d.testCandidates, c)
					sc.scan = q
					return c
				}
				if mask&(1<<s) == 0 {
					continue
				}
				if m := v >> (8 - s) & (1<<48 - 1); m == bzBlockMagic || m == bzEndMagic {
					sc.scan = q // the next call's from skips this one
					return c
				}
			}
		}
		sc.scan = max(sc.scan, end)
		if sc.eof || sc.err != nil {
			return -1
		}
		if sc.scan-keepFrom/8 > bzMaxSegment {
			return -2
		}
		d.fill(sc, keepFrom/8)
	}
}

func (d *parallelBzip2) dispatch() {
	defer d.wg.Done()
	defer close(d.tasks)
	sc := &bzScanner{buf: make([]byte, 0, bzReadSize)}
	for len(sc.buf) < 4 && !sc.eof && sc.err == nil {
		d.fill(sc, 0)
	}
	if len(sc.buf) < 4 || string(sc.buf[:3]) != "BZh" || sc.buf[3] < '1' || sc.buf[3] > '9' {
		err := sc.err
		if err == nil {
			err = errors.New("bzip2: corrupted input: invalid stream magic")
		}
		d.send(failTask(err))
		return
	}
	level := sc.buf[3]
	cur := int64(32)
	for {
		next := d.nextCandidate(sc, cur+1, cur) // a false magic may lie just before a real one
		if next == -2 {
			d.send(failTask(fmt.Errorf("bzip2: corrupted input: no block boundary within %d bytes", bzMaxSegment)))
			return
		}
		endBit := next
		if next < 0 {
			if sc.err != nil {
				d.send(failTask(sc.err))
				return
			}
			endBit = (sc.base + int64(len(sc.buf))) * 8
		}
		from := int(cur/8 - sc.base)
		raw := append([]byte(nil), sc.buf[from:int((endBit+7)/8-sc.base)]...)
		seg := &bzSegment{raw: raw, start: int(cur % 8), end: int(endBit - cur/8*8), absStart: cur,
			tail: next < 0, level: level}
		if seg.bits() >= 48 {
			seg.footer = bitsAt(raw, seg.start, 48) == bzEndMagic
		}
		if seg.footer {
			// The next stream's level, if a header follows the footer.
			if h := int((cur+80+7)/8 - sc.base); h+4 <= len(sc.buf) && string(sc.buf[h:h+3]) == "BZh" {
				level = sc.buf[h+3]
			}
		}
		if !d.dispatchSegment(seg) || next < 0 {
			return
		}
		cur = next
	}
}

// dispatchSegment queues the segment, starting its decode when it is a block.
func (d *parallelBzip2) dispatchSegment(seg *bzSegment) bool {
	if seg.footer || seg.tail {
		t := newBlockTask(0, 0, seg)
		close(t.pieces)
		return d.send(t)
	}
	cost := int64(2*len(seg.raw) + (bzPipeDepth+1)*pieceSize)
	if !d.limits.acquire(cost) {
		return false
	}
	t := newBlockTask(bzPipeDepth, cost, seg)
	t.holds = true
	d.runBlock(t)
	return d.send(t)
}

func (d *parallelBzip2) runBlock(t *blockTask) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		var zr *bzip2.Reader
		select {
		case zr = <-d.decoders:
		default:
			zr, _ = bzip2.NewReader(nil, nil)
		}
		seg, _ := t.meta.(*bzSegment)
		err := errBzShort // a false magic right after this one; re-cut by finish
		if seg.bits() >= 80 {
			bp, _ := bzRepackPool.Get().(*[]byte)
			*bp = seg.repack(*bp)
			if err = zr.Reset(bytes.NewReader(*bp)); err == nil {
				err = t.emit(zr)
			}
			_ = zr.Reset(bytes.NewReader(nil))
			bzRepackPool.Put(bp)
		}
		select {
		case d.decoders <- zr:
		default:
		}
		t.err = err
		close(t.pieces)
	}()
}

// finish checks a segment once its decode has ended; a block cut short by a false magic is
// re-decoded together with the following segment(s).
func (d *parallelBzip2) finish(t *blockTask) (*blockTask, error) {
	seg, _ := t.meta.(*bzSegment)
	if seg == nil { // an error found by the dispatcher
		return nil, t.err
	}
	merged := false
	for seg.bits() < 80 && !seg.tail { // too short for a block or a footer: a false magic follows
		m, err := d.mergeNext(seg)
		if m == nil {
			return nil, cmp.Or(err, errBzShort)
		}
		seg, merged = m, true
	}
	if seg.bits() >= 48 && bitsAt(seg.raw, seg.start, 48) == bzEndMagic {
		return d.footer(seg)
	}
	if seg.tail {
		return nil, fmt.Errorf("bzip2: %w", io.ErrUnexpectedEOF)
	}
	if !merged {
		if t.err == nil {
			d.streamCRC = (d.streamCRC<<1 | d.streamCRC>>31) ^ uint32(bitsAt(seg.raw, seg.start+48, 32))
			return nil, nil
		}
		if seg.firstErr == nil {
			seg.firstErr = t.err
		}
		if t.forwarded { // its output is gone: it cannot be decoded again
			return nil, seg.firstErr
		}
		m, err := d.mergeNext(seg)
		if m == nil {
			return nil, err
		}
		seg = m
		if seg.tail {
			return nil, fmt.Errorf("bzip2: %w", io.ErrUnexpectedEOF)
		}
	}
	nt := newBlockTask(bzPipeDepth, 0, seg)
	d.runBlock(nt)
	return nt, nil
}

// mergeNext takes the next segment off the queue (dropping its speculative decode) and
// joins it to seg; nil and seg's first error when there is none or it would be too long.
func (d *parallelBzip2) mergeNext(seg *bzSegment) (*bzSegment, error) {
	n, ok := <-d.tasks
	if !ok {
		return nil, seg.firstErr
	}
	n.abandon()
	if n.holds {
		d.limits.release(n.cost)
	}
	ns, _ := n.meta.(*bzSegment)
	if ns == nil {
		return nil, cmp.Or(seg.firstErr, n.err)
	}
	if seg.bits()+ns.bits() > 8*bzMaxSegment {
		return nil, seg.firstErr
	}
	return seg.merge(ns), nil
}

// footer checks an end-of-stream segment: the combined CRC, then either the source's end
// or the next stream's header right after the padding.
func (d *parallelBzip2) footer(seg *bzSegment) (*blockTask, error) {
	pad := int((seg.absStart+80+7)/8*8 - seg.absStart)
	want := pad
	if !seg.tail {
		want += 32
	}
	for seg.bits() < want && !seg.tail { // a false magic in the CRC or the next header
		merged, err := d.mergeNext(seg)
		if merged == nil {
			if err == nil {
				err = errors.New("bzip2: corrupted input: invalid stream magic")
			}
			return nil, err
		}
		seg = merged
		if seg.tail {
			want = pad
		}
	}
	if seg.bits() < 80 {
		return nil, fmt.Errorf("bzip2: %w", io.ErrUnexpectedEOF)
	}
	if crc := uint32(bitsAt(seg.raw, seg.start+48, 32)); crc != d.streamCRC {
		return nil, errors.New("bzip2: corrupted input: mismatching stream checksum")
	}
	d.streamCRC = 0
	switch {
	case seg.tail && seg.bits() == pad:
		return nil, nil
	case seg.tail && seg.bits() < pad+32:
		return nil, fmt.Errorf("bzip2: %w", io.ErrUnexpectedEOF)
	case seg.bits() != want:
		return nil, errors.New("bzip2: corrupted input: invalid stream magic")
	}
	h := seg.start + pad
	if bitsAt(seg.raw, h, 24) != 'B'<<16|'Z'<<8|'h' {
		return nil, errors.New("bzip2: corrupted input: invalid stream magic")
	}
	if l := bitsAt(seg.raw, h+24, 8); l < '1' || l > '9' {
		return nil, fmt.Errorf("bzip2: corrupted input: invalid block size: %d", (int(l)-'0')*100000)
	}
	return nil, nil
}
