#!/usr/bin/env bash
# Vendors axe-core (Deque's accessibility engine, npm) gzipped into tests/api/fixtures/, at the
# pinned version below: the browser test of the web front runs it in Chromium on each view
# (tests/api/front.rs). Change the version, run this script, commit the result.
set -euo pipefail
AXE=4.10.3
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "axe-core@$AXE" >/dev/null && tar xzf "axe-core-$AXE.tgz")
gzip -9 -n -c "$WORK/package/axe.min.js" >tests/api/fixtures/axe.min.js.gz
echo "axe-core $AXE" >tests/api/fixtures/axe.VERSION
echo "tests/api/fixtures/axe.min.js.gz: axe-core $AXE"
