#!/usr/bin/env bash
# The hub's trend report: counts per month, school and theme from the theme
# data schools send; below 5 shown as "<5" in every output; no personal data.
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
t "hub report writes CSV and SVG" V "$T/hub" hub report --csv "$T/r.csv" --svg "$T/r.svg"
t "CSV header" bash -c "head -n1 '$T/r.csv' | grep -qx 'month,school,theme,signals,trend'"
t "one row per month x school x theme (2 x 2 x 12)" test "$(tail -n +2 "$T/r.csv" | wc -l)" -eq 48
t "north weapons 2026-10: 7, rising" grep -qx '2026-10,north,weapons,7,rising' "$T/r.csv"
t "south weapons 2026-10: 3 shown as <5" grep -qx '2026-10,south,weapons,<5,' "$T/r.csv"
t "a signal about a pupil is counted, as <5" grep -qx '2026-10,north,drugs-trade,<5,' "$T/r.csv"
t "no count below 5 appears as a number" bash -c "! tail -n +2 '$T/r.csv' | cut -d, -f4 | grep -qE '^[0-4]$'"
t "south's trend for 2026-11" grep -qx '2026-11,south,weapons,<5,stable' "$T/r.csv"
t "--from/--to restrict the months" bash -c "'$VIOS' --home '$T/hub' hub report --from 2026-11 --to 2026-11 --csv '$T/r2.csv' >/dev/null && [ \$(tail -n +2 '$T/r2.csv' | wc -l) -eq 24 ]"
V "$T/hub" hub report --from 2026-13 >/dev/null 2>"$T/err"; rc=$?
t "a bad month is a usage error" test "$rc" -eq 2
t "the SVG is a complete SVG document" bash -c "head -c 200 '$T/r.svg' | grep -q '<svg' && tail -n1 '$T/r.svg' | grep -q '</svg>'"
t "the SVG has a panel per school and the municipality" bash -c "grep -c 'font-weight=\"bold\">\\(north\\|south\\|Municipality\\)' '$T/r.svg' | grep -qx 3"
t "the SVG draws no point below 5" bash -c "! grep -oE '<title>[a-z-]+ [0-9-]+: [0-4]</title>' '$T/r.svg' | grep -q ."
t "no personal data in the report" bash -c "! grep -qa '$C' '$T/r.csv' '$T/r.svg'"
t "the hub holds no pupil and no signal about a pupil" bash -c "[ \"\$('$VIOS' --home '$T/hub' --json pupil list | jq length)\" = 0 ] && ! '$VIOS' --home '$T/hub' signal list | grep -q 'runner'"
t "--json shows counts as shown, never below 5" bash -c "'$VIOS' --home '$T/hub' --json hub report | jq -e '[.rows[].signals] | all(. == \"<5\" or (tonumber >= 5))'"
# counts follow new signals
for i in 4 5; do V "$T/south" signal add --theme weapons --note "knife $i" --at "2026-10-2$i" >/dev/null; done
V "$T/south" sync >/dev/null; V "$T/hub" hub merge >/dev/null
t "a new signal updates the count at the hub (3 -> 5)" bash -c "'$VIOS' --home '$T/hub' hub report --csv '$T/r3.csv' >/dev/null && grep -qx '2026-10,south,weapons,5,' '$T/r3.csv'"
finish
