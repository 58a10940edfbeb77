#!/usr/bin/env bash
# Vendor Apache ECharts from its npm registry package (ARCHITECTURE.md "charts"; no CDN, ever).
# Downloads the package tarball with `npm pack`, checks it against the registry's published integrity
# (sha512), and copies dist/echarts.min.js with its LICENSE and NOTICE to src/rmdesk/static/vendor/echarts/,
# recording the file's SHA-256 in SHA256SUMS (tests/test_vendor.py checks the served file against it).
#   scripts/vendor_echarts.sh            # the pinned version
#   ECHARTS_VERSION=5.6.0 scripts/vendor_echarts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=${ECHARTS_VERSION:-5.6.0}
dest=src/rmdesk/static/vendor/echarts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
integrity=$(npm view "echarts@$version" dist.integrity)
tarball=$(cd "$work" && npm pack --silent "echarts@$version")
actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "integrity mismatch for echarts@$version: registry $integrity, downloaded $actual" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work"
mkdir -p "$dest"
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$work/package/NOTICE" "$dest/"
(cd "$dest" && sha256sum echarts.min.js > SHA256SUMS)
cat > "$dest/README" <<TXT
Apache ECharts $version: dist/echarts.min.js from the npm package echarts@$version (npm pack, checked
against the registry's integrity $integrity). Apache-2.0: LICENSE and NOTICE beside it.
Refresh with scripts/vendor_echarts.sh; served from this directory, never from a CDN.
TXT
echo "vendored echarts@$version into $dest"
