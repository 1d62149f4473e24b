package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/digestcache"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ resource.ResourceWithConfigure      = &ImageResource{}
	_ resource.ResourceWithImportState    = &ImageResource{}
	_ resource.ResourceWithValidateConfig = &ImageResource{}
	_ resource.ResourceWithModifyPlan     = &ImageResource{}
	_ resource.ResourceWithMoveState      = &ImageResource{}
)

// NewImageResource is the glance_image constructor.
func NewImageResource() resource.Resource { return &ImageResource{} }

// ImageResource manages an image record and streams its data into Glance during apply.
type ImageResource struct {
	meta *providerMeta
}

// Allowed values; each list feeds both a validator and a description.
var (
	imageDiskFormats      = []string{"raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "iso", "ploop", "aki", "ari", "ami"}
	imageContainerFormats = []string{"bare", "ovf", "ova", "aki", "ari", "ami", "docker", "compressed"}
	imageVisibilities     = []string{"private", "shared", "community", "public"}
)

const (
	imageCreateTimeout = 60 * time.Minute
	imageUpdateTimeout = 20 * time.Minute
	imageDeleteTimeout = 10 * time.Minute
	// imageFingerprintKey holds, in private state, what the source file looked like when its
	// content was last hashed, so that plans hash it again only when it changed.
	imageFingerprintKey = "source_fingerprint"
	// imageAdoptedPropertiesKey lists the properties terraform import adopted; those the
	// configuration then leaves out are kept in Glance, not deleted (imageKeepPropertiesKey
	// carries them from the plan to the update).
	imageAdoptedPropertiesKey = "adopted_properties"
	imageKeepPropertiesKey    = "keep_properties"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (r *ImageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

//nolint:funlen // schema builder: one entry per attribute, each with its full description
func (r *ImageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computedString := func(desc string, stable bool) schema.StringAttribute {
		a := schema.StringAttribute{Computed: true, MarkdownDescription: desc}
		if stable {
			a.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
		}
		return a
	}
	computedInt := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc,
			PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "An image in the Image service. With `source`, the provider streams the image data from a local file " +
			"or an HTTP(S) URL into Glance during apply, in one pass that decompresses (optionally), hashes and uploads, then waits " +
			"for the image to become `active` and verifies Glance's `os_hash_value` against what it sent. If anything fails after " +
			"the image record was created, the provider deletes the image: a failed apply leaves nothing behind. An apply that is " +
			"killed (SIGKILL, an OOM killer, a CI timeout) cannot clean up: until its data is verified, the image carries the property `" +
			glance.PendingProperty + "`, and the next apply of the same image (same project, name, formats, source and store) adopts it " +
			"when its data verifies against the source, or deletes it and creates the image again.\n\n" +
			"Without `source` the resource is an image record only, for example the target of a `glance_image_import`.\n\n" +
			"A replacement deletes the old image before it creates the new one, unless `lifecycle { create_before_destroy = true }` " +
			"is set: use it for images that servers still boot from. A protected image (`protected = true`) is neither destroyed nor " +
			"replaced: the plan fails and says to set `protected = false` first.\n\n" +
			"When the content of a source file changes, the plan replaces the image and says why. Touching or moving a file " +
			"without changing its content plans no change, and the file is hashed at most once: the provider remembers its digest " +
			"with the file's identity (size, modification time, inode, device and change time) in private state and in a small digest " +
			"cache on disk (`os.UserCacheDir()/terraform-provider-glance/digests`; `GLANCE_DIGEST_CACHE_DIR` moves it, `off` disables " +
			"it). A file rewritten in place with its old size and modification time restored is still hashed again: its change " +
			"time moved (on Windows, which has none, such a rewrite goes unnoticed).\n\n" +
			"After `terraform import`, a declared `source` is compared with the image as far as that is cheap: a `file` is hashed and " +
			"compared with `os_hash_value`; for a `url` without `decompress`, the length the server announces (`Content-Length` of a " +
			"HEAD, else of a GET whose body is not read) is compared with `size`, and a `checksum` must be one of the image's own " +
			"digests (its `os_hash_algo` or md5). " +
			"A difference replaces the image, with the reason in the plan. The bytes behind a URL are not downloaded: a URL that serves " +
			"other data of the same size, or whose length is unknown (chunked, compressed with `decompress`), is adopted as it is, and " +
			"the plan warns when nothing could be compared.",
		Attributes: map[string]schema.Attribute{
			"region": regionResourceAttribute("image"),
			"id": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Image UUID. Optional: set it to choose the id; by default the provider generates one before " +
					"creating the image, so that a create whose answer is lost can be recovered instead of leaving an orphan. Changing it replaces the image. " +
					"While it is set, a change that would replace the image (new source data, `disk_format`, `container_format`, `store`) is a " +
					"plan error: Glance never reuses an image id, so the new image could not get it. Remove `id` to let the provider choose a new one.",
				Validators:    []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be a UUID such as 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{Required: true, MarkdownDescription: "Image name. Names need not be unique.",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 255), glanceTextValidator{}}},
			"disk_format": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Format of the disk image: " + quotedList(imageDiskFormats) + ". Changing it replaces the image. " +
					"With `source`, the provider reads the data's first bytes (and a VHD's last 512) and checks them: content of another " +
					"format is a plan error naming what was found, and an unsafe image (a qcow2 with a backing or data file, a VMDK " +
					"with separate extents, a differencing VHD/VHDX/VDI, QED) is always an error. Optional with `source`: left out, it " +
					"is inferred from the content, shown in the plan for a file (and for a URL whose server answers Range requests), " +
					"after apply otherwise. Required without `source`. See the disk formats guide.",
				Validators:    []validator.String{stringvalidator.OneOf(imageDiskFormats...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
			},
			"container_format": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("bare"),
				MarkdownDescription: "Container format: " + quotedList(imageContainerFormats) + ". Default: `bare`, also when `disk_format` " +
					"is inferred: the provider never guesses a container (an OVA is a tar archive of disks, declared as such). Changing it replaces the image.",
				Validators:    []validator.String{stringvalidator.OneOf(imageContainerFormats...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"visibility": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("private"),
				MarkdownDescription: "Who can see the image: " + quotedList(imageVisibilities) + ". Default: `private`. " +
					"Use `shared` to add members with `glance_image_member`; `public` usually needs the admin role.",
				Validators: []validator.String{stringvalidator.OneOf(imageVisibilities...)},
			},
			"protected": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "A protected image cannot be deleted: set it to `false` and apply before destroying or replacing it " +
					"(the plan fails until then). Default: `false`."},
			"hidden": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Hide the image from default image lists (`os_hidden`). Default: `false`."},
			"min_disk_gb": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(0),
				Validators:          []validator.Int64{int64validator.Between(0, math.MaxInt32)},
				MarkdownDescription: "Minimum disk size in GiB a server booted from the image needs. Default: `0`."},
			"min_ram_mb": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(0),
				Validators:          []validator.Int64{int64validator.Between(0, math.MaxInt32)},
				MarkdownDescription: "Minimum RAM in MiB a server booted from the image needs. Default: `0`."},
			"tags": schema.SetAttribute{
				Optional: true, Computed: true, ElementType: types.StringType,
				Default:    setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 255), glanceTextValidator{})},
				MarkdownDescription: "Image tags. Default: none. Authoritative: the image ends up with exactly these tags, so tags added " +
					"out of band (by another tool or by hand) show as drift and are removed at the next apply.",
			},
			"properties": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.LengthBetween(1, 255), glanceTextValidator{}),
					mapvalidator.ValueStringsAre(glanceTextValidator{})},
				MarkdownDescription: "Custom image properties, such as `os_distro` or `hw_disk_bus`. Not authoritative: only the keys " +
					"declared here are managed (set, changed, and deleted when removed from this map); properties that Glance or other tools " +
					"add are left alone and never show as drift (see `all_properties`). After `terraform import` every property counts as " +
					"declared until the first apply, which leaves those the configuration does not declare in Glance. " +
					"Schema attributes (`name`, `status`, …), the reserved `os_glance_*` keys and `" + glance.PendingProperty + "` (the provider's " +
					"mark of an image whose create has not finished) cannot be set here.",
			},
			"deactivated": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Deactivate the image: its data cannot be downloaded or booted by non-admins until it is reactivated. Default: `false`."},
			"store": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Store to upload the data to (`X-Image-Meta-Store`), one of the ids `glance_stores` lists; default: " +
					"the cloud's default store. Checked at plan time. Only used with `source`; with `source`, changing it replaces the " +
					"image. To copy data to more stores use `glance_image_import` with `copy-image`.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(storeChangeReplaces,
					"With source, a new store means a new upload.", "With `source`, a new store means a new upload.")},
			},
			"source": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Where the image data comes from. Exactly one of `file` and `url`. Without `source` the image is a record " +
					"only. The data is streamed once: read, optionally decompressed, hashed and sent together, with memory flat whatever " +
					"the size. The size is sent as `Content-Length` when known; decompressed or chunked URL data is sent chunked (some " +
					"Glance front ends need a length: use `glance_image_import` with `glance-direct` for them).",
				Attributes: map[string]schema.Attribute{
					"file": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
						MarkdownDescription: "Path of a local file. Moving the file to another path without changing its content does not replace the " +
							"image: the plan records the new path in place, without an API call."},
					"url": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
						MarkdownDescription: "HTTP(S) URL the provider downloads and streams into Glance (Glance itself never sees the URL; " +
							"compare `glance_image_import` with `web-download`). Changing it replaces the image. After `terraform import`, its " +
							"`Content-Length` is compared with the image's `size` (see above). The URL is kept in state and shown in " +
							"plans (messages and logs leave out its credentials and query): put credentials in `headers`, not in the URL."},
					"headers": schema.MapAttribute{Optional: true, Sensitive: true, WriteOnly: true, ElementType: types.StringType,
						MarkdownDescription: "HTTP headers sent with the `url` request, for example `Authorization`. Write-only: never stored in state or logged."},
					"decompress": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("none"),
						Validators: []validator.String{stringvalidator.OneOf(glance.DecompressModes...)},
						MarkdownDescription: "Decompress the source while streaming it: " + quotedList(glance.DecompressModes) +
							". `auto` recognises gzip, bzip2, xz and zstd by their first bytes and sends anything else as it is. Default: `none`. " +
							"Decoding runs beside hashing and sending. Decoder memory is bounded whatever the data declares: gzip ~40 KiB, bzip2 ~10 MiB, " +
							"xz the dictionary the file declares (8 MiB at xz's default level; more than 64 MiB is refused), " +
							"zstd the frame's window (a few MiB at zstd's default levels; more than 128 MiB is refused)."},
					"checksum": schema.StringAttribute{Optional: true,
						MarkdownDescription: "Expected digest of the (decompressed) data: `sha256:<hex>`, `sha512:<hex>` or `md5:<hex>`. " +
							"Verified while streaming; a mismatch fails the apply and deletes the image. On an existing image, a changed checksum " +
							"is checked at plan time against the file (or the image's own digests) and replaces the image only when the data differs; " +
							"a mismatch with the file is a plan error. Letter case does not matter."},
				},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: "How long the upload and the wait for `active` may take. Default: 60m."}),
			"status":        computedString("Image status: `queued` (no data), `saving`, `importing`, `active`, `deactivated`, `killed`, …", false),
			"size":          computedInt("Size of the stored data in bytes."),
			"virtual_size":  computedInt("Virtual size of the disk in bytes, when Glance knows it (0 otherwise)."),
			"checksum":      computedString("MD5 of the stored data, as Glance reports it.", true),
			"os_hash_algo":  computedString("Algorithm of `os_hash_value`, usually `sha512`.", true),
			"os_hash_value": computedString("Glance's secure hash of the stored data; the provider verifies it against the data it sent.", true),
			"owner":         computedString("Project that owns the image.", true),
			"stores": schema.ListAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Stores that hold the image data."},
			"all_properties": schema.MapAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Every custom property the image has, including those Glance or other tools added."},
			"created_at": computedString("Creation time (RFC 3339).", true),
			"updated_at": computedString("Last update time (RFC 3339).", false),
			"file":       computedString("API path of the image data.", true),
			"schema":     computedString("API path of the image schema.", true),
		},
	}
}

func (r *ImageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, imageCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var headers map[string]string
	if plan.Source != nil {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("source").AtName("headers"), &headers)...)
	}
	if !r.inspectBeforeCreate(ctx, &plan, headers, &resp.Diagnostics) {
		return // nothing created: the source's format is wrong, unsafe or unknown
	}
	createReq, diags := expandImageCreate(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if createReq.ID == "" {
		// Chosen here, not by Glance: a create whose answer is lost can then be found again.
		createReq.ID = uuid.NewString()
	}
	// Protected and hidden only once the data is verified (FinishImage): a protected image could
	// not be deleted after a failed upload, and a hidden one not found by the next apply.
	finish := glance.FinishOptions{Deactivate: plan.Deactivated.ValueBool(), Protect: createReq.Protected, Hide: createReq.Hidden}
	ctx = tflog.SetField(ctx, "image_id", createReq.ID)
	// Marked as pending until FinishImage: an apply killed before Terraform saved the id
	// leaves an image the next create finds by its mark, and adopts or deletes.
	created, err := r.meta.client.CreatePendingImage(ctx, createReq, imagePendingCreate(plan, headers, r.meta.projectID))
	if err != nil {
		addCreateImageError(&resp.Diagnostics, createReq, !plan.ID.IsNull() && !plan.ID.IsUnknown(), err, r.meta.client.OverQuotaDetail(ctx, err))
		return
	}
	img := created.Image
	if len(created.Discarded) > 0 || created.Adopted || created.Reused {
		tflog.Warn(ctx, "An interrupted earlier create of this image left images behind", map[string]any{
			"deleted": created.Discarded, "adopted": created.Adopted, "reused": created.Reused, "image_id": img.ID,
		})
	}
	// Track the image at once: a create that fails after this point keeps it in state.
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), img.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("region"), plan.Region)...)
	done, fingerprint, failure := r.completeCreate(ctx, img, plan, headers, finish, created.Adopted)
	if failure != nil {
		r.failCreate(ctx, img.ID, failure, resp)
		return
	}
	state := plan
	flattenImage(done, &state, false)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(imageIdentity.set(ctx, resp.Identity, state.Region, state.ID)...)
	if fingerprint != nil {
		resp.Diagnostics.Append(fingerprint.save(ctx, resp.Private)...)
	}
}

// addCreateImageError words a failed POST; an id chosen in the configuration that Glance
// already has gets advice of its own, and a quota refusal its quota (quota, "" otherwise).
func addCreateImageError(diags *diag.Diagnostics, req glance.CreateImageRequest, idConfigured bool, err error, quota string) {
	var leftover *glance.StepError
	if errors.As(err, &leftover) {
		diags.AddError("Error Taking Over an Interrupted Create", leftoverDetail(req.Name, leftover))
		return
	}
	if glance.IsConflict(err) && idConfigured {
		diags.AddAttributeError(path.Root("id"), "Image ID Already Taken",
			fmt.Sprintf("Glance already has an image with id %s (%s). Choose another id, leave id unset, or adopt the image with "+
				"terraform import glance_image.NAME %s.", req.ID, err, req.ID))
		return
	}
	detail := imageAPIErrorDetail("creating image "+req.Name, err)
	if quota != "" {
		detail += "\n\n" + quota
	}
	diags.AddError("Error Creating Image", detail)
}

// leftoverDetail words what went wrong with an image an interrupted earlier create of name
// left (glance.CreatePendingImage's *StepError).
func leftoverDetail(name string, step *glance.StepError) string {
	id := step.ImageID
	var state *glance.ImageStateError
	switch {
	case step.Step == glance.StepFindLeftovers:
		return fmt.Sprintf("Before creating image %s, listing the images an interrupted earlier apply may have left (property %s) failed: %s. "+
			"Apply again once Glance answers.", name, glance.PendingProperty, step.Err)
	case step.Step == glance.StepDiscardLeftover:
		return fmt.Sprintf("Image %s was left unfinished by an interrupted earlier apply of image %s; deleting it failed: %s. "+
			"Delete it yourself (unprotect it first if it is protected) and apply again.", id, name, step.Err)
	case errors.As(step.Err, &state) && state.Problem == glance.ImageBusy:
		return fmt.Sprintf("Image %s, which has the id this configuration sets, was left by an interrupted earlier apply and is still %s. "+
			"Wait until Glance has finished with it (queued or active) and apply again.", id, state.Status)
	case errors.As(step.Err, &state):
		return fmt.Sprintf("Image %s, which has the id this configuration sets, was left by an interrupted earlier apply with status %s and data "+
			"that cannot be shown to be this source's. Glance never gives an id twice, so it can neither be filled again nor made again: "+
			"delete the image and remove id from the configuration (or choose another id).", id, state.Status)
	}
	return fmt.Sprintf("Taking over image %s, left by an interrupted earlier apply of image %s, failed: %s.", id, name, step.Err)
}

// imageCreateFailure is a failure after the image record was created: the diagnostic the
// caller reports once it deleted the image.
type imageCreateFailure struct{ summary, detail string }

// completeCreate does what follows the POST: upload the source (unless the image is a
// leftover whose data was verified), deactivate, protect, hide and unmark (last, so that a
// failure before it can still delete the image).
func (r *ImageResource) completeCreate(ctx context.Context, img *glance.Image, plan imageModel, headers map[string]string, finish glance.FinishOptions, adopted bool) (*glance.Image, *imageFingerprint, *imageCreateFailure) {
	var fingerprint *imageFingerprint
	switch {
	case plan.Source != nil && adopted:
		if _, filePath := imageSource(plan.Source, headers); filePath != "" {
			st, _ := os.Stat(filePath)
			fingerprint = unchangedFileFingerprint(filePath, st, plan.Source.Decompress.ValueString(), img)
		}
	case plan.Source != nil:
		var failure *imageCreateFailure
		if img, fingerprint, failure = r.uploadImageData(ctx, img.ID, plan, headers); failure != nil {
			return nil, nil, failure
		}
	}
	img, err := r.meta.client.FinishImage(ctx, img, finish)
	if err != nil {
		return nil, nil, finishFailure(err)
	}
	return img, fingerprint, nil
}

// finishFailure maps the errors of glance.FinishImage to their diagnostics.
func finishFailure(err error) *imageCreateFailure {
	var step *glance.StepError
	if !errors.As(err, &step) {
		return &imageCreateFailure{"Error Creating Image", err.Error()}
	}
	id := step.ImageID
	var state *glance.ImageStateError
	switch {
	case errors.As(err, &state):
		return &imageCreateFailure{"Error Deactivating Image", fmt.Sprintf("Image %s has status %q: only an image with data (active) can be deactivated. Add a source, or set deactivated = false.", id, state.Status)}
	case step.Step == glance.StepDeactivate:
		return &imageCreateFailure{"Error Deactivating Image", imageAPIErrorDetail("deactivating image "+id, step.Err)}
	case step.Step == glance.StepProtect:
		return &imageCreateFailure{"Error Protecting Image", imageAPIErrorDetail("setting protected on image "+id, step.Err)}
	case step.Step == glance.StepFinish:
		return &imageCreateFailure{"Error Finishing Image", imageAPIErrorDetail("setting os_hidden and removing the pending mark of image "+id, step.Err)}
	case step.Step == glance.StepReactivate:
		return &imageCreateFailure{"Error Reactivating Image", imageAPIErrorDetail("reactivating image "+id+" (deactivated by an interrupted earlier apply)", step.Err)}
	}
	return &imageCreateFailure{"Error Reading Image", imageAPIErrorDetail("reading image "+id, step.Err)}
}

// failCreate deletes the image of a failed create and reports the failure; when the delete
// fails too, the image stays in state (tainted) for the next apply or destroy.
func (r *ImageResource) failCreate(ctx context.Context, id string, f *imageCreateFailure, resp *resource.CreateResponse) {
	if err := r.cleanupFailedCreate(ctx, id); err != nil {
		resp.Diagnostics.AddError(f.summary, fmt.Sprintf("%s\n\nDeleting image %s after this failure failed too: %s. "+
			"It stays in state (tainted) so that the next apply or destroy removes it.", f.detail, id, err))
		return
	}
	resp.Diagnostics.AddError(f.summary, f.detail+"\n\nThe image was deleted, so nothing is left behind; fix the cause and apply again.")
	resp.State.RemoveResource(ctx)
}

// uploadImageData puts the source into the image (glance.UploadImage: stream, checksum, wait
// for active, verify) and returns the active image and, when the source file did not change
// during the upload, its fingerprint.
func (r *ImageResource) uploadImageData(ctx context.Context, id string, plan imageModel, headers map[string]string) (*glance.Image, *imageFingerprint, *imageCreateFailure) {
	src, filePath := imageSource(plan.Source, headers)
	opts := glance.UploadOptions{Store: plan.Store.ValueString(), Decompress: plan.Source.Decompress.ValueString(), Checksum: plan.Source.Checksum.ValueString(),
		DiskFormat: plan.DiskFormat.ValueString()}
	var before os.FileInfo
	if filePath != "" {
		before, _ = os.Stat(filePath)
	}
	tflog.Info(ctx, "Uploading image data", map[string]any{"source": src.String(), "store": opts.Store})
	res, err := r.meta.client.UploadImage(ctx, id, src, opts)
	if err != nil {
		f := uploadFailure(id, src, err)
		if quota := r.meta.client.OverQuotaDetail(ctx, err); quota != "" {
			f.detail += "\n\n" + quota
		}
		return nil, nil, f
	}
	return res.Image, unchangedFileFingerprint(filePath, before, opts.Decompress, res.Image), nil
}

// uploadFailure maps the errors of glance.UploadImage to their diagnostics.
func uploadFailure(id string, src glance.Source, err error) *imageCreateFailure {
	if f := formatFailure(id, err); f != nil {
		return f
	}
	var mismatch *glance.ChecksumMismatchError
	var wait *glance.WaitError
	var verify *glance.VerificationError
	switch {
	case errors.As(err, &mismatch):
		return &imageCreateFailure{"Image Checksum Mismatch", fmt.Sprintf("The data of %s has %s %s, but source.checksum expects %s. "+
			"Check that the file or URL is the one you meant, or correct source.checksum.", src, mismatch.Algorithm, mismatch.Actual, mismatch.Expected)}
	case errors.As(err, &wait):
		return &imageCreateFailure{"Error Waiting for Image", fmt.Sprintf("After the upload of %s, image %s did not become active: %s", src, id, wait.Err)}
	case errors.As(err, &verify):
		return &imageCreateFailure{"Image Data Verification Failed", fmt.Sprintf("Image %s became active, but its data does not match what was sent from %s: %s. "+
			"If this repeats, something between the provider and Glance alters data.", id, src, verify.Err)}
	}
	hint := ""
	if errors.Is(err, context.DeadlineExceeded) {
		hint = " The create timeout ran out: raise timeouts.create (default 60m) for large images or slow links."
	}
	return &imageCreateFailure{"Error Uploading Image Data", fmt.Sprintf("Streaming %s into image %s failed: %s.%s", src, id, err, hint)}
}

// unchangedFileFingerprint is the fingerprint of the uploaded file, or nil when there is no
// file or it changed (size or modification time) since before the upload.
func unchangedFileFingerprint(filePath string, before os.FileInfo, decompress string, img *glance.Image) *imageFingerprint {
	if filePath == "" || before == nil {
		return nil
	}
	after, _ := os.Stat(filePath)
	if after == nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return nil
	}
	return newImageFingerprint(filePath, after, decompress, img.OSHashAlgo, img.OSHashValue)
}

// cleanupFailedCreate deletes an image whose create failed half-way, with a fresh context so
// that a timed-out create still cleans up.
func (r *ImageResource) cleanupFailedCreate(ctx context.Context, id string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	tflog.Warn(cctx, "Deleting the image after a failed create")
	return r.meta.client.DiscardPendingImage(cctx, id)
}

func (r *ImageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !imageIdentity.startRead(ctx, &r.meta, &state.Region, resp, state.ID) {
		return
	}
	ctx = tflog.SetField(ctx, "image_id", state.ID.ValueString())
	img, err := r.meta.client.GetImage(ctx, state.ID.ValueString())
	if glance.IsNotFound(err) {
		tflog.Warn(ctx, "Image not found; removing it from state")
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Reading Image", imageAPIErrorDetail("reading image "+state.ID.ValueString(), err))
		return
	}
	if img.Status == glance.StatusDeleted || img.Status == glance.StatusPendingDel {
		resp.State.RemoveResource(ctx)
		return
	}
	importing := state.Name.IsNull()
	flattenImage(img, &state, importing)
	if importing {
		state.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())}
		resp.Diagnostics.Append(savePrivateKeys(ctx, resp.Private, imageAdoptedPropertiesKey, mapKeys(state.Properties))...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(refreshImageFingerprint(ctx, state, req.Private, resp.Private)...)
}

// refreshImageFingerprint hashes a source file whose identity changed (a touch, a fresh
// checkout), unless the digest cache knows it as it is now, and keeps the new fingerprint. Only refresh can keep it when nothing else changes:
// a plan's private state is dropped when the plan is empty, and the file would be hashed on
// every run.
func refreshImageFingerprint(ctx context.Context, state imageModel, prior, next privateState) diag.Diagnostics {
	if state.Source == nil || state.Source.File.ValueString() == "" || state.OSHashValue.ValueString() == "" || next == nil {
		return nil
	}
	filePath, algo, decompress := state.Source.File.ValueString(), state.OSHashAlgo.ValueString(), state.Source.Decompress.ValueString()
	st, err := os.Stat(filePath)
	if err != nil || st.IsDir() {
		return nil // the plan reports it
	}
	fp, diags := loadImageFingerprint(ctx, prior)
	if fp.matches(filePath, st, decompress, algo) {
		return diags
	}
	digests, err := hashFileOnce(ctx, filePath, st, decompress, []string{algo})
	if err != nil {
		return diags // the plan reads it again and reports the error
	}
	return append(diags, newImageFingerprint(filePath, st, decompress, algo, digests[algo]).save(ctx, next)...)
}

func timeoutsAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType}
}

func (r *ImageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, imageUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := state.ID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)

	// Properties adopted at import that the configuration does not declare stay in Glance.
	keep, diags := loadPrivateKeys(ctx, req.Private, imageKeepPropertiesKey)
	resp.Diagnostics.Append(diags...)
	ops, diags := imagePatchOps(ctx, withoutProperties(state, keep), plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	img := r.updateImage(ctx, id, ops, plan.Deactivated.ValueBool(), state.Deactivated.ValueBool(), &resp.Diagnostics)
	if img == nil {
		return
	}
	newState := plan
	flattenImage(img, &newState, false)
	// Values the plan kept from the state stay as planned (Terraform requires it); a change made
	// meanwhile by another resource of the same apply shows at the next refresh.
	keepPlanned(&newState.Status, plan.Status)
	keepPlanned(&newState.Stores, plan.Stores)
	keepPlanned(&newState.AllProperties, plan.AllProperties)
	resp.Diagnostics.Append(resp.State.Set(ctx, &newState)...)
	resp.Diagnostics.Append(imageIdentity.set(ctx, resp.Identity, newState.Region, newState.ID)...)
	// After the first apply the configuration alone says which properties are managed.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, imageAdoptedPropertiesKey, nil)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, imageKeepPropertiesKey, nil)...)
}

// updateImage applies the patch operations, then the change of activation, and returns the
// image as Glance has it afterwards (nil after an error, reported in diags).
func (r *ImageResource) updateImage(ctx context.Context, id string, ops []glance.PatchOp, deactivate, deactivated bool, diags *diag.Diagnostics) *glance.Image {
	activation := glance.ActivationUnchanged
	switch {
	case deactivate && !deactivated:
		activation = glance.ActivationDeactivate
	case !deactivate && deactivated:
		activation = glance.ActivationReactivate
	}
	img, err := r.meta.client.ChangeImage(ctx, id, ops, activation)
	var step *glance.StepError
	switch {
	case err == nil:
		return img
	case !errors.As(err, &step):
		diags.AddError("Error Updating Image", imageAPIErrorDetail("updating image "+id, err))
	case step.Step == glance.StepPatch:
		diags.AddError("Error Updating Image", imageAPIErrorDetail("updating image "+id, step.Err))
	case step.Step == glance.StepDeactivate, step.Step == glance.StepReactivate:
		action := map[string]string{glance.StepDeactivate: "deactivating", glance.StepReactivate: "reactivating"}[step.Step]
		diags.AddError("Error Changing Image Activation", imageAPIErrorDetail(action+" image "+id, step.Err)+
			"\n\nOnly an image with data can be deactivated, and by default only its owner or an admin may do it.")
	default:
		diags.AddError("Error Reading Image", imageAPIErrorDetail("reading image "+id, step.Err))
	}
	return nil
}

// withoutProperties returns m without the named properties among its declared ones.
func withoutProperties(m imageModel, names []string) imageModel {
	if len(names) == 0 || m.Properties.IsNull() {
		return m
	}
	declared := map[string]attr.Value{}
	for k, v := range m.Properties.Elements() {
		if !slices.Contains(names, k) {
			declared[k] = v
		}
	}
	m.Properties = types.MapValueMust(types.StringType, declared)
	return m
}

// mapKeys lists the keys of a known map, sorted.
func mapKeys(m types.Map) []string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	keys := make([]string, 0, len(m.Elements()))
	for k := range m.Elements() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func savePrivateKeys(ctx context.Context, p privateState, key string, keys []string) diag.Diagnostics {
	if p == nil {
		return nil
	}
	if len(keys) == 0 {
		return p.SetKey(ctx, key, nil)
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return nil
	}
	return p.SetKey(ctx, key, b)
}

func loadPrivateKeys(ctx context.Context, p privateState, key string) ([]string, diag.Diagnostics) {
	if p == nil {
		return nil, nil
	}
	b, diags := p.GetKey(ctx, key)
	var keys []string
	if len(b) > 0 {
		_ = json.Unmarshal(b, &keys) // unreadable: nothing is kept
	}
	return keys, diags
}

func (r *ImageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &state.Region, &resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, imageDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := state.ID.ValueString()
	err := r.meta.client.DeleteImage(ctx, id)
	if glance.IsProtected(err) {
		resp.Diagnostics.AddError("Image Is Protected",
			fmt.Sprintf("Glance refused to delete image %s because it is protected. Set protected = false on the glance_image, "+
				"apply, and destroy again.\n\n%s", id, err))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Deleting Image", imageAPIErrorDetail("deleting image "+id, err))
	}
}

// ImportState takes an image id, with @<region> for another region than the provider's, or an
// identity (identity.go).
func (r *ImageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	imageIdentity.importState(ctx, req, resp)
}

func (r *ImageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg imageModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := imageConfigValues{PropertyKeys: mapKeys(cfg.Properties), StoreSet: !cfg.Store.IsNull()}
	if s := cfg.Source; s != nil {
		c.Source = &sourceConfig{
			FileSet: !s.File.IsNull(), URLSet: !s.URL.IsNull(),
			File: knownString(s.File), URL: knownString(s.URL), Checksum: knownString(s.Checksum),
			HeadersKnown: !s.Headers.IsNull() && !s.Headers.IsUnknown(),
		}
		if c.Source.File != nil {
			st, err := os.Stat(*c.Source.File)
			c.Source.FileIsDir = err == nil && st.IsDir()
		}
	}
	addPlanProblems(&resp.Diagnostics, imageConfigProblems(c))
	if p := diskFormatConfigProblem(cfg.DiskFormat.IsNull(), cfg.Source != nil); p != nil {
		addPlanProblems(&resp.Diagnostics, []planProblem{*p})
	}
}

// addPlanProblems reports the problems a decision found, on their attributes.
func addPlanProblems(diags *diag.Diagnostics, problems []planProblem) {
	for _, p := range problems {
		if p.Warning {
			diags.AddAttributeWarning(p.path(), p.Summary, p.Detail)
		} else {
			diags.AddAttributeError(p.path(), p.Summary, p.Detail)
		}
	}
}

func (r *ImageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() { // destroy
		var state imageModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if p := destroyProblem(state.ID.ValueString(), state.Protected.ValueBool()); p != nil {
			resp.Diagnostics.AddError(p.Summary, p.Detail)
		}
		return
	}
	var plan, state imageModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	r.meta = planRegion(ctx, r.meta, req, resp) // plan-time checks below ask the image's region
	r.recordPlannedVisibility(plan)
	img := imageFactsFrom(state)
	if !creating {
		planInPlaceValues(ctx, plan, state, req, resp)
	}
	r.checkStoreAndActivation(ctx, creating, plan, img, &resp.Diagnostics)
	src := knownSourceDecl(plan.Source)
	if creating {
		r.checkNewSource(ctx, src, &resp.Diagnostics)
		r.planSourceFormat(ctx, plan, req, resp)
		return
	}
	// An existing image: decide whether the declared source still describes its content, then
	// whether a replacement, for any reason, can be carried out.
	reason := planDataReplacement(ctx, img, src, req.Private, req.Config, resp)
	var configID types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("id"), &configID)...)
	changes := replacingChanges(replaceFieldsOf(state), replaceFieldsOf(plan), reason)
	addPlanProblems(&resp.Diagnostics, replacementProblems(replacementFacts{
		ConfigID: configID.ValueString(), StateID: state.ID.ValueString(), Protected: state.Protected.ValueBool(), Changes: changes}))
}

// recordPlannedVisibility tells the plans of glance_image_member which visibility the image
// will have.
func (r *ImageResource) recordPlannedVisibility(plan imageModel) {
	if r.meta == nil || plan.ID.IsUnknown() || plan.ID.IsNull() || plan.Visibility.IsUnknown() {
		return
	}
	r.meta.planned.setVisibility(plan.ID.ValueString(), plan.Visibility.ValueString())
}

// planDataReplacement decides whether an existing image must be replaced for its declared
// source (nil: none, or not known yet), plans the replacement and returns why ("" when not).
func planDataReplacement(ctx context.Context, img imageFacts, src *sourceDecl, prior privateState, config tfsdk.Config, resp *resource.ModifyPlanResponse) string {
	if src == nil {
		return ""
	}
	reason, compareFile := replaceReason(img, *src)
	if compareFile {
		reason = planFileReplaceReason(ctx, img, *src, prior, resp)
	}
	if reason == "" && adoptedURLCheck(img, *src) {
		reason = planAdoptedURLReason(ctx, img, *src, config, resp)
	}
	if reason != "" {
		planImageReplacement(ctx, img.ID, reason, resp)
	}
	return reason
}

// planAdoptedURLReason asks the server of source.url, without downloading, how many bytes it
// serves, and compares that with an adopted image's size (adoptedURLReplaceReason). When the
// server does not say, a warning says that nothing was compared.
func planAdoptedURLReason(ctx context.Context, img imageFacts, src sourceDecl, config tfsdk.Config, resp *resource.ModifyPlanResponse) string {
	var headerMap types.Map
	resp.Diagnostics.Append(config.GetAttribute(ctx, path.Root("source").AtName("headers"), &headerMap)...)
	if headerMap.IsUnknown() {
		return "" // known at apply only: compare at the next plan
	}
	headers := map[string]string{}
	if !headerMap.IsNull() {
		resp.Diagnostics.Append(headerMap.ElementsAs(ctx, &headers, false)...)
	}
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := glance.URLContentLength(hctx, src.URL, headers, nil)
	if err != nil || n <= 0 {
		why := "it does not send a Content-Length"
		if err != nil {
			why = err.Error()
		}
		resp.Diagnostics.AddAttributeWarning(path.Root("source").AtName("url"), "Source URL Not Compared With the Image",
			fmt.Sprintf("Image %s has no source recorded yet (it was imported), and the size of what %s serves could not be read: %s. "+
				"The image is adopted as it is; nothing says that it holds this URL's data.", img.ID, glance.RedactURL(src.URL), why))
		return ""
	}
	tflog.Info(ctx, "Compared the adopted image's size with source.url", map[string]any{"image_size": img.Size, "url_size": n})
	return adoptedURLReplaceReason(img.Size, n)
}

// replaceFieldsOf reads the values whose change replaces an image; unknown ones read as
// "(known after apply)", so that they count as changed, as they do for RequiresReplace.
func replaceFieldsOf(m imageModel) imageReplaceFields {
	value := func(v types.String) string {
		if v.IsUnknown() {
			return "(known after apply)"
		}
		return v.ValueString()
	}
	return imageReplaceFields{ID: value(m.ID), DiskFormat: value(m.DiskFormat), ContainerFormat: value(m.ContainerFormat),
		Store: value(m.Store), HasSource: m.Source != nil}
}

// quotaCheckMinBytes is the smallest source file whose size is checked against the quota at
// plan. Reading the usage costs Glance a second or more (with unified limits); a smaller file
// fails about as fast at upload, where a 413 names the quota, its limit and the usage.
const quotaCheckMinBytes = 2 << 30

// checkNewSource checks the source file of a new image: it exists, and, from 2 GiB on, fits in
// what the project's image_size_total quota has left (when the cloud reports usage; not checked
// when the file is decompressed, whose data size is unknown until it is read).
func (r *ImageResource) checkNewSource(ctx context.Context, src *sourceDecl, diags *diag.Diagnostics) {
	if src == nil || src.File == "" {
		return
	}
	st, ok := imageCheckFileExists(src.File, diags)
	if !ok || !r.meta.canCall() || src.Decompress != "none" || st.Size() < quotaCheckMinBytes {
		return
	}
	usage, err := r.meta.client.CachedUsage(ctx)
	if err != nil {
		tflog.Warn(ctx, "Could not read the quota usage to check the source file's size", map[string]any{"error": err.Error()})
		return
	}
	remaining, reported := usage.RemainingBytes(glance.QuotaImageSizeTotal)
	if p := fileQuotaProblem(src.File, st.Size(), remaining, reported); p != nil {
		addPlanProblems(diags, []planProblem{*p})
	}
}

// checkStoreAndActivation reports a store the cloud does not have (for a new image, when the
// provider can reach the cloud) and a deactivation of an image that has no data.
func (r *ImageResource) checkStoreAndActivation(ctx context.Context, creating bool, plan imageModel, img imageFacts, diags *diag.Diagnostics) {
	if creating && r.meta.canCall() && !plan.Store.IsNull() && !plan.Store.IsUnknown() {
		r.checkStore(ctx, plan.Store.ValueString(), diags)
	}
	if cannotDeactivate(creating, plan.Source != nil, img, plan.Deactivated.ValueBool()) {
		diags.AddAttributeError(path.Root("deactivated"), "Image Without Data Cannot Be Deactivated",
			"deactivated = true needs an image with data (active), and this one has none: add source, or import data with "+
				"glance_image_import and deactivate the image after that.")
	}
}

// planInPlaceValues keeps, in the plan of an existing image, the computed values an in-place
// update does not change (instead of showing them as known after apply; a replacement is
// planned again from scratch by Terraform, so this hides nothing there), and records which
// properties adopted by terraform import the update leaves in Glance.
func planInPlaceValues(ctx context.Context, plan, state imageModel, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	stateValues := map[string]attr.Value{"status": state.Status, "stores": state.Stores, "all_properties": state.AllProperties}
	for _, name := range keptInPlace(!plan.Deactivated.Equal(state.Deactivated), !plan.Properties.Equal(state.Properties)) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), stateValues[name])...)
	}
	if plan.Properties.IsUnknown() {
		return
	}
	// After terraform import every property counts as declared; those the configuration leaves
	// out are kept in Glance, not deleted.
	adopted, diags := loadPrivateKeys(ctx, req.Private, imageAdoptedPropertiesKey)
	resp.Diagnostics.Append(diags...)
	keep := keptImportedProperties(adopted, mapKeys(state.Properties), mapKeys(plan.Properties))
	if len(keep) > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("properties"), "Imported Properties Left in Place",
			fmt.Sprintf("Image %s was imported with the properties %s, which this configuration does not declare. The plan shows them "+
				"as removed from the managed properties, but the apply leaves them in Glance (all_properties still lists them). "+
				"To delete one, declare it, apply, then remove it.", state.ID.ValueString(), strings.Join(keep, ", ")))
	}
	resp.Diagnostics.Append(savePrivateKeys(ctx, resp.Private, imageKeepPropertiesKey, keep)...)
}

// planFileReplaceReason compares a source file with the existing image: it stats the file,
// hashes it only when its fingerprint changed or source.checksum needs it (keeping the new
// fingerprint), and returns why the image must be replaced, if it must. A declared checksum
// the file does not have is a plan error, caught before the old image is gone.
func planFileReplaceReason(ctx context.Context, img imageFacts, src sourceDecl, prior privateState, resp *resource.ModifyPlanResponse) string {
	st, err := os.Stat(src.File)
	if err != nil {
		if missingSourceFileIsWarning(img.Source, src.File) {
			resp.Diagnostics.AddAttributeWarning(path.Root("source").AtName("file"), "Source File Not Found",
				fmt.Sprintf("%s no longer exists; the image already holds its data, so nothing changes. Restore the file or remove source to silence this warning.", src.File))
			return ""
		}
		imageCheckFileExists(src.File, &resp.Diagnostics)
		return ""
	}
	if img.HashValue == "" || img.HashAlgo == "" {
		return "" // importing or uploading right now: nothing to compare yet
	}
	fp, diags := loadImageFingerprint(ctx, prior)
	resp.Diagnostics.Append(diags...)
	cached := ""
	if fp.matches(src.File, st, src.Decompress, img.HashAlgo) {
		cached = fp.Digest
	}
	algos, mismatch := fileHashAlgorithms(img, src, cached)
	digests := map[string]string{img.HashAlgo: cached}
	if mismatch == nil && len(algos) > 0 {
		if digests = hashSourceFile(ctx, src, st, algos, resp); digests == nil {
			return ""
		}
	}
	reason := ""
	if mismatch == nil {
		reason, mismatch = fileReplaceReason(img, src, digests)
	}
	if mismatch != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source").AtName("checksum"), "Source Checksum Mismatch",
			fmt.Sprintf("source.checksum: %s has %s %s, not %s. Correct source.checksum, or point source.file at the data you meant.",
				src.File, mismatch.Algorithm, mismatch.Actual, mismatch.Want))
		return ""
	}
	return reason
}

// hashSourceFile computes the digests algos (the first is the image's os_hash_algo) of the
// source file and keeps its new fingerprint; nil after an error, reported in resp.
func hashSourceFile(ctx context.Context, src sourceDecl, st os.FileInfo, algos []string, resp *resource.ModifyPlanResponse) map[string]string {
	digests, err := hashFileOnce(ctx, src.File, st, src.Decompress, algos)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source").AtName("file"), "Error Reading Source File",
			fmt.Sprintf("source.file: could not read %s to compare it with the image: %s", src.File, err))
		return nil
	}
	resp.Diagnostics.Append(newImageFingerprint(src.File, st, src.Decompress, algos[0], digests[algos[0]]).save(ctx, resp.Private)...)
	return digests
}

// planImageReplacement plans the replacement of an image whose data changed, and says why.
func planImageReplacement(ctx context.Context, id, reason string, resp *resource.ModifyPlanResponse) {
	resp.Diagnostics.AddAttributeWarning(path.Root("source"), "Image Will Be Replaced",
		"The image "+id+" will be replaced because "+reason+". Glance image data cannot be changed in place.")
	for _, p := range []string{"os_hash_value", "checksum", "size", "virtual_size"} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), unknownFor(p))...)
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("os_hash_value"))
}

// imageFactsFrom reads what the state says of an existing image (zero values when creating).
func imageFactsFrom(state imageModel) imageFacts {
	facts := imageFacts{
		ID: state.ID.ValueString(), Status: state.Status.ValueString(),
		HashAlgo: state.OSHashAlgo.ValueString(), HashValue: state.OSHashValue.ValueString(), MD5: state.Checksum.ValueString(),
		Size: state.Size.ValueInt64(), Deactivated: state.Deactivated.ValueBool(),
	}
	if s := state.Source; s != nil {
		facts.Source = &sourceDecl{File: s.File.ValueString(), URL: s.URL.ValueString(), Decompress: s.Decompress.ValueString(), Checksum: s.Checksum.ValueString()}
	}
	return facts
}

// knownSourceDecl reads a planned source; nil without one or while any of its values is unknown.
func knownSourceDecl(s *imageSourceModel) *sourceDecl {
	if s == nil || s.File.IsUnknown() || s.URL.IsUnknown() || s.Decompress.IsUnknown() || s.Checksum.IsUnknown() {
		return nil
	}
	return &sourceDecl{File: s.File.ValueString(), URL: s.URL.ValueString(), Decompress: s.Decompress.ValueString(), Checksum: s.Checksum.ValueString()}
}

// storeChangeReplaces: a changed store means a new upload only when the image has a source;
// without one, store has no effect, and replacing would swap an image's data for an empty record.
func storeChangeReplaces(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	var src types.Object
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("source"), &src)...)
	resp.RequiresReplace = !src.IsNull()
}

// sameChecksum reports whether two source.checksum values name the same digest (the algorithm
// and hex digits are case-insensitive).
func sameChecksum(a, b string) bool {
	aAlgo, aDigest, aErr := glance.ParseChecksum(a)
	bAlgo, bDigest, bErr := glance.ParseChecksum(b)
	if aErr != nil || bErr != nil {
		return a == b
	}
	return aAlgo == bAlgo && aDigest == bDigest
}

func unknownFor(attribute string) attr.Value {
	if attribute == "size" || attribute == "virtual_size" {
		return types.Int64Unknown()
	}
	return types.StringUnknown()
}

func abbrev(digest string) string {
	if len(digest) > 16 {
		return digest[:16] + "…"
	}
	return digest
}

// checkStore reports an attribute error when the cloud has no store of that id.
func (r *ImageResource) checkStore(ctx context.Context, store string, diags *diag.Diagnostics) {
	stores, err := r.meta.client.CachedStores(ctx)
	if glance.IsUnsupported(err) {
		diags.AddAttributeError(path.Root("store"), "Stores Not Supported",
			fmt.Sprintf("store = %q, but this cloud does not have multiple stores (%s). Remove store.", store, err))
		return
	}
	if err != nil {
		tflog.Warn(ctx, "Could not list stores to check the store argument", map[string]any{"error": err.Error()})
		return
	}
	var ids []string
	for _, s := range stores {
		if s.ID == store {
			return
		}
		ids = append(ids, s.ID)
	}
	diags.AddAttributeError(path.Root("store"), "Unknown Store",
		fmt.Sprintf("The cloud has no store %q. It has: %s.", store, strings.Join(ids, ", ")))
}

// imageCheckFileExists reports a source file that cannot be read or is a directory; it returns
// the file's info and whether it is a usable file.
func imageCheckFileExists(p string, diags *diag.Diagnostics) (os.FileInfo, bool) {
	st, err := os.Stat(p)
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root("source").AtName("file"), "Source File Not Found",
			fmt.Sprintf("source.file: cannot read %s: %s. Check the path (relative paths are relative to the directory terraform runs in; path.module helps).", p, err))
		return nil, false
	case st.IsDir():
		diags.AddAttributeError(path.Root("source").AtName("file"), "Source Is a Directory",
			fmt.Sprintf("source.file %s is a directory. Point it at the image file itself.", p))
		return nil, false
	}
	return st, true
}

// imageSource builds the data-plane source; the second value is the file path, if any.
func imageSource(s *imageSourceModel, headers map[string]string) (glance.Source, string) {
	if f := s.File.ValueString(); f != "" {
		return glance.FileSource(f), f
	}
	return glance.URLSource(s.URL.ValueString(), headers, nil), ""
}

// imageAPIErrorDetail words a Glance error for a diagnostic, with advice for common cases.
func imageAPIErrorDetail(action string, err error) string {
	d := action + " failed: " + err.Error()
	switch {
	case glance.IsPerImageLimit(err):
		d += "\n\nGlance limits how many tags, properties or members one image may have (the message above says which and how many): remove some."
	case glance.IsOverQuota(err):
		d += "\n\nThe project is over an image quota; see the glance_usage data source, delete unused images, or ask for a higher limit."
	case glance.IsVisibilityNotAllowed(err):
		d += "\n\nOnly administrators may make images public by default. Use visibility = \"shared\" or \"community\", or admin credentials."
	case glance.IsForbidden(err):
		d += "\n\nThe credentials lack the permission for this; check the project and role the provider uses."
	case glance.IsConflict(err):
		d += "\n\nGlance refused the change in the image's current state; refresh and try again."
	}
	return d
}

// expandImageCreate maps the plan to a create request.
func expandImageCreate(ctx context.Context, m imageModel) (glance.CreateImageRequest, diag.Diagnostics) {
	var diags diag.Diagnostics
	req := glance.CreateImageRequest{
		ID:              m.ID.ValueString(),
		Name:            m.Name.ValueString(),
		DiskFormat:      m.DiskFormat.ValueString(),
		ContainerFormat: m.ContainerFormat.ValueString(),
		Visibility:      m.Visibility.ValueString(),
		Protected:       m.Protected.ValueBool(),
		Hidden:          m.Hidden.ValueBool(),
		MinDisk:         m.MinDiskGB.ValueInt64(),
		MinRAM:          m.MinRAMMB.ValueInt64(),
		Tags:            []string{},
	}
	diags.Append(m.Tags.ElementsAs(ctx, &req.Tags, false)...)
	if !m.Properties.IsNull() {
		diags.Append(m.Properties.ElementsAs(ctx, &req.Properties, false)...)
	}
	return req, diags
}

// imagePendingCreate says how the create of plan's image recognises what an interrupted
// earlier create of it left: the key is derived from what identifies the image (project, name,
// formats, source, store); what else the configuration sets is patched onto an adopted
// leftover.
func imagePendingCreate(plan imageModel, headers map[string]string, project string) glance.PendingCreate {
	p := glance.PendingCreate{Owner: project, Store: plan.Store.ValueString(), FixedID: !plan.ID.IsNull() && !plan.ID.IsUnknown()}
	var file, url, decompress string
	if plan.Source != nil {
		file, url, decompress = plan.Source.File.ValueString(), plan.Source.URL.ValueString(), plan.Source.Decompress.ValueString()
		p.Source, _ = imageSource(plan.Source, headers)
		p.Decompress, p.Checksum = decompress, plan.Source.Checksum.ValueString()
	}
	p.Key = glance.PendingKey("glance_image", project, plan.Name.ValueString(), plan.DiskFormat.ValueString(),
		plan.ContainerFormat.ValueString(), file, url, decompress, p.Store)
	return p
}

// imagePatchOps computes the JSON-patch operations that turn state into plan: only fields
// that changed, and among properties only the declared keys.
func imagePatchOps(ctx context.Context, state, plan imageModel) ([]glance.PatchOp, diag.Diagnostics) {
	var diags diag.Diagnostics
	var ops []glance.PatchOp
	replace := func(field string, v any) {
		ops = append(ops, glance.PatchOp{Op: "replace", Path: "/" + field, Value: v})
	}
	if !plan.Name.Equal(state.Name) {
		replace("name", plan.Name.ValueString())
	}
	if !plan.Visibility.Equal(state.Visibility) {
		replace("visibility", plan.Visibility.ValueString())
	}
	if !plan.Protected.Equal(state.Protected) {
		replace("protected", plan.Protected.ValueBool())
	}
	if !plan.Hidden.Equal(state.Hidden) {
		replace("os_hidden", plan.Hidden.ValueBool())
	}
	if !plan.MinDiskGB.Equal(state.MinDiskGB) {
		replace("min_disk", plan.MinDiskGB.ValueInt64())
	}
	if !plan.MinRAMMB.Equal(state.MinRAMMB) {
		replace("min_ram", plan.MinRAMMB.ValueInt64())
	}
	if !plan.Tags.Equal(state.Tags) {
		tags := []string{}
		diags.Append(plan.Tags.ElementsAs(ctx, &tags, false)...)
		sort.Strings(tags)
		replace("tags", tags) // Glance only accepts the whole list
	}
	oldProps, newProps, onServer := map[string]string{}, map[string]string{}, map[string]string{}
	if !state.Properties.IsNull() && !state.Properties.IsUnknown() {
		diags.Append(state.Properties.ElementsAs(ctx, &oldProps, false)...)
	}
	if !plan.Properties.IsNull() && !plan.Properties.IsUnknown() {
		diags.Append(plan.Properties.ElementsAs(ctx, &newProps, false)...)
	}
	if !state.AllProperties.IsNull() && !state.AllProperties.IsUnknown() {
		diags.Append(state.AllProperties.ElementsAs(ctx, &onServer, false)...)
	}
	ops = append(ops, propertyPatchOps(oldProps, newProps, onServer)...)
	return ops, diags
}

// propertyPatchOps adds or replaces declared properties whose value changed, and removes
// properties that are no longer declared (when the server still has them).
func propertyPatchOps(oldProps, newProps, onServer map[string]string) []glance.PatchOp {
	var ops []glance.PatchOp
	keys := make([]string, 0, len(newProps))
	for k := range newProps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if cur, ok := onServer[k]; ok && cur == newProps[k] {
			continue
		}
		ops = append(ops, glance.PatchOp{Op: "add", Path: glance.PatchPath(k), Value: newProps[k]}) // add replaces too
	}
	removed := []string{}
	for k := range oldProps {
		if _, still := newProps[k]; !still {
			if _, exists := onServer[k]; exists {
				removed = append(removed, k)
			}
		}
	}
	sort.Strings(removed)
	for _, k := range removed {
		ops = append(ops, glance.PatchOp{Op: "remove", Path: glance.PatchPath(k)})
	}
	return ops
}

// serverAddedProperty reports properties that tools add by themselves; an import does not
// adopt them as declared properties.
func serverAddedProperty(k string) bool {
	return strings.HasPrefix(k, "os_glance") || strings.HasPrefix(k, "owner_specified.") || k == "stores" || k == glance.PendingProperty
}

// flattenImage copies what Glance reports into m. Declared properties keep only their keys;
// on import (adopt) every custom property not added by a tool becomes declared.
func flattenImage(img *glance.Image, m *imageModel, adopt bool) {
	m.imageAttrs = flattenImageAttrs(img)
	switch {
	case adopt:
		adopted := map[string]attr.Value{}
		for k, v := range img.Properties {
			if !serverAddedProperty(k) {
				adopted[k] = types.StringValue(v)
			}
		}
		if len(adopted) == 0 {
			m.Properties = types.MapNull(types.StringType)
		} else {
			m.Properties = types.MapValueMust(types.StringType, adopted)
		}
	case !m.Properties.IsNull() && !m.Properties.IsUnknown():
		declared := map[string]attr.Value{}
		for k := range m.Properties.Elements() {
			if v, ok := img.Properties[k]; ok {
				declared[k] = types.StringValue(v)
			}
		}
		m.Properties = types.MapValueMust(types.StringType, declared)
	}
}

// imageFingerprint is what a source file looked like when its content was hashed: its
// identity (size, modification time, inode, device, change time; digestcache.Identity), so
// that a file rewritten with its old size and modification time restored is hashed again.
type imageFingerprint struct {
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	ModTimeNs  int64  `json:"mtime_ns"`
	Inode      uint64 `json:"inode,omitempty"`
	Device     uint64 `json:"device,omitempty"`
	CtimeNs    int64  `json:"ctime_ns,omitempty"`
	Decompress string `json:"decompress"`
	Algorithm  string `json:"algorithm"`
	Digest     string `json:"digest"`
}

func newImageFingerprint(p string, st os.FileInfo, decompress, algo, digest string) *imageFingerprint {
	id := digestcache.IdentityOf(p, st)
	return &imageFingerprint{Path: p, Size: id.Size, ModTimeNs: id.ModTimeNs, Inode: id.Inode, Device: id.Device, CtimeNs: id.CtimeNs,
		Decompress: decompress, Algorithm: algo, Digest: digest}
}

// matches reports whether the fingerprint still describes the file at p.
func (f *imageFingerprint) matches(p string, st os.FileInfo, decompress, algo string) bool {
	if f == nil {
		return false
	}
	now := newImageFingerprint(p, st, decompress, algo, f.Digest)
	return f.Digest != "" && *f == *now
}

type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func loadImageFingerprint(ctx context.Context, p privateState) (*imageFingerprint, diag.Diagnostics) {
	if p == nil {
		return nil, nil
	}
	b, diags := p.GetKey(ctx, imageFingerprintKey)
	if diags.HasError() || len(b) == 0 {
		return nil, diags
	}
	var f imageFingerprint
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, nil // an unreadable fingerprint only costs a re-hash
	}
	return &f, diags
}

func (f *imageFingerprint) save(ctx context.Context, p privateState) diag.Diagnostics {
	if p == nil || f == nil {
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil
	}
	return p.SetKey(ctx, imageFingerprintKey, b)
}

type imageSourceModel struct {
	File       types.String `tfsdk:"file"`
	URL        types.String `tfsdk:"url"`
	Headers    types.Map    `tfsdk:"headers"`
	Decompress types.String `tfsdk:"decompress"`
	Checksum   types.String `tfsdk:"checksum"`
}

// imageAttrs are the attributes glance_image, the glance_image data source and the items of
// glance_images all report from a glance.Image (flattenImageAttrs).
type imageAttrs struct {
	ID              types.String `tfsdk:"id"`
	Name            types.String `tfsdk:"name"`
	DiskFormat      types.String `tfsdk:"disk_format"`
	ContainerFormat types.String `tfsdk:"container_format"`
	Visibility      types.String `tfsdk:"visibility"`
	Protected       types.Bool   `tfsdk:"protected"`
	Hidden          types.Bool   `tfsdk:"hidden"`
	MinDiskGB       types.Int64  `tfsdk:"min_disk_gb"`
	MinRAMMB        types.Int64  `tfsdk:"min_ram_mb"`
	Tags            types.Set    `tfsdk:"tags"`
	Deactivated     types.Bool   `tfsdk:"deactivated"`
	Status          types.String `tfsdk:"status"`
	Size            types.Int64  `tfsdk:"size"`
	VirtualSize     types.Int64  `tfsdk:"virtual_size"`
	Checksum        types.String `tfsdk:"checksum"`
	OSHashAlgo      types.String `tfsdk:"os_hash_algo"`
	OSHashValue     types.String `tfsdk:"os_hash_value"`
	Owner           types.String `tfsdk:"owner"`
	Stores          types.List   `tfsdk:"stores"`
	AllProperties   types.Map    `tfsdk:"all_properties"`
	CreatedAt       types.String `tfsdk:"created_at"`
	UpdatedAt       types.String `tfsdk:"updated_at"`
	File            types.String `tfsdk:"file"`
	Schema          types.String `tfsdk:"schema"`
}

// flattenImageAttrs is the one mapping of a glance.Image to the attributes every image type
// reports.
func flattenImageAttrs(img *glance.Image) imageAttrs {
	return imageAttrs{
		ID:              types.StringValue(img.ID),
		Name:            types.StringValue(img.Name),
		DiskFormat:      types.StringValue(img.DiskFormat),
		ContainerFormat: types.StringValue(img.ContainerFormat),
		Visibility:      types.StringValue(img.Visibility),
		Protected:       types.BoolValue(img.Protected),
		Hidden:          types.BoolValue(img.Hidden),
		MinDiskGB:       types.Int64Value(img.MinDisk),
		MinRAMMB:        types.Int64Value(img.MinRAM),
		Tags:            stringSet(img.Tags),
		Deactivated:     types.BoolValue(img.Status == glance.StatusDeactivated),
		Status:          types.StringValue(img.Status),
		Size:            types.Int64Value(img.Size),
		VirtualSize:     types.Int64Value(img.VirtualSize),
		Checksum:        types.StringValue(img.Checksum),
		OSHashAlgo:      types.StringValue(img.OSHashAlgo),
		OSHashValue:     types.StringValue(img.OSHashValue),
		Owner:           types.StringValue(img.Owner),
		Stores:          stringList(img.Stores),
		AllProperties:   stringMap(img.Properties),
		CreatedAt:       types.StringValue(img.CreatedAt),
		UpdatedAt:       types.StringValue(img.UpdatedAt),
		File:            types.StringValue(img.File),
		Schema:          types.StringValue(img.Schema),
	}
}

type imageModel struct {
	imageAttrs
	Region     types.String      `tfsdk:"region"`
	Properties types.Map         `tfsdk:"properties"`
	Store      types.String      `tfsdk:"store"`
	Source     *imageSourceModel `tfsdk:"source"`
	Timeouts   timeouts.Value    `tfsdk:"timeouts"`
}
