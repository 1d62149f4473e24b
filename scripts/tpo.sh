#!/usr/bin/env bash
# Builds terraform-provider-openstack (TPO) from the Go module proxy and caches the binary, so
# the acceptance tests can create resources with the real TPO and move them to this provider
# with `moved {}` blocks (TestAccMove_fromOpenStack). The binary is named as the version it was
# built from; a binary of that name is taken as built.
# Usage: scripts/tpo.sh OUTPUT_DIR [VERSION]   (VERSION defaults to 3.4.0)
# Writes OUTPUT_DIR/terraform-provider-openstack_vVERSION and points the symlink
# OUTPUT_DIR/terraform-provider-openstack at it (terraform's dev_overrides look for that name).
set -euo pipefail
dir=$1
version=${2:-3.4.0}
bin=$dir/terraform-provider-openstack_v$version
link=$dir/terraform-provider-openstack
mkdir -p "$dir"
if [[ ! -x $bin ]]; then
  echo "building terraform-provider-openstack v$version into $bin (about 5 minutes the first time)" >&2
  start=$SECONDS
  gobin=$(mktemp -d)
  trap 'rm -rf "$gobin"' EXIT
  GOBIN=$gobin go install "github.com/terraform-provider-openstack/terraform-provider-openstack/v3@v$version"
  mv "$gobin/terraform-provider-openstack" "$bin.tmp"
  mv "$bin.tmp" "$bin"
  echo "built terraform-provider-openstack v$version in $((SECONDS - start)) s" >&2
fi
ln -sfn "$(basename "$bin")" "$link"
