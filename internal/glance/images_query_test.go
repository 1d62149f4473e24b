package glance

import (
	"testing"
)

func TestListImagesOptionsQuery_timeFilters(t *testing.T) {
	q := ListImagesOptions{CreatedAt: "gte:2026-01-02T03:04:05Z", UpdatedAt: "lt:2026-02-01T00:00:00+01:00", Tags: []string{"a", "b"}}.query()
	if q.Get("created_at") != "gte:2026-01-02T03:04:05Z" || q.Get("updated_at") != "lt:2026-02-01T00:00:00+01:00" {
		t.Errorf("time filters: %s", q.Encode())
	}
	if got := q["tag"]; len(got) != 2 {
		t.Errorf("tags: %v", got)
	}
	if empty := (ListImagesOptions{}).query(); empty.Has("created_at") || empty.Has("updated_at") {
		t.Errorf("unset time filters are sent: %s", empty.Encode())
	}
}
