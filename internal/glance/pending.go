package glance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Crash convergence. An apply can be killed at any moment of a create (SIGKILL, OOM, a closed
// laptop, a CI timeout): after Glance made the image record and before Terraform wrote it to
// its state. Nothing then knows the image, and the next apply would make another one. So every
// image CreatePendingImage makes carries the reserved property PendingProperty, whose value is
// a key derived from what identifies the create (PendingKey); FinishImage removes it once the
// data is verified and the image complete. The next create with the same key finds what an
// interrupted one left (a leftover): it adopts a leftover whose data it can verify against the
// source, and deletes the others (no data, a partial upload, data that is not the source's).

// PendingProperty is the reserved image property that marks an image whose create has not
// finished. Its value is the create's PendingKey. Users cannot declare it.
const PendingProperty = "terraform_glance_pending"

// PendingKey derives the mark of a create from the values that identify it (resource type,
// project, name, formats, source, store, …): the same values give the same key, so the next
// apply of the same configuration finds what an interrupted one left. The key is a digest:
// the values themselves (a URL, a path) are not written into Glance.
func PendingKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p + ";"))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// PendingCreate says how CreatePendingImage recognises and judges what an interrupted create
// of the same image left.
type PendingCreate struct {
	// Key is the mark (PendingKey of the identifying configuration).
	Key string
	// Owner is the project the image is created in: images of other projects are never touched.
	// Empty when unknown (a token and endpoint without Keystone): any owner then matches.
	Owner string
	// Source, Decompress, Checksum and Store describe the data the image must hold: a leftover
	// whose data is shown to be exactly that (hashing the source again) is adopted instead of
	// uploaded again. Without a Source the image is a record only and no leftover is adopted.
	Source     Source
	Decompress string
	Checksum   string
	Store      string
	// FixedID: the request's id is the one the image must have (set in the configuration), so
	// a leftover with another id is never adopted.
	FixedID bool
}

// PendingResult is what CreatePendingImage did.
type PendingResult struct {
	// Image is the image to complete: new, adopted or reused; it still carries the mark.
	Image *Image
	// Adopted: Image is a leftover whose data was verified against the source; it needs no
	// upload, only FinishImage.
	Adopted bool
	// Reused: Image is a leftover without data that has the id the request chose (Glance never
	// gives an id twice, so it cannot be deleted and made again); upload into it.
	Reused bool
	// Discarded are the leftovers deleted.
	Discarded []string
}

// Steps of CreatePendingImage named in a *StepError.
const (
	StepFindLeftovers   = "find leftovers"
	StepDiscardLeftover = "delete leftover"
	StepAdoptLeftover   = "adopt leftover"
)

// Variables for tests: how long a leftover with the chosen id may take to leave saving,
// uploading or importing (Glance puts an upload whose client died back to queued once its read
// fails).
var pendingSettleWait = 30 * time.Second

// pendingClaims are the images this client made or adopted, and a lock per key: two
// resources of one apply with the same key (count over identical images) must not take each
// other's images for leftovers. Terraform runs one provider process, with one client, per
// provider configuration, so the client's registry covers one apply.
type pendingClaims struct {
	mu   sync.Mutex
	keys map[string]*sync.Mutex
	ids  map[string]bool
}

func (p *pendingClaims) lock(key string) func() {
	p.mu.Lock()
	if p.keys == nil {
		p.keys, p.ids = map[string]*sync.Mutex{}, map[string]bool{}
	}
	m, ok := p.keys[key]
	if !ok {
		m = &sync.Mutex{}
		p.keys[key] = m
	}
	p.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (p *pendingClaims) claim(id string) {
	p.mu.Lock()
	p.ids[id] = true
	p.mu.Unlock()
}

func (p *pendingClaims) claimed(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids[id]
}

// CreatePendingImage creates an image marked as pending (PendingProperty = p.Key) after
// dealing with what an interrupted create of the same key left: a leftover whose data is
// verified against p.Source is adopted (patched to the request) instead of created again;
// a leftover with the id the request chooses is reused or adopted (Glance never gives an id
// twice); every other leftover is deleted. The image is created unprotected and not hidden,
// so that a failed or interrupted create can be found and cleaned up: FinishImage sets both
// and removes the mark.
//
// Errors: Glance's error of the create itself (as CreateImage returns it), or a *StepError
// naming a leftover that could not be listed, deleted or adopted.
func (c *Client) CreatePendingImage(ctx context.Context, req CreateImageRequest, p PendingCreate) (*PendingResult, error) {
	unlock := c.pending.lock(p.Key)
	defer unlock()
	leftovers, err := c.pendingLeftovers(ctx, req.Name, p)
	if err != nil {
		return nil, &StepError{Step: StepFindLeftovers, Err: err}
	}
	res := &PendingResult{}
	var chosen *Image
	for i := range leftovers {
		img := &leftovers[i]
		switch {
		case req.ID != "" && img.ID == req.ID:
			chosen = img
			continue
		case res.Image == nil && !p.FixedID:
			err := c.verifyLeftover(ctx, img, p)
			if err == nil {
				res.Image, res.Adopted = img, true
				continue
			}
			c.log.Info(ctx, "Image left by an interrupted create is not adopted", map[string]any{"image_id": img.ID, "status": img.Status, "reason": err.Error()})
		}
		c.log.Warn(ctx, "Deleting an image an interrupted create left behind", map[string]any{"image_id": img.ID, "status": img.Status})
		if err := c.DeleteImage(ctx, img.ID); err != nil {
			return nil, &StepError{ImageID: img.ID, Step: StepDiscardLeftover, Err: err}
		}
		res.Discarded = append(res.Discarded, img.ID)
	}
	if chosen != nil {
		if res.Image, res.Adopted, err = c.resumeChosenLeftover(ctx, chosen, p); err != nil {
			return nil, err
		}
		res.Reused = !res.Adopted
	}
	if res.Image != nil {
		return res, c.adoptLeftover(ctx, res, req)
	}
	req = pendingRequest(req, p.Key)
	img, err := c.CreateImage(ctx, req)
	if err != nil {
		return nil, err
	}
	c.pending.claim(img.ID)
	res.Image = img
	return res, nil
}

// pendingRequest is req as CreatePendingImage sends it: marked, unprotected, not hidden.
func pendingRequest(req CreateImageRequest, key string) CreateImageRequest {
	props := maps.Clone(req.Properties)
	if props == nil {
		props = map[string]string{}
	}
	props[PendingProperty] = key
	req.Properties = props
	req.Protected, req.Hidden = false, false
	return req
}

// pendingLeftovers lists the images marked with p.Key (and named name) in p.Owner's project
// that this process did not make. The property filter narrows the list on every Glance we
// know; the images are filtered here again in case a Glance ignores it.
func (c *Client) pendingLeftovers(ctx context.Context, name string, p PendingCreate) ([]Image, error) {
	imgs, err := c.ListImages(ctx, ListImagesOptions{
		Name: name, Owner: p.Owner, Visibility: "all", Properties: map[string]string{PendingProperty: p.Key},
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(imgs, func(img Image) bool {
		return img.Properties[PendingProperty] != p.Key || (p.Owner != "" && img.Owner != p.Owner) ||
			img.Status == StatusDeleted || img.Status == StatusPendingDel || c.pending.claimed(img.ID)
	}), nil
}

// verifyLeftover says why a leftover cannot be adopted, or nil when its data is in place and
// is the source's: active or deactivated, in the store asked for, with Glance's digest equal
// to that of the source read again, and matching the expected checksum.
func (c *Client) verifyLeftover(ctx context.Context, img *Image, p PendingCreate) error {
	switch {
	case p.Source == nil:
		return errors.New("the image has no source to verify data against")
	case img.Status != StatusActive && img.Status != StatusDeactivated:
		return fmt.Errorf("its data is not complete (status %s)", img.Status)
	case img.OSHashValue == "":
		return errors.New("the image has no os_hash_value")
	case p.Store != "" && !slices.Contains(img.Stores, p.Store):
		return fmt.Errorf("its data is not in store %s", p.Store)
	}
	algorithms := []string{img.OSHashAlgo}
	var wantAlgo, wantDigest string
	if p.Checksum != "" {
		var err error
		if wantAlgo, wantDigest, err = ParseChecksum(p.Checksum); err != nil {
			return err
		}
		if wantAlgo != img.OSHashAlgo {
			algorithms = append(algorithms, wantAlgo)
		}
	}
	c.log.Info(ctx, "Verifying the data of an image an interrupted create left", map[string]any{"image_id": img.ID, "source": p.Source.String()})
	hashed, err := HashSource(ctx, p.Source, p.Decompress, algorithms)
	if err != nil {
		return err
	}
	if err := VerifyImageDigest(img, Digests{img.OSHashAlgo: hashed.Digests[img.OSHashAlgo]}); err != nil {
		return err
	}
	if wantDigest != "" && hashed.Digests[wantAlgo] != wantDigest {
		return &ChecksumMismatchError{ImageID: img.ID, Algorithm: wantAlgo, Expected: wantDigest, Actual: hashed.Digests[wantAlgo], Source: "the data read from " + p.Source.String()}
	}
	return nil
}

// resumeChosenLeftover judges a leftover that has the id the request chooses (an id set in
// the configuration): it cannot be deleted and made again, so it is adopted when its data is
// verified, reused when it has none, and refused otherwise. An upload whose client died is
// put back to queued by Glance a moment later: saving, uploading and importing get
// pendingSettleWait to end.
func (c *Client) resumeChosenLeftover(ctx context.Context, img *Image, p PendingCreate) (*Image, bool, error) {
	refuse := func(img *Image, problem ImageStateProblem) (*Image, bool, error) {
		return nil, false, &StepError{ImageID: img.ID, Step: StepAdoptLeftover, Err: &ImageStateError{ImageID: img.ID, Status: img.Status, Problem: problem}}
	}
	if busy(img.Status) {
		wctx, cancel := context.WithTimeout(ctx, pendingSettleWait)
		settled, err := c.WaitForImage(wctx, img.ID, func(i *Image) (bool, error) { return !busy(i.Status), nil })
		cancel()
		if err != nil {
			if settled != nil && busy(settled.Status) && ctx.Err() == nil {
				return refuse(settled, ImageBusy)
			}
			return nil, false, &StepError{ImageID: img.ID, Step: StepAdoptLeftover, Err: err}
		}
		img = settled
	}
	if img.Status == StatusQueued {
		return img, false, nil
	}
	if err := c.verifyLeftover(ctx, img, p); err != nil {
		c.log.Warn(ctx, "The image with the chosen id holds data that cannot be verified", map[string]any{"image_id": img.ID, "reason": err.Error()})
		return refuse(img, ImageHasData)
	}
	return img, true, nil
}

func busy(status string) bool {
	return status == StatusSaving || status == StatusUploading || status == StatusImporting
}

// adoptLeftover claims the leftover in res and patches what the request sets and the leftover
// has otherwise (an interrupted apply of an earlier configuration made it).
func (c *Client) adoptLeftover(ctx context.Context, res *PendingResult, req CreateImageRequest) error {
	c.pending.claim(res.Image.ID)
	c.log.Info(ctx, "Taking over the image an interrupted create left", map[string]any{"image_id": res.Image.ID, "status": res.Image.Status, "adopted": res.Adopted})
	ops := leftoverPatch(res.Image, req)
	if len(ops) == 0 {
		return nil
	}
	img, err := c.UpdateImage(ctx, res.Image.ID, ops)
	if err != nil {
		return &StepError{ImageID: res.Image.ID, Step: StepAdoptLeftover, Err: err}
	}
	res.Image = img
	return nil
}

// leftoverPatch lists the operations that give img what req asks for at create (protected and
// os_hidden are FinishImage's; properties img has beyond req's are left alone).
func leftoverPatch(img *Image, req CreateImageRequest) []PatchOp {
	var ops []PatchOp
	replace := func(field string, v any) { ops = append(ops, PatchOp{Op: "replace", Path: "/" + field, Value: v}) }
	if req.Name != "" && img.Name != req.Name {
		replace("name", req.Name)
	}
	if req.Visibility != "" && img.Visibility != req.Visibility {
		replace("visibility", req.Visibility)
	}
	if img.MinDisk != req.MinDisk {
		replace("min_disk", req.MinDisk)
	}
	if img.MinRAM != req.MinRAM {
		replace("min_ram", req.MinRAM)
	}
	if req.Tags != nil {
		want := slices.Sorted(slices.Values(req.Tags))
		if !slices.Equal(want, img.Tags) {
			replace("tags", want)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(req.Properties)) {
		if v, ok := img.Properties[k]; !ok || v != req.Properties[k] {
			ops = append(ops, PatchOp{Op: "add", Path: PatchPath(k), Value: req.Properties[k]})
		}
	}
	return ops
}

// DiscardPendingImage deletes an image whose create failed. When even the delete fails, it
// removes the pending mark (best effort), so that the image, which then stays in Terraform's
// state to be deleted by the next apply, is not taken for a leftover meanwhile. It returns
// the delete's error.
func (c *Client) DiscardPendingImage(ctx context.Context, id string) error {
	err := c.DeleteImage(ctx, id)
	if err == nil {
		return nil
	}
	if _, uerr := c.UpdateImage(ctx, id, []PatchOp{{Op: "remove", Path: PatchPath(PendingProperty)}}); uerr != nil {
		c.log.Debug(ctx, "Could not remove the pending mark either", map[string]any{"image_id": id, "error": uerr.Error()})
	}
	return err
}
