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
packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps,curl,gnupg,openssh-client,openssh-server,util-linux,locales

# The machine's package cache (sandbox/package_cache.py, APT_CACHE_PORT).
apt_cache_port=13142

recipe_hash=$(cat "$0" | sha256sum | cut -c1-12)
image="$name:debian13-$recipe_hash"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/dataplatform-host.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
rootfs="$workdir/rootfs"

# Through the machine's package cache when it runs (sandbox/package_cache.py).
if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$apt_cache_port/acng-report.html" 2>/dev/null; then
  export http_proxy="http://127.0.0.1:$apt_cache_port"
fi
echo "building $image from $mirror (debootstrap trixie${http_proxy:+, through the package cache})" >&2
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

# Like an AMI build: no SSH host keys in the image, so that every host makes its own at its first
# start (an EC2 image's cloud-init does the same). sshd starts at boot; who may log in is for the
# instance's user data to say (asg-hosts), and until then nobody can.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
cat >"$rootfs/etc/systemd/system/ssh.service.d/host-keys.conf" <<'EOT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOT
mkdir -p "$rootfs/etc/ssh/sshd_config.d"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n' \
  >"$rootfs/etc/ssh/sshd_config.d/10-image.conf"

# apt downloads through the machine's package cache when it answers (host.containers.internal is
# the machine, from any podman network or the host's own), else straight from the mirror.
mkdir -p "$rootfs/usr/local/libexec"
cat >"$rootfs/usr/local/libexec/dataplatform-package-cache" <<EOT
#!/bin/bash
# Prints the machine's Debian package cache for apt (Acquire::http::Proxy-Auto-Detect), or DIRECT.
if timeout 1 bash -c 'exec 3<>/dev/tcp/host.containers.internal/$apt_cache_port' 2>/dev/null; then
  echo "http://host.containers.internal:$apt_cache_port"
else
  echo DIRECT
fi
EOT
chmod 0755 "$rootfs/usr/local/libexec/dataplatform-package-cache"
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/libexec/dataplatform-package-cache";' \
  >"$rootfs/etc/apt/apt.conf.d/01dataplatform-package-cache"

# The package lists are emptied, and dated to 1970: apt's cache age (Ansible's cache_valid_time)
# must read an emptied list as stale, not as refreshed at build time.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
mkdir -p "$rootfs/var/lib/apt/lists/partial"
rm -f "$rootfs/var/lib/apt/periodic/update-success-stamp"
touch -d @0 "$rootfs/var/lib/apt/lists" "$rootfs/var/lib/apt/lists/partial"

tar -C "$rootfs" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  - "$image" >&2
echo "$image"
