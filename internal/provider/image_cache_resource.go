package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
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
	_ resource.ResourceWithConfigure   = &ImageCacheResource{}
	_ resource.ResourceWithImportState = &ImageCacheResource{}
	_ resource.ResourceWithModifyPlan  = &ImageCacheResource{}
)

// imageCacheWaitTimeout is the default of timeouts.create and timeouts.update: long enough for
// a periodic prefetcher (every 5 minutes by default) to fetch a large image.
const imageCacheWaitTimeout = 30 * time.Minute

// NewImageCacheResource is the glance_image_cache constructor.
func NewImageCacheResource() resource.Resource { return &ImageCacheResource{} }

// ImageCacheResource keeps an image in the image cache of the Glance API (cache management API).
type ImageCacheResource struct {
	meta *providerMeta
}

func (r *ImageCacheResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_cache"
}

func (r *ImageCacheResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Keeps an image in the image cache of the Glance API, so that servers booting from it are served from the " +
			"API node's local disk instead of the backend store. Create queues the image for caching (`PUT /v2/cache/{image_id}`), " +
			"refresh reads the cache and the queue (`GET /v2/cache`), destroy removes the image from both (`DELETE /v2/cache/{image_id}`).\n\n" +
			"Cache management is an admin API: it needs the admin role (Glance's `cache_image`, `cache_list` and `cache_delete` policies), " +
			"Image API 2.14 or later, and an API with an image cache (`image_cache_dir`) and the cache management pipeline " +
			"(paste flavor `keystone+cachemanagement`). Without them the plan fails and says which is missing.\n\n" +
			"Glance of Zed or later starts caching a queued image at once; older releases wait for their prefetcher (a periodic job, " +
			"every 5 minutes by default, or the `glance-cache-prefetcher` command). `wait_until_cached` makes the apply wait for it. " +
			"Each API node keeps its own cache, and a call reaches the node that answers it: behind a load balancer, the resource " +
			"manages the cache of whichever node answers.\n\n" +
			"An image that leaves the cache (evicted, pruned, or its image deleted) is created again at the next apply. Downloads " +
			"change `hits` and `last_accessed`; that never makes a plan.",
		Attributes: map[string]schema.Attribute{
			"region": regionResourceAttribute("cache entry (the image's region; the cache of that region's image API)"),
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The image id, also the import id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"image_id": schema.StringAttribute{Required: true,
				MarkdownDescription: "Image to cache. It must be `active`. Changing it evicts the old image and caches the new one.",
				Validators:          []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be an image UUID")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"wait_until_cached": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Wait until the image is cached, not only queued, for at most `timeouts.create` (or `timeouts.update` " +
					"when it is turned on later). Use it on clouds whose prefetcher runs periodically, when later resources need the " +
					"image in the cache. Default: `false`."},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true,
				CreateDescription: fmt.Sprintf("How long `wait_until_cached` waits for the image to be cached. Default: `%dm`.", int(imageCacheWaitTimeout.Minutes())),
				UpdateDescription: fmt.Sprintf("How long turning `wait_until_cached` on waits for a queued image. Default: `%dm`.", int(imageCacheWaitTimeout.Minutes()))}),
			"state": schema.StringAttribute{Computed: true,
				MarkdownDescription: "Where the image is, one of " + quotedList(imageCacheStates) + ". An image in neither is created again at the next apply."},
			"size": schema.Int64Attribute{Computed: true, MarkdownDescription: "Bytes of the image in the cache; null while `queued`."},
			"hits": schema.Int64Attribute{Computed: true, MarkdownDescription: "How often the cached copy was served; null while `queued`."},
			"last_accessed": schema.StringAttribute{Computed: true,
				MarkdownDescription: "When the cached copy was last served (RFC 3339, UTC); null while `queued`."},
			"last_modified": schema.StringAttribute{Computed: true,
				MarkdownDescription: "When the image was written to the cache (RFC 3339, UTC); null while `queued`."},
		},
	}
}

// imageCacheStates are the values of state.
var imageCacheStates = []string{string(glance.CacheStateQueued), string(glance.CacheStateCached)}

func (r *ImageCacheResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageCacheResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageCacheModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, imageCacheWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.queue(ctx, timeout, "timeouts.create", &plan, &resp.State, &resp.Diagnostics)
	resp.Diagnostics.Append(imageCacheIdentity.set(ctx, resp.Identity, plan.Region, plan.ImageID)...)
}

// queue runs the one client operation of Create and Update and saves what it found. An image
// left queued by a wait that ran out stays in state (tainted by the error): destroy evicts it.
func (r *ImageCacheResource) queue(ctx context.Context, timeout time.Duration, timeoutName string, plan *imageCacheModel, state stateSetter, diags *diag.Diagnostics) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := plan.ImageID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", id)
	entry, err := r.meta.client.QueueImageCache(ctx, id, plan.WaitUntilCached.ValueBool())
	if err != nil {
		diags.AddError("Error Caching Image", cacheQueueErrorDetail(id, timeoutName, err))
		if entry.State != glance.CacheStateQueued {
			return
		}
	}
	flattenImageCache(entry, plan)
	diags.Append(state.Set(ctx, plan)...)
}

// stateSetter is the State of a create or update response.
type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// cacheQueueErrorDetail says why an image could not be queued or cached, and what to do.
func cacheQueueErrorDetail(id, timeoutName string, err error) string {
	var notCacheable *glance.ImageNotCacheableError
	var wait *glance.CacheWaitError
	switch {
	case glance.IsCacheUnavailable(err):
		return cacheUnavailableDetail(err)
	case errors.As(err, &notCacheable):
		status := "is not active"
		if notCacheable.Status != "" {
			status = fmt.Sprintf("has status %q", notCacheable.Status)
		}
		return fmt.Sprintf("Image %s %s, and Glance caches only active images. Upload or import its data (or reactivate it) first.\n\n%s", id, status, err)
	case glance.IsNotFound(err):
		return fmt.Sprintf("Image %s does not exist.\n\n%s", id, err)
	case glance.IsCacheWaitTimeout(err):
		return fmt.Sprintf("Image %s was queued but not cached in time: %s. Glance caches queued images when its prefetcher runs "+
			"(periodically, or with the glance-cache-prefetcher command on the API node). Raise %s, or set wait_until_cached = false "+
			"to queue without waiting. The image stays queued; the resource is tainted and the next apply queues it again.", id, err, timeoutName)
	case errors.As(err, &wait):
		return fmt.Sprintf("Glance accepted image %s for caching but then listed it neither queued nor cached: %s. "+
			"On a cloud with several API nodes behind a load balancer, the node that answered may not be the one that queued it.", id, err)
	}
	return fmt.Sprintf("Queueing image %s for caching failed: %s", id, err)
}

// cacheUnavailableDetail explains a refusal of the cache API: who may call it and what the
// cloud needs.
func cacheUnavailableDetail(err error) string {
	var u *glance.CacheUnavailableError
	if errors.As(err, &u) && u.Forbidden {
		return "Glance refused the image cache API to these credentials: cache management is an admin API (policies cache_image, " +
			"cache_list and cache_delete, admin only by default). Configure this resource's provider with credentials that have " +
			"the admin role.\n\n" + err.Error()
	}
	return "This Glance does not offer image cache management. It needs Image API 2.14 or later and, on the API nodes, an image " +
		"cache (image_cache_dir) and the cache management pipeline (paste flavor keystone+cachemanagement in glance-api.conf). " +
		"Ask the cloud's operator to enable them, or remove this resource.\n\n" + err.Error()
}

func (r *ImageCacheResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageCacheModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !imageCacheIdentity.startRead(ctx, &r.meta, &state.Region, resp, state.ImageID) {
		return
	}
	id := state.ImageID.ValueString()
	entry, err := r.meta.client.ImageCacheState(ctx, id)
	switch {
	case glance.IsCacheUnavailable(err):
		resp.Diagnostics.AddError("Error Reading Image Cache", cacheUnavailableDetail(err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Error Reading Image Cache", fmt.Sprintf("Reading the cache state of image %s failed: %s", id, err))
		return
	case entry.State == glance.CacheStateAbsent:
		reason := "it is neither cached nor queued"
		if entry.ImageDeleted {
			reason = "the image was deleted"
		}
		tflog.Warn(ctx, "Image not in the cache; removing it from state", map[string]any{"image_id": id, "reason": reason})
		resp.State.RemoveResource(ctx)
		return
	}
	flattenImageCache(entry, &state)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update turns wait_until_cached on or off. Turning it on waits for an image that is still
// queued; an image that left the cache meanwhile is queued again.
func (r *ImageCacheResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan imageCacheModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, imageCacheWaitTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.queue(ctx, timeout, "timeouts.update", &plan, &resp.State, &resp.Diagnostics)
	resp.Diagnostics.Append(imageCacheIdentity.set(ctx, resp.Identity, plan.Region, plan.ImageID)...)
}

func (r *ImageCacheResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageCacheModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &state.Region, &resp.Diagnostics) {
		return
	}
	id := state.ImageID.ValueString()
	if err := r.meta.client.EvictImageCache(tflog.SetField(ctx, "image_id", id), id); err != nil {
		detail := fmt.Sprintf("Removing image %s from the cache and the cache queue failed: %s", id, err)
		if glance.IsCacheUnavailable(err) {
			detail = cacheUnavailableDetail(err)
		}
		resp.Diagnostics.AddError("Error Evicting Image From Cache", detail)
	}
}

// ImportState takes the image id, with @<region> for another region than the provider's, or
// an identity (identity.go).
func (r *ImageCacheResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	values := imageCacheIdentity.importState(ctx, req, resp)
	if values == nil {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), values[0])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("wait_until_cached"), false)...)
}

// ModifyPlan fails the plan of a new cache entry when the cloud does not offer the cache API
// to these credentials (asked once per provider configuration and region). Other failures of that check
// are left to the apply.
func (r *ImageCacheResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.meta = planRegion(ctx, r.meta, req, resp) // the cache API of the entry's region
	if req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() || !r.meta.canCall() {
		return
	}
	err := r.meta.client.CachedImageCacheAvailable(ctx)
	if summary, detail, ok := cacheUnavailableProblem(glance.IsCacheUnavailable(err), err); ok {
		resp.Diagnostics.AddError(summary, detail)
	}
}

// cacheUnavailableProblem is the plan error of a cloud whose cache API refused these
// credentials (unavailable), or ok = false.
func cacheUnavailableProblem(unavailable bool, err error) (summary, detail string, ok bool) {
	if !unavailable {
		return "", "", false
	}
	return "Image Cache Management Not Available", cacheUnavailableDetail(err), true
}

// flattenImageCache maps an image's place in the cache to the model; the cache record's
// fields are null while it is only queued.
func flattenImageCache(e glance.CacheEntry, m *imageCacheModel) {
	m.ID = types.StringValue(e.ImageID)
	m.ImageID = types.StringValue(e.ImageID)
	m.State = types.StringValue(string(e.State))
	m.Size, m.Hits = types.Int64Null(), types.Int64Null()
	m.LastAccessed, m.LastModified = types.StringNull(), types.StringNull()
	if e.Cached != nil {
		m.Size, m.Hits = types.Int64Value(e.Cached.Size), types.Int64Value(e.Cached.Hits)
		m.LastAccessed, m.LastModified = rfc3339OrNull(e.Cached.LastAccessed), rfc3339OrNull(e.Cached.LastModified)
	}
}

// rfc3339OrNull is t in RFC 3339 (UTC, whole seconds), or null for the zero time.
func rfc3339OrNull(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

type imageCacheModel struct {
	Region          types.String   `tfsdk:"region"`
	ID              types.String   `tfsdk:"id"`
	ImageID         types.String   `tfsdk:"image_id"`
	WaitUntilCached types.Bool     `tfsdk:"wait_until_cached"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
	State           types.String   `tfsdk:"state"`
	Size            types.Int64    `tfsdk:"size"`
	Hits            types.Int64    `tfsdk:"hits"`
	LastAccessed    types.String   `tfsdk:"last_accessed"`
	LastModified    types.String   `tfsdk:"last_modified"`
}
