#!/usr/bin/env bash
# Vendors the French State's design system (DSFR, @gouvfr/dsfr) from the npm registry into
# assets/dsfr/ at the pinned version below: the stylesheet and script (gzipped), the Marianne
# and Spectral fonts (woff2) and the icons the stylesheet refers to; and its charts
# (@gouvfr/dsfr-chart, web components on Vue and Chart.js, all in one module) into
# assets/dsfr/chart/. The server embeds them (src/front.rs)
# so that the web front works with no internet access. Change the version, run this script,
# commit the result. Needs npm (Node) and gzip; nothing at build or run time needs them.
set -euo pipefail
DSFR=1.15.3
DSFR_CHART=2.0.4
cd "$(dirname "$0")/.."
OUT=$PWD/assets/dsfr
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "@gouvfr/dsfr@$DSFR" >/dev/null
tar xzf "gouvfr-dsfr-$DSFR.tgz"
DIST=package/dist
rm -rf "$OUT" && mkdir -p "$OUT/fonts"
gzip -9 -n -c "$DIST/dsfr.min.css" >"$OUT/dsfr.min.css.gz"
gzip -9 -n -c "$DIST/dsfr.module.min.js" >"$OUT/dsfr.module.min.js.gz"
cp "$DIST"/fonts/*.woff2 "$OUT/fonts/"
# The icons and pictures the stylesheet loads (url(icons/…)), nothing else.
grep -o 'url([^)]*)' "$DIST/dsfr.min.css" | sed 's/^url(//; s/)$//; s/^["'\'']//; s/["'\'']$//' |
  grep -E '^(icons|artwork)/' | sort -u | while read -r path; do
    mkdir -p "$OUT/$(dirname "$path")"
    cp "$DIST/$path" "$OUT/$path"
  done
cp "$DIST/favicon/favicon.svg" "$OUT/favicon.svg"
cp package/LICENSE.md "$OUT/LICENSE.md"
rm -rf package
npm pack --silent "@gouvfr/dsfr-chart@$DSFR_CHART" >/dev/null
tar xzf "gouvfr-dsfr-chart-$DSFR_CHART.tgz"
mkdir -p "$OUT/chart"
gzip -9 -n -c package/dist/DSFRChart/DSFRChart.js >"$OUT/chart/DSFRChart.js.gz"
gzip -9 -n -c package/dist/DSFRChart/DSFRChart.css >"$OUT/chart/DSFRChart.css.gz"
cp package/LICENSE "$OUT/chart/LICENSE"
{
  echo "@gouvfr/dsfr $DSFR"
  echo "@gouvfr/dsfr-chart $DSFR_CHART"
  echo
  echo "sha256 of the npm tarball:"
  sha256sum ./*.tgz
} >"$OUT/VERSIONS"
echo "assets/dsfr updated: @gouvfr/dsfr $DSFR, $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1)"
