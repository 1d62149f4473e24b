variable "name" {
  type = string
}

variable "url" {
  type = string
}

variable "checksum" {
  type = string
}

resource "glance_image" "test" {
  name        = var.name
  disk_format = "raw"
  source = {
    url      = var.url
    headers  = { "X-Test" = "secret-value" }
    checksum = var.checksum
  }
}
