package glance

import (
	"context"
	"net/http"
)

// Member is one project an image is shared with.
type Member struct {
	ImageID   string `json:"image_id"`
	MemberID  string `json:"member_id"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Schema    string `json:"schema"`
}

// Member statuses a consumer can set.
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

// CreateMember shares an image with a project (owner side). The image must have visibility
// "shared". A 409 after a retried request means our first attempt succeeded: the member is
// read back.
func (c *Client) CreateMember(ctx context.Context, imageID, memberID string) (*Member, error) {
	var m Member
	attempts := 0
	_, err := c.doJSON(ctx, call{method: http.MethodPost, path: memberPath(imageID, ""), body: map[string]string{"member": memberID},
		idempotent: true, out: &m, attempts: &attempts})
	if err != nil {
		if attempts > 1 && IsConflict(err) {
			return c.GetMember(ctx, imageID, memberID)
		}
		return nil, err
	}
	return &m, nil
}

// GetMember reads one membership (owner or member project).
func (c *Client) GetMember(ctx context.Context, imageID, memberID string) (*Member, error) {
	var m Member
	if _, err := c.doJSON(ctx, call{method: http.MethodGet, path: memberPath(imageID, memberID), idempotent: true, out: &m}); err != nil {
		return nil, err
	}
	return &m, nil
}

// ListMembers lists an image's members (owner side).
func (c *Client) ListMembers(ctx context.Context, imageID string) ([]Member, error) {
	var out struct {
		Members []Member `json:"members"`
	}
	if _, err := c.doJSON(ctx, call{method: http.MethodGet, path: memberPath(imageID, ""), idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	return out.Members, nil
}

// UpdateMemberStatus accepts, rejects or resets a membership; only the member project may.
func (c *Client) UpdateMemberStatus(ctx context.Context, imageID, memberID, status string) (*Member, error) {
	var m Member
	_, err := c.doJSON(ctx, call{method: http.MethodPut, path: memberPath(imageID, memberID), body: map[string]string{"status": status}, idempotent: true, out: &m})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteMember stops sharing an image with a project (owner side); a membership that is
// already gone is not an error.
func (c *Client) DeleteMember(ctx context.Context, imageID, memberID string) error {
	_, err := c.doJSON(ctx, call{method: http.MethodDelete, path: memberPath(imageID, memberID), idempotent: true})
	if IsNotFound(err) {
		return nil
	}
	return err
}
