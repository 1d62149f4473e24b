package provider

import (
	"net/http"
	"strings"
	"testing"

	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

func TestMemberStatusRefused(t *testing.T) {
	notFound := &glance.Error{Method: "PUT", URL: "/v2/images/img/members/x", StatusCode: http.StatusNotFound}
	forbidden := &glance.Error{Method: "PUT", URL: "/v2/images/img/members/x", StatusCode: http.StatusForbidden}
	for name, tc := range map[string]struct {
		memberID, callerID string
		err                error
		summary, attribute string
		detailHas          []string
	}{
		// The image may well be shared with x: Glance hides it from other projects.
		"other project, 404": {memberID: "x", callerID: "y", err: notFound, summary: "Only the Member Project Can Change the Status", attribute: "member_id",
			detailHas: []string{"Only the member project itself (or an admin) can set its status", "authenticates to project y", "configured for project x"}},
		"other project, 403": {memberID: "x", callerID: "y", err: forbidden, summary: "Only the Member Project Can Change the Status", attribute: "member_id",
			detailHas: []string{"authenticates to project y", "configured for project x"}},
		"own project, 404": {memberID: "x", callerID: "x", err: notFound, summary: "Image Not Shared With This Project",
			detailHas: []string{"not shared with project x", "must first share it"}},
		"own project, 403": {memberID: "x", callerID: "x", err: forbidden, summary: "Only the Member Project Can Change the Status",
			detailHas: []string{"authenticates as project x"}},
		// Token and endpoint auth: the provider does not know its project.
		"caller unknown, 404": {memberID: "x", err: notFound, summary: "Image Not Shared With This Project", detailHas: []string{"not shared with project x"}},
	} {
		t.Run(name, func(t *testing.T) {
			d := memberStatusRefused("img", tc.memberID, tc.callerID, tc.err)
			if d.Summary() != tc.summary || diagPath(d) != tc.attribute {
				t.Fatalf("got %q on %q, want %q on %q", d.Summary(), diagPath(d), tc.summary, tc.attribute)
			}
			for _, s := range tc.detailHas {
				if !strings.Contains(d.Detail(), s) {
					t.Errorf("detail does not mention %q: %s", s, d.Detail())
				}
			}
		})
	}
}
