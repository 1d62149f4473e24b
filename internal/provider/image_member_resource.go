package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

var (
	_ resource.ResourceWithConfigure   = &ImageMemberResource{}
	_ resource.ResourceWithImportState = &ImageMemberResource{}
	_ resource.ResourceWithModifyPlan  = &ImageMemberResource{}
	_ resource.ResourceWithMoveState   = &ImageMemberResource{}
)

// NewImageMemberResource is the glance_image_member constructor.
func NewImageMemberResource() resource.Resource { return &ImageMemberResource{} }

// ImageMemberResource shares an image with another project (the owner's side).
type ImageMemberResource struct {
	meta *providerMeta
}

func (r *ImageMemberResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_member"
}

func (r *ImageMemberResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Shares an image with another project: the owner's side of image sharing (`POST /v2/images/{id}/members`). " +
			"The image must have `visibility = \"shared\"`. The membership starts `pending`; the other project accepts or rejects it " +
			"with `glance_image_member_status`, configured with that project's credentials. Destroying this resource stops sharing.\n\n" +
			"While the image is not `shared`, Glance hides its members but keeps them (they return when it is shared again) and refuses " +
			"to remove them: destroying this resource then succeeds with a warning, and the membership goes away with the image. " +
			"A new member of an image that the same configuration (with the same provider configuration) declares not `shared` is a plan " +
			"error; an existing member of such an image is a plan warning (the membership stays, hidden, and returns when the image is " +
			"shared again); a new member of an image that Glance has as not shared is a plan warning. Not caught at plan: an image created in " +
			"the same apply (its id is unknown until then), which fails when the member is created.",
		Attributes: map[string]schema.Attribute{
			"region": regionResourceAttribute("membership (the image's region)"),
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "`image_id/member_id`, also the import id.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"image_id": schema.StringAttribute{Required: true, MarkdownDescription: "Image to share. It must have visibility `shared`. Changing it creates a new membership.",
				Validators:    []validator.String{stringvalidator.RegexMatches(uuidPattern, "must be an image UUID")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"member_id": schema.StringAttribute{Required: true, MarkdownDescription: "Id of the project to share the image with. Glance does not check that the project exists. Changing it creates a new membership.",
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"status": schema.StringAttribute{Computed: true,
				MarkdownDescription: "What the member project decided: `pending`, `accepted` or `rejected`. Only the member project can change it (`glance_image_member_status`)."},
			"created_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the image was shared (RFC 3339).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"updated_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the membership last changed (RFC 3339)."},
		},
	}
}

func (r *ImageMemberResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.meta = metaFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageMemberResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageMemberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &plan.Region, &resp.Diagnostics) {
		return
	}
	imageID, memberID := plan.ImageID.ValueString(), plan.MemberID.ValueString()
	ctx = tflog.SetField(ctx, "image_id", imageID)
	m, err := r.meta.client.ShareImage(ctx, imageID, memberID)
	if err != nil {
		resp.Diagnostics.AddError("Error Sharing Image", explainShareError(imageID, memberID, err))
		return
	}
	flattenImageMember(m, &plan)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(imageMemberIdentity.set(ctx, resp.Identity, plan.Region, plan.ImageID, plan.MemberID)...)
}

// explainShareError turns Glance's bare 403/409 into the rule that was broken.
func explainShareError(imageID, memberID string, err error) string {
	var notShared *glance.NotSharedError
	switch {
	case glance.IsConflict(err):
		return fmt.Sprintf("Image %s is already shared with project %s. To manage that membership with Terraform, import it:\n\n"+
			"  terraform import <address> %s/%s\n\n%s", imageID, memberID, imageID, memberID, err)
	case errors.As(err, &notShared):
		return fmt.Sprintf("Image %s has visibility %q, and only images with visibility \"shared\" can have members. "+
			"Set visibility = \"shared\" on the image (glance_image) and apply again.\n\n%s", imageID, notShared.Visibility, err)
	case glance.IsForbidden(err):
		return fmt.Sprintf("Glance refused to share image %s: only the image's owner project may add members. "+
			"Configure this resource's provider with credentials of the owner project.\n\n%s", imageID, err)
	case glance.IsNotFound(err):
		return fmt.Sprintf("Image %s does not exist or is not visible to this project.\n\n%s", imageID, err)
	}
	return fmt.Sprintf("Sharing image %s with project %s failed: %s", imageID, memberID, err)
}

func (r *ImageMemberResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageMemberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !imageMemberIdentity.startRead(ctx, &r.meta, &state.Region, resp, state.ImageID, state.MemberID) {
		return
	}
	m, err := r.meta.client.GetMember(ctx, state.ImageID.ValueString(), state.MemberID.ValueString())
	switch {
	case glance.IsNotShared(err):
		// Glance hides, but keeps, the members of an image that is not "shared" at the moment:
		// they return with the visibility. Dropping them from state would make Terraform
		// create them again, which Glance refuses as duplicates.
		resp.Diagnostics.AddWarning("Image Not Shared",
			fmt.Sprintf("Image %s's visibility is not \"shared\", so Glance hides its members; project %s keeps its membership and regains "+
				"access when the visibility is \"shared\" again. The membership stays in state.", state.ImageID.ValueString(), state.MemberID.ValueString()))
		return
	case glance.IsNotFound(err):
		tflog.Warn(ctx, "Image membership not found; removing it from state", map[string]any{"image_id": state.ImageID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	case glance.IsForbidden(err):
		resp.Diagnostics.AddWarning("Image Members Not Visible",
			fmt.Sprintf("Glance does not show the members of image %s to this project (%s). The membership is removed from state.", state.ImageID.ValueString(), err))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Error Reading Image Member", fmt.Sprintf("Reading member %s of image %s failed: %s", state.MemberID.ValueString(), state.ImageID.ValueString(), err))
		return
	}
	flattenImageMember(m, &state)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update is never called: both arguments replace the resource.
func (r *ImageMemberResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan imageMemberModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(imageMemberIdentity.set(ctx, resp.Identity, plan.Region, plan.ImageID, plan.MemberID)...)
}

func (r *ImageMemberResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageMemberModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !useRegion(&r.meta, &state.Region, &resp.Diagnostics) {
		return
	}
	imageID, memberID := state.ImageID.ValueString(), state.MemberID.ValueString()
	res, err := r.meta.client.RemoveMember(ctx, imageID, memberID)
	if err != nil {
		resp.Diagnostics.AddError("Error Removing Image Member", fmt.Sprintf("Removing project %s from image %s failed: %s", memberID, imageID, err))
		return
	}
	if res.Outcome == glance.MemberKeptHidden {
		resp.Diagnostics.AddWarning("Membership Left in Glance", membershipKeptDetail(imageID, memberID, res.Visibility))
	}
}

// membershipKeptDetail says what Glance keeps of a membership of an image that is not shared.
func membershipKeptDetail(imageID, memberID, visibility string) string {
	is := "is not \"shared\""
	if visibility != "" {
		is = fmt.Sprintf("has visibility %q, not \"shared\",", visibility)
	}
	return fmt.Sprintf("Image %s %s at the moment, and Glance changes no member of such an image: project %s's membership stays "+
		"(hidden) and returns if the image is shared again. It goes away with the image. The membership was removed from state.", imageID, is, memberID)
}

// ImportState takes <image_id>/<member_id>, with @<region> for another region than the
// provider's, or an identity (identity.go).
func (r *ImageMemberResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	imageMemberIdentity.importState(ctx, req, resp)
}

// ModifyPlan refuses a membership of an image that the same configuration declares not shared
// (the image's plan recorded its visibility), and warns about a new membership of an image
// that Glance has as not shared. Not caught at plan: an image created in the same apply (its
// id is unknown until then; the apply fails when sharing it) and an image declared with
// another provider configuration (only warned about, from what Glance says now).
func (r *ImageMemberResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.meta == nil {
		return
	}
	r.meta = planRegion(ctx, r.meta, req, resp) // the image is looked at in the membership's region
	var imageID types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("image_id"), &imageID)...)
	if imageID.IsUnknown() || imageID.IsNull() {
		return
	}
	id, creating := imageID.ValueString(), req.State.Raw.IsNull()
	planned, declared := r.meta.planned.plannedVisibility(id)
	current := ""
	if !declared && creating && r.meta.canCall() {
		if img, err := r.meta.client.GetImage(ctx, id); err == nil {
			current = img.Visibility
		}
	}
	if p := memberVisibilityProblem(id, planned, declared, creating, current); p != nil {
		addPlanProblems(&resp.Diagnostics, []planProblem{*p})
	}
}

// splitMemberID parses "image_id/member_id".
func splitMemberID(id string) (string, string, bool) {
	imageID, memberID, ok := strings.Cut(id, "/")
	if !ok || imageID == "" || memberID == "" || strings.Contains(memberID, "/") {
		return "", "", false
	}
	return imageID, memberID, true
}

func flattenImageMember(m *glance.Member, model *imageMemberModel) {
	model.ID = types.StringValue(m.ImageID + "/" + m.MemberID)
	model.ImageID = types.StringValue(m.ImageID)
	model.MemberID = types.StringValue(m.MemberID)
	model.Status = types.StringValue(m.Status)
	model.CreatedAt = types.StringValue(m.CreatedAt)
	model.UpdatedAt = types.StringValue(m.UpdatedAt)
}

type imageMemberModel struct {
	Region    types.String `tfsdk:"region"`
	ID        types.String `tfsdk:"id"`
	ImageID   types.String `tfsdk:"image_id"`
	MemberID  types.String `tfsdk:"member_id"`
	Status    types.String `tfsdk:"status"`
	CreatedAt types.String `tfsdk:"created_at"`
	UpdatedAt types.String `tfsdk:"updated_at"`
}

// memberStatusForbidden words a consumer-side refusal.
func memberStatusForbidden(imageID, memberID string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Only the Member Project Can Change the Status",
		fmt.Sprintf("Glance refused to change the status of project %s's membership of image %s: only the member project itself may "+
			"accept or reject a shared image; the image's owner cannot do it for them. Configure glance_image_member_status with a "+
			"provider (alias) that authenticates as project %s.\n\n%s", memberID, imageID, memberID, err))
}
