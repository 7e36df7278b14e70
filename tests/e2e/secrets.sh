#!/usr/bin/env bash
# Secrets hygiene over a full scenario: no pupil name, note, passphrase,
# recovery code or secret key in plain text in any home, outbox or hub
# repository (every git object decompressed), anywhere under /tmp, or in
# anything vios printed on stderr or in its sync, export, import and merge
# output. The scenario includes a session of the web interface (vios
# serve, with curl: tests/web/serve.sh): a pupil, a signal, a search and a
# refused form with the canary typed into the forms, then synced; the
# server's request log is scanned with the rest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../web/serve.sh"

C="canary$RANDOM$RANDOM"
export VIOS_PASSPHRASE="secret passphrase $RANDOM$RANDOM"
# vios's own temporary directory for this scenario: it must end empty
export TMPDIR="$T/tmpdir"
mkdir -p "$TMPDIR"
E="$T/stderr.all"; O="$T/stdout.sync"
: >"$E"; : >"$O"
VV() { V "$@" 2>>"$E"; }
for n in "hub hub" "s1 school" "pol partner police" "aud auditor"; do set -- $n; mk "$1" "$2" "${3:-}"; done
CODES=$(recovery_codes "$T"/*.init)
rm -f "$T"/*.init   # the recovery codes were printed once, as intended; the files go
VV "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(VV "$T/hub" --json whoami | jq -r .fingerprint)
for n in s1 pol aud; do VV "$T/$n" identity export -o "$T/$n.req" >/dev/null; VV "$T/hub" hub enroll "$T/$n.req" >/dev/null; done
for n in s1 pol aud; do VV "$T/$n" join "$T/hub.git" --hub-fingerprint "$FP" >>"$O"; done

P=$(VV "$T/s1" pupil add --name "Name $C" --class "Class $C" --local-id "L$C" --guardian "guardian-$C@example.invalid")
S=$(VV "$T/s1" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "case note $C" --source "source $C")
VV "$T/s1" signal add --theme weapons --note "theme note $C" >/dev/null
CASE=$(VV "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police)
AG=$(VV "$T/s1" agreement add --case "$CASE" --owner police --action "action $C" --due 2026-12-20)
M=$(VV "$T/s1" meeting add --kind case --date 2026-11-20 --case "$CASE" --minutes "minutes $C")
VV "$T/s1" trend add --theme weapons --period 2026-11 --level rising --note "trend note $C" >/dev/null
for n in s1 pol aud; do VV "$T/$n" sync >>"$O"; done
VV "$T/pol" agreement done "$AG" --feedback "feedback $C" >/dev/null
for n in pol s1 aud; do VV "$T/$n" sync >>"$O"; done
VV "$T/hub" hub merge >>"$O"
VV "$T/hub" hub report --csv "$T/r.csv" --svg "$T/r.svg" >>"$O"
# bad inputs too: their messages must not carry content either
VIOS_PASSPHRASE=wrong-passphrase VV "$T/s1" pupil show "$P" >/dev/null
VV "$T/s1" signal add --theme nope --note "bad input note $C" >/dev/null
VV "$T/s1" agreement add --case "$CASE" --owner nobody --action "bad action $C" --due 2026-12-20 >/dev/null
VV "$T/s1" case status "$CASE" closed-forever >/dev/null
# the web interface: the canary typed into the school's forms
t "the school's web server starts" web_serve s1
t "  signs in (the passphrase on curl's stdin)" web_login s1 "$T/jar"
code=$(W s1 "$T/jar" POST /pupil-new --data-urlencode "csrf=$TOKEN" --data-urlencode "name=Web name $C" \
	--data-urlencode "class=Web class $C" --data-urlencode "local_id=WL$C" --data-urlencode "guardian_contact=web-guardian-$C@example.invalid" \
	--data-urlencode "birth_date=14-05-2011")
WP1=$(sed -n 's/^[Ll]ocation: \/pupil\/\([0-9a-f-]*\).*/\1/p' "$T/h" | tr -d '\r')
t "  a pupil added through the web form" bash -c "[ $code = 303 ] && [ -n '$WP1' ]"
code=$(W s1 "$T/jar" POST /signal-new --data-urlencode "csrf=$TOKEN" --data-urlencode "theme=drugs-trade" --data-urlencode "note=web note $C" \
	--data-urlencode "source=web source $C" --data-urlencode "pupil_id=$WP1" --data-urlencode "basis=public-task" --data-urlencode "parents_informed=1")
t "  a signal added through the web form" test "$code" = 303
code=$(W s1 "$T/jar" POST /signal-new --data-urlencode "csrf=$TOKEN" --data-urlencode "theme=weapons" --data-urlencode "note=web bad date $C" --data-urlencode "seen_at=31-02-2026")
t "  a signal form refused (bad date)" test "$code" != 303
code=$(W s1 "$T/jar" POST /case-new --data-urlencode "csrf=$TOKEN" --data-urlencode "pupil_id=$WP1" --data-urlencode "roles-police=1" \
	--data-urlencode "basis=public-task" --data-urlencode "parents_informed=1" --data-urlencode "police_info=web police info $C")
t "  a case for the police opened through the web form" test "$code" = 303
W s1 "$T/jar" POST /pupils --data-urlencode "csrf=$TOKEN" --data-urlencode "q=Web name $C" >/dev/null
t "  the search finds the pupil" grep -qF "Web name $C" "$T/b"
W s1 "$T/jar" GET "/pupil/$WP1" >/dev/null
t "  the pupil's page shows the note" grep -qF "web note $C" "$T/b"
t "the school's web server stops" web_stop s1
cat "$T/s1.serve.log" >>"$E"
t "  it logged the requests" grep -q '^vios serve: POST /pupil-new 303' "$T/s1.serve.log"
for n in s1 pol aud; do VV "$T/$n" sync >>"$O"; done
t "the web's case reached the police with the sync" bash -c "'$VIOS' --home '$T/pol' --json case list | jq -e 'length == 2'"
t "the scenario ran (police sees the agreement)" bash -c "'$VIOS' --home '$T/pol' --json agreement list | jq -e 'any(.action == \"action $C\")'"

# the secrets vios holds: each node's age identity, read into memory, file deleted
declare -a KEYS=()
for n in hub s1 pol aud; do
	V "$T/$n" identity export --secret -o "$T/$n.key" 2>/dev/null
	KEYS+=("$(grep '^AGE-SECRET-KEY-1' "$T/$n.key")")
	rm -f "$T/$n.key"
done
t "four secret keys in hand" test "${#KEYS[@]}" -eq 4
# every git object of every repository, decompressed
for g in "$T/hub.git" "$T"/*/outbox.git; do
	[ -d "$g" ] && git --git-dir "$g" cat-file --batch-all-objects --batch >>"$T/objects.txt" 2>/dev/null
done
t "git objects were read" test -s "$T/objects.txt"

needles=("$C" "$VIOS_PASSPHRASE")
for k in "${KEYS[@]}"; do needles+=("$k" "${k,,}"); done
for code in $CODES; do needles+=("$code" "${code//-/}"); done
i=0
for s in "${needles[@]}"; do
	i=$((i + 1))
	t "secret $i not in any file under the homes or repositories" bash -c "! grep -rqaF -- '$s' '$T/hub' '$T/s1' '$T/pol' '$T/aud' '$T/hub.git'"
	t "secret $i not in any git object" bash -c "! grep -qaF -- '$s' '$T/objects.txt'"
	t "secret $i not on stderr, the serve log, nor in sync/merge/report output" bash -c "! grep -qaF -- '$s' '$E' '$O' '$T/r.csv' '$T/r.svg' '$T/s1.serve.log' '$T/s1.serve.out'"
	t "secret $i nowhere else under /tmp" bash -c "! grep -rqaF --exclude-dir='$(basename "$T")' -- '$s' /tmp 2>/dev/null"
done
t "vios left nothing in its temporary directory" bash -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"
finish
