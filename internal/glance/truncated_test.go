package glance

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// cutSource yields data and then fails the way a cut-off download does: io.ErrUnexpectedEOF
// instead of io.EOF.
type cutSource []byte

func (c cutSource) String() string { return "cut" }
func (c cutSource) Open(context.Context) (io.ReadCloser, int64, error) {
	return io.NopCloser(io.MultiReader(bytes.NewReader(c), errReader{io.ErrUnexpectedEOF})), -1, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestPipeline_truncatedSourceIsAnError: a source or compressed stream that ends early must
// fail the transfer; taken as a normal end, the cut data would be uploaded as a whole image.
func TestPipeline_truncatedSourceIsAnError(t *testing.T) {
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(data)
	_ = zw.Close()
	for name, tc := range map[string]struct {
		src        Source
		decompress string
	}{
		"download cut off":    {cutSource(data[:300000]), "none"},
		"gzip stream cut off": {memSource(gz.Bytes()[:gz.Len()/2]), "gzip"},
		"gzip, auto":          {memSource(gz.Bytes()[:gz.Len()/2]), "auto"},
	} {
		if _, err := HashSource(context.Background(), tc.src, tc.decompress, []string{"sha512"}); err == nil {
			t.Errorf("%s: HashSource succeeded on truncated data", name)
		} else if !strings.Contains(err.Error(), "ended early") {
			t.Errorf("%s: error %q does not say the data ended early", name, err)
		}
	}
	if _, err := HashSource(context.Background(), memSource(gz.Bytes()), "gzip", []string{"sha512"}); err != nil {
		t.Fatalf("whole gzip stream: %v", err)
	}
}

// TestURLSource_cutChunkedDownload: a chunked download whose connection drops mid-way fails the
// upload instead of completing it with the part that arrived.
func TestURLSource_cutChunkedDownload(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK) // no Content-Length: chunked
		_, _ = w.Write(bytes.Repeat([]byte("x"), 200000))
		flusher, _ := w.(http.Flusher)
		hijacker, _ := w.(http.Hijacker)
		flusher.Flush()
		// A clean close without the last chunk: the client sees io.ErrUnexpectedEOF.
		if conn, _, err := hijacker.Hijack(); err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(web.Close)
	src := URLSource(web.URL+"/img", nil, web.Client())
	if _, err := HashSource(context.Background(), src, "none", []string{"sha512"}); err == nil {
		t.Fatal("HashSource succeeded on a cut chunked download")
	}
}
