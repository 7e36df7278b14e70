#!/usr/bin/env bash
# demo.sh - `make demo`: the story of one municipality, on embedded defaults.
#
# A hub (the municipality), three schools (one only ever syncing by USB
# stick), a police node, a social-team node and an auditor work the five
# VIOS scenarios of docs/DOMAIN: a thematic meeting, a case, an escalation,
# a school without a link, and the audit. Every step says what it did and
# what it saw, and checks it: the demo exits non-zero when a step does not
# do what it says. The homes live in a temporary directory (removed at the
# end; KEEP=1 keeps it); the report and the audit output are written to
# ./demo-out/ and their paths are printed last.
set -uo pipefail
VIOS=${VIOS:-$(pwd)/vios}
OUT=${DEMO_OUT:-$(pwd)/demo-out}
D=$(mktemp -d /tmp/vios-demo.XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] && echo "(kept $D)" || rm -rf "$D"' EXIT
export VIOS_PASSPHRASE='demo passphrase - choose your own'
mkdir -p "$OUT"
rm -f "$OUT/report.csv" "$OUT/report.svg" "$OUT/report.pdf" "$OUT/flows.csv" "$OUT/audit.checkpoint" "$OUT/audit-after-tamper.txt" \
	"$OUT/agenda.html"
V() { local h=$1; shift; "$VIOS" --home "$D/$h" "$@"; }
step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
must() { "$@" >"$D/.out" 2>"$D/.err" || fail "$* -> $(head -c 300 "$D/.err")"; }
day() { date -d "$1" +%Y-%m-%d; }
MONTH=$(date +%Y-%m)
DOM=$((10#$(date +%d))) # the bus stop signals fall in this month, also on its first days
LAST=$(date -d "$(date +%Y-%m-15) -1 month" +%Y-%m)

step "1. The municipality sets up the hub; every party creates its node"
must V hub init --kind hub --name "Gemeente Zwolle" --kdf interactive
must V hub hub create "$D/hub.git"
FP=$(V hub --json whoami | jq -r .fingerprint)
say "hub repository $D/hub.git, root key fingerprint $FP (read out to every party)"
for n in "regenboog school De Regenboog" "kompas school Het Kompas" "linde school De Linde" \
	"politie partner Politie Zwolle-Zuid police" "wijkteam partner Sociaal wijkteam Zuid social-team" \
	"fg auditor FG gemeente"; do
	set -- $n
	home=$1 kind=$2; shift 2
	role=""
	case $kind in partner) role=${*: -1}; set -- "${@:1:$(($# - 1))}" ;; esac
	must V "$home" init --kind "$kind" --name "$*" ${role:+--role "$role"} --kdf interactive
	grep -qE '^ +[A-Z2-9]{4}(-[A-Z2-9]{4}){7} *$' "$D/.out" || fail "$home: no recovery code printed"
	must V "$home" identity export -o "$D/$home.req"
	must V hub hub enroll "$D/$home.req"
	say "$(V "$home" --json whoami | jq -r '"\(.name) (\(.kind)/\(.role)): enrolled, fingerprint \(.fingerprint)"')"
done
for n in regenboog kompas politie wijkteam fg; do must V "$n" join "$D/hub.git" --hub-fingerprint "$FP"; done
say "five nodes joined over the network; De Linde will get the registry by USB stick"
say "registry: $(git --git-dir "$D/hub.git" log --oneline refs/heads/registry | wc -l) signed versions, covenant version 1"

step "1b. The covenant: printed to sign, changed only with every school's approval"
must V regenboog covenant show --format markdown
grep -qi '^## purpose' "$D/.out" || fail "the covenant has no purpose to print"
say "De Regenboog prints the covenant in force ($(grep -c . "$D/.out") lines of markdown: purpose, parties, marked fields, signature lines)"
# The privacy officer asks for theme data, to check the steering group's report against
# the schools' trends: the hub publishes covenant v2 with auditor_scope "theme".
# It also adds the region's own theme, laughing gas (lachgas), to the base themes.
V hub covenant show --format json | jq '.covenant | .version = 2 | .auditor_scope = "theme"
	| .format = "vios-covenant-4" | .themes = [{"name": "lachgas", "nl": "Lachgas (N2O)", "en": "Laughing gas"}]' \
	>"$D/covenant-2.json"
must V hub hub covenant set "$D/covenant-2.json"
must V regenboog sync
V regenboog status | grep -q 'covenant version 2 waits' || fail "De Regenboog does not see covenant v2 waiting"
say "hub published covenant v2 (the auditor also receives theme data); De Regenboog's status says it waits for its approval"
for n in regenboog kompas politie wijkteam; do must V "$n" sync; must V "$n" covenant approve 2; done
say "De Regenboog, Het Kompas, the police and the social team approved v2 (the auditor may receive theme data; local theme lachgas); until they did, their data stayed under v1"

step "2. Scenario 1, a thematic meeting at De Regenboog: more knives near the station"
MEET=$(V regenboog meeting add --kind thematic --date "$(day '-3 days')" --roles school,police,youth-work \
	--minutes "Youth work and the community officer report more knives near the station") || fail "meeting"
must V regenboog trend add --theme weapons --period "$MONTH" --level rising --note "knives near the station"
must V regenboog agreement add --meeting "$MEET" --owner school --action "weapons lesson in year 2" --due "$(day '+28 days')"
for i in 1 2 3 4 5 6; do
	must V regenboog signal add --theme weapons --note "knife seen at the bus stop ($i)" --where around --at "$(day "-$((i % DOM)) days")"
done
for i in 1 2; do must V regenboog signal add --theme weapons --note "knife talk in class ($i)" --at "$LAST-1$i"; done
say "trend weapons rising, a thematic meeting with an agreement, 8 weapons signals without a pupil"

step "3. Scenario 2, a case: a 15-year-old may be running drugs"
PUP=$(V regenboog pupil add --name "Sam de Vries" --birth "$(date -d '-15 years -2 months' +%Y-%m-%d)" --class 3B) || fail pupil
SIG=$(V regenboog signal add --theme drugs-trade --pupil "$PUP" --note "Seen handing over packages at the station; reported by the school coach" \
	--where around --severity high --parents-informed yes --basis public-task) || fail signal
CASE=$(V regenboog case open --pupil "$PUP" --signals "$SIG" --roles police,social-team,attendance --lead social-team --basis public-task) || fail case
must V regenboog case status "$CASE" discussed
AG_SOC=$(V regenboog agreement add --case "$CASE" --owner social-team --action "home visit to the family" --due "$(day '+7 days')")
AG_POL=$(V regenboog agreement add --case "$CASE" --owner police --action "share what Wpg art. 20 allows" --due "$(day '+5 days')")
must V regenboog agreement add --case "$CASE" --owner attendance --action "check absence over the last 3 months" --due "$(day '-2 days')"
must V regenboog case status "$CASE" in-progress
say "case $CASE: $(V regenboog --json case list | jq -r '.[0].status'), lead social-team, roles police, social-team, attendance"
say "$(V regenboog --json agreement list --overdue | jq length) agreement overdue (attendance)"

step "4. Het Kompas and De Linde record their own themes"
for i in 1 2 3 4 5; do must V kompas signal add --theme drugs-use --note "vaping and cannabis smell in the toilets ($i)" --at "$(day "-$i days")"; done
must V kompas trend add --theme drugs-use --period "$MONTH" --level rising
for i in 1 2; do must V kompas signal add --theme lachgas --note "laughing gas canisters at the bike shed ($i)" --where around --at "$(day "-$((i % DOM)) days")"; done
for i in 1 2 3; do must V linde signal add --theme nuisance --note "groups at the village square ($i)" --where around --at "$(day "-$((i % DOM)) days")"; done
must V linde trend add --theme nuisance --period "$MONTH" --level stable --note "village square in the evening"
say "Het Kompas: 5 drugs-use signals, rising, and 2 of the region's own theme lachgas; De Linde (no network): 3 nuisance signals, stable"

step "4b. De Regenboog plans its thematic meetings; the next agenda lists what is not discussed yet"
must V regenboog meeting plan --kind thematic --every 6w --from "$(day '+14 days')" --roles school,police,youth-work
say "$(V regenboog --json meeting list --upcoming | jq length) thematic meetings planned, every 6 weeks from $(day '+14 days'); the first three:"
V regenboog meeting list --upcoming | head -n 4 | sed 's/^/     /'
must V regenboog --json meeting agenda --next
AGENDA=$(cat "$D/.out")
[ "$(jq '[.signals[] | select(.theme == "weapons")] | length' <<<"$AGENDA")" = 8 ] || fail "the agenda does not list the 8 new weapons signals"
must V regenboog meeting agenda --next --html "$OUT/agenda.html"
say "agenda of $(jq -r .meeting.date <<<"$AGENDA"): $(jq '.signals | length' <<<"$AGENDA") new signals, $(jq '.cases | length' <<<"$AGENDA") open case(s) with $(jq '[.cases[].overdue[]?] | length' <<<"$AGENDA") overdue agreement(s), $(jq '.trends | length' <<<"$AGENDA") trend(s) since the last thematic meeting; printable: $OUT/agenda.html"
SIG1=$(V regenboog --json signal list --new | jq -r '[.[] | select(.theme == "weapons")][0].id')
must V regenboog signal close "$SIG1" --reason "counted twice: the same knife as another signal"
say "one weapons signal closed at triage (no further action, with the reason); $(V regenboog --json signal list --new | jq length) signals still new"
NEW=$(V regenboog --json signal list --new | jq -r '[.[] | select(.theme == "weapons") | .id] | join(",")')
must V regenboog meeting add --kind thematic --date "$(day '-0 days')" --roles school,police,youth-work \
	--minutes "The knives near the station: youth work and the community officer walk the route after school" --discussed "$NEW"
[ "$(V regenboog --json meeting agenda --next | jq '[.signals[] | select(.theme == "weapons")] | length')" = 0 ] ||
	fail "a discussed signal is still on the next agenda"
say "today's thematic meeting discussed the $(tr ',' '\n' <<<"$NEW" | grep -c .) weapons signals: the next agenda no longer lists them"

step "5. The record stores are encrypted: no name or note on disk"
grep -rqa "Sam de Vries" "$D/regenboog" && fail "a pupil name is on disk in plain text"
grep -rqa "handing over packages" "$D/regenboog" && fail "a note is on disk in plain text"
sqlite3 "$D/regenboog/store.db" .tables >/dev/null 2>&1 && fail "store.db opens as plain SQLite"
say "grep finds no name and no note under any home; sqlite3 cannot open store.db"

step "6. Everybody with a link syncs"
for n in regenboog kompas; do must V "$n" sync; say "$(V "$n" --json whoami | jq -r .name): $(cat "$D/.out")"; done
for n in politie wijkteam; do must V "$n" sync; done
say "police: $(V politie --json agreement list | jq length) agreements, $(V politie --json pupil list | jq length) pupil received (the case they take part in)"
say "social team: $(V wijkteam --json agreement list | jq length) agreements received"
V politie --json pupil list | jq -e 'length == 1' >/dev/null || fail "the police did not receive the case"
grep -rqa "Sam de Vries" "$D/hub.git" && fail "a pupil name is in the hub repository"
[ "$(V hub --json pupil list | jq length)" = 0 ] || fail "the hub holds case data"

step "7. Scenario 3, escalation: signs of domestic violence; the partners report back"
must V regenboog signal add --theme other --pupil "$PUP" --note "Bruises; the pupil mentions fights at home" --severity high --basis public-task --parents-informed no --not-informed-reason "safety of the pupil"
# the meldcode (docs/rhythm.md): the five steps, step 5 decides to report, then the escalation
for st in 1 2 3 4; do must V regenboog case meldcode "$CASE" --step "$st" --date "$(date +%F)"; done
must V regenboog case meldcode "$CASE" --step 5 --date "$(date +%F)" --outcome report-and-help
must V regenboog case status "$CASE" escalated --to veilig-thuis
must V regenboog sync
must V politie sync; must V wijkteam sync
must V politie agreement done "$AG_POL" --feedback "Shared: two earlier police contacts at the station"
must V wijkteam agreement done "$AG_SOC" --feedback "Visited; family accepts support, Veilig Thuis informed"
must V politie sync; must V wijkteam sync; must V regenboog sync; must V politie sync
V regenboog --json agreement list | jq -e --arg a "$AG_SOC" '.[] | select(.id==$a) | .status=="done"' >/dev/null || fail "the school did not get the social team's feedback"
say "case escalated to Veilig Thuis; police and social team marked their agreements done; the school sees:"
V regenboog agreement list --case "$CASE" | sed 's/^/     /'
[ "$(V regenboog digest --category case)" = "$(V politie digest --category case)" ] || fail "school and police disagree on the case"
say "school and police hold the same case data: digest $(V politie digest --category case | cut -c1-16)..."
must V regenboog pupil report "$PUP" -o "$D/inzage.html" --reason "the parents ask what is held (art. 15)"
grep -q "Politie Zwolle-Zuid" "$D/inzage.html" || fail "the subject access report names no recipient"
say "subject access: the school's report on the pupil (HTML, mode 0600) names who received what, when; logged as a read"

step "7b. A signal about the wrong child: the school erases the pupil on every node"
WRONG=$(V regenboog pupil add --name "Noor Jansen" --birth "$(date -d '-13 years' +%Y-%m-%d)" --class 1A) || fail pupil
WSIG=$(V regenboog signal add --theme vandalism --pupil "$WRONG" --note "Damaged the bicycle shed during the break" \
	--severity high --parents-informed yes --basis public-task) || fail signal
must V regenboog case open --pupil "$WRONG" --signals "$WSIG" --roles police --lead police --basis public-task
must V regenboog sync; must V politie sync
V politie --json pupil list | jq -e 'length == 2' >/dev/null || fail "the police did not receive the second case"
say "the police received the case of a second pupil; the next day the camera shows it was another child"
must V regenboog pupil erase "$WRONG" --reason "recorded about the wrong child"
say "De Regenboog: $(cat "$D/.out")"
must V regenboog sync; must V politie sync
V politie --json pupil list | jq -e 'length == 1' >/dev/null || fail "the police still hold the erased pupil"
V politie --json signal list | grep -q "bicycle shed" && fail "the police still hold the erased signal"
say "after one sync each the police hold $(V politie --json pupil list | jq length) pupil again; the reason stays in the school's own log"
say "old bundles in git are sealed to monthly epoch keys, destroyed 14 days after the month ends (docs/lifecycle.md)"

step "8. Scenario 4, a school without a link: De Linde syncs by USB stick"
STICK="$D/usb-stick.git"
must "$VIOS" stick init "$STICK"
say "a stick made on purpose: $(cut -d: -f1 "$D/.out")"
V linde sync --via "$D/not-mounted.git" >/dev/null 2>"$D/.err" && fail "sync --via a stick that is not there succeeded"
[ -e "$D/not-mounted.git" ] && fail "sync --via made a folder where no stick was"
say "an unmounted stick is refused, nothing made: $(cat "$D/.err")"
must V hub hub merge --via "$STICK"
say "hub puts its registry and refs on the stick: $(tail -n1 "$D/.out" | sed 's/^ *//')"
must V linde join "$STICK" --hub-fingerprint "$FP"
must V linde sync --via "$STICK"
say "De Linde: $(cat "$D/.out")"
must V hub hub merge --via "$STICK"
say "back at the town hall: $(head -n1 "$D/.out")"
git --git-dir "$D/hub.git" rev-parse -q --verify "refs/heads/nodes/$(V linde --json whoami | jq -r .node_id)" >/dev/null || fail "De Linde's ref is not in the hub"

step "9. The hub merges and reports trends to the steering group"
must V hub hub merge
say "$(cat "$D/.out")"
must V hub hub report --csv "$OUT/report.csv" --svg "$OUT/report.svg" --pdf "$OUT/report.pdf"
grep -q "^$MONTH,De Linde,nuisance,<5,stable" "$OUT/report.csv" || fail "De Linde's trend is not in the report"
grep -q "^$MONTH,De Regenboog,weapons,6,rising" "$OUT/report.csv" || fail "De Regenboog's weapons count is not 6"
say "report: $(($(wc -l <"$OUT/report.csv") - 1)) rows (month x school x theme, and the municipality's month x theme), $(grep -c ',<5,' "$OUT/report.csv") counts below 5 shown as <5, $(grep -c ',x,' "$OUT/report.csv") hidden as x so that none can be worked out; report.pdf opens with the one-page summary"
V hub hub report --from "$MONTH" | grep -v '^signals' | sed 's/^/     /'
grep -q "^$MONTH,Het Kompas,lachgas," "$OUT/report.csv" || fail "the region's own theme lachgas is not in the report"

step "9b. The steering group meets; its meeting reaches every school"
must V hub meeting add --kind steering --date "$(day '-0 days')" \
	--minutes "Steering group: knives near the station and laughing gas; youth work extends its evening hours"
must V hub sync
must V hub hub merge
for n in regenboog kompas; do must V "$n" sync; done
V regenboog --json meeting list | jq -e '[.[] | select(.kind == "steering")] | length == 1' >/dev/null ||
	fail "the steering meeting did not reach De Regenboog"
say "the hub recorded the steering group's meeting (theme data, no case, no pupil); De Regenboog and Het Kompas hold it after their sync"

step "9c. The end of the period: De Regenboog evaluates, the steering group sees the figures"
must V regenboog --json evaluate
EV=$(cat "$D/.out")
say "De Regenboog, last 12 months: $(jq .signals.total <<<"$EV") signals, median $(jq .discussion.median_days <<<"$EV") days to their first discussion (n $(jq .discussion.n <<<"$EV")), $(jq .cases.opened <<<"$EV") case(s) opened, $(jq .agreements.on_time <<<"$EV") of $(jq .agreements.due <<<"$EV") agreements due were done on time"
V regenboog evaluate | sed 's/^/     /'
must V regenboog sync
must V hub hub merge
must V hub --json hub report --from "$MONTH"
jq -e '.format == "vios-report-2" and (.steering.rows | length > 0)' "$D/.out" >/dev/null || fail "the report has no steering section"
say "hub report (vios-report-2): the steering section has $(jq '.steering.rows | length' "$D/.out") figures per month and school, every count and n through the same suppression rule ($(jq '[.steering.rows[] | select(.n == "<5" or .value == "<5")] | length' "$D/.out") shown as <5)"

step "10. Scenario 5, the audit: the privacy officer verifies, lists the flows and replays"
must V fg sync
must V fg audit verify "$D/hub.git" --checkpoint "$OUT/audit.checkpoint"
say "verify: $(grep -m1 '^verified' "$D/.out")"
must V fg audit flows "$D/hub.git" --csv "$OUT/flows.csv"
say "flows: $(($(wc -l <"$OUT/flows.csv") - 1)) bundles listed, $(grep -c ',no$' "$OUT/flows.csv") not compliant"
# the covenant gives the FG theme data, no case content: stock age with its own identity opens no case bundle
V fg identity export --secret -o "$D/fg.key" 2>/dev/null || fail "fg identity export"
ncase=0 opened=0
for r in $(git --git-dir "$D/hub.git" for-each-ref --format='%(refname)' refs/heads/nodes/); do
	for f in $(git --git-dir "$D/hub.git" ls-tree -r --name-only "$r" | grep '\.age$'); do
		git --git-dir "$D/hub.git" show "$r:$f.minisig" | sed -n 's/^trusted comment: //p' | jq -e '.categories | index("case")' >/dev/null || continue
		ncase=$((ncase + 1))
		git --git-dir "$D/hub.git" show "$r:$f" | age -d -i "$D/fg.key" >/dev/null 2>&1 && opened=$((opened + 1))
	done
done
rm -f "$D/fg.key"
[ "$ncase" -gt 0 ] && [ "$opened" -eq 0 ] || fail "the FG opened $opened of $ncase case bundles"
say "stock age with the FG's own identity opens none of the $ncase case bundles: verify and flows needed none"
RT=$(V fg audit replay "$D/hub.git" --category theme | tail -n1) || fail "replay"
[ "$RT" = "$(V hub digest --category theme)" ] || fail "replayed theme digest differs from the hub's"
say "replayed theme digest equals the hub's: ${RT:0:16}..."

step "11. A tampered bundle is caught"
R="refs/heads/nodes/$(V kompas --json whoami | jq -r .node_id)"
F=$(git --git-dir "$D/hub.git" ls-tree -r --name-only "$R" | grep '\.age$' | tail -n1)
git --git-dir "$D/hub.git" show "$R:$F" >"$D/evil.age"
printf '\x01' | dd of="$D/evil.age" bs=1 seek=200 conv=notrunc status=none
BLOB=$(git --git-dir "$D/hub.git" hash-object -w "$D/evil.age")
export GIT_INDEX_FILE="$D/idx"
git --git-dir "$D/hub.git" read-tree "$R"
git --git-dir "$D/hub.git" update-index --cacheinfo "100644,$BLOB,$F"
TREE=$(git --git-dir "$D/hub.git" write-tree)
unset GIT_INDEX_FILE
PARENT=$(git --git-dir "$D/hub.git" rev-parse -q --verify "$R~1" || true)
NEW=$(git --git-dir "$D/hub.git" commit-tree "$TREE" ${PARENT:+-p "$PARENT"} -m "$(git --git-dir "$D/hub.git" log -1 --format=%B "$R")")
git --git-dir "$D/hub.git" update-ref "$R" "$NEW"
say "someone with access to the git server flipped one byte of Het Kompas's last bundle ($F) and rewrote its ref"
V fg audit verify "$D/hub.git" --checkpoint "$OUT/audit.checkpoint" >"$OUT/audit-after-tamper.txt" 2>&1; rc=$?
[ "$rc" -eq 3 ] || fail "audit verify did not catch the tampered bundle (exit $rc)"
say "audit verify: exit 3, $(grep -c '^finding' "$OUT/audit-after-tamper.txt") finding(s):"
grep '^finding' "$OUT/audit-after-tamper.txt" | head -n3 | sed 's/^/     /'
V politie sync >/dev/null 2>"$D/.err"; rc=$?
[ "$rc" -eq 3 ] || fail "the police sync did not raise an alarm (exit $rc)"
say "the police's next sync refuses it too: $(cat "$D/.err")"

printf '\n== Done. Every step did what it said.\n'
echo "   report:  $OUT/report.csv, $OUT/report.svg (open it in a browser) and $OUT/report.pdf"
echo "   audit:   $OUT/flows.csv, $OUT/audit.checkpoint, $OUT/audit-after-tamper.txt"
