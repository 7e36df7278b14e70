# tests/web/serve.sh - sourced after tests/e2e/lib.sh by the scripts that
# test `vios serve` (web_security.sh, web_browser.sh, secrets.sh): starts a
# node's server on a random free port, talks to it with curl and a cookie
# jar, and stops every server it started at exit.
#
#   web_serve NAME          serves $T/NAME on a random port (5 tries, as the
#                           git daemon scripts do); WP[NAME] = the port,
#                           WPID[NAME] = the pid; stdout into $T/NAME.serve.out,
#                           stderr (the request log) into $T/NAME.serve.log
#   web_stop NAME           SIGTERM, waits; returns the server's exit status
#   W NAME JAR METHOD PATH [curl args...]
#                           one request (JAR "-": no cookie); prints the
#                           status code; headers in $T/h, body in $T/b, both
#                           also appended to $T/all.h and $T/all.html
#   csrf_of FILE            the first csrf token in a page
#   web_login NAME JAR [PASS]
#                           signs in through /login (the passphrase goes on
#                           curl's stdin, never in argv); LOGIN_CODE = the
#                           POST's status, TOKEN = the signed-in session's
#                           csrf token (read from "/"); 0 when signed in
declare -A WP WPID
WEB_SERVERS=""
CLEANUP="${CLEANUP:+$CLEANUP; }for p in \$WEB_SERVERS; do kill -TERM \"\$p\" 2>/dev/null; done"
: >"$T/all.h"
: >"$T/all.html"

web_serve() {
	local n=$1 try i p pid
	for try in 1 2 3 4 5; do
		p=$((20000 + RANDOM % 20000))
		: >"$T/$n.serve.out"
		"$VIOS" --home "$T/$n" serve --port "$p" >"$T/$n.serve.out" 2>>"$T/$n.serve.log" &
		pid=$!
		# up to 30 s: the server unlocks the node (Argon2id) before it listens
		for i in $(seq 300); do
			if grep -q '^vios serve: http://127.0.0.1:' "$T/$n.serve.out"; then
				WP[$n]=$p
				WPID[$n]=$pid
				WEB_SERVERS="$WEB_SERVERS $pid"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	echo "web_serve $n: no server after 5 ports" >&2
	return 1
}

web_stop() {
	local pid=${WPID[$1]:-} rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	WEB_SERVERS=${WEB_SERVERS/ $pid/}
	unset "WPID[$1]"
	return $rc
}

W() {
	local n=$1 jar=$2 m=$3 p=$4 cj=() code
	shift 4
	[ "$jar" = - ] || cj=(-b "$jar" -c "$jar")
	code=$(curl -s -o "$T/b" -D "$T/h" "${cj[@]}" -X "$m" "$@" -w '%{http_code}' "http://127.0.0.1:${WP[$n]}$p")
	{ cat "$T/h"; echo; } >>"$T/all.h"
	{ cat "$T/b"; echo; } >>"$T/all.html"
	echo "$code"
}

csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -n1 | sed 's/.*value="//; s/"$//'; }

web_login() {
	local n=$1 jar=$2 tok code
	W "$n" "$jar" GET /login >/dev/null
	tok=$(csrf_of "$T/b")
	code=$(printf %s "${3-$VIOS_PASSPHRASE}" | W "$n" "$jar" POST /login --data-urlencode "csrf=$tok" --data-urlencode passphrase@-)
	LOGIN_CODE=$code
	TOKEN=""
	[ "$code" = 303 ] || return 1
	W "$n" "$jar" GET / >/dev/null
	TOKEN=$(csrf_of "$T/b")
	[ -n "$TOKEN" ]
}
