#!/usr/bin/env bash
# Node identity and secrets at rest, through the CLI and the stock tools:
# init, whoami, identity export (request and secret), passphrase change and
# recovery, wrong passphrase, tampered home.
. "$(dirname "$0")/lib.sh"

sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

mk s1 school
t "init prints a recovery code" bash -c "$(declare -f recovery_codes); recovery_codes '$T/s1.init' | grep -q ."
CODE=$(recovery_codes "$T/s1.init")
t "home is private (0700)" test "$(stat -c %a "$T/s1")" = 700
t "key vault is 0600" test "$(stat -c %a "$T/s1/keys.vault")" = 600

W=$(V "$T/s1" --json whoami)
ID=$(jq -r .node_id <<<"$W"); FP=$(jq -r .fingerprint <<<"$W")
R=$(jq -r .age_recipient <<<"$W"); P=$(jq -r .minisign_pubkey <<<"$W")
t "whoami --json has every field" jq -e '.node_id and .kind=="school" and .name=="s1" and .role=="school" and .fingerprint and .age_recipient and .minisign_pubkey' <<<"$W"
t "node id is a UUIDv7" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$ID"
t "fingerprint is 32 hex digits in 8 groups of 4" grep -qE '^[0-9A-F]{4}(-[0-9A-F]{4}){7}$' <<<"$FP"
t "stock age accepts the age recipient" bash -c "echo hello | age -r '$R' -o '$T/hello.age'"
t "whoami without --json shows the fingerprint" bash -c "'$VIOS' --home '$T/s1' whoami | grep -q '$FP'"
t "init makes the store" test -s "$T/s1/store.db"
mv "$T/s1/store.db" "$T/s1.store.db"
V "$T/s1" whoami >/dev/null
t "whoami reads the node without creating a store" test ! -e "$T/s1/store.db"
mv "$T/s1.store.db" "$T/s1/store.db"

# refusing to overwrite
S0=$(sums "$T/s1")
V "$T/s1" init --kind school --name again --kdf interactive >/dev/null 2>"$T/err"; rc=$?
t "init refuses an existing home (exit 1)" test "$rc" -eq 1
t "init refusal is one line" one_line "$T/err"
t "init refusal changed nothing" test "$S0" = "$(sums "$T/s1")"

# usage errors
V "$T/p0" init --kind partner --name p0 --kdf interactive >/dev/null 2>"$T/err"; rc=$?
t "partner without --role is a usage error (exit 2)" test "$rc" -eq 2
t "partner without --role: one line" one_line "$T/err"
tf "no home left behind by a refused init" test -e "$T/p0"
V "$T/p1" init --kind partner --name p1 --role baker --kdf interactive >/dev/null 2>"$T/err"; rc=$?
t "unknown role is a usage error" test "$rc" -eq 2
mk pol partner police
t "partner with role" bash -c "'$VIOS' --home '$T/pol' --json whoami | jq -e '.kind==\"partner\" and .role==\"police\"'"

# wrong passphrase, missing passphrase
VIOS_PASSPHRASE=wrong-passphrase V "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
t "wrong passphrase exits 1" test "$rc" -eq 1
t "wrong passphrase: one line" one_line "$T/err"
t "wrong passphrase: says so" grep -q "wrong passphrase" "$T/err"
t "wrong passphrase changed nothing" test "$S0" = "$(sums "$T/s1")"
(unset VIOS_PASSPHRASE; setsid -w "$VIOS" --home "$T/s1" whoami </dev/null >/dev/null 2>"$T/err"); rc=$?
t "no passphrase on a non-terminal exits 1" test "$rc" -eq 1
t "no passphrase: names the ways to give one" grep -q "VIOS_PASSPHRASE" "$T/err"
printf '%s\n' "$VIOS_PASSPHRASE" >"$T/pf"
(unset VIOS_PASSPHRASE; V "$T/s1" --passphrase-file "$T/pf" whoami >/dev/null)
t "--passphrase-file works" test $? -eq 0

# enrollment request: signed by the node key, verifiable with stock minisign
V "$T/s1" identity export -o "$T/s1.req" 2>/dev/null
t "identity export writes a request" jq -e '.request.node_id and .signature' "$T/s1.req"
jq -cjS .request "$T/s1.req" >"$T/s1.req.body"
jq -rj .signature "$T/s1.req" >"$T/s1.req.body.minisig"
t "stock minisign verifies the request signature" minisign -Vq -P "$P" -m "$T/s1.req.body"
t "request names the public keys" jq -e --arg r "$R" --arg p "$P" '.request.age_recipient==$r and .request.minisign_pubkey==$p' "$T/s1.req"
t "identity export to stdout" bash -c "'$VIOS' --home '$T/s1' identity export | jq -e .request.kind"

# secret export
V "$T/s1" identity export --secret -o "$T/s1.key" 2>/dev/null
t "secret export is an age identity" grep -q '^AGE-SECRET-KEY-1' "$T/s1.key"
t "secret export has mode 0600" test "$(stat -c %a "$T/s1.key")" = 600
t "secret export is in the access log" bash -c "'$VIOS' --home '$T/s1' --json log | jq -e 'any(.action==\"export\" and .tbl==\"identity\")'"
t "stock age decrypts with the exported identity" bash -c "age -d -i '$T/s1.key' '$T/hello.age' | grep -qx hello"
K=$(grep '^AGE-SECRET-KEY-1' "$T/s1.key")
t "secret key is nowhere under the home" bash -c "! grep -rqai '$K' '$T/s1'"
KL=$(tr 'A-Z' 'a-z' <<<"$K")
t "secret key (lowercase bech32) is nowhere under the home" bash -c "! grep -rqai '$KL' '$T/s1'"
V "$T/s1" identity export --secret -o "$T/s1.key" >/dev/null 2>"$T/err"; rc=$?
t "secret export refuses to overwrite" test "$rc" -ne 0
V "$T/s1" identity export --secret -o "$T/s1/leak.key" >/dev/null 2>"$T/err"; rc=$?
t "secret export refuses a path inside the home" test "$rc" -eq 2 -a ! -e "$T/s1/leak.key"
V "$T/s1" identity export --secret >/dev/null 2>"$T/err"; rc=$?
t "secret export needs -o" test "$rc" -eq 2

# passphrase change
VIOS_NEW_PASSPHRASE='second passphrase 2' V "$T/s1" passphrase change >/dev/null
t "passphrase change" test $? -eq 0
V "$T/s1" whoami >/dev/null 2>&1; rc=$?
t "old passphrase no longer opens the node" test "$rc" -eq 1
t "new passphrase opens it, same fingerprint" bash -c "VIOS_PASSPHRASE='second passphrase 2' '$VIOS' --home '$T/s1' --json whoami | jq -e '.fingerprint==\"$FP\"'"
VIOS_NEW_PASSPHRASE=short V "$T/s1" passphrase change >/dev/null 2>&1; rc=$?
t "a too short new passphrase is refused" test "$rc" -ne 0

# recovery
S1=$(sums "$T/s1")
VIOS_NEW_PASSPHRASE='third passphrase 3' V "$T/s1" passphrase recover --recovery-code AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH >/dev/null 2>"$T/err"; rc=$?
t "wrong recovery code exits 1" test "$rc" -eq 1
t "wrong recovery code: one line" one_line "$T/err"
t "wrong recovery code changed nothing" test "$S1" = "$(sums "$T/s1")"
VIOS_NEW_PASSPHRASE='third passphrase 3' V "$T/s1" passphrase recover --recovery-code "$(tr 'A-Z' 'a-z' <<<"$CODE")" >/dev/null
t "recovery code (any case) resets the passphrase" test $? -eq 0
t "after recovery the node keeps its keys" bash -c "VIOS_PASSPHRASE='third passphrase 3' '$VIOS' --home '$T/s1' --json whoami | jq -e '.fingerprint==\"$FP\" and .age_recipient==\"$R\"'"
t "after recovery the exported key still decrypts for this node" bash -c "VIOS_PASSPHRASE='third passphrase 3' '$VIOS' --home '$T/s1' identity export --secret -o '$T/s1b.key' --force 2>/dev/null && cmp -s <(grep AGE-SECRET '$T/s1.key') <(grep AGE-SECRET '$T/s1b.key')"

# tampering with the public identity is detected
sed -i 's/"name": "s1"/"name": "s9"/' "$T/s1/node.json"
VIOS_PASSPHRASE='third passphrase 3' V "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
t "edited node.json is detected (exit 3)" test "$rc" -eq 3
t "edited node.json: one line" one_line "$T/err"

# help and usage
t "vios help init" bash -c "'$VIOS' help init | grep -q -- '--kind'"
t "vios init --help is the same text" bash -c "diff <('$VIOS' help init) <('$VIOS' init --help)"
"$VIOS" frobnicate >/dev/null 2>"$T/err"; rc=$?
t "unknown command exits 2 with one line" bash -c "[ $rc -eq 2 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
finish
