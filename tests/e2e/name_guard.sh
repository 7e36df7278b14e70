#!/usr/bin/env bash
# The name guard (issue 18): free text that goes out as theme data (a trend's
# note, a thematic meeting's minutes, a signal about no pupil) is checked
# against the school's own pupils before it is sealed; a hit refuses the
# command with one line; --no-name-check writes it anyway, logged. Text
# that stays case data (a signal about the pupil, a case meeting) is not
# checked: it goes only where the pupil's case goes.
. "$(dirname "$0")/lib.sh"
mk s school
H="$T/s"
M=$(date +%Y-%m); D=$(date +%F)
P=$(V "$H" pupil add --name "Sam de Vries" --class 3B --local-id L-20931)
V "$H" pupil add --name "Noor El Amrani" --class 2A >/dev/null
refused() { # refused WHAT NAME cmd...: exit 2 and the one line naming NAME
	local what=$1 name=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err"; then echo "accepted: $what"; return 1; fi
	[ "$(grep -c . "$T/err")" -eq 1 ] &&
		grep -qx "vios: [a-z]* names a pupil ($name): record it as a signal about the pupil, or rephrase" "$T/err"
}
# numbered cases: text, the pupil it names
i=0
while IFS='|' read -r text who; do
	i=$((i + 1))
	t "$i. trend note refused: $text" refused "$text" "$who" V "$H" trend add --theme weapons --period "$M" --level rising --note "$text"
done <<'CASES'
Sam de Vries showed a knife|Sam de Vries
sam DE vries (3b) again|Sam de Vries
Sam from 3B had a knife|Sam de Vries
a pupil of 3B, Vries, was seen|Sam de Vries
pupil L-20931 carried a knife|Sam de Vries
pupil l20931 again|Sam de Vries
S.d.V. (3B) at the station|Sam de Vries
SV uit 3B|Sam de Vries
Noor in 2A|Noor El Amrani
CASES
t "a thematic note without names is accepted" V "$H" trend add --theme weapons --period "$M" --level rising --note "knives near the station"
t "a first name alone is not a name (Sam without the class)" V "$H" trend add --theme weapons --period "$M" --level stable --note "a Sam-like tag on the wall"
t "a class alone is not a name" V "$H" trend add --theme weapons --period "$M" --level stable --note "3B had a lesson on weapons"
t "thematic minutes naming a pupil: refused" refused minutes "Sam de Vries" V "$H" meeting add --kind thematic --date "$D" --minutes "talked about Sam de Vries"
t "case meeting minutes naming the pupil: accepted (case data)" V "$H" meeting add --kind case --date "$D" --minutes "talked about Sam de Vries"
t "a signal about no pupil naming one: refused" refused note "Sam de Vries" V "$H" signal add --theme weapons --note "Sam de Vries showed a knife" --at "$D"
t "a signal's source naming one: refused" refused source "Sam de Vries" V "$H" signal add --theme weapons --note "a knife" --source "Sam de Vries told us" --at "$D"
t "a signal about the pupil naming them: accepted (case data)" V "$H" signal add --theme weapons --pupil "$P" --basis public-task --parents-informed yes --note "Sam de Vries showed a knife" --at "$D"
S=$(V "$H" signal add --theme weapons --note "a knife near the gym" --at "$D")
t "signal edit to a note naming a pupil: refused" refused note "Sam de Vries" V "$H" signal edit "$S" --note "it was Sam de Vries"
M2=$(V "$H" meeting add --kind thematic --date "$D" --minutes "weapons lesson planned")
t "meeting edit to minutes naming a pupil: refused" refused minutes "Noor El Amrani" V "$H" meeting edit "$M2" --minutes "Noor El Amrani asked about it"
# the override
R=$(V "$H" trend add --theme weapons --period "$M" --level rising --no-name-check --note "Sam de Vries showed a knife")
t "--no-name-check writes it" test -n "$R"
t "--no-name-check is logged on the record, without the text" bash -c "'$VIOS' --home '$H' --json log | jq -e --arg id '$R' 'map(select(.why == \"name check skipped (--no-name-check)\" and .record_id == \$id)) | length == 1' >/dev/null && ! '$VIOS' --home '$H' log | grep -q 'Vries'"
t "the override holds for that command only" refused note "Sam de Vries" V "$H" trend add --theme weapons --period "$M" --level rising --note "Sam de Vries again"
t "no log entry for a refused write" bash -c "[ \$('$VIOS' --home '$H' --json log | jq '[.[] | select(.why == \"name check skipped (--no-name-check)\")] | length') -eq 1 ]"

# the auditor sees the override: the bundle that carries the record names it
# in its encrypted payload (vios-payload-3; tests/unit/test_payload.c checks
# the format, and that a bundle without one stays vios-payload-2)
nodes "hub hub" "aud auditor"
hub_world s aud
V "$H" sync >/dev/null
V "$T/aud" sync >/dev/null
V "$T/aud" audit replay "$G" >/dev/null 2>"$T/replay.err"; rc=$?
t "audit replay: exit 0 (the override is reported, not a finding)" test "$rc" -eq 0
t "audit replay names the record written with --no-name-check" grep -q "vios: note: 1 record of theme text written with --no-name-check (the name guard skipped; first: node .* seq [0-9]*: trend:$R)" "$T/replay.err"
t "audit replay --json counts it" bash -c "'$VIOS' --home '$T/aud' --json audit replay '$G' 2>/dev/null | jq -e '.name_check_skipped == 1' >/dev/null"
t "no pupil name in what the auditor is told" bash -c "! grep -q Vries '$T/replay.err'"
finish
