#!/usr/bin/env bash
# The mandate (docs/mandate.md), end to end, against an enrolled police node
# that seals hostile op sets with its own valid keys (tests/tools/t_forge.c
# 'ops'): each attack is refused whole at the school (vios sync exit 3, one
# alarm naming sender, seq and the op; digest unchanged; the bundle in
# quarantine, listed by vios status), at the hub for what the hub can read
# (theme data), and at the auditor's import; 'vios audit verify' names each
# op (exit 3) and 'vios audit flows' marks each bundle compliant=no. A
# refused bundle holds its sender's later bundles behind it (at every node
# and in the audit's replay), so each attack comes from its own police node
# (p1..p9, all enrolled, all police). The legitimate flows still work: the
# social team (lead and owner of an agreement) marks its agreement done with
# feedback and moves the case it leads to in-progress, and both reach the
# school.
. "$(dirname "$0")/lib.sh"
FORGE="$BUILD/tools/t_forge"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

ATTACKS="rename tombstone roles close reopen agreement count trend header"
POLS="p1 p2 p3 p4 p5 p6 p7 p8 p9"
nodes "hub hub" "s1 school" "soc partner social-team" "aud auditor"
for p in $POLS; do mk "$p" partner police; done
hub_world s1 soc aud $POLS
S1=$(nid s1) SOC=$(nid soc) AUD=$(nid aud) HUB=$(nid hub)
declare -A PID
for p in $POLS; do PID[$p]=$(nid "$p"); done
dig() { V "$T/$1" digest ${2:+--category $2}; }

# --- the school's records ----------------------------------------------------------
P1=$(V "$T/s1" pupil add --name "Pupil One" --birth 2011-05-14)
G1=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P1" --note "runner" --where around --severity high)
C1=$(V "$T/s1" case open --basis public-task --pupil "$P1" --signals "$G1" --roles police,social-team --lead social-team)
AG1=$(V "$T/s1" agreement add --case "$C1" --owner social-team --action "talk to parents" --due 2026-12-10)
P2=$(V "$T/s1" pupil add --name "Pupil Two" --birth 2010-02-01)
C2=$(V "$T/s1" case open --basis public-task --parents-informed yes --pupil "$P2" --roles police --lead police)
V "$T/s1" case status "$C2" closed >/dev/null
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null
for n in s1 soc aud; do V "$T/$n" sync >/dev/null; done
V "$T/hub" hub merge >/dev/null
C3=$(V "$T/s1" case open --basis public-task --parents-informed yes --pupil "$P2" --roles police --lead police)
for n in s1 soc aud; do V "$T/$n" sync >/dev/null; done

# --- the legitimate flows: the social team answers for its agreement and moves the case it leads
V "$T/s1" case status "$C1" discussed >/dev/null
V "$T/s1" sync >/dev/null
V "$T/soc" sync >/dev/null
t "the social team marks its agreement done with feedback" V "$T/soc" agreement done "$AG1" --feedback "parents seen, plan agreed"
t "the social team (lead) moves the case to in-progress" V "$T/soc" case status "$C1" in-progress
t "the social team syncs" V "$T/soc" sync
t "the school takes both (sync exit 0)" V "$T/s1" sync
t "the school holds the agreement done, with the feedback" bash -c "'$VIOS' --home '$T/s1' --json agreement list | jq -e '.[] | select(.id==\"$AG1\") | .status==\"done\" and .feedback==\"parents seen, plan agreed\"'"
t "the school holds the case in progress" bash -c "'$VIOS' --home '$T/s1' --json case list | jq -e '.[] | select(.id==\"$C1\") | .status==\"in-progress\"'"
for n in aud; do V "$T/$n" sync >/dev/null; done
V "$T/hub" hub merge >/dev/null

# --- the attacks ------------------------------------------------------------------------
# count_id ORIGIN MONTH THEME: the id every node derives for a signal count (crdt/mandate.h)
count_id() {
	python3 - "$@" <<'PY'
import hashlib, sys
h = hashlib.blake2b(digest_size=16, key=b"vios-signal-count")
for part in sys.argv[1:]:
    h.update(part.encode() + b"\0")
b = bytearray(h.digest())
b[6] = 0x80 | (b[6] & 0x0F)
b[8] = 0x80 | (b[8] & 0x3F)
x = b.hex()
print(f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}")
PY
}
MONTH=$(date -u +%Y-%m)
CNT=$(count_id "$S1" "$MONTH" drugs-trade)
NEWT=$(python3 -c 'import uuid; print(uuid.uuid4())')
NEWS=$(python3 -c 'import uuid; print(uuid.uuid4())')
set_op() { jq -nc --arg t "$1" --arg p "$2" --arg c "$3" --argjson v "$4" '{kind:"set", tbl:$t, pk:$p, col:$c, value:$v}'; }
# plan NAME: the police node, the op set, the header categories, whether the hub reads it,
# and the op the refusal names
declare -A POL OPS CATS HUBREADS NAMES
i=0
for a in $ATTACKS; do i=$((i + 1)); POL[$a]=p$i; done
OPS[rename]="[$(set_op pupil "$P1" name '"Renamed by the police"')]"
NAMES[rename]="op 1 of 1 (set pupil.name of $P1): the police role may not change the name of a pupil owned by s1"
OPS[tombstone]="[{\"kind\":\"delete\",\"tbl\":\"signal\",\"pk\":\"$G1\"}]"
NAMES[tombstone]="op 1 of 1 (delete signal.* of $G1): the police role may not delete a signal owned by s1"
OPS[roles]="[$(set_op case_file "$C1" roles '"police,social-team,youth-work"')]"
NAMES[roles]="op 1 of 1 (set case_file.roles of $C1): the police role may not change the roles of a case owned by s1"
OPS[close]="[$(set_op case_file "$C3" status '"closed"')]"
NAMES[close]="op 1 of 1 (set case_file.status of $C3): the police role may not move a case owned by s1 to closed, though it leads the case"
# a client that saw the case closed writes its status over the close: its base is the close
OPS[reopen]="[$(set_op case_file "$C2" status '"monitoring"' | jq -c '. + {base: "held"}')]"
NAMES[reopen]="op 1 of 1 (set case_file.status of $C2): the police role may not reopen a case owned by s1: closed is final"
OPS[agreement]="[$(set_op agreement "$AG1" status '"done"'),$(set_op agreement "$AG1" feedback '"done, says the police"')]"
NAMES[agreement]="op 1 of 2 (set agreement.status of $AG1): the police role may not change the status of an agreement owned by s1"
OPS[count]="[$(set_op signal_count "$CNT" origin "\"$S1\""),$(set_op signal_count "$CNT" month "\"$MONTH\""),$(set_op signal_count "$CNT" theme '"drugs-trade"'),$(set_op signal_count "$CNT" signals 99)]"
NAMES[count]="op 1 of 4 (set signal_count.origin of $CNT): the police role may not make a signal count in another node's name (origin)"
HUBREADS[count]=1 HUBREADS[trend]=1
CATS[count]=theme CATS[trend]=theme CATS[header]=case
for a in rename tombstone roles close reopen agreement; do CATS[$a]=case; done
OPS[trend]="[$(set_op trend "$NEWT" origin "\"${PID[p8]}\""),$(set_op trend "$NEWT" theme '"weapons"'),$(set_op trend "$NEWT" period "\"$MONTH\""),$(set_op trend "$NEWT" level '"rising"')]"
NAMES[trend]="op 1 of 4 (set trend.origin of $NEWT): the police role may not make a trend"
OPS[header]="[$(set_op signal "$NEWS" origin "\"${PID[p9]}\""),$(set_op signal "$NEWS" pupil_id null),$(set_op signal "$NEWS" theme '"alcohol"'),$(set_op signal "$NEWS" note '"bottles at the gate"'),$(set_op signal "$NEWS" seen_at "\"$(date -u +%F)\"")]"
NAMES[header]="the header names case data but the ops are theme data"

# has TEXT FILE: FILE holds TEXT (fixed string)
has() { grep -qF -- "$1" "$2"; }
# one_line_has TEXT FILE: FILE is one line, holding TEXT
one_line_has() { one_line "$2" && has "$1" "$2"; }
# quarantined HOME SENDER SEQ REASON: vios status lists it, with its reason
quarantined() {
	V "$1" --json status | jq -e --arg s "$2" --argjson q "$3" --arg r "$4" \
		'.quarantined | any(.sender == $s and .seq == $q and .reason == $r)' >/dev/null
}
# fetch_bundle NAME ID SEQ: the bundle as the hub holds it, to $T/NAME.age(.minisig)
fetch_bundle() {
	local f
	f=$(printf 'bundles/%010d.age' "$3")
	git --git-dir "$G" show "refs/heads/nodes/$2:$f" >"$T/$1.age" &&
		git --git-dir "$G" show "refs/heads/nodes/$2:$f.minisig" >"$T/$1.age.minisig"
}

# A sync raises one alarm for the bundle it refuses (exit 3); the bundles
# refused by earlier syncs stay in quarantine without a new alarm (counted
# as in_quarantine). The line naming the attack: 'vios import' of the very
# bundle (exit 3, one line, the same line as when it was refused).
declare -A SEQ
AS=0 AH=0 AA=0   # alarms raised by the last sync of the school, hub, auditor
REFUSED=""
for a in $ATTACKS; do
	p=${POL[$a]} id=${PID[${POL[$a]}]}
	chk=t
	if [ "${HUBREADS[$a]:-0}" = 1 ]; then rcpt="[\"$S1\",\"$HUB\",\"$AUD\",\"$id\"]"; else rcpt="[\"$S1\",\"$AUD\",\"$id\"]"; fi
	jq -n --argjson ops "${OPS[$a]}" --arg cat "${CATS[$a]}" --argjson r "$rcpt" '{categories: [$cat], recipients: $r, ops: $ops}' >"$T/$a.json"
	DS=$(dig s1) DH=$(dig hub) DA=$(dig aud)
	[ "$a" = reopen ] && V "$T/$p" sync >/dev/null 2>&1 # it sees the case closed first
	SEQ[$a]=$("$FORGE" "$T/$p" ops "$T/$a.json")
	t "$a: $p seals it with its own keys and pushes it" V "$T/$p" sync
	fetch_bundle "$a" "$id" "${SEQ[$a]}"
	want="bundle $id seq ${SEQ[$a]}: mandate: ${NAMES[$a]}"
	# the school
	V "$T/s1" --json sync >"$T/out" 2>"$T/err"; rc=$?; n=$(jq -r .alarms "$T/out")
	q=$(jq -r .in_quarantine "$T/out")
	$chk "$a: the school's sync refuses it (exit 3, one alarm; $AS earlier in quarantine)" bash -c "[ $rc -eq 3 ] && [ $n -eq 1 ] && [ $q -eq $AS ] && [ \$(grep -c . '$T/err') -eq 1 ]"
	AS=$((AS + 1))
	t "$a: the school's digest is unchanged" test "$(dig s1)" = "$DS"
	$chk "$a: vios status lists it in quarantine, the op named" quarantined "$T/s1" "$id" "${SEQ[$a]}" "mandate: ${NAMES[$a]}"
	$chk "$a: vios status (text) lists it" bash -c "'$VIOS' --home '$T/s1' status | grep -q '^quarantined   $p seq ${SEQ[$a]} '"
	V "$T/s1" import "$T/$a.age" >"$T/out" 2>"$T/err"; rc=$?
	$chk "$a: the school's 'vios import' of it: exit 3" test "$rc" -eq 3
	$chk "$a: ... one line naming sender, seq and the op" one_line_has "$want; refused and quarantined" "$T/err"
	t "$a: the school's digest is still unchanged" test "$(dig s1)" = "$DS"
	# the hub
	V "$T/hub" --json hub merge >"$T/out" 2>"$T/err"; rc=$?
	n=$(jq -r .quarantined "$T/out")
	if [ "${HUBREADS[$a]:-0}" = 1 ]; then
		t "$a: the hub merge refuses it (exit 3, one new quarantine)" bash -c "[ $rc -eq 3 ] && [ $n -eq 1 ]"
		t "$a: the hub keeps it in quarantine, the op named" quarantined "$T/hub" "$id" "${SEQ[$a]}" "mandate: ${NAMES[$a]}"
		V "$T/hub" import "$T/$a.age" >"$T/out" 2>"$T/err"; rc=$?
		t "$a: the hub's 'vios import' of it: exit 3" test "$rc" -eq 3
		t "$a: ... one line naming sender, seq and the op" one_line_has "$want; refused and quarantined" "$T/err"
	else
		t "$a: the hub cannot read it (case data, not addressed to it): no new quarantine there" bash -c "[ $n -eq 0 ] && ! '$VIOS' --home '$T/hub' --json status | jq -e '.quarantined | any(.sender == \"$id\")' >/dev/null"
	fi
	t "$a: the hub's digest is unchanged" test "$(dig hub)" = "$DH"
	# the auditor
	V "$T/aud" --json sync >"$T/out" 2>"$T/err"; rc=$?; n=$(jq -r .alarms "$T/out")
	$chk "$a: the auditor's sync refuses it (exit 3, one alarm)" bash -c "[ $rc -eq 3 ] && [ $n -eq 1 ]"
	$chk "$a: the auditor keeps it in quarantine, the op named" quarantined "$T/aud" "$id" "${SEQ[$a]}" "mandate: ${NAMES[$a]}"
	V "$T/aud" import "$T/$a.age" >"$T/out" 2>"$T/err"; rc=$?
	$chk "$a: the auditor's 'vios import' of it: exit 3" test "$rc" -eq 3
	$chk "$a: ... one line naming sender, seq and the op" one_line_has "$want; refused and quarantined" "$T/err"
	t "$a: the auditor's digest is unchanged" test "$(dig aud)" = "$DA"
	quarantined "$T/s1" "$id" "${SEQ[$a]}" "mandate: ${NAMES[$a]}" && REFUSED="$REFUSED $a"
done
NREF=$(echo $REFUSED | wc -w)
t "the closed case stays closed at the school (closed is final)" bash -c "'$VIOS' --home '$T/s1' --json case list | jq -e '.[] | select(.id==\"$C2\") | .status==\"closed\"'"
t "... and at the auditor" bash -c "'$VIOS' --home '$T/aud' --json case list | jq -e '.[] | select(.id==\"$C2\") | .status==\"closed\"'"

# --- a refused bundle holds its sender's later bundles ----------------------------------
DS=$(dig s1)
t "p1 writes a signal it may write" V "$T/p1" signal add --theme other --note "seen at the gate" --where around
t "p1 syncs it (its seq 2)" V "$T/p1" sync
fetch_bundle p1later "${PID[p1]}" 2
V "$T/s1" sync >/dev/null 2>&1
t "the school's sync does not apply p1's seq 2 (behind its quarantined seq 1)" test "$(dig s1)" = "$DS"
t "the school's import of p1's seq 2 holds it behind the quarantined one" bash -c "! '$VIOS' --home '$T/s1' import '$T/p1later.age' && '$VIOS' --home '$T/s1' --json status | jq -e '.quarantined[] | select(.sender==\"${PID[p1]}\") | .seq==${SEQ[rename]} and .held==2'"
t "... and still does not apply it" test "$(dig s1)" = "$DS"

# --- the audit ------------------------------------------------------------------------------
V "$T/hub" hub merge >/dev/null 2>&1
V "$T/aud" sync >/dev/null 2>&1
V "$T/aud" audit verify "$G" >"$T/out" 2>"$T/err"; rc=$?
t "audit verify: exit 3" test "$rc" -eq 3
for a in $REFUSED; do
	id=${PID[${POL[$a]}]}
	t "audit verify names the op of '$a' (sender, seq, op)" has "finding: node $id seq ${SEQ[$a]}: partner (\"${POL[$a]}\", police) sealed ops outside the mandate of covenant v1: mandate: ${NAMES[$a]}" "$T/out"
done
t "audit verify: p1's later bundle is held behind its refused one" bash -c "grep -F 'finding: node ${PID[p1]} seq ${SEQ[rename]}: ' '$T/out' | grep -q 'seq 2 to 2 are held behind it'"
t "audit verify: exactly one finding per refused attack" test "$(grep -c '^finding:' "$T/out")" -eq "$NREF"
t "audit verify: one line on stderr" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: error: $NREF findings' '$T/err'"
V "$T/aud" --json audit flows "$G" >"$T/flows.json"
for a in $REFUSED; do
	id=${PID[${POL[$a]}]}
	t "audit flows: the '$a' bundle is compliant=no" jq -e ".[] | select(.sender==\"$id\" and .seq==${SEQ[$a]}) | .compliant == false and (.findings | length) == 1" "$T/flows.json"
done
t "audit flows: every other bundle is compliant" jq -e "[.[] | select(.compliant == false)] | length == $NREF" "$T/flows.json"
t "audit flows (table): one row says no per refused attack" bash -c "[ \$('$VIOS' --home '$T/aud' audit flows '$G' | grep -c ' no\$') -eq $NREF ]"
V "$T/aud" audit replay "$G" --for s1 >"$T/out" 2>"$T/err"; rc=$?
t "audit replay --for s1: exit 3 (refused bundles), the digest the school holds" bash -c "[ $rc -eq 3 ] && [ \"\$(cat '$T/out')\" = '$(dig s1)' ] && grep -q 'refused for the mandate' '$T/err'"
t "audit replay: the digest the auditor holds" test "$(V "$T/aud" audit replay "$G" 2>/dev/null)" = "$(dig aud)"
t "without its passphrase the auditor verifies signatures only (exit 0), and says so" bash -c "env -u VIOS_PASSPHRASE '$VIOS' --home '$T/aud' audit verify '$G' </dev/null >/dev/null 2>'$T/err' && grep -q 'not classified against the mandate' '$T/err'"
finish
