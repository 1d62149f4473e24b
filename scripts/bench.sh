#!/usr/bin/env bash
# make bench: the provider's upload against raw curl on the same local Glance, in one run.
#
#   1. Uncompressed: `curl` create + `curl -T` PUT + wait for active, against `terraform apply`
#      of one glance_image, alternated, best of BENCH_ROUNDS. Beside the times: client
#      CPU-seconds per GiB (user + sys): terraform and the provider together (rusage of the
#      apply and its children, /usr/bin/time), the provider alone, and curl's.
#   2. Per format (BENCH_FORMATS: gzip bzip2 xz zstd): the same disk-like image compressed by
#      the C tool at its default level, applied with source.decompress = <format>, against
#      `<tool> -dc file | curl -T -` (create + PUT + wait for active), alternated, best of
#      BENCH_ROUNDS; and the ratio to the uncompressed apply.
#   3. BENCH_SMALL_N images of 1 MiB in one apply (parallelism 10) against as many curl flows
#      at concurrency 10 (0 skips it).
#   4. (BENCH_DECODERS=1, the default) each format's decoder against the alternatives at hand
#      (BenchmarkDecompress in internal/glance) and the C tool, on the same files; then the
#      parallel block decoders at 1, 2 and nproc workers on the .bz2 file and on an `xz -T0`
#      copy (multi-block, cached as <image>.txz; ~3 minutes to make at 1 GiB on 2 cores)
#      against `xz -T0 -dc` and `lbzip2 -d` (or `bzip2 -dc`), in MB/s of wall time.
#
# The provider runs as an external binary (dev_overrides) through a wrapper that records its
# own /usr/bin/time figures (peak RSS, user, sys) per process, so they are separate from
# terraform's. The disk-like image (40% binaries, 30% text, 30% alternating zero runs and
# random bytes, scripts/disk_image.sh) and its compressed forms are cached in BENCH_CACHE:
# compressing 1 GiB with xz at its default level takes a few minutes the first time.
#
# Settings: BENCH_SIZE_MIB (1024), BENCH_ROUNDS (2), BENCH_FORMATS, BENCH_SMALL_N (50),
# BENCH_CACHE ($GLANCE_ENV_DIR/bench-cache), BENCH_PROVIDER (the binary to run), BENCH_WORK. A quick run: BENCH_SIZE_MIB=256 BENCH_ROUNDS=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
E=${GLANCE_ENV_DIR:-$root/.testenv}
set -a
# shellcheck disable=SC1091
. "$E/env/acctest.env"
set +a
for tool in /usr/bin/time jq bc gzip bzip2 xz zstd; do
  command -v "$tool" >/dev/null || { echo "make bench needs $tool (Debian: apt-get install time jq bc gzip bzip2 xz-utils zstd)" >&2; exit 1; }
done
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
ROUNDS=${BENCH_ROUNDS:-2}
FORMATS=${BENCH_FORMATS:-gzip bzip2 xz zstd}
SMALL_N=${BENCH_SMALL_N:-50}
CACHE=${BENCH_CACHE:-$E/bench-cache}
PROVIDER=${BENCH_PROVIDER:-$E/bin/terraform-provider-glance}
GL=$GLANCE_ACC_PUBLIC_ENDPOINT
work=${BENCH_WORK:-$E/bench}
rm -rf "$work"
mkdir -p "$work/plugin" "$CACHE"
started=$(date +%s)

# The wrapper terraform starts instead of the provider: one line "maxrss_kib user sys" per
# provider process in $BENCH_RUSAGE.
cat >"$work/plugin/terraform-provider-glance" <<SH
#!/usr/bin/env bash
exec /usr/bin/time -a -o "\${BENCH_RUSAGE:-/dev/null}" -f '%M %U %S' "$PROVIDER" "\$@"
SH
chmod +x "$work/plugin/terraform-provider-glance"
export TF_CLI_CONFIG_FILE=$work/terraformrc
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "glance-provider/glance" = "$work/plugin"
  }
  direct {}
}
CFG
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

now() { date +%s.%N; }
calc() { echo "$*" | bc -l; }
f2() { printf '%.2f' "$1"; }
min() { calc "if ($1 < $2) $1 else $2"; }
gib=$(calc "$SIZE_MIB / 1024")

token() {
  curl -s -i -X POST "$OS_AUTH_URL/auth/tokens" -H 'Content-Type: application/json' -d \
    '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"'"$OS_USERNAME"'","domain":{"name":"Default"},"password":"'"$OS_PASSWORD"'"}}},"scope":{"project":{"name":"'"$OS_PROJECT_NAME"'","domain":{"name":"Default"}}}}}' |
    tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
}
TOKEN=$(token)
[[ -n $TOKEN ]] || { echo "could not get a token" >&2; exit 1; }
export GL TOKEN

# curl_flow NAME CMD...: create an image, PUT the output of CMD (or the file given by
# CURL_FILE) and wait until it is active, as a raw API client would. Prints the image id.
curl_flow() {
  local name=$1 id st
  shift
  id=$(curl -sf -X POST "$GL/v2/images" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"'"$name"'","disk_format":"raw","container_format":"bare"}' | jq -r .id)
  if [[ -n ${CURL_FILE:-} ]]; then
    curl -sf -o /dev/null -T "$CURL_FILE" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' "$GL/v2/images/$id/file"
  else
    "$@" | curl -sf -o /dev/null -T - -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' "$GL/v2/images/$id/file"
  fi
  for _ in $(seq 1 600); do
    st=$(curl -sf "$GL/v2/images/$id" -H "X-Auth-Token: $TOKEN" | jq -r .status)
    [[ $st == active ]] && break
    sleep 0.1
  done
  echo "$id"
}
delete_image() { curl -s -o /dev/null -X DELETE "$GL/v2/images/$1" -H "X-Auth-Token: $TOKEN"; }
export -f curl_flow delete_image

# timed OUT CMD...: runs CMD under /usr/bin/time; OUT gets "wall user sys" (children included).
timed() {
  local out=$1
  shift
  /usr/bin/time -o "$out" -f '%e %U %S' "$@"
}

# The disk-like image and its compressed forms, made once per size.
# shellcheck disable=SC2086 # FORMATS is a list
img=$(bash "$root/scripts/disk_image.sh" "$SIZE_MIB" "$CACHE" $FORMATS)
declare -A EXT=([gzip]=gz [bzip2]=bz2 [xz]=xz [zstd]=zst)

provider_block='terraform {
  required_providers {
    glance = { source = "glance-provider/glance" }
  }
}
provider "glance" {
  endpoint = "'"$GL"'"
}'

image_config() { # DIR FILE DECOMPRESS
  mkdir -p "$1"
  cat >"$1/main.tf" <<TF
$provider_block
resource "glance_image" "bench" {
  name        = "bench-provider"
  disk_format = "raw"
  source = {
    file       = "$2"
    decompress = "$3"
  }
}
TF
  (cd "$1" && terraform validate >/dev/null)
}

# tf_apply DIR: a timed apply and destroy; sets T_WALL T_CPU (terraform + provider) P_CPU
# (provider processes) P_RSS (largest provider peak RSS, MiB).
tf_apply() {
  local dir=$1
  : >"$dir/rusage"
  BENCH_RUSAGE=$dir/rusage timed "$dir/time" bash -c "cd '$dir' && terraform apply -auto-approve -input=false >'$dir/apply.log' 2>&1" ||
    { cat "$dir/apply.log"; exit 1; }
  read -r T_WALL tu ts <"$dir/time"
  T_CPU=$(calc "$tu + $ts")
  P_CPU=$(awk '/^[0-9]+ /{s += $2 + $3} END {printf "%.2f", s}' "$dir/rusage")
  P_RSS=$(awk '/^[0-9]+ /{if ($1 > m) m = $1} END {printf "%d", m / 1024}' "$dir/rusage")
  (cd "$dir" && terraform destroy -auto-approve -input=false >/dev/null 2>&1)
}

# c_flow NAME CMD...: a timed curl flow; sets C_WALL C_CPU.
c_flow() {
  local out=$work/c.time id
  id=$(timed "$out" bash -c 'curl_flow "$@"' _ "$@")
  read -r C_WALL cu cs <"$out"
  C_CPU=$(calc "$cu + $cs")
  delete_image "$id"
}

summary=$work/summary
row() { printf '| %s | %s | %s | %s |\n' "$@" | tee -a "$summary"; }

echo "== 1. uncompressed ${SIZE_MIB} MiB: curl -T vs terraform apply (best of $ROUNDS, alternated)"
image_config "$work/tf-raw" "$img" none
best_c=999999 best_p=999999 cpu_c=999999 cpu_t=999999 cpu_p=999999 rss_raw=0
for ((r = 1; r <= ROUNDS; r++)); do
  order="curl tf"
  ((r % 2 == 0)) && order="tf curl"
  for side in $order; do
    if [[ $side == curl ]]; then
      CURL_FILE=$img c_flow bench-curl
      best_c=$(min "$best_c" "$C_WALL") cpu_c=$(min "$cpu_c" "$C_CPU")
      printf '  round %d  curl      %6ss  cpu %ss\n' "$r" "$C_WALL" "$(f2 "$C_CPU")"
    else
      tf_apply "$work/tf-raw"
      best_p=$(min "$best_p" "$T_WALL") cpu_t=$(min "$cpu_t" "$T_CPU") cpu_p=$(min "$cpu_p" "$P_CPU")
      ((P_RSS > rss_raw)) && rss_raw=$P_RSS
      printf '  round %d  provider  %6ss  cpu %ss (provider %ss)  peak RSS %s MiB\n' "$r" "$T_WALL" "$(f2 "$T_CPU")" "$P_CPU" "$P_RSS"
    fi
  done
done
raw_apply=$best_p
{
  echo
  echo "| measurement ($(date -u +%F), ${SIZE_MIB} MiB disk-like image, best of $ROUNDS) | C tools + curl | provider | ratio |"
  echo "|---|---|---|---|"
} | tee "$summary"
row "client CPU per GiB, user + sys (curl; terraform + provider, of which the provider)" \
  "$(f2 "$(calc "$cpu_c / $gib")") s" \
  "$(f2 "$(calc "$cpu_t / $gib")") s ($(f2 "$(calc "$cpu_p / $gib")") s)" \
  "$(f2 "$(calc "$cpu_t / $cpu_c")")"
row "uncompressed: \`curl -T file\` vs apply (peak RSS $rss_raw MiB)" \
  "$(f2 "$best_c") s ($(f2 "$(calc "$SIZE_MIB * 1.048576 / $best_c")") MB/s)" \
  "$(f2 "$best_p") s ($(f2 "$(calc "$SIZE_MIB * 1.048576 / $best_p")") MB/s)" \
  "$(f2 "$(calc "$best_p / $best_c")")"

echo "== 2. compressed sources: <tool> -dc | curl -T - vs apply with source.decompress"
for f in $FORMATS; do
  file=$img.${EXT[$f]}
  image_config "$work/tf-$f" "$file" "$f"
  best_c=999999 best_p=999999 rss=0 pcpu=999999
  for ((r = 1; r <= ROUNDS; r++)); do
    order="curl tf"
    ((r % 2 == 0)) && order="tf curl"
    for side in $order; do
      if [[ $side == curl ]]; then
        c_flow "bench-curl-$f" "$f" -dc "$file"
        best_c=$(min "$best_c" "$C_WALL")
        printf '  %-5s round %d  %s -dc | curl  %6ss\n' "$f" "$r" "$f" "$C_WALL"
      else
        tf_apply "$work/tf-$f"
        best_p=$(min "$best_p" "$T_WALL") pcpu=$(min "$pcpu" "$P_CPU")
        ((P_RSS > rss)) && rss=$P_RSS
        printf '  %-5s round %d  provider       %6ss  provider cpu %ss  peak RSS %s MiB\n' "$f" "$r" "$T_WALL" "$P_CPU" "$P_RSS"
      fi
    done
  done
  row "$f ($(du -m "$file" | cut -f1) MiB): \`$f -dc | curl -T -\` vs apply with decompress = \"$f\"; provider peak RSS $rss MiB, CPU $(f2 "$pcpu") s, apply $(f2 "$(calc "$best_p / $raw_apply")")x the uncompressed one" \
    "$(f2 "$best_c") s" "$(f2 "$best_p") s" "$(f2 "$(calc "$best_p / $best_c")")"
done

if ((SMALL_N > 0)); then
  echo "== 3. $SMALL_N images of 1 MiB, concurrency 10"
  mkdir -p "$work/small"
  for ((i = 1; i <= SMALL_N; i++)); do head -c 1M /dev/urandom >"$work/small/img-$i.bin"; done
  t0=$(now)
  ids=$(seq 1 "$SMALL_N" | xargs -P 10 -I{} bash -c 'CURL_FILE="'"$work"'/small/img-{}.bin" curl_flow bench-small-{}')
  c_small=$(calc "$(now) - $t0")
  for id in $ids; do delete_image "$id"; done
  mkdir -p "$work/tf-small"
  cat >"$work/tf-small/main.tf" <<TF
$provider_block
resource "glance_image" "small" {
  count       = $SMALL_N
  name        = "bench-small-\${count.index}"
  disk_format = "raw"
  source = {
    file = "$work/small/img-\${count.index + 1}.bin"
  }
}
TF
  tf_apply "$work/tf-small"
  row "$SMALL_N images of 1 MiB, concurrency 10 (curl flows vs one apply, parallelism 10; provider peak RSS $P_RSS MiB)" \
    "$(f2 "$c_small") s" "$(f2 "$T_WALL") s" "$(f2 "$(calc "$T_WALL / $c_small")")"
fi

if [[ ${BENCH_DECODERS:-1} == 1 ]]; then
  echo "== 4. decoders, one goroutine each, on the same compressed files (BenchmarkDecompress, built with default.pgo as the provider is)"
  if [[ ! -s $img.txz ]]; then # multi-block xz for the parallel decoders (cached)
    xz -T0 -c "$img" >"$img.txz.tmp" && mv "$img.txz.tmp" "$img.txz"
  fi
  (cd "$root" && GLANCE_BENCH_IMAGE=$img go test -pgo="$root/default.pgo" -run '^$' -bench 'BenchmarkDecompress' -benchtime 1x ./internal/glance/) |
    awk '/^BenchmarkDecompress/{sub(/-[0-9]+$/, "", $1); sub(/BenchmarkDecompress\//, "", $1); print $1, $(NF-1)}' >"$work/decoders"
  {
    echo
    echo "| format | C tool, MB of output per CPU-second | Go decoder used, MB/s on one goroutine | alternative, MB/s |"
    echo "|---|---|---|---|"
  } | tee -a "$summary"
  for f in $FORMATS; do
    c=$( { /usr/bin/time -f '%U %S' "$f" -dc "$img.${EXT[$f]}" >/dev/null; } 2>&1 | tail -1)
    used=$(awk -v f="$f" 'index($1, f "/") == 1 {print; exit}' "$work/decoders")
    alt=$(awk -v f="$f" 'index($1, f "/") == 1 {n++; if (n == 2) {print; exit}}' "$work/decoders")
    row "$f" "$(f2 "$(calc "$SIZE_MIB * 1.048576 / (${c% *} + ${c#* })")")" "${used#*/}" "${alt#*/}"
  done
  # The parallel block decoders (wall-time MB/s) against the multi-threaded C tools.
  n=$(nproc)
  {
    echo
    echo "| parallel block decoders, MB/s of wall time | 1 worker | 2 workers | $n workers | C tool, multi-threaded |"
    echo "|---|---|---|---|---|"
  } | tee -a "$summary"
  pw() { awk -v n="$1/parallel-$2" '$1 == n {print $2; exit}' "$work/decoders"; }
  for f in xz-T0 bzip2-blocks; do
    if [[ $f == xz-T0 ]]; then
      tool=(xz -T0 -dc) file=$img.txz
    else
      tool=(bzip2 -dc) file=$img.bz2
      if command -v lbzip2 >/dev/null; then tool=(lbzip2 -d -c); fi
    fi
    c=$( { /usr/bin/time -f '%e' "${tool[@]}" "$file" >/dev/null; } 2>&1 | tail -1)
    printf '| %s | %s | %s | %s | %s %s |\n' "$f" "$(pw "$f" 1)" "$(pw "$f" 2)" "$(pw "$f" "$n")" \
      "${tool[*]}" "$(f2 "$(calc "$SIZE_MIB * 1.048576 / $c")")" | tee -a "$summary"
  done
fi

echo
echo "== summary (bench took $(($(date +%s) - started)) s)"
cat "$summary"
