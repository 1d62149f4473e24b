data "glance_usage" "quota" {}

output "image_space_left_mib" {
  value = data.glance_usage.quota.image_size_total == null ? null : (
    data.glance_usage.quota.image_size_total.limit - data.glance_usage.quota.image_size_total.usage
  )
}
