package glance

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAuth counts re-authentications and hands out numbered tokens.
type fakeAuth struct {
	token   atomic.Value
	reauths atomic.Int32
}

func newFakeAuth() *fakeAuth {
	a := &fakeAuth{}
	a.token.Store("token-0")
	return a
}

func (a *fakeAuth) Token() string {
	tok, _ := a.token.Load().(string)
	return tok
}
func (a *fakeAuth) Reauthenticate(context.Context, string) error {
	n := a.reauths.Add(1)
	a.token.Store("token-" + strconv.Itoa(int(n)))
	return nil
}

// newCoreTestClient serves h under the /glance prefix, like PCD, and returns a client for it.
func newCoreTestClient(t *testing.T, h http.HandlerFunc) (*Client, *fakeAuth) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	auth := newFakeAuth()
	c, err := New(srv.URL+"/glance", auth, Options{retryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, auth
}

func TestNew_baseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:9292":           "http://h:9292",
		"http://h:9292/":          "http://h:9292",
		"https://h/glance":        "https://h/glance",
		"https://h/glance/v2/":    "https://h/glance",
		"https://h/glance/v2?x=1": "https://h/glance",
	} {
		c, err := New(in, nil, Options{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := c.BaseURL(); got != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "glance.example.com", "ftp://h/x", "http://"} {
		if _, err := New(bad, nil, Options{}); err == nil {
			t.Errorf("New(%q) succeeded, want an error", bad)
		}
	}
}

func TestDoJSON_headersAndPrefix(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/glance/v2/info/import" {
			t.Errorf("path = %q, want the /glance prefix kept", r.URL.Path)
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("X-Auth-Token") != "token-0" {
			t.Errorf("headers = %v", r.Header)
		}
		_, _ = w.Write([]byte(`{"import-methods": {"value": ["glance-direct", "web-download"]}}`))
	})
	got, err := c.ImportMethods(context.Background())
	if err != nil || strings.Join(got, ",") != "glance-direct,web-download" {
		t.Fatalf("ImportMethods = %v, %v", got, err)
	}
}

func TestDoJSON_reauthOn401(t *testing.T) {
	var calls atomic.Int32
	c, auth := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Auth-Token") == "token-0" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"usage": {}}`))
	})
	if _, err := c.Usage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth.reauths.Load() != 1 || calls.Load() != 2 {
		t.Fatalf("reauths = %d, calls = %d; want 1 and 2", auth.reauths.Load(), calls.Load())
	}
}

func TestDoJSON_persistent401IsAnError(t *testing.T) {
	c, auth := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	_, err := c.Usage(context.Background())
	if !IsUnauthorized(err) || auth.reauths.Load() != 1 {
		t.Fatalf("err = %v, reauths = %d; want a 401 error after exactly one re-authentication", err, auth.reauths.Load())
	}
}

func TestDoJSON_retries503ThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"stores": []}`))
	})
	if _, err := c.Stores(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", calls.Load())
	}
}

func TestDoJSON_retryBudgetIsBounded(t *testing.T) {
	var calls atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	})
	_, err := c.Stores(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want a 502 *Error", err)
	}
	if calls.Load() != int32(DefaultMaxRetries+1) {
		t.Fatalf("calls = %d, want %d", calls.Load(), DefaultMaxRetries+1)
	}
}

func TestDoJSON_connectionResetIsRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			hijacker, _ := w.(http.Hijacker)
			conn, _, err := hijacker.Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST instead of FIN
				}
				_ = conn.Close()
			}
			return
		}
		_, _ = w.Write([]byte(`{"stores": [{"id": "fast", "default": "true"}]}`))
	})
	stores, err := c.Stores(context.Background())
	if err != nil || len(stores) != 1 || !stores[0].Default {
		t.Fatalf("Stores = %+v, %v", stores, err)
	}
}

func TestDoJSON_notIdempotentIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := c.CreateImage(context.Background(), CreateImageRequest{Name: "x"}) // no id: not idempotent
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err = %v, calls = %d; want one failed call", err, calls.Load())
	}
}

func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"message": "Image is protected<br /><br />\n\n\n", "code": "403 Forbidden", "title": "Forbidden"}`: "Image is protected",
		`{"error": {"message": "The request you have made requires authentication.", "code": 401}}`:          "The request you have made requires authentication.",
		`{"title": "Not Found"}`: "Not Found",
		"plain text  answer\n":   "plain text answer",
	} {
		if got := errorMessage([]byte(body)); got != want {
			t.Errorf("errorMessage(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestError_predicates(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Openstack-Request-Id", "req-1")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message": "No image found with ID x"}`))
	})
	_, err := c.GetImage(context.Background(), "x")
	if !IsNotFound(err) || IsConflict(err) || !strings.Contains(err.Error(), "req-1") || !strings.Contains(err.Error(), "No image found") {
		t.Fatalf("err = %v", err)
	}
	if err := c.DeleteImage(context.Background(), "x"); err != nil {
		t.Fatalf("DeleteImage of a missing image = %v, want nil", err)
	}
}

func TestRedactURL_cases(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:pw@example.com/x?y=1", "https://example.com/x?…"},
		{"https://example.com/image.qcow2", "https://example.com/image.qcow2"},
		{"http://h:8000/a#frag", "http://h:8000/a"},
		{"https://h/a?", "https://h/a?…"},
		{"::not a url", "(unparsable URL)"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNextStep_cases(t *testing.T) {
	answer := func(code int) attemptResult { return attemptResult{resp: &http.Response{StatusCode: code}} }
	reset := &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}
	untrusted := &tls.CertificateVerificationError{Err: errors.New("x509: unknown authority")}
	for name, tc := range map[string]struct {
		r                attemptResult
		attempt, retries int
		canReauth        bool
		want             step
	}{
		"2xx decodes":                       {answer(200), 0, 5, true, stepDecode},
		"204 decodes":                       {answer(204), 5, 5, false, stepDecode},
		"first 401 re-authenticates":        {answer(401), 0, 0, true, stepReauth},
		"second 401 fails":                  {answer(401), 0, 5, false, stepFail},
		"503 retried":                       {answer(503), 0, 5, true, stepRetry},
		"500 retried":                       {answer(500), 4, 5, true, stepRetry},
		"429 retried":                       {answer(429), 0, 1, true, stepRetry},
		"503 after the budget fails":        {answer(503), 5, 5, true, stepFail},
		"503 without retries fails":         {answer(503), 0, 0, true, stepFail},
		"501 is not retried":                {answer(501), 0, 5, true, stepFail},
		"404 fails":                         {answer(404), 0, 5, true, stepFail},
		"409 fails":                         {answer(409), 0, 5, true, stepFail},
		"connection reset retried":          {attemptResult{err: reset}, 0, 5, true, stepRetry},
		"connection reset after budget":     {attemptResult{err: reset}, 1, 1, true, stepFail},
		"untrusted certificate not retried": {attemptResult{err: &url.Error{Op: "Get", URL: "https://h", Err: untrusted}}, 0, 5, true, stepFail},
		"cancelled context not retried":     {attemptResult{err: context.Canceled, canceled: true}, 0, 5, true, stepFail},
		"unreadable body retried":           {attemptResult{resp: &http.Response{StatusCode: 200}, readErr: io.ErrUnexpectedEOF}, 0, 5, true, stepRetry},
		"unreadable body after budget":      {attemptResult{resp: &http.Response{StatusCode: 200}, readErr: io.ErrUnexpectedEOF}, 0, 0, true, stepFail},
	} {
		t.Run(name, func(t *testing.T) {
			if got := nextStep(tc.r, tc.attempt, tc.retries, tc.canReauth); got != tc.want {
				t.Errorf("nextStep = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestAttemptResultFailure_cases(t *testing.T) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://u:p@h/v2/images?sig=1", nil)
	for name, tc := range map[string]struct {
		r    attemptResult
		want string
	}{
		"cancelled is the context's error": {attemptResult{err: context.Canceled, canceled: true}, "context canceled"},
		"transport error names the call":   {attemptResult{err: errors.New("boom")}, "GET https://h/v2/images?…: boom"},
		"unreadable answer":                {attemptResult{resp: &http.Response{StatusCode: 200}, readErr: io.ErrUnexpectedEOF}, "GET https://h/v2/images?…: reading response: unexpected EOF"},
		"Glance's answer": {attemptResult{resp: &http.Response{StatusCode: 404, Request: req, Header: http.Header{}}, body: []byte(`{"message": "No image found"}`)},
			"GET https://h/v2/images?…: HTTP 404: No image found"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.r.failure(http.MethodGet, "https://u:p@h/v2/images?sig=1").Error(); got != tc.want {
				t.Errorf("failure = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDoJSON_retryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"stores": []}`))
	})
	start := time.Now()
	if _, err := c.Stores(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %s, want the 1 s Retry-After asked for", waited)
	}
}

func TestDoJSON_cancelledContextIsReturnedAsIs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		cancel()
		time.Sleep(50 * time.Millisecond)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := c.Stores(ctx)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "GET") {
		t.Fatalf("err = %v, want context.Canceled itself", err)
	}
}

func TestDoJSON_undecodableAnswer(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"stores": 7}`)) })
	_, err := c.Stores(context.Background())
	if err == nil || !strings.Contains(err.Error(), "decoding response") || !strings.Contains(err.Error(), "/glance/v2/info/stores") {
		t.Fatalf("err = %v, want a decoding error naming the call", err)
	}
}
