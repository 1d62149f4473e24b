# An image is imported by its id. Declare a source whose content matches the image's
# os_hash_value and the next plan records it in place, without replacing the image.
# The plan checks what is cheap to check: a source.file is hashed and compared with
# os_hash_value; a source.url (without decompress) must announce the image's size as its
# Content-Length, or the image is replaced; its bytes are not downloaded. A source.checksum
# is compared with the image's digests. tags are authoritative (tags added out of band are
# removed at the next apply); of properties, only the declared keys are managed.
terraform import glance_image.ubuntu 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b
