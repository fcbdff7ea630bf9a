#!/usr/bin/env bash
# Times the Airflow Molecule scenario step by step (first converge, idempotent converge, verify)
# and prints the memory the running Airflow services use, as measured by its verify step.
#   bash benchmarks/airflow_scenario.sh
# Not part of `make test` (the scenario itself is, through `make molecule`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/tests/harness/containers.conf}"
export ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$PWD/collections"
DATAPLATFORM_HOST_IMAGE=$(bash tests/harness/host-image.sh)
export DATAPLATFORM_HOST_IMAGE

log=$(mktemp "${TMPDIR:-/tmp}/airflow-scenario.XXXXXX")
cleanup() {
  molecule cleanup -s airflow >>"$log" 2>&1 || true
  molecule destroy -s airflow >>"$log" 2>&1 || true
}
trap cleanup EXIT

for step in destroy create prepare converge idempotence verify; do
  started=$SECONDS
  if ! molecule "$step" -s airflow >"$log.$step" 2>&1; then
    tail -n 60 "$log.$step" >&2
    echo "airflow scenario: $step failed (log: $log.$step)" >&2
    exit 1
  fi
  echo "$step: $((SECONDS - started)) s"
done
echo "memory of the Airflow services (from verify):"
sed 's/\x1b\[[0-9;]*m//g' "$log.verify" | grep -E '"airflow-[a-z-]+: PSS KiB [0-9]+"|total (PSS|RSS) MiB' |
  sed -E 's/^[^"]*"/  /; s/",?[[:space:]]*$//'
