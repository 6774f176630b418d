#!/usr/bin/env bash
# Installs what building and testing need on Debian 12: apt packages (when
# running as root and something is missing) and the npm packages of the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(socat rsync binutils openssl mariadb-client mariadb-server galera-4 iproute2 util-linux procps time tcpdump dpkg-dev lintian rpm man-db
  # MariaDB's MTR suites (make test-mtr); two of its rsync tests require mariabackup.
  mariadb-test mariadb-backup
  # make bench only: the stock rsync method's TLS (stunnel), the baseline MariaDB users encrypt with today.
  stunnel4
  # make test-distros: Debian 11 and 13 root filesystems (scripts/distro-root.sh), cached zstd-compressed.
  mmdebstrap zstd
  # Debian 11's socat (OpenSSL 1.1.1) run on this host in the compatibility matrix.
  patchelf
  # The arm64 build (make dist ARCH=arm64) and its tests under qemu user emulation:
  # an AArch64 strip, the emulator, and Debian's arm64 glibc, libstdc++ and libgcc_s
  # under /usr/aarch64-linux-gnu for qemu-aarch64-static -L.
  binutils-aarch64-linux-gnu qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.deps-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
