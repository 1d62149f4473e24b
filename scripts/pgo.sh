#!/usr/bin/env bash
# make pgo: writes default.pgo, the CPU profile that `go build` (and goreleaser) use for
# profile-guided optimisation of the provider binary (-pgo=auto reads default.pgo beside the
# main package). The profile is the client's hot paths on the disk-like image of make bench:
# each decoder the provider uses (BenchmarkDecompress) and the upload pipeline (read, sha512,
# HTTP: BenchmarkUploadToSink; the format guard: BenchmarkFormatGuard). Regenerate it when
# those paths change; a stale profile only optimises less.
#
# Settings: PGO_SIZE_MIB (256), the size of the disk-like image the decoders run on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
E=${GLANCE_ENV_DIR:-$root/.testenv}
cd "$root"
img=$(bash scripts/disk_image.sh "${PGO_SIZE_MIB:-256}" "$E/bench-cache" gzip bzip2 xz zstd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GLANCE_BENCH_IMAGE=$img go test -run '^$' -benchtime 1x -o "$tmp/glance.test" -cpuprofile "$tmp/decode.pprof" \
  -bench 'Decompress/(gzip|bzip2|xz|zstd)/(klauspost|dsnet|therootcompany|one-goroutine)$' ./internal/glance/
go test -run '^$' -benchtime 1x -o "$tmp/glance.test" -cpuprofile "$tmp/upload.pprof" \
  -bench '^(BenchmarkUploadToSink|BenchmarkFormatGuard)$' ./internal/glance/
go tool pprof -proto "$tmp/decode.pprof" "$tmp/upload.pprof" >default.pgo.tmp
mv default.pgo.tmp default.pgo
echo "default.pgo: $(wc -c <default.pgo) bytes"
