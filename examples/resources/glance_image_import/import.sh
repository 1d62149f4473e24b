# Import by image id. Glance does not report how an image was imported, so method, file, uri,
# the glance_* arguments, stores and checksum are taken from the configuration at the next
# apply: an in-place update that changes nothing in Glance (for copy-image, data is copied to
# any store in stores that lacks it). An imported copy-image resource does not own the copies
# that exist already: destroy leaves them in place.
terraform import glance_image_import.ubuntu 0d9c1b3e-5f2a-4c8e-b1d7-3e6f9a2c4b85

# An image of another region than the provider's: add @<region> (the image's region, region;
# not glance_region, the source of a glance-download).
terraform import glance_image_import.ubuntu_two 0d9c1b3e-5f2a-4c8e-b1d7-3e6f9a2c4b85@RegionTwo

# Terraform 1.12 and later can also import by resource identity (an import block). Identity:
# image_id (required), region (optional; default: the provider's region).
#   import {
#     to = glance_image_import.ubuntu
#     identity = {
#       image_id = "0d9c1b3e-5f2a-4c8e-b1d7-3e6f9a2c4b85"
#     }
#   }
