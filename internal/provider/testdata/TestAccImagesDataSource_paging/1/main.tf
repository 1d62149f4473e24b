variable "name" {
  type = string
}

# More images than Glance's default page of 25.
resource "glance_image" "many" {
  count       = 30
  name        = "${var.name}-${count.index}"
  disk_format = "raw"
  tags        = [var.name]
}
