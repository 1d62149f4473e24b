package glance

import (
	"context"
	"fmt"
)

// Steps of the multi-call image operations, named in a *StepError.
const (
	StepPatch      = "patch"
	StepDeactivate = "deactivate"
	StepReactivate = "reactivate"
	StepProtect    = "protect"
	// StepFinish is FinishImage's last patch when it does not protect: hide, remove the mark.
	StepFinish = "finish"
	StepRead   = "read"
)

// StepError says which call of a multi-call operation failed; Err is Glance's error (or an
// *ImageStateError when the image was not in a state the step needs).
type StepError struct {
	ImageID string
	Step    string
	Err     error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s of image %s: %v", e.Step, e.ImageID, e.Err)
}
func (e *StepError) Unwrap() error { return e.Err }

// FinishOptions are what a new image gets once its data is in place.
type FinishOptions struct {
	Deactivate bool
	Protect    bool
	// Hide sets os_hidden: CreatePendingImage creates images visible in lists, so that an
	// interrupted create can be found.
	Hide bool
}

// FinishImage completes the create of img: it deactivates the image when asked (only an image
// with data, active, can be; a leftover an earlier run deactivated is reactivated when not
// asked), then, in one patch, protects and hides it and removes the pending mark
// (PendingProperty). Protection and the mark's removal come last, after the data was verified,
// so that a failure before leaves an image the caller can still delete and the next create can
// still find. It returns the image as Glance then reports it; errors are *StepError.
func (c *Client) FinishImage(ctx context.Context, img *Image, opts FinishOptions) (*Image, error) {
	id := img.ID
	var err error
	switch {
	case opts.Deactivate && img.Status == StatusDeactivated:
	case opts.Deactivate:
		if img.Status != StatusActive {
			return nil, &StepError{ImageID: id, Step: StepDeactivate, Err: &ImageStateError{ImageID: id, Status: img.Status, Problem: ImageNotActive}}
		}
		if err := c.Deactivate(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepDeactivate, Err: err}
		}
		if img, err = c.GetImage(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepRead, Err: err}
		}
	case img.Status == StatusDeactivated:
		if err := c.Reactivate(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepReactivate, Err: err}
		}
		if img, err = c.GetImage(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepRead, Err: err}
		}
	}
	ops := finishOps(img, opts)
	if len(ops) == 0 {
		return img, nil
	}
	step := StepFinish
	if opts.Protect {
		step = StepProtect
	}
	if img, err = c.UpdateImage(ctx, id, ops); err != nil {
		return nil, &StepError{ImageID: id, Step: step, Err: err}
	}
	return img, nil
}

// finishOps is FinishImage's last patch: protected, os_hidden, and the mark's removal.
func finishOps(img *Image, opts FinishOptions) []PatchOp {
	var ops []PatchOp
	if opts.Protect && !img.Protected {
		ops = append(ops, PatchOp{Op: "replace", Path: "/protected", Value: true})
	}
	if opts.Hide && !img.Hidden {
		ops = append(ops, PatchOp{Op: "replace", Path: "/os_hidden", Value: true})
	}
	if _, marked := img.Properties[PendingProperty]; marked {
		ops = append(ops, PatchOp{Op: "remove", Path: PatchPath(PendingProperty)})
	}
	return ops
}

// Activation is a change of an image's activation.
type Activation int

// The activation changes ChangeImage makes.
const (
	ActivationUnchanged Activation = iota
	ActivationDeactivate
	ActivationReactivate
)

// ChangeImage applies an in-place update: the JSON-patch operations (none is fine), then the
// activation change, and returns the image as Glance then reports it (read again only when the
// patch's answer is not the latest). Errors are *StepError.
func (c *Client) ChangeImage(ctx context.Context, id string, ops []PatchOp, activation Activation) (*Image, error) {
	var img *Image
	if len(ops) > 0 {
		c.log.Debug(ctx, "Updating image", map[string]any{"image_id": id, "operations": len(ops)})
		var err error
		if img, err = c.UpdateImage(ctx, id, ops); err != nil {
			return nil, &StepError{ImageID: id, Step: StepPatch, Err: err}
		}
	}
	switch activation {
	case ActivationDeactivate:
		if err := c.Deactivate(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepDeactivate, Err: err}
		}
		img = nil // the status changed since
	case ActivationReactivate:
		if err := c.Reactivate(ctx, id); err != nil {
			return nil, &StepError{ImageID: id, Step: StepReactivate, Err: err}
		}
		img = nil
	}
	if img != nil {
		return img, nil
	}
	img, err := c.GetImage(ctx, id)
	if err != nil {
		return nil, &StepError{ImageID: id, Step: StepRead, Err: err}
	}
	return img, nil
}
