package acctest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFaultProxy_rules checks each fault against a stand-in upstream (no Glance needed).
func TestFaultProxy_rules(t *testing.T) {
	var got []int
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, len(b))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer upstream.Close()
	p := NewFaultProxy(t, upstream.URL)
	put := func() (*http.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, p.URL()+"/v2/images/x/file", bytes.NewReader(make([]byte, 1<<20)))
		return http.DefaultClient.Do(req)
	}

	p.FailWith(KindUpload, http.StatusServiceUnavailable, 1)
	resp, err := put()
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("503 rule: %v %v", resp, err)
	}
	_ = resp.Body.Close()

	p.ResetAfter(KindUpload, 1000, 1)
	if resp, err := put(); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("reset rule: got %d, want a connection error", resp.StatusCode)
	}

	p.DropAfterResponse(KindUpload, 1)
	if resp, err := put(); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("drop rule: got %d, want a connection error", resp.StatusCode)
	}

	resp, err = put()
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("no rule left: %v %v", resp, err)
	}
	_ = resp.Body.Close()

	// The upstream saw the truncated body of the reset request (or nothing), the whole body of
	// the dropped one and of the last one.
	if len(got) < 2 || got[len(got)-1] != 1<<20 || got[len(got)-2] != 1<<20 {
		t.Fatalf("upstream bodies = %v", got)
	}
	for _, n := range got[:len(got)-2] {
		if n >= 1<<20 {
			t.Fatalf("the reset request reached upstream whole: %v", got)
		}
	}
	if p.Count(KindUpload) != 4 || !strings.HasPrefix(p.URL(), "http://127.0.0.1") {
		t.Fatalf("count = %d", p.Count(KindUpload))
	}
}
