# The newest Ubuntu image tagged "lts".
data "glance_image" "ubuntu" {
  tags        = ["lts"]
  properties  = { os_distro = "ubuntu" }
  most_recent = true
}

# Or one image by id.
data "glance_image" "by_id" {
  id = "4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b"
}

output "ubuntu_image" {
  value = {
    id            = data.glance_image.ubuntu.id
    os_hash_value = data.glance_image.ubuntu.os_hash_value
  }
}
