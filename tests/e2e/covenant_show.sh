#!/usr/bin/env bash
# vios covenant show: the covenant in force on a joined school in text,
# markdown and json (the signed document, as the hub's registry holds it);
# usage errors exit 2 and a node that has not joined exits 1, each with one
# line; a -3 covenant version 2 set on the hub reaches the school by sync
# and is shown with the party's named node; a revoked node is shown so.
. "$(dirname "$0")/lib.sh"

HUB_SCOPE=headers # the default covenant as vios publishes it
nodes "hub hub" "s1 school" "pol partner police"
V "$T/s1" covenant show >"$T/out" 2>"$T/err"; rc=$?
t "before joining: exit 1" test "$rc" -eq 1
t "before joining: one line saying to join" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'join a hub first' '$T/err'"
hub_world s1 pol
V "$T/s1" sync >/dev/null # the registry with the police node, enrolled after s1 joined
S1FP=$(V "$T/s1" --json whoami | jq -r .fingerprint)
POLID=$(nid pol)

# text (the default)
V "$T/s1" covenant show >"$T/text" 2>"$T/err"; rc=$?
t "show: exit 0, nothing on stderr" bash -c "[ $rc -eq 0 ] && [ ! -s '$T/err' ]"
t "text: version and format" grep -q 'Covenant version 1 (format vios-covenant-3)' "$T/text"
t "text: the purpose, underlined" bash -c "grep -A1 -x Purpose '$T/text' | grep -qx -- -------"
t "text: every party's legal basis" bash -c "for b in 'Wet politiegegevens art. 19/20' 'Jeugdwet art. 7.1.1 / BW 1:255' 'Leerplichtwet 1969 art. 16-18' 'Gemeentewet art. 172'; do grep -qF \"Legal basis: \$b\" '$T/text' || exit 1; done"
t "text: the school's node with its fingerprint" grep -qF "s1, fingerprint $S1FP" "$T/text"
t "text: the police node under its party" bash -c "grep -qF 'pol, fingerprint' '$T/text'"
t "text: no markdown" bash -c "! grep -q -e '^#' -e '^|' '$T/text'"
t "--format text is the default" bash -c "'$VIOS' --home '$T/s1' covenant show --format text | cmp -s - '$T/text'"

# markdown
V "$T/s1" covenant show --format markdown >"$T/md"; rc=$?
t "markdown: exit 0" test "$rc" -eq 0
t "markdown: title, purpose and the privacy officer" bash -c "grep -qx '# VIOS covenant (vios default)' '$T/md' && grep -qx '## Purpose' '$T/md' && grep -qx '## The privacy officer (FG)' '$T/md'"
t "markdown: the art. 10 and art. 9 rows" bash -c "grep -qF '| case_file.police_info | GDPR art. 10: criminal data | police |' '$T/md' && grep -qF '| case_file.care_info | GDPR art. 9: special-category data | youth-protection, social-team |' '$T/md'"
t "markdown: the auditor's scope" grep -qF '(auditor_scope: headers)' "$T/md"
t "markdown: a signature line per party (7)" bash -c "[ \$(grep -c '^For [a-z-]*: name _* *signature _* *date _*\$' '$T/md') -eq 7 ]"

# json
V "$T/s1" --json covenant show >"$T/json"; rc=$?
t "--json: exit 0, one document with version, covenant and pending" bash -c "[ $rc -eq 0 ] && jq -e -s 'length == 1 and (.[0] | .version == 1 and .pending == null and .covenant.format == \"vios-covenant-3\")' '$T/json'"
t "--json: the covenant is the signed document" bash -c "git --git-dir '$G' show registry:covenant.json | jq -S . >'$T/signed' && jq -S .covenant '$T/json' | cmp -s - '$T/signed'"
t "--format json is --json" bash -c "'$VIOS' --home '$T/s1' covenant show --format json | cmp -s - '$T/json'"

# usage: exit 2, one line
usage() { # usage "what" needle args...
	local what=$1 needle=$2; shift 2
	V "$T/s1" "$@" >"$T/out" 2>"$T/err"; local rc=$?
	t "$what: exit 2, one line" bash -c "[ $rc -eq 2 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -qF -- \"$needle\" '$T/err' && [ ! -s '$T/out' ]"
}
usage "a bad --format" "--format takes text, markdown or json, not 'pdf'" covenant show --format pdf
usage "--json with --format markdown" "--json prints JSON" --json covenant show --format markdown
usage "an unknown action" "unknown action 'sign': expected 'covenant show'" covenant sign
usage "no action" "expected 'covenant show'" covenant
usage "an argument after show" "unexpected argument 'x'" covenant show x
t "vios help covenant is vios covenant --help" bash -c "cmp -s <('$VIOS' help covenant) <('$VIOS' --home '$T/s1' covenant --help)"

# a -3 covenant version 2 on the hub: the police party names its node; the school syncs
git --git-dir "$G" show registry:covenant.json |
	jq --arg p "$POLID" '.version = 2 | .title = "VIOS covenant Noord" | .parties[1].nodes = [$p] | .auditor_scope = "content"' >"$T/cov2.json"
jq '.categories.case.receives += ["auditor"]' "$T/cov2.json" >"$T/bad.json"
V "$T/hub" hub covenant set "$T/bad.json" >/dev/null 2>"$T/err"; rc=$?
t "a -3 listing the auditor under receives is refused: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q auditor_scope '$T/err'"
t "hub covenant set of a -3, version 2" V "$T/hub" hub covenant set "$T/cov2.json"
t "the school syncs" V "$T/s1" sync
t "show --json: version 1 in force, version 2 pending (docs/governance.md)" bash -c "'$VIOS' --home '$T/s1' --json covenant show | jq -e '.version == 1 and .pending.version == 2 and .pending.covenant.title == \"VIOS covenant Noord\"'"
t "show in text names the pending version and how to approve it" bash -c "'$VIOS' --home '$T/s1' covenant show | grep -q 'Pending: version 2 .*vios covenant approve 2'"
t "the school approves version 2" V "$T/s1" covenant approve 2
t "show --json: version 2, the document set" bash -c "'$VIOS' --home '$T/s1' --json covenant show | jq -e --arg p '$POLID' '.version == 2 and .pending == null and .covenant.title == \"VIOS covenant Noord\" and .covenant.parties[1].nodes == [\$p]'"
V "$T/s1" covenant show >"$T/text2"; rc=$?
t "show in text: version 2, its title and scope" bash -c "[ $rc -eq 0 ] && grep -qx 'VIOS covenant Noord' '$T/text2' && grep -q 'Covenant version 2' '$T/text2' && grep -qF '(auditor_scope: content)' '$T/text2'"
t "show in text: the police party lists the node named for it" bash -c "grep -A3 -x police '$T/text2' | grep -q 'Its nodes (named in the covenant):' && grep -A4 -x police '$T/text2' | grep -qF 'pol, fingerprint'"
t "show in markdown after the update" bash -c "'$VIOS' --home '$T/s1' covenant show --format markdown | grep -qx '# VIOS covenant Noord'"

# a revoked node is shown revoked
V "$T/hub" hub revoke "$POLID" >/dev/null
V "$T/s1" sync >/dev/null 2>&1
t "a revoked node is shown so" bash -c "'$VIOS' --home '$T/s1' covenant show | grep -F 'pol, fingerprint' | grep -q '(revoked '"
finish
