#!/usr/bin/env bash
# Builds the AWX execution environment of execution-environment.yml with podman:
#   1. the collection's artifact (ansible-galaxy collection build) into .cache/execution-environment/;
#   2. the build context (ansible-builder create);
#   3. the image (podman build).
# The image tag carries a hash of the build context, so an unchanged context is not built again.
# Prints the image reference on stdout; progress goes to stderr.
#
# Environment:
#   EE_BASE_IMAGE   the Debian 13 base image (default: the definition's, which needs a registry;
#                   `make execution-environment` passes the project's own host image)
#   EE_IMAGE_NAME   image name without tag (default localhost/dataplatform-ee)
#   EE_BUILD_CA_BUNDLE  a CA bundle the build's pip must trust (a TLS-inspecting proxy's), mounted
#                   over the image's own for the build only; default: none
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/sandbox/containers.conf}"
work="$root/.cache/execution-environment"
name=${EE_IMAGE_NAME:-localhost/dataplatform-ee}
apt_cache_port=13142  # the machine's package cache (sandbox/package_cache.py)

cd "$root"
rm -rf "$work/collection" "$work/context"
mkdir -p "$work/collection"
ansible-galaxy collection build --force --output-path "$work/collection" \
  collections/ansible_collections/dataplatform/ops >&2
mv "$work"/collection/dataplatform-ops-*.tar.gz "$work/collection/dataplatform-ops.tar.gz"
ansible-builder create --file execution-environment.yml --context "$work/context" --output-filename Containerfile >&2

# The hash covers what the context holds, not when the artifact was built: of the collection's
# artifact, the content of its files.
context_hash=$(
  {
    (cd "$work/context" && find . -type f ! -name dataplatform-ops.tar.gz -print0 | sort -z | xargs -0 sha256sum)
    tar -xzOf "$work/collection/dataplatform-ops.tar.gz" | sha256sum
    echo "${EE_BASE_IMAGE:-default}"
  } | sha256sum | cut -c1-12
)
image="$name:$context_hash"
if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

build_args=(--network host --tag "$image" --file "$work/context/Containerfile")
[ -n "${EE_BASE_IMAGE:-}" ] && build_args+=(--build-arg "EE_BASE_IMAGE=$EE_BASE_IMAGE")
[ -n "${EE_BUILD_CA_BUNDLE:-}" ] && build_args+=(--volume "$EE_BUILD_CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro")
# apt through the machine's package cache when it runs (the base's own apt settings decide).
if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$apt_cache_port/acng-report.html" 2>/dev/null; then
  build_args+=(--add-host "host.containers.internal:127.0.0.1")
fi
echo "building $image from ${EE_BASE_IMAGE:-the base image of execution-environment.yml}" >&2
podman build "${build_args[@]}" "$work/context" >&2
echo "$image"
