#!/usr/bin/env bash
# Fetch etcd 3.5 (etcd, etcdctl, etcdutl) from Debian trixie into
# <repo>/.cache/etcd-3.5 without touching the system's apt configuration.
#
# How: a private sources list is derived from the system's own Debian source
# (same URI and Signed-By, suite "trixie"), with private lists and cache
# directories; `apt-get download` fetches the two .debs and `dpkg-deb -x`
# unpacks them. No registry host name is written here: it is read from the
# system's sources.
#
# On any problem it prints one line and exits 1 (scripts/install-deps.sh then
# fails the test run: the etcd 3.5 tests would otherwise be skipped).
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${ETCD_TUI_ETCD35_DEST:-$REPO_ROOT/.cache/etcd-3.5}"
SUITE="${ETCD_TUI_ETCD35_SUITE:-trixie}"
STATE="$REPO_ROOT/.cache/apt-$SUITE"

if [ -x "$DEST/usr/bin/etcd" ] && [ -x "$DEST/usr/bin/etcdctl" ] && [ -x "$DEST/usr/bin/etcdutl" ]; then
  echo "fetch-etcd35: already present: $("$DEST/usr/bin/etcd" --version 2>/dev/null | head -1)"
  exit 0
fi

fail() {
  echo "fetch-etcd35: FAILED ($*); the etcd 3.5 tests cannot run" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "no apt-get"
command -v dpkg-deb >/dev/null 2>&1 || fail "no dpkg-deb"

# --- derive the Debian mirror URI and its keyring from the system's sources ---
codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
[ -n "$codename" ] || fail "cannot read VERSION_CODENAME from /etc/os-release"

uri=""
keyring=""
# deb822 files: a stanza whose Suites list the plain codename (not -security).
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  read -r uri keyring < <(awk -v cn="$codename" '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && hit && u != "") { print u, (k == "" ? "-" : k); found = 1; exit }
      types = ""; u = ""; k = ""; hit = 0
    }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]*#/ { next }
    tolower($1) == "types:" { types = ""; for (i = 2; i <= NF; i++) types = types " " $i; types = types " " }
    tolower($1) == "uris:" { u = $2 }
    tolower($1) == "signed-by:" { k = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == cn) hit = 1 }
    END { if (!found) flush() }
  ' "$f")
  [ -n "$uri" ] && break
done
# One-line format: "deb [opts] URI codename components..."
if [ -z "$uri" ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    line="$(grep -E "^[[:space:]]*deb[[:space:]]" "$f" | grep -E "[[:space:]]$codename([[:space:]]|$)" | head -1)"
    [ -n "$line" ] || continue
    keyring="$(sed -n 's/.*signed-by=\([^] ]*\).*/\1/p' <<<"$line")"
    uri="$(sed -e 's/\[[^]]*\]//' <<<"$line" | awk '{print $2}')"
    [ -n "$uri" ] && break
  done
fi
[ -n "$uri" ] || fail "no Debian source for $codename found in /etc/apt"
[ "$keyring" = "-" ] && keyring=""

# Keyring: the system stanza's own Signed-By, else the Debian archive keyring
# (bookworm's debian-archive-keyring already carries the trixie keys).
if [ -z "$keyring" ] || [ ! -r "$keyring" ]; then
  for k in /usr/share/keyrings/debian-archive-keyring.gpg /usr/share/keyrings/debian-archive-$SUITE-stable.gpg; do
    if [ -r "$k" ]; then keyring="$k"; break; fi
  done
fi
[ -n "$keyring" ] || fail "no Debian archive keyring in /usr/share/keyrings"

# --- private apt state ---
mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/etc" || fail "cannot create $STATE"
SRC="$STATE/etc/sources.list"
echo "deb [signed-by=$keyring] $uri $SUITE main" >"$SRC"

APT_OPTS=(
  -o "Dir::Etc::sourcelist=$SRC"
  -o "Dir::Etc::sourceparts=/nonexistent"
  -o "Dir::State::Lists=$STATE/lists"
  -o "Dir::Cache=$STATE/cache"
  -o "Dir::Cache::pkgcache=$STATE/cache/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$STATE/cache/srcpkgcache.bin"
  -o "APT::Get::List-Cleanup=0"
  -q
)
if [ "$(id -u)" = 0 ]; then
  # The private dirs belong to root; don't drop to the _apt sandbox user.
  APT_OPTS+=(-o "APT::Sandbox::User=root")
fi

log="$STATE/fetch.log"
: >"$log"
if ! timeout 300 apt-get "${APT_OPTS[@]}" update >>"$log" 2>&1; then
  fail "apt-get update for $SUITE failed, see $log: $(grep -E '^(E|W):' "$log" | head -1)"
fi
if grep -qE '^(E:|W: GPG error|W: The repository)' "$log"; then
  fail "apt-get update for $SUITE reported a problem, see $log: $(grep -E '^(E|W):' "$log" | head -1)"
fi

tmp="$(mktemp -d)" || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && timeout 300 apt-get "${APT_OPTS[@]}" download etcd-server etcd-client) >>"$log" 2>&1; then
  fail "apt-get download etcd-server etcd-client failed, see $log: $(grep -E '^E:' "$log" | head -1)"
fi

stage="$DEST.partial.$$"
rm -rf "$stage"
mkdir -p "$stage" || fail "cannot create $stage"
for deb in "$tmp"/*.deb; do
  [ -f "$deb" ] || fail "no .deb downloaded"
  dpkg-deb -x "$deb" "$stage" >>"$log" 2>&1 || { rm -rf "$stage"; fail "dpkg-deb -x $(basename "$deb") failed"; }
done
if [ ! -x "$stage/usr/bin/etcd" ] || [ ! -x "$stage/usr/bin/etcdctl" ] || [ ! -x "$stage/usr/bin/etcdutl" ]; then
  rm -rf "$stage"
  fail "unpacked packages have no usr/bin/etcd, etcdctl or etcdutl"
fi
version="$("$stage/usr/bin/etcd" --version 2>/dev/null | head -1)"
rm -rf "$DEST"
mv "$stage" "$DEST" || fail "cannot move $stage to $DEST"
echo "fetch-etcd35: installed into $DEST: $version ($(ls "$DEST/usr/bin" | tr '\n' ' '))"
exit 0
