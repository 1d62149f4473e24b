# Every active qcow2 image shared with this project and accepted, newest first.
data "glance_images" "shared_with_me" {
  visibility    = "shared"
  member_status = "accepted"
  status        = "active"
  sort          = "created_at:desc"
}

output "shared_image_names" {
  value = [for i in data.glance_images.shared_with_me.images : i.name]
}
