#!/usr/bin/env bash
# Builds the NiFi distribution the platform runs (nifi-distribution/, see its README.md) with an
# ordinary Maven invocation, once per machine and pom set, into a cache outside the clone:
#
#   $DATAPLATFORM_CACHE_DIR/nifi-distribution/<key>/nifi-<version>-bin.tar.gz
#   $DATAPLATFORM_CACHE_DIR/nifi-distribution/<key>/nifi-<version>-bin.tar.gz.sha512
#
# <key> is a hash of the poms, the assembly descriptor and this script, so a
# changed pom set builds anew and an unchanged one is never rebuilt. Prints the tarball's path on
# stdout; progress goes to stderr. Maven checks every artifact against the checksum the
# repository serves beside it (--strict-checksums).
#
# NiFi 2 and its NAR plugin need Java 21 or newer. The build uses, in this order:
#   1. NIFI_BUILD_JAVA_HOME, if set;
#   2. a JDK 21+ under /usr/lib/jvm with `mvn` on PATH;
#   3. otherwise Debian's openjdk-21-jdk-headless and maven inside the project's Debian 13 host
#      image (sandbox/host-image.sh), with podman: nothing else needed on the machine.
#
# Environment:
#   DATAPLATFORM_CACHE_DIR   the cache root (default ~/.cache/dataplatform-ops); the Maven
#                            repository is kept in its maven/ folder
#   NIFI_BUILD_JAVA_HOME     a JDK 21+ to build with
#   NIFI_BUILD_IN_CONTAINER  yes: always build in the host image
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
this_script="$repo_root/scripts/$(basename "${BASH_SOURCE[0]}")"
source_dir="$repo_root/nifi-distribution"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo_root/sandbox/containers.conf}"
cache_root=${DATAPLATFORM_CACHE_DIR:-$HOME/.cache/dataplatform-ops}
maven_repository="$cache_root/maven"
version=$(sed -n 's:.*<nifi.version>\(.*\)</nifi.version>.*:\1:p' "$source_dir/pom.xml" | head -n 1)
tarball_name="nifi-$version-bin.tar.gz"

key=$(cd "$source_dir" && find . -type f \( -name pom.xml -o -name '*.xml' -path './assembly/src/*' \) -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum | cat - "$this_script" | sha256sum | cut -c1-16)
output_dir="$cache_root/nifi-distribution/$key"
# One build at a time on the machine (test tiers run side by side, and the sandbox builds too):
# the others wait, then find the tarball.
mkdir -p "$cache_root/nifi-distribution"
exec 9>"$cache_root/nifi-distribution/.lock"
flock 9
if [[ -s "$output_dir/$tarball_name" && -s "$output_dir/$tarball_name.sha512" ]]; then
  echo "$output_dir/$tarball_name"
  exit 0
fi

java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }

find_jdk() {
  if [[ -n "${NIFI_BUILD_JAVA_HOME:-}" ]]; then
    echo "$NIFI_BUILD_JAVA_HOME"
    return
  fi
  [[ "${NIFI_BUILD_IN_CONTAINER:-no}" == yes ]] && return
  command -v mvn >/dev/null || return
  local jdk
  for jdk in /usr/lib/jvm/*; do
    if [[ -x "$jdk/bin/javac" && $(java_major "$jdk") -ge 21 ]]; then
      echo "$jdk"
      return
    fi
  done
}

workdir=$(mktemp -d "${TMPDIR:-/tmp}/nifi-distribution.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
cp -r "$source_dir" "$workdir/src"
rm -rf "$workdir/src"/*/target
mkdir -p "$maven_repository"
maven_args=(--batch-mode --no-transfer-progress --strict-checksums package)

jdk=$(find_jdk)
started=$SECONDS
if [[ -n "$jdk" ]]; then
  echo "building the NiFi $version distribution with Maven and $jdk" >&2
  (cd "$workdir/src" && JAVA_HOME="$jdk" mvn -Dmaven.repo.local="$maven_repository" "${maven_args[@]}") >"$workdir/build.log" 2>&1 || {
    tail -n 60 "$workdir/build.log" >&2
    exit 1
  }
else
  image=$(bash "$repo_root/sandbox/host-image.sh")
  echo "building the NiFi $version distribution with Maven and OpenJDK 21 in $image" >&2
  # Java reads its own trust store, not a PEM bundle: the machine's CAs go through
  # update-ca-certificates, which Debian's ca-certificates-java turns into Java's cacerts.
  podman run --rm --network host \
    -v /etc/ssl/certs/ca-certificates.crt:/usr/local/share/ca-certificates/machine-bundle.crt:ro \
    -v "$workdir/src:/build:rw" -v "$maven_repository:/maven:rw" -w /build "$image" /bin/sh -euc "
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-21-jdk-headless maven >/dev/null
      update-ca-certificates >/dev/null 2>&1
      mvn -Dmaven.repo.local=/maven ${maven_args[*]}" >"$workdir/build.log" 2>&1 || {
    tail -n 60 "$workdir/build.log" >&2
    exit 1
  }
fi

mkdir -p "$output_dir"
cp "$workdir/src/assembly/target/$tarball_name" "$output_dir/$tarball_name.partial"
(cd "$output_dir" && sha512sum "$tarball_name.partial" | sed "s/[.]partial\$//" >"$tarball_name.sha512.partial")
mv "$output_dir/$tarball_name.partial" "$output_dir/$tarball_name"
mv "$output_dir/$tarball_name.sha512.partial" "$output_dir/$tarball_name.sha512"
echo "built $output_dir/$tarball_name in $((SECONDS - started))s ($(du -h "$output_dir/$tarball_name" | cut -f1))" >&2
echo "$output_dir/$tarball_name"
