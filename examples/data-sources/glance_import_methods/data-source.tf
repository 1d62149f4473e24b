data "glance_import_methods" "cloud" {}

output "can_web_download" {
  value = contains(data.glance_import_methods.cloud.methods, "web-download")
}
