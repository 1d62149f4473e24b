package glance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
)

// FormatError says that image data may not be uploaded with the disk_format declared: its
// content is another format, or it is unsafe whatever was declared (a backing file, an
// external data file, a VMDK with external extents, QED, …). Problem says what was found.
type FormatError struct {
	// Source describes the data (a path, or a URL without credentials and query).
	Source  string
	Problem *diskformat.Problem
	// AtEnd: found only at the end of the stream (a VHD footer); the upload was stopped
	// before its last byte, so Glance never made the image active.
	AtEnd bool
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Source, e.Problem.Error())
	if e.AtEnd {
		s += " (found at the end of the data; the upload was stopped before its last byte)"
	}
	return s
}

// IsFormatError reports whether err is a *FormatError.
func IsFormatError(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}

// ErrRangeUnsupported: InspectSource was asked to use Range requests only, and the server
// sent the whole body instead of the first bytes.
var ErrRangeUnsupported = errors.New("the server does not answer Range requests")

// InspectOptions shape InspectSource.
type InspectOptions struct {
	// Decompress is one of DecompressModes; the first bytes are inspected after it.
	Decompress string
	// RangeOnly (a URL source): inspect only when the server answers a Range request;
	// otherwise fail with ErrRangeUnsupported rather than start a download (plan time).
	RangeOnly bool
}

// InspectSource reads the first bytes of src (decompressed as opts says: only the first
// diskformat.HeadSize bytes are decompressed) and, where the source can be read at its end (an
// uncompressed file, a URL whose server answers Range requests), its last 512 bytes, and says
// which disk format the data is. A URL source is read with a Range request; when the server
// ignores it, the head of a plain GET is read and the download closed.
func InspectSource(ctx context.Context, src Source, opts InspectOptions) (diskformat.Info, error) {
	plain := opts.Decompress == "" || opts.Decompress == "none"
	switch s := src.(type) {
	case fileSource:
		if st, err := os.Stat(string(s)); plain && err == nil && st.Mode().IsRegular() {
			return inspectFile(string(s))
		}
	case *urlSource:
		return s.inspect(ctx, opts)
	}
	if opts.RangeOnly {
		return diskformat.Info{}, ErrRangeUnsupported
	}
	rc, size, err := src.Open(ctx)
	if err != nil {
		return diskformat.Info{}, err
	}
	if !plain {
		size = -1
	}
	open := func() (io.ReadCloser, error) {
		if first := rc; first != nil {
			rc = nil
			return first, nil
		}
		again, _, err := src.Open(ctx)
		return again, err
	}
	return inspectDecoded(src, open, opts.Decompress, size, true)
}

// inspectFile inspects an uncompressed local file where its header says to look.
func inspectFile(p string) (diskformat.Info, error) {
	f, err := os.Open(p)
	if err != nil {
		return diskformat.Info{}, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return diskformat.Info{}, err
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return diskformat.Inspect(f, size)
}

// inspect reads the first bytes of the URL with a Range request and, for uncompressed data,
// its last 512 bytes with another; a server that ignores Range gets its download closed after
// the head (or, with RangeOnly, ErrRangeUnsupported).
func (u *urlSource) inspect(ctx context.Context, opts InspectOptions) (diskformat.Info, error) {
	resp, err := u.get(ctx, fmt.Sprintf("bytes=0-%d", diskformat.HeadSize-1))
	if err != nil {
		return diskformat.Info{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var size int64
	switch resp.StatusCode {
	case http.StatusPartialContent:
		size = contentRangeTotal(resp.Header.Get("Content-Range"))
	case http.StatusOK:
		if opts.RangeOnly {
			return diskformat.Info{}, ErrRangeUnsupported
		}
		size = resp.ContentLength
	case http.StatusRequestedRangeNotSatisfiable: // an empty file
		return diskformat.InspectBytes(nil, nil, 0), nil
	default:
		return diskformat.Info{}, fmt.Errorf("downloading the first bytes of %s: HTTP %s", u, resp.Status)
	}
	first := resp.Body
	open := func() (io.ReadCloser, error) { // the first bytes, once more when a header asks
		if first == nil {
			again, err := u.get(ctx, fmt.Sprintf("bytes=0-%d", diskformat.HeadSize-1))
			if err != nil {
				return nil, err
			}
			if again.StatusCode != resp.StatusCode {
				_ = again.Body.Close()
				return nil, fmt.Errorf("downloading the first bytes of %s again: HTTP %s", u, again.Status)
			}
			first = again.Body
		}
		body := first
		first = nil
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(body, diskformat.HeadSize), body}, nil
	}
	if opts.Decompress != "" && opts.Decompress != "none" {
		whole := size >= 0 && size <= diskformat.HeadSize
		return inspectDecoded(u, open, opts.Decompress, -1, whole)
	}
	var tail []byte
	for from := diskformat.FirstRead; ; {
		s, err := scanDecoded(u, open, "none", from)
		if err != nil {
			return diskformat.Info{}, err
		}
		var info diskformat.Info
		var need int
		switch {
		case size >= 0 && s.n >= size: // all of it
			info, need = s.inspect(s.tail, s.n)
		default:
			if tail == nil && size > s.n && resp.StatusCode == http.StatusPartialContent {
				tail = u.tail(ctx, size)
			}
			info, need = s.inspect(tail, size)
		}
		if need <= len(s.head) {
			return info, nil
		}
		from = need
	}
}

// tail reads the last TailSize bytes of a URL of known size; nil when that fails.
func (u *urlSource) tail(ctx context.Context, size int64) []byte {
	resp, err := u.get(ctx, fmt.Sprintf("bytes=%d-%d", size-diskformat.TailSize, size-1))
	if err != nil {
		return nil
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusPartialContent {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, diskformat.TailSize))
	if err != nil || len(b) != diskformat.TailSize {
		return nil
	}
	return b
}

// get sends a GET with a Range header and the source's headers.
func (u *urlSource) get(ctx context.Context, rng string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, fmt.Errorf("source URL %s: %w", u, err)
	}
	for k, v := range u.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Range", rng)
	// The first bytes as they are stored: a transparently gunzipped body would not match
	// the offsets of the data the upload sends.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading the first bytes of %s: %w", u, redactErr(err))
	}
	return resp, nil
}

// contentRangeTotal reads the total of "bytes 0-99/1234"; -1 when absent or "*".
func contentRangeTotal(h string) int64 {
	_, total, ok := strings.Cut(h, "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(total), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// formatGuard passes an upload's bytes through while it inspects them: the first bytes as they
// go by (diskformat.FirstRead of them, more only where a header points further in, never more
// than HeadSize), and the last TailSize, which it holds back until the source ends. Content whose format differs from the declared one, or that is unsafe, ends
// the stream with a *FormatError: found in the head, before most of the data is sent; found
// only at the end (a VHD footer), before the last byte is sent, so Glance never receives the
// whole image and never makes it active.
type formatGuard struct {
	r        io.Reader
	declared string
	src      string
	head     []byte
	want     int  // how many first bytes to gather before the head is inspected (again)
	decided  bool // the head settled the question
	headDone bool // the head was inspected
	buf      []byte
	start    int
	end      int
	total    int64
	eof      bool
	err      error
}

const guardBufSize = 64 << 10

func guardFormat(r io.Reader, declared, src string) *formatGuard {
	g := &formatGuard{r: r, declared: declared, src: src, buf: make([]byte, guardBufSize+diskformat.TailSize)}
	g.inspectStream()
	return g
}

// inspectStream makes the guard gather the head from the stream: FirstRead bytes, more only
// where the header points further in (diskformat.InspectHead).
func (g *formatGuard) inspectStream() {
	g.head, g.want = make([]byte, 0, diskformat.FirstRead), diskformat.FirstRead
}

func (g *formatGuard) Read(p []byte) (int, error) {
	for {
		if g.err != nil {
			return 0, g.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		// Bytes beyond the held-back tail (all of them once the end was checked) can go.
		ready := g.end - g.start
		if !g.eof {
			ready -= diskformat.TailSize
		}
		switch {
		case ready > 0:
			n := copy(p, g.buf[g.start:g.start+ready])
			g.start += n
			return n, nil
		case g.eof:
			return 0, io.EOF
		case len(p) >= 4*diskformat.TailSize:
			if n := g.readInto(p); n > 0 {
				return n, nil
			}
		default:
			if err := g.fill(); err != nil {
				g.err = err
			}
		}
	}
}

// readInto is Read's fast path for a large p: the held-back bytes go to its front, the source
// fills the rest, and only the new last TailSize bytes are copied aside.
func (g *formatGuard) readInto(p []byte) int {
	held := copy(p, g.buf[g.start:g.end])
	g.start, g.end = 0, 0
	n, err := g.r.Read(p[held:])
	g.observe(p[held : held+n])
	g.total += int64(n)
	all := held + n
	keep := min(all, diskformat.TailSize)
	g.end = copy(g.buf, p[all-keep:all])
	switch {
	case g.err != nil:
	case errors.Is(err, io.EOF):
		g.eof = true
		g.err = g.checkEnd()
	case err != nil:
		g.err = err
	}
	if g.err != nil {
		return 0
	}
	return all - keep
}

// fill reads more of the source behind the held-back bytes and inspects what arrives.
func (g *formatGuard) fill() error {
	if g.start > 0 && len(g.buf)-g.end < 4<<10 {
		g.end = copy(g.buf, g.buf[g.start:g.end])
		g.start = 0
	}
	n, err := g.r.Read(g.buf[g.end:])
	if n > 0 {
		g.observe(g.buf[g.end : g.end+n])
		g.end += n
		g.total += int64(n)
	}
	if g.err != nil {
		return g.err
	}
	switch {
	case errors.Is(err, io.EOF):
		g.eof = true
		return g.checkEnd()
	case err != nil:
		return err
	}
	return nil
}

// observe gathers the first bytes and inspects them once it has as many as the inspection
// asks for: FirstRead, and more (at most HeadSize) only where a header points further in. The
// verdict is the one the first HeadSize bytes give (diskformat.InspectHead).
func (g *formatGuard) observe(b []byte) {
	for !g.headDone && len(b) > 0 {
		k := min(len(b), g.want-len(g.head))
		g.head = append(g.head, b[:k]...)
		b = b[k:]
		if len(g.head) < g.want {
			return
		}
		info, need := diskformat.InspectHead(g.head, nil, -1)
		if need <= len(g.head) {
			g.settleHead(info, g.head)
			return
		}
		g.want = need // at most HeadSize, which always settles
	}
}

// settleHead judges what the head showed. Data that reads as raw may still be a fixed VHD,
// which shows only in its footer: the end decides, and since no format was found in the head
// its first rawHeadKept bytes stand for all of it there.
func (g *formatGuard) settleHead(info diskformat.Info, head []byte) {
	g.headDone = true
	if info.Format == diskformat.Raw && (g.declared == "raw" || g.declared == "vhd" || !diskformat.Checked(g.declared)) {
		if len(head) > rawHeadKept {
			head = bytes.Clone(head[:rawHeadKept])
		}
		g.head = head
		return
	}
	if p := diskformat.Check(info, g.declared); p != nil {
		g.err = &permanentError{&FormatError{Source: g.src, Problem: p}}
	}
	g.decided = info.Format != diskformat.Raw
	g.head = nil
}

// guardFile is guardFormat for an uncompressed regular file: its header is inspected where
// it says to look (a few small reads, as at plan) instead of copying its first 4 MiB aside as
// they stream, so the upload's memory stays that of the pipeline. The end is still checked
// in the stream.
func guardFile(r io.Reader, declared, path string) *formatGuard {
	g := &formatGuard{r: r, declared: declared, src: path, buf: make([]byte, guardBufSize+diskformat.TailSize)}
	info, err := inspectFile(path)
	head := make([]byte, rawHeadKept)
	n, herr := readFileHead(path, head)
	if err != nil || herr != nil {
		g.inspectStream() // inspect the stream instead
		return g
	}
	g.settleHead(info, head[:n])
	return g
}

func isRegularFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func readFileHead(path string, head []byte) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	n, err := io.ReadFull(f, head)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

// rawHeadKept is how much of a head that read as raw the guard keeps for the check at the end.
const rawHeadKept = 64 << 10

// WriteTo keeps the source's own WriteTo (whole chunks, no copy into a caller's buffer, as the
// HTTP transport uses it for a body of unknown length): the guard sees each chunk on its way
// and holds back only the last TailSize bytes.
func (g *formatGuard) WriteTo(w io.Writer) (int64, error) {
	wt, ok := g.r.(io.WriterTo)
	if !ok || g.total > 0 || g.err != nil {
		return io.Copy(w, struct{ io.Reader }{g})
	}
	gw := &guardWriter{g: g, w: w}
	_, err := wt.WriteTo(gw)
	switch {
	case g.err != nil:
		return gw.sent, g.err
	case err != nil:
		g.err = err
		return gw.sent, err
	}
	g.eof = true
	if g.err = g.checkEnd(); g.err != nil {
		return gw.sent, g.err
	}
	n, err := w.Write(g.buf[g.start:g.end])
	g.start += n
	return gw.sent + int64(n), err
}

// guardWriter passes a chunk on to w once the guard has seen it, less the last TailSize bytes
// of the stream so far, which wait in g.buf[g.start:g.end].
type guardWriter struct {
	g    *formatGuard
	w    io.Writer
	sent int64
}

func (gw *guardWriter) Write(b []byte) (int, error) {
	g := gw.g
	g.observe(b)
	g.total += int64(len(b))
	if g.err != nil {
		return 0, g.err
	}
	if len(b) >= diskformat.TailSize {
		if err := gw.send(g.buf[g.start:g.end]); err != nil {
			return 0, err
		}
		if err := gw.send(b[:len(b)-diskformat.TailSize]); err != nil {
			return 0, err
		}
		g.start, g.end = 0, copy(g.buf, b[len(b)-diskformat.TailSize:])
		return len(b), nil
	}
	// A small chunk joins the held bytes; what is beyond TailSize goes.
	g.end = copy(g.buf, g.buf[g.start:g.end])
	g.start = 0
	g.end += copy(g.buf[g.end:], b)
	if over := g.end - diskformat.TailSize; over > 0 {
		if err := gw.send(g.buf[:over]); err != nil {
			return 0, err
		}
		g.end = copy(g.buf, g.buf[over:g.end])
	}
	return len(b), nil
}

func (gw *guardWriter) send(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := gw.w.Write(b)
	gw.sent += int64(n)
	return err
}

// checkEnd inspects the head with the held-back tail once the size is known.
func (g *formatGuard) checkEnd() error {
	if g.decided {
		return nil
	}
	tail := g.buf[max(g.start, g.end-diskformat.TailSize):g.end]
	info := diskformat.InspectBytes(g.head, tail, g.total)
	if p := diskformat.Check(info, g.declared); p != nil {
		return &permanentError{&FormatError{Source: g.src, Problem: p, AtEnd: true}}
	}
	return nil
}

// guardBody wraps an upload's body in a formatGuard when a disk format is declared; guardErr
// returns the guard's verdict (nil without a guard or when the data passed).
func guardBody(body io.Reader, diskFormat, decompress string, src Source) (guarded io.Reader, guardErr func() error) {
	if diskFormat == "" {
		return body, func() error { return nil }
	}
	var g *formatGuard
	if f, ok := src.(fileSource); ok && (decompress == "" || decompress == "none") && isRegularFile(string(f)) {
		g = guardFile(body, diskFormat, string(f))
	} else {
		g = guardFormat(body, diskFormat, src.String())
	}
	return g, func() error {
		if IsFormatError(g.err) {
			return g.err
		}
		return nil
	}
}
