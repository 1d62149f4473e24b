# <image_id>/<member project id>; run with the member project's credentials
terraform import glance_image_member_status.accept_golden 4b1cf0a2-8c5e-4a37-9d7e-6f0c1f2e3a4b/6f0c1f2e3a4b4a379d7e4b1cf0a28c5e
