package glance

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestUsageRemainingBytes_cases(t *testing.T) {
	u := Usage{QuotaImageSizeTotal: {Limit: 1000, Usage: 998}, QuotaImageStageTotal: {Limit: -1, Usage: 5}, "over": {Limit: 10, Usage: 12}}
	cases := map[string]struct {
		name   string
		want   int64
		wantOK bool
	}{
		"room left":      {QuotaImageSizeTotal, 2 << 20, true},
		"unlimited":      {QuotaImageStageTotal, 0, false},
		"not reported":   {QuotaImageCountTotal, 0, false},
		"already over":   {"over", 0, true},
		"empty is false": {"", 0, false},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			got, ok := u.RemainingBytes(tc.name)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("RemainingBytes(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestOverQuotaDetail_cases(t *testing.T) {
	usage := Usage{
		QuotaImageSizeTotal:      {Limit: 1000, Usage: 1000},
		QuotaImageCountTotal:     {Limit: 100, Usage: 7},
		QuotaImageStageTotal:     {Limit: 500, Usage: 0},
		QuotaImageCountUploading: {Limit: 10, Usage: 1},
	}
	roomy := Usage{QuotaImageSizeTotal: {Limit: 1000, Usage: 10}, QuotaImageCountTotal: {Limit: -1, Usage: 7}}
	over := func(msg string) error { return &Error{StatusCode: http.StatusRequestEntityTooLarge, Message: msg} }
	cases := map[string]struct {
		err       error
		usage     Usage
		want, not []string
	}{
		"named in the message": {over("Project p is over a limit for [Resource image_count_total is over limit of 100 due to current usage 100 and delta 1]"), usage,
			[]string{"over its image_count_total quota (limit 100 images, usage 7 images)"}, []string{"image_size_total"}},
		"at its limit": {over("Request Entity Too Large"), usage,
			[]string{"reached its image_size_total quota (limit 1000 MiB, usage 1000 MiB)"}, []string{"image_stage_total"}},
		"none at limit": {over(""), roomy,
			[]string{"does not say which quota", "image_size_total quota (limit 1000 MiB, usage 10 MiB), image_count_total quota (limit unlimited, usage 7 images)"}, nil},
		"no quotas reported": {over(""), Usage{}, []string{"reports no quota usage"}, nil},
	}
	for label, tc := range cases {
		t.Run(label, func(t *testing.T) {
			got := overQuotaDetail(tc.err, tc.usage)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("overQuotaDetail = %q, want it to contain %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("overQuotaDetail = %q, must not name %q", got, n)
				}
			}
		})
	}
}

func TestOverQuotaDetail_readsUsage(t *testing.T) {
	var reads atomic.Int32
	usageStatus := http.StatusOK
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/glance/v2/info/usage" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		reads.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(usageStatus)
		_, _ = w.Write([]byte(`{"usage": {"image_size_total": {"limit": 1000, "usage": 1000}}}`))
	})
	ctx := context.Background()
	if got := c.OverQuotaDetail(ctx, &Error{StatusCode: http.StatusForbidden}); got != "" || reads.Load() != 0 {
		t.Fatalf("a 403 got %q after %d usage reads, want nothing", got, reads.Load())
	}
	perImage := &Error{StatusCode: http.StatusRequestEntityTooLarge, Message: "Maximum number of allowed image tags exceeded"}
	if got := c.OverQuotaDetail(ctx, perImage); got != "" || reads.Load() != 0 {
		t.Fatalf("a per-image limit got %q, want nothing", got)
	}
	got := c.OverQuotaDetail(ctx, &Error{StatusCode: http.StatusRequestEntityTooLarge})
	if !strings.Contains(got, "image_size_total quota (limit 1000 MiB, usage 1000 MiB)") || reads.Load() != 1 {
		t.Errorf("OverQuotaDetail = %q after %d reads", got, reads.Load())
	}
	usageStatus = http.StatusForbidden
	if got := c.OverQuotaDetail(ctx, &Error{StatusCode: http.StatusRequestEntityTooLarge}); !strings.Contains(got, "could not be read") {
		t.Errorf("OverQuotaDetail with unreadable usage = %q", got)
	}
}
