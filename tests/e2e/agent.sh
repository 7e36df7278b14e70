#!/usr/bin/env bash
# The unlock agent (vios unlock / vios lock, src/node/agent.c) and parsing
# before unlocking: a typo costs no passphrase prompt; after one unlock, 20
# record commands run with no passphrase source at all; the socket is 0600
# and refuses another uid (a home of user nobody, its agent asked by root,
# who passes the file permissions, so only SO_PEERCRED refuses); the key is
# gone after vios lock, after --for, after SIGTERM; a killed -9 or stopped
# agent never hangs a command; a wrong passphrase starts nothing; another
# home's agent is refused; the auditor's replay uses its agent too.
. "$(dirname "$0")/lib.sh"

AGENTS=""   # every agent pid seen, stopped at exit whatever happened
NB=""
CLEANUP='for p in $AGENTS; do kill -TERM "$p" 2>/dev/null; done; [ -n "$NB" ] && rm -rf "$NB"'
PASS=$VIOS_PASSPHRASE
# N: vios on s1 with no passphrase source at all (no VIOS_PASSPHRASE, stdin not a terminal)
N() { env -u VIOS_PASSPHRASE "$VIOS" --home "$T/s1" "$@" </dev/null; }
# gone PID: the process has exited (or is a zombie nobody reaped yet)
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
wait_gone() { local i; for i in $(seq 50); do gone "$1" && return 0; sleep 0.1; done; return 1; }
# unlock [ARGS]: unlocks s1, sets PID to the agent's pid
unlock() { PID=$(V "$T/s1" --json unlock "$@" | jq -r .pid) && AGENTS="$AGENTS $PID" && [ "$PID" -gt 0 ]; }
SOCK="$T/s1/agent.sock"

mk s1 school

# 1. parse before unlocking: a usage error is a usage error, with no passphrase to be had
N signal add --bogus >/dev/null 2>"$T/err"; rc=$?
t "a bad option without any passphrase source exits 2" test "$rc" -eq 2
t "  with the usage line, not a passphrase error" bash -c "grep -q 'unknown option' '$T/err' && ! grep -qi passphrase '$T/err'"
N signal list --theme 'Not a theme!' >/dev/null 2>"$T/err"; rc=$?
t "a bad value checked after getopt exits 2 too, no passphrase asked" bash -c "[ $rc -eq 2 ] && ! grep -qi passphrase '$T/err'"
N case status >/dev/null 2>"$T/err"; rc=$?
t "a missing argument exits 2, no passphrase asked" bash -c "[ $rc -eq 2 ] && ! grep -qi passphrase '$T/err'"
N signal list >/dev/null 2>"$T/err"; rc=$?
t "locked, a good command needs the passphrase (exit 1, says so)" bash -c "[ $rc -eq 1 ] && grep -q 'no passphrase' '$T/err'"

# 2. what unlock refuses starts nothing
VIOS_PASSPHRASE="wrong passphrase" V "$T/s1" unlock >/dev/null 2>"$T/err"; rc=$?
t "a wrong passphrase: unlock fails" bash -c "[ $rc -eq 1 ] && grep -q 'wrong passphrase' '$T/err'"
t "  and starts no agent" test ! -e "$SOCK"
for d in 0 25h 5x -1 1w; do
	V "$T/s1" unlock --for "$d" >/dev/null 2>&1; rc=$?
	t "unlock --for $d is a usage error, nothing started" bash -c "[ $rc -eq 2 ] && [ ! -e '$SOCK' ]"
done

# 3. unlocked: 20 record commands with no passphrase source, each fast
# The control first, while locked: a command with the passphrase runs
# Argon2id (64 MiB at the cheapest preset) and peaks that much higher.
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "skip the memory check: no $TIME (Debian package time)"; TIME=""; }
CONTROL=0
if [ -n "$TIME" ]; then
	"$TIME" -f %M -o "$T/rss" "$VIOS" --home "$T/s1" signal list >/dev/null 2>&1
	CONTROL=$(tail -n1 "$T/rss")
	echo "     control: vios signal list with the passphrase, ${CONTROL} KiB peak"
fi
t "unlock --for 5m" unlock --for 5m
t "  the socket is mode 0600" test "$(stat -c %a "$SOCK")" = 600
t "  and a socket inside the home" test -S "$SOCK"
t "  the agent cannot dump core" grep -Eq '^Max core file size +0 ' "/proc/$PID/limits"
t "  and holds no passphrase in its environment" bash -c "! grep -qaF '$PASS' /proc/$PID/environ"
t "  whoami shows until when" bash -c "env -u VIOS_PASSPHRASE '$VIOS' --home '$T/s1' whoami </dev/null | grep -Eq '^unlocked +until .*\\(agent pid $PID\\)'"
P=$(N pupil add --name "Agent Pupil" --birth 2011-05-14 --class 3B)
t "pupil add without a passphrase" test -n "$P"
S=$(N signal add --theme drugs-trade --pupil "$P" --note "n" --basis public-task --parents-informed yes)
C=$(N case open --pupil "$P" --signals "$S" --roles police --basis public-task)
t "signal add and case open without a passphrase" test -n "$S" -a -n "$C"
cmds=(
	"signal add --theme weapons --note one"
	"signal add --theme alcohol --note two"
	"signal add --theme nuisance --note three --where around"
	"signal list"
	"signal list --theme weapons"
	"signal show $S"
	"trend add --theme weapons --period 2026-11 --level rising"
	"trend list"
	"meeting add --kind thematic --date 2026-11-02"
	"meeting list"
	"pupil list"
	"pupil show $P"
	"pupil edit $P --class 4B"
	"case show $C"
	"case list"
	"agreement add --case $C --owner school --action call --due 2026-12-20"
	"agreement list"
	"log --limit 5"
	"digest"
	"status"
)
# Each: exit 0; under 1.5 s (5 s under SAN=1; less than a mute agent's 2 s
# timeout; the 0.05 s target is measured by 'make bench', not on a shared
# test machine); and a peak memory at least 32 MiB under the control's: no
# key derivation ran.
BOUND=1500
[ "${SAN:-0}" = 1 ] && BOUND=5000
i=0
failed=0
slow=0
big=0
for c in "${cmds[@]}"; do
	i=$((i + 1))
	s=$(date +%s%N)
	if [ -n "$TIME" ]; then
		env -u VIOS_PASSPHRASE "$TIME" -f %M -o "$T/rss" "$VIOS" --home "$T/s1" $c </dev/null >/dev/null 2>>"$T/cmd.err"; rc=$?
		kb=$(tail -n1 "$T/rss")
	else
		N $c >/dev/null 2>>"$T/cmd.err"; rc=$?
		kb=0
	fi
	e=$(date +%s%N)
	ms=$(( (e - s) / 1000000 ))
	echo "     $i. vios $c: ${ms} ms, ${kb} KiB peak" | cut -c1-110
	[ "$rc" -eq 0 ] || { echo "     ^ failed: exit $rc"; failed=$((failed + 1)); }
	[ "$ms" -le "$BOUND" ] || slow=$((slow + 1))
	[ -z "$TIME" ] || [ "$kb" -le $((CONTROL - 32768)) ] || big=$((big + 1))
done
t "20 record commands ran unlocked with no passphrase source" test "$failed" -eq 0
t "  each under $BOUND ms" test "$slow" -eq 0
t "  none ran Argon2id (each peaks 32 MiB under the passphrase control)" test "$big" -eq 0
t "  and none of them asked or warned" test ! -s "$T/cmd.err"

# 4. another uid is refused: nobody's agent, asked by root
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! getent passwd nobody >/dev/null || ! command -v python3 >/dev/null; then
	echo "skip another uid: needs root, setpriv, a user nobody and python3"
else
	NB=$(mktemp -d /tmp/vios-agent-nobody.XXXXXX)
	chmod 755 "$NB"
	cp "$VIOS" "$NB/vios" && chmod 755 "$NB/vios"
	chown nobody "$NB"
	AS_NOBODY() { setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups env HOME="$NB" "$@"; }
	AS_NOBODY "$NB/vios" --home "$NB/h" init --kind school --name nb --kdf interactive >/dev/null 2>&1
	NPID=$(AS_NOBODY "$NB/vios" --home "$NB/h" --json unlock --for 5m 2>/dev/null | jq -r .pid)
	AGENTS="$AGENTS $NPID"
	t "nobody unlocks its own home" test -S "$NB/h/agent.sock"
	t "  nobody's commands take the key from its agent" bash -c "setpriv --reuid=nobody --regid='$(id -gn nobody)' --clear-groups env -u VIOS_PASSPHRASE HOME='$NB' '$NB/vios' --home '$NB/h' signal list </dev/null"
	# root passes the socket's file permissions; the agent closes on it without a byte
	ask() {
		python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
got = b""
try:
    # the agent may have closed on us already: a broken pipe is a refusal too
    s.sendall(b"VIOSAGT1\x01\x00\x01\x00")
    while True:
        c = s.recv(256)
        if not c:
            break
        got += c
except (BrokenPipeError, ConnectionResetError):
    pass
except socket.timeout:
    print("timeout")
    sys.exit(0)
print(len(got))
EOF
	}
	t "root connects to nobody's agent and gets 0 bytes" test "$(ask "$NB/h/agent.sock")" = 0
	t "  the agent still serves nobody afterwards" bash -c "setpriv --reuid=nobody --regid='$(id -gn nobody)' --clear-groups env -u VIOS_PASSPHRASE HOME='$NB' '$NB/vios' --home '$NB/h' signal list </dev/null"
	t "  while our own uid gets the 100-byte answer from our agent" test "$(ask "$SOCK")" = 100
	AS_NOBODY "$NB/vios" --home "$NB/h" lock >/dev/null 2>&1
	t "nobody locks its own agent" wait_gone "$NPID"
fi

# 5. vios lock: the key is gone
V "$T/s1" lock >"$T/lock.out"; rc=$?
t "lock" bash -c "[ $rc -eq 0 ] && grep -q 'forgot the key' '$T/lock.out'"
t "  the agent has exited" gone "$PID"
t "  the socket is gone" test ! -e "$SOCK"
t "  a command needs the passphrase again" bash -c "! env -u VIOS_PASSPHRASE '$VIOS' --home '$T/s1' signal list </dev/null"
t "  and runs with it" V "$T/s1" signal list
V "$T/s1" lock >"$T/lock.out"; rc=$?
t "lock with no agent says so, exit 0" bash -c "[ $rc -eq 0 ] && grep -q 'no unlock agent' '$T/lock.out'"

# 6. --for expires
t "unlock --for 2s" unlock --for 2s
t "  works at once" N signal list
sleep 3
t "  after 3 s the agent has exited" wait_gone "$PID"
t "  its socket is gone" test ! -e "$SOCK"
tf "  and a command needs the passphrase again" N signal list

# 7. SIGTERM, SIGINT, SIGHUP
for sig in TERM INT HUP; do
	unlock --for 5m
	kill -"$sig" "$PID"
	t "SIG$sig: the agent exits" wait_gone "$PID"
	t "  its socket is gone" test ! -e "$SOCK"
	tf "  and a command needs the passphrase again" N signal list
done

# 8. a second unlock replaces the first
unlock --for 5m; A=$PID
unlock --for 1m; B=$PID
t "a second unlock replaces the agent: the first has exited" wait_gone "$A"
t "  the second serves" bash -c "kill -0 $B && env -u VIOS_PASSPHRASE '$VIOS' --home '$T/s1' signal list </dev/null >/dev/null"
t "  with its own deadline" bash -c "'$VIOS' --home '$T/s1' --json whoami </dev/null | jq -e '.unlocked_until != null'"

# the agent of another home (its socket linked in): its key is refused, not used
mk s2 school
ln "$SOCK" "$T/s2/agent.sock"
"$VIOS" --home "$T/s2" signal list >/dev/null 2>"$T/err"; rc=$?
t "another node's agent: refused (exit 1), even with the passphrase at hand" bash -c "[ $rc -eq 1 ] && grep -q 'holds the key of another node' '$T/err'"
rm -f "$T/s2/agent.sock"
t "  s2 itself runs with its passphrase" V "$T/s2" signal list

# 9. kill -9: a stale socket, never a hang
kill -9 "$B"
wait_gone "$B"
t "kill -9 leaves the socket behind" test -S "$SOCK"
s=$(date +%s)
timeout 10 env -u VIOS_PASSPHRASE "$VIOS" --home "$T/s1" signal list </dev/null >/dev/null 2>"$T/err"; rc=$?
t "  a command does not hang: it needs the passphrase (exit 1 within 5 s)" bash -c "[ $rc -eq 1 ] && [ $(( $(date +%s) - s )) -le 5 ] && grep -q 'no passphrase' '$T/err'"
t "  and removed the stale socket" test ! -e "$SOCK"
t "  with the passphrase it runs" V "$T/s1" signal list

# 10. a stopped agent: a command waits 2 s at most, warns once, and takes the passphrase
unlock --for 5m
kill -STOP "$PID"
s=$(date +%s)
timeout 20 "$VIOS" --home "$T/s1" signal list >/dev/null 2>"$T/err"; rc=$?
el=$(( $(date +%s) - s ))
t "a stopped agent: the command still runs with the passphrase (exit 0)" test "$rc" -eq 0
t "  within 10 s (the 2 s timeout, then Argon2id)" test "$el" -le 10
t "  with one warning line" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'warning: the unlock agent' '$T/err'"
kill -CONT "$PID"
t "  once it runs again, lock" V "$T/s1" lock
t "  and it has exited" wait_gone "$PID"

# 11. the auditor's replay takes the key from its agent too
nodes "hub hub" "aud auditor"
hub_world aud
tf "locked, audit replay without a passphrase fails" env -u VIOS_PASSPHRASE "$VIOS" --home "$T/aud" audit replay "$T/hub.git" </dev/null
APID=$(V "$T/aud" --json unlock --for 1m | jq -r .pid); AGENTS="$AGENTS $APID"
t "unlocked, audit replay runs with no passphrase source" env -u VIOS_PASSPHRASE "$VIOS" --home "$T/aud" audit replay "$T/hub.git" </dev/null
V "$T/aud" lock >/dev/null
finish
