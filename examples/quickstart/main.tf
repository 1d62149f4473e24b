# Quickstart: what `make demo` applies against the local Keystone + Glance.
#
# The default provider authenticates from the OS_* environment (the admin project of the test
# environment); the "consumer" alias is a second project that accepts a shared image.

terraform {
  required_providers {
    glance = {
      source = "glance-provider/glance"
    }
  }
}

variable "image_file" {
  description = "Local file to upload (make demo generates one)."
  type        = string
}

variable "web_image_url" {
  description = "HTTP URL Glance itself downloads an image from (web-download import)."
  type        = string
}

variable "consumer_project_id" {
  description = "Project the uploaded image is shared with."
  type        = string
}

variable "consumer" {
  description = "Credentials of a user in the consumer project."
  type = object({
    username = string
    password = string
    project  = string
  })
  sensitive = true
}

provider "glance" {}

provider "glance" {
  alias               = "consumer"
  username            = var.consumer.username
  password            = var.consumer.password
  project_name        = var.consumer.project
  user_domain_name    = "Default"
  project_domain_name = "Default"
}

# What the cloud offers.
data "glance_stores" "all" {}
data "glance_import_methods" "cloud" {}
data "glance_usage" "quota" {}

# 1. Upload a local file: streamed once, hashed in the same pass, verified against os_hash_value.
resource "glance_image" "uploaded" {
  name             = "quickstart-uploaded"
  disk_format      = "raw"
  container_format = "bare"
  visibility       = "shared"
  tags             = ["quickstart"]
  properties = {
    os_distro = "cirros"
  }

  source = {
    file = var.image_file
  }
}

# 2. Let Glance download an image by itself (web-download), into both stores.
resource "glance_image" "downloaded" {
  name        = "quickstart-web-download"
  disk_format = "raw"
}

resource "glance_image_import" "downloaded" {
  image_id = glance_image.downloaded.id
  method   = "web-download"
  uri      = var.web_image_url
  stores   = [for s in data.glance_stores.all.stores : s.id]
}

# 3. Share the uploaded image with another project, which accepts it.
resource "glance_image_member" "share" {
  image_id  = glance_image.uploaded.id
  member_id = var.consumer_project_id
}

resource "glance_image_member_status" "accept" {
  provider = glance.consumer

  image_id = glance_image_member.share.image_id
  status   = "accepted"
}

output "stores" {
  value = [for s in data.glance_stores.all.stores : "${s.id}${s.default ? " (default)" : ""}: ${s.description}"]
}

output "import_methods" {
  value = data.glance_import_methods.cloud.methods
}

output "usage" {
  value = {
    for k, q in {
      image_size_total_mib  = data.glance_usage.quota.image_size_total
      image_count_total     = data.glance_usage.quota.image_count_total
      image_stage_total_mib = data.glance_usage.quota.image_stage_total
      image_count_uploading = data.glance_usage.quota.image_count_uploading
    } : k => q == null ? "not enforced" : "${q.usage} of ${q.limit}"
  }
}

output "uploaded_image" {
  value = {
    id            = glance_image.uploaded.id
    size          = glance_image.uploaded.size
    os_hash_algo  = glance_image.uploaded.os_hash_algo
    os_hash_value = glance_image.uploaded.os_hash_value
    stores        = glance_image.uploaded.stores
  }
}

output "web_download_image" {
  value = {
    id     = glance_image.downloaded.id
    stores = glance_image_import.downloaded.image_stores
  }
}

output "share_status" {
  value = glance_image_member_status.accept.status
}
