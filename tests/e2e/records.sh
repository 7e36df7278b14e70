#!/usr/bin/env bash
# The school's record commands through the CLI: every add/list/show, the
# validation errors, the case lifecycle, overdue agreements, the access log,
# and that no record content reaches disk in plain text.
. "$(dirname "$0")/lib.sh"

# every file of the home but run/, whose entries name the last command that
# held the store (its pid and word: docs/formats.md, "Run lock"), not its data
sums() { (cd "$1" && find . -path ./run -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
mk s school
H="$T/s"
C="canary$RANDOM$RANDOM"

P=$(V "$H" pupil add --name "Pupil $C" --birth 2011-03-04 --class 2B --local-id L-17)
t "pupil add prints a UUIDv7" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$P"
PJ=$(V "$H" --json pupil add --name "Second pupil" --birth "$(date -d '-17 years' +%F)")
t "pupil add --json prints {id}" jq -e '.id | test("^[0-9a-f-]{36}$")' <<<"$PJ"
t "pupil list shows the name" bash -c "'$VIOS' --home '$H' pupil list | grep -q 'Pupil $C'"
t "pupil list --json parses, two pupils" bash -c "'$VIOS' --home '$H' --json pupil list | jq -e 'length==2'"

S=$(V "$H" signal add --basis public-task --theme weapons --pupil "$P" --note "knife seen $C" --where around --severity high --at 2026-11-03 --parents-informed yes)
t "signal add" grep -qE '^[0-9a-f-]{36}$' <<<"$S"
S2=$(V "$H" signal add --theme nuisance --note "groups at the gate")
t "signal without a pupil (thematic)" grep -qE '^[0-9a-f-]{36}$' <<<"$S2"
t "signal list shows the note" bash -c "'$VIOS' --home '$H' signal list | grep -q 'knife seen $C'"
t "signal list --theme filters" bash -c "'$VIOS' --home '$H' --json signal list --theme nuisance | jq -e 'length==1 and .[0].theme==\"nuisance\"'"
t "signal list --since filters" bash -c "'$VIOS' --home '$H' --json signal list --since 2026-11-04 | jq -e 'all(.seen_at >= \"2026-11-04\")'"

CASE=$(V "$H" case open --pupil "$P" --signals "$S" --roles police,social-team --lead social-team --basis public-task)
t "case open" grep -qE '^[0-9a-f-]{36}$' <<<"$CASE"
A1=$(V "$H" agreement add --case "$CASE" --owner police --action "talk to $C" --due 2020-01-01)
A2=$(V "$H" agreement add --case "$CASE" --owner social-team --action "home visit" --due 2099-01-01)
t "agreement add" grep -qE '^[0-9a-f-]{36}$' <<<"$A1"
t "overdue agreement listed" bash -c "'$VIOS' --home '$H' agreement list --overdue | grep -q 'talk to $C'"
t "future agreement not overdue" bash -c "! '$VIOS' --home '$H' agreement list --overdue | grep -q 'home visit'"
t "pupil show has signal, case and agreement" bash -c "'$VIOS' --home '$H' pupil show '$P' | grep -q 'knife seen $C' && '$VIOS' --home '$H' pupil show '$P' | grep -q 'talk to $C'"
t "pupil show --json" bash -c "'$VIOS' --home '$H' --json pupil show '$P' | jq -e '(.signals|length)==1 and (.cases|length)==1 and (.agreements|length)==2'"
t "agreement done with feedback" V "$H" agreement done "$A1" --feedback "talked, will follow up"
t "done agreement no longer overdue" bash -c "! '$VIOS' --home '$H' agreement list --overdue | grep -q 'talk to $C'"

M=$(V "$H" meeting add --kind thematic --date 2026-11-02 --roles police,youth-work --minutes "knives near the station")
t "meeting add" grep -qE '^[0-9a-f-]{36}$' <<<"$M"
t "agreement on a meeting" V "$H" agreement add --meeting "$M" --owner school --action "weapons lesson" --due 2026-12-01
t "trend add" V "$H" trend add --theme drugs-trade --period 2026-10 --level rising --note "dealing near station"
t "trend list" bash -c "'$VIOS' --home '$H' trend list | grep -q drugs-trade"
t "meeting list" bash -c "'$VIOS' --home '$H' meeting list | grep -q thematic"

# case lifecycle
t "reported -> discussed" V "$H" case status "$CASE" discussed
t "discussed -> in-progress" V "$H" case status "$CASE" in-progress
V "$H" case status "$CASE" reported >/dev/null 2>"$T/err"; rc=$?
t "in-progress -> reported is refused (exit 2)" test "$rc" -eq 2
t "refusal names the allowed statuses" grep -q "allowed next: monitoring" "$T/err"
V "$H" case status "$CASE" escalated >/dev/null 2>"$T/err"; rc=$?
t "escalated needs --to" test "$rc" -eq 2
# the meldcode's five steps come first (tests/e2e/meldcode.sh has the rule)
for st in 1 2 3 4; do V "$H" case meldcode "$CASE" --step "$st" --date "$(date +%F)" >/dev/null; done
t "meldcode step 5: report" V "$H" case meldcode "$CASE" --step 5 --date "$(date +%F)" --outcome report
t "escalate to Veilig Thuis" V "$H" case status "$CASE" escalated --to veilig-thuis
V "$H" case status "$CASE" monitoring >/dev/null 2>"$T/err"; rc=$?
t "an escalated case is final (exit 2)" test "$rc" -eq 2
t "case list shows escalated with its target" bash -c "'$VIOS' --home '$H' --json case list | jq -e '.[0].status==\"escalated\" and .[0].escalation_target==\"veilig-thuis\"'"
CASE2=$(V "$H" case open --basis public-task --parents-informed yes --pupil "$P")
t "reported -> closed" V "$H" case status "$CASE2" closed
V "$H" case status "$CASE2" in-progress >/dev/null 2>"$T/err"; rc=$?
t "a closed case is final" test "$rc" -eq 2
t "case list shows closed with closed_at" bash -c "'$VIOS' --home '$H' --json case list | jq -e '.[1].id==\"$CASE2\" and .[1].status==\"closed\" and .[1].closed_at != null'"

# bad input: one line, non-zero, no crash, nothing stored
S0=$(V "$H" --json signal list | jq length)
i=0
bad() { # bad EXPECTED_RC "what" args...
	local want=$1 what=$2; shift 2
	i=$((i + 1))
	V "$H" "$@" >/dev/null 2>"$T/err"; local rc=$?
	t "bad input $i ($what): exit $want, one line" bash -c "[ $rc -eq $want ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: ' '$T/err'"
}
bad 2 "unknown theme" signal add --theme not-a-theme --note x
bad 2 "missing note" signal add --theme weapons
bad 2 "date that is not a date" signal add --theme weapons --note x --at 2026-02-30
bad 2 "bad --where" signal add --theme weapons --note x --where inside
bad 1 "unknown pupil" signal add --basis public-task --parents-informed yes --theme weapons --note x --pupil 01234567-89ab-7def-8123-456789abcdef
bad 2 "pupil id that is not an id" signal add --basis public-task --parents-informed yes --theme weapons --note x --pupil 42
bad 2 "unknown role" case open --basis public-task --parents-informed yes --pupil "$P" --roles police,bakers
bad 1 "unknown signal in a case" case open --basis public-task --pupil "$P" --signals 01234567-89ab-7def-8123-456789abcdef
bad 2 "unknown status" case status "$CASE" closed-forever
bad 1 "unknown case" case status 01234567-89ab-7def-8123-456789abcdef discussed
bad 2 "agreement on both case and meeting" agreement add --case "$CASE" --meeting "$M" --owner police --action x --due 2026-12-01
bad 2 "agreement due date" agreement add --case "$CASE" --owner police --action x --due tomorrow
bad 2 "unknown owner role" agreement add --case "$CASE" --owner janitor --action x --due 2026-12-01
bad 2 "trend period" trend add --theme weapons --period 2026-13 --level rising
bad 2 "trend level" trend add --theme weapons --period 2026-11 --level exploding
bad 2 "meeting kind" meeting add --kind party --date 2026-11-02
bad 2 "empty name" pupil add --name ""
bad 2 "parents not informed without a reason" signal add --theme weapons --note x --parents-informed no
# data quality (issue 16): each a usage error naming the flag, nothing stored
FUT=$(date -d '+3 days' +%F)
bad 2 "a signal about a pupil without --basis" signal add --theme weapons --note x --pupil "$P" --parents-informed yes
t "  names --basis" grep -q -- "--basis" "$T/err"
bad 2 "a signal about a pupil without --parents-informed" signal add --theme weapons --note x --pupil "$P" --basis consent
t "  names --parents-informed" grep -q -- "--parents-informed" "$T/err"
bad 2 "a signal dated in the future" signal add --theme weapons --note x --at "$FUT"
t "  says it is in the future" grep -q "in the future" "$T/err"
bad 2 "a birth date in the future" pupil add --name "Not born" --birth "$FUT"
bad 2 "--over16 is not set by hand" pupil add --name "Flag" --over16
t "  says it follows from --birth" grep -q "follows from --birth" "$T/err"
bad 2 "a case without --basis" case open --pupil "$P" --parents-informed yes
bad 2 "a case without signals and without --parents-informed" case open --pupil "$P" --basis consent
t "  names --parents-informed" grep -q -- "--parents-informed" "$T/err"
t "a meeting may be planned ahead" V "$H" meeting add --kind thematic --date "$FUT"
t "tomorrow is allowed (a day of slack)" V "$H" signal add --theme weapons --note "slack $C" --at "$(date -d '+1 day' +%F)"
S0=$((S0 + 1))
t "over16 follows from the birth date in pupil list" bash -c "'$VIOS' --home '$H' --json pupil list | jq -e 'map(select(.name == \"Second pupil\"))[0].over16 == true and map(select(.name == \"Pupil $C\"))[0].over16 == false'"
bad 1 "unknown agreement" agreement done 01234567-89ab-7def-8123-456789abcdef
bad 2 "unknown sub-command" pupil remove "$P"
t "no signal was stored by the bad inputs" test "$(V "$H" --json signal list | jq length)" -eq "$S0"

# access log
t "log records creates and reads" bash -c "'$VIOS' --home '$H' --json log | jq -e 'any(.action==\"create\" and .tbl==\"pupil\") and any(.action==\"read\" and .tbl==\"pupil\" and .record_id==\"$P\") and any(.action==\"update\" and .tbl==\"case_file\")'"
t "log names the OS user" bash -c "'$VIOS' --home '$H' --json log | jq -e --arg u \"\$(id -un)\" 'all(.os_user==\$u)'"
t "log --limit" bash -c "'$VIOS' --home '$H' --json log --limit 2 | jq -e 'length==2'"
t "log holds no record content" bash -c "! '$VIOS' --home '$H' log | grep -q '$C'"

# nothing in plain text, nothing recognisable
t "canary absent from every file in the home" bash -c "! grep -rqa '$C' '$H'"
t "store.db does not open as SQLite" bash -c "! sqlite3 '$H/store.db' .tables"
t "store.db is private (0600)" test "$(stat -c %a "$H/store.db")" = 600
t "store.db has no SQLite header" bash -c "! head -c 16 '$H/store.db' | grep -qa 'SQLite format'"

# store check and vacuum
t "store check says ok" bash -c "'$VIOS' --home '$H' store check | grep -q 'integrity ok'"
t "store vacuum keeps every record" bash -c "'$VIOS' --home '$H' store vacuum >/dev/null && '$VIOS' --home '$H' --json pupil list | jq -e 'length==2'"
t "canary absent after vacuum" bash -c "! grep -rqa '$C' '$H'"

# wrong passphrase leaves the store untouched
S1=$(sums "$H")
VIOS_PASSPHRASE=wrong-passphrase V "$H" pupil list >/dev/null 2>"$T/err"; rc=$?
t "wrong passphrase: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
t "wrong passphrase: store unchanged" test "$S1" = "$(sums "$H")"

# flipped bytes in the data pages: exit 3, one line, nothing written
# (a byte in every page but page 1: a free page is never read, so one flip
# could land where nothing looks)
cp "$H/store.db" "$T/store.bak"
SIZE=$(stat -c %s "$H/store.db")
for ((off = 4096 + 1000; off < SIZE; off += 4096)); do
	printf '\x5a' | dd of="$H/store.db" bs=1 seek="$off" conv=notrunc status=none
done
S2=$(sums "$H")
V "$H" pupil list >/dev/null 2>"$T/err"; rc=$?
t "tampered page: exit 3" test "$rc" -eq 3
t "tampered page: one line naming it" bash -c "one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q 'tampered or corrupt' '$T/err'"
V "$H" signal add --theme weapons --note "after tamper" >/dev/null 2>&1; rc=$?
t "write on a tampered store fails" test "$rc" -ne 0
t "nothing written to a tampered store" test "$S2" = "$(sums "$H")"
cp "$T/store.bak" "$H/store.db"
t "restored store works again" bash -c "'$VIOS' --home '$H' store check | grep -q 'integrity ok'"
finish
