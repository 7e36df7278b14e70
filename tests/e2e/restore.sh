#!/usr/bin/env bash
# Restore from the hub: `vios identity backup` writes an age file to a
# passphrase (scrypt) that stock age opens; the home is lost; `vios restore
# --backup FILE HUB` makes it again from the backup and the hub: same node id,
# same digest as before the loss, and the next record syncs as the next seq on
# the node's ref. A home that exists and a wrong passphrase are refused with
# one line, and nothing is created.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school" "pol partner police" "aud auditor"
hub_world s1 pol aud
S1=$(nid s1)
REF=refs/heads/nodes/$S1
seqs() { git --git-dir "$G" rev-list --count "$REF" 2>/dev/null || echo 0; }

# a school and a partner write and sync; the police see the school's pupil later
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising --note "t1" >/dev/null
P=$(V "$T/s1" pupil add --name "Ada Lovelace" --class 3B)
V "$T/s1" signal add --basis public-task --parents-informed yes --theme alcohol --note "seen with beer" --pupil "$P" >/dev/null
C=$(V "$T/s1" case open --basis public-task --parents-informed yes --pupil "$P" --roles police)
A=$(V "$T/s1" agreement add --case "$C" --owner police --action "talk to the parents" --due 2026-12-15)
t "s1 syncs" V "$T/s1" sync
t "police sync" V "$T/pol" sync

# 1. the backup
t "identity backup" V "$T/s1" identity backup -o "$T/s1.backup"
t "  mode 0600" test "$(stat -c %a "$T/s1.backup")" = 600
t "  is an age file" bash -c "head -n1 '$T/s1.backup' | grep -qx 'age-encryption.org/v1'"
t "  with one scrypt stanza and nothing else" bash -c "[ \$(grep -a -c '^-> ' '$T/s1.backup') -eq 1 ] && grep -a -q '^-> scrypt [A-Za-z0-9+/]\{22\} 18$' '$T/s1.backup'"
t "  holds no secret in the clear" bash -c "! grep -a -q -e AGE-SECRET-KEY -e ed25519 -e '$S1' '$T/s1.backup'"
t "  is in the access log" bash -c "'$VIOS' --home '$T/s1' log | grep -q 'identity backup'"
V "$T/s1" identity backup -o "$T/s1.backup" >/dev/null 2>"$T/err"; rc=$?
t "  an existing file needs --force (exit 1, one line)" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
V "$T/s1" identity backup -o "$T/s1/inside.backup" >/dev/null 2>"$T/err"; rc=$?
t "  never inside the home (exit 2)" bash -c "[ $rc -eq 2 ] && [ ! -e '$T/s1/inside.backup' ]"
if command -v age >/dev/null && command -v script >/dev/null; then
	# stock age reads a passphrase only from a terminal: script(1) gives it one
	(sleep 1; printf '%s\n' "$VIOS_PASSPHRASE") | timeout 120 script -qec "age -d -o '$T/s1.backup.json' '$T/s1.backup'" /dev/null >/dev/null 2>&1
	t "stock age -d opens the backup" jq -e --arg id "$S1" '.format=="vios-identity-backup-2" and .node.node_id==$id and (.secret_keys.age|startswith("AGE-SECRET-KEY-1")) and .hub.fingerprint!=null' "$T/s1.backup.json"
	rm -f "$T/s1.backup.json"
else
	echo "skip stock age -d (no age or no script(1) for its terminal)"
fi

# 2. more writes after the backup, synced: the backup does not hold them, the hub does
V "$T/s1" signal add --theme nuisance --note "after the backup" >/dev/null
V "$T/s1" case status "$C" discussed >/dev/null
t "s1 syncs after the backup" V "$T/s1" sync
t "police take the school's bundles" V "$T/pol" sync
t "police mark the school's agreement done" V "$T/pol" agreement done "$A" --feedback "parents called"
V "$T/pol" signal add --theme drugs-use --note "dealing near the station" >/dev/null
t "police sync again" V "$T/pol" sync
t "s1 takes the police's bundles" V "$T/s1" sync
DIG=$(V "$T/s1" digest)
N_BEFORE=$(seqs)
t "s1 has bundles on the hub" test "$N_BEFORE" -ge 2
SEALED=$(V "$T/s1" --json status | jq -r .sealed_bundles)

# 3. the home is lost
rm -rf "$T/s1"

# bad restores: one line, nothing created
mkdir -p "$T/full" && echo x >"$T/full/something"
V "$T/full" restore --backup "$T/s1.backup" "$G" >/dev/null 2>"$T/err"; rc=$?
t "restore into a home that is not empty: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'not empty' '$T/err'"
t "  and the home is untouched" bash -c "[ \"\$(ls '$T/full')\" = something ]"
VIOS_PASSPHRASE='not the passphrase' V "$T/s1r" restore --backup "$T/s1.backup" "$G" >/dev/null 2>"$T/err"; rc=$?
t "a wrong backup passphrase: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'wrong passphrase' '$T/err'"
t "  nothing created" test ! -e "$T/s1r"
printf 'garbage' >"$T/bad.backup"
V "$T/s1r" restore --backup "$T/bad.backup" "$G" >/dev/null 2>"$T/err"; rc=$?
t "a file that is not a backup: refused with one line, nothing created" bash -c "[ $rc -ne 0 ] && [ $rc -ne 2 ] && [ \$(grep -c . '$T/err') -eq 1 ] && [ ! -e '$T/s1r' ]"
V "$T/s1r" restore "$G" >/dev/null 2>"$T/err"; rc=$?
t "restore without --backup is a usage error (exit 2)" test "$rc" -eq 2

# 4. the restore
t "restore from the backup and the hub" V "$T/s1r" restore --backup "$T/s1.backup" "$G"
t "  same node id" test "$(nid s1r)" = "$S1"
t "  digest as before the loss" test "$(V "$T/s1r" digest)" = "$DIG"
t "  the store checks out" V "$T/s1r" store check
t "  the restore is in the access log" bash -c "'$VIOS' --home '$T/s1r' log | grep -q 'restored'"
t "  the outbox ends where the hub's ref ends (all sealed, none unsent)" bash -c "'$VIOS' --home '$T/s1r' --json status | jq -e --argjson n '$SEALED' '.sealed_bundles==\$n and .unsent_bundles==0 and .pending_changes==0'"
t "  the local outbox ref is the hub's" test "$(git --git-dir "$T/s1r/outbox.git" rev-parse "$REF")" = "$(git --git-dir "$G" rev-parse "$REF")"
t "  the pupil made before the backup is back" bash -c "'$VIOS' --home '$T/s1r' pupil list | grep -q 'Ada Lovelace'"
t "  the signal written after the backup is back" bash -c "'$VIOS' --home '$T/s1r' signal list | grep -q nuisance"
t "  the police's change to the school's agreement is back" bash -c "'$VIOS' --home '$T/s1r' --json agreement list --case '$C' | jq -e '.[0].status==\"done\"'"

# 5. the next record continues the chain
HEAD_BEFORE=$(git --git-dir "$G" rev-parse "$REF")
V "$T/s1r" signal add --theme vandalism --note "after the restore" >/dev/null
t "the next sync works" V "$T/s1r" sync
t "  the hub's ref advances by one commit" test "$(seqs)" -eq $((N_BEFORE + 1))
t "  on top of what it had (fast-forward)" git --git-dir "$G" merge-base --is-ancestor "$HEAD_BEFORE" "$REF"
NEXT=$(printf 'bundles/%010d.age' $((N_BEFORE + 1)))
t "  with the next seq" bash -c "git --git-dir '$G' ls-tree -r --name-only '$REF' | grep -qx '$NEXT'"
t "  its clock is past the last bundle before the loss" bash -c "
	a=\$(git --git-dir '$G' show '$REF~1:$(printf 'bundles/%010d.age.minisig' "$N_BEFORE")' | sed -n 's/^trusted comment: //p' | jq -r .hlc)
	b=\$(git --git-dir '$G' show '$REF:$NEXT.minisig' | sed -n 's/^trusted comment: //p' | jq -r .hlc)
	[ -n \"\$a\" ] && [ -n \"\$b\" ] && [ \${#b} -ge \${#a} ] && { [ \${#b} -gt \${#a} ] || [[ \"\$b\" > \"\$a\" ]]; }"
t "the police take it" V "$T/pol" sync
t "an auditor's audit verify is clean" V "$T/aud" audit verify "$G"

# 6. a restore that fails leaves nothing: a hub that is not this node's (wrong pin)
mk other hub
V "$T/other" hub create "$T/other.git" >/dev/null
V "$T/s1x" restore --backup "$T/s1.backup" "$T/other.git" >/dev/null 2>"$T/err"; rc=$?
t "restore against another hub: exit 3, one line" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
t "  no home and no half-made one beside it" bash -c "[ ! -e '$T/s1x' ] && ! ls -d '$T'/s1x.restore-* 2>/dev/null"
mkdir -m 700 "$T/empty"
t "restore into an existing empty directory" V "$T/empty" restore --backup "$T/s1.backup" "$G"
t "  same digest as the other restore" test "$(V "$T/empty" digest)" = "$(V "$T/s1r" digest)"

# 6b. an own ref someone tampered with at the hub: the chain verifier refuses it first
cp -a "$G" "$T/hub.keep"
H=$(git --git-dir "$G" rev-parse "$REF")
E=$(git -c user.name=x -c user.email=x@x --git-dir "$G" commit-tree "$H^{tree}" -p "$H" -m empty)
git --git-dir "$G" update-ref "$REF" "$E"
V "$T/s1y" restore --backup "$T/s1.backup" "$G" >/dev/null 2>"$T/err"; rc=$?
t "restore from an own ref with an empty commit on it: exit 3, one line naming it" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'adds no bundle' '$T/err'"
t "  no home" test ! -e "$T/s1y"
rm -rf "$G"; mv "$T/hub.keep" "$G"

# 7. restore never reuses a home: again into the restored home is refused
V "$T/s1r" restore --backup "$T/s1.backup" "$G" >/dev/null 2>"$T/err"; rc=$?
t "restore into the restored home: exit 1" test "$rc" -eq 1
finish
