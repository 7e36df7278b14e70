#!/usr/bin/env bash
# The table's rhythm through the CLI (docs/rhythm.md): a signal is new until
# a held meeting discussed it, a case lists it or it is closed; a signal
# recorded before a meeting is on that meeting's agenda and, once discussed,
# on no later one; a planned series lists in date order; the agenda's HTML
# page renders with a stock tool (w3m) and escapes what it shows; bad input
# gives one line, the contract's exit code and an unchanged store.
. "$(dirname "$0")/lib.sh"

mk s school
H="$T/s"
C="canary$RANDOM$RANDOM"
TODAY=$(date +%F)
PAST=$(date -d '-3 days' +%F)
DUE=$(date -d '-1 days' +%F)
NEXT=$(date -d '+7 days' +%F)
LATER=$(date -d '+1 year' +%F)
digest() { V "$H" digest; }
# bad CODE WHAT ARGS...: the command fails with exit CODE, one line on
# stderr, and the store's digest is unchanged
bad() {
	local code=$1 what=$2 before rc; shift 2
	before=$(digest)
	V "$H" "$@" >"$T/out" 2>"$T/err"; rc=$?
	t "$what: exit $code" test "$rc" -eq "$code"
	t "$what: one line" one_line "$T/err"
	t "$what: store unchanged" test "$before" = "$(digest)"
}

# triage: new, and the JSON rows say so
S=$(V "$H" signal add --theme weapons --note "knife $C" --at "$PAST")
S2=$(V "$H" signal add --theme nuisance --note "groups at the gate" --at "$PAST")
t "a new signal is listed by --new" bash -c "'$VIOS' --home '$H' --json signal list --new | jq -e --arg s '$S' 'any(.[]; .id == \$s and .triage == \"new\")'"
t "every signal row has a triage field" bash -c "'$VIOS' --home '$H' --json signal list | jq -e 'all(.[]; has(\"triage\"))'"
t "signal show gives the triage" bash -c "'$VIOS' --home '$H' --json signal show '$S' | jq -e '.signal.triage == \"new\"'"

# a planned series, listed in date order
V "$H" meeting plan --kind thematic --every 2w --from "$NEXT" --until "$(date -d '+7 days +6 weeks' +%F)" >"$T/plan"
t "plan prints one id per meeting (4 in 6 weeks every 2)" test "$(grep -cE '^[0-9a-f-]{36}$' "$T/plan")" -eq 4
t "upcoming lists them in date order" bash -c "'$VIOS' --home '$H' --json meeting list --upcoming | jq -e 'length == 4 and (map(.date) == (map(.date) | sort)) and .[0].date == \"$NEXT\" and all(.[]; .planned == 1)'"
t "upcoming as text shows the first date" bash -c "'$VIOS' --home '$H' meeting list --upcoming | grep -q '$NEXT'"
M1=$(V "$H" --json meeting list --upcoming | jq -r '.[0].id')
M2=$(V "$H" --json meeting list --upcoming | jq -r '.[1].id')
t "plan without --until stays within 12 months" bash -c "'$VIOS' --home '$H' --json meeting plan --kind case --every 4w --from '$LATER' | jq -e '.meetings | length == 14'"

# the agenda: the new signal, an overdue agreement, escaped in HTML
P=$(V "$H" pupil add --name "Pupil $C" --birth 2012-02-03)
S3=$(V "$H" signal add --theme other --pupil "$P" --note "bruises" --basis public-task --parents-informed yes --at "$PAST")
CASE=$(V "$H" case open --pupil "$P" --signals "$S3" --basis public-task)
V "$H" agreement add --case "$CASE" --owner school --action "call the parents <script>alert(1)</script> $C" --due "$DUE" >/dev/null
V "$H" trend add --theme weapons --period "$(date +%Y-%m)" --level rising --note "more knives" >/dev/null
t "agenda --next is the first planned meeting" bash -c "'$VIOS' --home '$H' --json meeting agenda --next | jq -e '.meeting.id == \"$M1\"'"
t "the agenda holds the new signal" bash -c "'$VIOS' --home '$H' --json meeting agenda '$M1' | jq -e --arg s '$S' 'any(.signals[]; .id == \$s and .theme == \"weapons\")'"
t "the agenda leaves out the linked signal" bash -c "'$VIOS' --home '$H' --json meeting agenda '$M1' | jq -e --arg s '$S3' 'all(.signals[]; .id != \$s)'"
t "the agenda holds the open case with its overdue agreement" bash -c "'$VIOS' --home '$H' --json meeting agenda '$M1' | jq -e --arg c '$CASE' 'any(.cases[]; .id == \$c and (.overdue | length) == 1)'"
t "a thematic agenda names no pupil" bash -c "! '$VIOS' --home '$H' meeting agenda '$M1' | grep -q 'Pupil $C' && '$VIOS' --home '$H' --json meeting agenda '$M1' | jq -e 'all(.cases[]; has(\"pupil\") | not)'"
t "the text agenda shows the theme and who owes the overdue agreement" bash -c "'$VIOS' --home '$H' meeting agenda --next | grep -q weapons && '$VIOS' --home '$H' meeting agenda --next | grep -q '$DUE'"
t "a thematic agenda leaves out the agreement's action (case data)" bash -c "! '$VIOS' --home '$H' meeting agenda --next | grep -q 'call the parents' && '$VIOS' --home '$H' --json meeting agenda --next | jq -e 'all(.cases[].overdue[]; has(\"action\") | not)'"
MC=$(V "$H" --json meeting list --upcoming | jq -r '[.[] | select(.kind == "case")][0].id')
t "a case meeting's agenda shows the action" bash -c "'$VIOS' --home '$H' meeting agenda '$MC' | grep -q 'call the parents'"
t "agenda --html writes the page" V "$H" meeting agenda "$MC" --html "$T/agenda.html"
t "the page is mode 0600" test "$(stat -c %a "$T/agenda.html")" = 600
w3m -dump -T text/html "$T/agenda.html" >"$T/agenda.txt" 2>&1
t "w3m renders it with the signal's theme" grep -q weapons "$T/agenda.txt"
t "w3m renders it with the overdue agreement's action" grep -q "call the parents <script>alert(1)</script> $C" "$T/agenda.txt"
t "the page escapes the action's <script>" bash -c "grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' '$T/agenda.html' && ! grep -qi '<script' '$T/agenda.html'"
t "the page has print CSS and fetches nothing" bash -c "grep -q '@media print' '$T/agenda.html' && ! grep -qiE '(src|href)=' '$T/agenda.html'"

# once discussed at a held meeting, on no later agenda
t "meeting hold with what it discussed" V "$H" meeting hold "$M1" --date "$TODAY" --minutes "knives at the gate" --discussed "$S"
t "the discussed signal is not new" bash -c "! '$VIOS' --home '$H' --json signal list --new | grep -q '$S'"
t "signal show says where it was discussed" bash -c "'$VIOS' --home '$H' signal show '$S' | grep -q 'triage: discussed at meeting $M1 on $TODAY'"
t "the next agenda no longer holds it" bash -c "'$VIOS' --home '$H' --json meeting agenda --next | jq -e --arg s '$S' '.meeting.id == \"$M2\" and all(.signals[]; .id != \$s)'"
t "the held meeting left the upcoming list" bash -c "'$VIOS' --home '$H' --json meeting list --upcoming | jq -e 'all(.[]; .id != \"$M1\")'"
S4=$(V "$H" signal add --theme alcohol --note "cans in the park" --at "$TODAY")
# a thematic meeting travels as theme data: it lists no case and no signal about a pupil
bad 2 "a thematic meeting that lists a case" meeting add --kind thematic --date "$TODAY" --minutes "cans" --discussed "$S4,$CASE"
bad 2 "a thematic meeting that lists a signal about a pupil" meeting add --kind thematic --date "$TODAY" --minutes "x" --discussed "$S3"
t "a case meeting may list the case" V "$H" meeting add --kind case --case "$CASE" --date "$TODAY" --minutes "the case" --discussed "$CASE"
t "meeting add --discussed moves a signal on" V "$H" meeting add --kind thematic --date "$TODAY" --minutes "cans" --discussed "$S4"
t "that signal is on no later agenda" bash -c "'$VIOS' --home '$H' --json meeting agenda --next | jq -e --arg s '$S4' 'all(.signals[]; .id != \$s)'"
t "trends since the last held thematic meeting" bash -c "'$VIOS' --home '$H' --json meeting agenda --next | jq -e '.since == \"$TODAY\" and (.trends | length) == 1'"

# close
t "signal close" V "$H" signal close "$S2" --reason "a one-off: no further action"
t "a closed signal is closed, with the day" bash -c "'$VIOS' --home '$H' --json signal show '$S2' | jq -e '.signal.triage == \"closed\" and .signal.closed_at == \"$TODAY\"'"
printf 'reason from stdin\n' | V "$H" signal close "$S4" --reason - >/dev/null
t "close takes the reason from stdin" bash -c "'$VIOS' --home '$H' --json signal show '$S4' | jq -e '.signal.closed_reason == \"reason from stdin\"'"

# bad input: one line, the exit code, the store unchanged
bad 2 "a bad date" meeting plan --kind thematic --every 2w --from 2026-02-30
bad 2 "a zero interval" meeting plan --kind thematic --every 0w --from "$NEXT"
bad 2 "--until before --from" meeting plan --kind thematic --every 1w --from "$NEXT" --until "$TODAY"
bad 2 "more than 60 meetings" meeting plan --kind thematic --every 1d --from "$NEXT"
bad 2 "a steering series" meeting plan --kind steering --every 1w --from "$NEXT"
bad 1 "an unknown id in --discussed" meeting add --kind thematic --date "$TODAY" --discussed "$S,01234567-89ab-7def-8123-456789abcdef"
t "the message names the position" grep -q 'item 2' "$T/err"
bad 2 "--discussed at a meeting not held yet" meeting add --kind thematic --date "$LATER" --discussed "$S"
bad 2 "a malformed id in --discussed" meeting hold "$M2" --date "$TODAY" --minutes m --discussed "$S,xyz"
bad 2 "a meeting held twice" meeting hold "$M1" --minutes "again"
bad 2 "holding a meeting planned ahead" meeting hold "$M2" --minutes "too early"
bad 2 "closing a closed signal" signal close "$S2" --reason "again"
bad 2 "close without a reason" signal close "$S"
bad 2 "the agenda of a held meeting" meeting agenda "$M1"
mk e school
before=$(V "$T/e" digest)
V "$T/e" meeting agenda --next >"$T/out" 2>"$T/err"; rc=$?
t "agenda --next with nothing planned: exit 1" test "$rc" -eq 1
t "agenda --next with nothing planned: one line" one_line "$T/err"
t "agenda --next with nothing planned: store unchanged" test "$before" = "$(V "$T/e" digest)"
t "no personal text in the messages" bash -c "! grep -q '$C' '$T/err'"

finish
