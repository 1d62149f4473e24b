package acctest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

// TestFaultProxy_holds checks each hold against a stand-in upstream: the moment is reached,
// a released request goes on, and a client that dies while held ends the request to the
// upstream mid-way (or before it starts).
func TestFaultProxy_holds(t *testing.T) {
	type seen struct {
		n   int
		err error
	}
	bodies := make(chan seen, 4)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		bodies <- seen{len(b), err}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer upstream.Close()
	p := NewFaultProxy(t, upstream.URL)
	put := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, p.URL()+"/v2/images/x/file", bytes.NewReader(make([]byte, 1<<20)))
		return http.DefaultClient.Do(req)
	}
	await := func(h *Hold) {
		t.Helper()
		select {
		case <-h.Reached():
		case <-time.After(10 * time.Second):
			t.Fatal("hold not reached")
		}
	}

	// HoldBody, then the client dies: the upstream got the first bytes, then an error.
	h := p.HoldBody(KindUpload, 1000)
	ctx, kill := context.WithCancel(t.Context())
	go func() {
		if resp, err := put(ctx); err == nil {
			_ = resp.Body.Close()
		}
	}()
	await(h)
	if h.Path() != "/v2/images/x/file" {
		t.Fatalf("held path %q", h.Path())
	}
	kill()
	if got := <-bodies; got.n != 1000 || got.err == nil {
		t.Fatalf("upstream saw %d bytes, err %v; want 1000 bytes, then the request broken off", got.n, got.err)
	}

	// HoldAnswer: the upstream did the request; the client gets the answer once released.
	h = p.HoldAnswer(KindUpload)
	done := make(chan int, 1)
	go func() {
		resp, err := put(t.Context())
		if err != nil {
			done <- 0
			return
		}
		_ = resp.Body.Close()
		done <- resp.StatusCode
	}()
	await(h)
	if got := <-bodies; got.n != 1<<20 || got.err != nil {
		t.Fatalf("upstream saw %d bytes, err %v; want the whole body", got.n, got.err)
	}
	select {
	case code := <-done:
		t.Fatalf("the client got %d while the answer was held", code)
	case <-time.After(200 * time.Millisecond):
	}
	h.Release()
	if code := <-done; code != http.StatusNoContent {
		t.Fatalf("released answer: %d", code)
	}

	// HoldBefore, then the client dies: the upstream never sees the request.
	h = p.HoldBefore(KindUpload)
	ctx, kill = context.WithCancel(t.Context())
	go func() {
		if resp, err := put(ctx); err == nil {
			_ = resp.Body.Close()
		}
	}()
	await(h)
	kill()
	select {
	case got := <-bodies:
		t.Fatalf("upstream saw a held request of a dead client: %+v", got)
	case <-time.After(300 * time.Millisecond):
	}
}
