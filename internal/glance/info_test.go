package glance

import (
	"context"
	"net/http"
	"testing"
)

func TestStores_flagsAndDetail(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/glance/v2/info/stores":
			_, _ = w.Write([]byte(`{"stores": [{"id": "fast", "description": "Fast file store", "default": "true"}, {"id": "ro", "read-only": "true"}]}`))
		case "/glance/v2/info/stores/detail":
			_, _ = w.Write([]byte(`{"stores": [{"id": "fast", "type": "file", "weight": 10, "properties": {"data_dir": "/x", "chunk_size": 65536, "thin_provisioning": false}}]}`))
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	})
	stores, err := c.Stores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stores) != 2 || !stores[0].Default || stores[0].ReadOnly || !stores[1].ReadOnly || stores[1].Default || stores[0].Description != "Fast file store" {
		t.Fatalf("Stores = %+v", stores)
	}
	detail, err := c.StoresDetail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := detail[0].Properties
	if detail[0].Type != "file" || detail[0].Weight != 10 || p["data_dir"] != "/x" || p["chunk_size"] != "65536" || p["thin_provisioning"] != "false" {
		t.Fatalf("StoresDetail = %+v", detail)
	}
}

func TestStores_withoutMultiStore(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message": "Multi backend is not supported at this site."}`))
	})
	_, err := c.Stores(context.Background())
	if !IsUnsupported(err) {
		t.Fatalf("err = %v, want IsUnsupported", err)
	}
}

func TestUsage(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want Usage
	}{
		"enabled": {`{"usage": {"image_size_total": {"usage": 2424, "limit": 5000}, "image_count_total": {"usage": 15, "limit": 100}}}`,
			Usage{"image_size_total": {Limit: 5000, Usage: 2424}, "image_count_total": {Limit: 100, Usage: 15}}},
		"disabled": {`{"usage": {}}`, Usage{}},
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tc.body)) })
			got, err := c.Usage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Usage = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("Usage[%s] = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
