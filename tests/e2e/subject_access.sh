#!/usr/bin/env bash
# Subject access (GDPR art. 15, issue 16): `vios pupil report ID` gives
# everything a node holds about one pupil: the pupil, its signals and cases
# with their legal basis and whether the parents were informed, the case's
# meetings and agreements, and which node received which record when. A
# school and a police node on a hub exchange a pupil's case; the school's
# report names the pupil and the police node with a date, redacts another
# pupil's name in the shared case meeting's minutes, and is in the access
# log. An unknown id and an existing output file are refused.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police"
hub_world s1 pol
C="canary$RANDOM$RANDOM"
B12=$(date -d '-12 years' +%F)

P=$(V "$T/s1" pupil add --name "Pupil $C" --birth "$B12" --class 1A)
O=$(V "$T/s1" pupil add --name "Otto Other" --birth "$B12" --class 1A)
S=$(V "$T/s1" signal add --theme drugs-use --pupil "$P" --note "seen with Otto Other at the station $C" \
	--basis public-task --parents-informed no --not-informed-reason "the pupil's safety")
CASE=$(V "$T/s1" case open --pupil "$P" --signals "$S" --roles police --lead police --basis public-task)
t "the school opens the case (parents informed taken from the signal)" grep -qE '^[0-9a-f-]{36}$' <<<"$CASE"
t "  the case records the signal's parents informed and reason" bash -c \
	"'$VIOS' --home '$T/s1' --json case show '$CASE' | jq -e '.case.parents_informed == 0 and .case.not_informed_reason == \"the pupil'\''s safety\"'"
M=$(V "$T/s1" meeting add --kind case --case "$CASE" --date "$(date +%F)" --roles police \
	--minutes "Talked about Pupil $C; OTTO OTHER was there too, and otto otherwise not")
V "$T/s1" agreement add --case "$CASE" --owner police --action "talk to the family, not to Otto Other" \
	--due "$(date -d '+14 days' +%F)" >/dev/null
t "the school syncs" V "$T/s1" sync
t "the police node receives the case" V "$T/pol" sync
t "  the police hold the pupil" bash -c "'$VIOS' --home '$T/pol' --json pupil list | grep -q 'Pupil $C'"
A=$(V "$T/pol" agreement list --json 2>/dev/null | jq -r '.[0].id')
V "$T/pol" agreement done "$A" --feedback "family visited; Otto Other not involved" >/dev/null
V "$T/pol" sync >/dev/null 2>&1; V "$T/s1" sync >/dev/null 2>&1

# ---- the school's report
t "report as HTML to a new file" V "$T/s1" pupil report "$P" -o "$T/r.html" --reason "request of the parents $C"
t "  mode 0600" test "$(stat -c %a "$T/r.html")" = 600
t "  names the pupil" grep -q "Pupil $C" "$T/r.html"
t "  names the police node as a recipient, with a date" \
	grep -qE "pol \(node $(nid pol)\), bundle [0-9]+, [0-9]{4}-[0-9]{2}-[0-9]{2}T" "$T/r.html"
t "  gives the legal basis and the parents' reason" bash -c "grep -q 'public-task' '$T/r.html' && grep -q 'the pupil&#39;s safety' '$T/r.html'"
t "  the police's feedback on the agreement is in it" grep -q "family visited" "$T/r.html"
t "  another pupil's name is redacted, in any case, whole words only" bash -c \
	"! grep -q 'Otto Other\\|OTTO OTHER' '$T/r.html' && grep -q 'Talked about Pupil $C; \[redacted: another pupil\] was there too, and otto otherwise not' '$T/r.html'"
t "  is self-contained: no script, no external link" bash -c "! grep -qiE '<script|<link|src=|https?://' '$T/r.html'"
t "  says what redaction cannot know" grep -q "Names of other people" "$T/r.html"
t "report as JSON on stdout" bash -c "'$VIOS' --home '$T/s1' pupil report '$P' --format json | jq -e '.format == \"vios-subject-report-1\" and .pupil.name == \"Pupil $C\" and (.cases | length) == 1 and (.meetings | length) == 1 and (.agreements | length) == 1'"
t "  the case lists pol as a recipient" bash -c "'$VIOS' --home '$T/s1' --json pupil report '$P' | jq -e --arg pol '$(nid pol)' '.cases[0].sent | any(.node_id == \$pol and .name == \"pol\" and (.at | test(\"^[0-9]{4}-\")))'"
t "  -o - is stdout" bash -c "'$VIOS' --home '$T/s1' pupil report '$P' -o - | grep -q '<!DOCTYPE html>'"
t "the request is in the access log, with its reason" bash -c \
	"'$VIOS' --home '$T/s1' --json log | jq -e --arg p '$P' 'any(.action == \"read\" and .tbl == \"pupil\" and .record_id == \$p and .why == \"subject access: request of the parents $C\")'"
t "  and in the text log" bash -c "'$VIOS' --home '$T/s1' log | grep -q 'subject access'"

# ---- the police node's report: what it received
t "the police node reports what it holds" bash -c "'$VIOS' --home '$T/pol' --json pupil report '$P' | jq -e '.pupil.made_by.here == false and .pupil.made_by.name == \"s1\"'"

# ---- refusals: one line, the documented exit code, nothing written
n0=$(V "$T/s1" --json log | jq length)
V "$T/s1" pupil report 01234567-89ab-7def-8123-456789abcdef -o "$T/none.html" >"$T/out" 2>"$T/err"; rc=$?
t "an unknown pupil: exit 1" test "$rc" -eq 1
t "  one line naming it" bash -c "one_line() { [ \"\$(grep -c . \"\$1\")\" -eq 1 ]; }; one_line '$T/err' && grep -q 'no pupil with id' '$T/err'"
t "  no file left behind" test ! -e "$T/none.html"
V "$T/s1" pupil report not-an-id >"$T/out" 2>"$T/err"; rc=$?
t "a malformed id: exit 2" test "$rc" -eq 2
echo "keep me" >"$T/exists.html"
V "$T/s1" pupil report "$P" -o "$T/exists.html" >"$T/out" 2>"$T/err"; rc=$?
t "an existing file: exit 1" test "$rc" -eq 1
t "  one line saying so" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'exists; refusing to overwrite it' '$T/err'"
t "  the file is untouched" test "$(cat "$T/exists.html")" = "keep me"
ln -s "$T/target.html" "$T/link.html"
V "$T/s1" pupil report "$P" -o "$T/link.html" >/dev/null 2>&1; rc=$?
t "a symlink is not followed: exit 1, no target made" bash -c "[ $rc -eq 1 ] && [ ! -e '$T/target.html' ]"
V "$T/s1" pupil report "$P" --format pdf >/dev/null 2>&1; rc=$?
t "an unknown format: exit 2" test "$rc" -eq 2
t "refusals read nothing: the access log did not grow" test "$(V "$T/s1" --json log | jq length)" -eq "$n0"
finish
