package glance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestImage_UnmarshalJSON(t *testing.T) {
	var img Image
	err := json.Unmarshal([]byte(`{"hw_disk_bus": "scsi", "os_distro": "ubuntu", "name": "n", "disk_format": "raw",
		"container_format": "bare", "visibility": "shared", "size": 1024, "virtual_size": null, "status": "active",
		"checksum": "c", "protected": true, "min_ram": 64, "min_disk": 1, "owner": "o", "os_hidden": false,
		"os_hash_algo": "sha512", "os_hash_value": "h", "id": "i", "created_at": "t1", "updated_at": "t2",
		"tags": ["b", "a"], "self": "/v2/images/i", "file": "/v2/images/i/file", "schema": "/v2/schemas/image",
		"stores": "fast,slow", "os_glance_importing_to_stores": "", "os_glance_failed_import": "slow"}`), &img)
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != "i" || img.Size != 1024 || img.VirtualSize != 0 || !img.Protected || img.MinRAM != 64 ||
		strings.Join(img.Tags, ",") != "a,b" || strings.Join(img.Stores, ",") != "fast,slow" ||
		len(img.ImportingToStores) != 0 || strings.Join(img.FailedImport, ",") != "slow" {
		t.Fatalf("decoded %+v", img)
	}
	if len(img.Properties) != 2 || img.Properties["hw_disk_bus"] != "scsi" || img.Properties["os_distro"] != "ubuntu" {
		t.Fatalf("Properties = %v, want only the custom keys", img.Properties)
	}
}

func TestListImages_followsMarkerUnderPrefix(t *testing.T) {
	var pages atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/glance/v2/images" {
			t.Errorf("path %q: the next link's path must not be followed", r.URL.Path)
		}
		if r.URL.Query().Get("tag") != "x" || r.URL.Query().Get("os_distro") != "ubuntu" {
			t.Errorf("filters lost on page: %s", r.URL.RawQuery)
		}
		switch r.URL.Query().Get("marker") {
		case "":
			pages.Add(1)
			_, _ = w.Write([]byte(`{"images": [{"id": "a"}, {"id": "b"}], "next": "/v2/images?tag=x&limit=2&marker=b"}`))
		case "b":
			pages.Add(1)
			_, _ = w.Write([]byte(`{"images": [{"id": "c"}]}`))
		default:
			t.Errorf("unexpected marker %q", r.URL.Query().Get("marker"))
		}
	})
	imgs, err := c.ListImages(context.Background(), ListImagesOptions{Tags: []string{"x"}, Properties: map[string]string{"os_distro": "ubuntu"}, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 || imgs[2].ID != "c" || pages.Load() != 2 {
		t.Fatalf("got %d images over %d pages", len(imgs), pages.Load())
	}
}

func TestCreateImage_lostAnswerIsRecovered(t *testing.T) {
	var posts atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(body), `"id":"4b1c"`) {
				t.Errorf("create body lacks the chosen id: %s", body)
			}
			if posts.Add(1) == 1 {
				// the first attempt creates the image but its answer is lost
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"message": "Image with identifier 4b1c already exists!"}`))
		case http.MethodGet:
			_, _ = w.Write([]byte(`{"id": "4b1c", "name": "n", "status": "queued"}`))
		}
	})
	img, err := c.CreateImage(context.Background(), CreateImageRequest{ID: "4b1c", Name: "n"})
	if err != nil || img.ID != "4b1c" {
		t.Fatalf("CreateImage = %+v, %v", img, err)
	}
}

func TestCreateImage_conflictOnFirstAttemptIsAnError(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{"id": "4b1c", "name": "n", "status": "queued"}`))
			return
		}
		w.WriteHeader(http.StatusConflict)
	})
	if _, err := c.CreateImage(context.Background(), CreateImageRequest{ID: "4b1c", Name: "n"}); !IsConflict(err) {
		t.Fatalf("err = %v, want the 409: an id already in use is not ours", err)
	}
}

func TestUpdateImage_mediaType(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/openstack-images-v2.1-json-patch" {
			t.Errorf("Content-Type = %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		if string(body) != `[{"op":"replace","path":"/a~1b","value":"v"},{"op":"remove","path":"/c"}]` {
			t.Errorf("body = %s", body)
		}
		_, _ = w.Write([]byte(`{"id": "i"}`))
	})
	_, err := c.UpdateImage(context.Background(), "i", []PatchOp{{Op: "replace", Path: PatchPath("a/b"), Value: "v"}, {Op: "remove", Path: PatchPath("c")}})
	if err != nil {
		t.Fatal(err)
	}
}
