#!/bin/sh
# deps.sh - make sure the Debian packages a make target needs are installed.
#
#   tools/deps.sh [--no-install] build|check|demo|bench|fuzz
#
# Quiet when everything is there. When something is missing it says what;
# as root it installs it with apt-get, otherwise it prints the one apt-get
# line to run and exits 1. With --no-install it never installs: one line
# naming what is missing and the make target that installs it, exit 1.
# Used by `make deps`, `make check`, `make demo` (which install) and by
# `make bench` and `make fuzz` (which only check); safe to run by hand.
set -eu

install=1
if [ "${1:-}" = "--no-install" ]; then
	install=0
	shift
fi

build="gcc make pkg-config libsqlite3-dev libgit2-dev libsodium-dev zlib1g-dev libjansson-dev"
tools="git age minisign sqlite3 jq"
case "${1:-build}" in
build) want="$build" ;;
check) want="$build libcmocka-dev $tools" ;;
demo)  want="$build $tools" ;;
bench) want="$build $tools" ;;
fuzz)  want="$build clang libclang-rt-14-dev" ;;
*) echo "usage: tools/deps.sh [--no-install] build|check|demo|bench|fuzz" >&2; exit 2 ;;
esac

command -v dpkg-query >/dev/null 2>&1 || exit 0   # not Debian: trust the user
missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$install" -eq 0 ]; then
	target="make deps"
	[ "${1:-build}" = fuzz ] && target="make deps-fuzz"
	echo "vios: missing Debian packages:$missing; run '$target' (as root) to install them" >&2
	exit 1
fi
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
