package acctest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// RequireQemu fails the test when qemu-img is missing (testenv/testenv.sh installs
// qemu-utils for the acceptance tests, so its absence is a broken environment).
func RequireQemu(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatal("qemu-img is not installed: testenv/testenv.sh installs qemu-utils")
	}
}

// QemuImg runs qemu-img with args in dir and returns the path of its last argument that names
// a file in dir (the image it made), for example QemuImg(t, dir, "create", "-f", "qcow2",
// "disk.qcow2", "64M").
func QemuImg(t *testing.T, dir string, args ...string) string {
	t.Helper()
	RequireQemu(t)
	cmd := exec.CommandContext(t.Context(), "qemu-img", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for i := len(args) - 1; i >= 0; i-- {
		if p := filepath.Join(dir, args[i]); !strings.HasPrefix(args[i], "-") {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}

// ImagesNamed lists the images (of any status but deleted) named name, as the admin sees them.
func ImagesNamed(t *testing.T, name string) []glance.Image {
	t.Helper()
	imgs, err := Client(t, Admin).ListImages(context.Background(), glance.ListImagesOptions{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}
