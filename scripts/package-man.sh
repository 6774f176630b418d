#!/usr/bin/env bash
# Fills in scripts/packaging/man/wsrep_sst_rsync_tunnel.1 (version, date), checks that
# man renders it without a single warning, and writes dist/wsrep_sst_rsync_tunnel.1.gz
# (as the packages install it).
#   scripts/package-man.sh [--outdir DIR]
set -euo pipefail
PKG_SCRIPT=package-man
. "$(dirname "$0")/packaging/lib.sh"
pkg_setup
outdir=$PKG_ROOT/dist
case "${1:-}" in
  '') ;;
  --outdir) [ $# -eq 2 ] || pkg_die "usage: $PKG_SCRIPT [--outdir DIR]"; outdir=$2 ;;
  *) pkg_die "usage: $PKG_SCRIPT [--outdir DIR]" ;;
esac
pkg_need man gzip
mkdir -p "$outdir"
out=$outdir/$PKG_PROGRAM.1.gz
WORK=$(mktemp -d "${TMPDIR:-/tmp}/package-man.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
pkg_man_gz "$WORK/page.1.gz"
gzip -dc "$WORK/page.1.gz" > "$WORK/$PKG_PROGRAM.1"
# MANROFFSEQ='' keeps preprocessors named in the page out; -E UTF-8 as on a UTF-8 system.
LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$WORK/$PKG_PROGRAM.1" > "$WORK/rendered.txt" 2> "$WORK/warnings.txt" || true
if [ -s "$WORK/warnings.txt" ] || [ ! -s "$WORK/rendered.txt" ]; then
  cat "$WORK/warnings.txt" >&2
  pkg_die "man reports warnings (or rendered nothing) for scripts/packaging/man/$PKG_PROGRAM.1"
fi
touch -d "@$SOURCE_DATE_EPOCH" "$WORK/page.1.gz"
mv -f "$WORK/page.1.gz" "$out"
echo "built $out ($(wc -l < "$WORK/rendered.txt") lines rendered, no warnings)"
