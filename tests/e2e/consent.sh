#!/usr/bin/env bash
# Consent (issue 15, docs/governance.md): the hub operator's two attacks, with
# real keys, real repositories and stock git.
#  1. The hub enrolls a node it controls as a social-team partner: the school
#     seals nothing of its case to it until the school approves that node;
#     then the next sync sends it the case as it stands.
#  2. The hub publishes covenant v2 with hub_role police: the school keeps
#     sealing under v1 (the hub receives no case data) until it approves v2.
#  3. A flow forced around an approval (the school's own key, a bundle sealed
#     by hand to a node it never approved) is compliant=no in `audit flows`
#     and `audit verify` exits 3.
#  4. Bad approvals: one line, exit 2, nothing changed. `vios restore` reads
#     the approvals back from the node's own bundles, not from the registry.
. "$(dirname "$0")/lib.sh"

HUB_SCOPE=headers
nodes "hub hub" "s1 school" "pol partner police" "aud auditor"
hub_world s1 pol aud
SIGN="$BUILD/tools/t_sign"
C="canary$RANDOM$RANDOM"
# trusted comments (headers) of every bundle on a node's ref at the hub
headers() { local id; id=$(nid "$1"); git --git-dir "$G" log --format=%H "refs/heads/nodes/$id" | while read -r c; do
	git --git-dir "$G" ls-tree --name-only -r "$c" | grep 'minisig$' | while read -r f; do
		git --git-dir "$G" show "$c:$f" | sed -n 's/^trusted comment: //p'; done; done | sort -u; }
signals_of() { V "$T/$1" --json signal list 2>/dev/null | jq -r '.[].note'; }
export -f V nid headers signals_of
export T G

P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2012-01-02)
S=$(V "$T/s1" signal add --basis public-task --theme crime --pupil "$P" --note "first note $C" --parents-informed yes)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police,social-team --lead police)
t "school sync" V "$T/s1" sync
t "police sync" V "$T/pol" sync
t "the police (approved at join) receive the case" bash -c "'$VIOS' --home '$T/pol' --json signal list | grep -q 'first note $C'"
t "the first header approves the nodes the school joined with" bash -c "[ \"\$(headers s1 | jq -r 'select(.seq==1) | .approves.nodes | index(\"$(nid pol)\") != null')\" = true ]"
t "every header is vios-bundle-2 (-3 when it announces an epoch) and names the approved covenant" bash -c "headers s1 | jq -e -s 'all((.format==\"vios-bundle-2\" or (.format==\"vios-bundle-3\" and .epoch.n >= 1)) and .approves.covenant==1)' >/dev/null"
t "no bundle is sealed to the auditor (scope headers)" bash -c "! headers s1 | jq -r '.recipients[]' | grep -qx '$(nid aud)'"

# --- 1. a node the hub enrolls and controls ------------------------------------------------
mk rogue partner social-team
V "$T/rogue" identity export -o "$T/rogue.req" 2>/dev/null
t "the hub enrolls a social-team node it controls" V "$T/hub" hub enroll "$T/rogue.req"
t "... which joins" V "$T/rogue" join "$G" --hub-fingerprint "$FP"
V "$T/s1" signal add --basis public-task --theme crime --pupil "$P" --note "second note $C" --parents-informed yes >/dev/null
t "school sync (fetches the registry with the new node)" V "$T/s1" sync
t "rogue sync" V "$T/rogue" sync
t "the unapproved node holds nothing of the school's case" bash -c "! signals_of rogue | grep -q '$C'"
t "... and no header addresses it" bash -c "! headers s1 | jq -r '.recipients[]' | grep -qx '$(nid rogue)'"
t "status names the node waiting for approval" bash -c "'$VIOS' --home '$T/s1' status | grep -q 'approval.*pending.*$(nid rogue)'"
t "status --json lists it" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.approval_pending.nodes | map(.node_id) == [\"$(nid rogue)\"]'"
t "the police still receive new case data" bash -c "'$VIOS' --home '$T/pol' sync >/dev/null && signals_of pol | grep -q 'second note $C'"
t "the school approves the node" V "$T/s1" covenant approve --node "$(nid rogue)"
t "  it is in the access log" bash -c "'$VIOS' --home '$T/s1' log | grep -q 'approved node $(nid rogue)'"
t "  nothing pending any more" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.approval_pending.nodes == []'"
t "school sync" V "$T/s1" sync
t "the approval is in the school's next header" bash -c "headers s1 | jq -r '.approves.nodes[]' | grep -qx '$(nid rogue)'"
t "rogue sync" V "$T/rogue" sync
t "after approval it holds the case as it stands (both notes)" bash -c "[ \$(signals_of rogue | grep -c '$C') = 2 ]"
t "... and the pupil" bash -c "'$VIOS' --home '$T/rogue' --json pupil list | grep -q 'Pupil $C'"
t "a second school sync sends nothing more" bash -c "'$VIOS' --home '$T/s1' --json sync | jq -e '.exported == 0'"

# --- 2. a covenant that gives the hub the police's role ------------------------------------
V "$T/hub" covenant show --format json | jq '.covenant | .version = 2 | .hub_role = "police"' >"$T/cov2.json"
t "the hub publishes covenant v2 with hub_role police" V "$T/hub" hub covenant set "$T/cov2.json"
V "$T/s1" signal add --basis public-task --theme crime --pupil "$P" --note "third note $C" --parents-informed yes >/dev/null
t "school sync" V "$T/s1" sync
t "status says covenant v2 waits for approval" bash -c "'$VIOS' --home '$T/s1' status | grep -q 'covenant version 2 waits'"
t "covenant show lists v2 as pending" bash -c "'$VIOS' --home '$T/s1' --json covenant show | jq -e '.version == 1 and .pending.version == 2'"
t "the school still seals under v1" bash -c "headers s1 | jq -e -s 'all(.covenant_version == 1)' >/dev/null"
t "nothing of the case is sealed to the hub" bash -c "! headers s1 | jq -r 'select(.categories | index(\"case\")) | .recipients[]' | grep -qx '$(nid hub)'"
t "the hub merges and holds no case signal" bash -c "'$VIOS' --home '$T/hub' hub merge >/dev/null && ! signals_of hub | grep -q '$C'"
t "the school approves v2" V "$T/s1" covenant approve 2
V "$T/s1" signal add --basis public-task --theme crime --pupil "$P" --note "fourth note $C" --parents-informed yes >/dev/null
t "school sync" V "$T/s1" sync
t "now it seals under v2 and the header says it approved v2" bash -c "headers s1 | jq -e -s 'map(select(.covenant_version == 2 and .approves.covenant == 2)) | length > 0' >/dev/null"
t "the hub (police role, approved) receives the new case data" bash -c "'$VIOS' --home '$T/hub' hub merge >/dev/null && signals_of hub | grep -q 'fourth note $C'"
t "audit verify: every flow so far is compliant" V "$T/aud" audit verify "$G"

# --- 3. a flow forced around an approval ---------------------------------------------------
mk rogue2 partner youth-work
V "$T/rogue2" identity export -o "$T/rogue2.req" 2>/dev/null
V "$T/hub" hub enroll "$T/rogue2.req" >/dev/null
V "$T/s1" sync >/dev/null
t "sealed by hand with the school's key to a node it never approved" "$SIGN" seal "$T/s1" "$(nid s1),$(nid rogue2)" 2 case
t "... and pushed" V "$T/s1" sync
V "$T/aud" audit verify "$G" >"$T/verify.out" 2>&1; rc=$?
t "audit verify exits 3" test "$rc" = 3
t "... naming the node the sender never approved" grep -q "$(nid rogue2).*never approved" "$T/verify.out"
t "audit flows marks that flow compliant=no" bash -c "'$VIOS' --home '$T/aud' audit flows '$G' --csv - | grep 'rogue2' | grep -q ',no$'"

# --- 4. bad input, and restore ------------------------------------------------------------
before=$(V "$T/s1" --json status | jq -c .approval_pending)
V "$T/s1" covenant approve 9 >/dev/null 2>"$T/err"; rc=$?
t "approving a version not installed: exit 2" test "$rc" = 2
t "  one line" one_line "$T/err"
V "$T/s1" covenant approve 1 >/dev/null 2>"$T/err"; rc=$?
t "approving an older version: exit 2, one line" bash -c "[ $rc = 2 ] && [ \$(grep -c . '$T/err') = 1 ]"
V "$T/s1" covenant approve --node "$(nid rogue)" >/dev/null 2>"$T/err"; rc=$?
t "approving a node twice: exit 2, one line" bash -c "[ $rc = 2 ] && [ \$(grep -c . '$T/err') = 1 ]"
V "$T/s1" covenant approve --node 00000000-0000-4000-8000-000000000000 >/dev/null 2>"$T/err"; rc=$?
t "approving a node not enrolled: exit 2, one line" bash -c "[ $rc = 2 ] && [ \$(grep -c . '$T/err') = 1 ]"
V "$T/s1" covenant approve --node "$(nid s1)" >/dev/null 2>"$T/err"; rc=$?
t "approving itself: exit 2" test "$rc" = 2
t "nothing changed by the refusals" bash -c "[ \"\$('$VIOS' --home '$T/s1' --json status | jq -c .approval_pending)\" = '$before' ]"
t "identity backup" V "$T/s1" identity backup -o "$T/s1.backup"
t "restore into a new home" V "$T/s1r" restore --backup "$T/s1.backup" "$G"
t "the restored node still waits for rogue2 (the registry lists it; the school never approved it)" bash -c "'$VIOS' --home '$T/s1r' --json status | jq -e '.approval_pending.nodes | map(.node_id) | index(\"$(nid rogue2)\") != null'"
t "... and keeps the approvals it published (rogue, covenant v2)" bash -c "'$VIOS' --home '$T/s1r' --json status | jq -e '(.approval_pending.nodes | map(.node_id) | index(\"$(nid rogue)\") == null) and .approval_pending.approved_covenant == 2'"
finish
