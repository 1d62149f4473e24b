package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ resource.ResourceWithConfigure      = &ImageImportResource{}
	_ resource.ResourceWithImportState    = &ImageImportResource{}
	_ resource.ResourceWithValidateConfig = &ImageImportResource{}
	_ resource.ResourceWithModifyPlan     = &ImageImportResource{}
)

// NewImageImportResource is the glance_image_import constructor.
func NewImageImportResource() resource.Resource { return &ImageImportResource{} }

// ImageImportResource runs Glance's interoperable import (POST /v2/images/{id}/import).
type ImageImportResource struct {
	meta *providerMeta
}

// imageImportMethods are the methods the resource supports; the validator and the
// description both come from this list.
var imageImportMethods = []string{glance.MethodGlanceDirect, glance.MethodWebDownload, glance.MethodCopyImage, glance.MethodGlanceDownload}

// imageImportInterfaces are the catalog interfaces glance-download may use.
var imageImportInterfaces = []string{"public", "internal", "admin"}

const (
	imageImportDefaultInterface = "public"
	imageImportCreateTimeout    = 60 * time.Minute
	imageImportUpdateTimeout    = 60 * time.Minute
	imageImportDeleteTimeout    = 20 * time.Minute
	// imageImportStagedKey holds, in private state, the digests of the bytes a glance-direct
	// import staged, so a later checksum change can be verified without reading the data.
	imageImportStagedKey = "staged_digests"
)

// imageImportDataMethods put data into an image that has none; copy-image copies existing data.
func imageImportIsDataMethod(m string) bool { return m != glance.MethodCopyImage }

func (r *ImageImportResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_import"
}

func (r *ImageImportResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	storeSet := func(desc string) schema.SetAttribute {
		return schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Runs Glance's interoperable image import (`POST /v2/images/{id}/import`) on an image record, usually a " +
			"`glance_image` without `source`, and waits until Glance has finished. Methods: `glance-direct` (the provider streams a " +
			"local file to the image's staging area, then Glance imports it), `web-download` (Glance fetches a URL itself), " +
			"`glance-download` (Glance copies an image from another region) and `copy-image` (Glance copies an active image's data " +
			"to more stores; needs the admin role by default).\n\n" +
			"A failed import is an error that names the failed stores and Glance's task message, and it is not saved to the state: " +
			"the next apply tries again (Glance puts a `web-download` or `glance-download` image back to `queued`). When an apply is " +
			"interrupted or times out while Glance is still importing, Glance carries on; the next apply takes the same import over " +
			"(it waits for it and verifies the result; for `glance-direct`, against the file) instead of starting another.\n\n" +
			"Glance imports data only into an image that has none (status `queued`). Changing an argument of a `glance-direct`, " +
			"`web-download` or `glance-download` import therefore needs a new image as well: replace the `glance_image` too " +
			"(`terraform apply -replace=glance_image.NAME`); the plan says so when it cannot work. Destroying such an import leaves " +
			"the data alone: it belongs to the image and goes with it.\n\n" +
			"A `copy-image` import manages where the data is: adding a store to `stores` copies the data there, removing a store " +
			"deletes the copy this resource made (`DELETE /v2/stores/{store}/{image}`), and destroy deletes every copy this resource " +
			"made (see `copied_stores`), never the last copy of the data. A copy that disappears out of band is made again.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The image id (same as `image_id`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"image_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the image to import into, usually `glance_image.NAME.id`. For `copy-image` the image must be `active`: refer to the import that filled it (`glance_image_import.NAME.image_id`) so Terraform waits for it. Changing it replaces this resource.",
				Validators:          []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be an image UUID such as 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")},
			},
			"method": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Import method, one of " + quotedList(imageImportMethods) + ". It must be offered by the cloud " +
					"(`GET /v2/info/import`, see the `glance_import_methods` data source); the plan checks it. Changing it replaces this resource.",
				Validators: []validator.String{stringvalidator.OneOf(imageImportMethods...)},
			},
			"file": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Local file to import, required with (and only allowed with) `glance-direct`. The provider streams it to " +
					"`PUT /v2/images/{id}/stage` (memory stays flat whatever the size) and hashes it on the way. Changing it replaces this resource; " +
					"the provider does not watch the file's content: change `checksum` or replace the image when the content changes.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"uri": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "HTTP(S) URL Glance downloads, required with (and only allowed with) `web-download`. Glance itself fetches it, " +
					"so it must be reachable from the Glance servers and pass the cloud's import filter (allowed schemes, hosts and ports). Changing it replaces this resource. " +
					"It is kept in state, shown in plans and recorded by Glance in its import task: avoid URLs that carry credentials.",
			},
			"glance_image_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Id of the active source image in `glance_region`, required with (and only allowed with) `glance-download`. Changing it replaces this resource.",
				Validators:          []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be an image UUID such as 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")},
			},
			"glance_region": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Region of the source image, required with (and only allowed with) `glance-download`. Glance looks the region's image " +
					"endpoint up in the caller's token catalog; the plan checks that the catalog has one for `glance_service_interface`. " +
					"Changing it replaces this resource.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"glance_service_interface": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Catalog interface of the source region's image endpoint for `glance-download`, one of " + quotedList(imageImportInterfaces) +
					". Default: `" + imageImportDefaultInterface + "` with `glance-download`, unset with the other methods (where it is not allowed). Changing it replaces this resource.",
				Validators: []validator.String{stringvalidator.OneOf(imageImportInterfaces...)},
			},
			"stores": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Stores to import into (see the `glance_stores` data source); the plan checks that they exist. Unset, and without " +
					"`all_stores`, the cloud's default store is used. Conflicts with `all_stores`. With `copy-image` one of the two is required, and " +
					"changes are made in place: an added store gets a copy, a removed store loses the copy this resource made. With the other " +
					"methods a change replaces this resource (and needs a new image).",
				Validators: []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"all_stores": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "Import into every store the cloud offers (Glance's `all_stores`). With `copy-image` the stores that already hold " +
					"the data are skipped. Conflicts with `stores`. Default: `false`. Changes are made in place with `copy-image` and replace this resource otherwise.",
			},
			"all_stores_must_succeed": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
				MarkdownDescription: "Whether the import fails when any target store fails (Glance then removes the data it already wrote). With `false` " +
					"the import succeeds when at least one store got the data; the others are listed in `failed_stores` and reported in a warning. " +
					"Always sent to Glance. Default: `true`. Changing it is an in-place change that affects only later copies (`copy-image`).",
			},
			"checksum": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Expected digest of the imported data, `ALGORITHM:HEX` with algorithm " + quotedList(glance.HashAlgorithms) + ", " +
					"for example `sha256:9f86d0…`. With `glance-direct` the provider hashes the file while staging it and refuses to import data that " +
					"does not match. With the other methods it is compared with the image's `os_hash_value` when the algorithm is the cloud's " +
					"`os_hash_algo` (usually `sha512`), or with Glance's md5 `checksum` for `md5`; any other algorithm cannot be checked without " +
					"downloading the image, and a warning says it was not verified. Glance has already made such data active, so on a mismatch the " +
					"provider deactivates the image (no server boots from it) and fails; replace the image to import again. Changing it re-verifies in place.",
			},
			"timeouts": imageImportTimeouts(ctx),
			"status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The image's status (`active` after a successful import).",
			},
			"image_stores":  storeSet("Stores that hold the image's data now, as Glance reports them (`stores`). It can list more stores than `stores`: for `copy-image` the ones that held the data before."),
			"failed_stores": storeSet("Stores where Glance reports the import failed (`os_glance_failed_import`), for example with `all_stores_must_succeed = false`."),
			"copied_stores": storeSet("Stores this resource copied the data to (`copy-image` only); destroy and removal from `stores` delete these copies and no others. Empty after `terraform import`: the resource cannot know which copies it made."),
			"os_hash_algo": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Algorithm of `os_hash_value`, chosen by the cloud (usually `sha512`).",
			},
			"os_hash_value": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Glance's digest of the image data (`os_hash_value`).",
			},
		},
	}
}

// imageImportTimeouts is the timeouts attribute with descriptions that give the defaults.
func imageImportTimeouts(ctx context.Context) schema.Attribute {
	def := func(d time.Duration) string {
		return fmt.Sprintf(" Default: `%dm`. A duration such as `30s`, `10m` or `2h`.", int(d.Minutes()))
	}
	attr := timeouts.Attributes(ctx, timeouts.Opts{
		Create: true, Update: true, Delete: true,
		CreateDescription: "Time for staging (glance-direct), the import and the wait for Glance to finish." + def(imageImportCreateTimeout),
		UpdateDescription: "Time for copying to added stores and deleting removed copies (copy-image)." + def(imageImportUpdateTimeout),
		DeleteDescription: "Time for deleting the copies this resource made (copy-image)." + def(imageImportDeleteTimeout),
	})
	if a, ok := attr.(schema.SingleNestedAttribute); ok {
		a.MarkdownDescription = "How long operations may take before they fail; the provider stops waiting, Glance may still finish the import."
		return a
	}
	return attr
}

func (r *ImageImportResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageImportResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageImportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.meta.ready(&resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, imageImportCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c := r.meta.client
	id := plan.ImageID.ValueString()
	method := plan.Method.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)
	ctx = tflog.SetField(ctx, "method", method)

	before, err := c.GetImage(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(imageImportReadError(id, err))
		return
	}
	req2 := imageImportRequest(ctx, plan)
	// An earlier apply that was interrupted or timed out may have left the same import running,
	// or finished, in Glance: wait for it and take it over instead of refusing the image.
	var resumed *glance.Task
	if imageImportMayResume(method, before.Status) {
		resumed = c.ResumableImport(ctx, id, req2)
	}
	if resumed != nil {
		tflog.Info(ctx, "Taking over the same import started by an earlier run", map[string]any{"task": resumed.ID, "task_status": resumed.Status})
	} else if d := imageImportPrecondition(method, before); d != nil {
		resp.Diagnostics.Append(d)
		return
	}

	var staged glance.Digests
	switch {
	case method == glance.MethodGlanceDirect && resumed != nil:
		// The earlier run's digests of the staged bytes are gone: the result is checked against
		// the file itself once Glance has finished (below).
	case method == glance.MethodGlanceDirect:
		tflog.Info(ctx, "Staging the file for a glance-direct import", map[string]any{"file": plan.File.ValueString()})
		staged, err = imageImportStage(ctx, c, id, plan.File.ValueString(), plan.Checksum.ValueString())
		var mismatch *glance.ExpectedDigestError
		switch {
		case errors.As(err, &mismatch):
			state := "is queued again"
			if img, gerr := c.GetImage(ctx, id); gerr == nil && img.Status != glance.StatusQueued {
				state = "is " + img.Status + " (Glance has not noticed the broken-off upload yet)"
			}
			resp.Diagnostics.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
				fmt.Sprintf("The file does not match checksum: %s. The provider broke the stage off before the last byte, so Glance kept nothing; "+
					"image %s %s. Fix the file or the checksum and apply again.", mismatch, id, state))
			return
		case err != nil:
			resp.Diagnostics.AddAttributeError(path.Root("file"), "Error Staging Image Data",
				fmt.Sprintf("Could not stage %s for image %s (PUT /v2/images/%s/stage): %s\n\nNothing was imported and nothing was saved to the state; "+
					"the next apply tries again.", plan.File.ValueString(), id, id, err))
			return
		}
	case method == glance.MethodCopyImage:
		// Glance refuses to copy to a store that already holds the data; copy only to the others.
		if !req2.AllStores {
			var missing []string
			for _, s := range req2.Stores {
				if !slices.Contains(before.Stores, s) {
					missing = append(missing, s)
				}
			}
			req2.Stores = missing
		}
		if !plan.Checksum.IsNull() {
			// Verify the source before copying it anywhere.
			if !imageImportVerify(&resp.Diagnostics, plan.Checksum.ValueString(), before, nil, false) {
				return
			}
		}
	}

	var after *glance.Image
	if method == glance.MethodCopyImage && !req2.AllStores && len(req2.Stores) == 0 {
		after = before
		resp.Diagnostics.AddAttributeWarning(path.Root("stores"), "Nothing to Copy",
			fmt.Sprintf("Image %s already holds its data in every store of stores (%s), so nothing was copied. This resource does not own "+
				"those copies: removing the stores or destroying it leaves them in place.", id, strings.Join(before.Stores, ", ")))
	} else {
		if resumed != nil {
			after, err = c.AwaitImport(ctx, id, glance.ImportWait{Stores: req2.Stores, AllStores: req2.AllStores, MustSucceed: req2.AllStoresMustSucceed})
		} else {
			after, err = c.RunImport(ctx, id, req2)
		}
		if err != nil {
			resp.Diagnostics.AddError("Error Importing Image Data", imageImportFailureDetail(id, plan, err))
			return
		}
		imageImportWarnFailed(&resp.Diagnostics, id, after, req2)
	}

	if method == glance.MethodGlanceDirect && resumed != nil {
		res, err := glance.HashSource(ctx, glance.FileSource(plan.File.ValueString()), "none", glance.HashAlgorithms)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("file"), "Error Reading File",
				fmt.Sprintf("Could not read %s to verify the import an earlier run left in image %s: %s", plan.File.ValueString(), id, err))
			return
		}
		staged = res.Digests
		if sum := plan.Checksum.ValueString(); sum != "" {
			algo, digest, _ := glance.ParseChecksum(sum) // validated at plan time
			if staged[algo] != digest {
				resp.Diagnostics.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
					fmt.Sprintf("The file does not match checksum: its %s is %s, not %s.", algo, staged[algo], digest))
				imageImportDeactivateWrongData(ctx, c, id, &resp.Diagnostics)
				return
			}
		}
	}
	if method == glance.MethodGlanceDirect {
		if !imageImportVerifyStaged(&resp.Diagnostics, id, after, staged) {
			imageImportDeactivateWrongData(ctx, c, id, &resp.Diagnostics)
			return
		}
		if b, err := json.Marshal(staged); err == nil {
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, imageImportStagedKey, b)...)
		}
	} else if method != glance.MethodCopyImage && !plan.Checksum.IsNull() {
		if !imageImportVerify(&resp.Diagnostics, plan.Checksum.ValueString(), after, nil, true) {
			imageImportDeactivateWrongData(ctx, c, id, &resp.Diagnostics)
			return
		}
	}

	var copied []string
	if method == glance.MethodCopyImage {
		copied = imageImportMinus(after.Stores, before.Stores)
	}
	plan.ID = types.StringValue(id)
	imageImportFlatten(&plan, after, copied)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// imageImportIsResumable: an import that an interrupted apply may have left running can be
// taken over by a later one. web-download and glance-download are recognised by the source
// their task records; glance-direct by the method, and its result is checked against the file.
func imageImportIsResumable(method string) bool {
	return method == glance.MethodWebDownload || method == glance.MethodGlanceDownload || method == glance.MethodGlanceDirect
}

// imageImportMayResume: an import is taken over while Glance still runs it, or (for the methods
// whose task names the source) once it has finished. A finished glance-direct import is never
// taken over: its data may be an older version of the file.
func imageImportMayResume(method, status string) bool {
	switch {
	case !imageImportIsResumable(method):
		return false
	case status == glance.StatusImporting:
		return true
	}
	return status == glance.StatusActive && method != glance.MethodGlanceDirect
}

// imageImportDeactivateWrongData deactivates an image whose imported data failed verification:
// Glance made it active, and no server may boot from data that is not what was declared.
func imageImportDeactivateWrongData(ctx context.Context, c *glance.Client, id string, diags *diag.Diagnostics) {
	if err := c.Deactivate(ctx, id); err != nil {
		diags.AddWarning("Image With Wrong Data Left Active",
			fmt.Sprintf("Deactivating image %s after the failed verification failed too: %s. Delete or replace the image before anyone boots from it.", id, err))
		return
	}
	diags.AddWarning("Image Deactivated",
		fmt.Sprintf("Image %s was deactivated so that no server boots from data that failed verification. Replace the image "+
			"(for example terraform apply -replace=glance_image.NAME) and import again; until then the next plan shows it as "+
			"deactivated outside Terraform.", id))
}

func (r *ImageImportResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageImportModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.meta.ready(&resp.Diagnostics) {
		return
	}
	id := state.ImageID.ValueString()
	img, err := r.meta.client.GetImage(ctx, id)
	if glance.IsNotFound(err) {
		tflog.Info(ctx, "Image is gone; removing the import from the state", map[string]any{"image_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(imageImportReadError(id, err))
		return
	}
	// A copy this resource made and that disappeared out of band shows as a store missing
	// from stores, so the plan copies it again. A store Glance lists as failed is not drift:
	// all_stores_must_succeed = false accepted that.
	if state.Method.ValueString() == glance.MethodCopyImage && !state.Stores.IsNull() {
		want := setElements(state.Stores)
		var keep []string
		for _, s := range want {
			if slices.Contains(img.Stores, s) || slices.Contains(img.FailedImport, s) {
				keep = append(keep, s)
			}
		}
		if len(keep) != len(want) {
			tflog.Info(ctx, "Image data is missing from stores this copy-image import manages", map[string]any{
				"image_id": id, "missing": strings.Join(imageImportMinus(want, keep), ","),
			})
			state.Stores = stringSet(keep)
		}
	}
	// With all_stores, a copy this resource made that disappeared shows as all_stores = false,
	// so the plan copies to every store again.
	if state.Method.ValueString() == glance.MethodCopyImage && state.AllStores.ValueBool() {
		var lost []string
		for _, s := range setElements(state.CopiedStores) {
			if !slices.Contains(img.Stores, s) && !slices.Contains(img.FailedImport, s) {
				lost = append(lost, s)
			}
		}
		if len(lost) > 0 {
			tflog.Info(ctx, "Image data is missing from stores this all_stores copy-image import copied to", map[string]any{
				"image_id": id, "missing": strings.Join(lost, ","),
			})
			state.AllStores = types.BoolValue(false)
		}
	}
	imageImportFlatten(&state, img, imageImportIntersect(setElements(state.CopiedStores), img.Stores))
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *ImageImportResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageImportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.meta.ready(&resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, imageImportUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := r.meta.client
	id := plan.ImageID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)
	adopting := state.Method.IsNull()

	img, err := c.GetImage(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(imageImportReadError(id, err))
		return
	}
	copied := setElements(state.CopiedStores)

	if plan.Method.ValueString() == glance.MethodCopyImage {
		img, copied = r.updateCopies(ctx, &resp.Diagnostics, plan, state, img, copied)
		if img == nil {
			return
		}
	} else if adopting && !plan.Stores.IsNull() {
		if missing := imageImportMinus(setElements(plan.Stores), img.Stores); len(missing) > 0 {
			resp.Diagnostics.AddAttributeWarning(path.Root("stores"), "Imported Image Is Not in Every Configured Store",
				fmt.Sprintf("Image %s holds its data in %s, not in %s that the configuration names. Glance does not report how an image was "+
					"imported, so the configuration is recorded as it is. Use a copy-image import to add the data to more stores.",
					id, imageImportListOrNone(img.Stores), strings.Join(missing, ", ")))
		}
	}

	// A new or changed checksum is verified against what is known of the data.
	if !plan.Checksum.IsNull() && !plan.Checksum.Equal(state.Checksum) {
		var staged glance.Digests
		if b, d := req.Private.GetKey(ctx, imageImportStagedKey); !d.HasError() && len(b) > 0 {
			_ = json.Unmarshal(b, &staged)
		}
		if !imageImportVerify(&resp.Diagnostics, plan.Checksum.ValueString(), img, staged, true) {
			return
		}
	}

	plan.ID = types.StringValue(id)
	planned := plan
	imageImportFlatten(&plan, img, copied)
	imageImportKeepPlanned(&plan, planned)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *ImageImportResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageImportModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ImageID.ValueString()
	copied := setElements(state.CopiedStores)
	if state.Method.ValueString() != glance.MethodCopyImage || len(copied) == 0 {
		tflog.Info(ctx, "Removing the import from the state; the image's data stays with the image", map[string]any{"image_id": id})
		return
	}
	if !r.meta.ready(&resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, imageImportDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := r.meta.client
	img, err := c.GetImage(ctx, id)
	if glance.IsNotFound(err) {
		return
	}
	if err != nil {
		resp.Diagnostics.Append(imageImportReadError(id, err))
		return
	}
	if img.Status != glance.StatusActive {
		// Glance removes store data only from active images (a 409 otherwise); the copies go
		// with the image when it is deleted.
		resp.Diagnostics.AddWarning("Image Copies Left in Place",
			fmt.Sprintf("Image %s is %s, and Glance deletes data from a store only while the image is active, so the copies this import made "+
				"(%s) stay until the image is deleted or reactivated.", id, img.Status, strings.Join(copied, ", ")))
		return
	}
	stores := img.Stores
	for _, s := range copied {
		if !slices.Contains(stores, s) {
			continue
		}
		if len(stores) < 2 {
			resp.Diagnostics.AddWarning("Last Copy Kept", fmt.Sprintf("Store %s holds the only copy of image %s's data, so it was not deleted from there.", s, id))
			continue
		}
		tflog.Info(ctx, "Deleting the copy this resource made", map[string]any{"image_id": id, "store": s})
		if err := c.DeleteFromStore(ctx, s, id); err != nil {
			resp.Diagnostics.AddError("Error Deleting Image Copy",
				fmt.Sprintf("Could not delete image %s's data from store %s (DELETE /v2/stores/%s/%s): %s%s", id, s, s, id, err, imageImportAdminHint(err)))
			return
		}
		stores = imageImportMinus(stores, []string{s})
	}
}

func (r *ImageImportResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if id == "" || strings.Contains(id, "/") {
		resp.Diagnostics.AddError("Invalid Import ID", fmt.Sprintf("Expected the image id, for example terraform import glance_image_import.NAME 0d9c1b3e-…, got %q.", req.ID))
		return
	}
	// Glance does not report how an image was imported: the arguments stay unset and are
	// taken from the configuration at the next apply (an in-place update, see Update).
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("image_id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("all_stores"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("all_stores_must_succeed"), true)...)
}

func (r *ImageImportResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg imageImportModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	set := func(v attr.Value) bool { return !v.IsNull() }
	if cfg.AllStores.ValueBool() && set(cfg.Stores) {
		resp.Diagnostics.AddAttributeError(path.Root("stores"), "Conflicting Store Arguments",
			"stores and all_stores = true cannot be used together: list the stores, or import into all of them.")
	}
	if v := cfg.Checksum; !v.IsNull() && !v.IsUnknown() {
		if _, _, err := glance.ParseChecksum(v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("checksum"), "Invalid Checksum",
				fmt.Sprintf("checksum: %s. Write it as ALGORITHM:HEX with algorithm %s, for example sha256:9f86d081….", err, strings.Join(glance.HashAlgorithms, ", ")))
		}
	}
	if v := cfg.File; !v.IsNull() && !v.IsUnknown() {
		if fi, err := os.Stat(v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("file"), "File Not Readable",
				fmt.Sprintf("The file to stage cannot be read: %s. Check the path (relative paths start in the directory Terraform runs in; path.module helps).", err))
		} else if fi.IsDir() {
			resp.Diagnostics.AddAttributeError(path.Root("file"), "File Is a Directory",
				fmt.Sprintf("%s is a directory; file must name the image file to stage.", v.ValueString()))
		}
	}
	if v := cfg.URI; !v.IsNull() && !v.IsUnknown() {
		u, err := url.Parse(v.ValueString())
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			resp.Diagnostics.AddAttributeError(path.Root("uri"), "Invalid URI",
				fmt.Sprintf("uri must be an absolute http:// or https:// URL that Glance can fetch, got %q.", v.ValueString()))
		}
	}
	if cfg.Method.IsNull() || cfg.Method.IsUnknown() {
		return
	}
	method := cfg.Method.ValueString()
	only := func(p string, v attr.Value, m string) {
		if set(v) && method != m {
			resp.Diagnostics.AddAttributeError(path.Root(p), "Argument Not Used by This Method",
				fmt.Sprintf("%s is used only with method = %q; this import uses %q. Remove %s, or change the method.", p, m, method, p))
		}
	}
	need := func(p string, v attr.Value, what string) {
		if v.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root(p), "Missing Argument for "+method,
				fmt.Sprintf("method = %q needs %s: set %s.", method, what, p))
		}
	}
	only("file", cfg.File, glance.MethodGlanceDirect)
	only("uri", cfg.URI, glance.MethodWebDownload)
	only("glance_image_id", cfg.GlanceImageID, glance.MethodGlanceDownload)
	only("glance_region", cfg.GlanceRegion, glance.MethodGlanceDownload)
	only("glance_service_interface", cfg.GlanceServiceInterface, glance.MethodGlanceDownload)
	switch method {
	case glance.MethodGlanceDirect:
		need("file", cfg.File, "the local file to stage")
	case glance.MethodWebDownload:
		need("uri", cfg.URI, "the URL Glance downloads")
	case glance.MethodGlanceDownload:
		need("glance_image_id", cfg.GlanceImageID, "the id of the image to copy from the other region")
		need("glance_region", cfg.GlanceRegion, "the region of that image")
		if !cfg.GlanceImageID.IsUnknown() && !cfg.ImageID.IsUnknown() && cfg.GlanceImageID.Equal(cfg.ImageID) && !cfg.GlanceImageID.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("glance_image_id"), "Image Cannot Be Its Own Source",
				"glance_image_id names the image being imported into; it must be the source image in glance_region.")
		}
	case glance.MethodCopyImage:
		if cfg.Stores.IsNull() && !cfg.AllStores.IsUnknown() && !cfg.AllStores.ValueBool() {
			resp.Diagnostics.AddAttributeError(path.Root("stores"), "Missing Target Stores",
				`method = "copy-image" copies the image's data to other stores: set stores (the stores to copy to) or all_stores = true.`)
		}
	}
}

func (r *ImageImportResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, cfg imageImportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *imageImportModel
	if !req.State.Raw.IsNull() {
		state = &imageImportModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	// glance_service_interface defaults to public, but only for glance-download.
	if cfg.GlanceServiceInterface.IsNull() {
		switch {
		case plan.Method.IsUnknown():
			plan.GlanceServiceInterface = types.StringUnknown()
		case plan.Method.ValueString() == glance.MethodGlanceDownload:
			plan.GlanceServiceInterface = types.StringValue(imageImportDefaultInterface)
		default:
			plan.GlanceServiceInterface = types.StringNull()
		}
	}

	creating := state == nil
	if state != nil {
		replace := imageImportReplacePaths(*state, plan)
		resp.RequiresReplace = append(resp.RequiresReplace, replace...)
		creating = len(replace) > 0
		if !creating {
			// In place: the computed values stay unless data moves between stores.
			moving := plan.Method.ValueString() == glance.MethodCopyImage &&
				(state.Method.IsNull() || !plan.Stores.Equal(state.Stores) || !plan.AllStores.Equal(state.AllStores))
			if !moving {
				plan.Status, plan.ImageStores, plan.FailedStores, plan.CopiedStores = state.Status, state.ImageStores, state.FailedStores, state.CopiedStores
			} else {
				plan.Status, plan.FailedStores = state.Status, types.SetUnknown(types.StringType)
			}
			plan.OSHashAlgo, plan.OSHashValue = state.OSHashAlgo, state.OSHashValue
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// Checks against the cloud, only for what this plan changes, and silently skipped while
	// the provider configuration is not known yet.
	if r.meta == nil || r.meta.configUnknown || r.meta.client == nil {
		return
	}
	info := imageImportInfoFor(r.meta.client)
	methodOffered := true
	if m := plan.Method; !m.IsUnknown() && (creating || !m.Equal(state.Method)) {
		methods, err := info.importMethods(ctx, r.meta.client)
		switch {
		case err != nil:
			tflog.Warn(ctx, "Cannot read the cloud's import methods; not checking method at plan time", map[string]any{"error": err.Error()})
		case !slices.Contains(methods, m.ValueString()):
			methodOffered = false
			offered := "none (interoperable import is disabled)"
			if len(methods) > 0 {
				offered = quotedList(methods)
			}
			resp.Diagnostics.AddAttributeError(path.Root("method"), "Import Method Not Offered",
				fmt.Sprintf("This cloud does not offer the %q import method (GET /v2/info/import). It offers: %s. Choose one of those.", m.ValueString(), offered))
		}
	}
	// Choosing stores, all stores or copying between stores needs a cloud with multiple stores;
	// without them Glance answers the import with a bare HTTP 500.
	copyChanged := methodOffered && !plan.Method.IsUnknown() && plan.Method.ValueString() == glance.MethodCopyImage && (creating || !plan.Method.Equal(state.Method))
	storesChanged := !plan.Stores.IsNull() && !plan.Stores.IsUnknown() && (creating || !plan.Stores.Equal(state.Stores))
	allChanged := !plan.AllStores.IsUnknown() && plan.AllStores.ValueBool() && (creating || !plan.AllStores.Equal(state.AllStores))
	if copyChanged || storesChanged || allChanged {
		stores, unsupported, err := info.storeList(ctx, r.meta.client)
		var ids []string
		for _, st := range stores {
			ids = append(ids, st.ID)
		}
		switch {
		case unsupported && copyChanged:
			// One error, on the cause: removing stores or all_stores would not make copy-image work.
			resp.Diagnostics.AddAttributeError(path.Root("method"), "Cloud Has No Multiple Stores",
				`method = "copy-image" copies an image's data from one store to others, and this cloud does not support multiple stores `+
					"(GET /v2/info/stores is not available): the data is already in its only store. Remove this glance_image_import.")
		case unsupported && allChanged:
			resp.Diagnostics.AddAttributeError(path.Root("all_stores"), "Cloud Has No Multiple Stores",
				"This cloud does not support multiple stores (GET /v2/info/stores is not available), so all_stores cannot be used. Remove all_stores to use the default store.")
		case unsupported:
			resp.Diagnostics.AddAttributeError(path.Root("stores"), "Cloud Has No Multiple Stores",
				"This cloud does not support multiple stores (GET /v2/info/stores is not available), so stores cannot be chosen. Remove stores to use the default store.")
		case err != nil:
			tflog.Warn(ctx, "Cannot read the cloud's stores; not checking stores at plan time", map[string]any{"error": err.Error()})
		case storesChanged:
			for _, e := range plan.Stores.Elements() {
				name, ok := e.(types.String)
				if !ok || name.IsUnknown() || slices.Contains(ids, name.ValueString()) {
					continue
				}
				resp.Diagnostics.AddAttributeError(path.Root("stores"), "Unknown Store",
					fmt.Sprintf("This cloud has no store %q (GET /v2/info/stores). Its stores are: %s.", name.ValueString(), quotedList(ids)))
			}
		}
	}
	// glance-download: Glance looks the source region up in the caller's token catalog, and an
	// unknown region fails only at apply with a generic "Internal Error". The provider's token has
	// the same catalog (none with token + endpoint auth: then Glance is trusted to know). Both
	// values replace the import when they change, so creating covers every change.
	if plan.Method.ValueString() == glance.MethodGlanceDownload && !plan.GlanceRegion.IsNull() && !plan.GlanceRegion.IsUnknown() &&
		!plan.GlanceServiceInterface.IsUnknown() && creating {
		if endpoints, ok := r.meta.imageEndpoints(); ok {
			iface := plan.GlanceServiceInterface.ValueString()
			if iface == "" {
				iface = imageImportDefaultInterface
			}
			if d := imageImportCatalogCheck(endpoints, plan.GlanceRegion.ValueString(), iface); d != nil {
				resp.Diagnostics.Append(d)
			}
		}
	}
	// A data import into an image that already has data cannot work: say so now rather than
	// after Terraform has dropped the old import. As a warning: terraform destroy plans the
	// configuration first, and an error here would keep the image from being destroyed
	// (after a failed import, say). Create refuses it before sending anything.
	if creating && !plan.Method.IsUnknown() && imageImportIsDataMethod(plan.Method.ValueString()) && !plan.ImageID.IsUnknown() {
		img, err := r.meta.client.GetImage(ctx, plan.ImageID.ValueString())
		switch {
		case glance.IsNotFound(err):
			// The image may be created by this apply (with an id chosen in the configuration).
		case err != nil:
			tflog.Warn(ctx, "Cannot read the image at plan time", map[string]any{"image_id": plan.ImageID.ValueString(), "error": err.Error()})
		default:
			d := imageImportPrecondition(plan.Method.ValueString(), img)
			if d != nil && imageImportMayResume(plan.Method.ValueString(), img.Status) &&
				r.meta.client.ResumableImport(ctx, img.ID, imageImportRequest(ctx, plan)) != nil {
				d = nil // the same import, started by an interrupted apply: the apply takes it over
			}
			if d != nil {
				resp.Diagnostics.AddAttributeWarning(path.Root("image_id"), d.Summary(), "The import will fail at apply. "+d.Detail())
			}
		}
	}
}

// imageImportReplacePaths lists the changed arguments that need a new import. After
// terraform import the arguments are unknown to the state (method is null): they are then
// adopted from the configuration in place, never by a replacement.
func imageImportReplacePaths(state, plan imageImportModel) path.Paths {
	var paths path.Paths
	if !plan.ImageID.Equal(state.ImageID) {
		paths = append(paths, path.Root("image_id"))
	}
	if state.Method.IsNull() {
		return paths
	}
	for name, pair := range map[string][2]attr.Value{
		"method":                   {state.Method, plan.Method},
		"file":                     {state.File, plan.File},
		"uri":                      {state.URI, plan.URI},
		"glance_image_id":          {state.GlanceImageID, plan.GlanceImageID},
		"glance_region":            {state.GlanceRegion, plan.GlanceRegion},
		"glance_service_interface": {state.GlanceServiceInterface, plan.GlanceServiceInterface},
	} {
		if !pair[0].Equal(pair[1]) {
			paths = append(paths, path.Root(name))
		}
	}
	copyBoth := plan.Method.ValueString() == glance.MethodCopyImage && state.Method.ValueString() == glance.MethodCopyImage
	if !copyBoth {
		if !plan.Stores.Equal(state.Stores) {
			paths = append(paths, path.Root("stores"))
		}
		if !plan.AllStores.Equal(state.AllStores) {
			paths = append(paths, path.Root("all_stores"))
		}
	}
	sort.Slice(paths, func(i, j int) bool { return paths[i].String() < paths[j].String() })
	return paths
}

// updateCopies brings a copy-image import's stores in line with the plan: copy to added stores
// first, then delete the copies this resource made in stores that were removed. It returns the
// image afterwards and the copies this resource now owns, or a nil image after an error.
func (r *ImageImportResource) updateCopies(ctx context.Context, diags *diag.Diagnostics, plan, state imageImportModel, img *glance.Image, copied []string) (*glance.Image, []string) {
	c := r.meta.client
	id := plan.ImageID.ValueString()
	if img.Status != glance.StatusActive {
		diags.AddError("Image Not Active", fmt.Sprintf("Image %s is %s; Glance copies only active images. Apply again once it is active.", id, img.Status))
		return nil, nil
	}
	req := imageImportRequest(ctx, plan)
	if !req.AllStores {
		req.Stores = imageImportMinus(req.Stores, img.Stores)
	}
	if req.AllStores || len(req.Stores) > 0 {
		after, err := c.RunImport(ctx, id, req)
		if err != nil {
			diags.AddError("Error Copying Image Data", imageImportFailureDetail(id, plan, err)+
				"\n\nThe stores that were not copied stay in the plan; the next apply tries again.")
			return nil, nil
		}
		imageImportWarnFailed(diags, id, after, req)
		copied = imageImportUnion(copied, imageImportMinus(after.Stores, img.Stores))
		img = after
	}

	// Remove what is no longer wanted, but only copies this resource made.
	if !plan.AllStores.ValueBool() {
		wanted := setElements(plan.Stores)
		for _, s := range imageImportMinus(copied, wanted) {
			if !slices.Contains(img.Stores, s) {
				copied = imageImportMinus(copied, []string{s})
				continue
			}
			if len(img.Stores) < 2 {
				diags.AddWarning("Last Copy Kept", fmt.Sprintf("Store %s holds the only copy of image %s's data, so it was not deleted from there.", s, id))
				copied = imageImportMinus(copied, []string{s})
				continue
			}
			tflog.Info(ctx, "Deleting the image's copy from a store removed from stores", map[string]any{"store": s})
			if err := c.DeleteFromStore(ctx, s, id); err != nil {
				diags.AddAttributeError(path.Root("stores"), "Error Deleting Image Copy",
					fmt.Sprintf("Could not delete image %s's data from store %s (DELETE /v2/stores/%s/%s): %s%s", id, s, s, id, err, imageImportAdminHint(err)))
				return nil, nil
			}
			copied = imageImportMinus(copied, []string{s})
			img.Stores = imageImportMinus(img.Stores, []string{s})
		}
		var kept []string
		for _, s := range imageImportMinus(setElements(state.Stores), wanted) {
			if !slices.Contains(copied, s) && slices.Contains(img.Stores, s) {
				kept = append(kept, s)
			}
		}
		if len(kept) > 0 {
			diags.AddAttributeWarning(path.Root("stores"), "Store Data Left in Place",
				fmt.Sprintf("Image %s's data stays in %s: this resource did not copy it there (the store held it before, or the resource was imported), "+
					"so removing the store from stores does not delete it.", id, strings.Join(kept, ", ")))
		}
	}
	fresh, err := c.GetImage(ctx, id)
	if err != nil {
		diags.Append(imageImportReadError(id, err))
		return nil, nil
	}
	return fresh, imageImportIntersect(copied, fresh.Stores)
}

// imageImportCatalogCheck checks that the token's catalog has an image endpoint in region for
// interface iface, as glance-download needs; regions compare ignoring case, as Glance does.
func imageImportCatalogCheck(endpoints []catalogImageEndpoint, region, iface string) diag.Diagnostic {
	ifaces := catalogInterfaces(endpoints, region)
	if slices.Contains(ifaces, iface) {
		return nil
	}
	if len(ifaces) > 0 {
		return diag.NewAttributeErrorDiagnostic(path.Root("glance_service_interface"), "No Image Endpoint for This Interface",
			fmt.Sprintf("glance-download reads the source image through the %s image endpoint of region %q in your token's catalog, and that region "+
				"has image endpoints only for %s. Set glance_service_interface to one of those.", iface, region, quotedList(ifaces)))
	}
	regions := "no region"
	if r := catalogRegions(endpoints, iface); len(r) > 0 {
		regions = quotedList(r)
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("glance_region"), "Region Not in Catalog",
		fmt.Sprintf("glance-download reads the source image through the image endpoint of glance_region in your token's catalog, and the catalog "+
			"has no image endpoint in region %q. Regions with an image endpoint for the %s interface: %s. Set glance_region to the one that holds the source image.",
			region, iface, regions))
}

// imageImportPrecondition checks that the image is in a status the method can work with.
func imageImportPrecondition(method string, img *glance.Image) diag.Diagnostic {
	id := img.ID
	if method == glance.MethodCopyImage {
		if img.Status == glance.StatusActive {
			return nil
		}
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Not Active",
			fmt.Sprintf("Image %s is %s; copy-image copies the data of an active image only. If another glance_image_import fills the image, "+
				"set image_id = glance_image_import.NAME.image_id so that Terraform waits for it.", id, img.Status))
	}
	switch img.Status {
	case glance.StatusQueued:
		return nil
	case glance.StatusUploading:
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Has Staged Data",
			fmt.Sprintf("Image %s is uploading: data is being staged to it, or an earlier glance-direct attempt staged data that was never imported. "+
				"Glance cannot discard staged data: if no other upload is running, replace the image (for example terraform apply "+
				"-replace=glance_image.NAME) and import again.", id))
	case glance.StatusImporting, glance.StatusSaving:
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Busy",
			fmt.Sprintf("Image %s is %s: another upload or import is running on it. Wait for it to finish; if it is stuck, replace the image.", id, img.Status))
	default:
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Already Has Data",
			fmt.Sprintf("Image %s is %s: it already has data, and Glance imports only into an image without data (queued). To import new data, "+
				"replace the image as well (for example terraform apply -replace=glance_image.NAME, or give it a new id). If the data in it is "+
				"what you want, adopt it instead: terraform import glance_image_import.NAME %s.", id, img.Status, id))
	}
}

// imageImportRequest builds the import request from the plan.
func imageImportRequest(ctx context.Context, m imageImportModel) glance.ImportRequest {
	req := glance.ImportRequest{
		Method:               glance.ImportMethod{Name: m.Method.ValueString()},
		Stores:               setElements(m.Stores),
		AllStores:            m.AllStores.ValueBool(),
		AllStoresMustSucceed: m.AllStoresMustSucceed.IsNull() || m.AllStoresMustSucceed.ValueBool(),
	}
	switch req.Method.Name {
	case glance.MethodWebDownload:
		req.Method.URI = m.URI.ValueString()
	case glance.MethodGlanceDownload:
		req.Method.GlanceImageID = m.GlanceImageID.ValueString()
		req.Method.GlanceRegion = m.GlanceRegion.ValueString()
		req.Method.GlanceServiceInterface = m.GlanceServiceInterface.ValueString()
		if req.Method.GlanceServiceInterface == "" {
			req.Method.GlanceServiceInterface = imageImportDefaultInterface
		}
	}
	tflog.Debug(ctx, "Import request", map[string]any{"method": req.Method.Name, "stores": strings.Join(req.Stores, ","), "all_stores": req.AllStores})
	return req
}

// imageImportFlatten copies what Glance reports into the model.
func imageImportFlatten(m *imageImportModel, img *glance.Image, copied []string) {
	m.ID = types.StringValue(img.ID)
	m.Status = types.StringValue(img.Status)
	m.ImageStores = stringSet(img.Stores)
	m.FailedStores = stringSet(img.FailedImport)
	m.CopiedStores = stringSet(copied)
	m.OSHashAlgo = types.StringValue(img.OSHashAlgo)
	m.OSHashValue = types.StringValue(img.OSHashValue)
}

// imageImportKeepPlanned keeps the computed values the plan already knew: another resource of
// the same apply (glance_image deactivating the image, another copy-image import) may change
// them meanwhile, and Terraform requires an apply to return what its plan promised. The next
// refresh reports the new values.
func imageImportKeepPlanned(m *imageImportModel, planned imageImportModel) {
	keepPlanned(&m.Status, planned.Status)
	keepPlanned(&m.ImageStores, planned.ImageStores)
	keepPlanned(&m.FailedStores, planned.FailedStores)
	keepPlanned(&m.CopiedStores, planned.CopiedStores)
	keepPlanned(&m.OSHashAlgo, planned.OSHashAlgo)
	keepPlanned(&m.OSHashValue, planned.OSHashValue)
}

// imageImportWarnFailed warns about target stores that failed when partial success was allowed.
func imageImportWarnFailed(diags *diag.Diagnostics, id string, img *glance.Image, req glance.ImportRequest) {
	// Only the stores this import targeted: os_glance_failed_import may still list stores of
	// an earlier attempt. An import into the default store alone cannot partly fail.
	var failed []string
	switch {
	case req.AllStores:
		failed = img.FailedImport
	case len(req.Stores) > 0:
		failed = imageImportIntersect(img.FailedImport, req.Stores)
	}
	if len(failed) == 0 {
		return
	}
	diags.AddAttributeWarning(path.Root("failed_stores"), "Import Failed for Some Stores",
		fmt.Sprintf("The %s import of image %s succeeded in %s but failed in %s. all_stores_must_succeed = false accepts this; "+
			"failed_stores lists them. Glance's log has the cause.", req.Method.Name, id, imageImportListOrNone(img.Stores), strings.Join(failed, ", ")))
}

// imageImportFailureDetail explains a failed import request or import.
func imageImportFailureDetail(id string, m imageImportModel, err error) string {
	method := m.Method.ValueString()
	var b strings.Builder
	var ie *glance.ImportError
	switch {
	case errors.As(err, &ie):
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
		fmt.Fprintf(&b, "Image status: %s; data in stores: %s.\n", ie.Status, imageImportListOrNone(ie.Stores))
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
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		what := "did not finish in time (raise timeouts.create if imports of this size need longer)"
		if errors.Is(err, context.Canceled) {
			what = "was still running when Terraform was interrupted"
		}
		fmt.Fprintf(&b, "The %s import of image %s %s: %s\n\nGlance carries on with it. ", method, id, what, err)
		if imageImportIsResumable(method) {
			b.WriteString("The next apply takes the same import over: it waits for Glance to finish and verifies the result.")
		} else {
			fmt.Fprintf(&b, "When it has finished, adopt the result with terraform import glance_image_import.NAME %s.", id)
		}
	default:
		fmt.Fprintf(&b, "Glance refused the %s import of image %s: %s", method, id, err)
		b.WriteString(imageImportAdminHint(err))
		b.WriteString("\n\nThe import was not saved to the state: the next apply tries again.")
	}
	return b.String()
}

// imageImportAdminHint explains a 403 on admin-only calls.
func imageImportAdminHint(err error) string {
	if glance.IsForbidden(err) {
		return "\n\nBy default only administrators may copy an image's data between stores (policy copy_image) or delete it from one store " +
			"(policy delete_image_location). Use admin credentials for this resource, for example through a provider alias."
	}
	return ""
}

// imageImportReadError reports a failed GET of the image.
func imageImportReadError(id string, err error) diag.Diagnostic {
	if glance.IsNotFound(err) {
		return diag.NewAttributeErrorDiagnostic(path.Root("image_id"), "Image Not Found",
			fmt.Sprintf("Image %s does not exist or is not visible to this project: %s", id, err))
	}
	return diag.NewErrorDiagnostic("Error Reading Image", fmt.Sprintf("Could not read image %s: %s", id, err))
}

// imageImportVerify compares an expected "algo:hex" digest with the digests known for the
// image: staged (the bytes the provider sent), os_hash_value for the cloud's algorithm, the md5
// checksum. It returns false after adding an error on a mismatch; it warns when nothing can be
// compared. apply says whether the data was already imported (for the wording).
func imageImportVerify(diags *diag.Diagnostics, expected string, img *glance.Image, staged glance.Digests, apply bool) bool {
	algo, want, err := glance.ParseChecksum(expected)
	if err != nil {
		diags.AddAttributeError(path.Root("checksum"), "Invalid Checksum", err.Error())
		return false
	}
	got, source := "", ""
	switch {
	case staged[algo] != "":
		got, source = staged[algo], "the "+algo+" of the staged file"
	case img.OSHashAlgo == algo && img.OSHashValue != "":
		got, source = img.OSHashValue, "the image's os_hash_value ("+algo+")"
	case algo == "md5" && img.Checksum != "":
		got, source = img.Checksum, "the image's md5 checksum"
	}
	if got == "" {
		hashAlgo := img.OSHashAlgo
		if hashAlgo == "" {
			hashAlgo = "none"
		}
		diags.AddAttributeWarning(path.Root("checksum"), "Checksum Not Verified",
			fmt.Sprintf("Image %s's data could not be checked against checksum: Glance reports digests for %s (os_hash_algo) and md5 only, "+
				"and checking %s would mean downloading the whole image. Use a %s: or md5: checksum to have it verified.", img.ID, hashAlgo, algo, hashAlgo))
		return true
	}
	if !strings.EqualFold(got, want) {
		what := "The data of image %s does not match checksum"
		if apply {
			what = "The data imported into image %s does not match checksum"
		}
		diags.AddAttributeError(path.Root("checksum"), "Checksum Mismatch",
			fmt.Sprintf(what+": expected %s:%s, %s is %s. Glance keeps the data, so fix the source or the checksum and replace the image "+
				"(for example terraform apply -replace=glance_image.NAME).", img.ID, algo, strings.ToLower(want), source, strings.ToLower(got)))
		return false
	}
	return true
}

// imageImportVerifyStaged checks Glance's digest of an imported glance-direct image against the
// digests of the bytes the provider staged.
func imageImportVerifyStaged(diags *diag.Diagnostics, id string, img *glance.Image, staged glance.Digests) bool {
	err := glance.VerifyImageDigest(img, staged)
	var mismatch *glance.DigestMismatchError
	switch {
	case err == nil:
		return true
	case errors.As(err, &mismatch):
		diags.AddError("Imported Data Differs From the Staged File",
			fmt.Sprintf("Image %s: %s. The data changed on the way; the import was not saved to the state. Replace the image "+
				"(for example terraform apply -replace=glance_image.NAME) and import again.", id, err))
		return false
	default:
		diags.AddWarning("Imported Data Not Verified", fmt.Sprintf("Image %s: %s, so the provider could not compare Glance's digest with the staged file's.", id, err))
		return true
	}
}

// imageImportStage streams file to the image's staging area (PUT /v2/images/{id}/stage) and
// returns the digests of the bytes sent (md5, sha256 and sha512).
// With a checksum the stream is gated: data with another digest never completes the request,
// so Glance keeps nothing and the image stays queued for a corrected retry.
func imageImportStage(ctx context.Context, c *glance.Client, id, file, checksum string) (glance.Digests, error) {
	src := glance.FileSource(file)
	// Every digest the pipeline knows, in the same pass: a later change of checksum is then
	// verified without reading the data again (the hashes run in parallel with the upload).
	opts := glance.TransferOptions{Algorithms: glance.HashAlgorithms}
	if checksum != "" {
		algo, digest, err := glance.ParseChecksum(checksum)
		if err != nil {
			return nil, err
		}
		src = glance.ExpectDigest(src, algo, digest)
	}
	res, err := c.Stage(ctx, id, src, opts)
	if err != nil {
		var answered *glance.Error
		if !errors.As(err, &answered) {
			// The provider broke the body off (digest mismatch, unreadable file, connection
			// lost): Glance unstages only when its read fails, a moment later.
			imageImportSettleStage(ctx, c, id)
		}
		return nil, err
	}
	if checksum != "" {
		// A file of zero bytes sends no body, so the gate never ran: compare here too.
		algo, digest, _ := glance.ParseChecksum(checksum)
		if got := res.Digests[algo]; got != "" && got != digest {
			return nil, &glance.ExpectedDigestError{Source: file, Algorithm: algo, Expected: digest, Actual: got}
		}
	}
	return res.Digests, nil
}

// imageImportSettleStageTimeout bounds the wait for Glance to notice a broken-off stage, and
// imageImportSettleQuiet is how long a queued image must stay queued when it was never seen
// uploading: the broken-off request may still be on its way through a proxy or load balancer.
const (
	imageImportSettleStageTimeout = 30 * time.Second
	imageImportSettleQuiet        = 3 * time.Second
)

// imageImportSettleStage waits, briefly, until Glance has put the image back to queued after a
// stage the provider broke off, so that the error's advice and the next plan see the real state.
// Glance sets uploading when the request arrives and queued again when its read of the body
// fails, a moment after the provider gave up.
func imageImportSettleStage(ctx context.Context, c *glance.Client, id string) {
	ctx, cancel := context.WithTimeout(ctx, imageImportSettleStageTimeout)
	defer cancel()
	start, sawUploading := time.Now(), false
	img, err := c.WaitForImage(ctx, id, func(img *glance.Image) (bool, error) {
		if img.Status == glance.StatusUploading {
			sawUploading = true
			return false, nil
		}
		return sawUploading || time.Since(start) >= imageImportSettleQuiet, nil
	})
	if err != nil {
		tflog.Warn(ctx, "Glance has not put the image back to queued after the broken-off stage", map[string]any{"image_id": id, "error": err.Error()})
		return
	}
	tflog.Debug(ctx, "Image settled after the broken-off stage", map[string]any{"image_id": id, "status": img.Status})
}

// imageImportCloudInfo caches the import methods and stores of one cloud for the life of the
// provider process (one Terraform command), so that a plan of many imports asks once.
type imageImportCloudInfo struct {
	mu          sync.Mutex
	methods     []string
	haveMethods bool
	stores      []glance.Store
	haveStores  bool
	unsupported bool
}

var imageImportInfoCache sync.Map // *glance.Client → *imageImportCloudInfo

func imageImportInfoFor(c *glance.Client) *imageImportCloudInfo {
	v, _ := imageImportInfoCache.LoadOrStore(c, &imageImportCloudInfo{})
	if info, ok := v.(*imageImportCloudInfo); ok {
		return info
	}
	return &imageImportCloudInfo{}
}

func (i *imageImportCloudInfo) importMethods(ctx context.Context, c *glance.Client) ([]string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.haveMethods {
		m, err := c.ImportMethods(ctx)
		if err != nil {
			return nil, err
		}
		i.methods, i.haveMethods = m, true
	}
	return i.methods, nil
}

func (i *imageImportCloudInfo) storeList(ctx context.Context, c *glance.Client) ([]glance.Store, bool, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.haveStores {
		s, err := c.Stores(ctx)
		switch {
		case glance.IsUnsupported(err):
			i.unsupported = true
		case err != nil:
			return nil, false, err
		}
		i.stores, i.haveStores = s, true
	}
	return i.stores, i.unsupported, nil
}

// imageImportMinus returns the elements of a that are not in b.
func imageImportMinus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// imageImportIntersect returns the elements of a that are in b.
func imageImportIntersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// imageImportUnion returns a followed by the elements of b not in a.
func imageImportUnion(a, b []string) []string {
	return append(slices.Clone(a), imageImportMinus(b, a)...)
}

func imageImportListOrNone(list []string) string {
	if len(list) == 0 {
		return "no store"
	}
	return strings.Join(list, ", ")
}

type imageImportModel struct {
	ID                     types.String   `tfsdk:"id"`
	ImageID                types.String   `tfsdk:"image_id"`
	Method                 types.String   `tfsdk:"method"`
	File                   types.String   `tfsdk:"file"`
	URI                    types.String   `tfsdk:"uri"`
	GlanceImageID          types.String   `tfsdk:"glance_image_id"`
	GlanceRegion           types.String   `tfsdk:"glance_region"`
	GlanceServiceInterface types.String   `tfsdk:"glance_service_interface"`
	Stores                 types.Set      `tfsdk:"stores"`
	AllStores              types.Bool     `tfsdk:"all_stores"`
	AllStoresMustSucceed   types.Bool     `tfsdk:"all_stores_must_succeed"`
	Checksum               types.String   `tfsdk:"checksum"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
	Status                 types.String   `tfsdk:"status"`
	ImageStores            types.Set      `tfsdk:"image_stores"`
	FailedStores           types.Set      `tfsdk:"failed_stores"`
	CopiedStores           types.Set      `tfsdk:"copied_stores"`
	OSHashAlgo             types.String   `tfsdk:"os_hash_algo"`
	OSHashValue            types.String   `tfsdk:"os_hash_value"`
}
