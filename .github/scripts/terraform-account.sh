#!/usr/bin/env bash
# Prints, as GitHub step outputs, the region and the GitHub role of an environment's account,
# read from its terraform.tfvars (the one place the account id lives).
#   terraform-account.sh ENVIRONMENT plan|deploy
set -euo pipefail
environment=${1:?usage: terraform-account.sh ENVIRONMENT plan|deploy}
kind=${2:?usage: terraform-account.sh ENVIRONMENT plan|deploy}
case "$environment" in dev | ppd | prod) ;; *) echo "unknown environment: $environment" >&2; exit 2 ;; esac
case "$kind" in plan | deploy) ;; *) echo "role kind must be plan or deploy: $kind" >&2; exit 2 ;; esac

tfvars="terraform/environments/$environment/terraform.tfvars"
value() { sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" "$tfvars"; }
account_id=$(value account_id)
region=$(value region)
if ! [[ "$account_id" =~ ^[0-9]{12}$ ]] || [ -z "$region" ]; then
  echo "$tfvars must set account_id (12 digits) and region" >&2
  exit 1
fi
echo "role_arn=arn:aws:iam::${account_id}:role/dataplatform-${environment}-github-${kind}"
echo "region=${region}"
