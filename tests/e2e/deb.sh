#!/usr/bin/env bash
# The Debian package (packaging/, make deb, make install): what a machine that
# installs it gets.
#
# make deb builds the package into the sandbox (DEB_BUILD=$T/deb); its
# contents are checked with dpkg-deb -c; the units are checked by
# systemd-analyze verify on a dpkg-deb -x extraction, with the host's targets
# copied beside them, so ExecStart's /usr/bin/vios resolves (a copy without the
# binary must fail the same check); the bash completion is sourced and asked
# what 'vios <TAB>' completes. Install and removal go into a throwaway root
# ($T/root: dpkg --root with an empty admindir, --force-depends since the
# root holds no libraries, --force-script-chrootless so the maintainer
# scripts run here with DPKG_ROOT set), not into this machine: that needs
# root (the tmpfiles entries chown to the new vios user) and is skipped,
# saying so, without it. The node home the package made is then taken by
# 'vios init' run as that user's uid (setpriv).
. "$(dirname "$0")/lib.sh"
SANV=${SAN:-0}
# make with its own defaults: make check exports BUILD (the test binaries' tree)
mk_() { env -u BUILD make -s --no-print-directory SAN="$SANV" "$@"; }

if ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "e2e deb: skipped (no dpkg-deb: not a Debian system)"
	exit 0
fi

# ---- make deb -------------------------------------------------------------
t "make deb builds the package" mk_ deb DEB_BUILD="$T/deb"
VER=$("$VIOS" --version | sed -n 's/^vios //p')
ARCH=$(dpkg --print-architecture)
DEB="$T/vios_${VER}_${ARCH}.deb"
t "  named vios_VERSION_ARCH.deb with the binary's version ($VER)" test -s "$DEB"
dpkg-deb -c "$DEB" >"$T/contents" 2>&1
has() { grep -qE " \./$1\$" "$T/contents"; }
for f in usr/bin/vios usr/share/man/man1/vios.1.gz usr/share/bash-completion/completions/vios \
	usr/lib/systemd/system/vios-sync.service usr/lib/systemd/system/vios-sync.timer \
	usr/lib/systemd/system/vios-hub-merge.service usr/lib/systemd/system/vios-hub-merge.timer \
	usr/lib/systemd/system/vios-registry-refresh.service usr/lib/systemd/system/vios-registry-refresh.timer \
	usr/lib/sysusers.d/vios.conf usr/lib/tmpfiles.d/vios.conf etc/sudoers.d/vios usr/share/doc/vios/copyright \
	usr/share/vios/pre-receive; do
	t "  holds /$f" has "$f"
done
t "  the sudoers snippet is 0440 root:root" grep -qE '^-r--r----- root/root .* \./etc/sudoers\.d/vios$' "$T/contents"
t "  Depends names the shared libraries it links" bash -c "dpkg-deb -f '$DEB' Depends | grep -q libgit2 && dpkg-deb -f '$DEB' Depends | grep -q libsodium && dpkg-deb -f '$DEB' Depends | grep -q libsqlite3"
t "  the sudoers snippet is a conffile" bash -c "dpkg-deb --ctrl-tarfile '$DEB' | tar -xOf - ./conffiles | grep -qx /etc/sudoers.d/vios"
t "  the man page is vios(1)" bash -c "dpkg-deb --fsys-tarfile '$DEB' | tar -xOf - ./usr/share/man/man1/vios.1.gz | zcat | grep -q '^\.TH VIOS 1'"

X="$T/x"
dpkg-deb -x "$DEB" "$X"
U="$X/usr/lib/systemd/system"
t "  the packaged vios runs and says its version" bash -c "[ \"\$('$X/usr/bin/vios' --version)\" = 'vios $VER' ]"

# ---- the units --------------------------------------------------------------
for s in vios-sync vios-hub-merge vios-registry-refresh; do
	f="$U/$s.service"
	t "$s.service: the passphrase is a credential, never in the unit" bash -c \
		"grep -qx 'LoadCredential=passphrase:/etc/vios/passphrase' '$f' &&
		 grep -q '^ExecStart=/usr/bin/vios --home /var/lib/vios/home --passphrase-file \${CREDENTIALS_DIRECTORY}/passphrase ' '$f' &&
		 ! grep -qi '^Environment=.*PASSPHRASE' '$f'"
	t "$s.service: runs as vios, bounded, hardened" bash -c \
		"for k in User=vios Group=vios UMask=0077 ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
		          PrivateDevices=yes MemoryDenyWriteExecute=yes 'SystemCallFilter=@system-service' 'CapabilityBoundingSet='; do
		     grep -qx \"\$k\" '$f' || { echo \"$s: no \$k\"; exit 1; }; done &&
		 grep -qE '^TimeoutStartSec=[0-9]+min$' '$f' && grep -qE '^ReadWritePaths=/var/lib/vios(/home)?$' '$f'"
	t "$s.timer: OnCalendar with Persistent, wanted by timers.target" bash -c \
		"grep -q '^OnCalendar=.' '$U/$s.timer' && grep -qx 'Persistent=true' '$U/$s.timer' && grep -qx 'WantedBy=timers.target' '$U/$s.timer'"
done
t "vios-sync.service wants the network it waits for" bash -c \
	"grep -qx 'Wants=network-online.target' '$U/vios-sync.service' && grep -qx 'After=network-online.target' '$U/vios-sync.service'"
t "the hub units run hub merge and hub registry refresh" bash -c \
	"grep -q '^ExecStart=.* hub merge\$' '$U/vios-hub-merge.service' && grep -q '^ExecStart=.* hub registry refresh\$' '$U/vios-registry-refresh.service'"

UNITS=(vios-sync.service vios-sync.timer vios-hub-merge.service vios-hub-merge.timer
	vios-registry-refresh.service vios-registry-refresh.timer)
# verify ROOT: systemd-analyze verify on every unit under ROOT, silent and 0
verify() {
	(cd "$1/usr/lib/systemd/system" && systemd-analyze verify --man=no --root="$1" "${UNITS[@]}") >"$T/verify.out" 2>&1 &&
		[ ! -s "$T/verify.out" ] || { cat "$T/verify.out"; return 1; }
}
SYSD=""
for d in /usr/lib/systemd/system /lib/systemd/system; do [ -f "$d/sysinit.target" ] && SYSD=$d && break; done
if ! command -v systemd-analyze >/dev/null 2>&1 || [ -z "$SYSD" ]; then
	echo "skip systemd-analyze verify: no systemd on this machine (apt-get install systemd)"
else
	mkdir -p "$X/lib/systemd/system"
	cp "$SYSD"/*.target "$X/lib/systemd/system/"
	t "systemd-analyze verify: every unit, not a word" verify "$X"
	cp -a "$X" "$T/nobin" && rm "$T/nobin/usr/bin/vios"
	tf "  and the same check fails without /usr/bin/vios" verify "$T/nobin"
fi

# ---- the bash completion ---------------------------------------------------
# comp WORD...: what completing the last WORD offers, one a line
comp() {
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vios; printf "%s\n" "${COMPREPLY[@]}"' \
		"$X/usr/share/bash-completion/completions/vios" "$X/usr/bin/vios" "$@" 2>&1
}
"$X/usr/bin/vios" help | sed -n '/^Commands:/,/^$/p' | awk 'NF {print $1}' | sed 1d | sort >"$T/cmds"
comp "" | sort >"$T/comp"
t "completion: 'vios <TAB>' offers every command 'vios help' lists" bash -c "[ \$(wc -l <'$T/cmds') -ge 20 ] && cmp '$T/cmds' '$T/comp'"
t "completion: 'vios sy<TAB>' completes sync" test "$(comp sy)" = sync
t "completion: 'vios hub <TAB>' offers the hub's subcommands" bash -c "grep -qx merge <<<'$(comp hub '')' && grep -qx registry <<<'$(comp hub '')'"
t "completion: 'vios --home DIR sync --<TAB>' offers --via" test "$(comp --home /tmp sync -- | tr '\n' ' ')" = "--via --help "

# ---- the sudoers snippet and sysusers/tmpfiles entries ---------------------
if command -v visudo >/dev/null 2>&1; then
	t "sudoers snippet: visudo accepts it" visudo -cqf "$X/etc/sudoers.d/vios"
else
	echo "skip visudo -c: no sudo on this machine (apt-get install sudo)"
fi
t "sudoers snippet: %vios runs /usr/bin/vios as vios, on the timers' home" bash -c \
	"grep -qx '%vios ALL=(vios) /usr/bin/vios' '$X/etc/sudoers.d/vios' &&
	 grep -qx 'Defaults>vios env_file=/usr/share/vios/sudo.env' '$X/etc/sudoers.d/vios' &&
	 grep -qx 'VIOS_HOME=/var/lib/vios/home' '$X/usr/share/vios/sudo.env'"

# ---- make install: PREFIX and DESTDIR --------------------------------------
t "make install PREFIX=/opt/v DESTDIR=...: all of it under DESTDIR" \
	mk_ install PREFIX=/opt/v DESTDIR="$T/inst"
t "  the units and sudoers name PREFIX/bin/vios" bash -c \
	"grep -q '^ExecStart=/opt/v/bin/vios ' '$T/inst/opt/v/lib/systemd/system/vios-sync.service' &&
	 grep -qx '%vios ALL=(vios) /opt/v/bin/vios' '$T/inst/etc/sudoers.d/vios' && [ -x '$T/inst/opt/v/bin/vios' ]"
t "  nothing outside PREFIX but /etc/sudoers.d" bash -c "[ \"\$(cd '$T/inst' && ls -A)\" = \"\$(printf 'etc\nopt')\" ] && [ \"\$(ls -A '$T/inst/etc')\" = sudoers.d ]"

# ---- install and remove, in a throwaway root --------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "skip dpkg -i/-r/-P into a throwaway root: needs root (the package's tmpfiles entries chown to the user vios)"
	finish
	exit $?
fi
R="$T/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
D=(dpkg --root="$R" --force-script-chrootless --force-depends)
"${D[@]}" -i "$DEB" >"$T/install.out" 2>&1
t "dpkg -i into a throwaway root" bash -c "dpkg-query --root='$R' -W -f='\${Status}' vios | grep -qx 'install ok installed'"
t "  the installed vios runs" "$R/usr/bin/vios" --version
t "  made the system user vios (home /var/lib/vios, no login) and its group" bash -c \
	"grep -qE '^vios:x:[0-9]+:[0-9]+:[^:]*:/var/lib/vios:/usr/sbin/nologin\$' '$R/etc/passwd' && grep -qE '^vios:x:[0-9]+:' '$R/etc/group'"
VU=$(awk -F: '$1 == "vios" {print $3}' "$R/etc/passwd")
VG=$(awk -F: '$1 == "vios" {print $3}' "$R/etc/group")
t "  /var/lib/vios and the node home are 0700 vios:vios, /etc/vios 0750 root:vios" bash -c \
	"[ \"\$(stat -c '%a %u %g' '$R/var/lib/vios' '$R/var/lib/vios/home' '$R/etc/vios')\" = \"\$(printf '700 $VU $VG\n700 $VU $VG\n750 0 $VG')\" ]"
t "  and enabled no timer" test ! -e "$R/etc/systemd/system/timers.target.wants"
t "  said where to go next" grep -q "INSTALL.md" "$T/install.out"
# the home as the package left it is one 'vios init' takes, run as vios
chmod 0755 "$T" "$R" "$R/var" "$R/var/lib"
# (with VIOS_HOME and no --home, as sudo -u vios runs it: sudo.env)
AS_VIOS=(env VIOS_HOME="$R$(sed -n 's/^VIOS_HOME=//p' "$R/usr/share/vios/sudo.env")" setpriv --reuid="$VU" --regid="$VG" --clear-groups)
t "vios init, as the user vios, takes the empty node home the package made" \
	"${AS_VIOS[@]}" "$R/usr/bin/vios" init --kind school --name deb --kdf interactive
t "  and the node is there" test "$("${AS_VIOS[@]}" "$R/usr/bin/vios" --json whoami | jq -r .name)" = deb

dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print substr($NF, 2)}' >"$T/files"
"${D[@]}" -r vios >"$T/remove.out" 2>&1
t "dpkg -r removes it" bash -c "dpkg-query --root='$R' -W -f='\${Status}' vios | grep -qx 'deinstall ok config-files'"
left=$(while read -r f; do [ -e "$R$f" ] && echo "$f"; done <"$T/files")
t "  every file of the package is gone but the conffile" test "$left" = /etc/sudoers.d/vios
t "  the node's home and records stay" test -s "$R/var/lib/vios/home/store.db"
"${D[@]}" -P vios >"$T/purge.out" 2>&1
t "dpkg -P purges it" bash -c "! dpkg-query --root='$R' -W vios >/dev/null 2>&1 && [ ! -e '$R/etc/sudoers.d/vios' ]"
t "  keeps the records and says so" bash -c "[ -s '$R/var/lib/vios/home/store.db' ] && grep -q 'kept .*/var/lib/vios' '$T/purge.out'"
finish
