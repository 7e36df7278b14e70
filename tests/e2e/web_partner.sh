#!/usr/bin/env bash
# The partner's web interface and the hub desk (issue 21), over HTTP with
# curl: a school and a police node enrolled at a hub; the school records a
# case with the police taking part and an agreement for the police, and
# syncs; the hub merges; the police syncs. Then the police's `vios serve`
# lists the case and the agreement (overdue marked), marks the agreement
# done with feedback through the form (its csrf token scraped from the
# page), and `vios --json agreement list` on the police node shows it done;
# the school's agreement is refused there exactly as the CLI refuses it
# (the mandate's one line, nothing written). The hub's pages list the nodes
# with their fingerprints, the covenant in force, the report with its SVG
# chart, and "merge now" shows hub merge's result line.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police"
hub_world s1 pol
C="canary$RANDOM$RANDOM"
P=$(V "$T/s1" pupil add --name "Sam <script>x</script> $C" --birth 2011-05-14 --class 3B)
S=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme weapons --pupil "$P" --note "knife $C" --where in --severity high)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police --lead police)
LATE=$(date -d '-3 days' +%F)
AG=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "talk to the pupil $C" --due "$LATE")
AS=$(V "$T/s1" agreement add --case "$CASE" --owner school --action "call the parents $C" --due 2031-12-20)
V "$T/s1" trend add --theme alcohol --period "$(date +%Y-%m)" --level rising >/dev/null
t "school sync" V "$T/s1" sync
t "hub merge" V "$T/hub" hub merge
t "police sync" V "$T/pol" sync
t "the police holds the case" bash -c "'$VIOS' --home '$T/pol' --json case list | jq -e --arg c '$CASE' 'any(.[]; .id == \$c)'"

# serve NAME: starts `vios serve` on $T/NAME on a free port (VIOS_PASSPHRASE
# unlocks the node at start), sets PORT and BASE
serve() {
	local n=$1 i
	for i in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 20000))
		"$VIOS" --home "$T/$n" serve --port "$PORT" >"$T/$n.serve.out" 2>>"$T/$n.serve.err" &
		SPID=$!
		CLEANUP="$CLEANUP kill $SPID 2>/dev/null;"
		for _ in $(seq 1 50); do
			grep -q 'vios serve: http' "$T/$n.serve.out" && break
			kill -0 "$!" 2>/dev/null || break
			sleep 0.1
		done
		grep -q "127.0.0.1:$PORT/" "$T/$n.serve.out" && break
		kill "$!" 2>/dev/null
	done
	export BASE="http://127.0.0.1:$PORT"
}
# stop: stops the server serve started (its store is the node's: the CLI
# waits for it), and waits for it to end
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; return 0; }
# csrf FILE: the csrf token of the first form in a page
csrf() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="\([^"]*\)"/\1/'; }
# signin NAME: signs in on the login form with the node's passphrase (from
# standard input, never in argv); cookies in $T/NAME.jar; echoes the status
signin() {
	local n=$1 tok
	curl -s -c "$T/$n.jar" -b "$T/$n.jar" "$BASE/login" >"$T/$n.login.html"
	tok=$(csrf "$T/$n.login.html")
	printf '%s' "$VIOS_PASSPHRASE" | curl -s -o /dev/null -w '%{http_code}' -c "$T/$n.jar" -b "$T/$n.jar" \
		-H "Origin: $BASE" --data-urlencode "csrf=$tok" --data-urlencode "passphrase@-" "$BASE/login"
}
# get NAME PATH: the page (body to $T/page), echoes the status
get() { curl -s -o "$T/page" -w '%{http_code}' -b "$T/$1.jar" "$BASE$2"; }
# post NAME PATH field=value...: a form POST with the session's token, echoes the status
post() {
	local n=$1 path=$2 a=()
	shift 2
	for f in "$@"; do a+=(--data-urlencode "$f"); done
	curl -s -o "$T/page" -w '%{http_code}' -b "$T/$n.jar" -H "Origin: $BASE" "${a[@]}" "$BASE$path"
}

export T VIOS
export -f get post csrf

# ---- the police's interface ----------------------------------------------------------
D0=$(V "$T/pol" digest)
serve pol
t "police: the server answers on 127.0.0.1" test -n "$PORT"
t "police: sign in with the passphrase (303 to the start page)" test "$(signin pol)" = 303
t "police start page: 200" test "$(get pol /)" = 200
cp "$T/page" "$T/pol.start.html"
t "police start page: the case, linked by its id" grep -q "href=\"/case/$CASE\"" "$T/pol.start.html"
t "police start page: the pupil's name as text, never as a script" \
	bash -c "grep -q 'Sam &lt;script&gt;x&lt;/script&gt; $C (3B)' '$T/pol.start.html' && ! grep -q '<script>' '$T/pol.start.html'"
t "police start page: its agreement, linked by its id" grep -q "href=\"/agreement/$AG\"" "$T/pol.start.html"
t "police start page: the overdue agreement is marked" grep -q 'class="overdue"' "$T/pol.start.html"
t "police start page: the partner's menu has its start page and sync now" bash -c "grep -q '<a href=\"/\"' '$T/pol.start.html' && grep -q '<a href=\"/sync\"' '$T/pol.start.html'"
t "police start page: the school's agreement is not among the police's own" bash -c "! grep -q 'href=\"/agreement/$AS\"' '$T/pol.start.html'"
t "police start page: no UUID shown as text (references instead)" \
	bash -c "! sed 's/href=\"[^\"]*\"//g' '$T/pol.start.html' | grep -qE '[0-9a-f]{8}-[0-9a-f]{4}-'"
t "police case page: 200, the case with both agreements and its signal" \
	bash -c "[ \"\$(get pol /case/$CASE)\" = 200 ] && grep -q 'href=\"/agreement/$AG\"' '$T/page' && grep -q 'href=\"/agreement/$AS\"' '$T/page' && grep -q 'knife $C' '$T/page'"
t "police: a case it does not hold is 404" test "$(get pol /case/01234567-89ab-7def-8123-456789abcdef)" = 404
t "police agreement page: 200 with the form" bash -c "[ \"\$(get pol /agreement/$AG)\" = 200 ] && grep -q 'name=\"feedback\"' '$T/page'"
TOK=$(csrf "$T/page")
t "the form carries a csrf token" test -n "$TOK"
t "a POST without the token is refused (403)" test "$(post pol "/agreement/$AG" "feedback=forged $C")" = 403
get pol "/agreement/$AS" >/dev/null
t "the school's agreement: refused by the mandate, the form again with the one line and the text typed" \
	bash -c "[ \"\$(post pol /agreement/$AS csrf=$TOK 'feedback=not ours $C')\" = 200 ] && grep -q 'class=\"error\"' '$T/page' && grep -q 'mandate: the police role may not change' '$T/page' && grep -q 'not ours $C' '$T/page'"
stop
t "... the same line as vios agreement done gives on the CLI" \
	bash -c "'$VIOS' --home '$T/pol' agreement done '$AS' --feedback x 2>&1 >/dev/null | grep -q 'mandate: the police role may not change'"
t "... and neither the refused POST nor the forged one wrote anything" test "$(V "$T/pol" digest)" = "$D0"

serve pol
t "police: signed in again" test "$(signin pol)" = 303
get pol "/agreement/$AG" >/dev/null
TOK=$(csrf "$T/page")
t "mark done with feedback: 303 to the agreement's page" test "$(post pol "/agreement/$AG" "csrf=$TOK" "feedback=visited the family $C")" = 303
t "the agreement page shows it done, no form" \
	bash -c "[ \"\$(get pol /agreement/$AG)\" = 200 ] && grep -q 'visited the family $C' '$T/page' && ! grep -q 'name=\"feedback\"' '$T/page'"
stop
t "vios --json agreement list on the police node: done, with the feedback" \
	bash -c "'$VIOS' --home '$T/pol' --json agreement list | jq -e '.[] | select(.id == \"$AG\") | .status == \"done\" and .feedback == \"visited the family $C\"'"
t "the server's log names no pupil, action or feedback (paths carry ids only)" \
	bash -c "grep -q 'POST /agreement/$AG 303' '$T/pol.serve.err' && ! grep -q '$C' '$T/pol.serve.out' '$T/pol.serve.err'"
t "police sync sends the done agreement" V "$T/pol" sync
t "school sync: the agreement is done there too" \
	bash -c "'$VIOS' --home '$T/s1' sync >/dev/null 2>&1 && '$VIOS' --home '$T/s1' --json agreement list | jq -e '.[] | select(.id == \"$AG\") | .status == \"done\"'"

# ---- the hub desk --------------------------------------------------------------------
serve hub
t "hub: sign in with the passphrase" test "$(signin hub)" = 303
t "hub start page: 200" test "$(get hub /)" = 200
cp "$T/page" "$T/hub.nodes.html"
for n in hub s1 pol; do
	FPN=$(V "$T/$n" --json whoami | jq -r .fingerprint)
	t "hub start page: $n with its fingerprint" grep -q "<td>$n</td>.*$FPN" "$T/hub.nodes.html"
done
t "hub covenant page: the covenant in force with its marked fields" \
	bash -c "[ \"\$(get hub /covenant)\" = 200 ] && grep -q 'case_file.police_info' '$T/page'"
t "hub report page: the chart from this server" bash -c "[ \"\$(get hub /report)\" = 200 ] && grep -q '<img[^>]*src=\"/report.svg\"' '$T/page'"
t "hub report.svg: an SVG document, served as image/svg+xml" \
	bash -c "curl -s -D '$T/h' -o '$T/svg' -b '$T/hub.jar' '$BASE/report.svg' && grep -qi '^content-type: image/svg+xml' '$T/h' && grep -q '<svg' '$T/svg'"
t "hub report page: a month that is none is the library's one line" \
	bash -c "[ \"\$(get hub '/report?from=2026-13')\" = 200 ] && grep -q 'class=\"error\"' '$T/page'"
get hub /merge >/dev/null
TOKH=$(csrf "$T/page")
t "merge now: 303" test "$(post hub /merge "csrf=$TOKH")" = 303
t "the merge page shows hub merge's result line (the police's bundle verified)" \
	bash -c "[ \"\$(get hub /merge)\" = 200 ] && grep -qE 'hub (merge|samengevoegd): [0-9]+ [a-z]+, [1-9][0-9]* ' '$T/page'"
t "a partner's page is not the hub's: 404" test "$(get hub "/agreement/$AG")" = 404
stop

finish
