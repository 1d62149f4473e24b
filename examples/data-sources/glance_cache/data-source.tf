# Needs admin credentials and a Glance with cache management enabled.
data "glance_cache" "now" {}

output "cached_image_ids" {
  value = [for c in data.glance_cache.now.cached_images : c.image_id]
}

output "cache_bytes" {
  value = sum(concat([0], [for c in data.glance_cache.now.cached_images : c.size]))
}

output "waiting_for_prefetcher" {
  value = data.glance_cache.now.queued_images
}
