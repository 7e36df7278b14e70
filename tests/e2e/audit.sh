#!/usr/bin/env bash
# The audit (docs/architecture.md; docs/formats.md): after a multi-school scenario
# (hub, two schools, police, social team, auditor; cases, trends, a new
# covenant half-way, syncs, hub merges) the auditor verifies the hub
# repository, lists every flow, and replays the history: the replayed
# digest equals the hub's for theme data and each school's for its case
# data, and a replay up to an earlier time equals what the school held
# then. Tampering made with the plain git CLI on copies of the hub
# repository is caught: a rewritten and force-pushed ref (against a
# checkpoint), a deleted bundle commit, a bundle re-signed by another
# enrolled node, a changed bundle; a node that signs flows its covenant
# forbids is named. Bad input: one line, exit 1 (or 2 for usage).
. "$(dirname "$0")/lib.sh"
SIGN="$BUILD/tools/t_sign"
export TMPDIR="$T/tmp"   # the audit's working directories, to check they go
mkdir -p "$TMPDIR"
export GIT_AUTHOR_NAME=tamper GIT_AUTHOR_EMAIL=tamper@example.invalid
export GIT_COMMITTER_NAME=tamper GIT_COMMITTER_EMAIL=tamper@example.invalid

for n in "hub hub" "s1 school" "pol partner police" "soc partner social-team" "aud auditor" "fresh auditor"; do
	set -- $n
	mk "$1" "$2" "${3:-}"
done
# the second school's name needs quoting in CSV
V "$T/s2" init --kind school --name 'De "Brug", Noord' --kdf interactive >"$T/s2.init"
G="$T/hub.git"
content_covenant # the auditor replays and decrypts: scope content
V "$T/hub" hub create "$G" --covenant "$T/covenant-content.json" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
nid() { V "$T/$1" --json whoami | jq -r .node_id; }
# every node enrolled before any joins: each approves all of them at join (docs/governance.md)
for n in s1 s2 pol soc aud; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null
done
for n in s1 s2 pol soc aud; do V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null; done
S1=$(nid s1) S2=$(nid s2) POL=$(nid pol) SOC=$(nid soc) AUD=$(nid aud) HUB=$(nid hub)
dig() { V "$T/$1" digest ${2:+--category $2}; }
A() { V "$T/aud" audit "$@"; }
syncall() { for n in "$@"; do V "$T/$n" sync >/dev/null || echo "     sync $n failed"; done; }

# --- round 1: cases at both schools, trends, partners at work -------------------
P1=$(V "$T/s1" pupil add --name "Pupil One" --birth 2011-05-14)
G1=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P1" --note "runner" --where around --severity high)
C1=$(V "$T/s1" case open --basis public-task --pupil "$P1" --signals "$G1" --roles police --lead police)
AG1=$(V "$T/s1" agreement add --case "$C1" --owner police --action "home visit" --due 2026-12-20)
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising --note "knives near the station" >/dev/null
P2=$(V "$T/s2" pupil add --name "Pupil Two" --birth 2010-02-01)
G2=$(V "$T/s2" signal add --basis public-task --parents-informed yes --theme exploitation --pupil "$P2" --note "older boyfriend" --severity high)
C2=$(V "$T/s2" case open --basis public-task --pupil "$P2" --signals "$G2" --roles social-team,police --lead social-team)
V "$T/s2" agreement add --case "$C2" --owner social-team --action "talk to parents" --due 2026-12-10 >/dev/null
V "$T/s2" signal add --theme alcohol --note "bottles behind the gym" --where around >/dev/null
V "$T/s2" trend add --theme alcohol --period 2026-11 --level stable >/dev/null
syncall s1 s2 pol soc
V "$T/pol" agreement done "$AG1" --feedback "visited the family" >/dev/null
V "$T/soc" trend add --theme street-culture --period 2026-11 --level rising --note "groups at the square" >/dev/null
syncall pol soc s2
V "$T/hub" hub merge >/dev/null
syncall s1
D1=$(dig s1) D1C=$(dig s1 case)
T1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 1.2

# --- a new covenant: the social team no longer receives case data -----------------
cat >"$T/cov2.json" <<'EOF'
{ "format": "vios-covenant-1", "version": 2, "title": "VIOS covenant, social team off case data",
  "parties": ["school", "police", "youth-protection", "social-team", "attendance", "youth-work", "municipality"],
  "receives": { "theme": ["hub", "auditor", "police", "youth-protection", "social-team", "attendance", "youth-work", "municipality"],
                "case": ["auditor", "police", "youth-protection", "attendance", "youth-work", "municipality"] },
  "case_scope": "roles-in-case", "hub_role": null, "retention_months": {"theme": 60, "case": 24} }
EOF
t "hub publishes covenant v2 (social team off case data)" V "$T/hub" hub covenant set "$T/cov2.json"
approve_all s1 s2 pol soc

# --- round 2 ------------------------------------------------------------------------
V "$T/s1" case status "$C1" discussed >/dev/null
V "$T/s1" trend add --theme vandalism --period 2026-12 --level falling >/dev/null
V "$T/s2" case status "$C2" discussed >/dev/null
V "$T/s2" trend add --theme crime --period 2026-12 --level stable >/dev/null
syncall s1 s2 pol soc
V "$T/pol" agreement add --case "$C1" --owner police --action "talk to the mentor" --due 2026-12-22 >/dev/null
syncall pol s1 s2 soc
V "$T/hub" hub merge >/dev/null
syncall aud
count_bundles() {
	NB=0
	for r in $(git --git-dir "$G" for-each-ref --format='%(refname)' refs/heads/nodes/); do
		NB=$((NB + $(git --git-dir "$G" rev-list --count "$r")))
	done
}
count_bundles
NREF=$(git --git-dir "$G" for-each-ref refs/heads/nodes/ | grep -c .)
REGV=$(git --git-dir "$G" rev-list --count refs/heads/registry)

# --- verify -------------------------------------------------------------------------
snap() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }
snap "$G" >"$T/before"
V "$T/aud" audit verify "$G" --checkpoint "$T/cp.json" >"$T/out" 2>"$T/err"; rc=$?
t "verify: the clean hub verifies (exit 0)" test "$rc" -eq 0
t "verify: one summary line with the counts" grep -qx "verified: $REGV registry versions, $NREF nodes, $NB bundles, no findings" "$T/out"
t "verify: the root is the hub's pinned fingerprint" grep -q "hub root key $FP (pinned)" "$T/out"
t "verify: nothing on stderr" test ! -s "$T/err"
t "verify: the checkpoint is written, format first" bash -c "head -2 '$T/cp.json' | grep -q '\"format\": \"vios-audit-checkpoint-2\"' && jq -e '.nodes[\"$S1\"].last_seq >= 3 and .registry.version == $REGV' '$T/cp.json'"
snap "$G" >"$T/after"
t "verify never writes to the audited repository" cmp -s "$T/before" "$T/after"
t "verify and flows need no passphrase; the auditor's home still pins the hub" bash -c "env -u VIOS_PASSPHRASE '$VIOS' --home '$T/aud' audit verify '$G' </dev/null | grep -q 'hub root key $FP (pinned)' && env -u VIOS_PASSPHRASE '$VIOS' --home '$T/aud' audit flows '$G' </dev/null >/dev/null"
t "replay does need the auditor's passphrase" bash -c "! env -u VIOS_PASSPHRASE '$VIOS' --home '$T/aud' audit replay '$G' </dev/null 2>/dev/null"
"$VIOS" --home "$T/nobody" audit verify "$G" >"$T/out" 2>&1; rc=$?
t "verify without a home: trusts the first registry commit and says so" bash -c "[ $rc -eq 0 ] && grep -q 'hub root key $FP (trusted on first use' '$T/out'"
t "verify over file:// with --hub-fingerprint" "$VIOS" --home "$T/nobody" audit verify "file://$G" --hub-fingerprint "$FP"
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$T" --export-all \
		--pid-file="$T/daemon.pid" --detach "$T" 2>/dev/null && break
done
CLEANUP='kill $(cat "$T/daemon.pid" 2>/dev/null) 2>/dev/null'
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$PORT/hub.git" >/dev/null 2>&1 && break; sleep 0.1; done
t "verify over git:// (fetched into the private mirror)" bash -c "'$VIOS' --home '$T/aud' audit verify 'git://127.0.0.1:$PORT/hub.git' | grep -qx 'verified: $REGV registry versions, $NREF nodes, $NB bundles, no findings'"
t "replay over git:// equals replay from the path" test "$(A replay "git://127.0.0.1:$PORT/hub.git")" = "$(A replay "$G")"
t "verify --json: counts and no findings" bash -c "'$VIOS' --home '$T/aud' --json audit verify '$G' | jq -e '.findings == [] and .bundles == $NB and .root == \"$FP\"'"
t "verify again with the checkpoint after more history" bash -c "'$VIOS' --home '$T/s1' trend add --theme other --period 2026-12 --level stable >/dev/null && '$VIOS' --home '$T/s1' sync >/dev/null && '$VIOS' --home '$T/aud' audit verify '$G' --checkpoint '$T/cp.json' >/dev/null"
syncall pol soc s2
V "$T/hub" hub merge >/dev/null
syncall aud
count_bundles

# --- flows --------------------------------------------------------------------------
t "flows: a table, one row per bundle" bash -c "[ \$('$VIOS' --home '$T/aud' audit flows '$G' | grep -c ' yes\$') -eq $NB ]"
t "flows --csv: a header line and one row per bundle" bash -c "'$VIOS' --home '$T/aud' audit flows '$G' --csv '$T/flows.csv' >/dev/null && [ \$(wc -l <'$T/flows.csv') -eq $((NB + 1)) ] && head -1 '$T/flows.csv' | grep -qx 'time,sender,sender_name,sender_role,recipients,categories,ops,covenant_version,compliant'"
cat >"$T/csv.sql" <<EOF
.mode csv
.import $T/flows.csv f
SELECT count(*), sum(compliant = 'yes'), sum(sender_name = 'De "Brug", Noord'), sum(recipients LIKE '%De "Brug", Noord%') FROM f;
EOF
FS=$(V "$T/aud" --json audit flows "$G" | jq -r "[length, length, (map(select(.sender==\"$S2\")) | length), (map(select(.recipients|index(\"$S2\"))) | length)] | map(tostring) | join(\",\")")
t "flows --csv parses as CSV (sqlite3): quoted names, all compliant" test "$(sqlite3 :memory: <"$T/csv.sql")" = "$FS"
t "flows: every case bundle of school 1 went to the school, the police and the auditor only" bash -c "'$VIOS' --home '$T/aud' --json audit flows '$G' | jq -e '[.[] | select(.sender==\"$S1\" and .categories==[\"case\"])] | length > 1 and all((.recipients|sort) == ([\"$S1\",\"$POL\",\"$AUD\"]|sort))'"
t "flows: case bundles of school 2 under covenant 1 reach the social team, under covenant 2 not" bash -c "'$VIOS' --home '$T/aud' --json audit flows '$G' | jq -e '[.[] | select(.sender==\"$S2\" and (.categories|index(\"case\")))] | (map(select(.covenant_version==1)) | all(.recipients|index(\"$SOC\"))) and (map(select(.covenant_version==2)) | length > 0 and all(.recipients|index(\"$SOC\")|not))'"
t "flows --json: time, sender, role, recipients, categories, ops, covenant, compliant" bash -c "'$VIOS' --home '$T/aud' --json audit flows '$G' | jq -e 'length == $NB and all(.time and .sender and .sender_role and (.recipients|length>0) and (((.categories|length) > 0 and .ops > 0) or (.categories == [] and .ops == 0)) and .covenant_version and .compliant)'"

# --- replay -------------------------------------------------------------------------
t "replay: theme digest equals the hub's" test "$(A replay "$G" --category theme)" = "$(dig hub theme)"
t "replay: the whole history equals the auditor's own store" test "$(A replay "$G")" = "$(dig aud)"
t "replay --for s1: case digest equals school 1's" test "$(A replay "$G" --for s1 --category case)" = "$(dig s1 case)"
t "replay --for school 2 (by id): case digest equals school 2's" test "$(A replay "$G" --for "$S2" --category case)" = "$(dig s2 case)"
t "replay --for pol: equals the police's whole store" test "$(A replay "$G" --for pol)" = "$(dig pol)"
t "replay --for soc: equals the social team's whole store" test "$(A replay "$G" --for soc)" = "$(dig soc)"
t "replay: both schools' cases are not one school's" test "$(A replay "$G" --category case)" != "$(dig s1 case)"
t "replay --until T1 --for s1 equals the digest school 1 had then" test "$(A replay "$G" --until "$T1" --for s1)" = "$D1"
t "replay --until T1 --for s1 --category case equals its case digest then" test "$(A replay "$G" --until "$T1" --for s1 --category case)" = "$D1C"
t "replay --until T1 differs from now (history moved on)" test "$D1" != "$(dig s1)"
t "replay --until a day before everything: the empty state" test "$(A replay "$G" --until 2000-01-01)" = "$(dig fresh)"
t "replay --until a later day: everything" test "$(A replay "$G" --until 2999-12-31)" = "$(dig aud)"
t "replay --json" bash -c "'$VIOS' --home '$T/aud' --json audit replay '$G' --category theme | jq -e '.bundles_applied == $NB and .left_out == 0 and .category == \"theme\"'"
t "the audit leaves no working directory behind" bash -c "! ls -d '$TMPDIR'/vios-audit.* 2>/dev/null | grep -q ."

# --- tampering with the plain git CLI (each on a copy of the hub repository) -----------
copy() { rm -rf "$T/$1.git" "$T/$1"; cp -a "$G" "$T/$1.git"; git clone -q --branch "nodes/$2" "$T/$1.git" "$T/$1"; }
finding() { grep -q "^finding: node $1 seq $2: .*$3" "$T/out"; }
runv() { "$VIOS" --home "$T/aud" audit verify "$@" >"$T/out" 2>"$T/err"; echo $?; }

# 1. a node ref rewritten and force-pushed: caught against the checkpoint
copy rw "$S1"
git -C "$T/rw" reset -q --hard HEAD~1
git -C "$T/rw" push -q -f origin "HEAD:refs/heads/nodes/$S1" 2>/dev/null
cp "$T/cp.json" "$T/cp.saved"
t "rewritten ref: a shorter, consistent chain verifies without a checkpoint" test "$(runv "$T/rw.git")" -eq 0
rc=$(runv "$T/rw.git" --checkpoint "$T/cp.json")
t "rewritten ref: caught against the checkpoint (exit 3), naming the ref" bash -c "[ $rc -eq 3 ] && grep -q '^finding: node $S1: ref refs/heads/nodes/$S1 was rewritten since the checkpoint' '$T/out'"
t "rewritten ref: one error line on stderr" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: error: 1 finding' '$T/err'"
t "rewritten ref: the checkpoint is not updated" cmp -s "$T/cp.json" "$T/cp.saved"
git --git-dir "$T/rw.git" update-ref refs/heads/registry refs/heads/registry~1
rc=$(runv "$T/rw.git" --checkpoint "$T/cp.json")
t "rewritten registry: caught against the checkpoint" bash -c "[ $rc -eq 3 ] && grep -q '^finding: registry: refs/heads/registry was rewritten since the checkpoint' '$T/out'"

# 2. a deleted bundle commit: the ref rebuilt without it and force-pushed
copy del "$S1"
N=$(git -C "$T/del" rev-list --count HEAD)
git -C "$T/del" rebase -q --onto HEAD~3 HEAD~2 >/dev/null 2>&1
git -C "$T/del" push -q -f origin "HEAD:refs/heads/nodes/$S1" 2>/dev/null
K=$((N - 2))
rc=$(runv "$T/del.git")
t "deleted bundle commit: exit 3" test "$rc" -eq 3
t "deleted bundle commit: the missing seq is named" finding "$S1" $((K + 1)) "seq $K is missing"
rc=$(V "$T/aud" audit replay "$T/del.git" >/dev/null 2>"$T/err"; echo $?)
t "deleted bundle commit: replay stops the chain there (exit 3, one line)" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'left out of the replay' '$T/err'"

# 3. a bundle re-signed by another enrolled node (stock minisign agrees it is the police's)
copy resig "$S1"
LAST=$(printf 'bundles/%010d.age' "$(git -C "$T/resig" rev-list --count HEAD)")
COMMENT=$(sed -n 's/^trusted comment: //p' "$T/resig/$LAST.minisig")
"$SIGN" sign "$T/pol" "$T/resig/$LAST" "$COMMENT" >"$T/resig/$LAST.minisig"
printf 'untrusted comment: police\n%s\n' "$(V "$T/pol" --json whoami | jq -r .minisign_pubkey)" >"$T/pol.pub"
t "re-signed: stock minisign verifies the police's signature" minisign -Vq -p "$T/pol.pub" -m "$T/resig/$LAST"
git -C "$T/resig" commit -q -a --amend --no-edit
git -C "$T/resig" push -q -f origin "HEAD:refs/heads/nodes/$S1" 2>/dev/null
rc=$(runv "$T/resig.git")
t "re-signed by another node: exit 3, the signer named" bash -c "[ $rc -eq 3 ] && grep -q 'signed by node $POL (\"pol\", police), not by its sender' '$T/out'"

# 4. a bundle changed in a later commit
copy mod "$S1"
printf x >>"$T/mod/bundles/0000000001.age"
git -C "$T/mod" commit -q -a -m "fix"
git -C "$T/mod" push -q origin "HEAD:refs/heads/nodes/$S1" 2>/dev/null
rc=$(runv "$T/mod.git")
t "changed bundle: exit 3, the commit and the file named" bash -c "[ $rc -eq 3 ] && grep -q 'modifies bundles/0000000001.age: a bundle once committed never changes' '$T/out'"

# 5. a node that signs flows its covenant forbids (its own valid signature)
rm -rf "$T/flow.git"; cp -a "$G" "$T/flow.git"
SEQ_SOC=$("$SIGN" seal "$T/s2" "$S2,$AUD,$SOC" 2 case)
SEQ_HUB=$("$SIGN" seal "$T/s2" "$S2,$AUD,$HUB" 2 case)
SEQ_NOAUD=$("$SIGN" seal "$T/s2" "$S2,$POL" 2 case)
SEQ_COV=$("$SIGN" seal "$T/s2" "$S2,$AUD" 9 theme)
t "the school pushes its forged flows (to a copy of the hub)" V "$T/s2" sync --via "$T/flow.git"
rc=$(runv "$T/flow.git")
t "forbidden flows: exit 3" test "$rc" -eq 3
t "case data to a role covenant v2 excludes" finding "$S2" "$SEQ_SOC" "addressed to partner $SOC (\"soc\", role social-team), which the covenant does not allow: covenant v2 does not let role social-team receive case data"
t "case data to the hub without a hub role" finding "$S2" "$SEQ_HUB" "covenant v2 gives the hub no role for case data"
t "a bundle without the auditor" finding "$S2" "$SEQ_NOAUD" "the auditor $AUD (\"aud\"), enrolled at .*, is not among its recipients"
t "a covenant version never published" finding "$S2" "$SEQ_COV" "names covenant version 9, which no registry version published"
t "exactly those four findings" test "$(grep -c '^finding:' "$T/out")" -eq 4
t "flows marks exactly those four bundles not compliant" bash -c "[ \$('$VIOS' --home '$T/aud' audit flows '$T/flow.git' --csv - | grep -c ',no\$') -eq 4 ]"
t "replay still applies them (the data did flow): exit 0" V "$T/aud" audit replay "$T/flow.git"

# --- bad input ------------------------------------------------------------------------
"$VIOS" --home "$T/nobody" audit verify "$T/nowhere.git" >"$T/out" 2>"$T/err"; rc=$?
t "an unreachable path: exit 1, one line, nothing on stdout" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: error: ' '$T/err' && [ ! -s '$T/out' ]"
"$VIOS" --home "$T/nobody" audit flows "git://127.0.0.1:1/hub.git" >"$T/out" 2>"$T/err"; rc=$?
t "an unreachable URL: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
git init -q --bare "$T/plain.git"
"$VIOS" --home "$T/nobody" audit verify "$T/plain.git" >"$T/out" 2>"$T/err"; rc=$?
t "a git repository that is no hub: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'not a vios hub' '$T/err'"
rc=$(runv "$G" --hub-fingerprint "$(V "$T/pol" --json whoami | jq -r .fingerprint)")
t "another hub fingerprint: exit 3, one finding" bash -c "[ $rc -eq 3 ] && [ \$(grep -c '^finding:' '$T/out') -eq 1 ] && grep -q 'not the trusted' '$T/out'"
echo '{"format": "something-else"}' >"$T/badcp.json"
"$VIOS" --home "$T/nobody" audit verify "$G" --checkpoint "$T/badcp.json" >/dev/null 2>"$T/err"; rc=$?
t "a file that is no checkpoint: refused, one line" bash -c "[ $rc -ne 0 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'not a vios audit checkpoint' '$T/err'"
"$VIOS" --home "$T/nobody" audit replay "$G" >/dev/null 2>"$T/err"; rc=$?
t "replay without a home: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
for bad in "audit" "audit check $G" "audit verify" "audit verify $G $G" "audit flows $G --until 2026-01-01" "audit replay $G --until yesterday" "audit replay $G --category other"; do
	"$VIOS" --home "$T/aud" $bad >/dev/null 2>"$T/err"; rc=$?
	[ "$rc" -eq 2 ] && [ "$(grep -c . "$T/err")" -eq 1 ] || { echo "     '$bad': exit $rc"; cat "$T/err"; }
	[ "$rc" -eq 2 ] || rc=x
	t "usage error exits 2: vios $bad" test "$rc" = 2
done
finish
