resource "glance_image" "golden" {
  name        = "golden-image"
  disk_format = "qcow2"
  visibility  = "shared" # only shared images can have members

  source = {
    file = "golden.qcow2"
  }
}

# Share the image with another project; it starts "pending" until that project accepts.
resource "glance_image_member" "team_b" {
  image_id  = glance_image.golden.id
  member_id = "6f0c1f2e3a4b4a379d7e4b1cf0a28c5e" # project id
}
