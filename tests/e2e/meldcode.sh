#!/usr/bin/env bash
# The meldcode on a case (docs/rhythm.md, "Meldcode"): the school records the
# five steps of the Meldcode huiselijk geweld en kindermishandeling, step 5
# with its decision; escalation to Veilig Thuis is refused before step 5
# decided to report and accepted after; `case show` lists the steps; bad
# input is one line, exit 2 and an unchanged store; the social team, which
# leads the case and holds it after a sync, sees the steps and may not write
# them; a step's note given on standard input never reaches argv or disk in
# plain text.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "soc partner social-team"
hub_world s1 soc
dig() { V "$T/$1" digest; }
TODAY=$(date +%F)
C="canary$RANDOM$RANDOM"

P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2012-02-03)
S=$(V "$T/s1" signal add --basis public-task --parents-informed no --not-informed-reason "safety of the child" --theme other --pupil "$P" --note "bruises $C")
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles social-team --lead social-team)
t "case opened" test -n "$CASE"
t "case discussed" V "$T/s1" case status "$CASE" discussed

# escalation before the meldcode's decision
D0=$(dig s1)
V "$T/s1" case status "$CASE" escalated --to veilig-thuis >/dev/null 2>"$T/err"; rc=$?
t "escalation to veilig-thuis without step 5: exit 2" test "$rc" -eq 2
t "... one line naming step 5" bash -c "one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q 'step 5' '$T/err'"
t "... store unchanged" test "$(dig s1)" = "$D0"

# bad steps: one line, exit 2, nothing written
bad() { # label, args...
	local label=$1; shift
	V "$T/s1" case meldcode "$CASE" "$@" >/dev/null 2>"$T/err"; local rc=$?
	t "$label: exit 2, one line" bash -c "[ $rc -eq 2 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
}
bad "step 6" --step 6 --date "$TODAY"
bad "step 0" --step 0 --date "$TODAY"
bad "no date" --step 1
bad "bad date" --step 1 --date 31-02-2026
bad "date in the future" --step 1 --date "$(date -d '+2 days' +%F)"
bad "step 5 before 1 to 4" --step 5 --date "$TODAY" --outcome report
bad "outcome on step 2" --step 2 --date "$TODAY" --outcome report
bad "unknown outcome" --step 5 --date "$TODAY" --outcome maybe
V "$T/s1" case meldcode 01234567-89ab-7cde-8f01-23456789abcd --step 1 --date "$TODAY" >/dev/null 2>"$T/err"; rc=$?
t "unknown case: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'no case' '$T/err'"
t "bad steps changed nothing" test "$(dig s1)" = "$D0"

# the steps, a note on standard input
for st in 1 2 4; do t "step $st recorded" V "$T/s1" case meldcode "$CASE" --step "$st" --date "$TODAY"; done
printf 'spoke with the pupil and the mother %s\n' "$C" | V "$T/s1" case meldcode "$CASE" --step 3 --date "$TODAY" --note - >/dev/null 2>"$T/err"
t "step 3 with a note from stdin" test $? -eq 0
t "step 5 with the decision 'help'" V "$T/s1" case meldcode "$CASE" --step 5 --date "$TODAY" --outcome help
V "$T/s1" case status "$CASE" escalated --to veilig-thuis >/dev/null 2>"$T/err"; rc=$?
t "step 5 decided not to report: escalation refused (exit 2)" bash -c "[ $rc -eq 2 ] && grep -q 'decided not to report' '$T/err'"
t "step 5 again: report and help" V "$T/s1" case meldcode "$CASE" --step 5 --date "$TODAY" --outcome report-and-help
t "case show lists the five steps" bash -c "'$VIOS' --home '$T/s1' --json case show '$CASE' | jq -e '.case.meldcode | length == 5 and .[4].report == true and .[4].help == true and (.[2].note | test(\"mother\"))'"
t "case show (text) names the steps" bash -c "'$VIOS' --home '$T/s1' case show '$CASE' | grep -q 'step 5 .*report to Veilig Thuis yes, help organised yes'"
t "the access log records each step" bash -c "'$VIOS' --home '$T/s1' --json log | jq -e '[.[] | select(.record_id == \"$CASE\" and (.why // \"\" | startswith(\"meldcode\")))] | length >= 6'"
t "no canary in the school's home" bash -c "! grep -rqa '$C' '$T/s1'"

# the lead partner holds the case and its steps, and may not write them
t "school sync" V "$T/s1" sync
t "social team sync" V "$T/soc" sync
t "the social team sees the steps" bash -c "'$VIOS' --home '$T/soc' --json case show '$CASE' | jq -e '.case.meldcode | length == 5'"
D1=$(dig soc)
V "$T/soc" case meldcode "$CASE" --step 1 --date "$(date -d "-1 day" +%F)" >/dev/null 2>"$T/err"; rc=$?
t "the social team may not record a step: exit 1, one mandate line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'mandate' '$T/err'"
t "... its store is unchanged" test "$(dig soc)" = "$D1"

# now the escalation goes through
t "escalation to veilig-thuis after step 5 decided to report" V "$T/s1" case status "$CASE" escalated --to veilig-thuis
t "the case is escalated to veilig-thuis" bash -c "'$VIOS' --home '$T/s1' --json case show '$CASE' | jq -e '.case.status == \"escalated\" and .case.escalation_target == \"veilig-thuis\"'"
finish
