# <image_id> of an image that is cached or queued for caching
terraform import glance_image_cache.ubuntu 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b
