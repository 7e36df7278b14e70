#!/usr/bin/env bash
# The erasure property (issue 16, docs/lifecycle.md), end to end with real
# keys, real repositories, stock age and a clock run ahead (VIOS_TEST_DAYS_AHEAD,
# honoured by a test build only: src/util/util.c).
#
# A school, two partners (police, social team), the hub and the auditor
# exchange a pupil's case; the school erases the pupil; everyone syncs; the
# clock passes the epoch's end and the grace period; everyone syncs again.
# Then every secret key vios can still produce on every node is tried with
# stock `age -d` on every bundle in the full git history of the hub and of
# every outbox, and every store is read through vios: the pupil's name, a
# note, the minutes and the guardian's phone (canaries) appear nowhere. A
# second pupil who is not erased is still in the stores (so the test can
# fail), and before the keys are destroyed the same scan does find the
# erased pupil's canaries in git history (so the scan can fail too).
# Last, with the clock past the covenant's retention, a closed case is gone
# on every node, logged, its canaries absent.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police" "soc partner social-team" "aud auditor"
hub_world s1 pol soc aud
C="erased$RANDOM$RANDOM"   # the pupil who is erased
K="kept$RANDOM$RANDOM"     # the pupil who is not
PHONE="06-$RANDOM$RANDOM"
ALL="s1 pol soc aud hub"
PARTIES="s1 pol soc aud"

# everyone syncs (the hub merges), at DAYS ahead
sync_all() {
	local d=${1:-0} n
	for n in $PARTIES; do VIOS_TEST_DAYS_AHEAD=$d V "$T/$n" sync >/dev/null 2>>"$T/.log" || return 1; done
	VIOS_TEST_DAYS_AHEAD=$d V "$T/hub" hub merge >/dev/null 2>>"$T/.log" || return 1
	for n in $PARTIES; do VIOS_TEST_DAYS_AHEAD=$d V "$T/$n" sync >/dev/null 2>>"$T/.log" || return 1; done
}
# everything a node shows through vios, as JSON
dump() {
	local n=$1 d=${2:-0} c
	for c in "pupil list" "signal list" "case list" "agreement list" "meeting list" "conflicts" "log"; do
		VIOS_TEST_DAYS_AHEAD=$d V "$T/$n" --json $c 2>/dev/null
	done
}
# keys: every live secret key of each node (vios keys export), one file per node
keys() {
	local d=${1:-0} n
	rm -rf "$T/keys"; mkdir -p "$T/keys"
	for n in $ALL; do
		VIOS_TEST_DAYS_AHEAD=$d V "$T/$n" keys export --secret -o "$T/keys/$n.key" >/dev/null 2>&1 || rm -f "$T/keys/$n.key"
	done
	ls "$T/keys" | grep -q .
}
# scan WORD: prints "open" for every bundle in the full history of the hub and
# every outbox that some key opens, and "found" when its plaintext holds WORD
scan() {
	local word=$1 repo c f k
	for repo in "$G" "$T"/*/outbox.git; do
		[ -d "$repo" ] || continue
		git --git-dir "$repo" rev-list --all 2>/dev/null | while read -r c; do
			git --git-dir "$repo" ls-tree -r "$c" | awk '$4 ~ /\.age$/ {print $3}'
		done | sort -u | while read -r f; do
			git --git-dir "$repo" cat-file blob "$f" >"$T/blob.age"
			for k in "$T"/keys/*.key; do
				if age -d -i "$k" "$T/blob.age" >"$T/blob.gz" 2>/dev/null; then
					echo open
					gzip -dc "$T/blob.gz" 2>/dev/null | grep -aq "$word" && echo found
				fi
			done
		done
	done
}
export -f V dump keys scan sync_all
export T G ALL PARTIES VIOS

BIRTH=$(date -d '-12 years' +%F)
P=$(V "$T/s1" pupil add --name "Pupil $C" --birth "$BIRTH" --guardian "$PHONE")
PK=$(V "$T/s1" pupil add --name "Pupil $K" --birth "$BIRTH")
S=$(V "$T/s1" signal add --theme weapons --pupil "$P" --note "note $C" --basis public-task --parents-informed yes)
SK=$(V "$T/s1" signal add --theme weapons --pupil "$PK" --note "note $K" --basis public-task --parents-informed yes)
CASE=$(V "$T/s1" case open --pupil "$P" --signals "$S" --roles police,social-team --lead police --basis public-task --parents-informed yes)
CK=$(V "$T/s1" case open --pupil "$PK" --signals "$SK" --roles police --lead police --basis public-task --parents-informed yes)
M=$(V "$T/s1" meeting add --kind case --date "$(date +%F)" --roles school,police,social-team --case "$CASE" --minutes "minutes $C")
t "the school records two pupils, their signals, cases and a case meeting" test -n "$P" -a -n "$PK" -a -n "$CASE" -a -n "$CK" -a -n "$M"
t "everyone syncs" sync_all 0
A=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "talk to $C" --due "$(date -d '+7 days' +%F)")
AK=$(V "$T/s1" agreement add --case "$CK" --owner police --action "call $K" --due "$(date -d '+90 days' +%F)")
t "the school makes agreements for the police in both cases" test -n "$A" -a -n "$AK"
t "everyone syncs again" sync_all 0
t "the police answer theirs with feedback" V "$T/pol" agreement done "$A" --feedback "feedback $C"
t "everyone syncs once more" sync_all 0
for n in pol soc aud; do
	t "$n holds the pupil, the note and the minutes" bash -c "dump $n | grep -q 'Pupil $C' && dump $n | grep -q 'note $C' && dump $n | grep -q 'minutes $C'"
done
t "the police hold the agreement" bash -c "dump pol | grep -q 'talk to $C'"
t "the school holds the police's feedback" bash -c "dump s1 | grep -q 'feedback $C'"
t "the scan can fail: today's keys open history and find the pupil" bash -c "keys && scan 'Pupil $C' | grep -qx found"

t "the school erases the pupil" V "$T/s1" pupil erase "$P" --reason "request of the parents"
t "everyone syncs after the erase" sync_all 0
for n in $ALL; do
	t "$n: no trace through vios right after the erase" bash -c "! dump $n | grep -q '$C\|$PHONE'"
done
t "the kept pupil is untouched at the police" bash -c "dump pol | grep -q 'Pupil $K'"

# restore respects the erasure: the school's home is made again from a backup
# and the hub; the erased pupil does not come back. (A backup is a copy of
# the keys alive when it was made, docs/lifecycle.md: this one is destroyed
# afterwards, as the docs tell a school to do with backups older than an
# erasure, so the scan below tries the keys of the nodes as they are.)
t "the school backs up its identity" V "$T/s1" identity backup -o "$T/s1.backup"
t "restore from the backup and the hub" V "$T/s1r" restore --backup "$T/s1.backup" "$G"
t "  the restored store has the kept pupil" bash -c "dump s1r | grep -q 'Pupil $K'"
t "  and not the erased one" bash -c "! dump s1r | grep -q '$C\|$PHONE'"
rm -rf "$T/s1r" "$T/s1.backup"

# the month ends, a new epoch starts everywhere; then the grace period passes
t "45 days on: the hub re-signs its registry" bash -c "VIOS_TEST_DAYS_AHEAD=45 '$VIOS' --home '$T/hub' hub registry refresh >/dev/null"
t "  everyone syncs (new epochs)" sync_all 45
t "  everyone syncs again" sync_all 45
t "75 days on: the hub re-signs its registry" bash -c "VIOS_TEST_DAYS_AHEAD=75 '$VIOS' --home '$T/hub' hub registry refresh >/dev/null"
t "  everyone syncs (old epoch keys destroyed)" sync_all 75
t "  and once more" sync_all 75
t "every node still has a live key" keys 75
scan "$C" >"$T/scan-erased"
t "no key on any disk opens a bundle that held the erased pupil" bash -c "! grep -qx found '$T/scan-erased'"
scan "$K" >"$T/scan-kept"
t "no key opens the bundles sealed before the destruction (the kept pupil's too)" bash -c "! grep -qx found '$T/scan-kept'"
t "live keys still open what was sealed after it" bash -c "grep -qx open '$T/scan-kept'"
for n in $ALL; do
	t "$n: no trace of the erased pupil in its store" bash -c "! dump $n 75 | grep -q '$C\|$PHONE'"
done
t "the kept pupil lives on in the school's store" bash -c "dump s1 75 | grep -q 'Pupil $K'"
t "... and at the police (the control: without the erase the canaries stay)" bash -c "dump pol 75 | grep -q 'note $K'"
t "the erasure is in the school's log with its reason" bash -c "'$VIOS' --home '$T/s1' log | grep -i erase | grep -q 'request of the parents'"
t "a partner sends after the rotation and the school reads it" bash -c "VIOS_TEST_DAYS_AHEAD=75 '$VIOS' --home '$T/pol' agreement done '$AK' --feedback 'called back $K' >/dev/null && sync_all 75 && dump s1 75 | grep -q 'called back $K'"

# retention: the kept pupil's case closes; 25 months later it is gone everywhere
close_case() { local st; for st in discussed in-progress monitoring closed; do VIOS_TEST_DAYS_AHEAD=75 V "$T/s1" case status "$CK" "$st" >/dev/null 2>&1; done
	VIOS_TEST_DAYS_AHEAD=75 V "$T/s1" --json case show "$CK" | grep -q '"closed"'; }
t "the school closes the kept pupil's case" close_case
t "everyone syncs" sync_all 75
D=$((75 + 25 * 31))
for n in $PARTIES; do
	t "$n: retention run past the case retention" bash -c "VIOS_TEST_DAYS_AHEAD=$D '$VIOS' --home '$T/$n' retention run >/dev/null"
done
for n in $PARTIES; do
	t "$n: the closed case and its signal are gone" bash -c "! dump $n $D | grep -q 'note $K\|call back $K'"
done
t "retention is logged at the school" bash -c "'$VIOS' --home '$T/s1' log | grep -i erase | grep -qi retention"
finish
