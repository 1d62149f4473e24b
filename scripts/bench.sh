#!/usr/bin/env bash
# make bench: the provider's upload against raw curl on the same local Glance, in one run.
#
#   1. 1 GiB: curl create + `curl -T` PUT vs `terraform apply` of one glance_image, alternated
#      (BENCH_ROUNDS rounds each), then the same once at 4 GiB (BENCH_BIG_GIB) to show memory
#      stays flat.
#   2. The provider-side ceiling: the Glance client's upload pipeline (read + sha512 + HTTP) into
#      a local HTTP server that discards the bytes (go test -bench in internal/glance).
#   3. 50 images of 1 MiB in one apply (parallelism 10) vs 50 raw curl create+upload flows at
#      concurrency 10, plus the refresh-only plan that follows.
#
# Both sides talk to the same endpoint (Glance on 127.0.0.1:9292, no proxy). The provider's
# peak RSS is the highest VmHWM of any terraform-provider-glance process seen during the apply.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
E=${GLANCE_ENV_DIR:-$root/.testenv}
set -a
# shellcheck disable=SC1091
. "$E/env/acctest.env"
set +a
ROUNDS=${BENCH_ROUNDS:-3}
BIG_GIB=${BENCH_BIG_GIB:-4}
SMALL_N=${BENCH_SMALL_N:-50}
GL=$GLANCE_ACC_PUBLIC_ENDPOINT
work=$E/bench
rm -rf "$work"
mkdir -p "$work"

export TF_CLI_CONFIG_FILE=$work/terraformrc
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "glance-provider/glance" = "$E/bin"
  }
  direct {}
}
CFG
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
fmt() { printf '%.2f' "$1"; }

token() {
  curl -s -i -X POST "$OS_AUTH_URL/auth/tokens" -H 'Content-Type: application/json' -d \
    '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"'"$OS_USERNAME"'","domain":{"name":"Default"},"password":"'"$OS_PASSWORD"'"}}},"scope":{"project":{"name":"'"$OS_PROJECT_NAME"'","domain":{"name":"Default"}}}}}' |
    tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
}
TOKEN=$(token)
[[ -n $TOKEN ]] || { echo "could not get a token" >&2; exit 1; }

# curl_flow FILE NAME: create an image and PUT its data, as a raw API client would.
curl_flow() {
  local id
  id=$(curl -sf -X POST "$GL/v2/images" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"'"$2"'","disk_format":"raw","container_format":"bare"}' | jq -r .id)
  curl -sf -o /dev/null -T "$1" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' "$GL/v2/images/$id/file"
  echo "$id"
}
delete_image() { curl -s -o /dev/null -X DELETE "$GL/v2/images/$1" -H "X-Auth-Token: $TOKEN"; }
export -f curl_flow delete_image
export GL TOKEN

# watch_rss FILE: record the highest VmHWM (KiB) of any provider process until killed.
watch_rss() {
  local max=0 v p
  while :; do
    for p in $(pgrep -f "$E/bin/terraform-provider-glance" || true); do
      v=$(awk '/VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      ((${v:-0} > max)) && max=$v && echo "$max" >"$1"
    done
    sleep 0.05
  done
}

# tf_apply DIR: timed terraform apply; prints "seconds peak_rss_mib".
tf_apply() {
  local dir=$1 rssf t0 w
  rssf=$dir/rss
  echo 0 >"$rssf"
  watch_rss "$rssf" &
  w=$!
  t0=$(now)
  (cd "$dir" && terraform apply -auto-approve -input=false >"$dir/apply.log" 2>&1) || { kill $w; cat "$dir/apply.log"; exit 1; }
  local secs; secs=$(since "$t0")
  kill $w 2>/dev/null; wait $w 2>/dev/null || true
  echo "$secs $(( $(cat "$rssf") / 1024 ))"
}
tf_destroy() { (cd "$1" && terraform destroy -auto-approve -input=false >/dev/null 2>&1); }

provider_block='terraform {
  required_providers {
    glance = { source = "glance-provider/glance" }
  }
}
provider "glance" {
  endpoint = "'"$GL"'"
}'

image_config() { # DIR FILE
  mkdir -p "$1"
  cat >"$1/main.tf" <<TF
$provider_block
resource "glance_image" "bench" {
  name        = "bench-provider"
  disk_format = "raw"
  source = {
    file = "$2"
  }
}
TF
}

big_run() { # SIZE_GIB ROUNDS
  local gib=$1 rounds=$2 f=$work/img-$1g.bin r c_t c_sum=0 p_sum=0 p_rss=0 id line
  head -c "${gib}G" /dev/urandom >"$f"
  image_config "$work/tf-$gib" "$f"
  (cd "$work/tf-$gib" && terraform validate >/dev/null)
  for ((r = 1; r <= rounds; r++)); do
    # alternate which side goes first, so page cache and disk state favour neither
    if ((r % 2 == 1)); then order="curl tf"; else order="tf curl"; fi
    for side in $order; do
      if [[ $side == curl ]]; then
        local t0; t0=$(now); id=$(curl_flow "$f" bench-curl); c_t=$(since "$t0")
        delete_image "$id"
        c_sum=$(echo "$c_sum + $c_t" | bc -l)
        printf '  %d GiB round %d  curl     %6ss\n' "$gib" "$r" "$(fmt "$c_t")"
      else
        line=$(tf_apply "$work/tf-$gib")
        tf_destroy "$work/tf-$gib"
        p_sum=$(echo "$p_sum + ${line% *}" | bc -l)
        ((${line#* } > p_rss)) && p_rss=${line#* }
        printf '  %d GiB round %d  provider %6ss  (peak RSS %s MiB)\n' "$gib" "$r" "$(fmt "${line% *}")" "${line#* }"
      fi
    done
  done
  local c_avg p_avg
  c_avg=$(echo "$c_sum / $rounds" | bc -l); p_avg=$(echo "$p_sum / $rounds" | bc -l)
  printf '%d GiB: curl %ss (%s MB/s), provider apply %ss (%s MB/s), ratio %s, provider peak RSS %s MiB\n' \
    "$gib" "$(fmt "$c_avg")" "$(fmt "$(echo "$gib * 1073.741824 / $c_avg" | bc -l)")" \
    "$(fmt "$p_avg")" "$(fmt "$(echo "$gib * 1073.741824 / $p_avg" | bc -l)")" \
    "$(fmt "$(echo "$p_avg / $c_avg" | bc -l)")" "$p_rss" | tee -a "$work/summary"
  rm -f "$f"
}

echo "== 1. upload: curl vs terraform apply (same Glance, $GL)"
big_run 1 "$ROUNDS"
big_run "$BIG_GIB" 1

echo "== 2. provider-side ceiling (upload pipeline into a discarding HTTP server)"
(cd "$root" && go test -run '^$' -bench 'BenchmarkUploadToSink' -benchtime 3x ./internal/glance/) | grep -E 'Benchmark|MB/s' | tee -a "$work/summary"

echo "== 3. $SMALL_N images of 1 MiB, concurrency 10"
mkdir -p "$work/small"
for ((i = 1; i <= SMALL_N; i++)); do head -c 1M /dev/urandom >"$work/small/img-$i.bin"; done
t0=$(now)
ids=$(seq 1 "$SMALL_N" | xargs -P 10 -I{} bash -c 'curl_flow "'"$work"'/small/img-{}.bin" bench-small-{}')
c_small=$(since "$t0")
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
line=$(tf_apply "$work/tf-small")
p_small=${line% *}
t0=$(now)
(cd "$work/tf-small" && terraform plan -refresh-only -input=false >/dev/null)
refresh=$(since "$t0")
tf_destroy "$work/tf-small"
printf '%d x 1 MiB: curl flows %ss, provider apply %ss, ratio %s; refresh-only plan %ss; provider peak RSS %s MiB\n' \
  "$SMALL_N" "$(fmt "$c_small")" "$(fmt "$p_small")" "$(fmt "$(echo "$p_small / $c_small" | bc -l)")" "$(fmt "$refresh")" "${line#* }" |
  tee -a "$work/summary"

echo
echo "== summary"
cat "$work/summary"
