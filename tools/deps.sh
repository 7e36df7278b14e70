#!/bin/sh
# deps.sh - make sure the Debian packages a make target needs are installed.
#
#   tools/deps.sh build|check|demo|fuzz
#
# Quiet when everything is there. When something is missing it says what;
# as root it installs it with apt-get, otherwise it prints the one apt-get
# line to run and exits 1. Used by the Makefile; safe to run by hand.
set -eu

build="gcc make pkg-config libsqlite3-dev libgit2-dev libsodium-dev zlib1g-dev libjansson-dev"
tools="git age minisign sqlite3 jq"
case "${1:-build}" in
build) want="$build" ;;
check) want="$build libcmocka-dev $tools" ;;
demo)  want="$build $tools" ;;
bench) want="$build $tools" ;;
fuzz)  want="$build clang libclang-rt-14-dev" ;;
*) echo "usage: tools/deps.sh build|check|demo|bench|fuzz" >&2; exit 2 ;;
esac

command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian: trust the user
missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

echo "vios: missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	echo "vios: installing them with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
else
	echo "vios: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
