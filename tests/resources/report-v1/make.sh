# make.sh - made tests/resources/report-v1 with the vios of main at 581ca37 (before
# disclosure control), run from the repository root on 2026-12-01. Kept to show
# what the old format gave away; it cannot be remade with a newer vios.
. tests/e2e/lib.sh
for n in "hub hub" "Regenboog school" "Kompas school" "Linde school"; do set -- $n; mk "$1" "$2"; done
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in Regenboog Kompas Linde; do V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; V "$T/hub" hub enroll "$T/$n.req" >/dev/null; done
for n in Regenboog Kompas Linde; do V "$T/$n" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null; done
P=$(V "$T/Regenboog" pupil add --name "Sam de Vries" --class 3B)
for i in 1 2 3 4 5 6; do V "$T/Regenboog" signal add --theme weapons --note "w$i" --at 2026-11-0$i >/dev/null; done
for i in 1 2; do V "$T/Kompas" signal add --theme weapons --note "w$i" --at 2026-11-0$i >/dev/null; done
for i in 1 2 3 4 5; do V "$T/Kompas" signal add --theme drugs-trade --note "d$i" --at 2026-11-1$i >/dev/null; done
V "$T/Regenboog" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner" --at 2026-11-09 >/dev/null
for i in 1 2 3 4 5 6 7; do V "$T/Linde" signal add --theme alcohol --note "a$i" --at 2026-10-0$i >/dev/null; done
V "$T/Linde" signal add --theme weapons --note "w" --at 2026-10-20 >/dev/null
for n in Regenboog Kompas Linde; do V "$T/$n" sync >/dev/null; done
V "$T/hub" hub merge >/dev/null
D=tests/resources/report-v1
V "$T/hub" hub report --csv $D/r.csv --svg $D/r.svg >/dev/null
V "$T/hub" --json hub report > $D/r.json
V "$T/hub" hub report > $D/r.txt
V "$T/hub" hub report --from 2026-11 --to 2026-11 --csv $D/shifted.csv >/dev/null
