#!/usr/bin/env bash
# Replication over libgit2: sync against a plain path, a file:// URL and a
# git daemon on loopback (git://, push with receive-pack), offline first,
# a USB stick carried to the hub, partners, the pre-receive hook, alarms on
# rewritten refs, and kill -9 at every fault point of sync, export, import
# and hub merge.
. "$(dirname "$0")/lib.sh"

for n in "hub hub" "s1 school" "pol partner police" "soc partner social-team" "aud auditor" "usb1 school" "net1 school"; do
	set -- $n
	mk "$1" "$2" "${3:-}"
done
G="$T/hub.git"
content_covenant # the auditor holds what the school holds: scope content
V "$T/hub" hub create "$G" --covenant "$T/covenant-content.json" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
nid() { V "$T/$1" --json whoami | jq -r .node_id; }
for n in s1 pol soc aud usb1 net1; do
	V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null && V "$T/hub" hub enroll "$T/$n.req" >/dev/null
done
dig() { V "$T/$1" digest ${2:+--category $2}; }
same() { [ "$(dig "$1" "$3")" = "$(dig "$2" "$3")" ]; }

# --- a plain path -------------------------------------------------------------
for n in s1 pol soc aud; do V "$T/$n" join "$G" --hub-fingerprint "$FP" >/dev/null; done
C="canary$RANDOM$RANDOM"
P=$(V "$T/s1" pupil add --name "Pupil $C" --birth 2011-05-14)
S=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme drugs-trade --pupil "$P" --note "runner $C" --where around --severity high)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police --lead police)
AG=$(V "$T/s1" agreement add --case "$CASE" --owner police --action "home visit $C" --due 2026-12-20)
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising --note "knives near the station" >/dev/null
t "school sync (plain path)" V "$T/s1" sync
t "hub repo has the school's ref" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid s1)"
t "hub repo passes git fsck" git --git-dir "$G" fsck --no-progress
t "partner sync" V "$T/pol" sync
t "partner sees the case and agreement" bash -c "'$VIOS' --home '$T/pol' agreement list | grep -q 'home visit $C'"
t "social team does not see the case (not taking part)" bash -c "'$VIOS' --home '$T/soc' sync >/dev/null && ! '$VIOS' --home '$T/soc' agreement list | grep -q 'home visit'"
t "social team does get the theme data" bash -c "'$VIOS' --home '$T/soc' trend list | grep -q weapons"
t "partner marks the agreement done" V "$T/pol" agreement done "$AG" --feedback "visited the family"
t "partner sync back" V "$T/pol" sync
t "school sync again" V "$T/s1" sync
t "school sees it done, with the feedback" bash -c "'$VIOS' --home '$T/s1' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .status==\"done\" and .feedback==\"visited the family\"'"
t "case digest equal school/police" same s1 pol case
t "hub merge" V "$T/hub" hub merge
t "theme digest equal school/hub" same s1 hub theme
t "the hub holds no case data" bash -c "[ \"\$('$VIOS' --home '$T/hub' --json pupil list | jq length)\" = 0 ]"
t "auditor sync: theme and case equal to the school" bash -c "'$VIOS' --home '$T/aud' sync >/dev/null && [ \"\$('$VIOS' --home '$T/aud' digest --category case)\" = \"\$('$VIOS' --home '$T/s1' digest --category case)\" ]"
t "status shows the last sync and nothing unsent" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.last_sync != null and .unsent_bundles == 0'"
t "canary not in the hub repository" bash -c "! grep -rqa '$C' '$G'"

# --- offline first ------------------------------------------------------------
mv "$G" "$T/hub.away"
t "recording works offline" V "$T/s1" signal add --theme alcohol --note "offline $C"
t "export works offline" V "$T/s1" export
V "$T/s1" sync >/dev/null 2>"$T/err"; rc=$?
t "sync with the hub unreachable: exit 1, one line" bash -c "[ $rc -eq 1 ] && [ \$(grep -c . '$T/err') -eq 1 ]"
t "status shows the unsent bundle" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.unsent_bundles == 1'"
mv "$T/hub.away" "$G"
t "the queued bundle goes out on the next sync" bash -c "'$VIOS' --home '$T/s1' sync >/dev/null && '$VIOS' --home '$T/s1' --json status | jq -e '.unsent_bundles == 0'"

# --- a file:// URL ------------------------------------------------------------
mk s3 school; V "$T/s3" identity export -o "$T/s3.req" 2>/dev/null; V "$T/hub" hub enroll "$T/s3.req" >/dev/null
t "join over file://" V "$T/s3" join "file://$G" --hub-fingerprint "$FP"
V "$T/s3" trend add --theme sexting --period 2026-11 --level rising >/dev/null
t "sync over file://" V "$T/s3" sync
t "file:// push reached the hub" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid s3)"

# --- git daemon on loopback, with the pre-receive hook --------------------------
cp "$(dirname "$0")/../../tools/pre-receive" "$G/hooks/pre-receive"
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$T" --export-all \
		--enable=receive-pack --pid-file="$T/daemon.pid" --detach "$T" 2>/dev/null && break
done
CLEANUP='kill $(cat "$T/daemon.pid" 2>/dev/null) 2>/dev/null'
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$PORT/hub.git" >/dev/null 2>&1 && break; sleep 0.1; done
URL="git://127.0.0.1:$PORT/hub.git"
t "join over git:// (loopback daemon)" V "$T/net1" join "$URL" --hub-fingerprint "$FP"
V "$T/net1" trend add --theme polarisation --period 2026-11 --level rising >/dev/null
t "sync over git:// pushes through the hook" V "$T/net1" sync
t "git:// push reached the hub" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid net1)"
S1=$(nid s1); N1=$(nid net1)
SOC=$(nid soc)
git --git-dir "$T/net1/outbox.git" push "$URL" "refs/heads/nodes/$N1:refs/heads/nodes/$SOC" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses a push of one node's bundles to another node's ref" bash -c "[ $rc -ne 0 ] && grep -q 'vios hook: refused refs/heads/nodes/$SOC: bundle 1: the bundle names node $N1 as its sender' '$T/err'"
git --git-dir "$T/net1/outbox.git" push -f "$URL" "refs/heads/nodes/$N1:refs/heads/nodes/$S1" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses a forced push over another school's ref" bash -c "[ $rc -ne 0 ] && grep -q 'vios hook: refused' '$T/err'"
V "$T/net1" trend add --theme crime --period 2026-11 --level stable >/dev/null; V "$T/net1" sync >/dev/null
git --git-dir "$T/net1/outbox.git" push -f "$URL" "refs/heads/nodes/$N1~1:refs/heads/nodes/$N1" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses a non-fast-forward push" bash -c "[ $rc -ne 0 ] && grep -q 'not a fast-forward' '$T/err'"
git --git-dir "$T/net1/outbox.git" push -f "$URL" "refs/heads/nodes/$N1:refs/heads/registry" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses a push to the registry" bash -c "[ $rc -ne 0 ] && grep -q 'only refs/heads/nodes/<node-id> may be pushed' '$T/err'"
git --git-dir "$T/net1/outbox.git" push "$URL" ":refs/heads/nodes/$N1" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses deleting a node's ref" bash -c "[ $rc -ne 0 ] && grep -q 'deleting a node' '$T/err'"
# a commit that adds a file beside the bundles, made with git's plumbing
O="$T/net1/outbox.git"
blob=$(echo "not a bundle" | git --git-dir "$O" hash-object -w --stdin)
GIT_INDEX_FILE="$T/idx" git --git-dir "$O" read-tree "refs/heads/nodes/$N1"
GIT_INDEX_FILE="$T/idx" git --git-dir "$O" update-index --add --cacheinfo "100644,$blob,bundles/notes.txt"
extra=$(git --git-dir "$O" commit-tree "$(GIT_INDEX_FILE="$T/idx" git --git-dir "$O" write-tree)" -p "refs/heads/nodes/$N1" -m "vios bundle 3")
git --git-dir "$O" push "$URL" "$extra:refs/heads/nodes/$N1" >/dev/null 2>"$T/err"; rc=$?
t "the hook refuses a commit that adds anything but the next bundle" bash -c "[ $rc -ne 0 ] && grep -q 'vios hook: refused refs/heads/nodes/$N1' '$T/err'"
t "the refused commit never reached the hub" bash -c "! git --git-dir '$G' cat-file -e $extra 2>/dev/null"
t "after the refusals the hub repo is intact" git --git-dir "$G" fsck --no-progress

# --- alarms: a ref rewritten at the hub ------------------------------------------
V "$T/pol" sync >/dev/null
OLD=$(git --git-dir "$G" rev-parse "refs/heads/nodes/$S1")
git --git-dir "$G" update-ref "refs/heads/nodes/$S1" "$OLD~1"
V "$T/pol" sync >/dev/null 2>"$T/err"; rc=$?
t "a force-pushed ref is an alarm (exit 3), named" bash -c "[ $rc -eq 3 ] && [ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'rewritten' '$T/err'"
git --git-dir "$G" update-ref "refs/heads/nodes/$S1" "$OLD"
t "restored, the next sync is clean" V "$T/pol" sync

# --- a USB stick ---------------------------------------------------------------
U="$T/usb.git"
t "hub puts its refs on a new stick" bash -c "git init -q --bare '$U' && '$VIOS' --home '$T/hub' hub merge --via '$U' >/dev/null"
t "the USB school joins from the stick" V "$T/usb1" join "$U" --hub-fingerprint "$FP"
V "$T/usb1" trend add --theme nuisance --period 2026-11 --level rising --note "village square" >/dev/null
t "the USB school syncs to the stick" V "$T/usb1" sync --via "$U"
tf "sync --via a missing stick is refused (an unmounted stick is not replaced by a folder)" V "$T/usb1" sync --via "$T/new-stick.git"
t "  nothing was created" test ! -e "$T/new-stick.git"
t "a stick made with 'vios stick init' takes the school's ref" bash -c "'$VIOS' stick init '$T/new-stick.git' >/dev/null && '$VIOS' --home '$T/usb1' sync --via '$T/new-stick.git' >/dev/null && git --git-dir '$T/new-stick.git' rev-parse -q --verify refs/heads/nodes/$(nid usb1)"
t "the hub takes the stick in" V "$T/hub" hub merge --via "$U"
t "hub repo now has the USB school's ref" git --git-dir "$G" rev-parse -q --verify "refs/heads/nodes/$(nid usb1)"
t "hub repo passes git fsck" git --git-dir "$G" fsck --no-progress
t "the USB school's trend reached the hub" bash -c "'$VIOS' --home '$T/hub' trend list | grep -q 'village square'"
t "the stick carries the hub's refs back" git --git-dir "$U" rev-parse -q --verify "refs/heads/nodes/$S1"
t "the USB school receives other schools' theme data? no: only what the covenant allows" bash -c "'$VIOS' --home '$T/usb1' sync --via '$U' >/dev/null; ! '$VIOS' --home '$T/usb1' trend list | grep -q 'knives'"

# --- kill -9 at every fault point, then sync again ---------------------------------
crashes=0 k=0 locked=0
for point in git.fetching git.fetching@3 git.ref_locked sync.fetched import.before_commit import.committed sync.imported export.sealed export.written export.committed sync.before_push git.pushing sync.pushed store.commit@2 vfs.index.write vfs.index.write@2; do
	k=$((k + 1))
	V "$T/s1" trend add --theme vandalism --period 2026-11 --level rising --note "crash at $point" >/dev/null
	V "$T/pol" agreement done "$AG" --feedback "police update $k" >/dev/null
	V "$T/pol" sync >/dev/null 2>&1
	VIOS_FAULT="$point" V "$T/s1" sync >/dev/null 2>&1; rc=$?
	[ "$rc" -eq 137 ] && crashes=$((crashes + 1)) || echo "     $point: exit $rc"
	[ "$point" = git.ref_locked ] && locked=$(find "$T/s1/outbox.git/refs" -name '*.lock' | wc -l)
	V "$T/s1" sync >/dev/null 2>"$T/err" || echo "     after $point: $(cat "$T/err")"
	[ "$point" = git.ref_locked ] && cp "$T/err" "$T/err.locked"
done
t "every fault point killed the sync (16 of 16)" test "$crashes" -eq 16
t "the kill with a ref locked left git's lock file; the next sync cleared it and said so" bash -c "[ $locked -ge 1 ] && grep -q 'warning: cleared' '$T/err.locked'"
t "after the crashes the school's store is consistent" bash -c "'$VIOS' --home '$T/s1' store check | grep -q 'integrity ok'"
V "$T/hub" hub merge >/dev/null 2>&1
for n in pol aud; do V "$T/$n" sync >/dev/null 2>&1; done
V "$T/s1" sync >/dev/null 2>&1
t "after the crashes: school and police agree on the case" same s1 pol case
t "after the crashes: the school has the police's last update" bash -c "'$VIOS' --home '$T/s1' --json agreement list | jq -e '.[] | select(.id==\"$AG\") | .feedback==\"police update $k\"'"
t "after the crashes: hub and auditor agree on the theme" same hub aud theme
t "every crash-time trend arrived exactly once at the police" bash -c "[ \$('$VIOS' --home '$T/pol' --json trend list | jq '[.[] | select(.note != null and (.note | startswith(\"crash at\")))] | length') -eq 16 ]"
t "no seq was sealed twice: the hub's ref is the school's outbox ref" bash -c "[ \"\$(git --git-dir '$G' rev-parse refs/heads/nodes/$S1)\" = \"\$(git --git-dir '$T/s1/outbox.git' rev-parse refs/heads/nodes/$S1)\" ]"
t "the school's outbox: every sealed bundle committed and sent" bash -c "'$VIOS' --home '$T/s1' --json status | jq -e '.unsent_bundles == 0 and .pending_changes == 0'"

# hub merge killed after importing, then again
V "$T/s1" trend add --theme weapons --period 2026-12 --level falling --note "after merge crash" >/dev/null; V "$T/s1" sync >/dev/null
VIOS_FAULT=merge.imported V "$T/hub" hub merge >/dev/null 2>&1; rc=$?
t "hub merge killed after its import" test "$rc" -eq 137
t "hub merge again completes" V "$T/hub" hub merge
t "hub and auditor agree on the theme after the merge crash" bash -c "'$VIOS' --home '$T/aud' sync >/dev/null && [ \"\$('$VIOS' --home '$T/hub' digest --category theme)\" = \"\$('$VIOS' --home '$T/aud' digest --category theme)\" ]"
finish
