#!/usr/bin/env bash
# Installs the snapshot zip from dist/ the way air-gapped sites install a released provider:
# a filesystem mirror, a pinned version, `terraform init` writing .terraform.lock.hcl; then
# applies and destroys a configuration against the local Glance. Part of make test (after
# make release-check). Usage: scripts/mirror_install.sh [terraform binary]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
E=${GLANCE_ENV_DIR:-$root/.testenv}
tf=${1:-terraform}
set -a
# shellcheck disable=SC1091
. "$E/env/acctest.env"
set +a
zip=$(ls "$root"/dist/terraform-provider-glance_*_"$(go env GOOS)_$(go env GOARCH)".zip)
version=$(basename "$zip" | sed -E 's/^terraform-provider-glance_(.*)_[^_]+_[^_]+\.zip$/\1/')
work=$(mktemp -d "$E/mirror.XXXXXX")
trap 'rm -rf "$work"' EXIT
mirror=$work/mirror/registry.terraform.io/glance-provider/glance
mkdir -p "$mirror" "$work/config"
cp "$zip" "$mirror/"
export TF_CLI_CONFIG_FILE=$work/terraformrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/glance-provider/glance"]
  }
}
CFG
cat >"$work/config/main.tf" <<TF
terraform {
  required_providers {
    glance = {
      source  = "glance-provider/glance"
      version = "= $version"
    }
  }
}

provider "glance" {}

data "glance_import_methods" "cloud" {}

resource "glance_image" "record" {
  name        = "tf-acc-mirror-install"
  disk_format = "raw"
}

output "methods" { value = data.glance_import_methods.cloud.methods }
TF
cd "$work/config"
"$tf" init -input=false -no-color
grep -q "version     = \"$version\"" .terraform.lock.hcl || { cat .terraform.lock.hcl; echo "FAIL: the lock file does not pin $version" >&2; exit 1; }
zh=$(sha256sum "$zip" | cut -d' ' -f1)
grep -q "zh:$zh" .terraform.lock.hcl || grep -q '"h1:' .terraform.lock.hcl || { cat .terraform.lock.hcl; echo "FAIL: the lock file has no hash of the provider" >&2; exit 1; }
"$tf" apply -auto-approve -input=false -no-color
plan=$("$tf" plan -input=false -no-color -detailed-exitcode) || { echo "$plan"; echo "FAIL: the second plan is not empty" >&2; exit 1; }
"$tf" destroy -auto-approve -input=false -no-color
echo "mirror install of terraform-provider-glance $version with $("$tf" version | head -1): OK"
