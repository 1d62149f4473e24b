#!/usr/bin/env bash
# Builds OpenTofu from the Go module proxy and caches the binary, so the provider can be tested
# on OpenTofu as well as on terraform. `go install .../cmd/tofu@vX` is refused (the module has
# replace directives), so the module is downloaded, copied to a writable directory and built
# there, with version.dev=no so that the binary reports a release version.
# Usage: scripts/opentofu.sh OUTPUT_BINARY [VERSION]   (VERSION defaults to 1.12.6)
set -euo pipefail
out=$1
version=${2:-1.12.6}
# The version line of `tofu version` ("OpenTofu v1.12.6"; warnings about the CLI configuration
# may come before it). The output is read whole, so that no SIGPIPE fails the pipeline.
reported() {
  local v
  v=$("$1" version 2>/dev/null) || true
  grep -m1 '^OpenTofu v' <<<"$v" || true
}
if [[ -x $out && $(reported "$out") == "OpenTofu v$version" ]]; then
  exit 0
fi
echo "building OpenTofu v$version into $out (several minutes the first time)" >&2
start=$SECONDS
dir=$(go mod download -json "github.com/opentofu/opentofu@v$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n $dir && -d $dir ]] || { echo "go mod download of opentofu v$version gave no directory" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
mkdir -p "$(dirname "$out")"
out=$(realpath -m "$out")
(cd "$work" && go build -trimpath \
  -ldflags "-X 'github.com/opentofu/opentofu/version.dev=no'" -o "$out.tmp" ./cmd/tofu)
mv "$out.tmp" "$out"
got=$(reported "$out")
[[ $got == "OpenTofu v$version" ]] || { echo "built binary reports '$got', not OpenTofu v$version" >&2; exit 1; }
echo "built $got in $((SECONDS - start)) s" >&2
