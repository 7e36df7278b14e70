#!/usr/bin/env bash
# Erasure and retention (issue 16, docs/lifecycle.md): a school erases a
# pupil it shared with the police; after everyone syncs, no listing on any
# node holds the pupil's name, the guardian's contact or the signal's note,
# and the police's own agreement in the erased case is gone there too. The
# police may not erase the school's pupil. The school's access log has the
# erasure with its reason. With the clock 800 days ahead, retention erases a
# closed case on every node. A control world without the erasure still shows
# the canaries (so the checks can fail).
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police" "aud auditor"
hub_world s1 pol aud
C="canary$RANDOM$RANDOM"
DUE=$(date -d '+20 days' +%F)

# every --json listing a person sees, on node $1
listings() {
	local h="$T/$1"
	V "$h" --json pupil list; V "$h" --json signal list; V "$h" --json case list
	V "$h" --json agreement list; V "$h" --json meeting list; V "$h" --json conflicts
}
has_canary() { listings "$1" 2>/dev/null | grep -q "$C"; }
syncall() { local n; for n in s1 pol aud s1 pol; do V "$T/$n" sync >/dev/null 2>&1; done; return 0; }

P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2012-03-04 --guardian "guardian-$C@example.org")
O=$(V "$T/s1" pupil add --name "Other pupil" --birth 2011-01-02)
S=$(V "$T/s1" signal add --theme weapons --pupil "$P" --note "note $C" --basis public-task --parents-informed yes)
SO=$(V "$T/s1" signal add --theme alcohol --pupil "$O" --note "other note" --basis public-task --parents-informed yes)
CASE=$(V "$T/s1" case open --pupil "$P" --signals "$S" --roles police --lead police --basis public-task)
CO=$(V "$T/s1" case open --pupil "$O" --signals "$SO" --roles police --lead police --basis public-task)
AG=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "visit $C" --due "$DUE")
AG2=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "call the mentor" --due "$DUE")
t "the school recorded a pupil, a signal, two cases and agreements" test -n "$P" -a -n "$S" -a -n "$CASE" -a -n "$CO" -a -n "$AG2"
syncall
t "the police received the pupil" has_canary pol
t "the auditor received the pupil" has_canary aud
V "$T/pol" agreement done "$AG" --feedback "police feedback $C" >/dev/null
V "$T/pol" sync >/dev/null 2>&1; V "$T/s1" sync >/dev/null 2>&1
t "the school received the police's feedback" bash -c "'$VIOS' --home '$T/s1' --json agreement list | grep -q 'police feedback $C'"

# a partner may not erase the school's pupil
D0=$(V "$T/pol" digest)
V "$T/pol" pupil erase "$P" --reason "not mine" >"$T/out" 2>"$T/err"; rc=$?
t "the police may not erase the school's pupil: exit 1" test "$rc" -eq 1
t "  one line saying only the owning school may erase" bash -c "one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q '^vios: error: mandate: only the owning school may erase' '$T/err'"
t "  and the police's store is unchanged" test "$(V "$T/pol" digest)" = "$D0"
V "$T/s1" pupil erase "$P" >/dev/null 2>"$T/err"; rc=$?
t "an erasure without --reason is a usage error (exit 2)" test "$rc" -eq 2
V "$T/s1" pupil erase 0190d1c4-0000-7000-8000-000000000000 --reason x >/dev/null 2>&1; rc=$?
t "erasing a pupil that is not held: exit 1" test "$rc" -eq 1

# the police writes in the case before it hears of the erasure: gone at its next sync
V "$T/pol" agreement done "$AG2" --feedback "late feedback $C" >/dev/null
V "$T/s1" pupil erase "$P" --reason "request of the parents $C" >"$T/out" 2>"$T/err"; rc=$?
t "the school erases the pupil" test "$rc" -eq 0
t "  one line: pupil ID erased: N records (...)" bash -c "grep -q '^pupil $P erased: [0-9]* records (.*signal.*case.*)$' '$T/out' && [ \$(grep -c . '$T/out') -eq 1 ]"
tf "  the school no longer shows the canaries" has_canary s1
t "  the other pupil is untouched" bash -c "'$VIOS' --home '$T/s1' --json pupil list | grep -q 'Other pupil'"
t "  its case too" bash -c "'$VIOS' --home '$T/s1' --json case list | grep -q '$CO'"
t "the access log has the erasure with its reason" bash -c "'$VIOS' --home '$T/s1' --json log | jq -e '.[] | select(.action == \"erase\" and .tbl == \"pupil\" and .record_id == \"$P\" and (.why | test(\"request of the parents\")))'"
syncall
for n in s1 pol aud; do
	tf "after everyone synced, no listing at $n has a canary" has_canary "$n"
done
t "the other pupil is still at the police" bash -c "'$VIOS' --home '$T/pol' --json pupil list | grep -q 'Other pupil'"
t "school and police agree on the case digest" test "$(V "$T/s1" digest --category case)" = "$(V "$T/pol" digest --category case)"

# retention: close the other case; 800 days on, every node erases it
V "$T/s1" case status "$CO" closed >/dev/null
syncall
t "the police holds the closed case" bash -c "'$VIOS' --home '$T/pol' --json case list | grep -q '$CO'"
t "retention run now erases nothing of the case" bash -c "'$VIOS' --home '$T/s1' --json retention run | jq -e '.counts.cases == 0'"
t "the auditor holds the closed case" bash -c "'$VIOS' --home '$T/aud' --json case list | grep -q '$CO'"
for n in s1 pol aud; do
	t "retention run 800 days on at $n erases the closed case" \
		bash -c "VIOS_TEST_DAYS_AHEAD=800 '$VIOS' --home '$T/$n' --json retention run | jq -e '.counts.cases == 1 and .erased >= 1'"
	tf "  the case is gone at $n" bash -c "'$VIOS' --home '$T/$n' --json case list | grep -q '$CO'"
	tf "  its pupil is gone at $n" bash -c "'$VIOS' --home '$T/$n' --json pupil list | grep -q 'Other pupil'"
done
t "retention is in the access log" bash -c "'$VIOS' --home '$T/s1' --json log | jq -e '[.[] | select(.action == \"erase\" and (.why | test(\"^retention: 24 months\")))] | length > 0'"
t "retention run prints per table counts" bash -c "VIOS_TEST_DAYS_AHEAD=800 '$VIOS' --home '$T/s1' retention run | grep -q '^retention (theme 60 months, case 24 months): erased 0 records$'"
t "retention run takes no other word (exit 2)" bash -c "'$VIOS' --home '$T/s1' retention go; [ \$? -eq 2 ]"

# the control: the same flow without the erasure keeps the canaries
mkdir "$T/control"; T0=$T; T="$T/control"
nodes "hub hub" "s1 school" "pol partner police"
hub_world s1 pol
P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2012-03-04 --guardian "guardian-$C@example.org")
S=$(V "$T/s1" signal add --theme weapons --pupil "$P" --note "note $C" --basis public-task --parents-informed yes)
V "$T/s1" case open --pupil "$P" --signals "$S" --roles police --lead police --basis public-task >/dev/null
for n in s1 pol s1 pol; do V "$T/$n" sync >/dev/null 2>&1; done
t "control: without the erasure the school shows the canaries" has_canary s1
t "control: and so does the police" has_canary pol
T=$T0
finish
