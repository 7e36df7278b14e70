#!/usr/bin/env bash
# Trust: the hub repository, enrollment, revocation, the covenant and join,
# against a plain path and a file:// URL, and tampering made with the git CLI.
. "$(dirname "$0")/lib.sh"

mk hub hub
mk s1 school
mk s2 school
mk pol partner police
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
G="$T/hub.git"

t "hub create" V "$T/hub" hub create "$G"
t "hub repo passes git fsck" git --git-dir "$G" fsck --no-progress
t "registry readable with plain git log" bash -c "git --git-dir '$G' log --oneline refs/heads/registry | grep -q 'registry v1'"
t "registry holds the hub key, manifest, covenant and the hub itself" bash -c "git --git-dir '$G' ls-tree -r --name-only registry | grep -c -E '^(registry/hub.pub|registry/manifest.json|covenant.json|registry/nodes/.*\.json)$' | grep -qx 4"
t "stock minisign verifies the covenant with the hub key" bash -c "git --git-dir '$G' show registry:covenant.json >'$T/cov.json' && git --git-dir '$G' show registry:covenant.json.minisig >'$T/cov.json.minisig' && minisign -Vq -P \"\$('$VIOS' --home '$T/hub' --json whoami | jq -r .minisign_pubkey)\" -m '$T/cov.json'"
V "$T/hub" hub create "$T/again.git" >/dev/null 2>"$T/err"; rc=$?
t "a hub runs one hub repository" test "$rc" -eq 1
V "$T/s1" hub create "$T/s1hub.git" >/dev/null 2>"$T/err"; rc=$?
t "a school cannot create a hub (exit 2)" bash -c "[ $rc -eq 2 ] && [ ! -e '$T/s1hub.git' ]"

for n in s1 s2 pol; do V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; done
t "enroll s1" V "$T/hub" hub enroll "$T/s1.req"
t "enroll police" V "$T/hub" hub enroll "$T/pol.req"
t "enrolling again with the same keys changes nothing" bash -c "'$VIOS' --home '$T/hub' --json hub enroll '$T/s1.req' | jq -e '.already==true'"
t "registry version counts the changes" bash -c "git --git-dir '$G' log --oneline refs/heads/registry | grep -c . | grep -qx 3"

# bad enrollment requests: one clear line each, registry unchanged
HEAD0=$(git --git-dir "$G" rev-parse refs/heads/registry)
i=0
badreq() { # badreq "what" file
	i=$((i + 1))
	V "$T/hub" hub enroll "$2" >/dev/null 2>"$T/err"; local rc=$?
	t "bad request $i ($1): refused with one line" bash -c "[ $rc -ne 0 ] && [ $rc -ne 139 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'enrollment request' '$T/err'"
}
jq 'del(.signature)' "$T/s2.req" >"$T/b1.req"; badreq "unsigned" "$T/b1.req"
jq --arg s "$(jq -r .signature "$T/pol.req")" '.signature=$s' "$T/s2.req" >"$T/b2.req"; badreq "signed by another key" "$T/b2.req"
head -c 300 "$T/s2.req" >"$T/b3.req"; badreq "truncated" "$T/b3.req"
jq '.request.kind="teacher"' "$T/s2.req" >"$T/b4.req"; badreq "unknown kind" "$T/b4.req"
jq '.request.role="baker"' "$T/s2.req" >"$T/b5.req"; badreq "unknown role" "$T/b5.req"
jq '.request.name="Other school"' "$T/s2.req" >"$T/b6.req"; badreq "name changed after signing" "$T/b6.req"
t "bad requests left the registry as it was" test "$(git --git-dir "$G" rev-parse refs/heads/registry)" = "$HEAD0"

# join: wrong fingerprint, then a plain path and a file:// URL
V "$T/s1" join "$G" --hub-fingerprint 0123456789ABCDEF >/dev/null 2>"$T/err"; rc=$?
t "wrong fingerprint exits 3 with one line" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
t "after a wrong fingerprint nothing is stored" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.hub_url==null and .hub_fingerprint==null'"
t "join with a plain path" V "$T/s1" join "$G" --hub-fingerprint "$FP"
t "join with a file:// URL" V "$T/pol" join "file://$G" --hub-fingerprint "$FP"
t "status shows hub, fingerprint, registry and covenant versions" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e --arg fp '$FP' '.hub_fingerprint==\$fp and .registry_version==3 and .covenant_version==1 and (.nodes|length)==3'"
t "status in words" bash -c "'$VIOS' --home '$T/pol' status | grep -q 'covenant      version 1'"

# covenant
# the default is a vios-covenant-3: receives per category, the auditor's share in auditor_scope
jq '.version=2 | .categories.theme.receives -= ["youth-work"]' "$T/cov.json" >"$T/cov2.json"
t "covenant set (version 2)" V "$T/hub" hub covenant set "$T/cov2.json"
V "$T/hub" hub covenant set "$T/cov2.json" >/dev/null 2>"$T/err"; rc=$?
t "the same covenant version again is refused" bash -c "[ $rc -eq 1 ] && grep -q 'not newer' '$T/err'"
jq '.version=3 | del(.auditor_scope)' "$T/cov.json" >"$T/cov3.json"
V "$T/hub" hub covenant set "$T/cov3.json" >/dev/null 2>"$T/err"; rc=$?
t "a covenant that does not say what the auditor receives is refused" bash -c "[ $rc -eq 1 ] && grep -q auditor_scope '$T/err'"
jq '.version=3 | .categories.case.receives += ["hub"]' "$T/cov.json" >"$T/cov4.json"
V "$T/hub" hub covenant set "$T/cov4.json" >/dev/null 2>"$T/err"; rc=$?
t "a covenant giving the hub case data by its own role is refused" test "$rc" -eq 1
t "joined node sees covenant version 2 after joining again" bash -c "'$VIOS' --home '$T/s1' join '$G' --hub-fingerprint '$FP' >/dev/null && '$VIOS' --home '$T/s1' --json status | jq -e '.covenant_version==2'"

# revoke
PID=$(V "$T/pol" --json whoami | jq -r .node_id)
t "revoke the police node" V "$T/hub" hub revoke "$PID"
t "the registry entry records the revocation and last seq" bash -c "git --git-dir '$G' show registry:registry/nodes/$PID.json | jq -e '.revoked_at != null and .last_seq == 0'"
V "$T/hub" hub enroll "$T/pol.req" >/dev/null 2>"$T/err"; rc=$?
t "a revoked node is not enrolled again" bash -c "[ $rc -eq 3 ] && grep -q revoked '$T/err'"

# tampering with the git CLI
git clone -q "$G" "$T/wc" -b registry 2>/dev/null
S1ID=$(V "$T/s1" --json whoami | jq -r .node_id)
(cd "$T/wc" && jq --arg k "$(V "$T/s2" --json whoami | jq -r .minisign_pubkey)" '.minisign_pubkey=$k' "registry/nodes/$S1ID.json" >x && mv x "registry/nodes/$S1ID.json" &&
	git -c user.name=x -c user.email=x@x commit -qam "swap a key" && git push -q origin registry) 2>/dev/null
mk s3 school
V "$T/s3" join "$G" --hub-fingerprint "$FP" >/dev/null 2>"$T/err"; rc=$?
t "a registry entry with another key put in is rejected by join (exit 3)" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'not signed by the hub root key' '$T/err'"
t "nothing stored after the rejected join" bash -c "'$VIOS' --home '$T/s3' --json status | jq -e '.hub_url==null'"
V "$T/s1" join "$G" --hub-fingerprint "$FP" >/dev/null 2>&1; rc=$?
t "a node that joined before rejects it too" test "$rc" -eq 3
(cd "$T/wc" && git reset -q --hard HEAD~1 && git rm -q "registry/nodes/$S1ID.json" "registry/nodes/$S1ID.json.minisig" &&
	git -c user.name=x -c user.email=x@x commit -qm "drop an entry" && git push -q -f origin registry) 2>/dev/null
V "$T/s3" join "$G" --hub-fingerprint "$FP" >/dev/null 2>"$T/err"; rc=$?
t "a registry that drops an entry is rejected (exit 3)" bash -c "[ $rc -eq 3 ] && grep -q 'missing' '$T/err'"
git --git-dir "$G" update-ref refs/heads/registry "$HEAD0"
V "$T/s1" join "$G" --hub-fingerprint "$FP" >/dev/null 2>"$T/err"; rc=$?
t "a force-pushed older registry is rejected by a node that saw a newer one" bash -c "[ $rc -eq 3 ] && grep -q 'rewritten' '$T/err'"
t "the rejected rewrite left the node's registry as it was" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.covenant_version==2'"
V "$T/hub" hub enroll "$T/s2.req" >/dev/null 2>"$T/err"; rc=$?
t "the hub itself refuses to build on a rewritten registry" test "$rc" -eq 3
finish
