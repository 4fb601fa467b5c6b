#!/usr/bin/env bash
# Bundles dist/etcd-tui.js only when something it is built from is newer than it (`npm run sandbox`
# calls this: a rebuild takes seconds, a full `npm run build` with tsc over the tests ~15 s).
# The console runs from the bundle alone; type checking stays with `npm run build` and the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=dist/etcd-tui.js
sources=(src screens scripts/bundle.mjs scripts/build-shared.mjs package.json package-lock.json tsconfig.json)
[ -e node_modules/.package-lock.json ] && sources+=(node_modules/.package-lock.json)
if [ -f "$out" ] && [ -z "$(find "${sources[@]}" -newer "$out" -print -quit 2>/dev/null)" ]; then
  echo "etcd-tui: $out is up to date" >&2
  exit 0
fi
echo "etcd-tui: building $out" >&2
node scripts/bundle.mjs
