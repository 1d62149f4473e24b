package acctest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy is a reverse proxy in front of the real Glance that injects the faults a network
// and a cloud produce: connection resets in the middle of an upload, 5xx answers, an expired
// token, slow answers, and a connection dropped after Glance has answered. Point the provider's
// endpoint at URL().
type FaultProxy struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu    sync.Mutex
	rules []*faultRule

	// Requests counts every request the proxy received, by "METHOD kind" (see requestKind).
	requests sync.Map
	// tokens holds a digest of each distinct X-Auth-Token seen (never the token itself).
	tokens sync.Map
}

// Request kinds rules can match.
const (
	KindAny    = ""
	KindCreate = "create" // POST /v2/images
	KindUpload = "upload" // PUT /v2/images/{id}/file
	KindStage  = "stage"  // PUT /v2/images/{id}/stage
	KindImport = "import" // POST /v2/images/{id}/import
	KindOther  = "other"
)

type faultAction int

const (
	actionStatus faultAction = iota
	actionResetAfter
	actionDropAfterResponse
	actionDelay
	actionHoldBefore
	actionHoldBody
	actionHoldAnswer
)

type faultRule struct {
	kind      string
	action    faultAction
	status    int
	afterByte int64
	delay     time.Duration
	hold      *Hold
	remaining atomic.Int64 // <0: unlimited
	hits      atomic.Int64
}

// NewFaultProxy starts a proxy to target (GLANCE_ACC_PUBLIC_ENDPOINT when empty); it stops
// when the test ends.
func NewFaultProxy(t *testing.T, target string) *FaultProxy {
	t.Helper()
	if target == "" {
		target = Env(t, "GLANCE_ACC_PUBLIC_ENDPOINT")
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if rr, ok := r.Context().Value(resetKey{}).(*resetReader); ok && rr.tripped.Load() || errors.Is(err, errInjectedReset) {
			resetConnection(w)
			return
		}
		http.Error(w, "fault proxy: upstream error: "+err.Error(), http.StatusBadGateway)
	}
	p.proxy = rp
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the endpoint to give the provider.
func (p *FaultProxy) URL() string { return p.srv.URL }

func (p *FaultProxy) add(r *faultRule, times int) {
	if times <= 0 {
		r.remaining.Store(-1)
	} else {
		r.remaining.Store(int64(times))
	}
	p.mu.Lock()
	p.rules = append(p.rules, r)
	p.mu.Unlock()
}

// FailWith answers status to the next times requests of kind (times <= 0: all of them).
func (p *FaultProxy) FailWith(kind string, status, times int) {
	p.add(&faultRule{kind: kind, action: actionStatus, status: status}, times)
}

// ResetAfter resets the connection after n bytes of the request body of the next times requests
// of kind (an upload or a stage); Glance sees the truncated body too.
func (p *FaultProxy) ResetAfter(kind string, n int64, times int) {
	p.add(&faultRule{kind: kind, action: actionResetAfter, afterByte: n}, times)
}

// DropAfterResponse lets the next times requests of kind reach Glance, then closes the client's
// connection instead of passing on Glance's answer (the request succeeded; the client never knows).
func (p *FaultProxy) DropAfterResponse(kind string, times int) {
	p.add(&faultRule{kind: kind, action: actionDropAfterResponse}, times)
}

// Delay holds the next times requests of kind for d before forwarding them.
func (p *FaultProxy) Delay(kind string, d time.Duration, times int) {
	p.add(&faultRule{kind: kind, action: actionDelay, delay: d}, times)
}

// Hold is one request the proxy holds at a moment of its life (HoldBefore, HoldBody,
// HoldAnswer), so that a test can act at that moment: read what Glance holds, kill the client.
// A held request goes on when the test releases it, and is dropped when the client goes away
// (killed): Glance then sees the connection end as the client's death would end it.
type Hold struct {
	reached, release chan struct{}
	reachOnce        sync.Once
	releaseOnce      sync.Once
	path             atomic.Value
}

func newHold() *Hold { return &Hold{reached: make(chan struct{}), release: make(chan struct{})} }

// Reached is closed once the held request has reached its moment.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Path is the held request's path (such as /v2/images/{id}/file), once reached.
func (h *Hold) Path() string {
	p, _ := h.path.Load().(string)
	return p
}

// Release lets the held request go on.
func (h *Hold) Release() { h.releaseOnce.Do(func() { close(h.release) }) }

func (h *Hold) reach(r *http.Request) {
	h.reachOnce.Do(func() {
		h.path.Store(r.URL.Path)
		close(h.reached)
	})
}

// wait blocks until the test releases the request (true) or the client goes away (false).
func (h *Hold) wait(ctx context.Context) bool {
	select {
	case <-h.release:
		return true
	case <-ctx.Done():
		return false
	}
}

// HoldBefore holds the next request of kind before Glance sees it (its body read in full).
func (p *FaultProxy) HoldBefore(kind string) *Hold {
	h := newHold()
	p.add(&faultRule{kind: kind, action: actionHoldBefore, hold: h}, 1)
	return h
}

// HoldBody passes the first n bytes of the body of the next request of kind (an upload or a
// stage) to Glance, then holds the rest: Glance is in the middle of receiving the data.
func (p *FaultProxy) HoldBody(kind string, n int64) *Hold {
	h := newHold()
	p.add(&faultRule{kind: kind, action: actionHoldBody, afterByte: n, hold: h}, 1)
	return h
}

// HoldAnswer lets the next request of kind reach Glance and holds Glance's answer: Glance has
// done the request, and the client does not know it yet.
func (p *FaultProxy) HoldAnswer(kind string) *Hold {
	h := newHold()
	p.add(&faultRule{kind: kind, action: actionHoldAnswer, hold: h}, 1)
	return h
}

// ExpireTokenOnce answers 401 to the next request of kind, as Glance does for an expired token.
func (p *FaultProxy) ExpireTokenOnce(kind string) { p.FailWith(kind, http.StatusUnauthorized, 1) }

// Count returns how many requests of kind the proxy has seen.
func (p *FaultProxy) Count(kind string) int64 {
	v, _ := p.requests.Load(kind)
	if n, ok := v.(*atomic.Int64); ok {
		return n.Load()
	}
	return 0
}

// DistinctTokens is the number of different tokens the requests carried.
func (p *FaultProxy) DistinctTokens() int {
	n := 0
	p.tokens.Range(func(any, any) bool { n++; return true })
	return n
}

// Clear removes every rule that is left.
func (p *FaultProxy) Clear() {
	p.mu.Lock()
	p.rules = nil
	p.mu.Unlock()
}

// requestKind classifies a Glance request.
func requestKind(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "images":
		return KindCreate
	case r.Method == http.MethodPut && len(parts) == 4 && parts[3] == "file":
		return KindUpload
	case r.Method == http.MethodPut && len(parts) == 4 && parts[3] == "stage":
		return KindStage
	case r.Method == http.MethodPost && len(parts) == 4 && parts[3] == "import":
		return KindImport
	}
	return KindOther
}

// take returns the first rule matching kind that still has uses left, consuming one.
func (p *FaultProxy) take(kind string) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if r.kind != KindAny && r.kind != kind {
			continue
		}
		for {
			n := r.remaining.Load()
			if n == 0 {
				break
			}
			if n < 0 || r.remaining.CompareAndSwap(n, n-1) {
				r.hits.Add(1)
				return r
			}
		}
	}
	return nil
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	kind := requestKind(r)
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		p.tokens.Store(sha256.Sum256([]byte(tok)), true)
	}
	c, _ := p.requests.LoadOrStore(kind, &atomic.Int64{})
	if n, ok := c.(*atomic.Int64); ok {
		n.Add(1)
	}

	rule := p.take(kind)
	if rule == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch rule.action {
	case actionStatus:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rule.status)
		_, _ = io.WriteString(w, `{"message": "fault injected by the test proxy", "code": "`+http.StatusText(rule.status)+`"}`)
	case actionDelay:
		time.Sleep(rule.delay)
		p.proxy.ServeHTTP(w, r)
	case actionResetAfter:
		rr := &resetReader{r: r.Body, left: rule.afterByte}
		r.Body = rr
		p.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), resetKey{}, rr)))
	case actionDropAfterResponse:
		rec := &droppingWriter{ResponseWriter: w}
		p.proxy.ServeHTTP(rec, r)
		resetConnection(w)
	case actionHoldBefore, actionHoldBody, actionHoldAnswer:
		p.serveHeld(w, r, rule)
	}
}

// serveHeld serves a request under a hold rule. The client's death is noticed through the
// request's context, which the server cancels only once the body was read to its end: every
// hold therefore reads the whole body before it waits.
func (p *FaultProxy) serveHeld(w http.ResponseWriter, r *http.Request, rule *faultRule) {
	h := rule.hold
	switch rule.action {
	case actionHoldBefore:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client died while sending
		}
		h.reach(r)
		if !h.wait(r.Context()) {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.proxy.ServeHTTP(w, r)
	case actionHoldBody:
		r.Body = &holdingReader{r: r.Body, left: rule.afterByte, hold: h, req: r}
		p.proxy.ServeHTTP(w, r)
	case actionHoldAnswer:
		rec := httptest.NewRecorder()
		p.proxy.ServeHTTP(rec, r)
		h.reach(r)
		if !h.wait(r.Context()) {
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}
}

// holdingReader passes left bytes, then reads the rest of the body aside and blocks until the
// hold is released (then passes the rest) or the client is gone (then fails, which aborts the
// request to Glance mid-body).
type holdingReader struct {
	r    io.ReadCloser
	left int64
	hold *Hold
	req  *http.Request
	rest io.Reader
}

func (b *holdingReader) Read(p []byte) (int, error) {
	if b.rest != nil {
		return b.rest.Read(p)
	}
	if b.left > 0 {
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err := b.r.Read(p)
		b.left -= int64(n)
		return n, err
	}
	b.hold.reach(b.req)
	rest, err := io.ReadAll(b.r)
	if err != nil {
		return 0, err
	}
	if !b.hold.wait(b.req.Context()) {
		return 0, errInjectedReset
	}
	b.rest = bytes.NewReader(rest)
	return b.rest.Read(p)
}

func (b *holdingReader) Close() error { return b.r.Close() }

var errInjectedReset = errors.New("fault proxy: injected connection reset")

// resetReader passes left bytes, then fails, which aborts the upstream request mid-body.
type resetReader struct {
	r       io.ReadCloser
	left    int64
	tripped atomic.Bool
}

type resetKey struct{}

func (b *resetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.tripped.Store(true)
		return 0, errInjectedReset
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *resetReader) Close() error { return b.r.Close() }

// droppingWriter swallows the upstream answer so that it never reaches the client.
type droppingWriter struct {
	http.ResponseWriter
	header http.Header
}

func (d *droppingWriter) Header() http.Header {
	if d.header == nil {
		d.header = http.Header{}
	}
	return d.header
}
func (d *droppingWriter) WriteHeader(int)             {}
func (d *droppingWriter) Write(b []byte) (int, error) { return len(b), nil }

// resetConnection closes the client's connection with a TCP RST.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
