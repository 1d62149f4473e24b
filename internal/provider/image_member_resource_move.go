package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// movedMember is one image membership read from a TPO or pcd access (or access accept) state.
type movedMember struct {
	ImageID, MemberID, Status, CreatedAt, UpdatedAt string
	// Region of the source resource ("" when it had none: the provider's, filled in by the
	// refresh that follows the move).
	Region string
}

// movedMemberFrom maps openstack_images_image_access_v2 / _accept_v2 and
// pcd_images_image_access / _accept states: both providers keep image_id, member_id and
// status, with the id "image_id/member_id" (rebuilt here, so an id of another form does not
// matter).
func movedMemberFrom(attrs map[string]any) (movedMember, error) {
	r := rawAttrs(attrs)
	m := movedMember{ImageID: r.str("image_id"), MemberID: r.str("member_id"), Status: r.str("status"),
		CreatedAt: r.str("created_at"), UpdatedAt: r.str("updated_at"), Region: r.str("region")}
	if m.ImageID == "" || m.MemberID == "" {
		if imageID, memberID, ok := splitMemberID(r.str("id")); ok {
			m.ImageID, m.MemberID = imageID, memberID
		}
	}
	if !uuidPattern.MatchString(m.ImageID) || m.MemberID == "" {
		return movedMember{}, fmt.Errorf("the source state names no image and member (image_id %q, member_id %q)", m.ImageID, m.MemberID)
	}
	return m, nil
}

func (m movedMember) id() types.String { return types.StringValue(m.ImageID + "/" + m.MemberID) }

// regionOrNull is a moved region for the state: null when the source had none, so that the
// refresh after the move (Read, useRegion) records the provider's.
func regionOrNull(region string) types.String {
	if region == "" {
		return types.StringNull()
	}
	return types.StringValue(region)
}

// MoveState takes over openstack_images_image_access_v2 (TPO) and pcd_images_image_access
// states.
func (r *ImageMemberResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: moveImageMemberState}}
}

func moveImageMemberState(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if !movedFrom(req.SourceTypeName, req.SourceProviderAddress, "openstack", tpoAccessType) &&
		!movedFrom(req.SourceTypeName, req.SourceProviderAddress, "pcd", pcdAccessType) {
		return
	}
	m, ok := readMovedMember(req, "glance_image_member", resp)
	if !ok {
		return
	}
	state := imageMemberModel{ID: m.id(), ImageID: types.StringValue(m.ImageID), MemberID: types.StringValue(m.MemberID),
		Status: types.StringValue(m.Status), CreatedAt: types.StringValue(m.CreatedAt), UpdatedAt: types.StringValue(m.UpdatedAt),
		Region: regionOrNull(m.Region)}
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &state)...)
}

// readMovedMember decodes and maps a membership's source state; false after an error,
// reported in resp.
func readMovedMember(req resource.MoveStateRequest, target string, resp *resource.MoveStateResponse) (movedMember, bool) {
	attrs, err := rawStateAttrs(req.SourceRawState)
	var m movedMember
	if err == nil {
		m, err = movedMemberFrom(attrs)
	}
	if err != nil {
		resp.Diagnostics.AddError("Error Moving Image Member State",
			fmt.Sprintf("Moving %s to %s failed: %s. Use removed {} and import {} instead (see the migration guide).", req.SourceTypeName, target, err))
		return movedMember{}, false
	}
	return m, true
}
