#!/usr/bin/env bash
# The hub's steering and evaluation meetings (docs/rhythm.md): the hub
# records them (the mandate lets a hub create meetings, nothing else) and its
# `vios sync` seals them as theme data to every school (the one recipient
# rule, sync/recipients.c) and to the partners whose role the covenant lets
# receive theme data. A hub meeting names no case: refused at the hub with
# one line, exit 2, nothing written.
. "$(dirname "$0")/lib.sh"

HUB_SCOPE=headers
nodes "hub hub" "s1 school" "s2 school" "pol partner police" "att partner attendance"
hub_world s1 s2 pol att
C="canary$RANDOM$RANDOM"
TODAY=$(date +%F)
minutes_of() { V "$T/$1" --json meeting list 2>/dev/null | jq -r '.[].minutes // empty'; }
export -f V minutes_of
export T VIOS

# covenant v2: the attendance role no longer receives theme data
git --git-dir "$G" show refs/heads/registry:covenant.json |
	jq '.version = 2 | .categories.theme.receives -= ["attendance"]' >"$T/cov2.json"
t "the hub publishes covenant v2 (attendance off theme data)" V "$T/hub" hub covenant set "$T/cov2.json"
approve_all s1 s2 pol att

t "the hub records a steering meeting without --roles" V "$T/hub" meeting add --kind steering --date "$TODAY" --minutes "steering $C"
t "... and an evaluation meeting" V "$T/hub" meeting add --kind evaluation --date "$TODAY" --minutes "evaluation $C"
D=$(V "$T/hub" digest)
V "$T/hub" meeting add --kind thematic --date "$TODAY" --minutes "thematic $C" >/dev/null 2>"$T/err"; rc=$?
t "a hub's thematic meeting is refused (exit 2)" test "$rc" = 2
t "... with one line" one_line "$T/err"
V "$T/hub" meeting add --kind steering --date "$TODAY" --case 00000000-0000-7000-8000-000000000000 >/dev/null 2>"$T/err"; rc=$?
t "a hub meeting naming a case is refused (the hub holds no case: exit 1)" test "$rc" = 1
t "... and nothing was written" test "$(V "$T/hub" digest)" = "$D"

t "hub sync" V "$T/hub" sync
t "hub merge" V "$T/hub" hub merge
for n in s1 s2 pol att; do V "$T/$n" sync >/dev/null 2>&1; done
t "the steering meeting reaches school 1" bash -c "minutes_of s1 | grep -qx 'steering $C'"
t "... and school 2" bash -c "minutes_of s2 | grep -qx 'steering $C'"
t "the evaluation meeting reaches both schools" bash -c "minutes_of s1 | grep -qx 'evaluation $C' && minutes_of s2 | grep -qx 'evaluation $C'"
t "the police (theme data under the covenant) see it" bash -c "minutes_of pol | grep -qx 'steering $C'"
t "attendance (no theme data under v2) does not" bash -c "! minutes_of att | grep -q '$C'"
t "the school holds it as the hub's, with no case" bash -c "V '$T/s1' --json meeting list | jq -e --arg m 'steering $C' --arg h \"\$(V '$T/hub' --json whoami | jq -r .node_id)\" 'map(select(.minutes == \$m)) | length == 1 and (.[0].origin == \$h) and (.[0].case_id == null)'"
t "the school cannot change the hub's meeting" bash -c "! V '$T/s1' meeting edit \"\$(V '$T/s1' --json meeting list | jq -r --arg m 'steering $C' 'map(select(.minutes == \$m))[0].id')\" --minutes 'changed' 2>/dev/null"
finish
