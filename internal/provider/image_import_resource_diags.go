package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// The diagnostics of glance_image_import: what the client's import workflows return (results
// and typed errors), in the words users see.

// imageReadDiag reports a failed GET of the image.
func imageReadDiag(id string, err error) diag.Diagnostic {
	if glance.IsNotFound(err) {
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Not Found",
			fmt.Sprintf("Image %s does not exist or is not visible to this project: %s", id, err))
	}
	return diag.NewErrorDiagnostic("Error Reading Image", fmt.Sprintf("Could not read image %s: %s", id, err))
}

// imageStateDiag explains an import refused for the image's status.
func imageStateDiag(e *glance.ImageStateError) diag.Diagnostic {
	id := e.ImageID
	var summary, detail string
	switch e.Problem {
	case glance.ImageNotActive:
		summary, detail = "Image Not Active", fmt.Sprintf("Image %s is %s; copy-image copies the data of an active image only. If another glance_image_import fills the image, "+
			"set image_id = glance_image_import.NAME.image_id so that Terraform waits for it.", id, e.Status)
	case glance.ImageHasStagedData:
		summary, detail = "Image Has Staged Data", fmt.Sprintf("Image %s is uploading: data is being staged to it, or an earlier glance-direct attempt staged data that was never imported. "+
			"Glance cannot discard staged data: if no other upload is running, replace the image (for example terraform apply "+
			"-replace=glance_image.NAME) and import again.", id)
	case glance.ImageBusy:
		summary, detail = "Image Busy", fmt.Sprintf("Image %s is %s: another upload or import is running on it. Wait for it to finish; if it is stuck, replace the image.", id, e.Status)
	default:
		summary, detail = "Image Already Has Data", fmt.Sprintf("Image %s is %s: it already has data, and Glance imports only into an image without data (queued). To import new data, "+
			"replace the image as well (for example terraform apply -replace=glance_image.NAME, or give it a new id). If the data in it is "+
			"what you want, adopt it instead: terraform import glance_image_import.NAME %s.", id, e.Status, id)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), summary, detail)
}

// addImportWarnings reports what an import did that the user should know (res may be nil).
func addImportWarnings(diags *diag.Diagnostics, id string, res *glance.ImportResult) {
	if res == nil {
		return
	}
	addChecksumUnverified(diags, res.ChecksumNotVerified)
	if res.NothingToCopy {
		diags.AddAttributeWarning(path.Root("stores"), "Nothing to Copy",
			fmt.Sprintf("Image %s already holds its data in every store of stores (%s), so nothing was copied. This resource does not own "+
				"those copies: removing the stores or destroying it leaves them in place.", id, strings.Join(res.Before.Stores, ", ")))
	}
	if res.Image != nil {
		addFailedStoresWarning(diags, id, res.Image, res.Request, res.FailedStores)
	}
	if res.StagedNotVerified != nil {
		diags.AddWarning("Imported Data Not Verified", fmt.Sprintf("Image %s: %s, so the provider could not compare Glance's digest with the staged file's.", id, res.StagedNotVerified))
	}
}

// addFailedStoresWarning warns about target stores that failed when partial success was allowed.
func addFailedStoresWarning(diags *diag.Diagnostics, id string, img *glance.Image, req glance.ImportRequest, failed []string) {
	if len(failed) == 0 {
		return
	}
	diags.AddAttributeWarning(path.Root("failed_stores"), "Import Failed for Some Stores",
		fmt.Sprintf("The %s import of image %s succeeded in %s but failed in %s. all_stores_must_succeed = false accepts this; "+
			"failed_stores lists them. Glance's log has the cause.", req.Method.Name, id, listOrNoStore(img.Stores), strings.Join(failed, ", ")))
}

// addChecksumUnverified warns that a checksum could not be compared (u may be nil).
func addChecksumUnverified(diags *diag.Diagnostics, u *glance.UnverifiedChecksum) {
	if u == nil {
		return
	}
	diags.AddAttributeWarning(path.Root("checksum"), "Checksum Not Verified",
		fmt.Sprintf("Image %s's data could not be checked against checksum: Glance reports digests for %s (os_hash_algo) and md5 only, "+
			"and checking %s would mean downloading the whole image. Use a %s: or md5: checksum to have it verified.", u.ImageID, u.CloudAlgorithm, u.Algorithm, u.CloudAlgorithm))
}

// addChecksumError reports a checksum that is malformed or does not match; imported says
// whether the data was imported by this apply (for the wording).
func addChecksumError(diags *diag.Diagnostics, err error, imported bool) {
	var mismatch *glance.ChecksumMismatchError
	if !errors.As(err, &mismatch) {
		diags.AddAttributeError(path.Root("checksum"), "Invalid Checksum", err.Error())
		return
	}
	what := "The data of image %s does not match checksum"
	if imported {
		what = "The data imported into image %s does not match checksum"
	}
	diags.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
		fmt.Sprintf(what+": expected %s:%s, %s is %s. Glance keeps the data, so fix the source or the checksum and replace the image "+
			"(for example terraform apply -replace=glance_image.NAME).", mismatch.ImageID, mismatch.Algorithm, mismatch.Expected, mismatch.Source, mismatch.Actual))
}

// addImportError reports a failed Import.
func addImportError(diags *diag.Diagnostics, m imageImportModel, err error) {
	id := m.ImageID.ValueString()
	var (
		readErr  *glance.ImageReadError
		refused  *glance.ImageStateError
		stageErr *glance.StageError
		wrong    *glance.WrongDataError
		fileErr  *glance.VerifyFileError
		badSum   *glance.InvalidChecksumError
		mismatch *glance.ChecksumMismatchError
	)
	switch {
	case errors.As(err, &readErr):
		diags.Append(imageReadDiag(id, readErr.Err))
	case errors.As(err, &refused):
		diags.Append(imageStateDiag(refused))
	case errors.As(err, &stageErr):
		addStageError(diags, m, stageErr)
	case errors.As(err, &wrong):
		addWrongDataError(diags, wrong)
	case errors.As(err, &fileErr):
		diags.AddAttributeError(path.Root("file"), "Error Reading File",
			fmt.Sprintf("Could not read %s to verify the import an earlier run left in image %s: %s", fileErr.File, id, fileErr.Err))
	case errors.As(err, &badSum), errors.As(err, &mismatch):
		addChecksumError(diags, err, false)
	default:
		diags.AddError("Error Importing Image Data", importFailureDetail(id, m, err))
	}
}

// addStageError reports a failed stage of a glance-direct import.
func addStageError(diags *diag.Diagnostics, m imageImportModel, e *glance.StageError) {
	var mismatch *glance.ExpectedDigestError
	if errors.As(e.Err, &mismatch) {
		state := "is queued again"
		if e.Status != "" && e.Status != glance.StatusQueued {
			state = "is " + e.Status + " (Glance has not noticed the broken-off upload yet)"
		}
		diags.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
			fmt.Sprintf("The file does not match checksum: %s. The provider broke the stage off before the last byte, so Glance kept nothing; "+
				"image %s %s. Fix the file or the checksum and apply again.", mismatch, e.ImageID, state))
		return
	}
	diags.AddAttributeError(path.Root("file"), "Error Staging Image Data",
		fmt.Sprintf("Could not stage %s for image %s (PUT /v2/images/%s/stage): %s\n\nNothing was imported and nothing was saved to the state; "+
			"the next apply tries again.", m.File.ValueString(), e.ImageID, e.ImageID, e.Err))
}

// addWrongDataError reports imported data that failed verification, and its deactivation.
func addWrongDataError(diags *diag.Diagnostics, e *glance.WrongDataError) {
	var (
		staged   *glance.DigestMismatchError
		file     *glance.ExpectedDigestError
		mismatch *glance.ChecksumMismatchError
	)
	switch {
	case errors.As(e.Err, &staged):
		diags.AddError("Imported Data Differs From the Staged File",
			fmt.Sprintf("Image %s: %s. The data changed on the way; the import was not saved to the state. Replace the image "+
				"(for example terraform apply -replace=glance_image.NAME) and import again.", e.ImageID, e.Err))
	case errors.As(e.Err, &file):
		diags.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
			fmt.Sprintf("The file does not match checksum: its %s is %s, not %s.", file.Algorithm, file.Actual, file.Expected))
	case errors.As(e.Err, &mismatch):
		addChecksumError(diags, mismatch, true)
	}
	if e.DeactivateErr != nil {
		diags.AddWarning("Image With Wrong Data Left Active",
			fmt.Sprintf("Deactivating image %s after the failed verification failed too: %s. Delete or replace the image before anyone boots from it.", e.ImageID, e.DeactivateErr))
		return
	}
	diags.AddWarning("Image Deactivated",
		fmt.Sprintf("Image %s was deactivated so that no server boots from data that failed verification. Replace the image "+
			"(for example terraform apply -replace=glance_image.NAME) and import again; until then the next plan shows it as "+
			"deactivated outside Terraform.", e.ImageID))
}

// addCopiesWarnings reports what a change of copies did that the user should know (res may be nil).
func addCopiesWarnings(diags *diag.Diagnostics, id string, res *glance.CopiesResult) {
	if res == nil {
		return
	}
	if cp := res.Copy; cp != nil && !cp.NothingToCopy {
		addFailedStoresWarning(diags, id, cp.Image, cp.Request, cp.FailedStores)
	}
	addLastCopyWarnings(diags, id, res.LastCopyKept)
	if len(res.LeftInPlace) > 0 {
		diags.AddAttributeWarning(path.Root("stores"), "Store Data Left in Place",
			fmt.Sprintf("Image %s's data stays in %s: this resource did not copy it there (the store held it before, or the resource was imported), "+
				"so removing the store from stores does not delete it.", id, strings.Join(res.LeftInPlace, ", ")))
	}
}

func addLastCopyWarnings(diags *diag.Diagnostics, id string, stores []string) {
	for _, s := range stores {
		diags.AddWarning("Last Copy Kept", fmt.Sprintf("Store %s holds the only copy of image %s's data, so it was not deleted from there.", s, id))
	}
}

// addCopiesError reports a failed change of copies.
func addCopiesError(diags *diag.Diagnostics, m imageImportModel, err error) {
	id := m.ImageID.ValueString()
	var (
		readErr   *glance.ImageReadError
		refused   *glance.ImageStateError
		deleteErr *glance.StoreDeleteError
	)
	switch {
	case errors.As(err, &readErr):
		diags.Append(imageReadDiag(id, readErr.Err))
	case errors.As(err, &refused):
		diags.AddError("Image Not Active", fmt.Sprintf("Image %s is %s; Glance copies only active images. Apply again once it is active.", id, refused.Status))
	case errors.As(err, &deleteErr):
		diags.Append(storeDeleteDiag(id, err, path.Root("stores")))
	default:
		diags.AddError("Error Copying Image Data", importFailureDetail(id, m, err)+
			"\n\nThe stores that were not copied stay in the plan; the next apply tries again.")
	}
}

// addRemovalWarnings reports copies that destroy left in place (removal may be nil: the image
// is gone).
func addRemovalWarnings(diags *diag.Diagnostics, id string, copied []string, removal *glance.StoreRemoval) {
	if removal == nil {
		return
	}
	if removal.Status != glance.StatusActive {
		// Glance removes store data only from active images (a 409 otherwise); the copies go
		// with the image when it is deleted.
		diags.AddWarning("Image Copies Left in Place",
			fmt.Sprintf("Image %s is %s, and Glance deletes data from a store only while the image is active, so the copies this import made "+
				"(%s) stay until the image is deleted or reactivated.", id, removal.Status, strings.Join(copied, ", ")))
	}
	addLastCopyWarnings(diags, id, removal.LastCopyKept)
}

// storeDeleteDiag reports a failed read of the image or deletion of a copy, on attribute p
// (path.Empty() for none).
func storeDeleteDiag(id string, err error, p path.Path) diag.Diagnostic {
	var readErr *glance.ImageReadError
	if errors.As(err, &readErr) {
		return imageReadDiag(id, readErr.Err)
	}
	store := ""
	var deleteErr *glance.StoreDeleteError
	if errors.As(err, &deleteErr) {
		store, err = deleteErr.Store, deleteErr.Err
	}
	detail := fmt.Sprintf("Could not delete image %s's data from store %s (DELETE /v2/stores/%s/%s): %s%s", id, store, store, id, err, adminHint(err))
	if p.Equal(path.Empty()) {
		return diag.NewErrorDiagnostic("Error Deleting Image Copy", detail)
	}
	return diag.NewAttributeErrorDiagnostic(p, "Error Deleting Image Copy", detail)
}

// importFailureDetail explains a failed import request or import.
func importFailureDetail(id string, m imageImportModel, err error) string {
	method := m.Method.ValueString()
	var ie *glance.ImportError
	switch {
	case errors.As(err, &ie):
		return importErrorDetail(id, m, ie)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		what := "did not finish in time (raise timeouts.create if imports of this size need longer)"
		if errors.Is(err, context.Canceled) {
			what = "was still running when Terraform was interrupted"
		}
		detail := fmt.Sprintf("The %s import of image %s %s: %s\n\nGlance carries on with it. ", method, id, what, err)
		if glance.IsResumableMethod(method) {
			return detail + "The next apply takes the same import over: it waits for Glance to finish and verifies the result."
		}
		return detail + fmt.Sprintf("When it has finished, adopt the result with terraform import glance_image_import.NAME %s.", id)
	}
	return fmt.Sprintf("Glance refused the %s import of image %s: %s", method, id, err) + adminHint(err) +
		"\n\nThe import was not saved to the state: the next apply tries again."
}

// importErrorDetail explains an import that Glance did not complete.
func importErrorDetail(id string, m imageImportModel, ie *glance.ImportError) string {
	method := m.Method.ValueString()
	var b strings.Builder
	fmt.Fprintf(&b, "The %s import of image %s failed: %s.\n\n", method, id, ie.Reason)
	if len(ie.FailedStores) > 0 {
		fmt.Fprintf(&b, "Failed stores: %s.\n", strings.Join(ie.FailedStores, ", "))
	}
	if len(ie.NotImported) > 0 {
		fmt.Fprintf(&b, "Stores without the data: %s.\n", strings.Join(ie.NotImported, ", "))
	}
	mustSucceed := m.AllStoresMustSucceed.IsNull() || m.AllStoresMustSucceed.ValueBool()
	if mustSucceed && len(ie.FailedStores)+len(ie.NotImported) > 1 {
		b.WriteString("With all_stores_must_succeed = true one failing store fails the whole import: Glance removes the data from the stores " +
			"that worked and may list them as failed too. all_stores_must_succeed = false keeps the stores that worked.\n")
	}
	fmt.Fprintf(&b, "Image status: %s; data in stores: %s.\n", ie.Status, listOrNoStore(ie.Stores))
	if ie.Task != nil {
		fmt.Fprintf(&b, "Glance task %s: %s", ie.Task.ID, ie.Task.Status)
		if ie.Task.Message != "" {
			fmt.Fprintf(&b, ", message: %q", ie.Task.Message)
		}
		b.WriteString(".\n")
	}
	b.WriteString("The import was not saved to the state: the next apply tries again.\n")
	switch method {
	case glance.MethodWebDownload:
		fmt.Fprintf(&b, "\nGlance could not import %s. Check that the URL answers with the image from the Glance servers, and that the "+
			"cloud's import filter allows its scheme, host and port. Glance's task message is often generic; its log has the cause.", glance.RedactURL(m.URI.ValueString()))
	case glance.MethodGlanceDownload:
		fmt.Fprintf(&b, "\nCheck that image %s is active in region %s and that your token's catalog has a %s image endpoint there.",
			m.GlanceImageID.ValueString(), m.GlanceRegion.ValueString(), m.GlanceServiceInterface.ValueString())
	}
	return b.String()
}

// adminHint explains a 403 on admin-only calls.
func adminHint(err error) string {
	if glance.IsForbidden(err) {
		return "\n\nBy default only administrators may copy an image's data between stores (policy copy_image) or delete it from one store " +
			"(policy delete_image_location). Use admin credentials for this resource, for example through a provider alias."
	}
	return ""
}
