#!/usr/bin/env bash
# Epoch keys, forward secrecy of history (issue 16; docs/lifecycle.md,
# "Epoch keys"): a school and the police exchange case data, the school
# rotates its key and the police read what follows; then, with the clock
# run ahead (VIOS_TEST_DAYS_AHEAD), every node syncs past two month ends and
# the grace, and every secret key to be found on any disk (each home's live
# keys as vios exports them, the identity export, the hub's) is tried with
# stock `age -d` on every .age blob in the full git history of the hub and of
# every outbox: nothing sealed before the jump opens any more, what was sealed
# after it still opens with a live key. The same sweep before the jump does
# open the old bundles (so the check can fail).
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police" "aud auditor"
hub_world s1 pol aud
C="canary$RANDOM$RANDOM"
HOMES="hub s1 pol aud"
signals_of() { V "$T/$1" --json signal list 2>/dev/null | jq -r '.[].note'; }
syncall() { local n; for n in s1 pol aud; do V "$T/$n" sync >>"$T/.log" 2>&1 || return 1; done; V "$T/hub" hub merge >>"$T/.log" 2>&1; }
# keys ROUND : every secret key findable through vios into $T/keys.ROUND/*
keys() {
	local d="$T/keys.$1" h
	rm -rf "$d" && mkdir -p "$d"
	for h in $HOMES; do
		V "$T/$h" keys export --secret -o "$d/$h.keys" >>"$T/.log" 2>&1
		V "$T/$h" identity export --secret -o "$d/$h.identity" >>"$T/.log" 2>&1
	done
	ls "$d" | grep -q .
}
# blobs : the ids of every .age blob in the full history of every repository under $T
blobs() {
	local r c
	find "$T" -type d -name '*.git' | while read -r r; do
		git --git-dir "$r" rev-list --all 2>/dev/null | while read -r c; do
			git --git-dir "$r" ls-tree -r "$c" | awk -v r="$r" '$4 ~ /\.age$/ { print r " " $3 }'
		done
	done | sort -u -k2,2
}
# opens ROUND LIST : the blobs of LIST (repo blob lines) some key of ROUND opens, one id a line
opens() {
	local r b k
	while read -r r b; do
		git --git-dir "$r" cat-file blob "$b" >"$T/blob.age"
		for k in "$T/keys.$1"/*; do
			if age -d -i "$k" -o /dev/null "$T/blob.age" 2>/dev/null; then echo "$b"; break; fi
		done
	done <"$2"
}

P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2012-01-02)
S=$(V "$T/s1" signal add --theme crime --pupil "$P" --note "first note $C" --basis public-task --parents-informed yes)
CASE=$(V "$T/s1" case open --pupil "$P" --signals "$S" --roles police --lead police --basis public-task)
t "everyone syncs" syncall
t "the police receive the case" bash -c "$(declare -f V signals_of); VIOS='$VIOS' T='$T'; signals_of pol | grep -q 'first note $C'"
t "before its month ends a node's current epoch is 0, the identity's key" bash -c "'$VIOS' --home '$T/s1' --json keys list | jq -e '.epochs | map(.n) == [0] and .[0].ended == null' >/dev/null"
t "keys list shows no secret" bash -c "! '$VIOS' --home '$T/s1' keys list | grep -q SECRET"

# --- rotate: the answer to a suspected leak ------------------------------------------
V "$T/s1" keys rotate >"$T/rotate.out" 2>>"$T/.log"
t "keys rotate starts epoch 1 and says epoch 0 goes 14 days after it is announced" grep -Eq "^epoch 1 started; recipient age1[a-z0-9]+; earlier epochs are destroyed 14 days after 'vios sync' announces epoch 1" "$T/rotate.out"
t "the school syncs after the rotation" V "$T/s1" sync
t "the police sync (record the new recipient)" V "$T/pol" sync
V "$T/s1" signal add --theme crime --pupil "$P" --note "second note $C" --basis public-task --parents-informed yes >/dev/null
t "the school seals to the police after the rotation" V "$T/s1" sync
t "the police read what follows" bash -c "'$VIOS' --home '$T/pol' sync >/dev/null && '$VIOS' --home '$T/pol' --json signal list | grep -q 'second note $C'"
t "the school announced its epoch 1 (vios-bundle-3)" bash -c "'$VIOS' --home '$T/s1' --json keys list | jq -e '.epochs[-1].n == 1 and .epochs[-1].published_seq != null' >/dev/null"
t "the announcement is in a signed vios-bundle-3 header on the hub" bash -c "git --git-dir '$G' log -p 'refs/heads/nodes/$(nid s1)' | grep -q '\"format\":\"vios-bundle-3\"'"
t "everyone syncs again" syncall

# --- before the jump: the old bundles do open (the check can fail) -------------------
blobs >"$T/old.list"
t "there are bundles in the history" test -s "$T/old.list"
t "every key exported (now)" keys now
opens now "$T/old.list" >"$T/old.now"
t "today the live keys open the old bundles" test -s "$T/old.now"

# --- the clock runs ahead: two month ends and the grace pass -------------------------
for d in 60 120; do
	VIOS_TEST_DAYS_AHEAD=$d V "$T/hub" hub registry refresh >>"$T/.log" 2>&1
	t "everyone syncs at +$d days" env VIOS_TEST_DAYS_AHEAD=$d bash -c "$(declare -f V syncall); VIOS='$VIOS' T='$T'; syncall && syncall"
done
export VIOS_TEST_DAYS_AHEAD=120
t "epoch 0 of the police is destroyed, its later ones live" bash -c "'$VIOS' --home '$T/pol' --json keys list | jq -e '(.epochs[0].destroyed != null) and ([.epochs[1:][] | .destroyed] | all(. == null))' >/dev/null"
t "epochs 0 and 1 of the school are destroyed" bash -c "'$VIOS' --home '$T/s1' --json keys list | jq -e '[.epochs[] | select(.n <= 1) | .destroyed] | all(. != null)' >/dev/null"
t "identity export --secret says the age key was destroyed" bash -c "'$VIOS' --home '$T/pol' identity export --secret -o '$T/x.key' 2>&1 | grep -q destroyed && ! test -e '$T/x.key'"
V "$T/s1" signal add --theme crime --pupil "$P" --note "third note $C" --basis public-task --parents-informed yes >/dev/null
t "the school syncs after the jump" V "$T/s1" sync
t "the police read what follows the jump" bash -c "'$VIOS' --home '$T/pol' sync >/dev/null && '$VIOS' --home '$T/pol' --json signal list | grep -q 'third note $C'"
t "the data lives on in the police store" bash -c "'$VIOS' --home '$T/pol' --json signal list | grep -q 'first note $C'"

blobs >"$T/all.list"
grep -v -F -f <(awk '{print $2}' "$T/old.list") "$T/all.list" >"$T/new.list" || true
t "every key exported (after)" keys after
opens after "$T/old.list" >"$T/old.after"
t "no key on any disk opens a bundle sealed before the jump" bash -c "! test -s '$T/old.after'"
[ -s "$T/old.after" ] && echo "  opened: $(wc -l <"$T/old.after") of $(wc -l <"$T/old.list")"
opens after "$T/new.list" >"$T/new.after"
t "the live keys still open bundles sealed after it" test -s "$T/new.after"
t "no exported key file holds a destroyed epoch's key" bash -c "! grep -l AGE-SECRET-KEY '$T'/keys.after/*.identity 2>/dev/null | grep -q ."

# --- restore after the destruction: the backup carries the live epoch keys ----------
t "identity backup after the destruction" V "$T/s1" identity backup -o "$T/s1.backup"
V "$T/s1r" restore --backup "$T/s1.backup" "$G" >"$T/restore.out" 2>"$T/restore.err"; rc=$?
cat "$T/restore.err" >>"$T/.log"
t "restore after the destruction: exit 0" test "$rc" = 0
t "  it says which own bundles it could not read (forward secrecy)" grep -q "could not be read.*forward secrecy" "$T/restore.err"
t "  it holds the live epoch keys again" bash -c "[ \"\$('$VIOS' --home '$T/s1r' --json keys list | jq -c '[.epochs[] | select(.destroyed == null) | .recipient]')\" = \"\$('$VIOS' --home '$T/s1' --json keys list | jq -c '[.epochs[] | select(.destroyed == null and .n > 0) | .recipient]')\" ]"

# --- restore from a backup written before the latest rotation ------------------------
# partners seal to the highest epoch the school announced, whose key that
# backup lacks: the restore starts one above it, and what a partner sends reads
AG=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "visit $C" --due 2027-12-20)
t "the school asks the police for a visit" bash -c "'$VIOS' --home '$T/s1' sync && '$VIOS' --home '$T/pol' sync"
t "identity backup before a rotation" V "$T/s1" identity backup -o "$T/s1.old.backup"
N0=$(V "$T/s1" --json keys list | jq '.epochs[-1].n')
V "$T/s1" keys rotate >>"$T/.log" 2>&1
t "the school announces epoch $((N0 + 1))" V "$T/s1" sync
t "the police learn it" V "$T/pol" sync
V "$T/s1b" restore --backup "$T/s1.old.backup" "$G" >"$T/restore2.out" 2>>"$T/.log"; rc=$?
t "restore from the backup older than the rotation: exit 0" test "$rc" = 0
t "  it starts epoch $((N0 + 2)), above the one announced after the backup, and says so in one line" \
	grep -q "^epoch $((N0 + 2)) started: this node had announced epoch $((N0 + 1))" "$T/restore2.out"
t "the restored school syncs (announces it)" V "$T/s1b" sync
t "the police sync (record it)" V "$T/pol" sync
V "$T/pol" agreement done "$AG" --feedback "after the restore $C" >>"$T/.log" 2>&1
t "the police send a case record" V "$T/pol" sync
t "the restored school reads it" bash -c "'$VIOS' --home '$T/s1b' sync >/dev/null && '$VIOS' --home '$T/s1b' --json agreement list | grep -q 'after the restore $C'"
finish
