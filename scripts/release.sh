#!/usr/bin/env bash
# Release builds with goreleaser (pinned, built from the Go module proxy once into .testenv/bin).
#   scripts/release.sh install    only build goreleaser (make goreleaser)
#   scripts/release.sh snapshot   every platform into dist/ (make release-snapshot)
#   scripts/release.sh single     goreleaser check, then the same pipeline for this machine's
#                                 platform only (make release-check, part of make test)
# Snapshots are not signed; real releases sign the checksum file (see .goreleaser.yml).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
E=${GLANCE_ENV_DIR:-$root/.testenv}
version=v2.17.0
bin=$E/bin/goreleaser
if ! "$bin" --version 2>/dev/null | grep -qE "GitVersion:\s+$version\$"; then
  echo "building goreleaser $version (a few minutes, once)"
  mkdir -p "$E/bin"
  GOBIN=$E/bin go install "github.com/goreleaser/goreleaser/v2@$version"
fi
[[ ${1:-snapshot} == install ]] && exit 0
"$bin" check
config=.goreleaser.yml
if [[ ${1:-snapshot} == single ]]; then
  # The same configuration restricted to this machine's platform: a whole release pipeline
  # (build, archive, checksums, manifest) in the time of one build.
  config=$(mktemp "$root/.goreleaser-single.XXXXXX.yml")
  trap 'rm -f "$config"' EXIT
  goos=$(go env GOOS) goarch=$(go env GOARCH)
  sed -e "s/^    goos: .*/    goos: [$goos]/" -e "s/^    goarch: .*/    goarch: [$goarch]/" .goreleaser.yml >"$config"
fi
"$bin" release --snapshot --clean --skip=sign --config "$config"
# Releases upload the registry manifest beside the zips (release.extra_files); a snapshot
# publishes nothing, so put it in dist/ under the same name.
sums=$(ls dist/*_SHA256SUMS)
cp terraform-registry-manifest.json "${sums%_SHA256SUMS}_manifest.json"
(cd dist && sha256sum --check --ignore-missing "$(basename "$sums")")
ls -l dist/*.zip dist/*_SHA256SUMS dist/*_manifest.json
