package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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

// isDataMethod: the method puts data into an image that has none; copy-image copies existing data.
func isDataMethod(m string) bool { return m != glance.MethodCopyImage }

func (r *ImageImportResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_import"
}

//nolint:funlen // schema builder: one entry per attribute, each with its full description
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
					"the provider does not watch the file's content: change `checksum` or replace the image when the content changes. " +
					"Its first bytes are checked at plan: an unsafe image (a qcow2 with a backing or data file, a VMDK with separate extents, " +
					"QED, …) is an error, and so is content that does not match the `disk_format` of an image that exists already (see the disk formats guide).",
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
	id := plan.ImageID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)
	ctx = tflog.SetField(ctx, "method", plan.Method.ValueString())

	// Glance's import, from the image check to the verified result (taking over the same import
	// when an earlier, interrupted apply left it running): one client operation.
	res, err := r.meta.client.Import(ctx, id, expandImageImport(ctx, plan))
	addImportWarnings(&resp.Diagnostics, id, res)
	if err != nil {
		addImportError(&resp.Diagnostics, plan, err)
		return
	}
	if plan.Method.ValueString() == glance.MethodGlanceDirect {
		if b, err := json.Marshal(res.Staged); err == nil {
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, imageImportStagedKey, b)...)
		}
	}
	plan.ID = types.StringValue(id)
	flattenImageImport(&plan, res.Image, res.Copied)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
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
		resp.Diagnostics.Append(imageReadDiag(id, err))
		return
	}
	if state.Method.ValueString() == glance.MethodCopyImage {
		readCopyDrift(ctx, &state, img)
	}
	copied := slices.DeleteFunc(setElements(state.CopiedStores), func(s string) bool { return !slices.Contains(img.Stores, s) })
	flattenImageImport(&state, img, copied)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// readCopyDrift shows copies of a copy-image import that disappeared out of band as drift, so
// that the plan copies them again: a store missing from stores, or all_stores = false. A store
// Glance lists as failed is not drift: all_stores_must_succeed = false accepted that.
func readCopyDrift(ctx context.Context, state *imageImportModel, img *glance.Image) {
	if !state.Stores.IsNull() {
		want := setElements(state.Stores)
		if keep := storesWithData(want, img); len(keep) != len(want) {
			tflog.Info(ctx, "Image data is missing from stores this copy-image import manages", map[string]any{
				"image_id": img.ID, "missing": strings.Join(without(want, keep), ","),
			})
			state.Stores = stringSet(keep)
		}
	}
	if state.AllStores.ValueBool() {
		copied := setElements(state.CopiedStores)
		if lost := without(copied, storesWithData(copied, img)); len(lost) > 0 {
			tflog.Info(ctx, "Image data is missing from stores this all_stores copy-image import copied to", map[string]any{
				"image_id": img.ID, "missing": strings.Join(lost, ","),
			})
			state.AllStores = types.BoolValue(false)
		}
	}
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
	id := plan.ImageID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)

	var img *glance.Image
	var copied []string
	if plan.Method.ValueString() == glance.MethodCopyImage {
		img, copied = r.updateCopies(ctx, &resp.Diagnostics, plan, state)
	} else {
		img, copied = r.updateAdopted(ctx, &resp.Diagnostics, plan, state)
	}
	if img == nil {
		return
	}
	// A new or changed checksum is verified against what is known of the data.
	if !plan.Checksum.IsNull() && !plan.Checksum.Equal(state.Checksum) {
		var staged glance.Digests
		if b, d := req.Private.GetKey(ctx, imageImportStagedKey); !d.HasError() && len(b) > 0 {
			_ = json.Unmarshal(b, &staged)
		}
		unverified, err := glance.CompareChecksum(plan.Checksum.ValueString(), img, staged)
		addChecksumUnverified(&resp.Diagnostics, unverified)
		if err != nil {
			addChecksumError(&resp.Diagnostics, err, true)
			return
		}
	}
	plan.ID = types.StringValue(id)
	planned := plan
	flattenImageImport(&plan, img, copied)
	keepPlannedImageImport(&plan, planned)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// updateCopies brings a copy-image import's stores in line with the plan. It returns the image
// afterwards and the copies this resource owns, or a nil image after an error.
func (r *ImageImportResource) updateCopies(ctx context.Context, diags *diag.Diagnostics, plan, state imageImportModel) (*glance.Image, []string) {
	id := plan.ImageID.ValueString()
	res, err := r.meta.client.UpdateCopies(ctx, id, glance.CopiesUpdate{
		Request:  expandImageImport(ctx, plan).Request,
		Copied:   setElements(state.CopiedStores),
		Previous: setElements(state.Stores),
	})
	addCopiesWarnings(diags, id, res)
	if err != nil {
		addCopiesError(diags, plan, err)
		return nil, nil
	}
	return res.Image, res.Copied
}

// updateAdopted reads the image of a data import whose arguments change in place: after
// terraform import, or a change of all_stores_must_succeed or checksum.
func (r *ImageImportResource) updateAdopted(ctx context.Context, diags *diag.Diagnostics, plan, state imageImportModel) (*glance.Image, []string) {
	id := plan.ImageID.ValueString()
	img, err := r.meta.client.GetImage(ctx, id)
	if err != nil {
		diags.Append(imageReadDiag(id, err))
		return nil, nil
	}
	if state.Method.IsNull() {
		if missing := without(setElements(plan.Stores), img.Stores); len(missing) > 0 {
			diags.AddAttributeWarning(path.Root("stores"), "Imported Image Is Not in Every Configured Store",
				fmt.Sprintf("Image %s holds its data in %s, not in %s that the configuration names. Glance does not report how an image was "+
					"imported, so the configuration is recorded as it is. Use a copy-image import to add the data to more stores.",
					id, listOrNoStore(img.Stores), strings.Join(missing, ", ")))
		}
	}
	return img, setElements(state.CopiedStores)
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
	removal, err := r.meta.client.DeleteCopies(ctx, id, copied)
	addRemovalWarnings(&resp.Diagnostics, id, copied, removal)
	if err != nil {
		resp.Diagnostics.Append(storeDeleteDiag(id, err, path.Empty()))
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
	problems := importValueProblems(importValues{
		StoresAndAllStores: cfg.AllStores.ValueBool() && !cfg.Stores.IsNull(),
		Checksum:           knownString(cfg.Checksum),
		File:               knownString(cfg.File),
		URI:                knownString(cfg.URI),
	})
	if !cfg.Method.IsNull() && !cfg.Method.IsUnknown() {
		problems = append(problems, importArgumentProblems(cfg.Method.ValueString(), importArgumentsSet(cfg))...)
		problems = append(problems, importMethodProblems(importMethodFacts{
			Method: cfg.Method.ValueString(),
			SourceIsTarget: !cfg.GlanceImageID.IsNull() && !cfg.GlanceImageID.IsUnknown() && !cfg.ImageID.IsUnknown() &&
				cfg.GlanceImageID.Equal(cfg.ImageID),
			NoTargetStores: cfg.Stores.IsNull() && !cfg.AllStores.IsUnknown() && !cfg.AllStores.ValueBool(),
		})...)
	}
	for _, p := range problems {
		resp.Diagnostics.Append(p.diagnostic())
	}
}

// importArgumentsSet says which method arguments the configuration sets (unknown counts as set).
func importArgumentsSet(cfg imageImportModel) map[string]bool {
	return map[string]bool{
		"file":                     !cfg.File.IsNull(),
		"uri":                      !cfg.URI.IsNull(),
		"glance_image_id":          !cfg.GlanceImageID.IsNull(),
		"glance_region":            !cfg.GlanceRegion.IsNull(),
		"glance_service_interface": !cfg.GlanceServiceInterface.IsNull(),
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
	if cfg.GlanceServiceInterface.IsNull() {
		plan.GlanceServiceInterface = plannedServiceInterface(plan.Method)
	}
	change := importPlanChange{Creating: state == nil}
	if state != nil {
		replace := imageImportReplacePaths(*state, plan)
		resp.RequiresReplace = append(resp.RequiresReplace, replace...)
		change = newImportPlanChange(*state, plan, len(replace) > 0)
		if !change.Creating {
			planInPlaceComputed(&plan, *state)
		}
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.planImportFileFormat(ctx, &resp.Diagnostics, plan, change)
	// Checks against the cloud, only for what this plan changes, and silently skipped while
	// the provider configuration is not known yet.
	if !r.meta.canCall() {
		return
	}
	r.checkPlanAgainstCloud(ctx, &resp.Diagnostics, plan, change)
}

// plannedServiceInterface is the planned glance_service_interface when the configuration does
// not set it: public, but only for glance-download.
func plannedServiceInterface(method types.String) types.String {
	switch {
	case method.IsUnknown():
		return types.StringUnknown()
	case method.ValueString() == glance.MethodGlanceDownload:
		return types.StringValue(imageImportDefaultInterface)
	}
	return types.StringNull()
}

// planInPlaceComputed plans the computed values of an in-place change: they stay, unless data
// moves between stores (copy-image), which changes the stores.
func planInPlaceComputed(plan *imageImportModel, state imageImportModel) {
	moving := copiesMove(plan.Method.ValueString(), state.Method.IsNull(), !plan.Stores.Equal(state.Stores), !plan.AllStores.Equal(state.AllStores))
	if moving {
		plan.Status, plan.FailedStores = state.Status, types.SetUnknown(types.StringType)
	} else {
		plan.Status, plan.ImageStores, plan.FailedStores, plan.CopiedStores = state.Status, state.ImageStores, state.FailedStores, state.CopiedStores
	}
	plan.OSHashAlgo, plan.OSHashValue = state.OSHashAlgo, state.OSHashValue
}

// newImportPlanChange says what an update of state to plan changes.
func newImportPlanChange(state, plan imageImportModel, replacing bool) importPlanChange {
	return importPlanChange{
		Creating:         replacing,
		MethodChanged:    !plan.Method.Equal(state.Method),
		StoresChanged:    !plan.Stores.Equal(state.Stores),
		AllStoresChanged: !plan.AllStores.Equal(state.AllStores),
	}
}

// checkPlanAgainstCloud checks the plan against what the cloud offers: the import method, the
// stores, the token catalog for glance-download, and whether the image can take the import.
func (r *ImageImportResource) checkPlanAgainstCloud(ctx context.Context, diags *diag.Diagnostics, plan imageImportModel, change importPlanChange) {
	c := r.meta.client
	methodOffered := true
	if m := plan.Method; !m.IsUnknown() && change.methodNew() {
		methods, err := c.CachedImportMethods(ctx)
		if err != nil {
			tflog.Warn(ctx, "Cannot read the cloud's import methods; not checking method at plan time", map[string]any{"error": err.Error()})
		} else if p := methodNotOffered(m.ValueString(), methods); p != nil {
			methodOffered = false
			diags.Append(p.diagnostic())
		}
	}
	stores := planStoreChoice(plan, change, methodOffered)
	if stores.any() {
		list, err := c.CachedStores(ctx)
		if err != nil && !glance.IsUnsupported(err) {
			tflog.Warn(ctx, "Cannot read the cloud's stores; not checking stores at plan time", map[string]any{"error": err.Error()})
		} else {
			for _, p := range storeProblems(stores, list, glance.IsUnsupported(err)) {
				diags.Append(p.diagnostic())
			}
		}
	}
	r.checkCatalog(diags, plan, change)
	r.checkImageAtPlan(ctx, diags, plan, change)
}

// planStoreChoice is what a plan chooses about stores, for the store checks: only what changes.
func planStoreChoice(plan imageImportModel, change importPlanChange, methodOffered bool) storeChoice {
	var s storeChoice
	s.CopyImage = methodOffered && !plan.Method.IsUnknown() && plan.Method.ValueString() == glance.MethodCopyImage && change.methodNew()
	s.AllStores = !plan.AllStores.IsUnknown() && plan.AllStores.ValueBool() && (change.Creating || change.AllStoresChanged)
	if !plan.Stores.IsNull() && !plan.Stores.IsUnknown() && (change.Creating || change.StoresChanged) {
		s.Stores, s.StoresSet = setElements(plan.Stores), true
	}
	return s
}

// checkCatalog: glance-download looks the source region up in the caller's token catalog, and
// an unknown region fails only at apply with a generic "Internal Error". The provider's token
// has the same catalog (none with token + endpoint auth: then Glance is trusted to know). Both
// values replace the import when they change, so creating covers every change.
func (r *ImageImportResource) checkCatalog(diags *diag.Diagnostics, plan imageImportModel, change importPlanChange) {
	if plan.Method.ValueString() != glance.MethodGlanceDownload || plan.GlanceRegion.IsNull() || plan.GlanceRegion.IsUnknown() ||
		plan.GlanceServiceInterface.IsUnknown() || !change.Creating {
		return
	}
	endpoints, ok := r.meta.imageEndpoints()
	if !ok {
		return
	}
	iface := plan.GlanceServiceInterface.ValueString()
	if iface == "" {
		iface = imageImportDefaultInterface
	}
	if p := catalogProblem(endpoints, plan.GlanceRegion.ValueString(), iface); p != nil {
		diags.Append(p.diagnostic())
	}
}

// checkImageAtPlan: a data import into an image that already has data cannot work: say so now
// rather than after Terraform has dropped the old import. As a warning: terraform destroy plans
// the configuration first, and an error here would keep the image from being destroyed (after
// a failed import, say). Create refuses it before sending anything.
func (r *ImageImportResource) checkImageAtPlan(ctx context.Context, diags *diag.Diagnostics, plan imageImportModel, change importPlanChange) {
	if !change.Creating || plan.Method.IsUnknown() || plan.ImageID.IsUnknown() || !isDataMethod(plan.Method.ValueString()) {
		return
	}
	id := plan.ImageID.ValueString()
	err := r.meta.client.ImportPrecondition(ctx, id, expandImageImport(ctx, plan).Request)
	var refused *glance.ImageStateError
	switch {
	case errors.As(err, &refused):
		d := imageStateDiag(refused)
		diags.AddAttributeWarning(path.Root("image_id"), d.Summary(), "The import will fail at apply. "+d.Detail())
	case glance.IsNotFound(err):
		// The image may be created by this apply (with an id chosen in the configuration).
	case err != nil:
		tflog.Warn(ctx, "Cannot read the image at plan time", map[string]any{"image_id": id, "error": err.Error()})
	}
}

// imageImportReplacePaths lists the changed arguments that need a new import.
func imageImportReplacePaths(state, plan imageImportModel) path.Paths {
	changed := map[string]bool{
		"image_id":                 !plan.ImageID.Equal(state.ImageID),
		"method":                   !plan.Method.Equal(state.Method),
		"file":                     !plan.File.Equal(state.File),
		"uri":                      !plan.URI.Equal(state.URI),
		"glance_image_id":          !plan.GlanceImageID.Equal(state.GlanceImageID),
		"glance_region":            !plan.GlanceRegion.Equal(state.GlanceRegion),
		"glance_service_interface": !plan.GlanceServiceInterface.Equal(state.GlanceServiceInterface),
		"stores":                   !plan.Stores.Equal(state.Stores),
		"all_stores":               !plan.AllStores.Equal(state.AllStores),
	}
	var paths path.Paths
	for _, name := range importReplaceArguments(state.Method.IsNull(), state.Method.ValueString(), plan.Method.ValueString(), changed) {
		paths = append(paths, path.Root(name))
	}
	return paths
}

// expandImageImport builds the import, as the client takes it, from the plan.
func expandImageImport(ctx context.Context, m imageImportModel) glance.ImportSpec {
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
	spec := glance.ImportSpec{Request: req, Checksum: m.Checksum.ValueString()}
	if req.Method.Name == glance.MethodGlanceDirect {
		spec.File = m.File.ValueString()
	}
	return spec
}

// flattenImageImport copies what Glance reports into the model.
func flattenImageImport(m *imageImportModel, img *glance.Image, copied []string) {
	m.ID = types.StringValue(img.ID)
	m.Status = types.StringValue(img.Status)
	m.ImageStores = stringSet(img.Stores)
	m.FailedStores = stringSet(img.FailedImport)
	m.CopiedStores = stringSet(copied)
	m.OSHashAlgo = types.StringValue(img.OSHashAlgo)
	m.OSHashValue = types.StringValue(img.OSHashValue)
}

// keepPlannedImageImport keeps the computed values the plan already knew: another resource of
// the same apply (glance_image deactivating the image, another copy-image import) may change
// them meanwhile, and Terraform requires an apply to return what its plan promised. The next
// refresh reports the new values.
func keepPlannedImageImport(m *imageImportModel, planned imageImportModel) {
	keepPlanned(&m.Status, planned.Status)
	keepPlanned(&m.ImageStores, planned.ImageStores)
	keepPlanned(&m.FailedStores, planned.FailedStores)
	keepPlanned(&m.CopiedStores, planned.CopiedStores)
	keepPlanned(&m.OSHashAlgo, planned.OSHashAlgo)
	keepPlanned(&m.OSHashValue, planned.OSHashValue)
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
