data "glance_stores" "all" {}

output "default_store" {
  value = one([for s in data.glance_stores.all.stores : s.id if s.default])
}

# Administrators can also read each store's driver type and settings.
data "glance_stores" "detail" {
  detail = true
}
