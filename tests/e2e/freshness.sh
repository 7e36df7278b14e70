#!/usr/bin/env bash
# Freshness and fingerprints (issue 14): the hub fingerprint is 128 bits in
# groups and join takes it grouped, bare or as the hub's public key line (a
# 16-digit one is refused); 'vios hub registry refresh' raises the version and
# the expiry; a registry about to expire is warned about, an expired one keeps
# a school's case data queued (theme data still goes to the hub) until a
# fresh registry arrives; 'audit verify' flags case data sealed to a partner
# under an expired registry; a revoked node's sync seals and pushes nothing.
#
# vios has no test clock: tests/tools/t_registry re-signs the hub's registry
# expiring a few seconds from now, and the test waits on the real clock.
. "$(dirname "$0")/lib.sh"
REG="$BUILD/tools/t_registry"
FORGE="$BUILD/tools/t_forge"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"
export -f one_line

nodes "hub hub" "s1 school" "s2 school" "s3 school" "s4 school" "pol partner police" "aud auditor"
hub_world s1 pol aud
for n in s2 s3 s4; do V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null; done
S1=$(nid s1) S2=$(nid s2)
st() { V "$T/$1" --json status | jq -r "$2"; }

# --- fingerprints ---------------------------------------------------------------------
t "the fingerprint is 32 hex digits in 8 groups of 4" bash -c "echo '$FP' | grep -Eqx '[0-9A-F]{4}(-[0-9A-F]{4}){7}'"
t "hub create prints the same fingerprint" bash -c "grep -q -- '$FP' <(git --git-dir '$G' show registry:registry/manifest.json)"
t "the school's store pins it as printed" test "$(st s1 .hub_fingerprint)" = "$FP"
t "join with the grouped fingerprint (hub_world did)" test "$(st s1 .registry_version)" -ge 1
PUBLINE=$(V "$T/hub" --json whoami | jq -r .minisign_pubkey)
t "join with the hub's public key line" V "$T/s2" join "$G" --hub-fingerprint "$PUBLINE"
t "... pins the same fingerprint" test "$(st s2 .hub_fingerprint)" = "$FP"
BARE=$(echo "$FP" | tr -d - | tr A-F a-f)
t "join with the fingerprint bare and lowercase" V "$T/s3" join "$G" --hub-fingerprint "$BARE"
V "$T/s4" join "$G" --hub-fingerprint 0123456789ABCDEF >/dev/null 2>"$T/err"; rc=$?
t "an old 16-digit fingerprint is refused (exit 3, one line saying why)" bash -c "[ $rc -eq 3 ] && one_line '$T/err' && grep -q 'old 16-digit' '$T/err'"
t "... and nothing is stored" bash -c "[ \"\$('$VIOS' --home '$T/s4' --json status | jq -r .hub_url)\" = null ]"
"$VIOS" --home "$T/nobody" audit verify "$G" --hub-fingerprint 0123456789ABCDEF >/dev/null 2>"$T/err"; rc=$?
t "audit --hub-fingerprint refuses a 16-digit one (usage, exit 2)" bash -c "[ $rc -eq 2 ] && grep -q 'old 16-digit' '$T/err'"
t "audit verify takes the grouped fingerprint" "$VIOS" --home "$T/nobody" audit verify "$G" --hub-fingerprint "$FP"

# --- refresh --------------------------------------------------------------------------
V0=$(st hub .registry_version) E0=$(st hub .registry_expires_at)
t "a new registry expires 30 days after signing" bash -c "[ \$(( \$(date -ud '$E0' +%s) - \$(date -u +%s) )) -gt \$((29 * 86400)) ]"
t "registry refresh --valid 60" V "$T/hub" hub registry refresh --valid 60
t "refresh raises the version" test "$(st hub .registry_version)" -eq $((V0 + 1))
t "refresh moves the expiry to 60 days" bash -c "[ \$(( \$(date -ud \"\$('$VIOS' --home '$T/hub' --json status | jq -r .registry_expires_at)\" +%s) - \$(date -u +%s) )) -gt \$((59 * 86400)) ]"
for bad in 0 366 ten; do
	V "$T/hub" hub registry refresh --valid "$bad" >/dev/null 2>"$T/err"; rc=$?
	t "refresh --valid $bad is a usage error (exit 2)" bash -c "[ $rc -eq 2 ] && one_line '$T/err'"
done
t "the school syncs the refreshed registry" V "$T/s1" sync
t "the school holds the new version and expiry" bash -c "[ \"\$('$VIOS' --home '$T/s1' --json status | jq -r '.registry_version, .registry_expires_at')\" = \"\$('$VIOS' --home '$T/hub' --json status | jq -r '.registry_version, .registry_expires_at')\" ]"
t "a fresh registry: no warning in status" test "$(st s1 .registry_warning)" = null

# --- expiring soon: a warning ------------------------------------------------------------
t "the hub signs a registry valid 3 days" env VIOS_PASSPHRASE="$VIOS_PASSPHRASE" "$REG" "$T/hub" 259200
V "$T/s1" sync >/dev/null 2>"$T/err"; rc=$?
t "sync 3 days before expiry: exit 0, one warning line" bash -c "[ $rc -eq 0 ] && one_line '$T/err' && grep -q '^vios: warning: the registry (version [0-9]*) expires at .*, in 3 days' '$T/err'"
t "sync --json says so too (registry_warning)" bash -c "'$VIOS' --home '$T/s1' --json sync 2>/dev/null | jq -e '.registry_warning | test(\"expires at\")'"
t "status --json says so (registry_warning)" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.registry_warning | test(\"expires at\")'"

# --- expired: case data waits, theme data goes ---------------------------------------------
t "the hub signs a registry valid 2 seconds" env VIOS_PASSPHRASE="$VIOS_PASSPHRASE" "$REG" "$T/hub" 2
V "$T/s1" sync >/dev/null 2>&1
sleep 3
t "sync with an expired registry and nothing queued: exit 3 all the same" bash -c "'$VIOS' --home '$T/s1' sync >/dev/null 2>'$T/err'; [ \$? -eq 3 ] && one_line '$T/err'"
P1=$(V "$T/s1" pupil add --name "Pupil One" --birth 2011-05-14)
C1=$(V "$T/s1" case open --basis public-task --parents-informed yes --pupil "$P1" --roles police --lead police)
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null
V "$T/s1" sync >"$T/out" 2>"$T/err"; rc=$?
t "sync with an expired registry exits 3 (an expired registry is bad input: docs/cli-output.md)" test "$rc" -eq 3
t "... with one line saying why case data waits" bash -c "one_line '$T/err' && grep -q '^vios: error: the registry (version [0-9]*) expired at .*; case data waits for a fresh registry from the hub' '$T/err'"
t "... after sealing and sending the theme data (results on stdout)" grep -q '1 sealed, 1 sent' "$T/out"
t "... and the case's changes stay queued" bash -c "[ \$('$VIOS' --home '$T/s1' --json status | jq -r .pending_changes) -gt 0 ]"
t "status --json names the expiry" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.registry_warning | test(\"expired at\")'"
V "$T/pol" sync >/dev/null 2>&1
t "the police holds no case of the school" bash -c "[ \$('$VIOS' --home '$T/pol' --json case list | jq length) -eq 0 ]"
V "$T/hub" hub merge >/dev/null 2>&1
t "the theme data reached the hub" bash -c "'$VIOS' --home '$T/hub' --json trend list | jq -e 'map(select(.theme==\"weapons\")) | length == 1'"
V "$T/aud" sync >/dev/null 2>&1
t "audit verify: nothing sealed under the expired registry" "$VIOS" --home "$T/nobody" audit verify "$G" --hub-fingerprint "$FP"

# --- refreshed: the queued case data goes out ---------------------------------------------
t "the hub refreshes the registry" V "$T/hub" hub registry refresh
V "$T/s1" sync >/dev/null 2>"$T/err"; rc=$?
t "the school's sync: exit 0, no warning" bash -c "[ $rc -eq 0 ] && [ ! -s '$T/err' ]"
t "nothing stays queued" test "$(st s1 .pending_changes)" -eq 0
V "$T/pol" sync >/dev/null 2>&1
t "the police holds the case now" bash -c "'$VIOS' --home '$T/pol' --json case list | jq -e 'map(select(.id==\"$C1\")) | length == 1'"

# --- audit: case data sealed to a partner under an expired registry ---------------------------
env VIOS_PASSPHRASE="$VIOS_PASSPHRASE" "$REG" "$T/hub" 2 >/dev/null
V "$T/s1" sync >/dev/null 2>&1
sleep 3
V "$T/s1" sync >/dev/null 2>&1
jq -n --arg c "$C1" '{categories: ["case"], roles: ["police"],
	ops: [{kind: "set", tbl: "case_file", pk: $c, col: "status", value: "discussed", base: "held"}]}' >"$T/forged.json"
t "a school that ignores the expiry seals case data to the police (forged)" env VIOS_PASSPHRASE="$VIOS_PASSPHRASE" "$FORGE" "$T/s1" ops "$T/forged.json"
V "$T/s1" sync >/dev/null 2>&1
"$VIOS" --home "$T/nobody" audit verify "$G" --hub-fingerprint "$FP" >"$T/out" 2>&1; rc=$?
t "audit verify flags it (exit 3)" bash -c "[ $rc -eq 3 ] && grep -q '^finding: .*case data sealed to partner $(nid pol) .* after registry v[0-9]* expired at' '$T/out'"
t "... and only it" test "$(grep -c '^finding:' "$T/out")" -eq 1
V "$T/hub" hub registry refresh >/dev/null

# --- a revoked node seals nothing ----------------------------------------------------------
V "$T/s2" trend add --theme alcohol --period 2026-11 --level stable >/dev/null
t "revoke s2 (it never sent anything)" V "$T/hub" hub revoke "$S2"
V "$T/s2" sync >"$T/out" 2>"$T/err"; rc=$?
t "the revoked node's sync exits 3 with one line saying so" bash -c "[ $rc -eq 3 ] && one_line '$T/err' && grep -q 'revoked by the hub at' '$T/err'"
t "... and pushed nothing" bash -c "! git --git-dir '$G' rev-parse -q --verify refs/heads/nodes/$S2"
t "... and sealed nothing" test "$(st s2 .sealed_bundles)" -eq 0
V "$T/s2" export >/dev/null 2>"$T/err"; rc=$?
t "export refuses too (exit 3)" bash -c "[ $rc -eq 3 ] && grep -q 'revoked' '$T/err'"
finish
