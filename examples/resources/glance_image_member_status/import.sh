# <image_id>/<member project id>; run with the member project's credentials. @<region> for an
# image of another region than the provider's.
terraform import glance_image_member_status.accept_golden 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e
terraform import glance_image_member_status.accept_golden_three 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e@RegionThree

# Terraform 1.12 and later can also import by resource identity (an import block). Identity:
# image_id and member_id (required), region (optional; default: the provider's region).
#   import {
#     provider = glance.team_b
#     to       = glance_image_member_status.accept_golden
#     identity = {
#       image_id  = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
#       member_id = "6f0c1f2e3a4b4a379d7e4b1cf0a28c5e"
#       region    = "RegionOne"
#     }
#   }
