# One image per compressed file: gzip and zstd named, xz recognised by decompress = "auto".
variable "name" {
  type = string
}

variable "dir" {
  type = string
}

resource "glance_image" "c0" {
  name        = "${var.name}-0"
  disk_format = "raw"
  source = {
    file       = "${var.dir}/img.gz"
    decompress = "gzip"
  }
}

resource "glance_image" "c1" {
  name        = "${var.name}-1"
  disk_format = "raw"
  source = {
    file       = "${var.dir}/img.xz"
    decompress = "auto"
  }
}

resource "glance_image" "c2" {
  name        = "${var.name}-2"
  disk_format = "raw"
  source = {
    file       = "${var.dir}/img.zst"
    decompress = "zstd"
  }
}
