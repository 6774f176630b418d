#!/usr/bin/env bash
# Builds the single executable of the previous release (scripts/previous-release) from git
# history with that commit's own build-sea.sh, caches it in build-cache/previous/<commit>/,
# and prints its absolute path. Once cached it needs neither network nor a rebuild.
# Exit codes the compat test turns into a SKIP line instead of a failure:
#   3  the commit is not in this clone (a shallow clone, or no git repository at all)
#   4  npm could not reach the registry for that commit's dependencies
set -euo pipefail
cd "$(dirname "$0")/.."

die() { local code=$1; shift; echo "build-previous: $*" >&2; exit "$code"; }

read -r SHA VERSION < <(grep -v -e '^#' -e '^[[:space:]]*$' scripts/previous-release | head -n 1) || true
[[ "${SHA:-}" =~ ^[0-9a-f]{40}$ && -n "${VERSION:-}" ]] || die 1 "scripts/previous-release: expected '<40-hex commit> <version>'"

OUT=build-cache/previous/$SHA/wsrep_sst_rsync_tunnel
if [ -x "$OUT" ]; then
  echo "$PWD/$OUT"
  exit 0
fi

git rev-parse --git-dir >/dev/null 2>&1 || die 3 "not a git checkout: release $VERSION ($SHA) cannot be built from history"
git cat-file -e "$SHA^{commit}" 2>/dev/null ||
  die 3 "commit $SHA (release $VERSION) is not in this clone (shallow? git fetch --unshallow)"

# An exported tree rather than a git worktree: nothing is registered in .git to clean up.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sst-previous-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/tree"
git archive "$SHA" | tar -x -C "$TMP/tree"

if ! (cd "$TMP/tree" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1; then
  cat "$TMP/npm.log" >&2
  if grep -qE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH' "$TMP/npm.log"; then
    die 4 "npm ci for release $VERSION ($SHA) could not reach the registry"
  fi
  die 1 "npm ci for release $VERSION ($SHA) failed"
fi

"$TMP/tree/scripts/build-sea.sh" >&2
BUILT=$TMP/tree/dist/wsrep_sst_rsync_tunnel
reported=$("$BUILT" --version) || die 1 "the built release $VERSION does not run"
[[ "$reported" == "wsrep_sst_rsync_tunnel $VERSION "* ]] ||
  die 1 "commit $SHA reports '$reported', not release $VERSION: fix scripts/previous-release"

# Copy then rename, so a concurrent reader never sees half a binary.
mkdir -p "$(dirname "$OUT")"
cp "$BUILT" "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
echo "$PWD/$OUT"
