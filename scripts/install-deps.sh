#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine. Idempotent: does
# nothing that is already done.
#  - system packages: etcd-server etcd-client (3.4), tmux, openssl,
#    openssh-server (sshd), iproute2 (ip), sudo (the SSH layer's sudo -n path), util-linux (unshare, nsenter)
#  - node_modules (npm ci) when missing or older than package-lock.json
#  - etcd 3.5 into .cache/etcd-3.5 (scripts/fetch-etcd35.sh; never fatal)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

# `install-deps.sh sandbox` installs only what the sandbox needs (etcd and node_modules).
MODE="${1:-test}"
PACKAGES=(etcd-server etcd-client tmux openssl openssh-server openssh-client iproute2 sudo util-linux)
missing=()
have etcd || missing+=(etcd)
have etcdctl || missing+=(etcdctl)
if [ "$MODE" = sandbox ]; then
  PACKAGES=(etcd-server etcd-client)
else
  have tmux || missing+=(tmux)
  have openssl || missing+=(openssl)
  have sshd || missing+=(sshd)
  have ip || missing+=(ip)
  have sudo || missing+=(sudo)
  have ssh-keygen || missing+=(ssh-keygen)
  have unshare || missing+=(unshare)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing ${missing[*]}; run as root (or: apt-get install ${PACKAGES[*]})" >&2
  elif ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]} and there is no apt-get to install them" >&2
  else
    echo "install-deps: installing system packages (missing: ${missing[*]})"
    # Package scripts (etcd-server, openssh-server) must not start services:
    # policy-rc.d exiting 101 forbids it, for the duration of the install only.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# temporary, from etcd-tui scripts/install-deps.sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      made_policy=1
    fi
    cleanup_policy() {
      if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
    }
    trap cleanup_policy EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    cleanup_policy
    trap - EXIT
  fi
fi

# node_modules: npm writes node_modules/.package-lock.json on every install.
if [ ! -d node_modules ] || [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi

# etcd 3.5 for the version-matrix tests (prints one line, never fails).
if [ "$MODE" != sandbox ]; then
  bash "$REPO_ROOT/scripts/fetch-etcd35.sh" || true
fi
