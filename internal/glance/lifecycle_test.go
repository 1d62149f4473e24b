package glance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// lifecycleGlance answers the image, action and patch calls of one image, recording them, and
// refuses the calls named in fail with their status code.
type lifecycleGlance struct {
	mu        sync.Mutex
	calls     []string
	status    string
	protected bool
	fail      map[string]int // "PATCH", "deactivate", "reactivate", "GET" → status
}

func (f *lifecycleGlance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := r.Method
	switch r.URL.Path {
	case "/glance/v2/images/img-1/actions/deactivate":
		call = "deactivate"
	case "/glance/v2/images/img-1/actions/reactivate":
		call = "reactivate"
	case "/glance/v2/images/img-1":
	default:
		w.WriteHeader(http.StatusTeapot)
		return
	}
	f.calls = append(f.calls, call)
	if code := f.fail[call]; code != 0 {
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"message": "refused %s"}`, call)
		return
	}
	switch call {
	case "deactivate":
		f.status = StatusDeactivated
		w.WriteHeader(http.StatusNoContent)
		return
	case "reactivate":
		f.status = StatusActive
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPatch:
		f.protected = true // the only patch these tests send that matters
	}
	_, _ = fmt.Fprintf(w, `{"id": "img-1", "status": %q, "protected": %t}`, f.status, f.protected)
}

func newLifecycleClient(t *testing.T, f *lifecycleGlance) *Client {
	t.Helper()
	c, _ := newCoreTestClient(t, f.ServeHTTP)
	return c
}

func TestFinishImage_deactivateThenProtect(t *testing.T) {
	f := &lifecycleGlance{status: StatusActive}
	img, err := newLifecycleClient(t, f).FinishImage(context.Background(), &Image{ID: "img-1", Status: StatusActive}, FinishOptions{Deactivate: true, Protect: true})
	if err != nil || img.Status != StatusDeactivated || !img.Protected {
		t.Fatalf("img = %+v, err = %v", img, err)
	}
	if want := []string{"deactivate", "GET", "PATCH"}; !slices.Equal(f.calls, want) {
		t.Fatalf("calls = %v, want %v (protection last)", f.calls, want)
	}
}

func TestFinishImage_nothingToDo(t *testing.T) {
	f := &lifecycleGlance{status: StatusActive}
	in := &Image{ID: "img-1", Status: StatusActive}
	img, err := newLifecycleClient(t, f).FinishImage(context.Background(), in, FinishOptions{})
	if err != nil || img != in || len(f.calls) != 0 {
		t.Fatalf("img = %+v, err = %v, calls = %v; want the image as it was and no call", img, err, f.calls)
	}
}

func TestFinishImage_deactivateWithoutData(t *testing.T) {
	f := &lifecycleGlance{status: StatusQueued}
	_, err := newLifecycleClient(t, f).FinishImage(context.Background(), &Image{ID: "img-1", Status: StatusQueued}, FinishOptions{Deactivate: true})
	var step *StepError
	var state *ImageStateError
	if !errors.As(err, &step) || step.Step != StepDeactivate || !errors.As(err, &state) || state.Status != StatusQueued || len(f.calls) != 0 {
		t.Fatalf("err = %v, calls = %v; want a deactivate step error for the queued image and no call", err, f.calls)
	}
}

func TestFinishImage_protectRefused(t *testing.T) {
	f := &lifecycleGlance{status: StatusActive, fail: map[string]int{http.MethodPatch: http.StatusForbidden}}
	_, err := newLifecycleClient(t, f).FinishImage(context.Background(), &Image{ID: "img-1", Status: StatusActive}, FinishOptions{Protect: true})
	var step *StepError
	if !errors.As(err, &step) || step.Step != StepProtect || !IsForbidden(err) {
		t.Fatalf("err = %v, want the protect step's 403", err)
	}
}

func TestChangeImage_cases(t *testing.T) {
	patch := []PatchOp{{Op: "replace", Path: "/name", Value: "n"}}
	for name, tc := range map[string]struct {
		ops        []PatchOp
		activation Activation
		fail       map[string]int
		wantCalls  []string
		wantStep   string
		wantStatus string
	}{
		"nothing changes":         {wantCalls: []string{"GET"}, wantStatus: StatusActive},
		"patch only":              {ops: patch, wantCalls: []string{"PATCH"}, wantStatus: StatusActive},
		"patch and deactivate":    {ops: patch, activation: ActivationDeactivate, wantCalls: []string{"PATCH", "deactivate", "GET"}, wantStatus: StatusDeactivated},
		"reactivate":              {activation: ActivationReactivate, wantCalls: []string{"reactivate", "GET"}, wantStatus: StatusActive},
		"patch refused":           {ops: patch, activation: ActivationDeactivate, fail: map[string]int{http.MethodPatch: http.StatusConflict}, wantCalls: []string{"PATCH"}, wantStep: StepPatch},
		"deactivation refused":    {activation: ActivationDeactivate, fail: map[string]int{"deactivate": http.StatusForbidden}, wantCalls: []string{"deactivate"}, wantStep: StepDeactivate},
		"reactivation refused":    {activation: ActivationReactivate, fail: map[string]int{"reactivate": http.StatusConflict}, wantCalls: []string{"reactivate"}, wantStep: StepReactivate},
		"read after change fails": {activation: ActivationDeactivate, fail: map[string]int{http.MethodGet: http.StatusNotFound}, wantCalls: []string{"deactivate", "GET"}, wantStep: StepRead},
	} {
		t.Run(name, func(t *testing.T) {
			f := &lifecycleGlance{status: StatusActive, fail: tc.fail}
			img, err := newLifecycleClient(t, f).ChangeImage(context.Background(), "img-1", tc.ops, tc.activation)
			if !slices.Equal(f.calls, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", f.calls, tc.wantCalls)
			}
			if tc.wantStep != "" {
				var step *StepError
				if !errors.As(err, &step) || step.Step != tc.wantStep {
					t.Fatalf("err = %v, want a %s step error", err, tc.wantStep)
				}
				return
			}
			if err != nil || img.Status != tc.wantStatus {
				t.Fatalf("img = %+v, err = %v, want status %s", img, err, tc.wantStatus)
			}
		})
	}
}
