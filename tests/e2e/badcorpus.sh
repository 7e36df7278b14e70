#!/usr/bin/env bash
# The bad-input corpus (tests/resources/bad/): every case exits 1 or 3 with
# one line on stderr and leaves the homes and the hub repository untouched.
. "$(dirname "$0")/lib.sh"
B="$(cd "$(dirname "$0")/../resources/bad" && pwd)"

mk hub hub; mk s1 school
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
V "$T/s1" identity export -o "$T/s1.req" 2>/dev/null; V "$T/hub" hub enroll "$T/s1.req" >/dev/null
V "$T/s1" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null
V "$T/s1" sync >/dev/null
# every file but the homes' run/ entries, which name the last command that
# held the store (docs/formats.md, "Run lock"), not its data
sums() { (cd "$T" && find hub s1 hub.git \( -path hub/run -o -path s1/run \) -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
S0=$(sums)
D0=$(V "$T/s1" digest)
n=0
for f in "$B"/*; do
	name=$(basename "$f")
	case $name in
	README.md | make.sh | *.minisig) continue ;;
	enroll-*) cmd=(V "$T/hub" hub enroll "$f") ;;
	covenant-*) cmd=(V "$T/hub" hub covenant set "$f") ;;
	bundle-*) cmd=(V "$T/s1" import "$f") ;;
	passphrase-*) cmd=(env -u VIOS_PASSPHRASE "$VIOS" --home "$T/s1" --passphrase-file "$f" whoami) ;;
	fingerprint-*) cmd=(V "$T/s1" join "$T/hub.git" --hub-fingerprint "$(head -n1 "$f")") ;;
	*) t "unknown corpus file $name" false; continue ;;
	esac
	n=$((n + 1))
	"${cmd[@]}" >"$T/out" 2>"$T/err"; rc=$?
	t "$name: exit 1 or 3 ($rc), one line on stderr" bash -c "[ $rc -eq 1 -o $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q '^vios: error: ' '$T/err'"
	t "$name: homes and hub repository unchanged" test "$S0" = "$(sums)"
done
t "the corpus has at least 20 cases ($n)" test "$n" -ge 20
t "the school's digest is unchanged" test "$D0" = "$(V "$T/s1" digest)"
finish
