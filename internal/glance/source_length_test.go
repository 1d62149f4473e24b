package glance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestURLContentLength_cases(t *testing.T) {
	body := strings.Repeat("x", 1234)
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		want    int64
		wantErr bool
	}{
		"HEAD answers": {func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer t" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Length", "1234")
		}, 1234, false},
		"HEAD refused, GET answers": {func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			_, _ = w.Write([]byte(body))
		}, 1234, false},
		"chunked: unknown": {func(w http.ResponseWriter, _ *http.Request) {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			_, _ = w.Write([]byte(body))
		}, -1, false},
		"HEAD says 0, GET is chunked: unknown": {func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				w.Header().Set("Content-Length", "0")
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			_, _ = w.Write([]byte(body))
		}, -1, false},
		"not found": {func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }, -1, true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			n, err := URLContentLength(context.Background(), srv.URL+"/img?sig=secret", map[string]string{"Authorization": "Bearer t"}, nil)
			if n != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("URLContentLength = %d, %v; want %d, error %v", n, err, tc.want, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the query: %v", err)
			}
		})
	}
}
