package glance

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestMembers_endpoints(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.Method + " " + r.URL.Path {
		case "POST /glance/v2/images/img/members":
			if string(body) != `{"member":"p2"}` {
				t.Errorf("body %s", body)
			}
			_, _ = w.Write([]byte(`{"image_id": "img", "member_id": "p2", "status": "pending", "created_at": "t"}`))
		case "GET /glance/v2/images/img/members":
			_, _ = w.Write([]byte(`{"members": [{"image_id": "img", "member_id": "p2", "status": "pending"}]}`))
		case "PUT /glance/v2/images/img/members/p2":
			if string(body) != `{"status":"accepted"}` {
				t.Errorf("body %s", body)
			}
			_, _ = w.Write([]byte(`{"image_id": "img", "member_id": "p2", "status": "accepted"}`))
		case "DELETE /glance/v2/images/img/members/p2":
			w.WriteHeader(http.StatusNotFound)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
	})
	ctx := context.Background()
	m, err := c.CreateMember(ctx, "img", "p2")
	if err != nil || m.Status != MemberPending || m.MemberID != "p2" {
		t.Fatalf("%+v %v", m, err)
	}
	list, err := c.ListMembers(ctx, "img")
	if err != nil || len(list) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	m, err = c.UpdateMemberStatus(ctx, "img", "p2", MemberAccepted)
	if err != nil || m.Status != MemberAccepted {
		t.Fatalf("%+v %v", m, err)
	}
	if err := c.DeleteMember(ctx, "img", "p2"); err != nil {
		t.Fatalf("a missing member must not be an error: %v", err)
	}
}

func TestCreateMember_lostAnswerIsRecovered(t *testing.T) {
	var posts atomic.Int32
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(`{"image_id": "img", "member_id": "p2", "status": "pending"}`))
			return
		}
		if posts.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusConflict)
	})
	m, err := c.CreateMember(context.Background(), "img", "p2")
	if err != nil || m.MemberID != "p2" {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestCreateMember_conflictIsAnError(t *testing.T) {
	c, _ := newCoreTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"message": "Member p2 already exists"}`))
	})
	_, err := c.CreateMember(context.Background(), "img", "p2")
	if !IsConflict(err) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("err = %v", err)
	}
}
