#!/usr/bin/env bash
# The machine set-up that `make sandbox`, `make test` and .ci/run all start with (`make setup`).
#
# Checks every system tool the project needs: the commands of requirements/system-packages.txt,
# Python 3.11+ with venv, Terraform and the hashicorp/aws provider in its filesystem mirror.
# On Debian as root it installs the missing packages with apt-get; otherwise, or when something
# is still missing, it names each missing tool with the command that installs it and exits 2.
# When everything is there it only looks, and takes well under a second.
#
# Environment:
#   SETUP_INSTALL=never   only check, never install (exit 2 when something is missing)
#   TF_PROVIDER_MIRROR    the provider mirror folder (default /opt/tf-plugins)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
package_list="$root/requirements/system-packages.txt"
terraform_minimum=1.10
provider_version=5.100.0
mirror=${TF_PROVIDER_MIRROR:-/opt/tf-plugins}
provider_binary="$mirror/registry.terraform.io/hashicorp/aws/$provider_version/linux_amd64/terraform-provider-aws_v${provider_version}_x5"

say() { echo "[setup] $*" >&2; }

present() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# The lines of the package list whose command is missing: "command package".
missing_packages() {
  local command package _
  while read -r command package _; do
    case "$command" in '' | '#'*) continue ;; esac
    present "$command" || echo "$command $package"
  done <"$package_list"
}

can_install() {
  [ "${SETUP_INSTALL:-auto}" != never ] && [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && present apt-get
}

version_at_least() { # version_at_least HAVE WANT
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

problems=()

missing=$(missing_packages)
if [ -n "$missing" ] && can_install; then
  packages=$(echo "$missing" | awk '{print $2}' | sort -u | tr '\n' ' ')
  say "installing with apt-get: $packages"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages >/dev/null; }; then
    say "apt-get could not install: $packages"
  fi
  missing=$(missing_packages)
fi
while read -r command package; do
  [ -n "$command" ] || continue
  problems+=("$command (Debian package $package): apt-get install -y $package")
done <<<"$missing"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  problems+=("$python 3.11 or newer with venv: apt-get install -y python3 python3-venv (Debian 12 has 3.11)")
fi

if ! present terraform; then
  problems+=("terraform $terraform_minimum or newer: install Terraform (https://developer.hashicorp.com/terraform/install) onto PATH")
else
  have=$(terraform version 2>/dev/null | sed -n '1s/^Terraform v\([0-9.]*\).*/\1/p')
  if ! version_at_least "${have:-0}" "$terraform_minimum"; then
    problems+=("terraform $terraform_minimum or newer (found ${have:-an unreadable version}): install a newer Terraform onto PATH")
  fi
fi
if [ ! -x "$provider_binary" ]; then
  problems+=("the hashicorp/aws $provider_version provider in the filesystem mirror $mirror (missing $provider_binary):
          terraform providers mirror -platform=linux_amd64 $mirror   (in terraform/platform, on a machine with registry access),
          or set TF_PROVIDER_MIRROR to a folder laid out the same way")
fi

if [ ${#problems[@]} -gt 0 ]; then
  say "missing, and how to install it:"
  for problem in "${problems[@]}"; do
    echo "  - $problem" >&2
  done
  [ "$(id -u)" = 0 ] || say "as root on Debian, make setup installs the Debian packages itself"
  exit 2
fi
