#!/usr/bin/env bash
# The access log's hash chain (docs/formats.md, "Access log chain"): 'vios log
# --verify' is clean after normal use (text and --json; entries edited,
# deleted or moved are tests/unit/test_store.c's, the store being encrypted);
# the chain's head travels in every
# bundle (vios-payload-2), and the auditor's 'audit verify' and 'audit replay'
# exit 3 when a school's log went back between two of its bundles (fewer
# entries, or as many with another last entry); a new log (another id, as a
# store made anew has) is not a rollback.
#
# A store copied back from an old copy cannot seal (its next sync finds its
# ref ahead of it), so the rolled-back bundle is forged: the school's own
# keys seal its next seq with the log head its old copy holds
# (tests/tools/t_forge.c 'ops' with "log"), which is exactly what the old
# copy would have sealed had it been let.
. "$(dirname "$0")/lib.sh"
FORGE="$BUILD/tools/t_forge"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

nodes "hub hub" "s1 school" "aud auditor"
hub_world s1 aud
S1=$(nid s1)
LINE='^access log: [0-9]+ entries, chain intact, head [0-9a-f]{16}$'

# --- normal use ---------------------------------------------------------------------
P1=$(V "$T/s1" pupil add --name "Pupil One" --birth 2011-05-14)
V "$T/s1" signal add --basis public-task --parents-informed yes --theme alcohol --pupil "$P1" --note "bottles" --where around >/dev/null
TR=$(V "$T/s1" trend add --theme weapons --period 2026-11 --level rising)
V "$T/s1" pupil list >/dev/null
t "the school syncs" V "$T/s1" sync
V "$T/s1" log --verify >"$T/v1" 2>&1; rc=$?
t "log --verify after normal use: exit 0" test "$rc" -eq 0
t "  one line: N entries, chain intact, head" bash -c "grep -c . '$T/v1' | grep -qx 1 && grep -Eq '$LINE' '$T/v1'"
t "  --json: entries, intact, the whole head, the log's id" bash -c "'$VIOS' --home '$T/s1' --json log --verify | jq -e '.intact == true and .entries > 3 and (.head | test(\"^[0-9a-f]{64}$\")) and (.log_id | test(\"^[0-9a-f]{32}$\"))'"
t "  log --json shows each entry's hash" bash -c "'$VIOS' --home '$T/s1' --json log | jq -e 'all(.[]; .hash | test(\"^[0-9a-f]{64}$\"))'"
tf "  --verify takes no --limit (usage)" V "$T/s1" log --verify --limit 3
t "audit verify: clean" V "$T/aud" audit verify "$T/hub.git"

# --- an old copy, then more work -------------------------------------------------------
cp -a "$T/s1" "$T/s1.old"
OLD=$("$VIOS" --home "$T/s1.old" --json log --verify)
OLDN=$(jq -r .entries <<<"$OLD") OLDH=$(jq -r .head <<<"$OLD")
V "$T/s1" signal add --theme vandalism --note "after the copy" >/dev/null
V "$T/s1" pupil list >/dev/null
t "the school syncs more" V "$T/s1" sync
t "its log still verifies" V "$T/s1" log --verify
t "audit verify: still clean" V "$T/aud" audit verify "$T/hub.git"
t "audit replay: exit 0" V "$T/aud" audit replay "$T/hub.git"

# --- the old copy's log head in the next bundle: the log went back ----------------------
jq -n --arg p "$TR" --argjson n "$OLDN" --arg h "$OLDH" \
	'{categories: ["theme"], ops: [{kind: "set", tbl: "trend", pk: $p, col: "level", value: "falling", base: "held"}],
	  log: {count: $n, head: $h}}' >"$T/back.json"
SEQ=$("$FORGE" "$T/s1" ops "$T/back.json")
t "the school seals the old copy's log head as its next seq" test -n "$SEQ"
t "  and syncs it (its own ref moves on: nothing else notices)" V "$T/s1" sync
V "$T/aud" audit verify "$T/hub.git" >"$T/av.out" 2>"$T/av.err"; rc=$?
t "audit verify: exit 3" test "$rc" -eq 3
t "  names the node, the seq and the log going back" \
	grep -q "node $S1 seq $SEQ: its access log went back from [0-9]* entries to $OLDN: the store was rolled back or its log edited" "$T/av.out" "$T/av.err"
V "$T/aud" audit replay "$T/hub.git" >"$T/ar.out" 2>"$T/ar.err"; rc=$?
t "audit replay: exit 3" test "$rc" -eq 3
t "  one error line naming the log going back" bash -c "grep -c . '$T/ar.err' | grep -qx 1 && grep -q 'access log that went back (first: node $S1 seq $SEQ' '$T/ar.err'"
t "  --json counts it" bash -c "'$VIOS' --home '$T/aud' --json audit replay '$T/hub.git' 2>/dev/null | jq -e '.log_went_back == 1'"

# --- the same count with another last entry -------------------------------------------
OTHER=$(printf '%064d' 7)
jq -n --arg p "$TR" --argjson n "$OLDN" --arg h "$OTHER" \
	'{categories: ["theme"], ops: [{kind: "set", tbl: "trend", pk: $p, col: "level", value: "stable", base: "held"}],
	  log: {count: $n, head: $h}}' >"$T/same.json"
SEQ2=$("$FORGE" "$T/s1" ops "$T/same.json")
V "$T/s1" sync >/dev/null
V "$T/aud" audit verify "$T/hub.git" >"$T/av2.out" 2>&1; rc=$?
t "same count, another head: audit verify exit 3" test "$rc" -eq 3
t "  names that seq" grep -q "node $S1 seq $SEQ2: its access log has $OLDN entries, as at seq $SEQ, but another last entry" "$T/av2.out"

# --- a new log (another id: a store made anew, as a restore makes it) -----------------
NEWID=$(printf '%032d' 5)
jq -n --arg p "$TR" --arg h "$OTHER" --arg id "$NEWID" \
	'{categories: ["theme"], ops: [{kind: "set", tbl: "trend", pk: $p, col: "level", value: "rising", base: "held"}],
	  log: {count: 1, head: $h, id: $id}}' >"$T/new.json"
SEQ3=$("$FORGE" "$T/s1" ops "$T/new.json")
V "$T/s1" sync >/dev/null
V "$T/aud" audit verify "$T/hub.git" >"$T/av3.out" 2>&1
t "a new log (another id) with fewer entries is no finding" bash -c "! grep -q 'seq $SEQ3:' '$T/av3.out' && grep -c '^finding: .*access log' '$T/av3.out' | grep -qx 2"

# (an entry edited, deleted or moved inside the encrypted store: tests/unit/test_store.c)
t "the old copy's own log still verifies (a copy is not an edit)" V "$T/s1.old" log --verify
finish
