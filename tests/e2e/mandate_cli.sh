#!/usr/bin/env bash
# The record commands of the mandate issue through the CLI: pupil, signal,
# meeting and agreement edit, signal show, case show, case roles and case
# lead. Each command's happy path, text and --json, and a bad input each:
# the right exit code, one line on stderr, and the store unchanged (the
# state digest and the access log as they were).
. "$(dirname "$0")/lib.sh"

mk s school
H="$T/s"
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
NOWHERE=01234567-89ab-7def-8123-456789abcdef
J() { V "$H" --json "$@"; }

P=$(V "$H" pupil add --name "Anna de Vries" --class 2B --birth 2011-03-04)
S=$(V "$H" signal add --basis public-task --theme weapons --pupil "$P" --note "knife seen" --at 2026-11-03 --parents-informed yes)
S2=$(V "$H" signal add --theme nuisance --note "groups at the gate")
CASE=$(V "$H" case open --basis public-task --pupil "$P" --signals "$S" --roles social-team,police --lead police)
M=$(V "$H" meeting add --kind case --date 2026-11-05 --case "$CASE")
A=$(V "$H" agreement add --case "$CASE" --owner police --action "talk to the pupil" --due 2026-12-01)
A2=$(V "$H" agreement add --meeting "$M" --owner school --action "weapons lesson" --due 2026-12-02)
t "setup: records made" grep -qE "$UUID" <<<"$A2"

# bad EXPECTED_RC "what" PATTERN args... : exit code, one line naming
# PATTERN, and nothing changed
i=0
bad() {
	local want=$1 what=$2 pat=$3; shift 3
	local d0 l0 rc
	i=$((i + 1))
	d0=$(V "$H" digest); l0=$(J log | jq length)
	V "$H" "$@" >"$T/out" 2>"$T/err"; rc=$?
	t "bad $i ($what): exit $want" test "$rc" -eq "$want"
	t "bad $i ($what): one line naming it" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: ' '$T/err' && grep -q -- '$pat' '$T/err'"
	t "bad $i ($what): nothing printed on stdout" test ! -s "$T/out"
	t "bad $i ($what): store unchanged" test "$d0|$l0" = "$(V "$H" digest)|$(J log | jq length)"
}

# ---- pupil edit
t "pupil edit prints the id" bash -c "[ \"\$('$VIOS' --home '$H' pupil edit '$P' --class 3C)\" = '$P' ]"
B16=$(date -d '-16 years -1 month' +%F)
J pupil edit "$P" --birth "$B16" --guardian "mother, 06-12345678" --class 3C >"$T/j"
t "pupil edit --json: {id, changed} with only what differed, over16 following the birth date" \
	jq -e --arg p "$P" '.id == $p and .changed == ["birth_date", "over16", "guardian_contact"]' "$T/j"
t "pupil edit changed those columns only" bash -c "'$VIOS' --home '$H' --json pupil show '$P' | jq -e '.pupil | .class==\"3C\" and .over16==true and .name==\"Anna de Vries\" and .birth_date==\"$B16\"'"
t "pupil edit --birth back: over16 follows" bash -c "'$VIOS' --home '$H' pupil edit '$P' --birth 2011-03-04 >/dev/null && '$VIOS' --home '$H' --json pupil show '$P' | jq -e '.pupil.over16==false'"
t "pupil edit is logged as update, column names only" bash -c "'$VIOS' --home '$H' --json log | jq -e --arg p '$P' 'any(.action==\"update\" and .tbl==\"pupil\" and .record_id==\$p and .why==\"edit: class\") and all(.why // \"\" | contains(\"06-12345678\") | not)'"
bad 2 "pupil edit, not a date" "--birth" pupil edit "$P" --birth 2011-02-30
bad 2 "pupil edit, nothing to change" "nothing to change" pupil edit "$P"
bad 2 "pupil edit, --over16 is not set by hand" "follows from --birth" pupil edit "$P" --over16 yes
bad 2 "pupil edit, a birth date in the future" "in the future" pupil edit "$P" --birth "$(date -d '+3 days' +%F)"
bad 1 "pupil edit, no such pupil" "no pupil with id" pupil edit "$NOWHERE" --class 4A

# ---- signal edit and show
t "signal edit" bash -c "[ \"\$('$VIOS' --home '$H' signal edit '$S' --severity high --where around)\" = '$S' ]"
t "signal edit --json" bash -c "'$VIOS' --home '$H' --json signal edit '$S2' --pupil '$P' --note 'groups, one of them Anna' --basis consent --parents-informed yes | jq -e '.changed == [\"note\", \"pupil_id\", \"basis\", \"parents_informed\"]'"
bad 2 "signal edit, unknown theme" "unknown theme" signal edit "$S" --theme loverboys
bad 2 "signal edit, parents not informed without a reason" "not-informed-reason" signal edit "$S" --parents-informed no
V "$H" signal show "$S" >"$T/show"
t "signal show: the signal, its pupil and its case" bash -c "grep -q 'knife seen' '$T/show' && grep -q 'Anna de Vries' '$T/show' && grep -q '$CASE' '$T/show' && grep -q 'severity high, where around' '$T/show'"
t "signal show --json" bash -c "'$VIOS' --home '$H' --json signal show '$S' | jq -e '.signal.id==\"$S\" and .pupil.name==\"Anna de Vries\" and (.cases|length)==1 and .cases[0].id==\"$CASE\"'"
bad 1 "signal show, no such signal" "no signal with id" signal show "$NOWHERE"
bad 2 "signal show, not an id" "not a signal id" signal show 42

# ---- meeting edit
t "meeting edit" bash -c "'$VIOS' --home '$H' --json meeting edit '$M' --minutes 'agreed on a talk' --roles youth-work,police | jq -e '.changed == [\"roles\", \"minutes\"]'"
t "meeting roles stored in role order" bash -c "'$VIOS' --home '$H' --json meeting list | jq -e '.[0].roles==\"police,youth-work\"'"
bad 2 "meeting edit, unknown kind" "--kind" meeting edit "$M" --kind party

# ---- agreement edit
t "agreement edit (owner, due date)" bash -c "'$VIOS' --home '$H' --json agreement edit '$A' --owner social-team --due 2027-01-15 | jq -e '.changed == [\"owner_role\", \"due_date\"]'"
t "agreement edit shows in the list" bash -c "'$VIOS' --home '$H' --json agreement list --case '$CASE' | jq -e 'any(.id==\"$A\" and .owner_role==\"social-team\" and .due_date==\"2027-01-15\")'"
bad 2 "agreement edit, --case never changes" "cannot change" agreement edit "$A2" --case "$CASE"
bad 2 "agreement edit, unknown owner role" "unknown role" agreement edit "$A" --owner janitor

# ---- case show
V "$H" case show "$CASE" >"$T/show"
t "case show: pupil, signal, meeting and both agreements" bash -c "grep -q 'Anna de Vries' '$T/show' && grep -q 'knife seen' '$T/show' && grep -q 'agreed on a talk' '$T/show' && grep -q 'talk to the pupil' '$T/show' && grep -q 'weapons lesson' '$T/show'"
t "case show: sections" bash -c "grep -q '^Signals (1)' '$T/show' && grep -q '^Meetings (1)' '$T/show' && grep -q '^Agreements (2)' '$T/show'"
t "case show --json" bash -c "'$VIOS' --home '$H' --json case show '$CASE' | jq -e '.case.id==\"$CASE\" and .pupil.id==\"$P\" and (.signals|length)==1 and (.meetings|length)==1 and (.agreements|length)==2'"
t "case show is logged as a read" bash -c "'$VIOS' --home '$H' --json log | jq -e 'any(.action==\"read\" and .tbl==\"case_file\" and .record_id==\"$CASE\")'"
bad 1 "case show, no such case" "no case with id" case show "$NOWHERE"
mk other school
V "$T/other" case show "$CASE" >/dev/null 2>"$T/err"; rc=$?
t "case show on a node that does not hold the case: exit 1, one line" bash -c "[ $rc -eq 1 ] && one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q 'no case with id' '$T/err'"

# ---- case roles
t "case roles --add, stored in role order" bash -c "[ \"\$('$VIOS' --home '$H' case roles '$CASE' --add municipality,attendance)\" = 'case $CASE roles: police,social-team,attendance,municipality' ]"
t "case roles --remove --json" bash -c "'$VIOS' --home '$H' --json case roles '$CASE' --remove municipality | jq -e '.id==\"$CASE\" and .roles==\"police,social-team,attendance\"'"
t "case list shows the roles" bash -c "'$VIOS' --home '$H' --json case list | jq -e '.[0].roles==\"police,social-team,attendance\"'"
bad 2 "case roles, removing the lead" "police leads the case" case roles "$CASE" --remove police
bad 2 "case roles, removing the school" "school role cannot be removed" case roles "$CASE" --remove school
bad 2 "case roles, unknown role" "unknown role .bakers." case roles "$CASE" --add bakers
bad 2 "case roles, neither --add nor --remove" "give --add" case roles "$CASE"

# ---- case lead
t "case lead" bash -c "[ \"\$('$VIOS' --home '$H' case lead '$CASE' social-team)\" = 'case $CASE is led by social-team' ]"
t "case lead --json" bash -c "'$VIOS' --home '$H' --json case lead '$CASE' attendance | jq -e '.lead_role==\"attendance\"'"
t "the former lead may now leave" V "$H" case roles "$CASE" --remove police
bad 2 "case lead, a role not in the case" "municipality does not take part" case lead "$CASE" municipality
bad 1 "case lead, no such case" "no case with id" case lead "$NOWHERE" police

# ---- a case's marked fields: case open --police-info/--care-info, case info
C2=$(V "$H" case open --basis public-task --parents-informed yes --pupil "$P" --roles police,social-team --police-info "arrested for theft" --care-info "")
t "case open with the marked fields" grep -qE "$UUID" <<<"$C2"
t "case show --json: police_info set, care_info given empty is null" bash -c "'$VIOS' --home '$H' --json case show '$C2' | jq -e '.case.police_info==\"arrested for theft\" and .case.care_info==null'"
V "$H" case show "$C2" >"$T/show"
t "case show labels them, none held shown as such" bash -c "grep -qx '  police information (art. 10): arrested for theft' '$T/show' && grep -qx '  care information (art. 9): (none held here)' '$T/show'"
t "case info prints the id" bash -c "[ \"\$('$VIOS' --home '$H' case info '$C2' --care-info 'self-harm risk')\" = '$C2' ]"
t "case info --json: {id, changed}, clearing with an empty value" bash -c "'$VIOS' --home '$H' --json case info '$C2' --police-info '' --care-info 'self-harm risk' | jq -e '.id==\"$C2\" and .changed==[\"police_info\"]'"
t "case info cleared and set them" bash -c "'$VIOS' --home '$H' --json case show '$C2' | jq -e '.case.police_info==null and .case.care_info==\"self-harm risk\"'"
t "case info is logged as update, column names only" bash -c "'$VIOS' --home '$H' --json log | jq -e --arg c '$C2' 'any(.action==\"update\" and .tbl==\"case_file\" and .record_id==\$c and .why==\"edit: police_info\") and all(.why // \"\" | contains(\"self-harm\") | not)'"
bad 2 "case info, nothing to change" "nothing to change" case info "$C2"
# (getopt prints its own line before vios's for an unknown option, in every command: exit and store only)
d0=$(V "$H" digest)
V "$H" case info "$C2" --roles police >/dev/null 2>"$T/err"; rc=$?
t "case info changes no other column: exit 2, store unchanged" bash -c "[ $rc -eq 2 ] && grep -q 'unknown option' '$T/err' && [ \"\$('$VIOS' --home '$H' digest)\" = '$d0' ]"
bad 2 "case info, control characters" "--care-info: contains control characters" case info "$C2" --care-info "$(printf 'bell\a')"
bad 2 "case info, too long" "--police-info: longer than" case info "$C2" --police-info "$(head -c 4001 /dev/zero | tr '\0' x)"
bad 1 "case info, no such case" "no case with id" case info "$NOWHERE" --police-info x
bad 2 "case info, not a case id" "not a case id" case info 42 --police-info x

# ---- help and man page
t "help names the new commands" bash -c "'$VIOS' help case | grep -q 'case roles ID' && '$VIOS' help case | grep -q 'case info ID' && '$VIOS' help pupil | grep -q 'pupil edit ID'"
t "the man page has them too" bash -c "'$VIOS' help --man | grep -q 'vios case lead ID ROLE'"
finish
