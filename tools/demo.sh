#!/usr/bin/env bash
# demo.sh - the vios story on embedded defaults, in a throwaway directory.
# Run by `make demo`. Prints a short narrative of each step with what it saw
# and exits non-zero when any step does not do what it says.
#
# What is built so far: node identities and the school's encrypted record
# store. Later steps (enrollment, bundles, sync, hub report, audit) join the
# story as they are built.
set -euo pipefail
VIOS=${VIOS:-$(pwd)/vios}
D=$(mktemp -d /tmp/vios-demo.XXXXXX)
KEEP=${KEEP:-0}
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$D"; }
trap cleanup EXIT
export VIOS_PASSPHRASE='demo passphrase - use your own'
V() { local h=$1; shift; "$VIOS" --home "$D/$h" "$@"; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

step "1. A school and a police partner each create a node (keys, recovery code)"
V school init --kind school --name "De Regenboog" --kdf interactive >"$D/school.init"
V police init --kind partner --role police --name "Politie Zwolle-Zuid" --kdf interactive >"$D/police.init"
grep -qE '[A-Z2-9]{4}(-[A-Z2-9]{4}){7}' "$D/school.init" || fail "init printed no recovery code"
for n in school police; do
	V "$n" --json whoami | jq -r '"   \(.name): \(.kind)/\(.role)  fingerprint \(.fingerprint)\n      age \(.age_recipient)"'
done

step "2. The police node exports its enrollment request for the hub"
V police identity export -o "$D/police.req" 2>/dev/null
jq -r '"   request for \(.request.name) (\(.request.role)), signed: \(.signature | split("\n")[2])"' "$D/police.req"

step "3. Scenario 1, a thematic meeting: more knives near the station"
MEET=$(V school meeting add --kind thematic --date 2026-11-02 --roles school,police,youth-work --minutes "Youth work and the community officer report more knives near the station")
TREND=$(V school trend add --theme weapons --period 2026-11 --level rising --note "knives near the station")
DUE=$(date -d '+28 days' +%Y-%m-%d)
V school agreement add --meeting "$MEET" --owner school --action "weapons lesson in year 2" --due "$DUE" >/dev/null
echo "   meeting $MEET, trend $TREND, agreement due $DUE"

step "4. Scenario 2, a case: a 15-year-old may be running drugs"
PUP=$(V school pupil add --name "Sam de Vries" --birth 2011-05-14 --class 3B)
SIG=$(V school signal add --theme drugs-trade --pupil "$PUP" --note "Seen handing over packages at the station, reported by the school coach" --where around --severity high --parents-informed yes)
CASE=$(V school case open --pupil "$PUP" --signals "$SIG" --roles police,social-team,attendance --lead social-team --basis public-task)
V school case status "$CASE" discussed >/dev/null
V school agreement add --case "$CASE" --owner social-team --action "home visit to the family" --due "$(date -d '+7 days' +%Y-%m-%d)" >/dev/null
V school agreement add --case "$CASE" --owner attendance --action "check absence in the last 3 months" --due "$(date -d '-2 days' +%Y-%m-%d)" >/dev/null
V school case status "$CASE" in-progress >/dev/null
echo "   case $CASE is $(V school --json case list | jq -r '.[0].status'), $(V school --json agreement list --overdue | jq length) agreement overdue"
V school agreement list --overdue | sed 's/^/   /'

step "5. The record store is encrypted: no name or note on disk"
if grep -rqa "Sam de Vries" "$D/school"; then fail "a pupil name is on disk in plain text"; fi
if sqlite3 "$D/school/store.db" .tables >/dev/null 2>&1; then fail "store.db opens as plain SQLite"; fi
echo "   grep finds no pupil name under the home; sqlite3 cannot open store.db"

step "6. Everything that was read or changed is in the access log"
echo "   $(V school --json log | jq length) entries; the last three:"
V school log --limit 3 | sed 's/^/   /'

echo
echo "demo: all steps did what they said."
