#!/usr/bin/env bash
# vios evaluate (issue 22): a school's evaluation figures as text and JSON;
# the same figures per month reach the hub as theme data (school_figure) at
# sync and show in the steering section of `hub report --json`, a median over
# fewer than 5 signals not sent, no id or text with them; bad months are
# usage errors that change nothing.
. "$(dirname "$0")/lib.sh"
export TZ=UTC

for n in "hub hub" "north school" "south school"; do set -- $n; mk "$1" "$2"; done
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in north south; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; V "$T/hub" hub enroll "$T/$n.req" >/dev/null
	V "$T/$n" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null
done
# six signals on days 1..6 of last month, one case today listing them all:
# days to the case (today - day k), lower median = today - day 4
BASE=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m-01)
MONTH=${BASE:0:7}
THIS=$(date +%Y-%m)
WANT=$(( ($(date -d "$(date +%F)" +%s) - $(date -d "$BASE +3 days" +%s)) / 86400 ))
C="canary$RANDOM$RANDOM"
P=$(V "$T/north" pupil add --name "Pupil $C")
SIGS=""
for k in 0 1 2 3 4 5; do
	S=$(V "$T/north" signal add --theme drugs-trade --pupil "$P" --note "runner $C $k" --basis public-task \
		--parents-informed yes --at "$(date -d "$BASE +$k days" +%F)")
	SIGS="$SIGS,$S"
done
CASE=$(V "$T/north" case open --pupil "$P" --signals "${SIGS#,}" --basis public-task)
# four more cases this month: five reported, a count the report shows
for k in 1 2 3 4; do V "$T/north" case open --pupil "$P" --signals "${SIGS#,}" --basis public-task >/dev/null; done
V "$T/north" agreement add --case "$CASE" --owner police --action "talk $C" --due "$(date -d "$BASE +20 days" +%F)" >/dev/null
P2=$(V "$T/south" pupil add --name "Other $C")
S2=$(V "$T/south" signal add --theme weapons --pupil "$P2" --note "knife $C" --basis public-task --parents-informed yes \
	--at "$(date -d "$BASE +1 days" +%F)")
V "$T/south" case open --pupil "$P2" --signals "$S2" --basis public-task >/dev/null

t "evaluate prints the figures as text" bash -c "'$VIOS' --home '$T/north' evaluate >'$T/e.txt' && grep -qE '^signals +6\$' '$T/e.txt' && grep -qE '^  drugs-trade +6\$' '$T/e.txt' && grep -qE '^signal to a case +median $WANT days \\(n 6\\)\$' '$T/e.txt' && grep -qE '^cases opened +5\$' '$T/e.txt' && grep -qE '^agreements due +1\$' '$T/e.txt'"
t "evaluate --json: vios-evaluate-1 with the median, n and counts" bash -c "'$VIOS' --home '$T/north' --json evaluate | jq -e '.format == \"vios-evaluate-1\" and .signals.total == 6 and .case.median_days == $WANT and .case.n == 6 and .discussion.n == 0 and .discussion.median_days == null and .cases.opened == 5 and .cases.by_status.reported == 5 and .agreements.due == 1 and .agreements.on_time == 0 and .agreements.share == 0'"
t "--from/--to restrict the period (nothing in a month before)" bash -c "'$VIOS' --home '$T/north' --json evaluate --from 2020-01 --to 2020-02 | jq -e '.from == \"2020-01\" and .to == \"2020-02\" and .signals.total == 0 and .cases.opened == 0'"
t "no personal value in the evaluation" bash -c "! '$VIOS' --home '$T/north' --json evaluate | grep -q '$C'"

# bad months: one line, exit 2, the store unchanged
D0=$(V "$T/north" digest)
for bad in "--from 2026-13" "--to 2026-00" "--from 2026-05 --to 2026-04" "--from 202605"; do
	V "$T/north" evaluate $bad >/dev/null 2>"$T/err"; rc=$?
	t "evaluate $bad: exit 2, one line" bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$T/err') -eq 1 ]"
done
t "the store is unchanged by the refused calls" test "$(V "$T/north" digest)" = "$D0"
V "$T/hub" evaluate >/dev/null 2>"$T/err"; rc=$?
t "evaluate at a hub is an error, one line" bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ]"

for n in north south; do V "$T/$n" sync >/dev/null; done
t "hub merge" V "$T/hub" hub merge
V "$T/hub" --json hub report >"$T/r.json"
t "the report is vios-report-2 with a steering section" jq -e '.format == "vios-report-2" and (.steering.rows | length > 0) and (.steering.notes | length == 3)' "$T/r.json"
t "north's median days to a case reached the hub, with its n" jq -e --arg m "$MONTH" ".steering.rows[] | select(.month == \$m and .school == \"north\" and .figure == \"case-days\") | .median == $WANT and .n == 6" "$T/r.json"
t "south's median over 1 signal is not sent, its n is <5" jq -e --arg m "$MONTH" '.steering.rows[] | select(.month == $m and .school == "south" and .figure == "case-days") | .median == null and .n == "<5"' "$T/r.json"
t "the municipality's median is the median of the medians shown" jq -e --arg m "$MONTH" ".steering.totals[] | select(.month == \$m and .figure == \"case-days\") | .median == $WANT" "$T/r.json"
t "every steering count and n is a number of 5 or more, <5 or x" jq -e '[.steering.rows[], .steering.totals[] | (.value, .n) | select(. != null)] | all(. == "<5" or . == "x" or (type == "number" and . >= 5))' "$T/r.json"
t "north's five cases opened this month show as 5, south's one as <5" jq -e --arg m "$THIS" '[.steering.rows[] | select(.month == $m and .figure == "cases-reported") | .value] == [5, "<5"]' "$T/r.json"
t "no id and no text of a record at the hub's report" bash -c "! grep -qE '$C|${CASE}|${S2}' '$T/r.json'"
t "the text report has the steering section and its notes" bash -c "'$VIOS' --home '$T/hub' hub report | grep -q '^steering group: evaluation figures' && '$VIOS' --home '$T/hub' hub report | grep -qE '^$MONTH +north +case-days +$WANT days +n 6\$' && '$VIOS' --home '$T/hub' hub report | grep -q '^note: the municipality.s median is the median of the schools. medians'"
# the figures follow the records: the case moves on
V "$T/north" case status "$CASE" discussed >/dev/null
V "$T/north" sync >/dev/null; V "$T/hub" hub merge >/dev/null
t "a status change moves a case between the figures at the hub (reported 5 -> <5)" bash -c "'$VIOS' --home '$T/hub' --json hub report | jq -e --arg m '$THIS' '[.steering.rows[] | select(.month == \$m and .school == \"north\" and .figure == \"cases-reported\") | .value] == [\"<5\"]'"
t "and locally: 4 reported, 1 discussed" bash -c "'$VIOS' --home '$T/north' --json evaluate | jq -e '.cases.by_status.reported == 4 and .cases.by_status.discussed == 1'"
finish
