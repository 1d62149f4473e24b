# An image is imported by its id. Declare a source whose content matches the image's
# os_hash_value and the next plan records it in place, without replacing the image.
terraform import glance_image.ubuntu 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b
