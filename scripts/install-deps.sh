#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine. Idempotent: does
# nothing that is already done.
#  - system packages: etcd-server etcd-client (3.4), tmux, openssl,
#    openssh-server (sshd), iproute2 (ip), sudo (the SSH layer's sudo -n path), util-linux (unshare,
#    nsenter, prlimit), systemd (only for systemd-analyze verify of rendered units: nothing is started,
#    policy-rc.d forbids it and systemd does not become PID 1), zsh (shell quoting tests)
#  - node_modules (npm ci) when missing or older than package-lock.json
#  - etcd 3.5 into .cache/etcd-3.5 (scripts/fetch-etcd35.sh)
#
# Fails (exit 1) when something the tests need cannot be had: etcd 3.5 cannot be fetched, or, in CI
# (CI=true), a system package is missing and this is not root (or there is no apt-get), or this is not
# root at all (the SSH and simulated-host tests need root). Outside CI those two only warn: the tests
# that need them are skipped, each counted with its reason in the tier summary of scripts/test.sh.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# `install-deps.sh sandbox` installs only what the sandbox needs (etcd and node_modules).
MODE="${1:-test}"
case "${CI:-}" in
  true | 1 | yes) IN_CI=1 ;;
  *) IN_CI=0 ;;
esac
# In CI a missing requirement ends the run; elsewhere it is a warning.
need() {
  echo "install-deps: $*" >&2
  if [ "$IN_CI" = 1 ]; then
    echo "install-deps: CI=true: the tests that need it would be skipped, which fails CI; stopping here" >&2
    exit 1
  fi
}

# command -> Debian package. Only the packages of missing commands are installed (--no-upgrade):
# on a shared machine nothing already installed is upgraded.
declare -A PACKAGE_OF=(
  [etcd]=etcd-server [etcdctl]=etcd-client [tmux]=tmux [openssl]=openssl [sshd]=openssh-server
  [ssh-keygen]=openssh-client [ip]=iproute2 [sudo]=sudo [unshare]=util-linux [prlimit]=util-linux
  [systemd-analyze]=systemd [zsh]=zsh
)
if [ "$MODE" = sandbox ]; then
  COMMANDS=(etcd etcdctl)
else
  COMMANDS=(etcd etcdctl tmux openssl sshd ssh-keygen ip sudo unshare prlimit systemd-analyze zsh)
fi
missing=()
PACKAGES=()
for c in "${COMMANDS[@]}"; do
  have "$c" && continue
  missing+=("$c")
  case " ${PACKAGES[*]} " in *" ${PACKAGE_OF[$c]} "*) ;; *) PACKAGES+=("${PACKAGE_OF[$c]}") ;; esac
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    need "missing ${missing[*]}; run as root (or: apt-get install ${PACKAGES[*]})"
  elif ! command -v apt-get >/dev/null 2>&1; then
    need "missing ${missing[*]} and there is no apt-get to install them"
  else
    echo "install-deps: installing system packages (missing: ${missing[*]})"
    # Package scripts (etcd-server, openssh-server) must not start services:
    # policy-rc.d exiting 101 forbids it, for the duration of the install only.
    # A policy-rc.d already there is used only if it forbids too (exit 101); else it is set aside.
    policy=/usr/sbin/policy-rc.d
    saved="$policy.etcd-tui-saved"
    made_policy=0
    if [ -e "$policy" ]; then
      rc=0
      "$policy" etcd start >/dev/null 2>&1 || rc=$?
      if [ "$rc" != 101 ]; then
        mv "$policy" "$saved"
      fi
    fi
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# temporary, from etcd-tui scripts/install-deps.sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      made_policy=1
    fi
    cleanup_policy() {
      if [ "$made_policy" = 1 ]; then rm -f "$policy"; made_policy=0; fi
      if [ -e "$saved" ]; then mv "$saved" "$policy"; fi
    }
    trap cleanup_policy EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends --no-upgrade "${PACKAGES[@]}"
    cleanup_policy
    trap - EXIT
    still=()
    for t in "${missing[@]}"; do have "$t" || still+=("$t"); done
    if [ "${#still[@]}" -gt 0 ]; then
      need "still missing after apt-get install: ${still[*]}"
    fi
  fi
fi
if [ "$MODE" != sandbox ] && [ "$(id -u)" != 0 ]; then
  need "not root: the SSH and simulated-host tests (network namespaces, sshd) need root"
fi

# node_modules: npm writes node_modules/.package-lock.json on every install.
if [ ! -d node_modules ] || [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi

# etcd 3.5 for the version-matrix tests (prints one line; fails when it cannot be had).
if [ "$MODE" != sandbox ]; then
  if ! bash "$REPO_ROOT/scripts/fetch-etcd35.sh"; then
    echo "install-deps: etcd 3.5 is required by the tests (fetch it, or run scripts/test.sh with ETCD_TUI_SKIP_INSTALL=1 to accept the skips outside CI)" >&2
    exit 1
  fi
fi
