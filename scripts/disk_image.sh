#!/usr/bin/env bash
# scripts/disk_image.sh SIZE_MIB DIR [FORMAT...]: the disk-like image that make bench and
# make pgo measure on, DIR/disk-<SIZE_MIB>m.img (40% binaries, 30% text, 30% alternating zero
# runs and random bytes), and its forms compressed by the C tools at their default levels
# (FORMAT: gzip bzip2 xz zstd), each made once and kept: compressing 1 GiB with xz takes a few
# minutes. Prints the image's path.
set -euo pipefail
size_mib=$1 dir=$2
shift 2
mkdir -p "$dir"
img=$dir/disk-${size_mib}m.img
if [[ ! -s $img ]]; then
  echo "== making a ${size_mib} MiB disk-like image in $dir (kept for later runs)" >&2
  a=$((size_mib * 4 / 10)) b=$((size_mib * 3 / 10))
  c=$((size_mib - a - b))
  set +o pipefail # head closes each pipe early on purpose
  {
    tar -cf - /usr/lib /usr/bin 2>/dev/null | head -c $((a << 20))
    for ((i = 0; i < c / 4; i++)); do head -c 2M /dev/zero; head -c 2M /dev/urandom; done
    tar -cf - /usr/share 2>/dev/null | head -c $((b << 20))
    head -c $((size_mib << 20)) /dev/zero
  } | head -c $((size_mib << 20)) >"$img.tmp"
  set -o pipefail
  mv "$img.tmp" "$img"
fi
declare -A EXT=([gzip]=gz [bzip2]=bz2 [xz]=xz [zstd]=zst)
pending=()
for f in "$@"; do
  [[ -n ${EXT[$f]:-} ]] || { echo "unknown format $f" >&2; exit 1; }
  [[ -s $img.${EXT[$f]} ]] || pending+=("$f")
done
compress_one() { "$1" -c "$img" >"$img.$2.tmp" && mv "$img.$2.tmp" "$img.$2"; }
export -f compress_one
export img
if ((${#pending[@]})); then
  echo "== compressing it with the C tools at their default levels: ${pending[*]}" >&2
  for f in "${pending[@]}"; do echo "$f ${EXT[$f]}"; done | xargs -P 2 -n 2 bash -c 'compress_one "$@"' _
fi
echo "$img"
