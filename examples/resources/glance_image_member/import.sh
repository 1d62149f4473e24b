# <image_id>/<member project id>, and @<region> for an image of another region than the provider's
terraform import glance_image_member.team_b 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e
terraform import glance_image_member.team_b_three 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e@RegionThree

# Terraform 1.12 and later can also import by resource identity (an import block). Identity:
# image_id and member_id (required), region (optional; default: the provider's region).
#   import {
#     to = glance_image_member.team_b
#     identity = {
#       image_id  = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
#       member_id = "6f0c1f2e3a4b4a379d7e4b1cf0a28c5e"
#     }
#   }
