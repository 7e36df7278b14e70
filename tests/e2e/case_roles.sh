#!/usr/bin/env bash
# Case roles that change (issue 13, docs/architecture.md "Sharing"): a school
# opens a case with the police and the social team, the social team marks its
# agreement done, the school adds attendance to the case: attendance's next
# sync brings the case as it is now (the social team's "done" forwarded as the
# social team's own op) and `case show` works there. Then the school takes the
# social team off: its copy shows the case left its view, and nothing of the
# case reaches it afterwards.
# Also: bundle files imported by hand in the wrong order (the social team's
# "done" before the school's agreement) in one `vios import`: the import
# takes them in the order sync would, and nothing is lost.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police" "soc partner social-team" "att partner attendance" \
	"aud auditor" "aud2 auditor"
hub_world s1 pol soc att aud aud2
dig() { V "$T/$1" digest --category case; }
has_case() { [ "$(V "$T/$1" --json case list | jq --arg id "$2" '[.[] | select(.id == $id)] | length')" = 1 ]; }

C="canary$RANDOM$RANDOM"
P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2011-05-14)
S=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme weapons --pupil "$P" --note "knife $C" --where in --severity high)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police,social-team --lead social-team)
AG=$(V "$T/s1" agreement add --case "$CASE" --owner social-team --action "home visit $C" --due 2026-12-20)

t "school sync" V "$T/s1" sync
t "social team sync" V "$T/soc" sync
t "the social team has the case" has_case soc "$CASE"
# the marked fields are the owner's: a partner holding the case is refused by the mandate
D0=$(dig soc)
V "$T/soc" case info "$CASE" --care-info "written by the social team" >/dev/null 2>"$T/err"; rc=$?
t "the social team may not set the case's care information: exit 1, one mandate line" bash -c "[ $rc -eq 1 ] && one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q '^vios: error: mandate: .*care_info' '$T/err'"
t "... and its store is unchanged" test "$(dig soc)" = "$D0"
t "social team marks its agreement done" V "$T/soc" agreement done "$AG" --feedback "visited the family"
t "social team sync back" V "$T/soc" sync
t "school sync: the agreement is done" bash -c "'$VIOS' --home '$T/s1' sync >/dev/null && '$VIOS' --home '$T/s1' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\"'"
# by hand, the social team's bundles first: one import takes them in sync's order
files=()
for n in soc s1; do
	id=$(nid "$n")
	for f in $(git --git-dir "$G" ls-tree --name-only "refs/heads/nodes/$id" bundles/ | grep '\.age$'); do
		git --git-dir "$G" show "refs/heads/nodes/$id:$f" >"$T/$n-$(basename "$f")"
		git --git-dir "$G" show "refs/heads/nodes/$id:$f.minisig" >"$T/$n-$(basename "$f").minisig"
		files+=("$T/$n-$(basename "$f")")
	done
done
t "a hand import of every bundle file, the social team's first" V "$T/aud2" import "${files[@]}"
t "... the agreement is done there too (nothing lost to the order)" bash -c "'$VIOS' --home '$T/aud2' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\"'"
t "... and its case digest equals the school's" bash -c "[ \"\$('$VIOS' --home '$T/s1' digest --category case)\" = \"\$('$VIOS' --home '$T/aud2' digest --category case)\" ]"
t "attendance sync: the case is not its business yet" bash -c "'$VIOS' --home '$T/att' sync >/dev/null && [ \"\$('$VIOS' --home '$T/att' --json case list | jq length)\" = 0 ]"

# --- a role added later -------------------------------------------------------------------
t "school adds attendance to the case" V "$T/s1" case roles "$CASE" --add attendance
t "school sync seals the case's state for attendance" V "$T/s1" sync
t "attendance sync takes the forwarded state" V "$T/att" sync
t "attendance holds the case" has_case att "$CASE"
t "case show works at attendance" bash -c "'$VIOS' --home '$T/att' case show '$CASE' | grep -q attendance"
t "attendance sees the agreement done, as the social team wrote it" bash -c "'$VIOS' --home '$T/att' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\" and .feedback==\"visited the family\"'"
t "attendance holds the pupil and the signal" bash -c "'$VIOS' --home '$T/att' pupil show '$P' | grep -q 'knife $C'"
t "case digest equal school/attendance" bash -c "[ \"\$('$VIOS' --home '$T/s1' digest --category case)\" = \"\$('$VIOS' --home '$T/att' digest --category case)\" ]"
t "the case is in attendance's view" bash -c "'$VIOS' --home '$T/att' --json case list | jq -e '.[] | select(.id==\"$CASE\") | .in_view == true'"
t "a second school sync moves nothing" bash -c "'$VIOS' --home '$T/s1' --json sync | jq -e '.exported == 0'"

# --- a role taken off ---------------------------------------------------------------------
t "the lead cannot be taken off while it leads" bash -c "! '$VIOS' --home '$T/s1' case roles '$CASE' --remove social-team 2>/dev/null"
t "school makes the police the lead" V "$T/s1" case lead "$CASE" police
t "school takes the social team off the case" V "$T/s1" case roles "$CASE" --remove social-team
t "school sync" V "$T/s1" sync
t "social team sync" V "$T/soc" sync
t "the social team's copy shows the roles without it" bash -c "'$VIOS' --home '$T/soc' --json case list | jq -e '.[] | select(.id==\"$CASE\") | (.roles | test(\"social-team\") | not)'"
t "case list marks the case out of the social team's view" bash -c "'$VIOS' --home '$T/soc' --json case list | jq -e '.[] | select(.id==\"$CASE\") | .in_view == false'"
t "case show says so in text" bash -c "'$VIOS' --home '$T/soc' case show '$CASE' | grep -qi 'view'"
AG2=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "talk to the pupil $C" --due 2026-12-21)
t "school sync" V "$T/s1" sync
t "social team sync" V "$T/soc" sync
t "nothing new of the case reaches the social team" bash -c "! '$VIOS' --home '$T/soc' --json agreement list | jq -e '.[] | select(.id==\"$AG2\")'"
t "the police do get it" bash -c "'$VIOS' --home '$T/pol' sync >/dev/null && '$VIOS' --home '$T/pol' --json agreement list | jq -e '.[] | select(.id==\"$AG2\")'"
t "the auditor follows every chain" bash -c "'$VIOS' --home '$T/aud' sync >/dev/null && [ \"\$('$VIOS' --home '$T/aud' digest --category case)\" = \"\$('$VIOS' --home '$T/s1' digest --category case)\" ]"
t "canary not in the hub repository" bash -c "! grep -rqa '$C' '$G'"
finish
