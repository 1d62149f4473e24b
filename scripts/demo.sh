#!/usr/bin/env bash
# make demo: apply examples/quickstart against the local Keystone + Glance with the provider
# just built (dev_overrides: no registry access), then print its outputs.
# make demo-destroy (scripts/demo.sh destroy): destroy what the demo made, with the same settings.
set -euo pipefail
action=${1:-apply}
root=$(cd "$(dirname "$0")/.." && pwd)
E=${GLANCE_ENV_DIR:-$root/.testenv}
set -a
# shellcheck disable=SC1091
. "$E/env/acctest.env"
set +a

work=$E/demo
mkdir -p "$work"
cp "$root/examples/quickstart/main.tf" "$work/main.tf"

# A CLI config of our own: the environment may point TF_CLI_CONFIG_FILE elsewhere.
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

# A 64 MiB image to upload, generated once.
img=$work/quickstart.img
[[ -f $img ]] || head -c 64M /dev/urandom >"$img"

cat >"$work/terraform.tfvars" <<VARS
image_file          = "$img"
web_image_url       = "$GLANCE_ACC_WEB_URL/img8m.bin"
consumer_project_id = "$GLANCE_ACC_PROJECT_ID_ALT"
consumer = {
  username = "$GLANCE_ACC_ALT_USERNAME"
  password = "$GLANCE_ACC_ALT_PASSWORD"
  project  = "$GLANCE_ACC_ALT_PROJECT"
}
VARS

cd "$work"
if [[ $action == destroy ]]; then
  [[ -f terraform.tfstate ]] || { echo "nothing to destroy: no demo state in $work"; exit 0; }
  terraform destroy -auto-approve -input=false
  exit 0
fi
echo "== terraform apply (examples/quickstart, working copy in $work)"
# With dev_overrides, terraform init is not needed (and would look for the registry).
terraform apply -auto-approve -input=false
echo
echo "== second plan (must change no resource; quota figures read before the uploads may move)"
plan=$(terraform plan -input=false -no-color 2>&1)
if grep -qE "No changes|without changing any real infrastructure" <<<"$plan"; then
  echo "no resource changes"
else
  echo "$plan"
  echo "FAIL: the second plan wants to change resources" >&2
  exit 1
fi
echo
echo "== outputs"
terraform output
echo
echo "Clean up with: make demo-destroy"
