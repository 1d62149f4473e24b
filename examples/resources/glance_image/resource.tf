# Upload a local qcow2 file; the data is verified against Glance's os_hash_value.
resource "glance_image" "ubuntu" {
  name        = "ubuntu-24.04"
  disk_format = "qcow2"
  visibility  = "shared"
  tags        = ["ubuntu", "lts"]
  properties = {
    os_distro   = "ubuntu"
    os_version  = "24.04"
    hw_disk_bus = "scsi"
  }

  source = {
    file     = "${path.module}/images/noble-server-cloudimg-amd64.img"
    checksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  }
}

# disk_format left out: the provider reads the file's first bytes and plans what it finds
# (here qcow2). A qcow2 with a backing file or an external data file is refused at plan.
resource "glance_image" "cirros" {
  name = "cirros-0.6"

  source = {
    file = "${path.module}/images/cirros-0.6.2-x86_64-disk.img"
  }
}

# Stream a compressed image from a URL into a chosen store, decompressing on the way.
resource "glance_image" "debian" {
  name        = "debian-12"
  disk_format = "raw"
  store       = "ceph"

  source = {
    url        = "https://images.example.com/debian-12-generic-amd64.raw.xz"
    decompress = "auto"
    headers = {
      Authorization = "Bearer ${var.mirror_token}"
    }
  }

  timeouts = {
    create = "2h"
  }
}

# An image that servers boot from: a new file replaces the image, and by default Terraform
# deletes the old image first. create_before_destroy uploads the new one before the old one
# is deleted (leave id unset: Glance never reuses an image id).
resource "glance_image" "golden" {
  name        = "golden-base"
  disk_format = "qcow2"

  source = {
    file = "${path.module}/images/golden-base.qcow2"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A record without data, filled by glance_image_import.
resource "glance_image" "record" {
  name        = "imported-later"
  disk_format = "qcow2"
}

variable "mirror_token" {
  type      = string
  sensitive = true
}
