#!/usr/bin/env bash
# One entry point for every environment's Terraform: the one root (terraform/platform, or with
# --bootstrap terraform/bootstrap) with that environment's values and state.
#
#   scripts/terraform-env.sh [--bootstrap] <env> init [args…]    init with environments/<env>/backend.hcl
#   scripts/terraform-env.sh [--bootstrap] <env> plan [args…]    plan/apply/destroy/import/console/refresh
#                                                                 with environments/<env>/terraform.tfvars
#   scripts/terraform-env.sh [--bootstrap] <env> <command> [args…]   anything else (output, state, show…)
#
# <env> is dev, ppd, prod or local. Each environment has its own working directory
# (TF_DATA_DIR=terraform/environments/<env>/.terraform/<root>, gitignored), so one root serves
# several environments without mixing their backends. The bootstrap takes bootstrap.tfvars, and
# backend.hcl with bootstrap.backend.hcl's key, of the same folder.
#
# local's state and APIs are the AWS emulator's: export AWS_ENDPOINT_URL (the sandbox's URL,
# `python -m sandbox env` prints it); the script passes it as aws_endpoint_url too and refuses
# anything but a loopback URL.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

root=platform
tfvars=terraform.tfvars
backend_files=(backend.hcl)
if [[ "${1:-}" == "--bootstrap" ]]; then
  # backend.hcl's bucket and settings, with bootstrap.backend.hcl's key.
  root=bootstrap tfvars=bootstrap.tfvars backend_files=(backend.hcl bootstrap.backend.hcl)
  shift
fi
[[ $# -ge 2 ]] || usage
environment=$1 command=$2
shift 2

repository=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
values="$repository/terraform/environments/$environment"
case "$environment" in
  dev | ppd | prod | local) ;;
  *) echo "terraform-env.sh: unknown environment '$environment' (dev, ppd, prod or local)" >&2; exit 2 ;;
esac
backend_configs=()
for file in "$tfvars" "${backend_files[@]}"; do
  [[ -f "$values/$file" ]] || { echo "terraform-env.sh: $values lacks $file" >&2; exit 2; }
  [[ "$file" == "$tfvars" ]] || backend_configs+=("-backend-config=$values/$file")
done

export TF_DATA_DIR="$values/.terraform/$root"
variables=()
if [[ "$environment" == "local" ]]; then
  endpoint=${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-}}
  if ! [[ "$endpoint" =~ ^https?://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/?$ ]]; then
    echo "terraform-env.sh: local lives in the AWS emulator: export AWS_ENDPOINT_URL=<its loopback URL> first" \
      "(python -m sandbox env prints it); got '${endpoint}'" >&2
    exit 2
  fi
  variables+=("-var=aws_endpoint_url=${AWS_ENDPOINT_URL:-$endpoint}")
fi

# A saved plan (apply <file>) carries its variables already; Terraform refuses more.
saved_plan=false
if [[ "$command" == "apply" ]]; then
  for argument in "$@"; do [[ "$argument" == -* ]] || saved_plan=true; done
fi

case "$command" in
  apply) if $saved_plan; then exec terraform -chdir="$repository/terraform/$root" apply "$@"; fi
    exec terraform -chdir="$repository/terraform/$root" apply -var-file="$values/$tfvars" "${variables[@]}" "$@" ;;
  init)
    exec terraform -chdir="$repository/terraform/$root" init "${backend_configs[@]}" "$@" ;;
  plan | destroy | import | console | refresh)
    exec terraform -chdir="$repository/terraform/$root" "$command" -var-file="$values/$tfvars" "${variables[@]}" "$@" ;;
  *)
    exec terraform -chdir="$repository/terraform/$root" "$command" "$@" ;;
esac
