#!/usr/bin/env bash
# Prints, as a GitHub step output, the environment a ref deploys to: the promotion model of
# .github/environments.yml (feature/* -> dev, release/* -> ppd, tags v*.*.* -> prod). The terraform
# and DAGs workflows both choose their environment with it.
#   environment-of-ref.sh REF >> "$GITHUB_OUTPUT"
set -euo pipefail
ref=${1:?usage: environment-of-ref.sh REF}
case "$ref" in
  refs/heads/feature/*) environment=dev ;;
  refs/heads/release/*) environment=ppd ;;
  refs/tags/v*.*.*) environment=prod ;;
  *)
    echo "::error::$ref deploys nowhere: feature/* goes to dev, release/* to ppd, tags v*.*.* to prod" >&2
    exit 1
    ;;
esac
echo "environment=$environment"
