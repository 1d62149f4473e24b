package provider

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/digestcache"
)

// TestAccImage_hashOnceAcrossPlans runs the terraform CLI: after an apply, a touched but
// unchanged source file is hashed by the first plan only (the digest cache remembers it), and
// a file rewritten in place with its size and modification time restored is still seen as
// changed (its change time moved) and planned for replacement.
func TestAccImage_hashOnceAcrossPlans(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	dir := t.TempDir()
	cacheDir := filepath.Join(t.TempDir(), "digests")
	file, _ := acctest.WriteRandomFile(t, "", 4<<20)
	config := acctest.ExternalProvider + acctest.Demo.ProviderBlock(t, "") + fmt.Sprintf(`
resource "glance_image" "img" {
  name        = %q
  disk_format = "raw"
  source      = { file = %q }
}
`, acctest.RandomName("hashonce"), file)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// tf runs the CLI with the provider's INFO log in logName, and returns how often it hashed.
	tf := func(logName string, args ...string) (string, int, error) {
		logPath := filepath.Join(dir, logName)
		env := []string{digestcache.DirEnv + "=" + cacheDir, "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH=" + logPath}
		out, err := acctest.Terraform(t, dir, env, args...)
		b, _ := os.ReadFile(logPath)
		return out, strings.Count(string(b), hashingLogMessage), err
	}
	t.Cleanup(func() { _, _, _ = tf("destroy.log", "destroy", "-auto-approve") })
	if out, _, err := tf("apply.log", "apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}

	touched := time.Now().Add(-time.Minute).Truncate(time.Second)
	if err := os.Chtimes(file, touched, touched); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // past the cache's racy window (100 ms on this file system)
	for i, want := range []int{1, 0, 0} {
		out, hashed, err := tf(fmt.Sprintf("plan%d.log", i), "plan", "-detailed-exitcode", "-input=false")
		if err != nil {
			t.Fatalf("plan %d after touch: want no changes, got %v\n%s", i+1, err, out)
		}
		if hashed != want {
			t.Errorf("plan %d after touch hashed the file %d times, want %d", i+1, hashed, want)
		}
	}

	// Same size, other bytes, written in place (same inode), modification time restored.
	rewriteInPlace(t, file)
	if err := os.Chtimes(file, touched, touched); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	out, hashed, err := tf("changed.log", "plan", "-detailed-exitcode", "-input=false")
	if err == nil || !strings.Contains(out, "must be replaced") {
		t.Fatalf("plan after a same-size rewrite with its modification time restored: want a replacement, got %v\n%s", err, out)
	}
	if hashed == 0 {
		t.Errorf("the rewritten file was not hashed")
	}
}

// rewriteInPlace overwrites the file's bytes with random ones, keeping its size and inode.
func rewriteInPlace(t *testing.T, p string) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, st.Size())
	_, _ = rand.Read(buf)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
