package glance

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
)

// headScan is what an inspection keeps of the first diskformat.HeadSize bytes of a stream: the
// first bytes diskformat.InspectHead asks for (FirstRead of them for almost every image, more
// only where a header points further in) and the last TailSize bytes read. The bytes between
// are read and dropped, so the inspection sees as far as a 4 MiB head does (where the data
// ends, a read error) while holding ~64 KiB instead of 4 MiB.
type headScan struct {
	head  []byte
	tail  []byte // the last TailSize bytes read, fewer when fewer were read
	n     int64  // bytes read: HeadSize, or fewer when the data ended
	ended bool   // the data ended within its first HeadSize bytes
}

// scanHead reads the first HeadSize bytes of r (fewer when it ends), keeping at least the
// first `from` bytes and as many more as the inspection of a stream asks for. A truncated
// stream (io.ErrUnexpectedEOF) ends the data, as io.ReadFull takes it; any other read error is
// returned.
func scanHead(r io.Reader, from int) (*headScan, error) {
	s := &headScan{head: make([]byte, 0, from)}
	for want := from; ; {
		s.head = slices.Grow(s.head, want-len(s.head))
		m, err := io.ReadFull(r, s.head[len(s.head):want])
		s.head = s.head[:len(s.head)+m]
		s.n += int64(m)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			s.ended = true
			s.tail = s.head[max(0, len(s.head)-diskformat.TailSize):]
			return s, nil
		case err != nil:
			return nil, err
		}
		_, need := diskformat.InspectHead(s.head, nil, -1)
		if need <= len(s.head) {
			break
		}
		want = need // at most HeadSize, which always suffices
	}
	return s, s.skipRest(r)
}

// skipRest reads the rest of the first HeadSize bytes, keeping only the last TailSize.
func (s *headScan) skipRest(r io.Reader) error {
	buf := make([]byte, 32<<10)
	tail := append(make([]byte, 0, diskformat.TailSize), s.head[max(0, len(s.head)-diskformat.TailSize):]...)
	rest := io.LimitReader(r, diskformat.HeadSize-s.n)
	for {
		m, err := rest.Read(buf)
		if m >= diskformat.TailSize {
			tail = append(tail[:0], buf[m-diskformat.TailSize:m]...)
		} else if m > 0 {
			drop := max(0, len(tail)+m-diskformat.TailSize)
			tail = append(tail[:copy(tail, tail[drop:])], buf[:m]...)
		}
		s.n += int64(m)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			s.tail, s.ended = tail, s.n < diskformat.HeadSize
			return nil
		case err != nil:
			return err
		}
	}
}

// inspect inspects what was kept with the given tail and size. need > len(s.head) says that
// the answer needed first bytes that were dropped (a header that points beyond the head into
// what only the end showed): scan again with at least need first bytes kept.
func (s *headScan) inspect(tail []byte, size int64) (info diskformat.Info, need int) {
	info, need = diskformat.InspectHead(s.head, tail, size)
	if int64(len(s.head)) == s.n {
		need = 0 // the head holds all that was read: nothing more can be seen
	}
	return info, need
}

// inspectDecoded decompresses (when asked) the data each call of open yields and inspects its
// first HeadSize bytes. size is the data's length when known (uncompressed data only); whole
// says that the data open yields is all of the source, so that data ending within HeadSize is
// seen to its end. The answer is the one InspectBytes gives from all first HeadSize bytes; open
// is called again only when a header asks for first bytes that the first pass dropped.
func inspectDecoded(src Source, open func() (io.ReadCloser, error), decompress string, size int64, whole bool) (diskformat.Info, error) {
	if decompress != "" && decompress != "none" {
		// The decoder's megabytes (an xz dictionary, bzip2's block buffers) are garbage once
		// the head is read, and the upload that follows opens a decoder of its own. Collected
		// and handed back to the OS now, they no longer count in the process's peak while the
		// upload's decoder fills its own (measured: 2-6 MiB of peak RSS for xz and bzip2).
		defer debug.FreeOSMemory()
	}
	for from := diskformat.FirstRead; ; {
		s, err := scanDecoded(src, open, decompress, from)
		if err != nil {
			return diskformat.Info{}, err
		}
		var info diskformat.Info
		var need int
		switch {
		case s.ended && whole:
			info, need = s.inspect(s.tail, s.n) // the end is seen too
		case s.ended:
			// A head cut off by a Range request or a limit: what arrived is what can be seen.
			info, need = s.inspect(nil, -1)
		default:
			info, need = s.inspect(nil, size)
		}
		if need <= len(s.head) {
			return info, nil
		}
		from = need
	}
}

// scanDecoded opens the data, decompresses it as asked and scans its first bytes.
func scanDecoded(src Source, open func() (io.ReadCloser, error), decompress string, from int) (*headScan, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	// Sequential decoders: a parallel one would read whole blocks ahead (24 MiB for xz -T0) to
	// yield a few first bytes, and would hold the process's one parallel turn meanwhile.
	dec, err := decompressorWorkers(decompress, rc, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	defer func() { _ = dec.Close() }()
	s, err := scanHead(dec, from)
	if err != nil {
		return nil, fmt.Errorf("reading the first bytes of %s: %w", src, redactErr(err))
	}
	return s, nil
}
