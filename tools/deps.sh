#!/bin/sh
# deps.sh - make sure the Debian packages a make target needs are installed.
#
#   tools/deps.sh [--no-install] build|check|demo|bench|fuzz|sqlite-tests
#
# Quiet when everything is there. When something is missing it says what;
# as root it installs it with apt-get, otherwise it prints the one apt-get
# line to run and exits 1. With --no-install it never installs: one line
# naming what is missing and the make target that installs it, exit 1.
# Used by `make deps`, `make check`, `make check-all`, `make demo` (which install) and by
# `make bench` and `make fuzz` (which only check); safe to run by hand.
# sqlite-tests (used by `make sqlite-tests` and the quick subset in `make
# check`) also needs `apt-get source` to work: as root it adds deb-src
# entries for the mirrors the machine already uses (vios-deb-src.sources,
# copied from the deb822 *.sources files with Types: deb-src) and runs
# apt-get update once.
set -eu

install=1
if [ "${1:-}" = "--no-install" ]; then
	install=0
	shift
fi

build="gcc make pkg-config libsqlite3-dev libgit2-dev libsodium-dev zlib1g-dev libjansson-dev libcairo2-dev libmicrohttpd-dev gettext"
tools="git age minisign sqlite3 jq poppler-utils python3"
# tests/e2e/rhythm.sh renders the meeting agenda's HTML page to text with w3m
rendering="w3m"
# tests/e2e/deb.sh: dpkg-shlibdeps (the package's Depends), systemd-analyze
# verify on the units, visudo -c on the sudoers snippet
packaging="dpkg-dev systemd sudo"
# the servers the login tests start on loopback (tests/e2e/ssh.sh, https.sh)
servers="openssh-server openssh-client lighttpd lighttpd-mod-openssl openssl"
# the web interface's tests (tests/e2e/web*.sh): curl and ss against vios serve, a real
# browser (Debian's chromium, driven headless by chromedriver through python3-selenium),
# the time zone the pages show (tzdata: Europe/Amsterdam)
web="curl iproute2 chromium chromium-driver python3-selenium tzdata fonts-dejavu-core"
# tests/e2e/flush_sync.sh watches the order of the export's writes and syncs
tracing="strace"
case "${1:-build}" in
build) want="$build" ;;
check) want="$build libcmocka-dev $tools $rendering $packaging $servers $web $tracing time" ;;
demo)  want="$build $tools" ;;
bench) want="$build $tools" ;;
fuzz)  want="$build clang libclang-rt-14-dev" ;;
sqlite-tests) want="$build tcl8.6-dev dpkg-dev" ;;
*) echo "usage: tools/deps.sh [--no-install] build|check|demo|bench|fuzz|sqlite-tests" >&2; exit 2 ;;
esac

# deb-src entries for the mirrors already configured (apt-get source).
SRC_LIST=/etc/apt/sources.list.d/vios-deb-src.sources
has_deb_src() {
	grep -qsE '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
		grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}
if [ "${1:-}" = sqlite-tests ] && command -v apt-get >/dev/null 2>&1 && ! has_deb_src; then
	if [ "$install" -eq 0 ] || [ "$(id -u)" -ne 0 ]; then
		echo "vios: apt has no deb-src entries (apt-get source needs them); run 'tools/deps.sh sqlite-tests' as root to add them" >&2
		exit 1
	fi
	echo "vios: adding deb-src entries for the configured mirrors ($SRC_LIST)" >&2
	tmp=$(mktemp)
	# each deb822 stanza that has Types: deb, with Types: deb-src
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /(^|\n)[ \t]*Types:[^\n]*(^|[ \t])deb([ \t]|$|\n)/ {
			sub(/(^|\n)[ \t]*Enabled:[^\n]*/, "")
			n = split($0, line, "\n"); out = ""
			for (i = 1; i <= n; i++) {
				if (line[i] ~ /^[ \t]*Types:/) line[i] = "Types: deb-src"
				if (line[i] ~ /^#/) continue
				out = out line[i] "\n"
			}
			printf "%s\n", out
		     }' "$f" >>"$tmp"
	done
	# one-line sources.list entries
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null >"$tmp.list" || true
	if [ -s "$tmp" ]; then
		install -m 0644 "$tmp" "$SRC_LIST"
	fi
	if [ -s "$tmp.list" ]; then
		install -m 0644 "$tmp.list" /etc/apt/sources.list.d/vios-deb-src.list
	fi
	rm -f "$tmp" "$tmp.list"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
fi

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
	[ "${1:-build}" = sqlite-tests ] && target="make deps-sqlite-tests"
	echo "vios: missing Debian packages:$missing; run '$target' (as root) to install them" >&2
	exit 1
fi
echo "vios: missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	echo "vios: installing them with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# The servers among them (sshd, lighttpd) are for the tests, which start
	# their own on loopback: their packages must not start system services on
	# ports 22 and 80. A policy-rc.d that says "no" (exit 101) while apt runs,
	# unless the machine has its own.
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && policy=1
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 || { [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d; exit 1; }
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
else
	echo "vios: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
