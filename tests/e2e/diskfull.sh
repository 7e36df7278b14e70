#!/usr/bin/env bash
# A full disk (an RLIMIT_FSIZE limit, `ulimit -f`) during a write loop and
# during export: one clear line, exit 1, nothing lost or half written, and
# the next run after space is freed succeeds.
. "$(dirname "$0")/lib.sh"

mk hub hub; mk s1 school
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
V "$T/s1" identity export -o "$T/s1.req" 2>/dev/null; V "$T/hub" hub enroll "$T/s1.req" >/dev/null
V "$T/s1" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null
V "$T/s1" pupil add --name "first pupil" >/dev/null
PAD=$(printf '%0300d' 0)

# 1. a write loop until the limit bites
SIZE=$(($(stat -c %s "$T/s1/store.db") / 1024 + 200))
ok_writes=0
(
	ulimit -f "$SIZE"
	for i in $(seq 3000); do
		"$VIOS" --home "$T/s1" signal add --theme weapons --note "note $i $PAD" >/dev/null 2>"$T/err" || { echo "$i" >"$T/failed_at"; exit 0; }
	done
)
t "the write loop hit the limit" test -s "$T/failed_at"
N=$(($(cat "$T/failed_at") - 1))
t "disk full: one line that says so" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'disk full' '$T/err'"
t "after the full disk the store is consistent" bash -c "'$VIOS' --home '$T/s1' store check | grep -q 'integrity ok'"
t "every committed signal is there ($N), no half record" test "$(V "$T/s1" --json signal list | jq length)" -eq "$N"
t "with space again the next write succeeds" V "$T/s1" signal add --theme weapons --note "after the full disk"
D1=$(V "$T/s1" digest)

# 2. export with too little room for the bundle
( ulimit -f 16; "$VIOS" --home "$T/s1" export >/dev/null 2>"$T/err" ); rc=$?
t "export on a full disk: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
t "export on a full disk: names it" grep -qiE 'disk full|too large' "$T/err"
t "the failed export changed no record" test "$(V "$T/s1" digest)" = "$D1"
t "the failed export left the store consistent" bash -c "'$VIOS' --home '$T/s1' store check | grep -q 'integrity ok'"
t "with space again the export succeeds" bash -c "'$VIOS' --home '$T/s1' --json export | jq -e '.bundles >= 1'"
t "and the sync sends it, chain intact" V "$T/s1" sync
t "the hub verifies every bundle" V "$T/hub" hub merge
t "no change was lost: the hub has every theme signal" bash -c "[ \$('$VIOS' --home '$T/hub' --json signal list | jq length) -eq $((N + 1)) ]"
finish
