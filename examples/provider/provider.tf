# Password authentication; every argument can come from the usual OS_* variable instead.
provider "glance" {
  auth_url            = "https://pcd.example.com/keystone/v3"
  region              = "region-one"
  username            = "alice@example.com"
  password            = var.os_password
  user_domain_name    = "Default"
  project_name        = "service"
  project_domain_name = "Default"
}

variable "os_password" {
  type      = string
  sensitive = true
}
