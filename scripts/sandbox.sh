#!/usr/bin/env bash
# `npm run sandbox`: install what the sandbox needs (etcd from Debian's packages, node_modules),
# build when a source changed, and open the console on a throwaway local cluster. Extra arguments go to etcd-tui
# (e.g. npm run sandbox -- --members 5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh sandbox
bash scripts/build-if-stale.sh
exec node dist/etcd-tui.js sandbox "$@"
