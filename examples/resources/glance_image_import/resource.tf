# The image record (no source), then Glance's interoperable import fills it.
resource "glance_image" "ubuntu" {
  name             = "ubuntu-24.04"
  disk_format      = "qcow2"
  container_format = "bare"
}

# web-download: Glance fetches the URL itself, into both stores.
resource "glance_image_import" "ubuntu" {
  image_id = glance_image.ubuntu.id
  method   = "web-download"
  uri      = "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
  stores   = ["fast", "slow"]

  timeouts = {
    create = "2h"
  }
}

# glance-direct: the provider streams a local file to the staging area and checks its digest
# on the way; Glance then imports the staged data.
resource "glance_image" "appliance" {
  name        = "appliance"
  disk_format = "raw"
}

resource "glance_image_import" "appliance" {
  image_id = glance_image.appliance.id
  method   = "glance-direct"
  file     = "${path.module}/appliance.raw"
  checksum = "sha256:${filesha256("${path.module}/appliance.raw")}"
}

# copy-image (admin): keep a second copy of the appliance in another store. Referring to the
# import (not to the image) makes Terraform wait until the image is active. Removing a store
# from the list deletes the copy made there; destroy deletes the copies this resource made.
resource "glance_image_import" "appliance_copies" {
  image_id = glance_image_import.appliance.image_id
  method   = "copy-image"
  stores   = ["slow"]
}

# glance-download: copy an image from another region of the same cloud.
resource "glance_image" "from_region_two" {
  name        = "appliance-from-region-two"
  disk_format = "raw"
}

resource "glance_image_import" "from_region_two" {
  image_id        = glance_image.from_region_two.id
  method          = "glance-download"
  glance_image_id = "4a8e1a4c-2b7f-4d5e-9a43-0f7d1c2e3b4a"
  glance_region   = "RegionTwo"
}

# The other way round, in one configuration: the source image is looked up in RegionOne (the
# data source's region), the new image and its import are in RegionTwo (region), and Glance in
# RegionTwo downloads from RegionOne (glance_region).
data "glance_image" "golden" {
  region = "RegionOne"
  name   = "golden-appliance"
}

resource "glance_image" "golden_in_two" {
  region      = "RegionTwo"
  name        = "golden-appliance"
  disk_format = data.glance_image.golden.disk_format
}

resource "glance_image_import" "golden_in_two" {
  region          = "RegionTwo"
  image_id        = glance_image.golden_in_two.id
  method          = "glance-download"
  glance_image_id = data.glance_image.golden.id
  glance_region   = "RegionOne"
}

output "appliance_stores" {
  # Where the data is now (stores is what was asked for).
  value = glance_image_import.appliance_copies.image_stores
}
