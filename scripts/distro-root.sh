#!/usr/bin/env bash
# Prints the path of a cached root filesystem tarball of a Debian release
# (bullseye: MariaDB 10.5, trixie: MariaDB 11.8) for `make test-distros`,
# building it with mmdebstrap from deb.debian.org when the cache lacks it.
#
# The cache lives outside the clone, in ${SST_DISTRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wsrep-sst-rsync-tunnel}.
# A tarball's name carries a hash of everything that decides its content
# (suite, mirrors, package list, variant), so changing any of them builds a
# new one; once built, a run needs no network.
#
# Exit status: 0 and the path on stdout; 77 and one "SKIP: <reason>" line on
# stdout when it cannot build (not root, no mmdebstrap, archive unreachable).
set -euo pipefail

suite=${1:?usage: distro-root.sh bullseye|trixie}
case "$suite" in
  bullseye | trixie) ;;
  *) echo "distro-root: unknown suite $suite" >&2; exit 2 ;;
esac

# What every test inside the root runs: the server, the provider, the tools the
# SST program calls, the client and MariaDB's MTR suites.
PACKAGES=(mariadb-server mariadb-client mariadb-test galera-4 socat rsync openssl iproute2 procps)
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
VARIANT=apt
FORMAT_VERSION=1
cache=${SST_DISTRO_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/wsrep-sst-rsync-tunnel}

# The release with its updates and security fixes, or, when the archive lacks a
# package of the security suite (a mirror without bullseye-security's
# mariadb-test, seen here), its last point release: MariaDB's packages must all
# come from one version. Each source set has a tarball of its own.
with_security=("deb $MIRROR $suite main" "deb $MIRROR $suite-updates main" "deb $SECURITY $suite-security main")
point_release=("deb $MIRROR $suite main" "deb $MIRROR $suite-updates main")

tarball_for() {
  local key
  key=$(printf '%s\n' "$FORMAT_VERSION" "$suite" "$VARIANT" "$@" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
  echo "$cache/debian-$suite-$key.tar.zst"
}

for t in "$(tarball_for "${with_security[@]}")" "$(tarball_for "${point_release[@]}")"; do
  if [ -s "$t" ]; then
    echo "$t"
    exit 0
  fi
done

skip() {
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "building a $suite root filesystem needs root (mmdebstrap --mode=root) and none is cached in $cache"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (apt-get install mmdebstrap; scripts/install-deps.sh does it)"
command -v zstd >/dev/null || skip "zstd is not installed"
mkdir -p "$cache"

# build <tarball> <source>...: mmdebstrap into a compressed tarball; its log next to it.
build() {
  local tarball=$1 partial="$1.partial.$$" log="${1%.tar.zst}.log"
  shift
  echo "distro-root: building $tarball with mmdebstrap (log: $log)" >&2
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -f '$partial'" EXIT
  if mmdebstrap --mode=root --variant="$VARIANT" --format=tar --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$suite" - "$@" 2>"$log" | zstd -q -T0 -3 -o "$partial"; then
    mv "$partial" "$tarball"
    echo "$tarball"
    return 0
  fi
  rm -f "$partial"
  echo "distro-root: $suite: $(grep -m1 -E '^E: ' "$log" || tail -n1 "$log")" >&2
  return 1
}

build "$(tarball_for "${with_security[@]}")" "${with_security[@]}" && exit 0
echo "distro-root: $suite: retrying without $suite-security (its last point release)" >&2
build "$(tarball_for "${point_release[@]}")" "${point_release[@]}" && exit 0
skip "mmdebstrap could not build the $suite root filesystem from $MIRROR (logs in $cache)"
