#!/usr/bin/env bash
# Builds the podman image the test and sandbox hosts run: Debian 13 (trixie) from debootstrap,
# with systemd as PID 1, python3 for Ansible, and the few tools the roles expect on an EC2 host.
#
# The image tag carries a hash of this recipe, so the image is rebuilt only when the recipe
# changes. Prints the image reference on stdout; progress goes to stderr.
#
# Environment:
#   DEBIAN_MIRROR   Debian mirror to bootstrap from (default http://deb.debian.org/debian)
#   HOST_IMAGE_NAME image name without tag (default localhost/dataplatform-host)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
name=${HOST_IMAGE_NAME:-localhost/dataplatform-host}
packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps,curl,gnupg,openssh-client,locales

recipe_hash=$(cat "$0" | sha256sum | cut -c1-12)
image="$name:debian13-$recipe_hash"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/dataplatform-host.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
rootfs="$workdir/rootfs"

echo "building $image from $mirror (debootstrap trixie)" >&2
debootstrap --variant=minbase --include="$packages" trixie "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1 || {
  tail -n 40 "$workdir/debootstrap.log" >&2
  exit 1
}

# A container has no consoles, no hardware clock and no kernel modules to load; these units
# only fail or wait there.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
  systemd-modules-load.service sys-kernel-config.mount systemd-firstboot.service \
  systemd-remount-fs.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
echo "dataplatform-host" >"$rootfs/etc/hostname"
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  - "$image" >&2
echo "$image"
