package glance

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/therootcompany/xz"
)

// Parallel xz: a stream is a header, independent blocks, an index of the blocks' sizes and a
// footer. The dispatcher reads the block headers in order (no seeking: the source may be a
// download). A block whose header declares its compressed size (xz -T0 writes it in every
// block) and that fits the budget is read whole and decoded on its own goroutine, repacked
// as a standalone one-block stream (the stream header, the block as it is, a one-record index
// and a footer) by the same decoder as the sequential path, which checks the block's sizes
// and integrity check. Any other block (single-threaded xz writes one block without sizes; a
// header may claim any size) is streamed: decoded as it is read, never buffered, while the
// dispatcher waits. The dispatcher checks the stream's own index against the blocks it saw.

const (
	// xzParallelBudget bounds the blocks in flight: their dictionaries, compressed bytes and
	// output waiting for the reader. A block is decoded ahead only when it takes at most half
	// of it, so two always fit.
	xzParallelBudget = 128 << 20
	// xzMaxLookahead is how much of a block's output may wait for the reader: a block decodes
	// ahead of the one being read only as far as its pipe holds, so the pipe is sized to the
	// block (xz -T0 at the default level writes 24 MiB blocks) up to this.
	xzMaxLookahead = 32 << 20
	// xzStreamDepth pieces of a streamed block's output wait for the reader.
	xzStreamDepth = 4
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// errXZTruncated is a stream that stops mid-way, in the sequential decoder's words.
var errXZTruncated = fmt.Errorf("%w: %w", xz.ErrBuf, io.ErrUnexpectedEOF)

type parallelXZ struct {
	*orderedOutput
	src *bufio.Reader
	// decoders and bodies are kept for the next blocks (a fresh dictionary per block would
	// leave the collector megabytes of garbage each time).
	decoders chan *xz.Reader
	bodies   chan []byte
}

func newParallelXZ(src io.Reader, workers int) *parallelXZ {
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(src, compressedReadSize)
	}
	d := &parallelXZ{orderedOutput: newOrderedOutput(workers, xzParallelBudget), src: br,
		decoders: make(chan *xz.Reader, workers), bodies: make(chan []byte, workers)}
	d.finished = func(t *blockTask) (*blockTask, error) { return nil, xzError(t.err) }
	return d
}

func (d *parallelXZ) start() {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer close(d.tasks)
		if err := d.dispatch(); err != nil && !errors.Is(err, errAbandoned) {
			d.send(failTask(err))
		}
	}()
}

// xzFirstBlockSized tells whether the first block header declares its compressed size, as
// the multi-threaded xz writes it: files from the single-threaded xz (its default: one block
// for the whole file) go to the sequential decoder, which the parallel one would only wrap.
func xzFirstBlockSized(br *bufio.Reader) bool {
	b, err := br.Peek(13)
	if err != nil || b[12] == 0 {
		return false
	}
	b, err = br.Peek(12 + (int(b[12])+1)*4)
	return err == nil && b[13]&0x40 != 0
}

// xzError maps the decoder's errors to the sequential path's.
func xzError(err error) error {
	if errors.Is(err, xz.ErrMemlimit) {
		return &DecompressLimitError{Format: "xz", What: "dictionary", Limit: XZDictionaryLimit}
	}
	return err
}

// readFull reads len(b) bytes; a stream that ends first is truncated.
func (d *parallelXZ) readFull(b []byte) error {
	if _, err := io.ReadFull(d.src, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errXZTruncated
		}
		return err
	}
	return nil
}

// dispatch reads the streams one after another.
func (d *parallelXZ) dispatch() error {
	for first := true; ; first = false {
		hdr := make([]byte, 12)
		if !first {
			// Stream padding: groups of four zero bytes, then the next stream or the end.
			for {
				if _, err := io.ReadFull(d.src, hdr[:4]); errors.Is(err, io.EOF) {
					return nil
				} else if err != nil {
					return xz.ErrData
				}
				if !bytes.Equal(hdr[:4], []byte{0, 0, 0, 0}) {
					break
				}
			}
			if err := d.readFull(hdr[4:]); err != nil {
				return err
			}
		} else if err := d.readFull(hdr); err != nil {
			return err
		}
		if !bytes.Equal(hdr[:6], xzMagic) {
			return xz.ErrFormat
		}
		if hdr[6] != 0 || hdr[7] > 0x0f || crc32.ChecksumIEEE(hdr[6:8]) != binary.LittleEndian.Uint32(hdr[8:12]) {
			return xz.ErrData
		}
		if err := d.stream(hdr); err != nil {
			return err
		}
	}
}

// xzIndexSum accumulates what an index must list: the count, the sizes and a CRC of them.
type xzIndexSum struct {
	count, unpadded, uncompressed uint64
	crc                           uint32
}

func (s *xzIndexSum) add(unpadded, uncompressed uint64) {
	s.count++
	s.unpadded += unpadded
	s.uncompressed += uncompressed
	var b [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(b[:], unpadded)
	n += binary.PutUvarint(b[n:], uncompressed)
	s.crc = crc32.Update(s.crc, crc32.IEEETable, b[:n])
}

// xzCheckSize is the size of the integrity check of type id.
func xzCheckSize(id byte) int {
	if id == 0 {
		return 0
	}
	return 4 << ((id - 1) / 3)
}

// stream reads one stream's blocks, index and footer (the header is read).
func (d *parallelXZ) stream(hdr []byte) error {
	var sum xzIndexSum
	for {
		b, err := d.src.ReadByte()
		if err != nil {
			return errXZTruncated
		}
		if b == 0 {
			return d.index(hdr, &sum)
		}
		bh := make([]byte, (int(b)+1)*4)
		bh[0] = b
		if err := d.readFull(bh[1:]); err != nil {
			return err
		}
		blk, err := parseXZBlockHeader(bh)
		if err != nil {
			return err
		}
		blk.stream = hdr
		blk.checkSize = xzCheckSize(hdr[7] & 0x0f)
		if err := d.block(blk); err != nil {
			return err
		}
		sum.add(uint64(len(bh))+uint64(blk.compressed)+uint64(blk.checkSize), uint64(blk.uncompressed))
	}
}

// xzBlock is what the dispatcher knows of a block.
type xzBlock struct {
	stream, header []byte
	// compressed and uncompressed are the sizes the header declares (-1: not declared),
	// then the ones found.
	compressed, uncompressed int64
	dict                     int64
	checkSize                int
}

// readVLI reads an xz variable-length integer from b.
func readVLI(b []byte) (uint64, int, bool) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, i == 0 || b[i] != 0
		}
	}
	return 0, 0, false
}

// parseXZBlockHeader reads the sizes and the LZMA2 dictionary of a block header.
func parseXZBlockHeader(bh []byte) (*xzBlock, error) {
	n := len(bh)
	if crc32.ChecksumIEEE(bh[:n-4]) != binary.LittleEndian.Uint32(bh[n-4:]) {
		return nil, xz.ErrData
	}
	blk := &xzBlock{header: bh, compressed: -1, uncompressed: -1}
	flags := bh[1]
	if flags&0x3c != 0 {
		return nil, xz.ErrOptions
	}
	p := 2
	for _, f := range []struct {
		bit  byte
		size *int64
	}{{0x40, &blk.compressed}, {0x80, &blk.uncompressed}} {
		if flags&f.bit == 0 {
			continue
		}
		v, k, ok := readVLI(bh[p : n-4])
		if !ok || v == 0 && f.bit == 0x40 || v > 1<<62 {
			return nil, xz.ErrData
		}
		*f.size = int64(v)
		p += k
	}
	for range int(flags&3) + 1 {
		id, k, ok := readVLI(bh[p : n-4])
		if !ok {
			return nil, xz.ErrData
		}
		p += k
		size, k, ok := readVLI(bh[p : n-4])
		if !ok || p+k+int(size) > n-4 {
			return nil, xz.ErrData
		}
		p += k
		if id == 0x21 && size == 1 {
			db := bh[p]
			if db > 40 {
				return nil, xz.ErrOptions
			}
			blk.dict = int64(2|db&1) << (db/2 + 11)
		}
		p += int(size)
	}
	if blk.dict > XZDictionaryLimit {
		return nil, &DecompressLimitError{Format: "xz", What: "dictionary", Limit: XZDictionaryLimit}
	}
	return blk, nil
}

// block reads one block and queues its decode: whole when its compressed size is declared
// and fits the budget, else streamed from the source while the dispatcher waits.
func (d *parallelXZ) block(blk *xzBlock) error {
	state := blk.dict
	if blk.uncompressed >= 0 {
		state = min(state, blk.uncompressed)
	}
	base := state + xzStreamDepth*pieceSize + 64<<10 // the decoder's buffers beside its dictionary
	depth := xzStreamDepth
	if blk.uncompressed >= 0 {
		depth = int(max(xzStreamDepth, min(blk.uncompressed, xzMaxLookahead)/pieceSize))
	}
	pad := 0
	if blk.compressed >= 0 {
		pad = int((4 - (int64(len(blk.header))+blk.compressed)%4) % 4)
	}
	if cost := base + blk.compressed + int64(depth-xzStreamDepth)*pieceSize; blk.compressed >= 0 && blk.uncompressed >= 0 &&
		cost <= xzParallelBudget/2 {
		if !d.limits.acquire(cost) {
			return errAbandoned
		}
		var body []byte
		select {
		case body = <-d.bodies:
		default:
		}
		if n := int(blk.compressed) + pad + blk.checkSize; cap(body) >= n {
			body = body[:n]
		} else {
			body = make([]byte, n)
		}
		if err := d.readFull(body); err != nil {
			d.limits.release(cost)
			return err
		}
		t := newBlockTask(depth, cost, blk)
		t.holds = true
		d.runBlock(t, io.MultiReader(bytes.NewReader(blk.stream), bytes.NewReader(blk.header),
			bytes.NewReader(body), bytes.NewReader(xzTrailer(blk))), func() {
			select {
			case d.bodies <- body:
			default:
			}
		})
		if !d.send(t) {
			return errAbandoned
		}
		return nil
	}
	// Streamed: the block's goroutine reads the source; the sizes are found as it goes.
	if !d.limits.acquire(base) {
		return errAbandoned
	}
	own := *blk
	w := &lzma2Walker{src: d.src, blk: &own, declared: blk.compressed, done: make(chan struct{})}
	t := newBlockTask(xzStreamDepth, base, blk)
	t.holds = true
	d.runBlock(t, io.MultiReader(bytes.NewReader(blk.stream), bytes.NewReader(blk.header), w,
		lazyReader(func() []byte {
			found := own // the dispatcher's blk changes when the walker is done
			found.compressed, found.uncompressed = w.compressed, w.uncompressed
			return xzTrailer(&found)
		})), w.finish)
	if !d.send(t) {
		return errAbandoned
	}
	select {
	case <-w.done:
	case <-d.stop:
		return errAbandoned
	}
	if w.err != nil {
		return w.err
	}
	if !w.complete {
		return errAbandoned // the decoder stopped mid-block: its error is the task's
	}
	blk.compressed, blk.uncompressed = w.compressed, w.uncompressed
	return nil
}

// runBlock decodes r (a standalone stream) on its own goroutine; done, when set, is called
// when the decoder stops.
func (d *parallelXZ) runBlock(t *blockTask, r io.Reader, done func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		var zr *xz.Reader
		var err error
		select {
		case zr = <-d.decoders:
			err = zr.Reset(r)
		default:
			zr, err = xz.NewReader(r, XZDictionaryLimit)
		}
		if err == nil {
			err = t.emit(zr)
		}
		if zr != nil {
			select {
			case d.decoders <- zr:
			default:
			}
		}
		if done != nil {
			done()
		}
		t.err = err
		close(t.pieces)
	}()
}

// xzTrailer is the one-record index and the footer of a block's standalone stream.
func xzTrailer(blk *xzBlock) []byte {
	idx := []byte{0, 1}
	idx = binary.AppendUvarint(idx, uint64(len(blk.header))+uint64(blk.compressed)+uint64(blk.checkSize))
	idx = binary.AppendUvarint(idx, uint64(blk.uncompressed))
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = binary.LittleEndian.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	ftr := make([]byte, 12)
	binary.LittleEndian.PutUint32(ftr[4:], uint32(len(idx)/4-1))
	copy(ftr[8:10], blk.stream[6:8])
	binary.LittleEndian.PutUint32(ftr[0:], crc32.ChecksumIEEE(ftr[4:10]))
	ftr[10], ftr[11] = 'Y', 'Z'
	return append(idx, ftr...)
}

// lazyReader yields the bytes f returns, calling f at the first read.
func lazyReader(f func() []byte) io.Reader {
	var r *bytes.Reader
	return readerFunc(func(p []byte) (int, error) {
		if r == nil {
			r = bytes.NewReader(f())
		}
		return r.Read(p)
	})
}

// lzma2Walker passes a block's LZMA2 data, padding and check through from the source,
// finding their end from the LZMA2 chunk headers and counting the sizes.
type lzma2Walker struct {
	src                      *bufio.Reader
	blk                      *xzBlock
	declared                 int64
	compressed, uncompressed int64
	left                     int  // bytes of the current chunk still to pass
	tail                     int  // padding and check bytes still to pass, once ended
	ended                    bool // the end-of-data byte was passed
	complete                 bool // everything passed: the source is the dispatcher's again
	err                      error
	done                     chan struct{}
	once                     sync.Once
}

// finish hands the source back to the dispatcher.
func (w *lzma2Walker) finish() { w.once.Do(func() { close(w.done) }) }

func (w *lzma2Walker) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.left == 0 && !w.ended {
		if err := w.chunkHeader(); err != nil {
			w.err = err
			w.finish()
			return 0, err
		}
	}
	if w.left == 0 && w.ended {
		if w.tail == 0 {
			w.complete = true
			w.finish()
			return 0, io.EOF
		}
		n, err := w.src.Read(p[:min(len(p), w.tail)])
		w.tail -= n
		if err != nil && w.tail > 0 {
			w.err = errXZTruncated
			return n, w.err
		}
		return n, nil
	}
	n, err := w.src.Read(p[:min(len(p), w.left)])
	w.left -= n
	w.compressed += int64(n)
	if err != nil && w.left > 0 {
		w.err = errXZTruncated
		return n, w.err
	}
	return n, nil
}

// chunkHeader reads an LZMA2 control byte and its header, leaving them in left to pass on:
// the walker re-reads nothing, it only peeks.
func (w *lzma2Walker) chunkHeader() error {
	hdr, err := w.src.Peek(1)
	if err != nil {
		return errXZTruncated
	}
	c := hdr[0]
	switch {
	case c == 0:
		w.left, w.ended = 1, true
		end := w.compressed + 1
		w.tail = int((4-(int64(len(w.blk.header))+end)%4)%4) + w.blk.checkSize
	case c == 1 || c == 2:
		if hdr, err = w.src.Peek(3); err != nil {
			return errXZTruncated
		}
		size := int(binary.BigEndian.Uint16(hdr[1:])) + 1
		w.left = 3 + size
		w.uncompressed += int64(size)
	case c >= 0x80:
		hl := 5
		if c >= 0xc0 {
			hl = 6
		}
		if hdr, err = w.src.Peek(hl); err != nil {
			return errXZTruncated
		}
		w.uncompressed += int64(c&0x1f)<<16 + int64(binary.BigEndian.Uint16(hdr[1:])) + 1
		w.left = hl + int(binary.BigEndian.Uint16(hdr[3:])) + 1
	default:
		return xz.ErrData
	}
	if w.declared >= 0 && w.compressed+int64(w.left) > w.declared {
		return xz.ErrData
	}
	return nil
}

// index checks the stream's index and footer against the blocks read.
func (d *parallelXZ) index(hdr []byte, sum *xzIndexSum) error {
	crc := crc32.NewIEEE()
	crc.Write([]byte{0})
	size := int64(1)
	vli := func() (uint64, error) {
		var v uint64
		for i := range 9 {
			b, err := d.src.ReadByte()
			if err != nil {
				return 0, errXZTruncated
			}
			crc.Write([]byte{b})
			size++
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				return v, nil
			}
		}
		return 0, xz.ErrData
	}
	count, err := vli()
	if err != nil {
		return err
	}
	var got xzIndexSum
	for range count {
		u, err := vli()
		if err != nil {
			return err
		}
		c, err := vli()
		if err != nil {
			return err
		}
		got.add(u, c)
		if got.count > sum.count {
			return xz.ErrData
		}
	}
	if got != *sum {
		return xz.ErrData
	}
	tail := make([]byte, int((4-size%4)%4)+4+12)
	if err := d.readFull(tail); err != nil {
		return err
	}
	npad := len(tail) - 16
	crc.Write(tail[:npad])
	if !bytes.Equal(tail[:npad], make([]byte, npad)) || crc.Sum32() != binary.LittleEndian.Uint32(tail[npad:]) {
		return xz.ErrData
	}
	ftr := tail[npad+4:]
	if crc32.ChecksumIEEE(ftr[4:10]) != binary.LittleEndian.Uint32(ftr[:4]) ||
		int64(binary.LittleEndian.Uint32(ftr[4:8])+1)*4 != size+int64(npad)+4 ||
		!bytes.Equal(ftr[8:10], hdr[6:8]) || ftr[10] != 'Y' || ftr[11] != 'Z' {
		return xz.ErrData
	}
	return nil
}
