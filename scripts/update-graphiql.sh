#!/usr/bin/env bash
# Vendors GraphiQL and React from the npm registry into assets/graphiql/, gzipped, at the
# pinned versions below; the server embeds them (src/graphql/graphiql.rs) so that GraphiQL
# works with no internet access. Change a version here, run this script, commit the result.
# Needs npm (Node) and gzip; nothing at build or run time needs them.
set -euo pipefail
GRAPHIQL=3.8.3   # the last GraphiQL with a UMD build (4.x is ESM only)
REACT=18.3.1
cd "$(dirname "$0")/.."
OUT=$PWD/assets/graphiql
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for package in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
  mkdir "$package" && tar xzf "$package.tgz" -C "$package"
done
copy() { gzip -9 -n -c "$1" >"$OUT/$2.gz"; }
copy graphiql-$GRAPHIQL/package/graphiql.min.js graphiql.min.js
copy graphiql-$GRAPHIQL/package/graphiql.min.css graphiql.min.css
copy react-$REACT/package/umd/react.production.min.js react.production.min.js
copy react-dom-$REACT/package/umd/react-dom.production.min.js react-dom.production.min.js
{
  echo "graphiql $GRAPHIQL"
  echo "react $REACT"
  echo "react-dom $REACT"
  echo
  echo "sha256 of the npm tarballs:"
  sha256sum ./*.tgz
} >"$OUT/VERSIONS"
echo "assets/graphiql updated: $(tr '\n' ' ' <"$OUT/VERSIONS" | cut -c1-60)…"
