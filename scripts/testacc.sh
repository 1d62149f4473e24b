#!/usr/bin/env bash
# Runs the acceptance tests with the local test environment's settings and fails when a test
# was skipped or when no acceptance test ran at all.
# Usage: scripts/testacc.sh ENV_FILE [go test flags...]
set -euo pipefail
env_file=$1; shift
[[ -f $env_file ]] || { echo "missing $env_file: run make testenv-up" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
cd "$(dirname "$0")/.."
# Tests run the real terraform CLI with a CLI config of our own (no registry). Most tests serve
# the provider in-process; tests with several provider configurations of different
# credentials need one provider process per configuration, as in real use, so they run the
# binary built here through dev_overrides (acctest.ExternalProvider).
# The binary and CLI config belong to this checkout, not to the (maybe shared) environment, so
# several checkouts can test against one Glance without running each other's builds.
acc_dir=$PWD/.testenv/acc
mkdir -p "$acc_dir/bin"
go build -o "$acc_dir/bin/terraform-provider-glance" .
export TF_CLI_CONFIG_FILE=$acc_dir/acctest.tfrc
cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "glance-provider/glance" = "$acc_dir/bin"
  }
  direct {}
}
CFG
export TF_ACC=1 TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
log=${ACC_LOG:-$GLANCE_ENV_DIR/logs/${ACC_LOG_NAME:-testacc}.log}
mkdir -p "$(dirname "$log")"
set +e
go test -count=1 -v -run "${ACC_RUN:-^TestAcc}" "$@" ./internal/... 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
passed=$(grep -c -- '--- PASS: TestAcc' "$log" || true)
skipped=$(grep -c -- '--- SKIP: TestAcc' "$log" || true)
failed=$(grep -c -- '--- FAIL: TestAcc' "$log" || true)
echo "acceptance tests: $passed passed, $failed failed, $skipped skipped (log: $log)"
if [[ $rc != 0 ]]; then exit "$rc"; fi
if [[ $skipped != 0 ]]; then echo "FAIL: acceptance tests were skipped" >&2; grep -- '--- SKIP: TestAcc' "$log" >&2; exit 1; fi
if [[ $passed == 0 ]]; then echo "FAIL: no acceptance test ran" >&2; exit 1; fi
