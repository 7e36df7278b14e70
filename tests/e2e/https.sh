#!/usr/bin/env bash
# https.sh - logins over a real HTTPS git server on loopback (docs/logins.md):
# lighttpd (mod_openssl, mod_auth with an htpasswd file, mod_cgi) in front of
# `git http-backend`, with a CA and a server certificate the test makes with
# openssl, basic auth, receive-pack on (lighttpd sets REMOTE_USER), serving
# the hub repository made by `vios hub create` with its pre-receive hook.
# A school logs in with a 0600 credentials file, a partner with git's
# credential helper (credential.helper store under a HOME in $T); both trust
# the test's CA through net.ca_file. A wrong password, an untrusted
# certificate, a credentials file open to others and a URL with a password
# in it are each refused with one line; the password is never in any vios
# output nor in any process's argv while the test runs.
. "$(dirname "$0")/lib.sh"

LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
MODS=/usr/lib/lighttpd
BACKEND=$(git --exec-path)/git-http-backend
if [ ! -x "$LIGHTTPD" ] || [ ! -f "$MODS/mod_openssl.so" ] || ! command -v openssl >/dev/null || [ ! -x "$BACKEND" ]; then
	echo "skip https.sh: lighttpd, lighttpd-mod-openssl or openssl is missing (apt-get install lighttpd lighttpd-mod-openssl openssl)"
	exit 0
fi
export HOME="$T/home" # git's global config and credential store, the test's own
mkdir -p "$HOME"

nodes "hub hub" "s1 school" "pol partner police" "bad school"
content_covenant
G="$T/repos/hub.git"
mkdir -p "$T/repos"
V "$T/hub" hub create "$G" --covenant "$T/covenant-content.json" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in s1 pol bad; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null
done
cp "$(dirname "$0")/../../tools/pre-receive" "$G/hooks/pre-receive"

# --- a CA, a server certificate, a password ------------------------------------
(
	cd "$T" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=vios test CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
	printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext.cnf &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf &&
	cat server.pem server.key >server.both
) >/dev/null 2>&1
PW="pw$RANDOM$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$PW" >"$T/pw.pattern" # for grep -f: the password never on a command line
printf 'school:%s\n' "$(openssl passwd -apr1 -stdin <"$T/pw.pattern")" >"$T/htpasswd"

# --- the server ------------------------------------------------------------------
start_httpd() {
	cat >"$T/lighttpd.conf" <<-EOF
	server.modules = ("mod_auth", "mod_authn_file", "mod_cgi", "mod_openssl", "mod_alias", "mod_setenv")
	server.module-directory = "$MODS"
	server.document-root = "$T/www"
	server.bind = "127.0.0.1"
	server.port = $PORT
	server.pid-file = "$T/lighttpd.pid"
	server.errorlog = "$T/lighttpd.log"
	ssl.engine = "enable"
	ssl.pemfile = "$T/server.both"
	alias.url = ("/git" => "$BACKEND")
	\$HTTP["url"] =~ "^/git" {
		cgi.assign = ("" => "")
		setenv.add-environment = ("GIT_PROJECT_ROOT" => "$T/repos", "GIT_HTTP_EXPORT_ALL" => "1", "VIOS" => "$VIOS")
		auth.backend = "htpasswd"
		auth.backend.htpasswd.userfile = "$T/htpasswd"
		auth.require = ("" => ("method" => "basic", "realm" => "vios hub", "require" => "valid-user"))
	}
	EOF
	"$LIGHTTPD" -D -f "$T/lighttpd.conf" 2>>"$T/lighttpd.log" &
	HTTPD_PID=$!
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		kill -0 $HTTPD_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
mkdir -p "$T/www"
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	start_httpd && break
done
CLEANUP='kill $HTTPD_PID 2>/dev/null; [ -n "${SCAN_PID:-}" ] && kill $SCAN_PID 2>/dev/null'
t "lighttpd runs on 127.0.0.1:$PORT (TLS, basic auth, git http-backend)" kill -0 "$HTTPD_PID"
URL="https://127.0.0.1:$PORT/git/hub.git"

# Every process's argv, scanned for the password while the test runs (grep
# reads the pattern from a file: its own argv holds no password).
: >"$T/argv.hits"
(
	while :; do
		grep -laF -f "$T/pw.pattern" /proc/[0-9]*/cmdline >>"$T/argv.hits" 2>/dev/null
		sleep 0.1
	done
) &
SCAN_PID=$!
# the scan can fail: a process with the password in its argv is seen
sh -c 'sleep 0.5' control "$(cat "$T/pw.pattern")"
t "the argv scan sees a password on a command line (control)" test -s "$T/argv.hits"
sleep 0.1
: >"$T/argv.hits"
# vout HOME args...: vios with stdout and stderr kept in $T/all.out too
vout() { local h=$1; shift; "$VIOS" --home "$h" "$@" 2>&1 | tee -a "$T/all.out"; return "${PIPESTATUS[0]}"; }

# --- refusals ----------------------------------------------------------------------
printf 'vios-credentials-1\nusername=school\npassword=%s\n' "$PW" >"$T/school.cred"
chmod 600 "$T/school.cred"
V "$T/bad" config set net.credentials_file "$T/school.cred" >/dev/null
vout "$T/bad" join "$URL" --hub-fingerprint "$FP" >"$T/err"; rc=$?
t "no net.ca_file: the test CA's certificate is refused, exit 1, one line" \
	bash -c "[ $rc -eq 1 ] && one_line() { [ \$(grep -c . \$1) -eq 1 ]; } && one_line '$T/err' && grep -q 'TLS certificate of 127.0.0.1 is not trusted' '$T/err'"
printf 'vios-credentials-1\nusername=school\npassword=wrong%s\n' "$RANDOM" >"$T/bad.cred"
chmod 600 "$T/bad.cred"
V "$T/bad" config set net.ca_file "$T/ca.pem" >/dev/null
V "$T/bad" config set net.credentials_file "$T/bad.cred" >/dev/null
start=$SECONDS
vout "$T/bad" join "$URL" --hub-fingerprint "$FP" >"$T/err"; rc=$?
t "a wrong password: exit 1, one line saying the login was refused" \
	bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'refused the login of school' '$T/err'"
t "  at once, no loop" test $((SECONDS - start)) -le 5
chmod 644 "$T/bad.cred"
vout "$T/bad" join "$URL" --hub-fingerprint "$FP" >"$T/err"; rc=$?
t "a credentials file open to others: refused, exit 1, one line saying chmod 600" \
	bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'chmod 600' '$T/err'"
vout "$T/bad" join "https://school:notthepw@127.0.0.1:$PORT/git/hub.git" --hub-fingerprint "$FP" >"$T/err"; rc=$?
t "a URL with a password: refused (exit 2), one line without the password" \
	bash -c "[ $rc -eq 2 ] && [ \$(grep -c . '$T/err') -eq 1 ] && ! grep -q notthepw '$T/err'"
V "$T/bad" config set net.credentials none >/dev/null
vout "$T/bad" join "$URL" --hub-fingerprint "$FP" >"$T/err"; rc=$?
t "net.credentials none: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'none' '$T/err'"

# --- end to end: a credentials file (school), git's credential helper (partner) ----
S="$T/s1"
V "$S" config set net.ca_file "$T/ca.pem" >/dev/null
V "$S" config set net.credentials_file "$T/school.cred" >/dev/null
t "join over https with a credentials file" vout "$S" join "$URL" --hub-fingerprint "$FP"
git config --global credential.helper store
printf 'https://school:%s@127.0.0.1:%s\n' "$PW" "$PORT" >"$HOME/.git-credentials"
chmod 600 "$HOME/.git-credentials"
V "$T/pol" config set net.ca_file "$T/ca.pem" >/dev/null
t "join over https with git's credential helper (net.credentials unset: helper)" vout "$T/pol" join "$URL" --hub-fingerprint "$FP"
C="canary$RANDOM$RANDOM"
P=$(V "$S" pupil add --name "Pupil $C" --birth 2011-05-14)
SIG=$(V "$S" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner $C" --where around)
CASE=$(V "$S" case open --basis public-task --pupil "$P" --signals "$SIG" --roles police --lead police)
AG=$(V "$S" agreement add --case "$CASE" --owner police --action "home visit $C" --due 2026-12-20)
V "$S" trend add --theme weapons --period 2026-11 --level rising --note "knives $C" >/dev/null
t "school sync over https (push through the hook)" vout "$S" sync
t "  the hub repository has the school's ref" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid s1)"
t "partner sync over https receives the agreement" \
	bash -c "'$VIOS' --home '$T/pol' sync >>'$T/all.out' 2>&1 && '$VIOS' --home '$T/pol' agreement list | grep -q 'home visit $C'"
t "partner marks it done and syncs back" \
	bash -c "'$VIOS' --home '$T/pol' agreement done '$AG' --feedback 'visited' >/dev/null && '$VIOS' --home '$T/pol' sync >>'$T/all.out' 2>&1"
t "school sync sees it done" \
	bash -c "'$VIOS' --home '$S' sync >>'$T/all.out' 2>&1 && '$VIOS' --home '$S' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\"'"
t "hub merge (on the hub's own repository) takes the school's trend" \
	bash -c "'$VIOS' --home '$T/hub' hub merge >>'$T/all.out' 2>&1 && '$VIOS' --home '$T/hub' trend list | grep -q weapons"
t "  the hub's theme digest equals the school's" \
	bash -c "[ \"\$('$VIOS' --home '$T/hub' digest --category theme)\" = \"\$('$VIOS' --home '$S' digest --category theme)\" ]"

t "audit verify over https with the home's login settings" \
	bash -c "'$VIOS' --home '$S' audit verify '$URL' --hub-fingerprint '$FP' >>'$T/all.out' 2>&1"

# --- the hook under git http-backend ------------------------------------------------
GIT_SSL_CAINFO="$T/ca.pem" git --git-dir "$S/outbox.git" push -f "$URL" \
	"refs/heads/nodes/$(nid s1):refs/heads/nodes/$(nid pol)" >/dev/null 2>"$T/err"; rc=$?
t "a bad push over https is refused by the hub's hook (it runs under http-backend)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'vios hook: refused refs/heads/nodes/$(nid pol)' '$T/err'"

kill $SCAN_PID 2>/dev/null
wait $SCAN_PID 2>/dev/null
SCAN_PID=
t "the password never was in any process's argv" bash -c "[ ! -s '$T/argv.hits' ]"
t "  nor in any vios output" bash -c "[ -s '$T/all.out' ] && ! grep -qF -f '$T/pw.pattern' '$T/all.out'"
t "  nor in the node's settings" bash -c "! grep -qF -f '$T/pw.pattern' '$S/config.json' '$T/pol/config.json'"
t "the canary never reached the hub repository in clear" bash -c "! grep -rqa '$C' '$G'"
finish
