package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ resource.ResourceWithConfigure   = &ImageMemberStatusResource{}
	_ resource.ResourceWithImportState = &ImageMemberStatusResource{}
	_ resource.ResourceWithModifyPlan  = &ImageMemberStatusResource{}
	_ resource.ResourceWithMoveState   = &ImageMemberStatusResource{}
)

// NewImageMemberStatusResource is the glance_image_member_status constructor.
func NewImageMemberStatusResource() resource.Resource { return &ImageMemberStatusResource{} }

// ImageMemberStatusResource accepts or rejects an image shared with the caller's project.
type ImageMemberStatusResource struct {
	meta *providerMeta
}

// imageMemberStatuses are the statuses a member project can set.
var imageMemberStatuses = []string{glance.MemberAccepted, glance.MemberRejected, glance.MemberPending}

func (r *ImageMemberStatusResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_member_status"
}

func (r *ImageMemberStatusResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Accepts or rejects an image another project shared with this one: the consumer's side of image sharing " +
			"(`PUT /v2/images/{id}/members/{member}`). Configure it with the member project's credentials (usually a provider alias). " +
			"An accepted image shows up in the project's image lists. Destroying this resource returns the membership to `pending`.",
		Attributes: map[string]schema.Attribute{
			"region": regionResourceAttribute("membership status (the shared image's region)"),
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "`image_id/member_id`, also the import id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"image_id": schema.StringAttribute{Required: true, MarkdownDescription: "The shared image. Changing it manages another membership.",
				Validators:    []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be an image UUID")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"member_id": schema.StringAttribute{Optional: true, Computed: true,
				MarkdownDescription: "The member project. Default: the project the provider authenticates to. Changing it manages another membership.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()}},
			"status": schema.StringAttribute{Required: true,
				MarkdownDescription: "The decision: " + quotedList(imageMemberStatuses) + ". Changed in place.",
				Validators:          []validator.String{stringvalidator.OneOf(imageMemberStatuses...)}},
		},
	}
}

func (r *ImageMemberStatusResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageMemberStatusResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageMemberStatusModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	if plan.MemberID.IsUnknown() || plan.MemberID.IsNull() {
		plan.MemberID = types.StringValue(r.meta.projectID)
	}
	r.setStatus(ctx, &plan, &resp.State, resp.Identity, &resp.Diagnostics)
}

// setStatus sends the planned status and stores the result.
func (r *ImageMemberStatusResource) setStatus(ctx context.Context, plan *imageMemberStatusModel, state *tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	imageID, memberID := plan.ImageID.ValueString(), plan.MemberID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", imageID)
	m, err := r.meta.client.UpdateMemberStatus(ctx, imageID, memberID, plan.Status.ValueString())
	switch {
	case glance.IsForbidden(err), glance.IsNotFound(err):
		diags.Append(memberStatusRefused(imageID, memberID, r.meta.projectID, err))
		return
	case err != nil:
		diags.AddError("Error Setting Image Member Status", fmt.Sprintf("Setting status %q on image %s for project %s failed: %s", plan.Status.ValueString(), imageID, memberID, err))
		return
	}
	plan.ID = types.StringValue(m.ImageID + "/" + m.MemberID)
	plan.Status = types.StringValue(m.Status)
	diags.Append(state.Set(ctx, plan)...)
	diags.Append(imageMemberStatusIdentity.set(ctx, identity, plan.Region, plan.ImageID, plan.MemberID)...)
}

func (r *ImageMemberStatusResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageMemberStatusModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !imageMemberStatusIdentity.startRead(ctx, &r.meta, &state.Region, resp, state.ImageID, state.MemberID) {
		return
	}
	m, err := r.meta.client.GetMember(ctx, state.ImageID.ValueString(), state.MemberID.ValueString())
	switch {
	case glance.IsNotShared(err):
		// Hidden while the owner has the image private; the membership and its status return
		// with "shared".
		tflog.Warn(ctx, "Image not shared at the moment; keeping the member status in state", map[string]any{"image_id": state.ImageID.ValueString()})
		return
	case glance.IsNotFound(err) || glance.IsForbidden(err):
		tflog.Warn(ctx, "Image membership not visible any more; removing it from state", map[string]any{"image_id": state.ImageID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Error Reading Image Member Status", fmt.Sprintf("Reading member %s of image %s failed: %s", state.MemberID.ValueString(), state.ImageID.ValueString(), err))
		return
	}
	state.ID = types.StringValue(m.ImageID + "/" + m.MemberID)
	state.Status = types.StringValue(m.Status)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *ImageMemberStatusResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan imageMemberStatusModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	r.setStatus(ctx, &plan, &resp.State, resp.Identity, &resp.Diagnostics)
}

func (r *ImageMemberStatusResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageMemberStatusModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &state.Region, &resp.Diagnostics) {
		return
	}
	imageID, memberID := state.ImageID.ValueString(), state.MemberID.ValueString()
	_, err := r.meta.client.UpdateMemberStatus(ctx, imageID, memberID, glance.MemberPending)
	switch {
	case err == nil, glance.IsNotFound(err):
		// Back to pending, or the owner already stopped sharing: nothing left to undo.
	case glance.IsNotShared(err):
		resp.Diagnostics.AddWarning("Member Status Left in Glance",
			fmt.Sprintf("Image %s is not \"shared\" at the moment, so Glance changes no membership of it: project %s's status stays as it is "+
				"until the owner shares the image again.", imageID, memberID))
	case glance.IsForbidden(err):
		resp.Diagnostics.Append(memberStatusRefused(imageID, memberID, r.meta.projectID, err))
	default:
		resp.Diagnostics.AddError("Error Resetting Image Member Status", fmt.Sprintf("Returning project %s's membership of image %s to pending failed: %s", memberID, imageID, err))
	}
}

// ImportState takes <image_id>/<member_id>, with @<region> for another region than the
// provider's, or an identity (identity.go).
func (r *ImageMemberStatusResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	imageMemberStatusIdentity.importState(ctx, req, resp)
}

// ModifyPlan fills member_id with the caller's project, or explains that it must be set when
// the provider does not know its project (token and endpoint authentication).
func (r *ImageMemberStatusResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.meta = planRegion(ctx, r.meta, req, resp)
	if req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() || r.meta == nil || r.meta.configUnknown {
		return
	}
	var memberID types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("member_id"), &memberID)...)
	if !memberID.IsNull() {
		return
	}
	if r.meta.projectID == "" {
		resp.Diagnostics.AddAttributeError(path.Root("member_id"), "Member Project Unknown",
			"member_id is not set, and the provider does not know its own project (it authenticates with a token and an endpoint, without Keystone). Set member_id to the project id.")
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("member_id"), r.meta.projectID)...)
}

// memberStatusRefused explains a 403 or 404 on a member's status. Glance lets only the member
// project (or an admin) set it and hides the membership from other projects, so when the
// provider authenticates to another project the image may well be shared: say that instead.
func memberStatusRefused(imageID, memberID, callerID string, err error) diag.Diagnostic {
	switch {
	case callerID != "" && memberID != callerID:
		return diag.NewAttributeErrorDiagnostic(path.Root("member_id"), "Only the Member Project Can Change the Status",
			fmt.Sprintf("Glance refused to set project %s's membership status for image %s. Only the member project itself (or an admin) can "+
				"set its status, and this provider authenticates to project %s. Use a provider configured for project %s (a provider alias, "+
				"provider = glance.ALIAS) for this glance_image_member_status.\n\n%s", memberID, imageID, callerID, memberID, err))
	case glance.IsForbidden(err):
		return memberStatusForbidden(imageID, memberID, err)
	default:
		return diag.NewErrorDiagnostic("Image Not Shared With This Project",
			fmt.Sprintf("Image %s is not shared with project %s (or does not exist). The image's owner must first share it "+
				"(glance_image_member with member_id = %q) and give it visibility \"shared\".\n\n%s", imageID, memberID, memberID, err))
	}
}

type imageMemberStatusModel struct {
	Region   types.String `tfsdk:"region"`
	ID       types.String `tfsdk:"id"`
	ImageID  types.String `tfsdk:"image_id"`
	MemberID types.String `tfsdk:"member_id"`
	Status   types.String `tfsdk:"status"`
}
