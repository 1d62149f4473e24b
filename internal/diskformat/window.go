package diskformat

import "io"

// Window is an io.ReaderAt over the bytes of an image that were seen: its first bytes (head)
// and, when the image's size is known, its last bytes (tail). Reads of anything else fail, and
// Inspect treats those bytes as not seen.
type Window struct {
	head, tail []byte
	size       int64
	// need is how many first bytes (at most HeadSize) the reads asked for that head did not
	// hold: see InspectHead.
	need int64
}

// NewWindow holds head (the image's first bytes) and tail (its last bytes, nil when not seen);
// size is the image's whole length, or -1 when unknown (the tail is then ignored).
func NewWindow(head, tail []byte, size int64) *Window {
	if size < 0 || int64(len(tail)) > size {
		tail = nil
	}
	if size >= 0 && int64(len(head)) > size {
		head = head[:size]
	}
	return &Window{head: head, tail: tail, size: size}
}

// ReadAt reads p from off, when those bytes lie wholly in the head or the tail.
func (w *Window) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errOutside
	}
	end := off + int64(len(p))
	if w.size >= 0 && end > w.size {
		n := 0
		if off < w.size {
			n, _ = w.ReadAt(p[:w.size-off], off)
		}
		return n, io.EOF
	}
	if end <= int64(len(w.head)) {
		return copy(p, w.head[off:end]), nil
	}
	if w.size >= 0 && len(w.tail) > 0 {
		start := w.size - int64(len(w.tail))
		if off >= start {
			return copy(p, w.tail[off-start:end-start]), nil
		}
	}
	if off < HeadSize {
		// A longer head (up to HeadSize) would answer this read otherwise.
		w.need = max(w.need, min(end, HeadSize))
	}
	if w.size < 0 && off < int64(len(w.head)) {
		// The stream may be longer than what was seen: a short read, not the end.
		return copy(p, w.head[off:]), errOutside
	}
	return 0, errOutside
}
