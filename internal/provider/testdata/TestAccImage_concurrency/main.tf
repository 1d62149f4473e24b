# 20 images, an import and 5 shares, applied at Terraform's default parallelism.

variable "name" {
  type = string
}

variable "dir" {
  description = "Directory holding img-0.bin … img-19.bin."
  type        = string
}

variable "web_url" {
  type = string
}

variable "member_id" {
  type = string
}

resource "glance_image" "many" {
  count       = 20
  name        = "${var.name}-${count.index}"
  disk_format = "raw"
  visibility  = "shared"
  tags        = [var.name]
  source = {
    file = "${var.dir}/img-${count.index}.bin"
  }
}

resource "glance_image" "record" {
  name        = "${var.name}-imported"
  disk_format = "raw"
}

resource "glance_image_import" "web" {
  image_id = glance_image.record.id
  method   = "web-download"
  uri      = "${var.web_url}/img8m.bin"
}

resource "glance_image_member" "share" {
  count     = 5
  image_id  = glance_image.many[count.index].id
  member_id = var.member_id
}
