#!/usr/bin/env bash
# The web interface's security (issue 21, "Must show"), with curl and ss
# against `vios serve` (src/web/web_core.c and the pages):
#   - --port refuses bad values (one line, exit 2); the server listens on
#     127.0.0.1:P only;
#   - sign-in: a wrong passphrase is 403 with one error line and no signed-in
#     session; the right one gives a new HttpOnly SameSite=Strict cookie that
#     reaches "/" (the id from before the sign-in does not); a session is
#     nothing to another node's server; sign-out ends it, not the others;
#   - a POST without a valid CSRF token is 403 on every path tried ("/",
#     "/login", "/pupil-new", "/nonexistent", "/agreement/ID"), without and
#     with a session cookie, with no, an empty, a wrong, a short token and the
#     token of another session; none of them writes (digest unchanged);
#   - a foreign Origin is 403 (GET and POST), Sec-Fetch-Site: cross-site is
#     403, a Host that is not 127.0.0.1:P or localhost:P is 421;
#   - every response seen carries a Content-Security-Policy with
#     default-src 'none' and no 'unsafe-inline'/'unsafe-eval', and
#     X-Content-Type-Options: nosniff; every session cookie is HttpOnly and
#     SameSite=Strict; no page holds a <script> element;
#   - a pupil named <script>alert(1)</script> (added with the CLI) is shown
#     escaped on the school's pupil pages and the partner's case pages;
#   - the mandate through the web: the police partner marking done an
#     agreement owned by the social team is refused with the CLI's own line
#     (its stderr minus "vios: error: "), the store unchanged; its own
#     agreement it may mark done;
#   - no personal data in the request log or in URLs: after a pupil and a
#     signal added through the web forms (and a pupil search), the serve log
#     holds neither name, class nor note, every logged path is an id path,
#     and every link, form action and redirect holds ids only.
# Servers run on random ports (retried, as the git daemon scripts do).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../web/serve.sh"

# jqv NAME FILTER ARGS... : vios --json ARGS on $T/NAME exits 0, prints
# something, and FILTER holds of it (jq 1.6 -e passes on empty input)
jqv() {
	local h=$1 f=$2 out
	shift 2
	out=$(V "$T/$h" --json "$@") && [ -n "$out" ] && jq -e "$f" <<<"$out" >/dev/null
}
UUIDRE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
R="$RANDOM$RANDOM"
nodes "hub hub" "s1 school" "pol partner police" "soc partner social-team"
hub_world s1 pol soc
approve_all s1 pol soc

# --- the records, made with the CLI ---------------------------------------------------
XSS='<script>alert(1)</script>'
PX=$(V "$T/s1" pupil add --name "$XSS" --birth 2011-03-04 --class 2B)
SX=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme weapons --pupil "$PX" --note "knife $XSS" --where around)
CX=$(V "$T/s1" case open --basis public-task --parents-informed yes --pupil "$PX" --signals "$SX" --roles police,social-team --lead police)
AS=$(V "$T/s1" agreement add --case "$CX" --owner social-team --action "home visit" --due 2026-12-20)
AP=$(V "$T/s1" agreement add --case "$CX" --owner police --action "talk to the pupil" --due 2026-12-20)
V "$T/s1" sync >/dev/null && V "$T/hub" hub merge >/dev/null && V "$T/pol" sync >/dev/null
t "setup: the police hold the case and both agreements" jqv pol 'length == 2' agreement list

# the server holds the store while it runs (a CLI command then says another
# vios uses it): what the CLI shows is read with the server stopped
D0=$(V "$T/s1" digest)
PD0=$(V "$T/pol" digest)
V "$T/pol" agreement done "$AS" --feedback "cli $R" >/dev/null 2>"$T/cli.err"; rc=$?
t "CLI: the police may not mark the social team's agreement done (exit 1, one line)" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/cli.err') -eq 1 ] && grep -q '^vios: error: mandate: ' '$T/cli.err'"
LINE=$(sed 's/^vios: error: //' "$T/cli.err")
t "  the store unchanged" test "$(V "$T/pol" digest)" = "$PD0"

# --- --port ---------------------------------------------------------------------------
for p in 0 80 1023 65536 99999 abc 12x -1 ''; do
	V "$T/s1" serve --port "$p" >"$T/out" 2>"$T/err"; rc=$?
	t "serve --port '$p': exit 2, one line, nothing served" bash -c "[ $rc -eq 2 ] && one_line() { [ \$(grep -c . \"\$1\") -eq 1 ]; }; one_line '$T/err' && grep -q -- '--port' '$T/err' && [ ! -s '$T/out' ]"
done

# --- the servers ----------------------------------------------------------------------
t "the school's server starts (unlocked by VIOS_PASSPHRASE)" web_serve s1
t "the police's server starts" web_serve pol
P=${WP[s1]}
ss -ltnH >"$T/ss"
t "ss: 127.0.0.1:$P listens" grep -Eq "[[:space:]]127\.0\.0\.1:$P[[:space:]]" "$T/ss"
t "ss: nothing else listens on port $P (no 0.0.0.0, no ::)" bash -c "[ \$(grep -Ec ':$P[[:space:]]' '$T/ss') -eq 1 ]"
t "ss: the police's server too, 127.0.0.1 only" bash -c "[ \$(grep -Ec ':${WP[pol]}[[:space:]]' '$T/ss') -eq 1 ] && grep -Eq '[[:space:]]127\.0\.0\.1:${WP[pol]}[[:space:]]' '$T/ss'"
t "a second server on the same port is refused (exit 1, one line)" bash -c "'$VIOS' --home '$T/s1' serve --port $P >/dev/null 2>'$T/err'; [ \$? -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"

# --- sign-in ---------------------------------------------------------------------------
J1="$T/jar1"
code=$(W s1 "$J1" GET /)
t "signed out, / redirects to /login" bash -c "[ $code = 303 ] && grep -qi '^location: /login' '$T/h'"
web_login s1 "$J1" "not the passphrase $R"
t "a wrong passphrase: 403" test "$LOGIN_CODE" = 403
cp "$T/b" "$T/wrong.html"
t "  with one error line" bash -c "[ \$(grep -c 'class=\"error\"' '$T/wrong.html') -eq 1 ] && grep -q 'class=\"error\".*wrong passphrase\|class=\"error\".*wachtzin' '$T/wrong.html'"
t "  and no new session cookie" bash -c "! grep -qi '^set-cookie:' '$T/h'"
code=$(W s1 "$J1" GET /)
t "  the session is not signed in (/ still redirects to /login)" bash -c "[ $code = 303 ] && grep -qi '^location: /login' '$T/h'"
old=$(awk '$6 == "vios_session" {print $7}' "$J1")
web_login s1 "$J1"
t "the right passphrase: 303 to /" bash -c "[ '$LOGIN_CODE' = 303 ] && [ -n '$TOKEN' ]"
new=$(awk '$6 == "vios_session" {print $7}' "$J1")
t "  a new session id on sign-in" bash -c "[ -n '$new' ] && [ '$new' != '$old' ]"
code=$(W s1 "$J1" GET /)
t "  the cookie reaches / (200, the menu and the sign-out form)" bash -c "[ $code = 200 ] && grep -q 'action=\"/logout\"' '$T/b'"
T1=$TOKEN
code=$(curl -s -o /dev/null -w '%{http_code}' -b "vios_session=$old" "http://127.0.0.1:$P/")
t "  the session id from before the sign-in is not signed in (no fixation)" test "$code" = 303
J2="$T/jar2"
web_login s1 "$J2"
T2=$TOKEN
t "a second session signs in, with its own token" bash -c "[ -n '$T2' ] && [ '$T2' != '$T1' ]"

# --- CSRF -------------------------------------------------------------------------------
BAD=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
n=0
tries=0
for path in / /login /pupil-new /signal-new /nonexistent "/agreement/$AP" /logout /lang /static/vios.css "/case/$CX" /sync; do
	for how in "no-cookie no-token" "no-cookie token:$T1" "cookie no-token" "cookie token:" "cookie token:$BAD" \
		"cookie token:${T1:0:32}" "cookie token:$T2" "cookie token:${T1^^}"; do
		set -- $how
		jar=-; [ "$1" = cookie ] && jar=$J1
		args=(--data-urlencode "name=CSRF pupil $R" --data-urlencode "birth_date=2011-01-01" --data-urlencode "theme=weapons" --data-urlencode "note=csrf $R" --data-urlencode "to=en")
		case $2 in token:*) args+=(--data-urlencode "csrf=${2#token:}") ;; esac
		code=$(W s1 "$jar" POST "$path" "${args[@]}")
		tries=$((tries + 1))
		[ "$code" = 403 ] || { echo "     POST $path ($how): $code"; n=$((n + 1)); }
	done
done
t "$tries POSTs without a valid token (11 paths x 8 ways): each 403" bash -c "[ $tries -eq 88 ] && [ $n -eq 0 ]"
code=$(W s1 "$J1" POST /pupil-new -H 'Content-Type: application/json' --data "{\"csrf\":\"$T1\",\"name\":\"json $R\"}")
t "a JSON body (no form field) with the right token in it: 403" test "$code" = 403
code=$(W s1 "$J1" POST "/lang?csrf=$T1" --data-urlencode "to=en")
t "the right token in the query string, not the form: 403 (a token never rides in a URL)" test "$code" = 403
t "  the session still works after them" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -b '$J1' http://127.0.0.1:$P/) = 200 ]"
code=$(W pol - POST "/agreement/$AP" --data-urlencode "feedback=csrf $R")
t "the police's server: POST /agreement/ID without a session or token: 403" test "$code" = 403
t "the control: the right token is taken (POST /lang, 303)" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -b '$J1' --data-urlencode csrf=$T1 --data-urlencode to=nl http://127.0.0.1:$P/lang) = 303 ]"

# --- Origin, Sec-Fetch-Site, Host ---------------------------------------------------------
for o in http://evil.example "http://127.0.0.1:$((P + 1))" "https://127.0.0.1:$P" null "http://localhost.evil.example:$P" "http://127.0.0.1:$P.evil.example"; do
	code=$(W s1 "$J1" GET / -H "Origin: $o")
	t "GET with Origin $o: 403" test "$code" = 403
done
code=$(W s1 "$J1" POST /pupil-new -H "Origin: http://evil.example" --data-urlencode "csrf=$T1" --data-urlencode "name=Origin pupil $R" --data-urlencode "birth_date=2011-01-01")
t "a POST with the right token but a foreign Origin: 403" test "$code" = 403
code=$(W s1 "$J1" GET / -H "Origin: http://127.0.0.1:$P")
t "the control: its own Origin is served (200)" test "$code" = 200
# A browser's own form POST: under Referrer-Policy no-referrer the Fetch
# standard ("serializing a request origin") makes the browser send
# "Origin: null" even for a same-origin form (chromium does), so the Origin
# a page's own form carries follows the policy the server sends.
RP=$(sed -n 's/^[Rr]eferrer-[Pp]olicy: *//p' "$T/h" | tr -d '\r' | tail -n1)
OWN="http://127.0.0.1:$P"
[ "$RP" = no-referrer ] && OWN=null
code=$(W s1 "$J1" POST /lang -H "Origin: $OWN" -H "Sec-Fetch-Site: same-origin" -H "Sec-Fetch-Mode: navigate" --data-urlencode "csrf=$T1" --data-urlencode to=nl)
t "a same-origin form POST as a browser sends it (Referrer-Policy ${RP:-none}, so Origin: $OWN) is taken (303)" test "$code" = 303
code=$(W s1 "$J1" GET / -H "Sec-Fetch-Site: cross-site")
t "GET with Sec-Fetch-Site: cross-site: 403" test "$code" = 403
code=$(W s1 "$J1" GET / -H "Sec-Fetch-Site: same-origin")
t "the control: Sec-Fetch-Site: same-origin is served" test "$code" = 200
for h in evil.example "evil.example:$P" "127.0.0.1" "127.0.0.1:$((P + 1))" "localhost" "127.0.0.2:$P" "[::1]:$P" "0.0.0.0:$P"; do
	code=$(W s1 "$J1" GET / -H "Host: $h")
	t "Host $h: 421" test "$code" = 421
done
code=$(W s1 "$J1" GET / -H "Host: evil.example")
t "a refusal names no node and shows no menu, even to a signed-in cookie (a rebinding page reads it)" bash -c "[ $code = 421 ] && ! grep -q 'class=\"who\"' '$T/b' && ! grep -q '<nav>' '$T/b' && ! grep -q '>s1<\|s1 ·' '$T/b'"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J1" -H 'Host:' --http1.0 "http://127.0.0.1:$P/")
t "no Host at all (HTTP/1.0): 421" test "$code" = 421
code=$(W s1 - GET /login -H "Host: localhost:$P")
t "the control: Host localhost:$P is served (/login, 200)" test "$code" = 200

# --- escaping -------------------------------------------------------------------------------
code=$(W s1 "$J1" GET "/pupil/$PX")
cp "$T/b" "$T/pupil.html"
t "the pupil page (200) shows the name escaped" bash -c "[ $code = 200 ] && grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$T/pupil.html'"
t "  and holds no <script" bash -c "! grep -qi '<script' '$T/pupil.html'"
code=$(W s1 "$J1" GET /pupils)
cp "$T/b" "$T/pupils.html"
t "the pupils page (200) shows it escaped, no <script" bash -c "[ $code = 200 ] && grep -qF '&lt;script&gt;' '$T/pupils.html' && ! grep -qi '<script' '$T/pupils.html'"
code=$(W s1 "$J1" GET "/case/$CX")
cp "$T/b" "$T/case.html"
t "the school's case page (200) shows it escaped, no <script" bash -c "[ $code = 200 ] && grep -qF '&lt;script&gt;' '$T/case.html' && ! grep -qi '<script' '$T/case.html'"
JP="$T/jarp"
t "the police sign in" web_login pol "$JP"
TP=$TOKEN
code=$(W pol "$JP" GET "/case/$CX")
cp "$T/b" "$T/pcase.html"
t "the police's case page (200) holds no <script" bash -c "[ $code = 200 ] && ! grep -qi '<script' '$T/pcase.html'"

# --- sessions are per server; sign-out ends one -------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$J1" "http://127.0.0.1:${WP[pol]}/")
t "the school's session cookie is nothing to the police's server (303 to /login)" test "$code" = 303
S2=$(awk '$6 == "vios_session" {print $7}' "$J2")
code=$(W s1 "$J2" POST /logout --data-urlencode "csrf=$T2")
t "sign-out (POST /logout with the token): 303 to /login, the cookie cleared" bash -c "[ $code = 303 ] && grep -qi '^location: /login' '$T/h' && grep -qi '^set-cookie: vios_session=;.*Max-Age=0' '$T/h'"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "vios_session=$S2" "http://127.0.0.1:$P/")
t "  the signed-out session id is signed in no more (303 to /login)" bash -c "[ -n '$S2' ] && [ $code = 303 ]"
W s1 "$J1" GET / >/dev/null
t "  the other session is still signed in" grep -q 'action="/logout"' "$T/b"

# --- the mandate through the web ---------------------------------------------------------
# the session in English: the CLI's line is English
W pol "$JP" POST /lang --data-urlencode "csrf=$TP" --data-urlencode to=en >/dev/null
code=$(W pol "$JP" POST "/agreement/$AS" --data-urlencode "csrf=$TP" --data-urlencode "feedback=web $R")
cp "$T/b" "$T/mandate.html"
python3 - "$T/mandate.html" >"$T/web.line" <<'PY'
import html, re, sys
m = re.findall(r'<p class="error"[^>]*>(.*?)</p>', open(sys.argv[1], encoding="utf-8").read(), re.S)
print("\n".join(html.unescape(x) for x in m))
PY
printf '%s\n' "$LINE" >"$T/cli.line"
t "web: the police marking the social team's agreement done is refused (no redirect)" bash -c "[ '$code' != 303 ] && [ '$code' != 000 ]"
t "  with exactly the CLI's line: $LINE" cmp "$T/web.line" "$T/cli.line"
t "the police's server stops (exit 0)" web_stop pol
t "  the police's store unchanged (digest)" test "$(V "$T/pol" digest)" = "$PD0"
t "  the agreement still open, no feedback" jqv pol "any(.[]; .id==\"$AS\" and .status==\"open\" and .feedback==null)" agreement list
t "the police's server starts again" web_serve pol
t "  the police sign in again" web_login pol "$JP"
TP=$TOKEN
code=$(W pol "$JP" POST "/agreement/$AP" --data-urlencode "csrf=$TP" --data-urlencode "feedback=talked $R")
t "the control: the police mark their own agreement done through the web (303)" test "$code" = 303
W pol "$JP" GET "/agreement/$AP" >/dev/null
t "  its page shows the feedback" grep -qF "talked $R" "$T/b"
t "the police's server stops (exit 0)" web_stop pol
t "  the CLI shows it done with the feedback" jqv pol "any(.[]; .id==\"$AP\" and .status==\"done\" and .feedback==\"talked $R\")" agreement list

# the school's store: none of the refused POSTs wrote
t "the school's server stops (exit 0)" web_stop s1
t "none of the refused POSTs wrote anything (digest unchanged)" test "$(V "$T/s1" digest)" = "$D0"
N0=$(V "$T/s1" --json signal list | jq length)
t "the school's server starts again" web_serve s1
t "  signs in again" web_login s1 "$J1"
T1=$TOKEN

# --- no personal data in the log or in URLs --------------------------------------------------
NAME="Zyxw Distinct$R"
CLASS="Q$R"
NOTE="seen near the gate $R"
code=$(W s1 "$J1" POST /pupil-new --data-urlencode "csrf=$T1" --data-urlencode "name=$NAME" --data-urlencode "class=$CLASS" --data-urlencode "birth_date=14-05-2011")
PW=$(sed -n 's/^[Ll]ocation: \/pupil\/\([0-9a-f-]*\).*/\1/p' "$T/h" | tr -d '\r')
t "a pupil added through the web form: 303 to /pupil/ID" bash -c "[ $code = 303 ] && [[ '$PW' =~ ^$UUIDRE\$ ]]"
code=$(W s1 "$J1" POST /signal-new --data-urlencode "csrf=$T1" --data-urlencode "theme=weapons" --data-urlencode "note=$NOTE" \
	--data-urlencode "pupil_id=$PW" --data-urlencode "basis=public-task" --data-urlencode "parents_informed=1" --data-urlencode "seen_at=2026-11-30")
t "a signal added through the web form: 303" test "$code" = 303
code=$(W s1 "$J1" POST /signal-new --data-urlencode "csrf=$T1" --data-urlencode "theme=weapons" --data-urlencode "note=bad date $R" --data-urlencode "seen_at=31-02-2026")
t "a signal with a bad date: no redirect, one error line" bash -c "[ $code != 303 ] && [ \$(grep -c 'class=\"error\"' '$T/b') -eq 1 ]"
W s1 "$J1" POST /pupils --data-urlencode "csrf=$T1" --data-urlencode "q=$NAME" >/dev/null
t "the pupil search (a POST) finds the pupil" grep -qF "$NAME" "$T/b"
W s1 "$J1" GET "/pupil/$PW" >/dev/null
t "the pupil page shows the name, class and note" bash -c "grep -qF '$NAME' '$T/b' && grep -qF '$CLASS' '$T/b' && grep -qF '$NOTE' '$T/b'"
W s1 "$J1" GET / >/dev/null
W s1 "$J1" GET /agenda >/dev/null
W s1 "$J1" GET /log >/dev/null
LOG="$T/s1.serve.log"
t "the serve log has request lines" grep -q '^vios serve: GET / 200$' "$LOG"
for s in "$NAME" "Distinct$R" "$CLASS" "$NOTE" "$XSS" "alert(1)"; do
	t "the serve log never holds '$s'" bash -c "! grep -qaF -- '$s' '$LOG' '$T/pol.serve.log'"
done
# the paths logged: ids only (the two static files are the only paths with a dot)
sed -n 's/^vios serve: [A-Z]* \(.*\) [0-9]*$/\1/p' "$LOG" "$T/pol.serve.log" | sort -u >"$T/paths"
t "the serve log names paths" test -s "$T/paths"
t "every logged path is /words or /words/ID" bash -c "! grep -Ev '^/[a-z/-]*($UUIDRE)?\$|^/static/vios\\.css\$' '$T/paths'"
t "every line of the log is a request line" bash -c "! grep -Ev '^vios serve: [A-Z]+ /[^ ]* [0-9]{3}\$' '$LOG' '$T/pol.serve.log'"
# the URLs the pages and redirects hold
{ grep -oE '(href|action|src)="[^"]*"' "$T/all.html" | sed -E 's/^[a-z]+="//; s/"$//'; sed -n 's/^[Ll]ocation: //p' "$T/all.h" | tr -d '\r'; } | sort -u >"$T/urls"
t "links, form actions and redirects were seen" test -s "$T/urls"
t "every one is an id path (a query only ?word=ID or ?word=NUMBER)" bash -c "! grep -Ev '^/[a-z/-]*($UUIDRE)?(\\?[a-z_]+=($UUIDRE|[0-9]+))?\$|^/static/vios\\.css\$' '$T/urls'"
t "no URL holds the name, class or note" bash -c "! grep -qF -e 'Distinct$R' -e '$CLASS' -e 'gate $R' '$T/urls'"

# --- the headers of every response seen ----------------------------------------------------
awk 'BEGIN{RS=""} /^HTTP\//' "$T/all.h" >"$T/resp"
nresp=$(grep -c '^HTTP/' "$T/resp")
ncsp=$(grep -ci "^content-security-policy: default-src 'none';" "$T/resp")
nnos=$(grep -ci '^x-content-type-options: nosniff' "$T/resp")
echo "     $nresp responses seen"
t "every response has a CSP starting default-src 'none' ($ncsp of $nresp)" bash -c "[ $nresp -gt 100 ] && [ $ncsp -eq $nresp ]"
t "  none with 'unsafe-inline', 'unsafe-eval' or a script-src" bash -c "! grep -i '^content-security-policy:' '$T/resp' | grep -qiE 'unsafe-|script-src'"
t "every response has X-Content-Type-Options: nosniff ($nnos of $nresp)" test "$nnos" -eq "$nresp"
t "every Set-Cookie is HttpOnly and SameSite=Strict" bash -c "grep -qi '^set-cookie:' '$T/resp' && ! grep -i '^set-cookie:' '$T/resp' | grep -viE 'HttpOnly' && ! grep -i '^set-cookie:' '$T/resp' | grep -vi 'SameSite=Strict'"
t "no page seen holds a <script element" bash -c "! grep -qi '<script' '$T/all.html'"
t "no page seen holds an inline handler (on...=) or javascript: URL" bash -c "! grep -qiE '<[^>]* on[a-z]+=|javascript:' '$T/all.html'"

# --- what the web forms wrote, seen by the CLI ---------------------------------------------------
t "the school's server stops on SIGTERM (exit 0)" web_stop s1
t "the CLI sees the web's pupil, with the class and the date typed DD-MM-YYYY" jqv s1 ".pupil.name==\"$NAME\" and .pupil.class==\"$CLASS\" and .pupil.birth_date==\"2011-05-14\"" pupil show "$PW"
t "the CLI counts one more signal (the bad date wrote none), with the note" jqv s1 "length == $((N0 + 1)) and any(.[]; .note==\"$NOTE\")" signal list
t "no pupil of a refused POST exists" bash -c "! '$VIOS' --home '$T/s1' --json pupil list | grep -qE 'CSRF pupil|Origin pupil|json $R'"
finish
