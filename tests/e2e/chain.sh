#!/usr/bin/env bash
# Issue 14, one chain verifier: every reader (sync, a late joiner, hub
# merge with and without --via, hub revoke, the server's hook) and the audit
# refuse the same rewrites of a node's ref, with the same finding, and take
# nothing from it. Attacks by someone with write access to the hub's git
# server or to a USB stick.
. "$(dirname "$0")/lib.sh"

# GC: git as a committer who is nobody in particular
GC() { git -c user.name=x -c user.email=x@x "$@"; }
nodes "hub hub" "s1 school" "s2 school" "pol partner police" "aud auditor"
V "$T/late" init --kind school --name late --kdf interactive >/dev/null
hub_world s1 s2 pol aud
S1=$(nid s1) POL=$(nid pol) AUD=$(nid aud)
for i in 1 2 3; do V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null; V "$T/s1" sync >/dev/null; done
for i in 1 2; do V "$T/pol" signal add --theme alcohol --note "police $i" >/dev/null; V "$T/pol" sync >/dev/null; done
V "$T/s2" sync >/dev/null
V "$T/late" identity export -o "$T/late.req" 2>/dev/null && V "$T/hub" hub enroll "$T/late.req" >/dev/null
V "$T/s2" sync >/dev/null
cp -a "$G" "$T/hubgit.clean"
for n in s2 aud hub; do cp -a "$T/$n" "$T/$n.clean"; done
# reset: the hub repository and the readers as they were before an attack
reset() {
	rm -rf "$G" "$T/stick.git" "$T/late"; cp -a "$T/hubgit.clean" "$G"
	for n in s2 aud hub; do rm -rf "$T/$n"; cp -a "$T/$n.clean" "$T/$n"; done
	V "$T/late.clean" whoami >/dev/null 2>&1 && cp -a "$T/late.clean" "$T/late"
}
cp -a "$T/late" "$T/late.clean"
REF1=refs/heads/nodes/$S1
REFP=refs/heads/nodes/$POL

t "commit messages carry only 'vios bundle <seq>'" bash -c "git --git-dir '$G' log --format=%s $REF1 | grep -vqx 'vios bundle [0-9]*' && exit 1; [ \$(git --git-dir '$G' log --format=%s $REF1 | wc -l) -eq 3 ]"
t "the author is the node id, no name" bash -c "git --git-dir '$G' log --format=%an $REF1 | sort -u | grep -qx '$S1'"

# finding_of CMD...: the refusal line a command prints (stderr), its node and seq part
# expect3 WHAT PATTERN CMD...: the command exits 3, its error names PATTERN, it took nothing
expect3() {
	local what=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	t "$what: exit 3" test "$rc" -eq 3
	t "$what: names it ($pat)" grep -q -- "$pat" "$T/err" "$T/out"
}

# --- 1. empty commits on a node's ref ------------------------------------------------
H=$(git --git-dir "$G" rev-parse $REFP); TR=$(git --git-dir "$G" rev-parse "$H^{tree}")
for i in $(seq 1 20); do H=$(GC --git-dir "$G" commit-tree "$TR" -p "$H" -m empty); done
GC --git-dir "$G" update-ref $REFP "$H"
EMPTY="adds no bundle: each commit adds exactly one"
expect3 "empty commits, read by sync" "$EMPTY" V "$T/s2" sync
expect3 "empty commits, read by hub merge" "$EMPTY" V "$T/hub" hub merge
expect3 "empty commits, read by audit verify" "$EMPTY" V "$T/aud" audit verify "$G"
V "$T/late" join "$G" --hub-fingerprint "$FP" >/dev/null 2>&1
expect3 "empty commits, read by a late joiner" "$EMPTY" V "$T/late" sync
# revoking after them: the last seq is the last verified bundle (2), not a count of commits (22)
V "$T/hub" --json hub revoke "$POL" >"$T/rev.json" 2>"$T/err"
t "revoke after 20 empty commits: the last seq is 2, the last the hub verified" jq -e '.last_seq == 2' "$T/rev.json"
reset

# --- 2. an old bundle changed in a fast-forward commit --------------------------------
GC clone -q "$G" "$T/wc" -b "nodes/$S1" 2>/dev/null
(cd "$T/wc" && printf 'x' >>bundles/0000000001.age && GC commit -qam swap && GC push -q origin "HEAD:nodes/$S1") >/dev/null 2>&1
rm -rf "$T/wc"
SWAP="modifies bundles/0000000001.age: a bundle once committed never changes"
expect3 "an old bundle changed, read by sync" "$SWAP" V "$T/s2" sync
V "$T/late" join "$G" --hub-fingerprint "$FP" >/dev/null 2>&1
expect3 "an old bundle changed, read by a late joiner" "$SWAP" V "$T/late" sync
expect3 "an old bundle changed, read by hub merge" "$SWAP" V "$T/hub" hub merge
expect3 "an old bundle changed, read by audit verify" "$SWAP" V "$T/aud" audit verify "$G"
t "the late joiner took nothing of school 1" bash -c "[ \"\$('$VIOS' --home '$T/late' --json trend list | jq 'length')\" = 0 ]"
# through a stick: the hub merge --via reads it the same way
git init -q --bare "$T/stick.git"
git --git-dir "$G" push -q "$T/stick.git" "$REF1:$REF1" refs/heads/registry:refs/heads/registry 2>/dev/null
rm -rf "$G"; cp -a "$T/hubgit.clean" "$G"
BEFORE=$(git --git-dir "$G" rev-parse $REF1)
expect3 "an old bundle changed, read by hub merge --via a stick" "$SWAP" V "$T/hub" hub merge --via "$T/stick.git"
t "  the hub's ref of school 1 is as it was" test "$(git --git-dir "$G" rev-parse $REF1)" = "$BEFORE"
reset

# --- 3. a squatted ref on a stick -----------------------------------------------------
git init -q --bare "$T/stick.git"
git --git-dir "$G" push -q "$T/stick.git" "$REFP:refs/heads/nodes/$AUD" refs/heads/registry:refs/heads/registry 2>/dev/null
expect3 "police's bundles on the auditor's ref, merged --via a stick" "names node $POL as its sender, not the node whose ref it is on" V "$T/hub" hub merge --via "$T/stick.git"
t "  the hub takes no ref for the auditor" bash -c "! git --git-dir '$G' rev-parse -q --verify refs/heads/nodes/$AUD"
reset

# --- 4. a replayed bundle: seq 2 again as seq 3 ---------------------------------------
GC clone -q "$G" "$T/wc" -b "nodes/$POL" 2>/dev/null
(cd "$T/wc" && cp bundles/0000000002.age bundles/0000000003.age && cp bundles/0000000002.age.minisig bundles/0000000003.age.minisig &&
	git add bundles && GC commit -qm "vios bundle 3" && GC push -q origin "HEAD:nodes/$POL") >/dev/null 2>&1
rm -rf "$T/wc"
REPLAY="its signed header says seq 2, its file name seq 3"
expect3 "a replayed bundle, read by hub merge" "$REPLAY" V "$T/hub" hub merge
expect3 "a replayed bundle, read by sync" "$REPLAY" V "$T/s2" sync
expect3 "a replayed bundle, read by audit verify" "$REPLAY" V "$T/aud" audit verify "$G"
reset

# --- 4b. every other shape of commit, read by hub merge and by the audit ------------------
# school 1 seals seq 4 into its outbox (not sent); its objects come to the hub repository
V "$T/s1" trend add --theme crime --period 2026-11 --level rising >/dev/null
V "$T/s1" export >/dev/null
GC --git-dir "$G" fetch -q "$T/s1/outbox.git" "$REF1:refs/tmp/next" 2>/dev/null
OLD=$(git --git-dir "$G" rev-parse $REF1)
NEXTB=$(git --git-dir "$G" rev-parse "refs/tmp/next^{tree}:bundles")
git --git-dir "$G" update-ref -d refs/tmp/next
# lsb: the bundles/ listing of the real next commit; root BUNDLES-TREE [EXTRA-LINE]: a root tree
lsb() { git --git-dir "$G" ls-tree "$NEXTB"; }
mkt() { git --git-dir "$G" mktree; }
root() { { printf '040000 tree %s\tbundles\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2"; } | mkt; }
BLOB=$(echo hello | git --git-dir "$G" hash-object -w --stdin)
AGE4=$(lsb | awk '$4=="0000000004.age"{print $3}')
variant() { # variant NAME TREE MESSAGE FINDING
	local c
	c=$(GC --git-dir "$G" commit-tree "$2" -p "$OLD" -m "$3")
	GC --git-dir "$G" update-ref $REF1 "$c"
	expect3 "$1, read by hub merge" "$4" V "$T/hub" hub merge
	expect3 "$1, read by audit verify" "$4" V "$T/aud" audit verify "$G"
	GC --git-dir "$G" update-ref $REF1 "$OLD"
	rm -rf "$T/hub"; cp -a "$T/hub.clean" "$T/hub"
}
variant "a file beside the bundles" "$(root "$( { lsb; printf '100644 blob %s\tREADME\n' "$BLOB"; } | mkt)")" "vios bundle 4" \
	"adds bundles/README, which is not a bundle file"
variant "a file beside bundles/" "$(root "$NEXTB" "$(printf '100644 blob %s\tnotes.txt' "$BLOB")")" "vios bundle 4" \
	"adds notes.txt, which is not a bundle file"
variant "the bundle as a symbolic link" "$(root "$(lsb | sed "s/^100644 blob \($AGE4\)\t0000000004.age\$/120000 blob \1\t0000000004.age/" | mkt)")" "vios bundle 4" \
	"adds bundles/0000000004.age with mode 120000"
variant "the bundle executable" "$(root "$(lsb | sed "s/^100644 blob \($AGE4\)\t0000000004.age\$/100755 blob \1\t0000000004.age/" | mkt)")" "vios bundle 4" \
	"adds bundles/0000000004.age with mode 100755"
variant "the bundle as a submodule" "$(root "$(lsb | sed "s/^100644 blob $AGE4\t0000000004.age\$/160000 commit $OLD\t0000000004.age/" | mkt)")" "vios bundle 4" \
	"adds bundles/0000000004.age with mode 160000"
variant "an old bundle removed" "$(root "$(lsb | grep -v '0000000001\.age' | mkt)")" "vios bundle 4" \
	"deletes bundles/0000000001.age: a bundle once committed never changes"
variant "a signature without its bundle" "$(root "$(lsb | grep -v '0000000004\.age$' | mkt)")" "vios bundle 4" \
	"adds a signature without its bundle"
variant "a commit message that is not 'vios bundle 4'" "$(root "$NEXTB")" '{"sender":"someone else"}' \
	"message is not \"vios bundle 4\""
t "after all of them, the hub merges the untouched ref cleanly" V "$T/hub" hub merge
reset

# --- 5. the server's hook is vios: a merge commit pushed to a real git daemon ----------
cp "$(dirname "$0")/../../tools/pre-receive" "$G/hooks/pre-receive"
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	PATH="$(dirname "$VIOS"):$PATH" VIOS="$VIOS" git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$T" \
		--export-all --enable=receive-pack --pid-file="$T/daemon.pid" --detach "$T" 2>/dev/null && break
done
CLEANUP='kill $(cat "$T/daemon.pid" 2>/dev/null) 2>/dev/null'
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$PORT/hub.git" >/dev/null 2>&1 && break; sleep 0.1; done
OLD=$(git --git-dir "$G" rev-parse $REF1); TR=$(git --git-dir "$G" rev-parse "$OLD^{tree}")
M=$(GC --git-dir "$G" commit-tree "$TR" -p "$OLD" -p "$OLD~1" -m "vios bundle 3")
GC --git-dir "$G" push "git://127.0.0.1:$PORT/hub.git" "$M:$REF1" >"$T/out" 2>&1; rc=$?
t "a merge commit pushed over git://: refused" test "$rc" -ne 0
t "  the pusher is told why, by vios" grep -q "remote: vios hook: refused $REF1: .*merge commit" "$T/out"
t "  the ref is as it was" test "$(git --git-dir "$G" rev-parse $REF1)" = "$OLD"
# empty commits pushed over git:// are refused too
H=$(GC --git-dir "$G" commit-tree "$TR" -p "$OLD" -m empty)
GC --git-dir "$G" push "git://127.0.0.1:$PORT/hub.git" "$H:$REF1" >"$T/out" 2>&1; rc=$?
t "an empty commit pushed over git://: refused, the reason shown" bash -c "[ $rc -ne 0 ] && grep -q 'remote: vios hook: refused .*adds no bundle' '$T/out'"

# vios itself shows what the hook said: a school syncing over git:// whose outbox
# repository got an empty commit (a disk tool, an attacker on the laptop)
mk s3 school
V "$T/s3" identity export -o "$T/s3.req" 2>/dev/null && V "$T/hub" hub enroll "$T/s3.req" >/dev/null
S3=$(nid s3)
t "a school joins over git:// through the hook" V "$T/s3" join "git://127.0.0.1:$PORT/hub.git" --hub-fingerprint "$FP"
V "$T/s3" trend add --theme crime --period 2026-11 --level stable >/dev/null
t "  its first bundle passes the hook" V "$T/s3" sync
t "  and is on the hub" test "$(git --git-dir "$G" rev-list --count refs/heads/nodes/$S3)" -eq 1
H=$(git --git-dir "$T/s3/outbox.git" rev-parse refs/heads/nodes/$S3)
E=$(GC --git-dir "$T/s3/outbox.git" commit-tree "$H^{tree}" -p "$H" -m empty)
git --git-dir "$T/s3/outbox.git" update-ref refs/heads/nodes/$S3 "$E"
V "$T/s3" trend add --theme crime --period 2026-12 --level rising >/dev/null
V "$T/s3" sync >"$T/out" 2>"$T/err"; rc=$?
t "a push the hook refuses: sync exits 3" test "$rc" -eq 3
t "  one line, with the hook's reason" bash -c "one_line() { [ \"\$(grep -c . \"\$1\")\" -eq 1 ]; }; one_line '$T/err' && grep -q 'the remote refused refs/heads/nodes/$S3: .*it said: vios hook: refused refs/heads/nodes/$S3: commit [0-9a-f]* adds no bundle' '$T/err'"
t "  the hub's ref is as it was" test "$(git --git-dir "$G" rev-list --count refs/heads/nodes/$S3)" -eq 1

# --- 6. a store copied back: sync stops before sealing anything -----------------------
kill $(cat "$T/daemon.pid" 2>/dev/null) 2>/dev/null; CLEANUP=""
rm -f "$G/hooks/pre-receive"
cp -a "$T/s1" "$T/s1.old"
V "$T/s1" trend add --theme alcohol --period 2026-12 --level stable >/dev/null; V "$T/s1" sync >/dev/null
REF=$(git --git-dir "$G" rev-parse $REF1)
rm -rf "$T/s1"; mv "$T/s1.old" "$T/s1"
SEALED=$(V "$T/s1" --json status | jq .sealed_bundles)
V "$T/s1" signal add --theme nuisance --note "on the old copy" >/dev/null
expect3 "a store copied back, sync" "older than what it already sent (it sealed up to seq 4, the hub holds seq 5) .* run 'vios restore'" V "$T/s1" sync
t "  one line" one_line "$T/err"
t "  nothing was sealed: the signal's changes stay queued" bash -c "V() { '$VIOS' --home \"\$@\"; }; V '$T/s1' --json status | jq -e '.sealed_bundles == $SEALED and .pending_changes > 0'"
t "  the hub's ref is untouched (no fork)" test "$(git --git-dir "$G" rev-parse $REF1)" = "$REF"
expect3 "  and again (it keeps refusing)" "run 'vios restore'" V "$T/s1" sync
finish
