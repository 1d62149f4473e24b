// Package glance is a small client for the OpenStack Image service (Glance) API v2.
//
// It covers what the provider needs and gophercloud lacks or does badly: a streaming data
// plane, the info endpoints and the full import request. Authentication comes from an Auth
// (usually gophercloud's ProviderClient); this package has no Terraform imports.
package glance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Auth supplies the token sent as X-Auth-Token. gophercloud's *ProviderClient satisfies it.
type Auth interface {
	Token() string
	// Reauthenticate fetches a new token unless another caller already replaced previousToken.
	Reauthenticate(ctx context.Context, previousToken string) error
}

// TokenExpiry is implemented by Auths that know when the current token expires.
type TokenExpiry interface {
	TokenExpiresAt() time.Time
}

// Logger receives the client's diagnostics. Messages never contain tokens or image bytes.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Info(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

type nopLogger struct{}

func (nopLogger) Debug(context.Context, string, map[string]any) {}
func (nopLogger) Info(context.Context, string, map[string]any)  {}
func (nopLogger) Warn(context.Context, string, map[string]any)  {}

// Options tune a Client. The zero value is usable.
type Options struct {
	// HTTPClient carries TLS settings; nil means http.DefaultClient's transport.
	HTTPClient *http.Client
	// MaxRetries bounds the retries of an idempotent call (5xx, 429, connection errors).
	// Negative disables retries; zero means DefaultMaxRetries.
	MaxRetries int
	Logger     Logger
	// UserAgent is appended to the default one.
	UserAgent string
	// retryBase is the first backoff step; tests shorten it.
	retryBase time.Duration
}

// DefaultMaxRetries is the retry budget of an idempotent call when Options.MaxRetries is zero.
const DefaultMaxRetries = 5

// Client talks to one Glance endpoint.
type Client struct {
	base       *url.URL
	auth       Auth
	http       *http.Client
	maxRetries int
	retryBase  time.Duration
	log        Logger
	userAgent  string
	// hashAlgo is the os_hash_algo learned from images read (a string).
	hashAlgo atomic.Value
	// info memoises the cloud's import methods and stores (CachedImportMethods, CachedStores).
	info cloudInfo
	// cacheAPI memoises whether the image cache API answers (CachedImageCacheAvailable, cache.go).
	cacheAPI cacheProbe
	// pending registers the images this client's creates made (CreatePendingImage, pending.go).
	pending pendingClaims
}

// New returns a client for the Glance endpoint at baseURL, for example
// "https://pcd.example.com/glance" or "http://127.0.0.1:9292". A trailing "/v2" is accepted
// and dropped: every request path is built from this base, never from links Glance returns,
// because Glance drops any path prefix (such as PCD's /glance) from them.
func New(baseURL string, auth Auth, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("invalid Glance endpoint %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("invalid Glance endpoint %q: want an absolute http(s) URL", baseURL)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v2")
	p = strings.TrimSuffix(p, "/v2.0")
	u.Path = strings.TrimRight(p, "/")
	u.RawQuery, u.Fragment = "", ""

	c := &Client{
		base:       u,
		auth:       auth,
		http:       opts.HTTPClient,
		maxRetries: opts.MaxRetries,
		retryBase:  opts.retryBase,
		log:        opts.Logger,
		userAgent:  strings.TrimSpace("terraform-provider-glance " + opts.UserAgent),
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.maxRetries == 0 {
		c.maxRetries = DefaultMaxRetries
	}
	if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.retryBase == 0 {
		c.retryBase = 250 * time.Millisecond
	}
	if c.log == nil {
		c.log = nopLogger{}
	}
	return c, nil
}

// BaseURL is the endpoint every request is built from, without the API version.
func (c *Client) BaseURL() string { return c.base.String() }

// Auth is the token source the client was built with (nil without one); callers use it to
// reach what their own Auth knows beyond the token, such as Keystone's catalog.
func (c *Client) Auth() Auth { return c.auth }

// url joins the configured base with an API path such as "/v2/images".
func (c *Client) url(path string, query url.Values) string {
	// path arrives with its segments escaped (escape); Path must hold the decoded form and
	// RawPath the escaped one, or ids with "/", "?" or "%" would be encoded twice or split.
	u := *c.base
	decoded, err := url.PathUnescape(path)
	if err != nil {
		decoded = path
	}
	u.Path = c.base.Path + decoded
	u.RawPath = c.base.EscapedPath() + path
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String()
}

// escape quotes one path segment (an id, a tag, a store name).
func escape(segment string) string { return url.PathEscape(segment) }

// call describes one JSON request.
type call struct {
	method      string
	path        string
	query       url.Values
	body        any // marshalled as JSON unless rawBody is set
	contentType string
	headers     map[string]string
	// idempotent calls are retried on 5xx, 429 and connection errors.
	idempotent bool
	out        any
	// attempts, when set, receives the number of requests sent.
	attempts *int
}

// doJSON sends a JSON call, retrying as its idempotency allows, re-authenticating once on 401,
// and decoding a 2xx body into cl.out.
func (c *Client) doJSON(ctx context.Context, cl call) error {
	payload, err := encodeBody(cl.body)
	if err != nil {
		return err
	}
	target := c.url(cl.path, cl.query)
	retries := 0
	if cl.idempotent {
		retries = c.maxRetries
	}
	canReauth := c.auth != nil
	for attempt := 0; ; {
		req, token, err := c.newRequest(ctx, cl, target, payload)
		if err != nil {
			return err
		}
		if cl.attempts != nil {
			*cl.attempts++
		}
		r := c.send(ctx, req, target)
		switch nextStep(r, attempt, retries, canReauth) {
		case stepReauth: // a re-authentication is not a retry
			canReauth = false
			if err := c.auth.Reauthenticate(ctx, token); err != nil {
				return fmt.Errorf("re-authenticating after HTTP 401 from %s: %w", RedactURL(target), err)
			}
		case stepRetry:
			if err := c.backoff(ctx, cl.method, target, r, attempt); err != nil {
				return err
			}
			attempt++
		case stepDecode:
			return decodeInto(cl.out, r.body, cl.method, target)
		default:
			return r.failure(cl.method, target)
		}
	}
}

// encodeBody marshals a call's body; nil stays nil (no body).
func encodeBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding request body: %w", err)
	}
	return payload, nil
}

// newRequest builds one attempt of a call and returns the token it carries.
func (c *Client) newRequest(ctx context.Context, cl call, target string, payload []byte) (*http.Request, string, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, "", err
	}
	if payload != nil {
		ct := cl.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range cl.headers {
		req.Header.Set(k, v)
	}
	return req, c.prepare(req), nil
}

// attemptResult is what one request attempt produced.
type attemptResult struct {
	// resp is Glance's answer (its body already read and closed); nil when none came.
	resp *http.Response
	body []byte
	// readErr is a failure to read the answer's body.
	readErr error
	// err is the transport error; with canceled, the context's error.
	err      error
	canceled bool
}

// send sends one attempt and reads the answer.
func (c *Client) send(ctx context.Context, req *http.Request, target string) attemptResult {
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return attemptResult{err: ctx.Err(), canceled: true}
		}
		return attemptResult{err: err}
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	_ = resp.Body.Close()
	c.log.Debug(ctx, "Glance request", map[string]any{
		"method": req.Method, "url": RedactURL(target), "status": resp.StatusCode,
		"duration_ms": time.Since(start).Milliseconds(), "request_id": resp.Header.Get("X-Openstack-Request-Id"),
	})
	return attemptResult{resp: resp, body: body, readErr: readErr}
}

// step is what follows an attempt.
type step int

const (
	stepFail   step = iota // return the attempt's error
	stepDecode             // success: decode the answer
	stepRetry              // wait, then send again
	stepReauth             // re-authenticate, then send again (not counted as a retry)
)

// nextStep decides what follows attempt (counted from 0) of a call allowed retries retries.
// Connection errors (but a cancelled context or an untrusted certificate), unreadable
// answers and 5xx/429 answers are retried while the budget lasts; the first 401 re-authenticates.
func nextStep(r attemptResult, attempt, retries int, canReauth bool) step {
	canRetry := attempt < retries
	switch {
	case r.canceled:
		return stepFail
	case r.err != nil:
		return retryIf(canRetry && retryableNetError(r.err))
	case r.readErr != nil:
		return retryIf(canRetry)
	case r.resp.StatusCode == http.StatusUnauthorized && canReauth:
		return stepReauth
	case r.resp.StatusCode >= 200 && r.resp.StatusCode < 300:
		return stepDecode
	}
	return retryIf(canRetry && retryableStatus(r.resp.StatusCode))
}

func retryIf(retry bool) step {
	if retry {
		return stepRetry
	}
	return stepFail
}

// failure is the error a failed attempt ends its call with.
func (r attemptResult) failure(method, target string) error {
	switch {
	case r.canceled:
		return r.err
	case r.err != nil:
		if ce := NewConnectionError("Glance", method, target, "", r.err); ce != nil {
			return ce
		}
		return fmt.Errorf("%s %s: %w", method, RedactURL(target), r.err)
	case r.readErr != nil:
		return fmt.Errorf("%s %s: reading response: %w", method, RedactURL(target), r.readErr)
	}
	return errorFromResponse(r.resp, r.body)
}

// backoff logs a retry and waits before it; a retried answer's Retry-After is honoured.
func (c *Client) backoff(ctx context.Context, method, target string, r attemptResult, attempt int) error {
	var h http.Header
	switch {
	case r.err != nil:
		c.log.Warn(ctx, "Glance request failed, retrying", map[string]any{
			"method": method, "url": RedactURL(target), "error": r.err.Error(), "attempt": attempt + 1,
		})
	case r.readErr == nil:
		c.log.Warn(ctx, "Glance answered a retryable error, retrying", map[string]any{
			"method": method, "url": RedactURL(target), "status": r.resp.StatusCode, "attempt": attempt + 1,
		})
		h = r.resp.Header
	}
	return c.sleep(ctx, attempt, h)
}

// decodeInto decodes a 2xx answer into out, when the call wants it and the answer has a body.
func decodeInto(out any, body []byte, method, target string) error {
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decoding response: %w", method, RedactURL(target), err)
	}
	return nil
}

// prepare sets the headers every request carries and returns the token it used.
func (c *Client) prepare(req *http.Request) string {
	req.Header.Set("Accept", "application/json") // errors come back as JSON, not HTML
	req.Header.Set("User-Agent", c.userAgent)
	token := ""
	if c.auth != nil {
		token = c.auth.Token()
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
	}
	return token
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout ||
		code == http.StatusInternalServerError
}

// retryableNetError reports connection-level failures worth another attempt: anything
// but a cancelled context or a TLS verification failure, which would fail the same way again.
func retryableNetError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if IsCertificateError(err) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// IsCertificateError reports whether err is a failure to verify the server's TLS certificate.
func IsCertificateError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	return errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr)
}

// sleep waits before retry attempt+1: exponential from retryBase, capped at 8 s, with jitter,
// or what Retry-After asks for (capped at 30 s).
func (c *Client) sleep(ctx context.Context, attempt int, h http.Header) error {
	d := c.retryBase << min(attempt, 6)
	d = min(d, 8*time.Second)
	d = d/2 + rand.N(d/2+1)
	if h != nil {
		if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
			d = min(time.Duration(s)*time.Second, 30*time.Second)
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// EnsureFreshToken re-authenticates when the current token expires within minValidity, so
// that a long upload does not start with a token that dies halfway through the follow-up calls.
func (c *Client) EnsureFreshToken(ctx context.Context, minValidity time.Duration) error {
	te, ok := c.auth.(TokenExpiry)
	if !ok {
		return nil
	}
	exp := te.TokenExpiresAt()
	if exp.IsZero() || time.Until(exp) > minValidity {
		return nil
	}
	c.log.Info(ctx, "Token expires soon, re-authenticating before the upload", map[string]any{"expires_at": exp.UTC().Format(time.RFC3339)})
	return c.auth.Reauthenticate(ctx, c.auth.Token())
}

// RedactURL is raw without credentials, query (often a signature or token) or fragment, for
// messages and logs. It is the one redaction of URLs in the provider.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "", false
		return u.String() + "?…"
	}
	return u.String()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
