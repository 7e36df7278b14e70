#!/usr/bin/env bash
# The web interface in a real browser (issue 21, "Must show"): Debian's
# chromium, headless (--headless=new --no-sandbox --disable-dev-shm-usage
# --window-size=1280,900), driven by Debian's chromedriver through Debian's
# python3-selenium (4.8), run with /usr/bin/python3: tests/web/browser.py.
# This script makes a hub, a school and a police node with the CLI, serves
# each with `vios serve` on a random port, and runs the browser one phase at
# a time:
#   school: signs in; a bad date (2026-13-01, 31-02-2026) shows one error line
#           and writes nothing (the CLI's counts); adds a pupil, a signal, a
#           case and an agreement for the police through the forms; sees the
#           case on the start page; prints the case page to PDF; Sync now;
#   hub:    the nodes page; Merge now;
#   police: Sync now; the agreement on its start page; marks it done with
#           feedback.
# Then the CLI: the school holds the pupil, signal, case and agreement as
# typed; the police node holds the agreement done with the feedback; the PDF
# (pdftotext) holds the pupil's name and the case's reference; the
# screenshots of the main pages are PNGs in $WEB_SHOTS (default
# build/web-shots/); no URL the browser visited holds the pupil's name.
# Skips (saying so, exit 0 as lib.sh's skips) only when chromium is not
# installed; a missing chromedriver or selenium is a failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../web/serve.sh"

if [ ! -x /usr/bin/chromium ]; then
	echo "skip web_browser: no /usr/bin/chromium (Debian package chromium)"
	finish
	exit
fi
t "chromedriver is installed (Debian package chromium-driver)" test -x /usr/bin/chromedriver
t "python3-selenium is installed (for /usr/bin/python3)" /usr/bin/python3 -c 'import selenium.webdriver'
t "pdftotext is installed (Debian package poppler-utils)" command -v pdftotext

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHOTS=${WEB_SHOTS:-$ROOT/build/web-shots}
mkdir -p "$SHOTS"
# what this run wrote is newer than this mark (nothing in $SHOTS is removed)
touch "$T/mark"
sleep 1
R="$RANDOM$RANDOM"
export WEB_NAME="Noor Webtest$R"
export WEB_CLASS="3C"
export WEB_STATE="$T/state.json"
export WEB_SHOTS="$SHOTS"
export VIOS
# jqv NAME FILTER ARGS... : vios --json ARGS on $T/NAME exits 0, prints
# something, and FILTER holds of it (jq 1.6 -e passes on empty input)
jqv() {
	local h=$1 f=$2 out
	shift 2
	out=$(V "$T/$h" --json "$@") && [ -n "$out" ] && jq -e "$f" <<<"$out" >/dev/null
}
# browser PHASE NODE : runs browser.py PHASE against NODE's server; its
# ok/FAIL lines count as this script's
browser() {
	local rc
	WEB_URL="http://127.0.0.1:${WP[$2]}" WEB_HOME="$T/$2" /usr/bin/python3 "$ROOT/tests/web/browser.py" "$1" >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	cat "$T/$1.out"
	_pass=$((_pass + $(grep -c '^ok ' "$T/$1.out")))
	_fail=$((_fail + $(grep -c '^FAIL' "$T/$1.out")))
	t "browser phase $1 ran to its end (exit $rc)" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || sed 's/^/     /' "$T/$1.err" | tail -n 15
}

nodes "hub hub" "s1 school" "pol partner police"
hub_world s1 pol
approve_all s1 pol

t "the school's server starts" web_serve s1
t "the hub's server starts" web_serve hub
t "the police's server starts" web_serve pol

browser school s1
P=$(jq -r '.pupil // ""' "$WEB_STATE")
C=$(jq -r '.case // ""' "$WEB_STATE")
REF=$(jq -r '.ref // ""' "$WEB_STATE")
t "the CLI: the pupil as typed (name, class, birth date typed DD-MM-YYYY)" jqv s1 ".pupil.name==\"$WEB_NAME\" and .pupil.class==\"$WEB_CLASS\" and .pupil.birth_date==\"2011-05-14\"" pupil show "$P"
t "the CLI: one signal, the pupil's, seen 2026-11-30" jqv s1 "length==1 and .[0].pupil_id==\"$P\" and .[0].theme==\"weapons\" and (.[0].seen_at|startswith(\"2026-11-30\"))" signal list
t "the CLI: the case, the police taking part and leading" jqv s1 ".case.pupil_id==\"$P\" and (.case.roles|contains(\"police\")) and .case.lead_role==\"police\" and (.signals|length)==1 and (.agreements|length)==1" case show "$C"
t "the CLI: the agreement for the police, due 2026-12-20" jqv s1 "length==1 and .[0].owner_role==\"police\" and .[0].due_date==\"2026-12-20\" and .[0].status==\"open\"" agreement list
t "the bad-date error was one line (the library's)" bash -c "jq -e '.bad_date_error | length > 0 and (contains(\"\\n\") | not)' '$WEB_STATE'"
t "the case summary PDF was written by this run" test "$SHOTS/case-summary.pdf" -nt "$T/mark"
pdftotext -layout "$SHOTS/case-summary.pdf" "$T/case.txt" 2>/dev/null
t "the printed case summary (PDF) holds the pupil's name" grep -qF "$WEB_NAME" "$T/case.txt"
t "  and the case's reference (Casus $REF)" grep -qE "(Casus|Case) $REF" "$T/case.txt"
t "  and not the menu (print CSS)" bash -c "! grep -q 'Afmelden' '$T/case.txt'"

browser hub hub
browser police pol
AG=$(jq -r '.agreement // ""' "$WEB_STATE")
t "the CLI on the police node: the agreement done, with the feedback" jqv pol "any(.[]; .id==\"$AG\" and .status==\"done\" and .feedback==\"talked to the parents, plan agreed\")" agreement list
t "the school's server stops (exit 0)" web_stop s1
t "the hub's server stops (exit 0)" web_stop hub
t "the police's server stops (exit 0)" web_stop pol

for s in start pupil case agenda partner-start hub-nodes; do
	t "screenshot $s.png is a PNG, 1280 wide, written by this run" bash -c "[ '$SHOTS/$s.png' -nt '$T/mark' ] && file '$SHOTS/$s.png' | grep -q 'PNG image data, 1280 x'"
done
t "no URL the browser visited holds the pupil's name" bash -c "jq -e '.urls | length > 10' '$WEB_STATE' >/dev/null && ! jq -r '.urls[]' '$WEB_STATE' | grep -qiE 'Webtest|Noor'"
t "no serve log holds the pupil's name" bash -c "! grep -qF 'Webtest$R' '$T/s1.serve.log' '$T/hub.serve.log' '$T/pol.serve.log'"
UUIDRE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
sed -n 's/^vios serve: [A-Z]* \(.*\) [0-9]*$/\1/p' "$T/s1.serve.log" "$T/hub.serve.log" "$T/pol.serve.log" | sort -u >"$T/paths"
t "every path the servers logged is /words or /words/ID (or a static file)" bash -c "[ \$(wc -l <'$T/paths') -gt 10 ] && ! grep -Ev '^/[a-z/-]*($UUIDRE)?\$|^/(static/vios\.css|favicon\.ico|report\.svg)\$' '$T/paths'"
t "every line of the serve logs is a request line" bash -c "! grep -hEv '^vios serve: [A-Z]+ /[^ ]* [0-9]{3}\$' '$T/s1.serve.log' '$T/hub.serve.log' '$T/pol.serve.log'"
echo "     screenshots and the PDF in $SHOTS"
finish
