package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// TestAccImage_importComparesSourceURL runs the terraform CLI on an image made out of band and
// adopted with an import block whose configuration declares source.url: a URL serving another
// number of bytes than the image holds plans a replacement and says why; one serving as many
// bytes is adopted in place; one that does not say its length is adopted with a warning that
// nothing was compared.
func TestAccImage_importComparesSourceURL(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	file, _ := acctest.WriteRandomFile(t, "", 1<<20)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same.raw": // as a file server serves it: HEAD and GET with Content-Length
			http.ServeContent(w, r, "same.raw", time.Time{}, bytes.NewReader(data))
		case "/longer.raw":
			http.ServeContent(w, r, "longer.raw", time.Time{}, bytes.NewReader(append(append([]byte{}, data...), 'x')))
		case "/chunked.raw":
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if r.Method == http.MethodGet {
				_, _ = w.Write(data)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	ctx := context.Background()
	client := acctest.Client(t, acctest.Demo)
	img, err := client.CreateImage(ctx, glance.CreateImageRequest{Name: acctest.RandomName("adopt"), DiskFormat: "raw", ContainerFormat: "bare"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.DeleteImage(context.Background(), img.ID) })
	if _, err := client.UploadImage(ctx, img.ID, glance.FileSource(file), glance.UploadOptions{}); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		path    string
		replace bool
		want    string
	}{
		"other size replaces":     {"/longer.raw", true, fmt.Sprintf("serves %d bytes (its Content-Length) while the image holds %d", len(data)+1, len(data))},
		"same size is adopted":    {"/same.raw", false, "will be updated in-place"},
		"length unknown is named": {"/chunked.raw", false, "Source URL Not Compared With the Image"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			config := acctest.ExternalProvider + acctest.Demo.ProviderBlock(t, "") + fmt.Sprintf(`
import {
  to = glance_image.adopted
  id = %q
}

resource "glance_image" "adopted" {
  name        = %q
  disk_format = "raw"
  source      = { url = %q }
}
`, img.ID, img.Name, srv.URL+tc.path)
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := acctest.Terraform(t, dir, nil, "plan", "-input=false")
			if err != nil {
				t.Fatalf("plan: %v\n%s", err, out)
			}
			text := unwrapCLIOutput(out)
			if got := strings.Contains(text, "must be replaced"); got != tc.replace {
				t.Errorf("replacement planned = %v, want %v:\n%s", got, tc.replace, out)
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("plan output lacks %q:\n%s", tc.want, out)
			}
			if compared := !strings.Contains(text, "Not Compared"); compared != (tc.path != "/chunked.raw") {
				t.Errorf("compared = %v for %s:\n%s", compared, tc.path, out)
			}
		})
	}
}
