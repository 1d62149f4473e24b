package glance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/glance-provider/terraform-provider-glance/internal/testkit"
)

// getErr is the error of a GET of target with client (a default one when nil).
func getErr(t *testing.T, client *http.Client, target string) error {
	t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
	resp, err := client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("GET %s succeeded", target)
	}
	return err
}

func TestClassifyConnection_cases(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if h, ok := w.(http.Hijacker); ok {
			if conn, _, err := h.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	}))
	t.Cleanup(hangup.Close)
	silent := testkit.SilentListener(t)

	for name, tc := range map[string]struct {
		err  func() error
		want ConnectionKind
	}{
		"closed port is refused":         {func() error { return getErr(t, nil, "http://"+testkit.ClosedPort(t)+"/v3") }, ConnRefused},
		"unknown host is dns":            {func() error { return getErr(t, nil, "http://nonexistent.invalid:5000/v3") }, ConnDNS},
		"https to a plain port is tls":   {func() error { return getErr(t, nil, "https://"+plain.Listener.Addr().String()+"/") }, ConnTLS},
		"untrusted certificate is tls":   {func() error { return getErr(t, nil, tlsSrv.URL) }, ConnTLS},
		"silent server is timeout":       {func() error { return getErr(t, &http.Client{Timeout: 200 * time.Millisecond}, "http://"+silent) }, ConnTimeout},
		"response header timeout":        {func() error { return getErr(t, headerTimeoutClient(), "http://"+silent) }, ConnTimeout},
		"hang-up is other":               {func() error { return getErr(t, nil, hangup.URL) }, ConnOther},
		"gophercloud-style wrapping":     {func() error { return fmt.Errorf("auth: %w", getErr(t, nil, "http://"+testkit.ClosedPort(t))) }, ConnRefused},
		"cancelled context is not one":   {func() error { return fmt.Errorf("x: %w", context.Canceled) }, ConnNone},
		"expired deadline is not one":    {func() error { return context.DeadlineExceeded }, ConnNone},
		"an HTTP answer is not one":      {func() error { return &Error{StatusCode: 401} }, ConnNone},
		"a plain local error is not one": {func() error { return errors.New("bad config") }, ConnNone},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.err()
			p := ClassifyConnection(err)
			if p.Kind != tc.want {
				t.Fatalf("ClassifyConnection(%v) = %q, want %q", err, p.Kind, tc.want)
			}
			if p.Kind != ConnNone && (p.Cause == "" || p.Advice == "") {
				t.Errorf("problem without cause or advice: %+v", p)
			}
		})
	}
}

func headerTimeoutClient() *http.Client {
	return &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 200 * time.Millisecond}}
}

func TestConnectionError_message(t *testing.T) {
	addr := testkit.ClosedPort(t)
	err := getErr(t, nil, "http://"+addr+"/v3?secret=1")
	ce := NewConnectionError("Keystone", "authenticating", "http://user:pw@"+addr+"/v3?secret=1", "auth_url (OS_AUTH_URL)", err)
	if ce == nil {
		t.Fatal("no ConnectionError for a refused connection")
	}
	msg := ce.Error()
	for _, want := range []string{"authenticating http://" + addr + "/v3?…", "cannot reach Keystone (connection refused)",
		"connect: connection refused", "check that Keystone is running", "auth_url (OS_AUTH_URL)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	for _, bad := range []string{"secret", "pw", "credential", "password"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message contains %q: %s", bad, msg)
		}
	}
	if !IsConnectionError(fmt.Errorf("wrapped: %w", ce)) || !errors.Is(ce, err) {
		t.Error("ConnectionError does not unwrap to its cause")
	}
	if NewConnectionError("Glance", "GET", "http://h", "", context.Canceled) != nil {
		t.Error("a cancelled context made a ConnectionError")
	}
}

func TestDoJSON_glanceDownIsAConnectionError(t *testing.T) {
	addr := testkit.ClosedPort(t)
	c, err := New("http://"+addr, newFakeAuth(), Options{retryBase: time.Millisecond, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetImage(context.Background(), "x")
	var ce *ConnectionError
	if !errors.As(err, &ce) {
		t.Fatalf("GetImage on a closed port: %v, want a ConnectionError", err)
	}
	if ce.Service != "Glance" || ce.Problem.Kind != ConnRefused || !strings.Contains(err.Error(), "http://"+addr+"/v2/images/x") {
		t.Errorf("ConnectionError = %+v (%v)", ce, err)
	}
}

func TestClassifyConnection_httpsHangUpIsTLS(t *testing.T) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() { // reads the TLS hello and hangs up, as uwsgi does
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 512)
			_, _ = c.Read(buf)
			_ = c.Close()
		}
	}()
	if p := ClassifyConnection(getErr(t, nil, "https://"+l.Addr().String()+"/v3")); p.Kind != ConnTLS {
		t.Errorf("https to a server that hangs up: %+v, want tls", p)
	}
	if p := ClassifyConnection(getErr(t, nil, "http://"+l.Addr().String()+"/v3")); p.Kind != ConnOther {
		t.Errorf("http to a server that hangs up: %+v, want other", p)
	}
}
