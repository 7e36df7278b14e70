#!/usr/bin/env bash
# --json (docs/cli-output.md): every command that takes it prints exactly
# one JSON document on stdout, whatever the text in it (a path with a quote
# and a backslash, a name with quotes); counts and versions are numbers;
# an error is one JSON line {"error": ..., "exit": N} on stderr and the
# exit code is the one the text form has.
. "$(dirname "$0")/lib.sh"

# J "what" args... : vios args... prints one JSON document that jq accepts
J() {
	local what=$1; shift
	t "$what" bash -c '"$VIOS" "$@" >"$0/.out" && jq -e -s "length == 1" "$0/.out" >/dev/null' "$T" "$@"
}
# JE "what" CODE args... : vios args... exits CODE and prints one line on
# stderr, {"error": non-empty string, "exit": CODE} (stdout may hold what was
# done before the error, as in the text form)
JE() {
	local what=$1 code=$2; shift 2
	"$VIOS" "$@" >"$T/.out" 2>"$T/.err"; local rc=$?
	t "$what" bash -c "[ $rc -eq $code ] && [ \$(grep -c . '$T/.err') -eq 1 ] &&
		jq -e '(.error | type == \"string\" and length > 0) and .exit == $code and (keys == [\"error\", \"exit\"])' '$T/.err'"
}
export VIOS T

# --- nodes, hub, join: names and paths that need escaping ----------------------
for n in "hub hub" "aud auditor"; do set -- $n; J "init $1 --json" --home "$T/$1" --json init --kind "$2" --name "$1" --kdf interactive; done
J "init a partner" --home "$T/pol" --json init --kind partner --role police --name pol --kdf interactive
J 'init with a quote and a backslash in the name' --home "$T/s1" --json init --kind school --name 'De "Brug" \ Noord' --kdf interactive
t "init --json: the name comes back as given" bash -c "jq -e '.name == \"De \\\"Brug\\\" \\\\ Noord\"' '$T/.out'"
G="$T/we\"ird\\x.git"
content_covenant # the auditor imports every bundle: scope content
J 'hub create with a quote and a backslash in the path' --home "$T/hub" --json hub create "$G" --covenant "$T/covenant-content.json"
t "hub create --json: the path comes back as given, registry_version a number" \
	bash -c "jq -e --arg g '$G' '.hub == \$g and .registry_version == 1' '$T/.out'"
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
J "whoami" --home "$T/s1" --json whoami
J "identity export (the request)" --home "$T/s1" --json identity export
for n in s1 pol aud; do
	J "identity export -o ($n)" --home "$T/$n" --json identity export -o "$T/$n.req"
	J "hub enroll ($n)" --home "$T/hub" --json hub enroll "$T/$n.req"
done
for n in s1 pol aud; do J "join ($n)" --home "$T/$n" --json join "$G" --hub-fingerprint "$FP"; done
t "join --json: versions and node count are numbers" bash -c "jq -e '(.registry_version|type) == \"number\" and (.covenant_version|type) == \"number\" and .nodes == 4' '$T/.out'"
J "identity export --secret" --home "$T/s1" --json identity export --secret -o "$T/s1.key"
J "status" --home "$T/s1" --json status
t "status --json: registry_version is a number" bash -c "jq -e '(.registry_version|type) == \"number\" and (.unsent_bundles|type) == \"number\"' '$T/.out'"

# --- records --------------------------------------------------------------------
J "pupil add" --home "$T/s1" --json pupil add --name 'Pupil "Q" \ One'
P=$(jq -r .id "$T/.out")
J "pupil list" --home "$T/s1" --json pupil list
J "pupil show" --home "$T/s1" --json pupil show "$P"
J "signal add" --home "$T/s1" --json signal add --basis public-task --parents-informed yes --theme weapons --note 'a "knife" \ near the gate' --pupil "$P"
S=$(jq -r .id "$T/.out")
J "signal list" --home "$T/s1" --json signal list
J "trend add" --home "$T/s1" --json trend add --theme weapons --period 2026-11 --level rising --note 'quote " backslash \'
J "trend list" --home "$T/s1" --json trend list
J "meeting add" --home "$T/s1" --json meeting add --kind thematic --date 2026-11-03
J "meeting list" --home "$T/s1" --json meeting list
J "case open" --home "$T/s1" --json case open --basis public-task --pupil "$P" --signals "$S" --roles police --lead police
CASE=$(jq -r .id "$T/.out")
J "case status" --home "$T/s1" --json case status "$CASE" discussed
J "case list" --home "$T/s1" --json case list
J "agreement add" --home "$T/s1" --json agreement add --case "$CASE" --owner police --action 'call "home"' --due 2026-12-01
AG=$(jq -r .id "$T/.out")
J "agreement done" --home "$T/s1" --json agreement done "$AG" --feedback 'done \ "ok"'
J "agreement list" --home "$T/s1" --json agreement list
J "pupil edit" --home "$T/s1" --json pupil edit "$P" --class '2 "B" \'
t "pupil edit --json: changed is an array of column names" bash -c "jq -e '.changed == [\"class\"]' '$T/.out'"
J "signal edit" --home "$T/s1" --json signal edit "$S" --note 'a "blade" \ near the gate'
J "signal show" --home "$T/s1" --json signal show "$S"
M=$(V "$T/s1" --json meeting list | jq -r '.[0].id')
J "meeting edit" --home "$T/s1" --json meeting edit "$M" --minutes 'said "no" \ twice'
J "agreement edit" --home "$T/s1" --json agreement edit "$AG" --due 2026-12-24
J "case show" --home "$T/s1" --json case show "$CASE"
J "case roles" --home "$T/s1" --json case roles "$CASE" --add social-team
J "case lead" --home "$T/s1" --json case lead "$CASE" social-team
JE "edit with nothing to change: exit 2 as JSON" 2 --home "$T/s1" --json pupil edit "$P"
JE "case show of a case not held: exit 1 as JSON" 1 --home "$T/s1" --json case show 01234567-89ab-7def-8123-456789abcdef
J "log" --home "$T/s1" --json log --limit 3
J "store check" --home "$T/s1" --json store check
J "store vacuum" --home "$T/s1" --json store vacuum
J "digest" --home "$T/s1" --json digest
J "conflicts" --home "$T/s1" --json conflicts

# --- bundles, sync, hub merge and report, audit ----------------------------------
J "export" --home "$T/s1" --json export
t "export --json: counts are numbers" bash -c "jq -e '(.bundles|type) == \"number\" and .bundles >= 1' '$T/.out'"
ID=$(V "$T/s1" --json whoami | jq -r .node_id)
f=$(git --git-dir "$T/s1/outbox.git" ls-tree -r --name-only "refs/heads/nodes/$ID" | grep '\.age$' | head -n1)
git --git-dir "$T/s1/outbox.git" show "refs/heads/nodes/$ID:$f" >"$T/b1.age"
git --git-dir "$T/s1/outbox.git" show "refs/heads/nodes/$ID:$f.minisig" >"$T/b1.age.minisig"
J "bundle inspect" --home "$T/aud" --json bundle inspect "$T/b1.age"
J "import (the auditor receives every bundle)" --home "$T/aud" --json import "$T/b1.age"
J "sync" --home "$T/s1" --json sync
J "sync (police)" --home "$T/pol" --json sync
J "hub merge" --home "$T/hub" --json hub merge
J "hub report" --home "$T/hub" --json hub report
t "hub report --json: a count is a number, \"<5\" or \"x\"" bash -c "jq -e '[.rows[].signals] | all(type == \"number\" or . == \"<5\" or . == \"x\")' '$T/.out'"
J "audit verify" --home "$T/aud" --json audit verify "$G" --hub-fingerprint "$FP"
J "audit flows" --home "$T/aud" --json audit flows "$G" --hub-fingerprint "$FP"
J "audit replay" --home "$T/aud" --json audit replay "$G" --hub-fingerprint "$FP"
J "hub revoke" --home "$T/hub" --json hub revoke "$(V "$T/pol" --json whoami | jq -r .node_id)"
git --git-dir "$G" show registry:covenant.json | jq '.version = 2' >"$T/cov2.json"
J "hub covenant set" --home "$T/hub" --json hub covenant set "$T/cov2.json"

# --- passphrase ------------------------------------------------------------------
VIOS_NEW_PASSPHRASE='json passphrase 2' J "passphrase change" --home "$T/aud" --json passphrase change
t "passphrase change --json names the node" bash -c "jq -e '.passphrase == \"changed\" and (.node_id|length) > 0' '$T/.out'"
V "$T/fresh" --json init --kind auditor --name fresh --kdf interactive >"$T/fresh.json"
CODE=$(jq -r .recovery_code "$T/fresh.json")
VIOS_NEW_PASSPHRASE='json passphrase 3' J "passphrase recover" --home "$T/fresh" --json passphrase recover --recovery-code "$CODE"

# --- errors under --json: one JSON line on stderr, the same exit code -------------
JE "unknown command: exit 2 as JSON" 2 --home "$T/s1" --json nosuchcommand
JE "unknown global option: exit 2 as JSON" 2 --json --nosuch
JE "usage error inside a command: exit 2 as JSON" 2 --home "$T/s1" --json signal add --theme nosuch --note x
JE "--json after the command counts too" 2 --home "$T/s1" signal list --since yesterday --json
JE "a missing file: exit 1 as JSON" 1 --home "$T/s1" --json import "$T/nothing-here.age"
JE "a path with a quote in the message stays valid JSON" 1 --home "$T/hub" --json hub create "$G"
VIOS_PASSPHRASE=wrong JE "a wrong passphrase: exit 1 as JSON" 1 --home "$T/s1" --json whoami
head -c 1000 "$T/b1.age" >"$T/cut.age"; cp "$T/b1.age.minisig" "$T/cut.age.minisig"
JE "a bad signature: exit 3 as JSON" 3 --home "$T/pol" --json bundle inspect "$T/cut.age"
"$VIOS" --home "$T/s1" nosuchcommand >/dev/null 2>"$T/.err"
t "without --json the error stays text" grep -qx "vios: no command 'nosuchcommand' (see 'vios --help')" "$T/.err"

finish
