#!/usr/bin/env bash
# Prints, as GitHub step outputs, the region and a workflow's role in an environment's account,
# read from its terraform.tfvars (the one place the account id lives): the terraform workflow's
# plan or deploy role, or the DAGs workflow's publisher role.
#   terraform-account.sh ENVIRONMENT plan|deploy|dags-publisher
set -euo pipefail
environment=${1:?usage: terraform-account.sh ENVIRONMENT plan|deploy|dags-publisher}
kind=${2:?usage: terraform-account.sh ENVIRONMENT plan|deploy|dags-publisher}
case "$environment" in dev | ppd | prod) ;; *) echo "unknown environment: $environment" >&2; exit 2 ;; esac
case "$kind" in
  plan | deploy) role="github-$kind" ;;
  dags-publisher) role="$kind" ;;
  *) echo "role kind must be plan, deploy or dags-publisher: $kind" >&2; exit 2 ;;
esac

tfvars="terraform/environments/$environment/terraform.tfvars"
value() { sed -n "s/^$1[[:space:]]*=[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" "$tfvars"; }
account_id=$(value account_id)
region=$(value region)
if ! [[ "$account_id" =~ ^[0-9]{12}$ ]] || [ -z "$region" ]; then
  echo "$tfvars must set account_id (12 digits) and region" >&2
  exit 1
fi
echo "role_arn=arn:aws:iam::${account_id}:role/dataplatform-${environment}-${role}"
echo "region=${region}"
