package glance

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

const memberJSON = `{"member_id": "p2", "image_id": "img", "status": "pending", "created_at": "2026-11-22T14:58:03Z", "updated_at": "2026-11-22T14:58:04Z", "schema": "/v2/schemas/member"}`

// memberRequest is what a member endpoint received.
type memberRequest struct {
	method, path, contentType, accept, token, body string
}

// newMemberTestClient answers every request with status and body, recording the requests.
func newMemberTestClient(t *testing.T, status int, body string) (*Client, *[]memberRequest) {
	t.Helper()
	var got []memberRequest
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, memberRequest{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("X-Auth-Token"), string(b)})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	return c, &got
}

func checkMemberRequest(t *testing.T, got []memberRequest, method, path, body string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1: %+v", len(got), got)
	}
	r := got[0]
	if r.method != method || r.path != path {
		t.Errorf("request %s %s, want %s %s", r.method, r.path, method, path)
	}
	if r.body != body {
		t.Errorf("body %q, want %q", r.body, body)
	}
	if body != "" && r.contentType != "application/json" {
		t.Errorf("Content-Type %q", r.contentType)
	}
	if r.accept != "application/json" || r.token != "token-0" {
		t.Errorf("Accept %q, X-Auth-Token %q", r.accept, r.token)
	}
}

func checkMember(t *testing.T, m *Member, status string) {
	t.Helper()
	want := Member{ImageID: "img", MemberID: "p2", Status: status, CreatedAt: "2026-11-22T14:58:03Z", UpdatedAt: "2026-11-22T14:58:04Z", Schema: "/v2/schemas/member"}
	if m == nil || *m != want {
		t.Errorf("member %+v, want %+v", m, want)
	}
}

func TestCreateMember_request(t *testing.T) {
	c, got := newMemberTestClient(t, http.StatusOK, memberJSON)
	m, err := c.CreateMember(context.Background(), "img", "p2")
	if err != nil {
		t.Fatal(err)
	}
	checkMemberRequest(t, *got, http.MethodPost, "/glance/v2/images/img/members", `{"member":"p2"}`)
	checkMember(t, m, MemberPending)
}

func TestCreateMember_lostAnswerIsRecovered(t *testing.T) {
	var posts atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/glance/v2/images/img/members/p2" {
			_, _ = w.Write([]byte(memberJSON))
			return
		}
		if posts.Add(1) == 1 {
			// The member was created, but the answer never reached the client.
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusConflict)
	})
	m, err := c.CreateMember(context.Background(), "img", "p2")
	if err != nil {
		t.Fatal(err)
	}
	checkMember(t, m, MemberPending)
	if n := posts.Load(); n != 2 {
		t.Errorf("%d POSTs, want 2", n)
	}
}

func TestCreateMember_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		status  int
		body    string
		is      func(error) bool
		message string
	}{
		"duplicate":       {http.StatusConflict, `{"message": "Member p2 is duplicated for image img<br /><br />\n\n\n", "code": "409 Conflict"}`, IsConflict, "Member p2 is duplicated for image img"},
		"not shared":      {http.StatusForbidden, `{"message": "Not allowed to create members for image img.<br /><br />\n\n\n", "code": "403 Forbidden"}`, IsForbidden, "Not allowed to create members for image img."},
		"invisible image": {http.StatusNotFound, `{"message": "Image img not found."}`, IsNotFound, "Image img not found."},
		"member quota":    {http.StatusRequestEntityTooLarge, `{"message": "The request returned a 413 Request Entity Too Large."}`, IsOverLimit, "413"},
	} {
		t.Run(name, func(t *testing.T) {
			c, got := newMemberTestClient(t, tc.status, tc.body)
			_, err := c.CreateMember(context.Background(), "img", "p2")
			if !tc.is(err) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v", err)
			}
			if len(*got) != 1 {
				t.Errorf("%d requests: a %d must not be retried", len(*got), tc.status)
			}
		})
	}
}

func TestGetMember_request(t *testing.T) {
	c, got := newMemberTestClient(t, http.StatusOK, strings.Replace(memberJSON, "pending", "accepted", 1))
	m, err := c.GetMember(context.Background(), "img", "p2")
	if err != nil {
		t.Fatal(err)
	}
	checkMemberRequest(t, *got, http.MethodGet, "/glance/v2/images/img/members/p2", "")
	checkMember(t, m, MemberAccepted)
}

func TestGetMember_notFound(t *testing.T) {
	c, _ := newMemberTestClient(t, http.StatusNotFound, `{"message": "Only shared images have members.<br /><br />\n\n\n", "code": "404 Not Found"}`)
	_, err := c.GetMember(context.Background(), "img", "p2")
	if !IsNotFound(err) || !strings.Contains(err.Error(), "Only shared images have members.") {
		t.Fatalf("err = %v", err)
	}
}

func TestGetMember_escapesIDs(t *testing.T) {
	c, got := newMemberTestClient(t, http.StatusOK, memberJSON)
	if _, err := c.GetMember(context.Background(), "img", "a b/c?d"); err != nil {
		t.Fatal(err)
	}
	checkMemberRequest(t, *got, http.MethodGet, "/glance/v2/images/img/members/a%20b%2Fc%3Fd", "")
}

func TestListMembers_request(t *testing.T) {
	c, got := newMemberTestClient(t, http.StatusOK, `{"members": [`+memberJSON+`, {"member_id": "p3", "image_id": "img", "status": "rejected"}], "schema": "/v2/schemas/members"}`)
	list, err := c.ListMembers(context.Background(), "img")
	if err != nil {
		t.Fatal(err)
	}
	checkMemberRequest(t, *got, http.MethodGet, "/glance/v2/images/img/members", "")
	if len(list) != 2 || list[1].MemberID != "p3" || list[1].Status != MemberRejected {
		t.Fatalf("members %+v", list)
	}
	checkMember(t, &list[0], MemberPending)
}

func TestListMembers_forbidden(t *testing.T) {
	c, _ := newMemberTestClient(t, http.StatusForbidden, `{"message": "Not allowed to list members for image img: Only shared images have members."}`)
	if _, err := c.ListMembers(context.Background(), "img"); !IsForbidden(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestUpdateMemberStatus_request(t *testing.T) {
	for _, status := range []string{MemberAccepted, MemberRejected, MemberPending} {
		t.Run(status, func(t *testing.T) {
			c, got := newMemberTestClient(t, http.StatusOK, strings.Replace(memberJSON, "pending", status, 1))
			m, err := c.UpdateMemberStatus(context.Background(), "img", "p2", status)
			if err != nil {
				t.Fatal(err)
			}
			checkMemberRequest(t, *got, http.MethodPut, "/glance/v2/images/img/members/p2", `{"status":"`+status+`"}`)
			checkMember(t, m, status)
		})
	}
}

func TestUpdateMemberStatus_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		body   string
		is     func(error) bool
	}{
		"owner":      {http.StatusForbidden, `{"message": "Not allowed to update members for image img."}`, IsForbidden},
		"not member": {http.StatusNotFound, `{"message": "p2 not found in the member list of the image img."}`, IsNotFound},
		"bad status": {http.StatusBadRequest, `{"message": "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\"."}`, IsBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			c, got := newMemberTestClient(t, tc.status, tc.body)
			if _, err := c.UpdateMemberStatus(context.Background(), "img", "p2", MemberAccepted); !tc.is(err) {
				t.Fatalf("err = %v", err)
			}
			if len(*got) != 1 {
				t.Errorf("%d requests, want 1", len(*got))
			}
		})
	}
}

func TestUpdateMemberStatus_retriesServerErrors(t *testing.T) {
	var puts atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		if puts.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(strings.Replace(memberJSON, "pending", "accepted", 1)))
	})
	m, err := c.UpdateMemberStatus(context.Background(), "img", "p2", MemberAccepted)
	if err != nil {
		t.Fatal(err)
	}
	checkMember(t, m, MemberAccepted)
}

func TestDeleteMember_request(t *testing.T) {
	c, got := newMemberTestClient(t, http.StatusNoContent, "")
	if err := c.DeleteMember(context.Background(), "img", "p2"); err != nil {
		t.Fatal(err)
	}
	checkMemberRequest(t, *got, http.MethodDelete, "/glance/v2/images/img/members/p2", "")
}

func TestDeleteMember_goneIsSuccess(t *testing.T) {
	c, _ := newMemberTestClient(t, http.StatusNotFound, `{"message": "p2 not found in the member list of the image img."}`)
	if err := c.DeleteMember(context.Background(), "img", "p2"); err != nil {
		t.Fatalf("a missing member must not be an error: %v", err)
	}
}

func TestDeleteMember_forbidden(t *testing.T) {
	c, _ := newMemberTestClient(t, http.StatusForbidden, `{"message": "Not allowed to delete members for image img."}`)
	if err := c.DeleteMember(context.Background(), "img", "p2"); !IsForbidden(err) {
		t.Fatalf("err = %v", err)
	}
}

// newShareTestClient refuses POST .../members with status and serves the image with visibility.
func newShareTestClient(t *testing.T, status int, visibility string) (*Client, *atomic.Int32) {
	t.Helper()
	var imageReads atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/glance/v2/images/img/members":
			w.WriteHeader(status)
			if status == http.StatusOK {
				_, _ = w.Write([]byte(memberJSON))
				return
			}
			_, _ = w.Write([]byte(`{"message": "Not allowed to create members for image img.<br /><br />\n\n\n", "code": "403 Forbidden"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/glance/v2/images/img":
			imageReads.Add(1)
			if visibility == "" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(`{"id": "img", "status": "active", "visibility": "` + visibility + `"}`))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusTeapot)
		}
	})
	return c, &imageReads
}

func TestShareImage_ok(t *testing.T) {
	c, reads := newShareTestClient(t, http.StatusOK, "shared")
	m, err := c.ShareImage(context.Background(), "img", "p2")
	if err != nil {
		t.Fatal(err)
	}
	checkMember(t, m, MemberPending)
	if reads.Load() != 0 {
		t.Errorf("%d image reads after a success, want none", reads.Load())
	}
}

func TestShareImage_privateImage(t *testing.T) {
	c, _ := newShareTestClient(t, http.StatusForbidden, "private")
	_, err := c.ShareImage(context.Background(), "img", "p2")
	var ns *NotSharedError
	if !errors.As(err, &ns) || ns.Visibility != "private" || ns.ImageID != "img" {
		t.Fatalf("err = %#v, want a *NotSharedError with visibility private", err)
	}
	if !IsForbidden(err) || !IsNotShared(err) || !strings.Contains(err.Error(), "Not allowed to create members for image img.") {
		t.Errorf("err = %v: want Glance's 403 underneath", err)
	}
}

func TestShareImage_notOwner(t *testing.T) {
	c, reads := newShareTestClient(t, http.StatusForbidden, "shared")
	_, err := c.ShareImage(context.Background(), "img", "p2")
	var ns *NotSharedError
	if errors.As(err, &ns) || !IsForbidden(err) || IsNotShared(err) {
		t.Fatalf("err = %#v, want Glance's plain 403", err)
	}
	if reads.Load() != 1 {
		t.Errorf("%d image reads, want 1", reads.Load())
	}
}

func TestShareImage_imageUnreadable(t *testing.T) {
	c, _ := newShareTestClient(t, http.StatusForbidden, "")
	_, err := c.ShareImage(context.Background(), "img", "p2")
	var ns *NotSharedError
	if errors.As(err, &ns) || !IsForbidden(err) {
		t.Fatalf("err = %#v, want Glance's 403 when the image cannot be read", err)
	}
}

func TestShareImage_conflictNotExplained(t *testing.T) {
	c, reads := newShareTestClient(t, http.StatusConflict, "shared")
	_, err := c.ShareImage(context.Background(), "img", "p2")
	if !IsConflict(err) || reads.Load() != 0 {
		t.Fatalf("err = %v after %d image reads, want the 409 and no read", err, reads.Load())
	}
}

// newRemoveTestClient answers DELETE .../members/p2 with status and message, and serves the
// image with visibility (404 when it is empty).
func newRemoveTestClient(t *testing.T, status int, message, visibility string) (*Client, *atomic.Int32) {
	t.Helper()
	var imageReads atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodDelete && r.URL.Path == "/glance/v2/images/img/members/p2":
			w.WriteHeader(status)
			if message != "" {
				_, _ = w.Write([]byte(`{"message": "` + message + `<br /><br />\n\n\n", "code": "` + http.StatusText(status) + `"}`))
			}
		case r.Method == http.MethodGet && r.URL.Path == "/glance/v2/images/img":
			imageReads.Add(1)
			if visibility == "" {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_, _ = w.Write([]byte(`{"id": "img", "status": "active", "visibility": "` + visibility + `"}`))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusTeapot)
		}
	})
	return c, &imageReads
}

func TestRemoveMember_outcomes(t *testing.T) {
	cases := map[string]struct {
		status              int
		message, visibility string
		want                RemoveMemberResult
		wantErr             func(error) bool
		reads               int32
	}{
		"removed":          {status: http.StatusNoContent, visibility: "shared", want: RemoveMemberResult{Outcome: MemberRemoved}},
		"already gone":     {status: http.StatusNotFound, message: "Not found", visibility: "shared", want: RemoveMemberResult{Outcome: MemberAlreadyGone}},
		"private image":    {status: http.StatusForbidden, message: "Not allowed to delete members for image img.", visibility: "private", want: RemoveMemberResult{Outcome: MemberKeptHidden, Visibility: "private"}, reads: 1},
		"community":        {status: http.StatusForbidden, message: "Not allowed to delete members for image img.", visibility: "community", want: RemoveMemberResult{Outcome: MemberKeptHidden, Visibility: "community"}, reads: 1},
		"404 not shared":   {status: http.StatusNotFound, message: "Only shared images have members.", visibility: "public", want: RemoveMemberResult{Outcome: MemberKeptHidden, Visibility: "public"}, reads: 1},
		"not owner":        {status: http.StatusForbidden, message: "Not allowed to delete members for image img.", visibility: "shared", wantErr: IsForbidden, reads: 1},
		"image unreadable": {status: http.StatusForbidden, message: "Not allowed to delete members for image img.", wantErr: IsForbidden, reads: 1},
		"bad request":      {status: http.StatusBadRequest, message: "bad", visibility: "private", wantErr: IsBadRequest},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, reads := newRemoveTestClient(t, tc.status, tc.message, tc.visibility)
			got, err := c.RemoveMember(context.Background(), "img", "p2")
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("err = %v, want Glance's refusal", err)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("RemoveMember = %+v, %v; want %+v", got, err, tc.want)
			}
			if reads.Load() != tc.reads {
				t.Errorf("%d image reads, want %d", reads.Load(), tc.reads)
			}
		})
	}
}
