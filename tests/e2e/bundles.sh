#!/usr/bin/env bash
# Bundles: export, the stock tools on every bundle, import by the auditor
# and a partner, and every bad input (docs/architecture.md, "Bad input") that concerns
# bundles: one line, exit 1 or 3, digest unchanged.
. "$(dirname "$0")/lib.sh"
FORGE="$BUILD/tools/t_forge"

for n in "hub hub" "s1 school" "s2 school" "aud auditor" "pol partner police" "soc partner social-team" "lone school"; do
	set -- $n
	mk "$1" "$2" "${3:-}"
done
G="$T/hub.git"
content_covenant # the auditor replays and decrypts: scope content
V "$T/hub" hub create "$G" --covenant "$T/covenant-content.json" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in s1 s2 aud pol soc; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null
	V "$T/hub" hub enroll "$T/$n.req" >/dev/null
done
for n in s1 s2 aud pol soc lone; do V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null; done
ID=$(V "$T/s1" --json whoami | jq -r .node_id)
PK=$(V "$T/s1" --json whoami | jq -r .minisign_pubkey)
OB="$T/s1/outbox.git"
# bundle N of node S into dir D: files D/N.age and D/N.age.minisig
take() { # take NODE SEQ DIR
	local g="$T/$1/outbox.git" id f
	id=$(V "$T/$1" --json whoami | jq -r .node_id)
	mkdir -p "$3"
	f=$(printf 'bundles/%010d.age' "$2")
	git --git-dir "$g" show "refs/heads/nodes/$id:$f" >"$3/$(basename "$f")" &&
		git --git-dir "$g" show "refs/heads/nodes/$id:$f.minisig" >"$3/$(basename "$f").minisig"
}
dig() { V "$T/$1" digest ${2:+--category $2}; }

C="canary$RANDOM$RANDOM"
P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2011-05-14)
S=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner $C" --where around)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police --lead police)
V "$T/s1" agreement add --case "$CASE" --owner police --action "talk to the family" --due 2026-12-20 >/dev/null
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising --note "knives near the station" >/dev/null
t "export seals bundles" bash -c "'$VIOS' --home '$T/s1' --json export | jq -e '.bundles == 2'"
t "export again: nothing new" bash -c "'$VIOS' --home '$T/s1' --json export | jq -e '.bundles == 0'"
t "one commit per bundle on refs/heads/nodes/<id>" bash -c "[ \$(git --git-dir '$OB' rev-list --count refs/heads/nodes/$ID) -eq 2 ]"
t "commit message says only 'vios bundle <seq>', the author is the node id" bash -c "[ \"\$(git --git-dir '$OB' log -1 --format='%s|%b|%an' refs/heads/nodes/$ID)\" = 'vios bundle 2||$ID' ]"
take s1 1 "$T/b"; take s1 2 "$T/b"
allv=1; for f in "$T"/b/*.age; do minisign -Vq -P "$PK" -m "$f" || allv=0; done
t "stock minisign verifies every bundle" test "$allv" = 1
t "stock minisign shows the header as trusted comment" bash -c "minisign -V -P '$PK' -m '$T/b/0000000001.age' | grep -q 'Trusted comment: {.*\"sender\":\"$ID\"'"
V "$T/aud" identity export --secret -o "$T/aud.key" 2>/dev/null
alld=1; for f in "$T"/b/*.age; do age -d -i "$T/aud.key" "$f" | gunzip >"$T/ops.db" && sqlite3 "$T/ops.db" 'select count(*) from tables' >/dev/null || alld=0; done
t "stock age decrypts every bundle for the auditor into SQLite" test "$alld" = 1
# vios-payload-4: a table ops_<table> per table, one row per record, v_<column> its values
t "the ops database names the changes" bash -c "sqlite3 '$T/ops.db' \"select count(*) from ops_trend where v_theme='weapons'\" | grep -qx 1"
t "case data is not addressed to the hub" bash -c "minisign -V -P '$PK' -m '$T/b/0000000001.age' | sed -n 's/^Trusted comment: //p' | jq -e --arg hub \"\$('$VIOS' --home '$T/hub' --json whoami | jq -r .node_id)\" '(.categories | index(\"case\")) and (.recipients | index(\$hub) | not)'"
t "canary not in the outbox repository" bash -c "! grep -rqa '$C' '$OB'"
t "canary not in the home" bash -c "! grep -rqa '$C' '$T/s1'"

t "auditor imports" V "$T/aud" import "$T"/b/*.age
t "case digest equal school/auditor" bash -c "[ \"\$('$VIOS' --home '$T/s1' digest --category case)\" = \"\$('$VIOS' --home '$T/aud' digest --category case)\" ]"
t "theme digest equal school/auditor" bash -c "[ \"\$('$VIOS' --home '$T/s1' digest --category theme)\" = \"\$('$VIOS' --home '$T/aud' digest --category theme)\" ]"
t "police imports and sees the signal" bash -c "'$VIOS' --home '$T/pol' import '$T'/b/*.age >/dev/null && '$VIOS' --home '$T/pol' signal list | grep -q 'runner $C'"
t "importing the same bundles again changes nothing" bash -c "d=\$('$VIOS' --home '$T/pol' digest); '$VIOS' --home '$T/pol' import '$T'/b/*.age >/dev/null && [ \"\$('$VIOS' --home '$T/pol' digest)\" = \"\$d\" ]"
t "bundle inspect shows the verified header and contents" bash -c "'$VIOS' --home '$T/pol' bundle inspect '$T/b/0000000001.age' | grep -q 'pupil set'"

# not addressed to me: the social team takes no part in the case
D0=$(dig soc)
V "$T/soc" import "$T/b/0000000001.age" >/dev/null 2>"$T/err"; rc=$?
t "not addressed to me: exit 1, one line, says so" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'not addressed' '$T/err'"
t "not addressed to me: digest unchanged" test "$(dig soc)" = "$D0"
t "not addressed to me: inspect hides the contents" bash -c "'$VIOS' --home '$T/soc' bundle inspect '$T/b/0000000001.age' | grep -q 'contents not shown'"

# bad bundles against a fresh partner that has seen nothing
mk pol2 partner police
V "$T/pol2" identity export -o "$T/pol2.req" 2>/dev/null; V "$T/hub" hub enroll "$T/pol2.req" >/dev/null
V "$T/pol2" join "$G" --hub-fingerprint "$FP" >/dev/null
D0=$(dig pol2)
i=0
bad() { # bad "what" FILE.age [expected rc...]
	local what=$1 f=$2 rc
	i=$((i + 1))
	V "$T/pol2" import "$f" >/dev/null 2>"$T/err"; rc=$?
	t "bad bundle $i ($what): exit 1 or 3, one line, digest unchanged" bash -c "[ $rc -eq 3 -o $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && [ \"\$('$VIOS' --home '$T/pol2' digest)\" = '$D0' ]"
}
mut() { # mut NAME : copy bundle 1 to $T/m/NAME.age(.minisig)
	mkdir -p "$T/m"; cp "$T/b/0000000001.age" "$T/m/$1.age"; cp "$T/b/0000000001.age.minisig" "$T/m/$1.age.minisig"
}
flip() { # flip FILE OFFSET
	local b; b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
SZ=$(stat -c %s "$T/b/0000000001.age")
mut hdr; flip "$T/m/hdr.age" 40; bad "flipped bit in the age header" "$T/m/hdr.age"
mut body; flip "$T/m/body.age" $((SZ / 2)); bad "flipped bit in the payload" "$T/m/body.age"
mut tail; flip "$T/m/tail.age" $((SZ - 3)); bad "flipped bit in the last chunk" "$T/m/tail.age"
mut sig; flip "$T/m/sig.age.minisig" 60; bad "flipped bit in the signature" "$T/m/sig.age"
mut tc; sed -i 's/"seq":1/"seq":7/' "$T/m/tc.age.minisig"; bad "altered trusted comment" "$T/m/tc.age"
mut gs; L=$(sed -n 4p "$T/m/gs.age.minisig"); sed -i "4s|.*|$(tr 'A-Za-z' 'B-ZAb-za' <<<"${L:0:20}")${L:20}|" "$T/m/gs.age.minisig"; bad "altered global signature" "$T/m/gs.age"
mut trunc; head -c $((SZ - 20)) "$T/b/0000000001.age" >"$T/m/trunc.age"; bad "truncated" "$T/m/trunc.age"
mut nosig; rm "$T/m/nosig.age.minisig"; bad "no signature" "$T/m/nosig.age"
# another signer: a minisign key of its own signs the same file and comment
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
mut other; minisign -S -s "$T/other.key" -m "$T/m/other.age" -x "$T/m/other.age.minisig" -t "$(sed -n 's/^trusted comment: //p' "$T/b/0000000001.age.minisig")" >/dev/null 2>&1
bad "signed by another key" "$T/m/other.age"
t "another signer is named as a signature failure" grep -q "signature" "$T/err"

# skipped seq: held, not applied, then released when the gap fills
V "$T/pol2" import "$T/b/0000000002.age" >/dev/null 2>"$T/err"; rc=$?
t "skipped seq: exit 1, one line, held" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q held '$T/err'"
t "skipped seq: digest unchanged" test "$(dig pol2)" = "$D0"
# (pol2 was enrolled after seq 1 and 2 were sealed: neither is addressed to it)
t "the gap fills: the held bundle follows" bash -c "'$VIOS' --home '$T/pol2' import '$T/b/0000000001.age' | grep -q '1 held bundle applied after it'"
t "the held bundle was recorded in order" bash -c "'$VIOS' --home '$T/pol2' log | grep -q 'bundle seq 2, not addressed'"

# from here on the senders know pol2: they fetch the registry again and approve it
# (docs/governance.md); their next export sends it what it may hold first
for n in s1 s2; do
	V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null
	V "$T/$n" covenant approve --node "$(V "$T/pol2" --json whoami | jq -r .node_id)" >/dev/null
done

# a fork: the school's home copied, both copies export a different seq 3
cp -a "$T/s1" "$T/s1fork"
V "$T/s1" trend add --theme alcohol --period 2026-11 --level stable >/dev/null; V "$T/s1" export >/dev/null
V "$T/s1fork" trend add --theme sexting --period 2026-11 --level rising >/dev/null; V "$T/s1fork" export >/dev/null
take s1 3 "$T/b"; take s1fork 3 "$T/fork"
t "seq 3 imports" V "$T/pol2" import "$T/b/0000000003.age"
# seq 3 is the state s1 sent pol2 on approving it; seq 4 the new trend
take s1 4 "$T/b"
t "seq 4 imports" V "$T/pol2" import "$T/b/0000000004.age"
D1=$(dig pol2)
V "$T/pol2" import "$T/fork/0000000003.age" >/dev/null 2>"$T/err"; rc=$?
t "fork (another bundle with seq 3): exit 3, one line naming it" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q fork '$T/err'"
t "fork: digest unchanged" test "$(dig pol2)" = "$D1"
V "$T/pol2" import "$T/b/0000000001.age" >/dev/null 2>&1
t "replaying an imported bundle is harmless" test "$(dig pol2)" = "$D1"

# not enrolled: a school that joined but was never enrolled
V "$T/lone" trend add --theme nuisance --period 2026-11 --level rising >/dev/null
V "$T/lone" export >/dev/null 2>&1
take lone 1 "$T/lone.b" 2>/dev/null
D0=$(dig pol2)
bad "sender not enrolled" "$T/lone.b/0000000001.age"
t "not enrolled is named" grep -q "not enrolled" "$T/err"

# revoked: s2 sends seq 1, is revoked, then sends seq 2
V "$T/s2" trend add --theme vandalism --period 2026-11 --level rising >/dev/null; V "$T/s2" export >/dev/null
S2ID=$(V "$T/s2" --json whoami | jq -r .node_id)
# the hub holds seq 1 (pushed with the git CLI: sync is another issue's)
git --git-dir "$T/s2/outbox.git" push -q "$G" "refs/heads/nodes/$S2ID:refs/heads/nodes/$S2ID"
V "$T/hub" hub revoke "$S2ID" >/dev/null
V "$T/s2" trend add --theme crime --period 2026-11 --level falling >/dev/null; V "$T/s2" export >/dev/null
take s2 1 "$T/s2.b"; take s2 2 "$T/s2.b"
V "$T/pol2" join "$G" --hub-fingerprint "$FP" >/dev/null
t "a revoked sender's seq up to the revocation is accepted" V "$T/pol2" import "$T/s2.b/0000000001.age"
D0=$(dig pol2)
bad "revoked sender, later seq" "$T/s2.b/0000000002.age"
t "revocation is named" grep -q "revoked" "$T/err"

# payloads signed by an enrolled node that a reader must refuse
for kind in bomb extra-table trigger view not-sqlite not-gzip opcount; do
	rm -rf "$T/$kind" && cp -a "$T/s1" "$T/$kind"
	seq=$("$FORGE" "$T/$kind" "$kind") || { t "t_forge $kind" false; continue; }
	take "$kind" "$seq" "$T/$kind.b"
	bad "payload: $kind" "$T/$kind.b/$(printf '%010d' "$seq").age"
	case $kind in
	bomb) t "a gzip bomb is named" grep -q "gzip bomb" "$T/err" ;;
	extra-table | trigger | view) t "a payload with a $kind is named" grep -q "schema" "$T/err" ;;
	esac
done
t "conflicts command" V "$T/s1" conflicts
finish
