resource "glance_image" "ubuntu" {
  name        = "ubuntu-24.04"
  disk_format = "qcow2"

  source = {
    file = "noble-server-cloudimg-amd64.img"
  }
}

# Warm the Glance API's image cache before many servers boot from the image.
# Needs admin credentials and a Glance with cache management enabled.
resource "glance_image_cache" "ubuntu" {
  image_id = glance_image.ubuntu.id

  # Clouds whose prefetcher runs periodically cache a queued image minutes later:
  # wait for it, so that resources depending on this one start with a warm cache.
  wait_until_cached = true
  timeouts = {
    create = "20m"
  }
}
