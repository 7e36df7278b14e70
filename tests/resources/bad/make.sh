#!/usr/bin/env bash
# make.sh - regenerates the bad-input corpus in this folder (run from the
# repository root after `make`): every file is one bad input that vios must
# refuse with exit 1 or 3, one line, and an unchanged store. The runner is
# tests/e2e/badcorpus.sh; README.md has a line per case. The files are
# committed: keys in them belong to throwaway nodes made here, never used
# again.
set -euo pipefail
VIOS=${VIOS:-$(pwd)/vios}
OUT=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export VIOS_PASSPHRASE='corpus maker passphrase'
V() { local h=$1; shift; "$VIOS" --home "$T/$h" "$@"; }
for n in "hub hub" "a school" "b school"; do set -- $n; V "$1" init --kind "$2" --name "corpus $1" --kdf interactive >/dev/null; done
V a identity export -o "$T/a.req" 2>/dev/null
V b identity export -o "$T/b.req" 2>/dev/null
R="$T/a.req"
cd "$OUT"
rm -f enroll-* covenant-* bundle-* passphrase-* fingerprint-*

jq 'del(.signature)' "$R" >enroll-01-unsigned.json
head -c 300 "$R" >enroll-02-truncated.json
jq '.request.kind="teacher"' "$R" >enroll-03-unknown-kind.json
jq '.request.role="baker"' "$R" >enroll-04-unknown-role.json
jq --arg s "$(jq -r .signature "$T/b.req")" '.signature=$s' "$R" >enroll-05-other-signer.json
jq '.request.name="Another school"' "$R" >enroll-06-name-changed.json
printf 'this is not an enrollment request\n' >enroll-07-not-json.txt
: >enroll-08-empty.json
jq '.extra="field"' "$R" >enroll-09-extra-field.json
{ jq -c . "$R" | head -c -2; printf ',"pad":"'; head -c 70000 /dev/zero | tr '\0' 'x'; printf '"}\n'; } >enroll-10-oversized.json
jq '.request.minisign_pubkey="RWQAAAAAAAAAAAAAAAAA"' "$R" >enroll-11-bad-pubkey.json
jq '.request.node_id="not-a-node-id"' "$R" >enroll-12-bad-node-id.json

C='{"format":"vios-covenant-1","version":2,"parties":["school","police"],"receives":{"theme":["hub","auditor","police"],"case":["auditor","police"]},"retention_months":{"theme":60,"case":24}}'
jq '.receives.case=["police"]' <<<"$C" >covenant-13-no-auditor.json
jq '.version=0' <<<"$C" >covenant-14-version-zero.json
jq '.receives.theme+=["baker"]' <<<"$C" >covenant-15-unknown-role.json
jq '.receives.case+=["hub"]' <<<"$C" >covenant-16-hub-gets-case.json
printf '{"format": "vios-covenant-1", "version": 2,' >covenant-17-truncated.json
jq '.surprise=true' <<<"$C" >covenant-18-unknown-field.json
jq 'del(.retention_months)' <<<"$C" >covenant-19-no-retention.json
jq '.parties=["school"]' <<<"$C" >covenant-20-receiver-not-a-party.json

# a real bundle from a school of another hub: its sender is not enrolled here
V hub hub create "$T/hub.git" >/dev/null
V hub hub enroll "$T/a.req" >/dev/null
V a join "$T/hub.git" --hub-fingerprint "$(V hub --json whoami | jq -r .fingerprint)" >/dev/null
V a trend add --theme weapons --period 2026-11 --level rising >/dev/null
V a export >/dev/null
ID=$(V a --json whoami | jq -r .node_id)
git --git-dir "$T/a/outbox.git" show "refs/heads/nodes/$ID:bundles/0000000001.age" >bundle-21-sender-not-enrolled.age
git --git-dir "$T/a/outbox.git" show "refs/heads/nodes/$ID:bundles/0000000001.age.minisig" >bundle-21-sender-not-enrolled.age.minisig
head -c 4096 /dev/urandom >bundle-22-random.age
cp bundle-21-sender-not-enrolled.age.minisig bundle-22-random.age.minisig
: >bundle-23-empty.age
cp bundle-21-sender-not-enrolled.age.minisig bundle-23-empty.age.minisig
cp bundle-21-sender-not-enrolled.age bundle-24-sig-not-minisign.age
printf 'not a minisign signature\n' >bundle-24-sig-not-minisign.age.minisig
minisign -G -W -p "$T/k.pub" -s "$T/k.key" >/dev/null
cp bundle-21-sender-not-enrolled.age bundle-25-comment-not-a-header.age
minisign -S -s "$T/k.key" -m bundle-25-comment-not-a-header.age -t "hello, not a vios header" >/dev/null
cp bundle-21-sender-not-enrolled.age bundle-26-legacy-signature.age
minisign -S -l -s "$T/k.key" -m bundle-26-legacy-signature.age -t "$(sed -n 's/^trusted comment: //p' bundle-21-sender-not-enrolled.age.minisig)" >/dev/null
cp bundle-21-sender-not-enrolled.age bundle-27-no-signature.age

printf 'a wrong passphrase\n' >passphrase-28-wrong.txt
: >passphrase-29-empty.txt
printf '0123-4567-89AB-CDEF-0123-4567-89AB-CDEF\n' >fingerprint-30-other-key.txt
printf 'RWQAAAAAAAAAAAAA\n' >fingerprint-31-not-a-key-id.txt
printf '0123456789ABCDEF\n' >fingerprint-32-old-16-digits.txt
# local themes (vios-covenant-4, issue 22): the hub's default covenant as a -4, version 2
D=$(git --git-dir "$T/hub.git" show refs/heads/registry:covenant.json | jq '.version = 2 | .format = "vios-covenant-4"')
jq '.themes = [{"name": "weapons", "nl": "Wapens"}]' <<<"$D" >covenant-33-theme-repeats-base.json
jq '.format = "vios-covenant-3" | .themes = [{"name": "lachgas", "nl": "Lachgas"}]' <<<"$D" >covenant-34-themes-in-format-3.json
jq '.themes = [{"name": "Lach gas", "nl": "Lachgas"}]' <<<"$D" >covenant-35-theme-not-a-word.json
jq '.themes = [{"name": "lachgas"}]' <<<"$D" >covenant-36-theme-without-label.json
ls | grep -vc -e README -e make.sh
