package glance

import (
	"context"
	"slices"
)

// Copies of an image's data in more stores (copy-image), and their removal.

// CopyResult is what CopyToStores did.
type CopyResult struct {
	// Image is the image afterwards (the image given when nothing was copied).
	Image *Image
	// Request is the request as sent: without the stores that already held the data.
	Request ImportRequest
	// NothingToCopy: every store of the request already held the data; nothing was sent.
	NothingToCopy bool
	// Copied are the stores that got the data.
	Copied []string
	// FailedStores are target stores that failed, accepted with AllStoresMustSucceed false.
	FailedStores []string
}

// CopyToStores copies the data of img, an active image, to the stores of req (a copy-image
// request) that do not hold it yet; with AllStores Glance skips those itself. Glance refuses
// to copy to a store that already holds the data. The result is returned with the error.
func (c *Client) CopyToStores(ctx context.Context, img *Image, req ImportRequest) (*CopyResult, error) {
	if !req.AllStores {
		req.Stores = without(req.Stores, img.Stores)
	}
	res := &CopyResult{Image: img, Request: req}
	if !req.AllStores && len(req.Stores) == 0 {
		res.NothingToCopy = true
		return res, nil
	}
	after, err := c.RunImport(ctx, img.ID, req)
	if err != nil {
		return res, err
	}
	res.Image, res.Copied, res.FailedStores = after, without(after.Stores, img.Stores), failedTargets(after, req)
	return res, nil
}

// StoreRemoval is what DeleteFromStores (or DeleteCopies) did.
type StoreRemoval struct {
	// Status is the image's status; Glance deletes store data only from an active image, so
	// nothing was deleted when it is another.
	Status string
	// Deleted are the stores the data was deleted from.
	Deleted []string
	// LastCopyKept are stores that were kept because they held the only copy of the data.
	LastCopyKept []string
	// Remaining are the stores that hold the data afterwards.
	Remaining []string
}

// DeleteFromStores deletes image id's data from stores (DELETE /v2/stores/{store}/{image};
// admin by default), given holding, the stores that hold it now. It skips stores that do not
// hold the data and never deletes the last copy. A failed deletion stops it with a
// *StoreDeleteError; the removal so far is returned with it.
func (c *Client) DeleteFromStores(ctx context.Context, id string, holding, stores []string) (*StoreRemoval, error) {
	r := &StoreRemoval{Status: StatusActive, Remaining: slices.Clone(holding)}
	for _, s := range stores {
		switch {
		case !slices.Contains(r.Remaining, s):
			continue
		case len(r.Remaining) < 2:
			r.LastCopyKept = append(r.LastCopyKept, s)
			continue
		}
		c.log.Info(ctx, "Deleting the image's data from a store", map[string]any{"image_id": id, "store": s})
		if err := c.DeleteFromStore(ctx, s, id); err != nil {
			return r, &StoreDeleteError{ImageID: id, Store: s, Err: err}
		}
		r.Deleted = append(r.Deleted, s)
		r.Remaining = without(r.Remaining, []string{s})
	}
	return r, nil
}

// CopiesUpdate is a change of the stores of a copy-image import.
type CopiesUpdate struct {
	// Request is the copy-image request with the stores (or all_stores) wanted now.
	Request ImportRequest
	// Copied are the stores the caller copied the data to so far: the only copies it may delete.
	Copied []string
	// Previous are the stores that were wanted before.
	Previous []string
}

// CopiesResult is what UpdateCopies did.
type CopiesResult struct {
	// Image is the image afterwards, read again.
	Image *Image
	// Copied are the caller's copies afterwards.
	Copied []string
	// Copy is the copy to added stores (nil when it did not run).
	Copy *CopyResult
	// LastCopyKept are removed stores kept because they held the only copy of the data.
	LastCopyKept []string
	// LeftInPlace are removed stores that keep the data because the caller did not copy it
	// there (it held the data before, or the caller adopted the import).
	LeftInPlace []string
}

// UpdateCopies brings the copies of image id in line with u: it copies to added stores first
// (CopyToStores), then, unless AllStores, deletes the caller's copies from stores no longer
// wanted (DeleteFromStores). An image that is not active is refused (*ImageStateError); a
// failed copy returns the import's error, a failed deletion a *StoreDeleteError. The result is
// returned with a failure of the copy or the deletion.
func (c *Client) UpdateCopies(ctx context.Context, id string, u CopiesUpdate) (*CopiesResult, error) {
	img, err := c.GetImage(ctx, id)
	if err != nil {
		return nil, &ImageReadError{ImageID: id, Err: err}
	}
	if img.Status != StatusActive {
		return nil, &ImageStateError{ImageID: id, Method: MethodCopyImage, Status: img.Status, Problem: ImageNotActive}
	}
	res := &CopiesResult{Copied: slices.Clone(u.Copied)}
	if res.Copy, err = c.CopyToStores(ctx, img, u.Request); err != nil {
		return res, err
	}
	img = res.Copy.Image
	res.Copied = append(res.Copied, without(res.Copy.Copied, res.Copied)...)
	if !u.Request.AllStores {
		wanted := u.Request.Stores
		removal, err := c.DeleteFromStores(ctx, id, img.Stores, without(res.Copied, wanted))
		res.LastCopyKept = removal.LastCopyKept
		if err != nil {
			return res, err
		}
		res.Copied = slices.DeleteFunc(res.Copied, func(s string) bool { return !slices.Contains(wanted, s) })
		res.LeftInPlace = slices.DeleteFunc(without(u.Previous, wanted), func(s string) bool {
			return slices.Contains(res.Copied, s) || !slices.Contains(removal.Remaining, s)
		})
	}
	if res.Image, err = c.GetImage(ctx, id); err != nil {
		return res, &ImageReadError{ImageID: id, Err: err}
	}
	res.Copied = slices.DeleteFunc(res.Copied, func(s string) bool { return !slices.Contains(res.Image.Stores, s) })
	return res, nil
}

// DeleteCopies deletes image id's data from copies, the stores a caller copied it to, never
// the last copy. It returns nil when the image is gone. Glance deletes store data only from
// an active image: for another, nothing is deleted and the removal's Status says why.
func (c *Client) DeleteCopies(ctx context.Context, id string, copies []string) (*StoreRemoval, error) {
	img, err := c.GetImage(ctx, id)
	switch {
	case IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, &ImageReadError{ImageID: id, Err: err}
	case img.Status != StatusActive:
		return &StoreRemoval{Status: img.Status, Remaining: img.Stores}, nil
	}
	return c.DeleteFromStores(ctx, id, img.Stores, copies)
}
