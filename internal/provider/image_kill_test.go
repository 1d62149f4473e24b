package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// killMoment is one moment of a create at which TestAccImage_kill kills terraform and the
// provider.
type killMoment struct {
	// resources renders the configuration's resources for image name, the file and its URL.
	resources func(name, file, url string) string
	// hold makes the proxy stop the create at the moment.
	hold func(p *acctest.FaultProxy, size int64) *acctest.Hold
	// statuses are what Glance may show for the image at the moment.
	statuses []string
}

// The resources of each kind of create, with an output of the image's id.
func killImageFile(name, file, _ string) string {
	return fmt.Sprintf(`resource "glance_image" "kill" {
  name        = %q
  disk_format = "raw"
  source      = { file = %q }
}
`, name, file) + killOutput
}

func killImageURL(name, _, url string) string {
	return fmt.Sprintf(`resource "glance_image" "kill" {
  name        = %q
  disk_format = "raw"
  source      = { url = %q }
}
`, name, url) + killOutput
}

func killImportDirect(name, file, _ string) string {
	return killRecord(name) + fmt.Sprintf(`resource "glance_image_import" "kill" {
  image_id = glance_image.kill.id
  method   = "glance-direct"
  file     = %q
}
`, file)
}

func killImportWeb(name, _, url string) string {
	return killRecord(name) + fmt.Sprintf(`resource "glance_image_import" "kill" {
  image_id = glance_image.kill.id
  method   = "web-download"
  uri      = %q
}
`, url)
}

func killRecord(name string) string {
	return fmt.Sprintf(`resource "glance_image" "kill" {
  name        = %q
  disk_format = "raw"
}
`, name) + killOutput
}

const killOutput = `output "id" {
  value = glance_image.kill.id
}
`

// killRow is one line of the kill matrix the test prints.
type killRow struct {
	moment                        string
	statusAtKill                  string
	killed, converged             bool
	afterKill, afterApply, remain int
	// reapplyCalls are the data calls the second apply made (creates, uploads, stages, imports).
	reapplyCalls string
}

// killCalls counts the proxy's requests of the kinds that show what an apply did.
type killCalls [4]int64

func proxyCounts(p *acctest.FaultProxy) killCalls {
	return killCalls{p.Count(acctest.KindCreate), p.Count(acctest.KindUpload), p.Count(acctest.KindStage), p.Count(acctest.KindImport)}
}

func (c killCalls) since(before killCalls) string {
	return fmt.Sprintf("%d/%d/%d/%d", c[0]-before[0], c[1]-before[1], c[2]-before[2], c[3]-before[3])
}

// TestAccImage_kill runs terraform apply with the real provider binary through the CLI, stops
// the create at a moment (through the fault proxy's holds), kills terraform and the provider
// with SIGKILL there, and applies again. The second apply must end with exactly one image of
// the resource's name, active, holding the file's bytes (os_hash_value against the file's
// sha512) and without the pending mark, the id in state; then a plan is empty and destroy
// leaves no image of that name. It prints the kill matrix: for each moment, the status Glance
// showed at the kill and the images counted through the API after the kill, after the second
// apply and after destroy.
func TestAccImage_kill(t *testing.T) {
	acctest.PreCheck(t)
	const size = 8 << 20
	moments := map[string]killMoment{
		"image file: record made": {killImageFile, holdUploadBefore, []string{glance.StatusQueued}},
		"image file: mid-upload":  {killImageFile, holdUploadBody, []string{glance.StatusSaving}},
		"image file: uploaded, not verified": {killImageFile, holdUploadAnswer,
			[]string{glance.StatusActive}},
		"image url: record made": {killImageURL, holdUploadBefore, []string{glance.StatusQueued}},
		"image url: mid-upload":  {killImageURL, holdUploadBody, []string{glance.StatusSaving}},
		"image url: uploaded, not verified": {killImageURL, holdUploadAnswer,
			[]string{glance.StatusActive}},
		"import glance-direct: staging": {killImportDirect, func(p *acctest.FaultProxy, n int64) *acctest.Hold {
			return p.HoldBody(acctest.KindStage, n/3)
		}, []string{glance.StatusUploading}},
		"import glance-direct: staged, import not asked": {killImportDirect, func(p *acctest.FaultProxy, _ int64) *acctest.Hold {
			return p.HoldBefore(acctest.KindImport)
		}, []string{glance.StatusUploading}},
		"import glance-direct: importing": {killImportDirect, holdImportAnswer, []string{glance.StatusImporting, glance.StatusActive}},
		"import web-download: importing":  {killImportWeb, holdImportAnswer, []string{glance.StatusImporting, glance.StatusActive}},
	}
	var mu sync.Mutex
	var rows []killRow
	t.Cleanup(func() {
		sort.Slice(rows, func(i, j int) bool { return rows[i].moment < rows[j].moment })
		var b strings.Builder
		b.WriteString("kill matrix (images of the resource's name, counted through the API; the second apply's " +
			"create/upload/stage/import requests):\n")
		fmt.Fprintf(&b, "| %-48s | %-10s | %-6s | %-9s | %-10s | %-14s | %-13s | %-17s |\n", "moment", "status", "killed", "converged",
			"after kill", "after re-apply", "after destroy", "re-apply requests")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %-48s | %-10s | %-6t | %-9t | %-10d | %-14d | %-13d | %-17s |\n", r.moment, r.statusAtKill, r.killed, r.converged,
				r.afterKill, r.afterApply, r.remain, r.reapplyCalls)
		}
		t.Log(b.String())
	})
	// One random file for every moment: the test is about what a kill leaves, not the data.
	file, sum := acctest.WriteRandomFile(t, "", size)
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	url := acctest.WebFile(t, acctest.RandomName("kill")+".raw", content)
	for label, m := range moments {
		t.Run(label, func(t *testing.T) {
			t.Parallel()
			row := runKillMoment(t, label, m, file, url, sum, size)
			mu.Lock()
			rows = append(rows, row)
			mu.Unlock()
		})
	}
}

func holdUploadBefore(p *acctest.FaultProxy, _ int64) *acctest.Hold {
	return p.HoldBefore(acctest.KindUpload)
}
func holdUploadBody(p *acctest.FaultProxy, n int64) *acctest.Hold {
	return p.HoldBody(acctest.KindUpload, n/3)
}
func holdUploadAnswer(p *acctest.FaultProxy, _ int64) *acctest.Hold {
	return p.HoldAnswer(acctest.KindUpload)
}
func holdImportAnswer(p *acctest.FaultProxy, _ int64) *acctest.Hold {
	return p.HoldAnswer(acctest.KindImport)
}

// runKillMoment runs one moment of TestAccImage_kill and returns its row of the matrix.
func runKillMoment(t *testing.T, label string, m killMoment, file, url, sum string, size int64) killRow {
	row := killRow{moment: label}
	start := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	dir := t.TempDir()
	name := acctest.RandomName("kill")
	proxy := acctest.NewFaultProxy(t, "")
	config := acctest.ExternalProvider + fmt.Sprintf("provider \"glance\" {\n  endpoint = %q\n}\n\n", proxy.URL()) + m.resources(name, file, url)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	client := acctest.Client(t, acctest.Admin)
	t.Cleanup(func() { killCleanup(t, client, name) })

	hold := m.hold(proxy, size)
	run := acctest.StartTerraform(t, dir, nil, "apply", "-auto-approve")
	select {
	case <-hold.Reached():
	case <-run.Done():
		out, err := run.Output()
		t.Fatalf("terraform apply ended (%v) before the moment was reached:\n%s", err, out)
	case <-time.After(3 * time.Minute):
		out, _ := run.Output()
		t.Fatalf("the moment was not reached within 3 minutes:\n%s", out)
	}
	phase("moment reached")
	row.statusAtKill = awaitImageStatus(t, client, name, m.statuses)
	row.killed = run.Kill()
	phase("killed")
	if !row.killed {
		t.Error("a process of terraform's group outlived SIGKILL")
	}
	row.afterKill = len(killImagesNamed(t, client, name))
	if row.afterKill != 1 {
		t.Errorf("%d images after the kill, want the 1 the interrupted create made", row.afterKill)
	}

	var logEnv []string
	if logDir := os.Getenv("ACC_KILL_LOG_DIR"); logDir != "" { // the second apply's debug log, to see what it did
		logEnv = []string{"TF_LOG_PROVIDER=debug", "TF_LOG_PATH=" + filepath.Join(logDir, strings.NewReplacer(" ", "_", ":", "", ",", "").Replace(label)+".log")}
	}
	calls := proxyCounts(proxy)
	if out, err := acctest.Terraform(t, dir, logEnv, "apply", "-auto-approve"); err != nil {
		t.Fatalf("the apply after the kill failed: %v\n%s", err, out)
	}
	row.reapplyCalls = proxyCounts(proxy).since(calls)
	phase("applied again")
	imgs := killImagesNamed(t, client, name)
	row.afterApply = len(imgs)
	row.converged = checkConverged(t, dir, imgs, sum)
	if out, err := acctest.Terraform(t, dir, nil, "plan", "-detailed-exitcode"); err != nil {
		row.converged = false
		t.Errorf("the plan after the second apply is not empty (%v):\n%s", err, out)
	}
	phase("planned")
	if out, err := acctest.Terraform(t, dir, nil, "destroy", "-auto-approve"); err != nil {
		t.Fatalf("destroy failed: %v\n%s", err, out)
	}
	phase("destroyed")
	row.remain = len(killImagesNamed(t, client, name))
	if row.remain != 0 {
		t.Errorf("%d images left after destroy", row.remain)
	}
	return row
}

// checkConverged checks that the one image is the one in state, active, with the file's bytes
// and without the pending mark.
func checkConverged(t *testing.T, dir string, imgs []glance.Image, sum string) bool {
	t.Helper()
	if len(imgs) != 1 {
		t.Errorf("%d images after the second apply, want 1: %v", len(imgs), killImageList(imgs))
		return false
	}
	img := imgs[0]
	var state struct {
		Outputs map[string]struct {
			Value string `json:"value"`
		} `json:"outputs"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err == nil {
		err = json.Unmarshal(b, &state)
	}
	ok := true
	if got := state.Outputs["id"].Value; err != nil || got != img.ID {
		t.Errorf("state has image %q (%v), Glance has %s", got, err, img.ID)
		ok = false
	}
	if img.Status != glance.StatusActive || img.OSHashValue != sum {
		t.Errorf("image %s: status %s, os_hash_value %.16s…; want active with the file's sha512 %.16s…", img.ID, img.Status, img.OSHashValue, sum)
		ok = false
	}
	if _, marked := img.Properties[glance.PendingProperty]; marked {
		t.Errorf("image %s still carries %s", img.ID, glance.PendingProperty)
		ok = false
	}
	return ok
}

// killImagesNamed lists, through the API, every image of that name in any status.
func killImagesNamed(t *testing.T, c *glance.Client, name string) []glance.Image {
	t.Helper()
	imgs, err := c.ListImages(context.Background(), glance.ListImagesOptions{Name: name, Visibility: "all"})
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

func killImageList(imgs []glance.Image) []string {
	var ids []string
	for _, img := range imgs {
		ids = append(ids, img.ID+" ("+img.Status+")")
	}
	return ids
}

// awaitImageStatus waits until the one image of that name shows one of statuses (Glance
// takes a moment to go from queued to saving once the body flows) and returns its status.
func awaitImageStatus(t *testing.T, c *glance.Client, name string, statuses []string) string {
	t.Helper()
	var last []glance.Image
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		last = killImagesNamed(t, c, name)
		if len(last) == 1 && slices.Contains(statuses, last[0].Status) {
			return last[0].Status
		}
	}
	t.Fatalf("images named %s: %v; want one in status %v at the moment of the kill", name, killImageList(last), statuses)
	return ""
}

// killCleanup removes what a failed run left (unprotecting first).
func killCleanup(t *testing.T, c *glance.Client, name string) {
	ctx := context.Background()
	imgs, err := c.ListImages(ctx, glance.ListImagesOptions{Name: name, Visibility: "all"})
	if err != nil {
		return
	}
	for _, img := range imgs {
		if img.Protected {
			_, _ = c.UpdateImage(ctx, img.ID, []glance.PatchOp{{Op: "replace", Path: "/protected", Value: false}})
		}
		if err := c.DeleteImage(ctx, img.ID); err != nil {
			t.Logf("cleanup: deleting %s: %v", img.ID, err)
		}
	}
}

// TestAccImage_sameKeySiblings creates three identical images (count over the same name and
// file) in one apply: they share the pending key, and none may take another's unfinished image
// for a leftover of an interrupted apply. Three distinct images, all active, hidden (os_hidden is
// set after the upload, in the patch that removes the mark) and unmarked.
func TestAccImage_sameKeySiblings(t *testing.T) {
	name := acctest.RandomName("siblings")
	file, sum := acctest.WriteRandomFile(t, "", 1<<20)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`resource "glance_image" "same" {
  count       = 3
  name        = %q
  disk_format = "raw"
  hidden      = true
  source      = { file = %q }
}
`, name, file),
			Check: func(*terraform.State) error {
				hidden := true
				imgs, err := acctest.Client(t, acctest.Admin).ListImages(context.Background(), glance.ListImagesOptions{Name: name, Hidden: &hidden})
				if err != nil {
					return err
				}
				if len(imgs) != 3 {
					return fmt.Errorf("%d images named %s, want 3: %v", len(imgs), name, killImageList(imgs))
				}
				for _, img := range imgs {
					if _, marked := img.Properties[glance.PendingProperty]; marked || img.Status != glance.StatusActive || img.OSHashValue != sum || !img.Hidden {
						return fmt.Errorf("image %s: status %s, marked %v, hidden %v, os_hash_value %.16s…", img.ID, img.Status, marked, img.Hidden, img.OSHashValue)
					}
				}
				return nil
			},
		}},
	})
}
