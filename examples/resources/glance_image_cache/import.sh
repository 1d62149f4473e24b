# <image_id> of an image that is cached or queued for caching; @<region> for the cache of another
# region's image API than the provider's
terraform import glance_image_cache.ubuntu 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b
terraform import glance_image_cache.ubuntu_three 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b@RegionThree

# Terraform 1.12 and later can also import by resource identity (an import block). Identity:
# image_id (required), region (optional; default: the provider's region).
#   import {
#     to = glance_image_cache.ubuntu
#     identity = {
#       image_id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
#     }
#   }
