#!/usr/bin/env bash
# npm run release: builds the release artefact release/hearth-<version>-<arch>.tar.gz, whose single
# top-level directory hearth-<version>/ holds package.json, the compiled dist/, the device profiles,
# deploy/ (units, rules, install.sh) and production node_modules/ only (npm ci --omit=dev): no
# TypeScript sources, no dev tools (esbuild, biome), no tests. Files in the tarball are owned by
# root (uid 0) and not writable by group or others.
#
# Native modules (better-sqlite3, serialport, unix-dgram) are compiled from source for the machine that
# runs this: build the arm64/armhf artefacts on a gateway of that kind (or in an emulated arm build:
# qemu-user-static + an arm64/armhf Debian root; not tested here).
# The detached signature (<file>.sig) is made afterwards with the release key (docs/deployment.md).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/release}
cd "$here"
version=$(node -p 'require("./package.json").version')
case "$(node -p process.arch)" in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  arm) arch=armhf ;;
  *) arch=$(node -p process.arch) ;;
esac
name=hearth-$version
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
echo "release: building $name for $arch" >&2
npm run build >&2
mkdir -p "$stage/$name"
cp package-lock.json README.md "$stage/$name/"
# The release's package.json has no scripts: `prepare` would try to compile TypeScript that is not there.
node -e 'const p = require("./package.json"); delete p.scripts; process.stdout.write(JSON.stringify(p, null, 2) + "\n")' >"$stage/$name/package.json"
cp -r dist device-profiles deploy "$stage/$name/"
# Test-only and source maps stay out: the gateway runs dist/src and dist/drivers.
find "$stage/$name/dist" -name '*.map' -delete
echo "release: npm ci --omit=dev (native modules built from source; takes minutes)" >&2
(cd "$stage/$name" && npm ci --omit=dev --build-from-source --no-audit --no-fund --loglevel=error >&2)
# serialport ships prebuilt binaries for other platforms; ours is compiled above (build/Release, which
# node-gyp-build loads first): no foreign binary goes to a gateway.
rm -rf "$stage/$name/node_modules/@serialport/bindings-cpp/prebuilds"
# Build leftovers of the native modules (object files, the node-gyp tree) are not needed to run.
# better-sqlite3's SQLite sources are compiled into its .node. (76 MB unpacked before this, 54 MB after.)
find "$stage/$name/node_modules" -path '*/build/Release/*' \( -name obj -o -name obj.target -o -name .deps -o -name '*.a' \) \
  -prune -exec rm -rf {} +
rm -rf "$stage/$name/node_modules/better-sqlite3/deps" "$stage/$name/node_modules/better-sqlite3/src"
chmod -R u+rwX,go+rX,go-w "$stage/$name"
mkdir -p "$out"
file=$out/$name-$arch.tar.gz
# Reproducible as far as tar goes: sorted names, one mtime, numeric root ownership.
mtime=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
tar --sort=name --mtime="@$mtime" --owner=0 --group=0 --numeric-owner -C "$stage" -czf "$file" "$name"
sha256sum "$file" >&2
echo "$file"
