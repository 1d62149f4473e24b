package glance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWithEndpoint_sharesAuthAndRetriesNotCloudInfo: the other region's client sends the same
// token and user agent, retries as configured, and learns the other cloud's stores itself.
func TestWithEndpoint_sharesAuthAndRetriesNotCloudInfo(t *testing.T) {
	var firstHits, secondHits atomic.Int32
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		firstHits.Add(1)
		_, _ = w.Write([]byte(`{"stores":[{"id":"fast"}]}`))
	}))
	t.Cleanup(first.Close)
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secondHits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried
			return
		}
		if r.Header.Get("X-Auth-Token") != "token-0" || !strings.Contains(r.Header.Get("User-Agent"), "tf-test/1") {
			t.Errorf("token %q, user agent %q", r.Header.Get("X-Auth-Token"), r.Header.Get("User-Agent"))
		}
		if r.URL.Path != "/glance/v2/info/stores" {
			t.Errorf("path %q", r.URL.Path)
		}
		_, _ = w.Write([]byte(`{"stores":[{"id":"slow"}]}`))
	}))
	t.Cleanup(second.Close)
	auth := newFakeAuth()
	c, err := New(first.URL, auth, Options{UserAgent: "tf-test/1", retryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CachedStores(context.Background()); err != nil {
		t.Fatal(err)
	}
	other, err := c.WithEndpoint(second.URL + "/glance/v2")
	if err != nil {
		t.Fatal(err)
	}
	if other.BaseURL() != second.URL+"/glance" || other.Auth() != c.Auth() {
		t.Fatalf("base %q, same auth %v", other.BaseURL(), other.Auth() == c.Auth())
	}
	stores, err := other.CachedStores(context.Background())
	if err != nil || len(stores) != 1 || stores[0].ID != "slow" {
		t.Fatalf("stores of the other endpoint = %+v, %v", stores, err)
	}
	if firstHits.Load() != 1 || secondHits.Load() != 2 {
		t.Errorf("hits: first %d (want 1), second %d (want 2: a 503, then the retry)", firstHits.Load(), secondHits.Load())
	}
	if _, err := c.WithEndpoint("not a url"); err == nil {
		t.Error("an invalid endpoint was accepted")
	}
}

// TestWithEndpoint_noRetriesStaysNoRetries: a client built with retries disabled keeps them
// disabled for the other endpoint (0 would mean the default budget).
func TestWithEndpoint_noRetriesStaysNoRetries(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	c, err := New("http://127.0.0.1:1", newFakeAuth(), Options{MaxRetries: -1, retryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.WithEndpoint(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Stores(context.Background()); err == nil || hits.Load() != 1 {
		t.Errorf("err %v after %d requests, want an error after 1", err, hits.Load())
	}
}
