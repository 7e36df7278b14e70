#!/usr/bin/env bash
# Local themes (issue 22, docs/rhythm.md): the hub publishes a
# vios-covenant-4 that adds a theme with its Dutch label; a school that
# approved it records signals and trends of that theme, and the hub's report
# shows it with its label; an unknown theme is still refused with the list
# (exit 2, one line, store unchanged); a school that has not approved the
# covenant refuses the theme for its own writes but merges another school's
# signal of it.
. "$(dirname "$0")/lib.sh"

HUB_SCOPE=headers
nodes "hub hub" "s1 school" "s2 school" "pol partner police"
hub_world s1 s2 pol
C="canary$RANDOM$RANDOM"
MONTH=$(date +%Y-%m)
themes_of() { V "$T/$1" --json signal list 2>/dev/null | jq -r '.[] | "\(.theme) \(.note)"'; }
export -f V themes_of
export T VIOS

# covenant v2: the default as a -4 adding lachgas; schools receive theme data too
git --git-dir "$G" show refs/heads/registry:covenant.json |
	jq '.version = 2 | .format = "vios-covenant-4" | .categories.theme.receives += ["school"]
	    | .themes = [{"name": "lachgas", "nl": "Lachgas (N2O)", "en": "Laughing gas"}]' >"$T/cov2.json"
# a -3 with themes, and a -4 whose theme repeats a base theme: refused, nothing published
jq '.format = "vios-covenant-3"' "$T/cov2.json" >"$T/bad3.json"
jq '.themes += [{"name": "weapons", "nl": "Wapens"}]' "$T/cov2.json" >"$T/bad4.json"
for f in bad3 bad4; do
	V "$T/hub" hub covenant set "$T/$f.json" >/dev/null 2>"$T/err"; rc=$?
	t "hub covenant set refuses $f (exit 1 as for every bad covenant, one line)" bash -c "[ $rc = 1 ] && [ \$(grep -c . '$T/err') = 1 ]"
done
t "... with the rule named" bash -c "grep -q \"'weapons' is a base theme\" '$T/err'"
t "nothing was published: the registry still holds v1" bash -c "git --git-dir '$G' show refs/heads/registry:covenant.json | jq -e '.version == 1'"
t "the hub publishes covenant v2 with a local theme" V "$T/hub" hub covenant set "$T/cov2.json"
approve_all s1 pol
V "$T/s2" sync >/dev/null 2>&1 # fetches v2, does not approve it

t "covenant show on s1 lists the local theme with its Dutch label" bash -c "V '$T/s1' covenant show | grep -A3 '^lachgas' | grep -q 'Lachgas (N2O)'"
t "... and the base themes with theirs" bash -c "V '$T/s1' covenant show --format markdown | grep -q '| weapons | Wapens | - | base |'"
t "s1 (approved v2) records a signal of the local theme" V "$T/s1" signal add --theme lachgas --note "balloons $C"
t "... and a trend" V "$T/s1" trend add --theme lachgas --period "$MONTH" --level rising

# an unknown theme: one line naming the themes, exit 2, nothing changed
D=$(V "$T/s1" digest)
V "$T/s1" signal add --theme lachgaz --note "typo $C" >/dev/null 2>"$T/err"; rc=$?
t "an unknown theme is refused with exit 2" test "$rc" = 2
t "... in one line" one_line "$T/err"
t "... listing the base and local themes" grep -q "unknown theme 'lachgaz' (themes: weapons, .*, other, lachgas)" "$T/err"
t "... and s1's store is unchanged" test "$(V "$T/s1" digest)" = "$D"

# s2 has not approved v2: the local theme is not its to write
D2=$(V "$T/s2" digest)
V "$T/s2" signal add --theme lachgas --note "s2 $C" >/dev/null 2>"$T/err"; rc=$?
t "s2 (v2 not approved) refuses the local theme: exit 2" test "$rc" = 2
t "... its list has the base themes only" bash -c "grep -q '(themes: weapons, .*, other)' '$T/err' && ! grep -q 'lachgas)' '$T/err'"
t "... and s2's store is unchanged" test "$(V "$T/s2" digest)" = "$D2"

t "s1 sync" V "$T/s1" sync
t "hub merge" V "$T/hub" hub merge
t "s2 sync" V "$T/s2" sync
t "s2 merged s1's signal of the local theme" bash -c "themes_of s2 | grep -qx 'lachgas balloons $C'"
t "s2 lists it by the theme" bash -c "V '$T/s2' --json signal list --theme lachgas | jq -e 'length == 1'"
t "the police (theme data) merged it too" bash -c "V '$T/pol' sync >/dev/null && themes_of pol | grep -qx 'lachgas balloons $C'"

# the hub's report: the local theme with its Dutch label
V "$T/hub" --json hub report >"$T/rep.json"
t "the report is a vios-report-2 (with labels)" jq -e '.format == "vios-report-2"' "$T/rep.json"
t "s1's lachgas row carries the Dutch label" jq -e --arg m "$MONTH" '.rows | map(select(.school == "s1" and .theme == "lachgas" and .month == $m)) | length == 1 and .[0].label == "Lachgas (N2O)" and .[0].signals == "<5" and .[0].trend == "rising"' "$T/rep.json"
t "the base themes carry theirs" jq -e '.rows | map(select(.theme == "weapons")) | all(.label == "Wapens")' "$T/rep.json"
t "the municipality's total for lachgas is there, labelled" jq -e '.totals | map(select(.theme == "lachgas")) | length >= 1 and all(.label == "Lachgas (N2O)")' "$T/rep.json"
t "the text report shows the label" bash -c "V '$T/hub' hub report | grep -q 'Lachgas (N2O)'"
t "no personal text in the report" bash -c "! grep -q '$C' '$T/rep.json'"
t "the CSV has the local theme's rows" bash -c "V '$T/hub' hub report --csv - | tr -d '\r' | grep -q '^$MONTH,s1,lachgas,<5,rising\$'"
t "the SVG and PDF still render with a local theme in the data" V "$T/hub" hub report --svg "$T/r.svg" --pdf "$T/r.pdf"

# s2 approves v2: now the theme is its to write
t "s2 approves v2" V "$T/s2" covenant approve 2
t "... and then records the local theme" V "$T/s2" signal add --theme lachgas --note "s2 later $C"
finish
