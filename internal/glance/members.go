package glance

import (
	"context"
	"net/http"
)

// Member is one project an image is shared with (GET /v2/images/{id}/members/{member}).
type Member struct {
	ImageID   string `json:"image_id"`
	MemberID  string `json:"member_id"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Schema    string `json:"schema"`
}

// VisibilityShared is the only visibility an image with members can have.
const VisibilityShared = "shared"

// Member statuses. A new membership is pending; only the member project can change it.
const (
	MemberAccepted = "accepted"
	MemberRejected = "rejected"
	MemberPending  = "pending"
)

func memberPath(imageID, memberID string) string {
	p := "/v2/images/" + escape(imageID) + "/members"
	if memberID != "" {
		p += "/" + escape(memberID)
	}
	return p
}

// CreateMember shares an image with a project (owner side). Glance answers 403 when the image's
// visibility is not "shared" or the caller is not the owner, and 409 when the project is already
// a member. A 409 after a retried request means our first attempt succeeded and only its answer
// was lost: the member is read back instead.
func (c *Client) CreateMember(ctx context.Context, imageID, memberID string) (*Member, error) {
	var m Member
	attempts := 0
	err := c.doJSON(ctx, call{method: http.MethodPost, path: memberPath(imageID, ""), body: map[string]string{"member": memberID},
		idempotent: true, out: &m, attempts: &attempts})
	if err != nil {
		if attempts > 1 && IsConflict(err) {
			return c.GetMember(ctx, imageID, memberID)
		}
		return nil, err
	}
	return &m, nil
}

// ShareImage shares an image with a project, as CreateMember, and tells the refusals apart:
// Glance answers the same bare 403 when the image's visibility is not "shared" and when the
// caller is not the owner, so on a 403 the image is read. When its visibility is not
// "shared", the error is a *NotSharedError carrying that visibility (it still satisfies
// IsForbidden); otherwise Glance's error comes back as it is.
func (c *Client) ShareImage(ctx context.Context, imageID, memberID string) (*Member, error) {
	m, err := c.CreateMember(ctx, imageID, memberID)
	if !IsForbidden(err) {
		return m, err
	}
	if visibility, notShared := c.notSharedVisibility(ctx, imageID); notShared {
		return nil, &NotSharedError{ImageID: imageID, Visibility: visibility, Err: err}
	}
	return nil, err
}

// notSharedVisibility reads the image and reports its visibility when it is not "shared";
// notShared is false when it is shared or cannot be read.
func (c *Client) notSharedVisibility(ctx context.Context, imageID string) (visibility string, notShared bool) {
	img, err := c.GetImage(ctx, imageID)
	if err != nil || img.Visibility == VisibilityShared {
		return "", false
	}
	return img.Visibility, true
}

// GetMember reads one membership; the owner and the member project may. Glance answers 404
// when the membership does not exist, when the image is not visible to the caller, and when
// the image's visibility is no longer "shared" ("Only shared images have members.").
func (c *Client) GetMember(ctx context.Context, imageID, memberID string) (*Member, error) {
	var m Member
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: memberPath(imageID, memberID), idempotent: true, out: &m}); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListMembers lists an image's members (owner side; 403 when the image is not "shared").
func (c *Client) ListMembers(ctx context.Context, imageID string) ([]Member, error) {
	var out struct {
		Members []Member `json:"members"`
	}
	if err := c.doJSON(ctx, call{method: http.MethodGet, path: memberPath(imageID, ""), idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	return out.Members, nil
}

// UpdateMemberStatus accepts, rejects or resets a membership. Only the member project may: the
// owner gets 403, a project that is not a member 404.
func (c *Client) UpdateMemberStatus(ctx context.Context, imageID, memberID, status string) (*Member, error) {
	var m Member
	err := c.doJSON(ctx, call{method: http.MethodPut, path: memberPath(imageID, memberID), body: map[string]string{"status": status}, idempotent: true, out: &m})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteMember stops sharing an image with a project (owner side); a membership that is
// already gone is not an error. Glance answers 403 to anyone but the owner, and to the owner
// too while the image's visibility is not "shared".
func (c *Client) DeleteMember(ctx context.Context, imageID, memberID string) error {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: memberPath(imageID, memberID), idempotent: true})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// MemberRemoval is what RemoveMember did with a membership.
type MemberRemoval int

const (
	// MemberRemoved: Glance deleted the membership.
	MemberRemoved MemberRemoval = iota
	// MemberAlreadyGone: there was no such membership (or no such image).
	MemberAlreadyGone
	// MemberKeptHidden: the image's visibility is not "shared", and Glance changes no member
	// of such an image: it keeps the membership, hidden, and it returns with the visibility.
	// It goes away with the image.
	MemberKeptHidden
)

// RemoveMemberResult says what became of a membership RemoveMember was asked to remove.
type RemoveMemberResult struct {
	Outcome MemberRemoval
	// Visibility is the image's visibility when Outcome is MemberKeptHidden ("" when Glance
	// said so without the image being read).
	Visibility string
}

// RemoveMember stops sharing an image with a project (owner side), whatever the image's
// visibility. Glance refuses member calls on an image that is not "shared": DELETE answers
// 403 "Not allowed to delete members for image ..." (the same bare 403 a caller that is not
// the owner gets) or, on some releases, 404 "Only shared images have members". On a 403 the
// image is read: when its visibility is not "shared" the result is MemberKeptHidden, not an
// error; otherwise Glance's refusal comes back as it is.
func (c *Client) RemoveMember(ctx context.Context, imageID, memberID string) (RemoveMemberResult, error) {
	err := c.doJSON(ctx, call{method: http.MethodDelete, path: memberPath(imageID, memberID), idempotent: true})
	switch {
	case err == nil:
		return RemoveMemberResult{Outcome: MemberRemoved}, nil
	case IsNotShared(err):
		visibility, _ := c.notSharedVisibility(ctx, imageID)
		return RemoveMemberResult{Outcome: MemberKeptHidden, Visibility: visibility}, nil
	case IsNotFound(err):
		return RemoveMemberResult{Outcome: MemberAlreadyGone}, nil
	case IsForbidden(err):
		if visibility, notShared := c.notSharedVisibility(ctx, imageID); notShared {
			return RemoveMemberResult{Outcome: MemberKeptHidden, Visibility: visibility}, nil
		}
	}
	return RemoveMemberResult{}, err
}
