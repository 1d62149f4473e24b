package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// memberConfig: demo owns a shared image and shares it with alt; alt sets status (when not
// empty); data.glance_images.seen is what alt sees under the image's name.
func memberConfig(t *testing.T, name, visibility string, share bool, status string) string {
	cfg := acctest.ExternalProvider + acctest.Demo.ProviderBlock(t, "owner") + acctest.Alt.ProviderBlock(t, "consumer") + fmt.Sprintf(`
resource "glance_image" "shared" {
  provider    = glance.owner
  name        = %q
  disk_format = "raw"
  visibility  = %q
}
`, name, visibility)
	if share {
		cfg += fmt.Sprintf(`
resource "glance_image_member" "test" {
  provider  = glance.owner
  image_id  = glance_image.shared.id
  member_id = %q
}
`, acctest.Alt.ProjectID(t))
	}
	if status != "" {
		cfg += fmt.Sprintf(`
resource "glance_image_member_status" "test" {
  provider = glance.consumer
  image_id = glance_image_member.test.image_id
  status   = %q
}

data "glance_images" "seen" {
  provider   = glance.consumer
  name       = %q
  depends_on = [glance_image_member_status.test]
}
`, status, name)
	}
	return cfg
}

// testAccCheckMemberStatus checks, through the client, the alt project's membership of
// glance_image.shared ("" for none).
func testAccCheckMemberStatus(t *testing.T, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, "glance_image.shared")
		if err != nil {
			return err
		}
		m, err := acctest.Client(t, acctest.Demo).GetMember(context.Background(), id, acctest.Alt.ProjectID(t))
		if want == "" {
			if err != nil && !glance.IsNotFound(err) {
				return fmt.Errorf("membership of image %s: %w", id, err)
			}
			if err == nil {
				return fmt.Errorf("membership of image %s: got %+v; want none", id, m)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if m.Status != want {
			return fmt.Errorf("membership status %q, want %q", m.Status, want)
		}
		return nil
	}
}

func TestAccImageMember_shareAcceptRejectRevoke(t *testing.T) {
	name := acctest.RandomName("share")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:     func() { acctest.PreCheck(t) },
		CheckDestroy: testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				// Shared, not yet answered.
				Config: memberConfig(t, name, "shared", true, ""),
				Check:  testAccCheckMemberStatus(t, "pending"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_member.test", tfjsonpath.New("status"), knownvalue.StringExact("pending")),
					statecheck.ExpectKnownValue("glance_image_member.test", tfjsonpath.New("member_id"), knownvalue.StringExact(acctest.Alt.ProjectID(t))),
				},
			},
			{
				// Accepted by the consumer, who now sees the image.
				Config: memberConfig(t, name, "shared", true, "accepted"),
				Check:  testAccCheckMemberStatus(t, "accepted"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("glance_image_member_status.test", tfjsonpath.New("member_id"), knownvalue.StringExact(acctest.Alt.ProjectID(t))),
					statecheck.ExpectKnownValue("data.glance_images.seen", tfjsonpath.New("images"), knownvalue.ListSizeExact(1)),
				},
			},
			{
				// The owner makes the image private: Glance hides the memberships but keeps them,
				// so the owner's stays in state (the plan after the apply is empty) ... The
				// consumer cannot see the image meanwhile, so its status resource goes.
				Config: memberConfig(t, name, "private", true, ""),
			},
			{
				// ... and they work again, still accepted, once it is shared again.
				Config: memberConfig(t, name, "shared", true, "accepted"),
				Check:  testAccCheckMemberStatus(t, "accepted"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.glance_images.seen", tfjsonpath.New("images"), knownvalue.ListSizeExact(1)),
				},
			},
			{
				// Rejected in place: the image leaves the consumer's default list.
				Config:           memberConfig(t, name, "shared", true, "rejected"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("glance_image_member_status.test", plancheck.ResourceActionUpdate)}},
				Check:            testAccCheckMemberStatus(t, "rejected"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.glance_images.seen", tfjsonpath.New("images"), knownvalue.ListSizeExact(0)),
				},
			},
			{
				// The consumer's resource destroyed: the membership returns to pending.
				Config: memberConfig(t, name, "shared", true, ""),
				Check:  testAccCheckMemberStatus(t, "pending"),
			},
			{
				// Revoked by the owner.
				Config: memberConfig(t, name, "shared", false, ""),
				Check: resource.ComposeTestCheckFunc(testAccCheckMemberStatus(t, ""), func(*terraform.State) error {
					imgs, err := acctest.Client(t, acctest.Alt).ListImages(context.Background(), glance.ListImagesOptions{Name: name, MemberStatus: "all", Visibility: "shared"})
					if err != nil {
						return err
					}
					if len(imgs) != 0 {
						return fmt.Errorf("the consumer still sees %d images after the revoke", len(imgs))
					}
					return nil
				}),
			},
		},
	})
}

func TestAccImageMember_disappears(t *testing.T) {
	name := acctest.RandomName("member-gone")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:     func() { acctest.PreCheck(t) },
		CheckDestroy: testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: memberConfig(t, name, "shared", true, "accepted"),
				Check: func(s *terraform.State) error {
					// Deleted out of band after the apply.
					id, err := acctest.ID(s, "glance_image.shared")
					if err != nil {
						return err
					}
					return acctest.Client(t, acctest.Demo).DeleteMember(context.Background(), id, acctest.Alt.ProjectID(t))
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: memberConfig(t, name, "shared", true, "accepted"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("glance_image_member.test", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("glance_image_member_status.test", plancheck.ResourceActionCreate),
				}},
				Check: testAccCheckMemberStatus(t, "accepted"),
			},
		},
	})
}

func TestAccImageMember_errors(t *testing.T) {
	t.Run("private image", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:     func() { acctest.PreCheck(t) },
			CheckDestroy: testAccCheckImageDestroyed(t),
			Steps: []resource.TestStep{{
				Config:      memberConfig(t, acctest.RandomName("private"), "private", true, ""),
				ExpectError: regexp.MustCompile(`(?s)visibility\s+"private".*visibility\s+=\s+"shared"`),
			}},
		})
	})
	t.Run("owner accepts", func(t *testing.T) {
		name := acctest.RandomName("owner-accepts")
		cfg := memberConfig(t, name, "shared", true, "") + `
resource "glance_image_member_status" "by_owner" {
  provider  = glance.owner
  image_id  = glance_image_member.test.image_id
  member_id = glance_image_member.test.member_id
  status    = "accepted"
}`
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:     func() { acctest.PreCheck(t) },
			CheckDestroy: testAccCheckImageDestroyed(t),
			Steps:        []resource.TestStep{{Config: cfg, ExpectError: regexp.MustCompile(`(?s)Only the Member Project Can Change the Status.*authenticates\s+to\s+project`)}},
		})
	})
	t.Run("duplicate member", func(t *testing.T) {
		name := acctest.RandomName("dup")
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:     func() { acctest.PreCheck(t) },
			CheckDestroy: testAccCheckImageDestroyed(t),
			Steps: []resource.TestStep{
				{
					Config: memberConfig(t, name, "shared", false, ""),
					Check: func(s *terraform.State) error {
						id, err := acctest.ID(s, "glance_image.shared")
						if err != nil {
							return err
						}
						_, err = acctest.Client(t, acctest.Demo).CreateMember(context.Background(), id, acctest.Alt.ProjectID(t))
						return err
					},
				},
				{
					Config:      memberConfig(t, name, "shared", true, ""),
					ExpectError: regexp.MustCompile(`(?s)already shared.*terraform import`),
				},
			},
		})
	})
	t.Run("not shared with consumer", func(t *testing.T) {
		name := acctest.RandomName("not-shared")
		cfg := memberConfig(t, name, "shared", false, "") + `
resource "glance_image_member_status" "test" {
  provider = glance.consumer
  image_id = glance_image.shared.id
  status   = "accepted"
}`
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:     func() { acctest.PreCheck(t) },
			CheckDestroy: testAccCheckImageDestroyed(t),
			Steps:        []resource.TestStep{{Config: cfg, ExpectError: regexp.MustCompile(`Image Not Shared With This Project`)}},
		})
	})
	t.Run("bad import id", func(t *testing.T) {
		resource.ParallelTest(t, resource.TestCase{
			PreCheck:                 func() { acctest.PreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:        `resource "glance_image_member" "x" {` + "\n" + `  image_id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"` + "\n" + `  member_id = "p"` + "\n}",
				ResourceName:  "glance_image_member.x",
				ImportState:   true,
				ImportStateId: "no-slash",
				ExpectError:   regexp.MustCompile(`Invalid Import ID`),
			}},
		})
	})
}

func TestSplitMemberID(t *testing.T) {
	for in, ok := range map[string]bool{"a/b": true, "a/": false, "/b": false, "ab": false, "a/b/c": false} {
		if _, _, got := splitMemberID(in); got != ok {
			t.Errorf("splitMemberID(%q) ok = %v, want %v", in, got, ok)
		}
	}
}

// TestAccImageMember_import imports both sides of a share. Each side runs in-process with the
// credentials of its own project (one provider configuration per test).
func TestAccImageMember_import(t *testing.T) {
	name := acctest.RandomName("member-import")
	ownerCfg := acctest.Demo.ProviderBlock(t, "") + fmt.Sprintf(`
resource "glance_image" "shared" {
  name        = %q
  disk_format = "raw"
  visibility  = "shared"
}

resource "glance_image_member" "test" {
  image_id  = glance_image.shared.id
  member_id = %q
}
`, name, acctest.Alt.ProjectID(t))
	var imageID string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: ownerCfg, Check: acctest.KeepID("glance_image.shared", &imageID)},
			{
				Config:            ownerCfg,
				ResourceName:      "glance_image_member.test",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return imageID + "/" + acctest.Alt.ProjectID(t), nil },
			},
		},
	})

	// The consumer side, on an image demo shares outside this configuration.
	c := acctest.Client(t, acctest.Demo)
	ctx := context.Background()
	img, err := c.CreateImage(ctx, glance.CreateImageRequest{Name: name + "-2", DiskFormat: "raw", ContainerFormat: "bare", Visibility: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteImage(ctx, img.ID) })
	if _, err := c.CreateMember(ctx, img.ID, acctest.Alt.ProjectID(t)); err != nil {
		t.Fatal(err)
	}
	consumerCfg := acctest.Alt.ProviderBlock(t, "") + fmt.Sprintf(`
resource "glance_image_member_status" "test" {
  image_id = %q
  status   = "accepted"
}
`, img.ID)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: consumerCfg},
			{
				Config:            consumerCfg,
				ResourceName:      "glance_image_member_status.test",
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateId:     img.ID + "/" + acctest.Alt.ProjectID(t),
			},
		},
	})
	m, err := c.GetMember(ctx, img.ID, acctest.Alt.ProjectID(t))
	if err != nil || m.Status != glance.MemberPending {
		t.Fatalf("after destroying glance_image_member_status the membership is %+v (%v), want pending", m, err)
	}
}

func TestExplainShareError_cases(t *testing.T) {
	refusal := func(code int) *glance.Error {
		return &glance.Error{Method: "POST", URL: "/v2/images/img/members", StatusCode: code, Message: "glance says no"}
	}
	for name, tc := range map[string]struct {
		err  error
		want []string
	}{
		"duplicate": {refusal(http.StatusConflict), []string{"already shared with project p", "terraform import <address> img/p", "glance says no"}},
		"private image": {&glance.NotSharedError{ImageID: "img", Visibility: "private", Err: refusal(http.StatusForbidden)},
			[]string{`has visibility "private"`, `Set visibility = "shared"`, "glance says no"}},
		"not the owner": {refusal(http.StatusForbidden), []string{"only the image's owner project may add members", "glance says no"}},
		"no image":      {refusal(http.StatusNotFound), []string{"does not exist or is not visible", "glance says no"}},
		"other":         {refusal(http.StatusInternalServerError), []string{"Sharing image img with project p failed", "glance says no"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := explainShareError("img", "p", tc.err)
			for _, s := range tc.want {
				if !strings.Contains(got, s) {
					t.Errorf("explanation does not mention %q: %s", s, got)
				}
			}
		})
	}
}
