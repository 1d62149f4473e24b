package glance

import (
	"context"
	"fmt"
	"time"
)

// Polling of WaitForImage: start fast, because most transitions take well under a second, and
// grow to a cap so that long imports do not hammer the API.
const (
	pollStart = 100 * time.Millisecond
	pollMax   = 3 * time.Second
)

// WaitForImage polls GET /v2/images/{id} until done returns true or an error, or ctx ends.
func (c *Client) WaitForImage(ctx context.Context, id string, done func(*Image) (bool, error)) (*Image, error) {
	interval := pollStart
	for {
		img, err := c.GetImage(ctx, id)
		if err != nil {
			return nil, err
		}
		ok, err := done(img)
		if err != nil {
			return img, err
		}
		if ok {
			return img, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return img, fmt.Errorf("waiting for image %s (status %q): %w", id, img.Status, ctx.Err())
		case <-t.C:
		}
		interval = min(interval*3/2, pollMax)
	}
}

// ActiveImage is a WaitForImage condition: done when the image is active, failed when Glance
// gave up on it (killed, deleted), still waiting while queued, saving or importing.
func ActiveImage(img *Image) (bool, error) {
	switch img.Status {
	case StatusActive:
		return true, nil
	case StatusKilled:
		return false, fmt.Errorf("image %s was marked killed by Glance: storing its data failed (see the Glance API log)", img.ID)
	case StatusDeleted, StatusPendingDel:
		return false, fmt.Errorf("image %s was deleted while waiting for it to become active", img.ID)
	case StatusDeactivated:
		return false, fmt.Errorf("image %s was deactivated while waiting for it to become active", img.ID)
	}
	return false, nil // queued, saving, uploading, importing
}
