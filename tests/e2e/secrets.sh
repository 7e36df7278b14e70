#!/usr/bin/env bash
# Secrets hygiene over a full scenario: no pupil name, note, passphrase,
# recovery code or secret key in plain text in any home, outbox or hub
# repository (every git object decompressed), anywhere under /tmp, or in
# anything vios printed on stderr or in its sync, export, import and merge
# output.
. "$(dirname "$0")/lib.sh"

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
	t "secret $i not on stderr, nor in sync/merge/report output" bash -c "! grep -qaF -- '$s' '$E' '$O' '$T/r.csv' '$T/r.svg'"
	t "secret $i nowhere else under /tmp" bash -c "! grep -rqaF --exclude-dir='$(basename "$T")' -- '$s' /tmp 2>/dev/null"
done
t "vios left nothing in its temporary directory" bash -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"
finish
