#!/usr/bin/env bash
# `npm run golden`: rewrites the golden files under test/fixtures/templates from the current
# templates (the golden tests run with ETCD_TUI_UPDATE_GOLDEN=1, which only this script sets;
# scripts/test.sh clears it). Review the diff it prints before committing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx --no-install tsc -p tsconfig.json
ETCD_TUI_UPDATE_GOLDEN=1 node --test --test-concurrency=1 --test-reporter=dot \
  dist/test/unit/templates.test.js dist/test/unit/node-files.test.js
echo "golden: rewritten; changes:"
git status --short -- test/fixtures/templates
git --no-pager diff --stat -- test/fixtures/templates
