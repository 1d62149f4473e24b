package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/glance-provider/terraform-provider-glance/internal/acctest"
	"github.com/glance-provider/terraform-provider-glance/internal/glance"
)

// setVisibilityOutOfBand changes the visibility of glance_image.shared through the owner's client.
func setVisibilityOutOfBand(t *testing.T, visibility string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := acctest.ID(s, "glance_image.shared")
		if err != nil {
			return err
		}
		_, err = acctest.Client(t, acctest.Demo).UpdateImage(context.Background(), id, []glance.PatchOp{{Op: "replace", Path: "/visibility", Value: visibility}})
		return err
	}
}

// testAccCheckHiddenMembership checks that Glance kept the alt project's membership of the
// (private) image: sharing the image again shows it. The image is made private again after.
func testAccCheckHiddenMembership(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if err := setVisibilityOutOfBand(t, glance.VisibilityShared)(s); err != nil {
			return err
		}
		id, _ := acctest.ID(s, "glance_image.shared")
		members, err := acctest.Client(t, acctest.Demo).ListMembers(context.Background(), id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(members, func(m glance.Member) bool { return m.MemberID == acctest.Alt.ProjectID(t) }) {
			return fmt.Errorf("image %s's members are %+v: Glance was expected to keep the hidden membership", id, members)
		}
		return setVisibilityOutOfBand(t, "private")(s)
	}
}

// TestAccImageMember_unsharedImage: once the image is no longer shared, declaring it private
// with the member still declared applies (a warning: Glance keeps the membership, hidden, and
// it returns when the image is shared again), and removing the member succeeds.
func TestAccImageMember_unsharedImage(t *testing.T) {
	name := acctest.RandomName("member-unshared")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:     func() { acctest.PreCheck(t) },
		CheckDestroy: testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: memberConfig(t, name, "shared", true, ""), Check: setVisibilityOutOfBand(t, "private"), ExpectNonEmptyPlan: true},
			{Config: memberConfig(t, name, "private", true, ""), Check: testAccCheckHiddenMembership(t)},
			{Config: memberConfig(t, name, "private", false, ""), Check: testAccCheckHiddenMembership(t)},
		},
	})
}

// TestAccImageMember_destroyUnsharedImage: destroy succeeds when the image was made private
// while it has a member (Glance refuses member calls on it with 403).
func TestAccImageMember_destroyUnsharedImage(t *testing.T) {
	name := acctest.RandomName("member-destroy")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:     func() { acctest.PreCheck(t) },
		CheckDestroy: testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: memberConfig(t, name, "shared", true, ""), Check: setVisibilityOutOfBand(t, "private"), ExpectNonEmptyPlan: true},
		},
	})
}

// TestAccImageMember_declaredPrivate: a new member of an existing image the configuration
// declares private is a plan error.
func TestAccImageMember_declaredPrivate(t *testing.T) {
	name := acctest.RandomName("member-private")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:     func() { acctest.PreCheck(t) },
		CheckDestroy: testAccCheckImageDestroyed(t),
		Steps: []resource.TestStep{
			{Config: memberConfig(t, name, "private", false, "")},
			{Config: memberConfig(t, name, "private", true, ""),
				ExpectError: regexp.MustCompile(`(?s)Image Not Shared.*The\s+configuration\s+gives\s+image.*visibility\s+"private"`)},
			// Made shared in the same apply as the member is added: no error.
			{Config: memberConfig(t, name, "shared", true, "")},
		},
	})
}
