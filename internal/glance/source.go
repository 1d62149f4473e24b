package glance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// Source is image data that can be read from its start as many times as needed: a retry
// re-opens it rather than buffering what was sent.
type Source interface {
	// Open returns a fresh reader at the start of the data and its length in bytes, or -1.
	Open(ctx context.Context) (io.ReadCloser, int64, error)
	// String describes the source for logs and errors: a path, or a URL without credentials
	// and query; never the request headers.
	String() string
}

// FileSource reads a local file.
func FileSource(path string) Source { return fileSource(path) }

type fileSource string

func (f fileSource) String() string { return string(f) }

func (f fileSource) Open(context.Context) (io.ReadCloser, int64, error) {
	fh, err := os.Open(string(f))
	if err != nil {
		return nil, 0, &permanentError{err}
	}
	st, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, 0, &permanentError{err}
	}
	if st.IsDir() {
		_ = fh.Close()
		return nil, 0, &permanentError{fmt.Errorf("%s is a directory, not an image file", f)}
	}
	size := int64(-1)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	return fh, size, nil
}

// URLSource streams an HTTP(S) GET of rawURL through the provider. headers (for example an
// Authorization header) are sent but never logged.
func URLSource(rawURL string, headers map[string]string, httpClient *http.Client) Source {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &urlSource{url: rawURL, headers: headers, http: httpClient}
}

type urlSource struct {
	url     string
	headers map[string]string
	http    *http.Client
}

func (u *urlSource) String() string { return RedactURL(u.url) }

func (u *urlSource) Open(ctx context.Context) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, 0, &permanentError{fmt.Errorf("source URL %s: %w", u, err)}
	}
	for k, v := range u.headers {
		req.Header.Set(k, v)
	}
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("downloading %s: %w", u, redactErr(err))
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		err := fmt.Errorf("downloading %s: HTTP %s", u, resp.Status)
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			err = &permanentError{err}
		}
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// redactErr keeps a *url.Error from repeating the full URL (with its query) in messages.
func redactErr(err error) error {
	if ue, ok := err.(*url.Error); ok { //nolint:errorlint // only the outermost wrapper names the URL
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// URLContentLength asks the server at rawURL how many bytes it serves, without downloading
// them: the Content-Length of a HEAD, or, when HEAD is refused or says nothing, of a GET
// whose body is not read. -1 when the server does not say (chunked, or no answer); a length
// of 0 counts as not saying (some servers answer HEAD so).
func URLContentLength(ctx context.Context, rawURL string, headers map[string]string, httpClient *http.Client) (int64, error) {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	var errs []error
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		n, err := contentLength(ctx, httpClient, method, rawURL, headers)
		if err == nil && n > 0 {
			return n, nil
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 2 {
		return -1, errs[1]
	}
	return -1, nil
}

func contentLength(ctx context.Context, httpClient *http.Client, method, rawURL string, headers map[string]string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return -1, fmt.Errorf("source URL %s: %w", RedactURL(rawURL), redactErr(err))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept-Encoding", "identity") // the length of the bytes themselves
	resp, err := httpClient.Do(req)
	if err != nil {
		return -1, fmt.Errorf("%s %s: %w", method, RedactURL(rawURL), redactErr(err))
	}
	_ = resp.Body.Close() // a GET's body is not read: closing drops the connection
	if resp.StatusCode != http.StatusOK {
		return -1, fmt.Errorf("%s %s: HTTP %s", method, RedactURL(rawURL), resp.Status)
	}
	return resp.ContentLength, nil
}
