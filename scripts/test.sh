#!/usr/bin/env bash
# The project's test command (npm test): dependencies, lint, build, then every
# compiled test file (dist/test/**/*.test.js) with Node's test runner, one
# file at a time. Exits non-zero on any failure. Afterwards, kills whatever
# the tests started and left running (by the pid files the harness writes,
# never by process name).
#
# Environment:
#   ETCD_TUI_TEST_TIMEOUT_MS   bound for one test or top-level suite (default 600000)
#   ETCD_TUI_TEST_RUN_TIMEOUT  bound for the whole test phase in seconds (default 3600)
#   ETCD_TUI_SKIP_INSTALL=1    skip scripts/install-deps.sh
#   ETCD_TUI_TEST_FILES        space-separated test files to run instead of all
#   CI=true                    any skipped test fails the run unless its reason is on the
#                              allow-list in scripts/test-summary.mjs (ALLOWED_SKIPS)
#
# The run ends with one line per tier (unit, screens, integration, e2e: the
# directories under test/) with the tests run, passed, failed and skipped, and
# why they were skipped, then a plain "N passed, N failed, N skipped" line.
# UPDATE_GOLDEN / ETCD_TUI_UPDATE_GOLDEN are cleared: the golden files are
# regenerated only by scripts/golden.sh (npm run golden).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

TMP_BASE="${TMPDIR:-/tmp}"
TMP_BASE="${TMP_BASE%/}"
PIDS_BASE="$TMP_BASE/etcd-tui-test-pids"
export ETCD_TUI_TEST_PIDS_DIR="$PIDS_BASE/run-$$"

case "${CI:-}" in
  true | 1 | yes) IN_CI=1 ;;
  *) IN_CI=0 ;;
esac
export ETCD_TUI_IN_CI="$IN_CI"

# A golden test run with UPDATE_GOLDEN would rewrite what it compares against.
if [ -n "${UPDATE_GOLDEN:-}${ETCD_TUI_UPDATE_GOLDEN:-}" ]; then
  echo "test.sh: ignoring UPDATE_GOLDEN/ETCD_TUI_UPDATE_GOLDEN (regenerate golden files with: npm run golden)"
fi
unset UPDATE_GOLDEN ETCD_TUI_UPDATE_GOLDEN

# Per-test results (scripts/test-reporter.mjs) and the tier summary made from them.
RESULTS="$(mktemp "$TMP_BASE/etcd-tui-test-results.XXXXXX")"
SUMMARY=""

# ---------------------------------------------------------------------------
# Leftover processes: each file in a pid dir has key=value lines
# (kind, pid, starttime, owner, socket for tmux, dir). A process is killed only
# if its /proc starttime still matches (so a reused pid is never hit).
kill_recorded() {
  local dir="$1" f k v kind pid starttime socket tdir cur
  [ -d "$dir" ] || return 0
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    kind="" pid="" starttime="" socket="" tdir=""
    while IFS='=' read -r k v; do
      case "$k" in
        kind) kind="$v" ;;
        pid) pid="$v" ;;
        starttime) starttime="$v" ;;
        socket) socket="$v" ;;
        dir) tdir="$v" ;;
      esac
    done <"$f"
    if [ -n "$kind" ] && [ "$kind" = tmux ] && [ -n "$socket" ]; then
      tmux -L "$socket" kill-server >/dev/null 2>&1 || true
      rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$socket"
    fi
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/stat" ]; then
      cur="$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $20}')"
      if [ -z "$starttime" ] || [ "$cur" = "$starttime" ]; then
        echo "test.sh: killing leftover $kind process $pid"
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    case "$tdir" in
      "$TMP_BASE"/etcd-tui-*) rm -rf "$tdir" ;;
    esac
    rm -f "$f"
  done
  rmdir "$dir" 2>/dev/null || true
}

# Pid dirs of earlier runs whose owner (the pid in the dir name) is gone.
clean_stale_runs() {
  local d owner
  [ -d "$PIDS_BASE" ] || return 0
  for d in "$PIDS_BASE"/*; do
    [ -d "$d" ] || continue
    owner="${d##*-}"
    [[ "$owner" =~ ^[0-9]+$ ]] || continue
    if ! kill -0 "$owner" 2>/dev/null; then
      kill_recorded "$d"
    fi
  done
}

# Simulated hosts (test/harness/hosts.ts) left behind: network namespaces and
# links named etui<owner pid>..., removed when their owner process is gone
# (a concurrent run's hosts are left alone). Root and ip only; never fails.
clean_sim_hosts() {
  local ns owner link pid
  [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1 || return 0
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^etui/ {print $1}'); do
    owner="${ns#etui}" owner="${owner%%[!0-9]*}"
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
    echo "test.sh: removing leftover simulated host $ns"
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^etui/ {sub(/@.*/, "", $2); print $2}'); do
    owner="${link#etui}" owner="${owner%%[!0-9]*}"
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
    ip link delete "$link" 2>/dev/null || true
  done
  return 0
}

# ---------------------------------------------------------------------------
declare -a PHASES=()
now() { date +%s.%N; }
phase() { # name command...
  local name="$1" start end rc
  shift
  echo "==> $name"
  start="$(now)"
  set +e
  "$@"
  rc=$?
  set -e
  end="$(now)"
  PHASES+=("$(printf '%-8s %7.1fs  %s' "$name" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  return "$rc"
}

finish() {
  local rc=$?
  kill_recorded "$ETCD_TUI_TEST_PIDS_DIR"
  clean_sim_hosts || true
  echo "==> timings"
  local p
  for p in "${PHASES[@]}"; do echo "    $p"; done
  if [ "$rc" = 0 ]; then echo "==> all passed"; else echo "==> FAILED (exit $rc)"; fi
  rm -f "$RESULTS"
  # Last lines of the run: one per tier, then "N passed, N failed, N skipped".
  echo "==> tests by tier"
  if [ -n "$SUMMARY" ]; then
    printf '%s\n' "$SUMMARY"
  else
    echo "no test ran (the run stopped before the test phase)"
    echo "0 passed, 0 failed, 0 skipped"
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

clean_stale_runs
clean_sim_hosts || true

if [ "${ETCD_TUI_SKIP_INSTALL:-}" != 1 ]; then
  phase install bash scripts/install-deps.sh
fi

phase lint npx --no-install eslint .

build() {
  npx --no-install tsc -p tsconfig.json || return $?
  # The shipped binary (dist/etcd-tui.js): the end-to-end tests drive it.
  node scripts/bundle.mjs || return $?
  # Drop compiled tests whose source is gone, so they do not run.
  local js ts
  while IFS= read -r js; do
    ts="${js#dist/}"
    ts="${ts%.js}.ts"
    if [ ! -e "$ts" ] && [ ! -e "${ts%.ts}.tsx" ]; then
      rm -f "$js" "$js.map"
    fi
  done < <(find dist/test -name '*.test.js' 2>/dev/null)
}
phase build build

run_tests() {
  local files=()
  if [ -n "${ETCD_TUI_TEST_FILES:-}" ]; then
    read -r -a files <<<"$ETCD_TUI_TEST_FILES"
  else
    mapfile -t files < <(find dist/test -name '*.test.js' | sort)
  fi
  if [ "${#files[@]}" = 0 ]; then
    echo "test.sh: no test files under dist/test" >&2
    return 1
  fi
  echo "test.sh: ${#files[@]} test file(s)"
  local rc=0 src=0
  timeout --kill-after=30 "${ETCD_TUI_TEST_RUN_TIMEOUT:-3600}" \
    node --test \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=./scripts/test-reporter.mjs --test-reporter-destination="$RESULTS" \
      --test-concurrency=1 \
      --test-timeout="${ETCD_TUI_TEST_TIMEOUT_MS:-600000}" \
      --test-force-exit \
      "${files[@]}" || rc=$?
  local ci_flag=()
  [ "$IN_CI" = 1 ] && ci_flag=(--ci)
  SUMMARY="$(node scripts/test-summary.mjs "$RESULTS" "${ci_flag[@]}")" || src=$?
  if [ "$rc" = 0 ] && [ "$src" != 0 ]; then rc="$src"; fi
  return "$rc"
}
phase test run_tests
