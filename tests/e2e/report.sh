#!/usr/bin/env bash
# The hub's trend report: counts per month, school and theme from the theme
# data schools send; below 5 shown as "<5" in every output, and what would
# give one away as "x" (tests/e2e/report_attack.sh is the attacker); no
# personal data. The CSV is RFC 4180 (CRLF): the checks read it with the CRs
# taken off.
. "$(dirname "$0")/lib.sh"

for n in "hub hub" "north school" "south school"; do set -- $n; mk "$1" "$2"; done
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in north south; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; V "$T/hub" hub enroll "$T/$n.req" >/dev/null
	V "$T/$n" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null
done
C="canary$RANDOM$RANDOM"
P=$(V "$T/north" pupil add --name "Pupil $C")
for i in 1 2 3 4 5 6 7; do V "$T/north" signal add --theme weapons --note "knife $i" --at "2026-10-0$i" >/dev/null; done
V "$T/north" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner $C" --at 2026-10-09 >/dev/null
for i in 1 2 3; do V "$T/south" signal add --theme weapons --note "knife $i" --at "2026-10-1$i" >/dev/null; done
V "$T/north" trend add --theme weapons --period 2026-10 --level rising >/dev/null
V "$T/south" trend add --theme weapons --period 2026-11 --level stable >/dev/null
for n in north south; do V "$T/$n" sync >/dev/null; done
t "hub merge" V "$T/hub" hub merge
t "hub report writes CSV and SVG" V "$T/hub" hub report --csv "$T/r.crlf.csv" --svg "$T/r.svg"
tr -d '\r' <"$T/r.crlf.csv" >"$T/r.csv"
t "the CSV's records end with CRLF" bash -c "[ \$(grep -c \$'\r\$' '$T/r.crlf.csv') -eq \$(wc -l <'$T/r.crlf.csv') ]"
t "CSV header" bash -c "head -n1 '$T/r.csv' | grep -qx 'month,school,theme,signals,trend'"
t "one row per month x school x theme (2 x 2 x 12), one per month x theme for the municipality" test "$(tail -n +2 "$T/r.csv" | wc -l)" -eq 72
t "north 7 and south 3: the total 10 shown, north's 7 hidden as its complement" grep -qx '2026-10,,weapons,10,' "$T/r.csv"
t "north weapons 2026-10: x, rising" grep -qx '2026-10,north,weapons,x,rising' "$T/r.csv"
t "south weapons 2026-10: 3 shown as <5" grep -qx '2026-10,south,weapons,<5,' "$T/r.csv"
t "a signal about a pupil is counted, as <5" grep -qx '2026-10,north,drugs-trade,<5,' "$T/r.csv"
t "no count below 5 appears as a number" bash -c "! tail -n +2 '$T/r.csv' | cut -d, -f4 | grep -qE '^[0-4]$'"
t "a total below 5 is hidden too (drugs-trade: 1)" grep -qx '2026-10,,drugs-trade,x,' "$T/r.csv"
t "south's trend for 2026-11" grep -qx '2026-11,south,weapons,<5,stable' "$T/r.csv"
t "--from/--to restrict the months" bash -c "'$VIOS' --home '$T/hub' hub report --from 2026-11 --to 2026-11 --csv '$T/r2.csv' >/dev/null && [ \$(tail -n +2 '$T/r2.csv' | wc -l) -eq 36 ]"
V "$T/hub" hub report --from 2026-13 >/dev/null 2>"$T/err"; rc=$?
t "a bad month is a usage error" test "$rc" -eq 2
t "the SVG is a complete SVG document" bash -c "head -c 200 '$T/r.svg' | grep -q '<svg' && tail -n1 '$T/r.svg' | grep -q '</svg>'"
t "the SVG has a panel per school and the municipality" bash -c "grep -c 'font-weight=\"bold\">\\(north\\|south\\|Municipality\\)' '$T/r.svg' | grep -qx 3"
t "the SVG draws no point below 5 and marks the cells not shown" bash -c "! grep -oE '<title>[^<]*: [0-4]</title>' '$T/r.svg' | grep -q . && grep -q '<title>south, weapons, 2026-10: &lt;5</title>' '$T/r.svg' && grep -q '<title>north, weapons, 2026-10: x</title>' '$T/r.svg' && grep -q '<title>all schools, weapons, 2026-10: 10</title>' '$T/r.svg'"
t "no personal data in the report" bash -c "! grep -qa '$C' '$T/r.csv' '$T/r.svg'"
t "the hub holds no pupil and no signal about a pupil" bash -c "[ \"\$('$VIOS' --home '$T/hub' --json pupil list | jq length)\" = 0 ] && ! '$VIOS' --home '$T/hub' signal list | grep -q 'runner'"
t "--json shows counts as shown, never below 5" bash -c "'$VIOS' --home '$T/hub' --json hub report | jq -e '.format == \"vios-report-2\" and ([.rows[].signals, .totals[].signals] | all(. == \"<5\" or . == \"x\" or (tonumber >= 5)))'"
V "$T/north" trend add --theme weapons --period "$(date -d '+40 days' +%Y-%m)" --level rising >/dev/null 2>&1; rc=$?
t "a trend for a month after the current one is refused" test "$rc" -eq 2
# counts follow new signals
for i in 4 5; do V "$T/south" signal add --theme weapons --note "knife $i" --at "2026-10-2$i" >/dev/null; done
V "$T/south" sync >/dev/null; V "$T/hub" hub merge >/dev/null
t "a new signal updates the count at the hub (3 -> 5), and the total 12 shows" bash -c "'$VIOS' --home '$T/hub' hub report --csv - | tr -d '\r' >'$T/r3.csv' && grep -qx '2026-10,south,weapons,5,' '$T/r3.csv' && grep -qx '2026-10,,weapons,12,' '$T/r3.csv'"
finish
