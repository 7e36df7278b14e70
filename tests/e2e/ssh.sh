#!/usr/bin/env bash
# ssh.sh - logins over a real sshd on loopback (docs/logins.md): the hub
# repository made by `vios hub create`, with its pre-receive hook, served by
# an sshd of the test's own (its config, host key and authorized_keys in $T,
# key authentication only, a random free port, the current user). A school
# joins and syncs with a key file (net.ssh_key), a partner with the
# ssh-agent and a hashed known_hosts; the hub operator merges on the hub's own path; an unknown or
# changed host key, a key file open to others, a wrong key and no login at
# all are each refused with one line; a bad push is still refused by the
# hook over ssh.
. "$(dirname "$0")/lib.sh"

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$SSHD" ] || ! command -v ssh-keygen >/dev/null || ! command -v ssh-agent >/dev/null; then
	echo "skip ssh.sh: sshd or the ssh client tools are missing (apt-get install openssh-server openssh-client)"
	exit 0
fi
unset SSH_AUTH_SOCK SSH_AGENT_PID
# Under SAN=1: libgit2's ssh transport leaks (tests/lsan.supp); its frames have no frame
# pointers, so the suppression matches only with the slow unwinder.
[ "${SAN:-0}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
ME=$(id -un)
sshd_privsep

nodes "hub hub" "s1 school" "pol partner police" "nokey school"
content_covenant
G="$T/hub.git"
V "$T/hub" hub create "$G" --covenant "$T/covenant-content.json" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in s1 pol nokey; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null
done
cp "$(dirname "$0")/../../tools/pre-receive" "$G/hooks/pre-receive"

# --- the server ---------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C school -f "$T/id_school"
ssh-keygen -q -t ed25519 -N '' -C partner -f "$T/id_partner"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/id_stranger"
cat "$T/id_school.pub" "$T/id_partner.pub" >"$T/authorized_keys"
start_sshd() {
	cat >"$T/sshd_config" <<-EOF
	Port $PORT
	ListenAddress 127.0.0.1
	HostKey $T/host_key
	PidFile $T/sshd.pid
	AuthorizedKeysFile $T/authorized_keys
	AuthenticationMethods publickey
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	StrictModes no
	UsePAM no
	SetEnv VIOS=$VIOS
	EOF
	"$SSHD" -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
	SSHD_PID=$!
	CLEANUP='kill $SSHD_PID 2>/dev/null; [ -n "${AGENT_PID:-}" ] && kill $AGENT_PID 2>/dev/null'
	for i in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		kill -0 $SSHD_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	start_sshd && break
done
t "sshd runs on 127.0.0.1:$PORT" kill -0 "$SSHD_PID"
URL="ssh://$ME@127.0.0.1:$PORT$G"
HOSTFP=$(ssh-keygen -lf "$T/host_key.pub" | awk '{print $2}')
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" >"$T/known_hosts"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other_host_key.pub")" >"$T/known_hosts.changed"
: >"$T/known_hosts.empty"
cp "$T/known_hosts" "$T/known_hosts.hashed" && ssh-keygen -q -H -f "$T/known_hosts.hashed" >/dev/null 2>&1
rm -f "$T/known_hosts.hashed.old"
chmod 600 "$T"/id_*

# refused N ERRFILE: the last command exited N and wrote one line
refused() { [ "$1" -eq 1 ] && one_line "$2"; }

# --- host keys ----------------------------------------------------------------
S="$T/s1"
V "$S" config set net.ssh_key "$T/id_school" >/dev/null
V "$S" config set net.ssh_known_hosts "$T/known_hosts.empty" >/dev/null
V "$S" join "$URL" --hub-fingerprint "$FP" >"$T/out" 2>"$T/err"; rc=$?
t "an unknown host key: join refused, exit 1, one line" refused $rc "$T/err"
t "  the line gives the key's SHA256 fingerprint and how to add it" \
	bash -c "grep -qF -- '$HOSTFP' '$T/err' && grep -qF 'ssh-keyscan -t ed25519 -p $PORT 127.0.0.1' '$T/err'"
t "  nothing was joined" bash -c "'$VIOS' --home '$S' --json status | jq -e '.hub_url == null'"
V "$S" config set net.ssh_known_hosts "$T/known_hosts.changed" >/dev/null
V "$S" join "$URL" --hub-fingerprint "$FP" >"$T/out" 2>"$T/err"; rc=$?
t "a changed host key: refused, exit 1, one line naming the new fingerprint" \
	bash -c "refused() { [ \$1 -eq 1 ] && [ \$(grep -c . \$2) -eq 1 ]; }; refused $rc '$T/err' && grep -q 'has changed' '$T/err' && grep -qF -- '$HOSTFP' '$T/err'"
V "$S" config set net.ssh_known_hosts "$T/known_hosts" >/dev/null

# --- logins that fail ---------------------------------------------------------
chmod 644 "$T/id_school"
V "$S" join "$URL" --hub-fingerprint "$FP" >"$T/out" 2>"$T/err"; rc=$?
t "a key file open to others: refused, exit 1, one line saying chmod 600" \
	bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'chmod 600' '$T/err'"
chmod 600 "$T/id_school"
V "$S" config set net.ssh_key "$T/id_stranger" >/dev/null
start=$SECONDS
V "$S" join "$URL" --hub-fingerprint "$FP" >"$T/out" 2>"$T/err"; rc=$?
t "a key the server does not know: refused, exit 1, one line naming the key file tried" \
	bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -qF 'tried the key file $T/id_stranger' '$T/err'"
t "  at once, no loop" test $((SECONDS - start)) -le 5
V "$T/nokey" config set net.ssh_known_hosts "$T/known_hosts" >/dev/null
V "$T/nokey" join "$URL" --hub-fingerprint "$FP" >"$T/out" 2>"$T/err"; rc=$?
t "no key file and no agent: refused, exit 1, one line saying what to set" \
	bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'net.ssh_key' '$T/err'"

# --- end to end: a key file (school), the agent (partner) ----------------------
V "$S" config set net.ssh_key "$T/id_school" >/dev/null
t "join over ssh with a key file" V "$S" join "$URL" --hub-fingerprint "$FP"
eval "$(ssh-agent -s)" >/dev/null
AGENT_PID=$SSH_AGENT_PID
ssh-add -q "$T/id_partner" 2>/dev/null
V "$T/pol" config set net.ssh_known_hosts "$T/known_hosts.hashed" >/dev/null
t "  (the partner's known_hosts has hashed host names, as ssh-keygen -H writes them)" \
	bash -c "grep -q '^|1|' '$T/known_hosts.hashed' && ! grep -q 127.0.0.1 '$T/known_hosts.hashed'"
t "join over ssh with the ssh-agent (no key file)" V "$T/pol" join "$URL" --hub-fingerprint "$FP"
C="canary$RANDOM$RANDOM"
P=$(V "$S" pupil add --name "Pupil $C" --birth 2011-05-14)
SIG=$(V "$S" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner $C" --where around)
CASE=$(V "$S" case open --basis public-task --pupil "$P" --signals "$SIG" --roles police --lead police)
AG=$(V "$S" agreement add --case "$CASE" --owner police --action "home visit $C" --due 2026-12-20)
V "$S" trend add --theme weapons --period 2026-11 --level rising --note "knives $C" >/dev/null
t "school sync over ssh (push through the hook)" V "$S" sync
t "  the hub repository has the school's ref" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid s1)"
t "partner sync over ssh receives the agreement" \
	bash -c "'$VIOS' --home '$T/pol' sync >/dev/null && '$VIOS' --home '$T/pol' agreement list | grep -q 'home visit $C'"
t "partner marks it done and syncs back" \
	bash -c "'$VIOS' --home '$T/pol' agreement done '$AG' --feedback 'visited' >/dev/null && '$VIOS' --home '$T/pol' sync >/dev/null"
t "school sync sees it done" \
	bash -c "'$VIOS' --home '$S' sync >/dev/null && '$VIOS' --home '$S' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\"'"
t "hub merge (on the hub's own repository) takes the school's trend" \
	bash -c "'$VIOS' --home '$T/hub' hub merge >/dev/null && '$VIOS' --home '$T/hub' trend list | grep -q weapons"
t "  the hub's theme digest equals the school's" \
	bash -c "[ \"\$('$VIOS' --home '$T/hub' digest --category theme)\" = \"\$('$VIOS' --home '$S' digest --category theme)\" ]"

# --- the hook over ssh ----------------------------------------------------------
export GIT_SSH_COMMAND="ssh -i $T/id_school -o IdentitiesOnly=yes -o UserKnownHostsFile=$T/known_hosts -o BatchMode=yes"
git --git-dir "$S/outbox.git" push -f "$URL" "refs/heads/nodes/$(nid s1):refs/heads/nodes/$(nid pol)" >/dev/null 2>"$T/err"; rc=$?
t "a bad push over ssh is refused by the hub's hook (vios hub check-push)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'vios hook: refused refs/heads/nodes/$(nid pol)' '$T/err'"
unset GIT_SSH_COMMAND
t "the canary never reached the hub repository in clear" bash -c "! grep -rqa '$C' '$G'"
finish
