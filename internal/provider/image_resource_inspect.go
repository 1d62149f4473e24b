package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/diskformat"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// Disk-format inspection of glance_image and glance_image_import sources: the framework
// methods read the first bytes (glance.InspectSource) and the pure functions below decide.

// formatDecision is what the content of a source means for the plan: the disk_format to plan
// ("" to leave it as it is) and the problems to report.
type formatDecision struct {
	DiskFormat string
	Problems   []planProblem
}

// decideDiskFormat compares what a source holds (info, found in what) with the declared
// disk_format ("" when not declared: then it is inferred). An unsafe image is always an
// error, on the source; a mismatch is an error on disk_format.
func decideDiskFormat(info diskformat.Info, declared, what, sourceAttr string) formatDecision {
	p := diskformat.Check(info, declared)
	if p == nil {
		if declared != "" {
			return formatDecision{}
		}
		f, _ := diskformat.Infer(info)
		return formatDecision{DiskFormat: f}
	}
	var d formatDecision
	if len(p.Unsafe) > 0 {
		d.Problems = append(d.Problems, planProblem{Attribute: sourceAttr, Summary: "Unsafe Disk Image",
			Detail: fmt.Sprintf("%s is %s, and %s. A compute host given this image would open files on its own disk "+
				"(OSSA-2024-001, CVE-2024-32498), so the provider refuses to upload it. %s", what, info.Describe(), unsafeList(p.Unsafe), p.Advice())})
	}
	if p.Mismatch {
		d.Problems = append(d.Problems, planProblem{Attribute: "disk_format", Summary: "Disk Format Mismatch",
			Detail: fmt.Sprintf("disk_format = %q, but %s is %s. An image uploaded with the wrong disk_format boots wrong or not at all. %s",
				declared, what, info.Describe(), p.Advice())})
	}
	return d
}

func unsafeList(unsafe []diskformat.Unsafe) string {
	details := make([]string, len(unsafe))
	for i, u := range unsafe {
		details[i] = u.Detail
	}
	return strings.Join(details, "; ")
}

// diskFormatConfigProblem: without source there is nothing to infer disk_format from.
func diskFormatConfigProblem(diskFormatNull, hasSource bool) *planProblem {
	if !diskFormatNull || hasSource {
		return nil
	}
	return &planProblem{Attribute: "disk_format", Summary: "Missing disk_format",
		Detail: "disk_format can be left out only with source, whose content tells the format. Without source, set disk_format " +
			"(for example \"qcow2\" or \"raw\") to the format of the data that will be imported."}
}

// sourceWhat names a source in messages.
func sourceWhat(src sourceDecl) string {
	if src.File != "" {
		w := "source.file " + src.File
		if src.Decompress != "none" && src.Decompress != "" {
			w += " (decompressed)"
		}
		return w
	}
	return "source.url " + glance.RedactURL(src.URL)
}

// planSourceFormat inspects the source of a new image at plan: a local file always, a URL when
// its server answers a Range request. A problem is reported; disk_format, when not declared, is
// planned from the content.
func (r *ImageResource) planSourceFormat(ctx context.Context, plan imageModel, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	src := knownSourceDecl(plan.Source)
	if src == nil || plan.DiskFormat.IsUnknown() && !configNull(ctx, req, "disk_format", &resp.Diagnostics) {
		return // unknown until apply
	}
	declared := plan.DiskFormat.ValueString() // "" when unknown: inferred from the content
	var gsrc glance.Source
	opts := glance.InspectOptions{Decompress: src.Decompress}
	if src.File != "" {
		gsrc = glance.FileSource(src.File)
	} else {
		var headers map[string]string
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("source").AtName("headers"), &headers)...)
		gsrc, opts.RangeOnly = glance.URLSource(src.URL, headers, nil), true
	}
	info, err := glance.InspectSource(ctx, gsrc, opts)
	if err != nil {
		// A missing file is reported by checkNewSource; a URL is checked again at apply.
		tflog.Info(ctx, "The source's disk format is checked at apply", map[string]any{"source": gsrc.String(), "reason": err.Error()})
		return
	}
	d := decideDiskFormat(info, declared, sourceWhat(*src), sourceAttribute(*src))
	addPlanProblems(&resp.Diagnostics, d.Problems)
	if d.DiskFormat != "" {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("disk_format"), d.DiskFormat)...)
	}
}

func sourceAttribute(src sourceDecl) string {
	if src.File != "" {
		return "source.file"
	}
	return "source.url"
}

// configNull reports whether the configuration leaves the attribute out.
func configNull(ctx context.Context, req resource.ModifyPlanRequest, name string, diags *diag.Diagnostics) bool {
	var v types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root(name), &v)...)
	return v.IsNull()
}

// inspectBeforeCreate checks the source's first bytes before the image record is created
// (for a URL, the plan may not have seen them) and fills in a disk_format left to the content.
// false: a problem was reported and nothing may be created.
func (r *ImageResource) inspectBeforeCreate(ctx context.Context, plan *imageModel, headers map[string]string, diags *diag.Diagnostics) bool {
	decl := knownSourceDecl(plan.Source) // known at apply
	if decl == nil {
		return true
	}
	src, _ := imageSource(plan.Source, headers)
	info, err := glance.InspectSource(ctx, src, glance.InspectOptions{Decompress: decl.Decompress})
	declared := plan.DiskFormat.ValueString() // "" when unknown: inferred from the content
	if err != nil {
		if declared == "" {
			diags.AddAttributeError(path.Root(sourceAttribute(*decl)), "Error Reading Image Source",
				fmt.Sprintf("Reading the first bytes of %s to infer disk_format failed: %s. Set disk_format, or fix the source.", src, err))
			return false
		}
		tflog.Warn(ctx, "Could not read the source's first bytes; the upload checks them as it streams", map[string]any{"error": err.Error()})
		return true
	}
	d := decideDiskFormat(info, declared, sourceWhat(*decl), sourceAttribute(*decl))
	addPlanProblems(diags, d.Problems)
	if d.DiskFormat != "" {
		plan.DiskFormat = types.StringValue(d.DiskFormat)
	}
	if plan.DiskFormat.IsUnknown() && len(d.Problems) == 0 {
		diags.AddAttributeError(path.Root("disk_format"), "Unknown Disk Format",
			fmt.Sprintf("%s is %s, which Glance has no disk_format for. Convert it (qemu-img convert -O qcow2) or set disk_format.", sourceWhat(*decl), info.Describe()))
	}
	return !diags.HasError()
}

// formatFailure words a *glance.FormatError from the upload stream; nil for other errors.
func formatFailure(id string, err error) *imageCreateFailure {
	var fe *glance.FormatError
	if !errors.As(err, &fe) {
		return nil
	}
	summary := "Disk Format Mismatch"
	if len(fe.Problem.Unsafe) > 0 {
		summary = "Unsafe Disk Image"
	}
	where := "in its first bytes"
	if fe.AtEnd {
		where = "at its end, and the upload was stopped before its last byte, so Glance never made image " + id + " active"
	}
	return &imageCreateFailure{summary, fmt.Sprintf("While streaming %s into image %s the provider found %s: %s. %s",
		fe.Source, id, where, fe.Problem.Error(), fe.Problem.Advice())}
}

// planImportFileFormat checks a glance-direct file at plan: unsafe content always, and, when
// the target image exists already, its disk_format against the content.
func (r *ImageImportResource) planImportFileFormat(ctx context.Context, diags *diag.Diagnostics, plan imageImportModel, change importPlanChange) {
	if !change.Creating || plan.File.IsNull() || plan.File.IsUnknown() || plan.Method.ValueString() != glance.MethodGlanceDirect {
		return
	}
	file := plan.File.ValueString()
	info, err := glance.InspectSource(ctx, glance.FileSource(file), glance.InspectOptions{})
	if err != nil {
		return // the missing file is reported by the import's own checks, or at apply
	}
	declared := ""
	if r.meta.canCall() && !plan.ImageID.IsUnknown() {
		if img, err := r.meta.client.GetImage(ctx, plan.ImageID.ValueString()); err == nil {
			declared = img.DiskFormat
		}
	}
	d := decideDiskFormat(info, declared, "file "+file, "file")
	for i := range d.Problems {
		if d.Problems[i].Attribute == "disk_format" {
			// The image's disk_format is declared on the glance_image, not here.
			d.Problems[i].Attribute = "file"
			d.Problems[i].Detail = fmt.Sprintf("Image %s has %s", plan.ImageID.ValueString(), d.Problems[i].Detail)
		}
	}
	addPlanProblems(diags, d.Problems)
}
