# The consumer project accepts an image shared with it. The provider must authenticate as
# that project: use an alias with its credentials.
provider "glance" {
  alias = "team_b"
  cloud = "team-b"
}

resource "glance_image_member_status" "accept_golden" {
  provider = glance.team_b

  image_id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
  status   = "accepted"
  # member_id defaults to the project the provider authenticates to
}
