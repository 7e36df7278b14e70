#!/usr/bin/env bash
# The hub operator's desk: `hub enroll` prints the node's fingerprint (the
# string `vios whoami` prints on that node) to read back by phone; `hub nodes`
# lists every enrolled node with its fingerprint, kind, role, enrolment,
# revocation, the last seq on its ref and the days since that bundle;
# `hub revoke` takes a node id or an exact name (several nodes of that name:
# exit 2 naming their ids); `status` counts enrolled and revoked apart.
. "$(dirname "$0")/lib.sh"
export -f one_line

nodes "hub hub" "s1 school" "pol partner police"
for n in twin1 twin2; do V "$T/$n" init --kind school --name "De Tweeling" --kdf interactive >"$T/$n.init"; done
G="$T/hub.git"
D0=$(date -u +%Y-%m-%d)
V "$T/hub" hub create "$G" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
fp() { V "$T/$1" --json whoami | jq -r .fingerprint; }
HUB=$(nid hub) S1=$(nid s1) POL=$(nid pol)
S1FP=$(fp s1) POLFP=$(fp pol) HUBFP=$(fp hub)
for n in s1 pol twin1 twin2; do V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; done

# 1. enroll prints the fingerprint, text and --json
V "$T/hub" hub enroll "$T/s1.req" >"$T/enroll.txt" 2>"$T/err"; rc=$?
t "enroll s1: exit 0, the enrolled line as before" bash -c "[ $rc -eq 0 ] && grep -qx 'enrolled school node $S1 \"s1\" (role school)' '$T/enroll.txt'"
t "enroll s1: the fingerprint whoami shows on s1, to read back" \
	grep -qxF "fingerprint: $S1FP  (read it back with the node's coordinator before you trust it)" "$T/enroll.txt"
t "s1's fingerprint is not the hub's (the line names the node's key)" test "$S1FP" != "$HUBFP"
V "$T/hub" --json hub enroll "$T/pol.req" >"$T/enroll.json"
t "enroll --json: fingerprint is police's whoami fingerprint" \
	jq -e --arg fp "$POLFP" --arg id "$POL" '.fingerprint == $fp and .node_id == $id and .kind == "partner" and .role == "police" and .already == false' "$T/enroll.json"
t "enroll again: already, still the fingerprint" bash -c "'$VIOS' --home '$T/hub' hub enroll '$T/s1.req' | grep -qxF 'fingerprint: $S1FP  (read it back with the node'\\''s coordinator before you trust it)'"
for n in s1 pol; do V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null; done

# 2. hub nodes: every node with the right fingerprint, kind and role
V "$T/hub" --json hub nodes >"$T/nodes.json"
row() { jq -e --arg id "$1" ".[] | select(.node_id == \$id) | $2" "$T/nodes.json"; }
t "nodes --json: an array of the three enrolled nodes" jq -e 'length == 3' "$T/nodes.json"
t "nodes --json: every key on every row" jq -e 'all(.[]; keys == (["node_id","kind","role","name","fingerprint","enrolled_at","revoked_at","last_seq","days_since_last_bundle"] | sort))' "$T/nodes.json"
t "nodes --json: the hub, its fingerprint, kind and role" row "$HUB" ".fingerprint == \"$HUBFP\" and .kind == \"hub\" and .role == \"hub\" and .name == \"hub\""
t "nodes --json: s1, its fingerprint, kind and role" row "$S1" ".fingerprint == \"$S1FP\" and .kind == \"school\" and .role == \"school\" and .name == \"s1\""
t "nodes --json: police, its fingerprint, kind and role" row "$POL" ".fingerprint == \"$POLFP\" and .kind == \"partner\" and .role == \"police\" and .name == \"pol\""
t "nodes --json: enrolled today, none revoked" jq -e --arg d0 "$D0" --arg d1 "$(date -u +%Y-%m-%d)" 'all(.[]; ((.enrolled_at | startswith($d0)) or (.enrolled_at | startswith($d1))) and .revoked_at == null)' "$T/nodes.json"
t "nodes --json: nothing sent yet: last_seq 0, days null" row "$S1" '.last_seq == 0 and .days_since_last_bundle == null'
V "$T/hub" hub nodes >"$T/nodes.txt"
t "nodes text: a header, then a row per node" bash -c "head -1 '$T/nodes.txt' | grep -q '^NODE ID .*KIND .*ROLE .*NAME .*FINGERPRINT .*ENROLLED .*REVOKED .*LAST SEQ .*DAYS SINCE' && [ \$(grep -cE '^[0-9a-f]{8}-' '$T/nodes.txt') -eq 3 ]"
t "nodes text: s1's row carries its fingerprint" grep -qE "^$S1 +school +school +s1 +$S1FP " "$T/nodes.txt"
t "nodes text: police's row carries its fingerprint" grep -qE "^$POL +partner +police +pol +$POLFP " "$T/nodes.txt"
t "nodes text: the columns line up (the fingerprint starts at one offset)" bash -c "[ \$(grep -E '^[0-9a-f]{8}-' '$T/nodes.txt' | awk '{ print index(\$0, \$5) }' | sort -u | wc -l) -eq 1 ]"
V "$T/s1" hub nodes >/dev/null 2>"$T/err"; rc=$?
t "nodes on a school: exit 2, one line" bash -c "[ $rc -eq 2 ] && one_line '$T/err' && grep -q 'only a hub node' '$T/err'"

# 3. after the school's sync the hub repository holds its bundle: last seq and days
V "$T/s1" trend add --theme alcohol --period 2026-11 --level rising >/dev/null
V "$T/s1" sync >/dev/null 2>&1
V "$T/hub" --json hub nodes >"$T/nodes.json"
TOP=$(git --git-dir "$G" ls-tree --name-only "refs/heads/nodes/$S1" bundles/ | grep -c '\.age$')
t "the school's sync pushed bundles" test "$TOP" -ge 1
t "nodes after the sync: s1's last_seq is the top of its ref, days 0" row "$S1" ".last_seq == $TOP and .last_seq >= 1 and .days_since_last_bundle == 0"
t "nodes after the sync: police sent nothing" row "$POL" '.last_seq == 0 and .days_since_last_bundle == null'
t "nodes text after the sync: s1's last seq and 0 days" bash -c "'$VIOS' --home '$T/hub' hub nodes | grep -E '^$S1 ' | grep -qE ' $TOP +0\$'"

# 4. revoke by exact name
V "$T/hub" hub revoke pol >"$T/rev.txt" 2>"$T/err"; rc=$?
t "revoke by name: exit 0, names the node by id" bash -c "[ $rc -eq 0 ] && grep -q '^revoked node $POL \"pol\" at ' '$T/rev.txt'"
V "$T/hub" --json hub nodes >"$T/nodes.json"
t "nodes after the revoke: police's revoked_at is set" row "$POL" '.revoked_at != null and (.revoked_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))'
t "nodes after the revoke: the others are not revoked" jq -e --arg p "$POL" '[.[] | select(.revoked_at != null) | .node_id] == [$p]' "$T/nodes.json"
t "nodes text after the revoke: police's row shows when" bash -c "'$VIOS' --home '$T/hub' hub nodes | grep -E '^$POL ' | grep -qE ' [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +0 +- *\$'"
V "$T/hub" hub revoke Pol >/dev/null 2>"$T/err"; rc=$?
t "a name in another case is not a match: not enrolled (exit 1)" bash -c "[ $rc -eq 1 ] && one_line '$T/err' && grep -q 'node Pol is not enrolled' '$T/err'"
V "$T/hub" hub revoke nobody >/dev/null 2>"$T/err"; rc=$?
t "an unknown name: not enrolled (exit 1)" bash -c "[ $rc -eq 1 ] && grep -q 'node nobody is not enrolled' '$T/err'"
V "$T/hub" hub revoke hub >/dev/null 2>"$T/err"; rc=$?
t "the hub by its name: still refused (exit 2)" bash -c "[ $rc -eq 2 ] && grep -q 'cannot revoke itself' '$T/err'"

# 5. two nodes with one name: revoke by that name is ambiguous
for n in twin1 twin2; do V "$T/hub" hub enroll "$T/$n.req" >/dev/null; done
W1=$(nid twin1) W2=$(nid twin2)
HEAD0=$(git --git-dir "$G" rev-parse refs/heads/registry)
V "$T/hub" hub revoke "De Tweeling" >"$T/out" 2>"$T/err"; rc=$?
t "two nodes of that name: exit 2, one line" bash -c "[ $rc -eq 2 ] && one_line '$T/err' && [ ! -s '$T/out' ]"
t "... the line lists both ids" bash -c "grep -q '$W1' '$T/err' && grep -q '$W2' '$T/err' && grep -q '2 nodes are named \"De Tweeling\"' '$T/err'"
t "... and nothing was revoked" test "$(git --git-dir "$G" rev-parse refs/heads/registry)" = "$HEAD0"
t "revoke by id still picks one of them" bash -c "'$VIOS' --home '$T/hub' --json hub revoke '$W2' | jq -e '.node_id == \"$W2\"'"

# 6. status: enrolled without the revoked, revoked apart
V "$T/hub" --json status >"$T/status.json"
t "status --json on the hub: 3 enrolled, 2 revoked, 5 listed" jq -e '.enrolled_nodes == 3 and .revoked_nodes == 2 and (.nodes | length) == 5' "$T/status.json"
t "status text on the hub: enrolled and revoked apart" bash -c "'$VIOS' --home '$T/hub' status | grep -qx 'nodes         3 enrolled, 2 revoked'"
V "$T/s1" sync >/dev/null 2>&1
t "status --json on the school after a sync: the same counts" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.enrolled_nodes == 3 and .revoked_nodes == 2'"

# 7. the help says so
t "help hub names nodes and revoke by name" bash -c "'$VIOS' help hub | grep -qx '       vios hub nodes' && '$VIOS' help hub | grep -qx '       vios hub revoke NODE-ID|NAME'"
t "hub --help is the same text" bash -c "diff <('$VIOS' help hub) <('$VIOS' --home '$T/hub' hub --help)"

finish
