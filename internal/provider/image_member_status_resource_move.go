package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// MoveState takes over openstack_images_image_access_accept_v2 (TPO) and
// pcd_images_image_access_accept states (mapping: movedMemberFrom).
func (r *ImageMemberStatusResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{StateMover: moveImageMemberStatusState}}
}

func moveImageMemberStatusState(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	if !movedFrom(req.SourceTypeName, req.SourceProviderAddress, "openstack", tpoAccessAcceptType) &&
		!movedFrom(req.SourceTypeName, req.SourceProviderAddress, "pcd", pcdAccessAcceptType) {
		return
	}
	m, ok := readMovedMember(req, "glance_image_member_status", resp)
	if !ok {
		return
	}
	state := imageMemberStatusModel{ID: m.id(), ImageID: types.StringValue(m.ImageID), MemberID: types.StringValue(m.MemberID),
		Status: types.StringValue(m.Status), Region: regionOrNull(m.Region)}
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &state)...)
}
