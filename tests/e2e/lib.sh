# lib.sh - sourced by every end-to-end test. Gives each test a sandbox
# directory (removed at exit), a cheap KDF preset and pass/fail counting.
#
#   t "what it proves" command...     passes when the command succeeds
#   tf "what it proves" command...    passes when the command fails
#   finish                            prints "e2e NAME: N passed, M failed"
set -u
VIOS=${VIOS:-$(pwd)/vios}
T=$(mktemp -d /tmp/vios-e2e.XXXXXX)
CLEANUP=""   # extra commands for the EXIT trap (e.g. stopping a daemon)
trap 'eval "$CLEANUP"; [ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
export VIOS_PASSPHRASE='e2e test passphrase 1'
unset VIOS_HOME
_pass=0
_fail=0
_name=$(basename "$0" .sh)

t() {
	local what=$1; shift
	if "$@" >>"$T/.log" 2>&1; then _pass=$((_pass + 1)); echo "ok   $what"
	else _fail=$((_fail + 1)); echo "FAIL $what"; fi
}
tf() {
	local what=$1; shift
	if "$@" >>"$T/.log" 2>&1; then _fail=$((_fail + 1)); echo "FAIL $what (it succeeded)"
	else _pass=$((_pass + 1)); echo "ok   $what"; fi
}
finish() {
	if [ "$_fail" -ne 0 ]; then echo "--- log"; tail -n 40 "$T/.log"; fi
	echo "e2e $_name: $_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
}
# V HOME args... : runs vios on a home
V() { local h=$1; shift; "$VIOS" --home "$h" "$@"; }
# mk NAME KIND [ROLE] : a new node home at $T/NAME with the cheap KDF
mk() {
	local role=()
	[ -n "${3:-}" ] && role=(--role "$3")
	V "$T/$1" init --kind "$2" --name "$1" "${role[@]}" --kdf interactive >"$T/$1.init"
}
# nodes "NAME KIND [ROLE]"... : mk for each
nodes() { local n; for n in "$@"; do set -- $n; mk "$1" "$2" "${3:-}"; done; }
# hub_world NAME... : the hub node `hub` makes $T/hub.git (G, FP set); every NAME
# is enrolled, then each joins it (so each approves all of them: docs/governance.md)
# The hub publishes the default covenant with auditor_scope "content" (the
# auditor receives everything, as tests of the audit's replay need), unless
# HUB_SCOPE=headers (the default covenant as it is).
hub_world() {
	local n cov=()
	G="$T/hub.git"
	if [ "${HUB_SCOPE:-content}" != headers ]; then content_covenant && cov=(--covenant "$T/covenant-content.json"); fi
	V "$T/hub" hub create "$G" "${cov[@]}" >/dev/null
	FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
	for n in "$@"; do
		V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null
	done
	for n in "$@"; do
		V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null
	done
}
# approve_all NAME... : each NAME (already joined) syncs the registry and approves
# every node and covenant version waiting for it
approve_all() {
	local n id v
	for n in "$@"; do
		V "$T/$n" sync >/dev/null 2>&1
		for id in $(V "$T/$n" --json status | jq -r '.approval_pending.nodes[].node_id'); do
			V "$T/$n" covenant approve --node "$id" >/dev/null
		done
		v=$(V "$T/$n" --json status | jq -r '.approval_pending.covenant // empty')
		[ -n "$v" ] && V "$T/$n" covenant approve "$v" >/dev/null
	done
	return 0
}
# content_covenant : $T/covenant-content.json, the default covenant (as a
# throwaway hub publishes it) with auditor_scope "content"
content_covenant() {
	[ -f "$T/covenant-content.json" ] && return 0
	mk _cov hub && V "$T/_cov" hub create "$T/_cov.git" >/dev/null &&
		git --git-dir "$T/_cov.git" show refs/heads/registry:covenant.json | jq '.auditor_scope = "content"' >"$T/covenant-content.json"
}
# nid NAME : the node id of $T/NAME
nid() { V "$T/$1" --json whoami | jq -r .node_id; }
# recovery_codes FILE...: the recovery codes init printed, one a line. The
# code is the indented line of its own: a fingerprint (8 groups of 4 hex
# digits) has the same shape when it holds no 0 or 1, so never grep the shape alone.
recovery_codes() { grep -hoE '^ +[A-Z2-9]{4}(-[A-Z2-9]{4}){7} *$' "$@" | tr -d ' '; }
# one_line FILE : FILE has exactly one non-empty line
one_line() { [ "$(grep -c . "$1")" -eq 1 ]; }
# sshd_privsep: sshd refuses to start without its privilege separation
# directory, which only its systemd unit makes; as root, make it (ssh.sh,
# network.sh: either may run first on a fresh machine)
sshd_privsep() { [ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd; }
