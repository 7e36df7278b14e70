#!/usr/bin/env bash
# Compression bombs in git (issue 23, bounded git reads): a blob of 1 GiB of
# zeros takes about 1 MB in a git repository. Placed as registry/hub.pub in
# a copy of the hub repository, or as a bundle .age on a node ref, every
# reader refuses it by its header (sync/git.c vios_git_read_object) before
# inflating it: fast, with bounded memory, one line naming the object. A
# symbolic link at registry/hub.pub is refused too, so is a 200 MiB tree
# object at bundles/ or as a commit's root tree (audit verify and replay),
# and a directory inside bundles/ (the 200 MiB tree: audit verify, replay,
# sync from a path; a small one: sync over git://, which the chain's walk
# refuses by its mode before its tree diff would inflate it). The server
# hook refuses a push of the bundle bomb over a real git daemon.
#
# Each refusal is timed with /usr/bin/time (seconds, peak KiB): under 5 s,
# and a peak no higher than the same command's on a good repository plus
# 16 MiB (commands that unlock the node carry argon2id's 64 MiB), or under
# 64 MiB for the audit, which unlocks nothing. The figures go to the log.
. "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=bomb GIT_AUTHOR_EMAIL=bomb@example.invalid
export GIT_COMMITTER_NAME=bomb GIT_COMMITTER_EMAIL=bomb@example.invalid
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then echo "e2e gitbomb: skipped (no /usr/bin/time)"; exit 0; fi

nodes "hub hub" "s1 school" "s2 school" "s3 school" "s4 school" "aud auditor"
hub_world s1 s2 aud
S1=$(nid s1)
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null
V "$T/s1" sync >/dev/null

# the bomb: 1 GiB of zeros, sparse on disk, about 1 MB as a git object (git
# packs a file this large as it writes it), in a repository of its own
BSRC="$T/bombsrc.git"
git init -q --bare "$BSRC"
truncate -s 1G "$T/zeros"
BOMB=$(git --git-dir "$BSRC" hash-object -w -t blob --no-filters "$T/zeros")
rm -f "$T/zeros"
# with_bomb REPO : REPO holds the bomb too (its pack files copied)
with_bomb() {
	mkdir -p "$1/objects/pack"
	cp "$BSRC"/objects/pack/* "$1/objects/pack/" 2>/dev/null
	if [ -d "$BSRC/objects/${BOMB:0:2}" ]; then
		mkdir -p "$1/objects/${BOMB:0:2}" && cp "$BSRC/objects/${BOMB:0:2}/${BOMB:2}" "$1/objects/${BOMB:0:2}/"
	fi
}
# commit_on REPO REF MODE PATH BLOB [MODE PATH BLOB]... : a commit on REF
# (its tip as parent) with the entries added, made with git plumbing
commit_on() {
	local repo=$1 ref=$2 idx="$T/index.$$"
	shift 2
	rm -f "$idx"
	GIT_INDEX_FILE="$idx" git --git-dir "$repo" read-tree "$ref"
	while [ $# -ge 3 ]; do
		GIT_INDEX_FILE="$idx" git --git-dir "$repo" update-index --add --cacheinfo "$1,$3,$2"
		shift 3
	done
	local tree commit
	tree=$(GIT_INDEX_FILE="$idx" git --git-dir "$repo" write-tree)
	commit=$(git --git-dir "$repo" commit-tree "$tree" -p "$ref" -m "bomb")
	git --git-dir "$repo" update-ref "$ref" "$commit"
	rm -f "$idx"
}
# timed NAME command... : runs it, its exit code to $rc, stderr to $T/err,
# "seconds peak-KiB" to $T/NAME.tm and the log
timed() {
	local name=$1; shift
	"$TIME" -f '%e %M' -o "$T/$name.tm" "$@" >"$T/out" 2>"$T/err"; rc=$?
	echo "timed $name: rc $rc, $(cat "$T/$name.tm" | tail -1) (s KiB)" >>"$T/.log"
	echo "     $name: $(tail -1 "$T/$name.tm" | awk '{ printf "%s s, peak %.1f MiB", $1, $2 / 1024 }')"
}
secs() { tail -1 "$T/$1.tm" | cut -d' ' -f1; }
kib() { tail -1 "$T/$1.tm" | cut -d' ' -f2; }
# fast NAME : under 5 s
fast() { awk -v s="$(secs "$1")" 'BEGIN { exit !(s < 5) }'; }
# small NAME BASELINE : a peak under BASELINE's plus 16 MiB
small() { [ "$(kib "$1")" -lt $(($(kib "$2") + 16384)) ]; }
# fast_small NAME BASELINE ; fast_64 NAME : under 5 s and under 64 MiB
fast_small() { fast "$1" && small "$1" "$2"; }
fast_64() { fast "$1" && [ "$(kib "$1")" -lt 65536 ]; }
# refused RC-WANTED PATTERN : exit code, one line on stderr matching PATTERN
# (an auditor run without its passphrase adds a "vios: note:" line: not an error line)
refused() { [ "$rc" -eq "$1" ] && [ "$(grep -v '^vios: note:' "$T/err" | grep -c .)" -eq 1 ] && grep -q -- "$2" "$T/err"; }

# --- join: the bomb at registry/hub.pub ------------------------------------------
B1="$T/bomb1.git"
cp -r "$G" "$B1"
with_bomb "$B1"
commit_on "$B1" refs/heads/registry 100644 registry/hub.pub "$BOMB"
t "the bomb is 1 GiB in git and about 1 MB on disk" bash -c "[ \$(git --git-dir '$B1' cat-file -s $BOMB) -eq 1073741824 ] && [ \$(du -sk '$B1' | cut -f1) -lt 8192 ]"
timed join-good "$VIOS" --home "$T/s3" join "$G" --hub-fingerprint "$FP"
t "a good join (the baseline)" test "$rc" -eq 0
timed join-bomb "$VIOS" --home "$T/s4" join "$B1" --hub-fingerprint "$FP"
t "join refuses the bomb at registry/hub.pub: exit 3, one line naming it" refused 3 "registry/hub.pub.* ${BOMB:0:12} is 1073741824 bytes"
t "... in under 5 s" fast join-bomb
t "... with the peak memory of a good join (+16 MiB at most)" small join-bomb join-good
t "... and nothing of it is kept" bash -c "'$VIOS' --home '$T/s4' --json status | jq -e '.hub_url==null'"
timed join-bomb-file "$VIOS" --home "$T/s4" join "file://$B1" --hub-fingerprint "$FP"
t "the same over file://" refused 3 "registry/hub.pub"
t "... fast, bounded" fast_small join-bomb-file join-good

# a symbolic link at registry/hub.pub, to the real key: refused, not followed
B2="$T/link.git"
cp -r "$G" "$B2"
PUB=$(git --git-dir "$G" rev-parse refs/heads/registry:registry/hub.pub)
commit_on "$B2" refs/heads/registry 120000 registry/hub.pub "$PUB"
V "$T/s4" join "$B2" --hub-fingerprint "$FP" >/dev/null 2>"$T/err"; rc=$?
t "join refuses a symlink at registry/hub.pub: exit 3, one line naming it" refused 3 "registry/hub.pub is a symbolic link"

# --- the bomb as a bundle on a node ref ---------------------------------------------
B3="$T/bomb3.git"
cp -r "$G" "$B3"
with_bomb "$B3"
SIG=$(git --git-dir "$G" rev-parse "refs/heads/nodes/$S1:bundles/0000000001.age.minisig")
commit_on "$B3" "refs/heads/nodes/$S1" 100644 bundles/0000000002.age "$BOMB" 100644 bundles/0000000002.age.minisig "$SIG"

timed sync-good "$VIOS" --home "$T/s2" sync
t "a good sync (the baseline)" test "$rc" -eq 0
timed sync-bomb "$VIOS" --home "$T/s2" sync --via "$B3"
t "sync refuses the bundle bomb: exit 3, one line naming it" refused 3 "bundles/0000000002.age on refs/heads/nodes/$S1.*1073741824 bytes"
t "... in under 5 s, bounded" fast_small sync-bomb sync-good

U="$T/stick.git"
cp -r "$B3" "$U"
timed merge-good "$VIOS" --home "$T/hub" hub merge
t "a good hub merge (the baseline)" test "$rc" -eq 0
timed merge-bomb "$VIOS" --home "$T/hub" hub merge --via "$U"
t "hub merge --via a stick with the bomb: exit 3, one line naming it" refused 3 "bundles/0000000002.age on refs/heads/nodes/$S1"
t "... in under 5 s, bounded" fast_small merge-bomb merge-good
t "... and the hub repository did not take it" bash -c "! git --git-dir '$G' cat-file -e $BOMB 2>/dev/null"

# without the passphrase: verify unlocks nothing (no Argon2id), so its own memory shows
timed audit-bomb env -u VIOS_PASSPHRASE "$VIOS" --home "$T/aud" audit verify "$B3"
t "audit verify names the oversize bundle as a finding (exit 3)" bash -c "[ $rc -eq 3 ] && grep -q '^finding: node $S1.*seq 2.*the bundle is larger than 67108864 bytes' '$T/out'"
t "... in under 5 s, under 64 MiB" fast_64 audit-bomb

# a directory bomb: a 200 MiB "tree" of zeros (over the 128 MiB a tree may
# have) as bundles/ on the node ref, written with git's --literally
B4="$T/treebomb.git"
cp -r "$G" "$B4"
truncate -s 200M "$T/zeros"
TB=$(git --git-dir "$B4" hash-object -t tree --literally -w "$T/zeros")
rm -f "$T/zeros"
ROOT=$(printf '040000 tree %s\tbundles\n' "$TB" | git --git-dir "$B4" mktree --missing)
git --git-dir "$B4" update-ref "refs/heads/nodes/$S1" "$(git --git-dir "$B4" commit-tree "$ROOT" -p "refs/heads/nodes/$S1" -m bomb)"
# both_refuse NAME REPO WHAT PATTERN: audit verify (without the passphrase)
# and audit replay each refuse REPO: exit 3, one line matching PATTERN, fast,
# in bounded memory (replay against the good replay, replay-good)
both_refuse() {
	timed "audit-$1" env -u VIOS_PASSPHRASE "$VIOS" --home "$T/aud" audit verify "$2"
	t "audit verify refuses $3: exit 3, one line naming it" refused 3 "$4"
	t "... in under 5 s, under 64 MiB" fast_64 "audit-$1"
	timed "replay-$1" "$VIOS" --home "$T/aud" audit replay "$2"
	t "audit replay refuses $3: exit 3, one line naming it" refused 3 "$4"
	t "... in under 5 s, bounded" fast_small "replay-$1" replay-good
}
timed replay-good "$VIOS" --home "$T/aud" audit replay "$G"
t "a good audit replay (the baseline)" test "$rc" -eq 0
both_refuse treebomb "$B4" "a directory bomb at bundles/" "bundles: directory ${TB:0:12} is 209715200 bytes"

# the same 200 MiB tree object as a commit's root tree
B6="$T/rootbomb.git"
cp -r "$G" "$B6"
mkdir -p "$B6/objects/${TB:0:2}" && cp "$B4/objects/${TB:0:2}/${TB:2}" "$B6/objects/${TB:0:2}/"
git --git-dir "$B6" update-ref "refs/heads/nodes/$S1" "$(git --git-dir "$B6" commit-tree "$TB" -p "refs/heads/nodes/$S1" -m "vios bundle 2")"
both_refuse rootbomb "$B6" "a directory bomb as a commit's root tree" "a commit's tree: directory ${TB:0:12} is 209715200 bytes"

# a directory inside bundles/: the 200 MiB tree object at bundles/sub beside
# the real bundle files (the tree diff of the chain's walk would inflate it)
B5="$T/nested.git"
cp -r "$G" "$B5"
mkdir -p "$B5/objects/${TB:0:2}" && cp "$B4/objects/${TB:0:2}/${TB:2}" "$B5/objects/${TB:0:2}/"
BT=$( { git --git-dir "$B5" ls-tree "refs/heads/nodes/$S1:bundles"; printf '040000 tree %s\tsub\n' "$TB"; } | git --git-dir "$B5" mktree --missing)
ROOT=$(printf '040000 tree %s\tbundles\n' "$BT" | git --git-dir "$B5" mktree --missing)
git --git-dir "$B5" update-ref "refs/heads/nodes/$S1" "$(git --git-dir "$B5" commit-tree "$ROOT" -p "refs/heads/nodes/$S1" -m "vios bundle 2")"
NESTED="bundles/sub: directory ${TB:0:12} in commit [0-9a-f]\{12\} on node $S1's ref: bundles/ holds files only: refused unread"
both_refuse nested "$B5" "a directory inside bundles/" "$NESTED"
timed sync-nested "$VIOS" --home "$T/s2" sync --via "$B5"
t "sync refuses it (the fetch from a path checks every header): exit 3, one line naming it" refused 3 "bundles/sub/ on refs/heads/nodes/$S1: directory ${TB:0:12} is 209715200 bytes"
t "... in under 5 s, bounded" fast_small sync-nested sync-good

# --- the hook on a git daemon: the bundle bomb pushed over git:// -----------------
H="$T/hooked.git"
cp -r "$G" "$H"
cp "$(dirname "$0")/../../tools/pre-receive" "$H/hooks/pre-receive"
cat >"$T/vios-timed" <<EOF
#!/bin/sh
exec $TIME -f '%e %M' -o '$T/hook.tm' '$VIOS' "\$@"
EOF
chmod +x "$T/vios-timed"
for try in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 20000))
	VIOS="$T/vios-timed" git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --base-path="$T" --export-all \
		--enable=receive-pack --pid-file="$T/daemon.pid" --detach "$T" 2>/dev/null && break
done
CLEANUP='kill $(cat "$T/daemon.pid" 2>/dev/null) 2>/dev/null'
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$PORT/hooked.git" >/dev/null 2>&1 && break; sleep 0.1; done
git --git-dir "$B3" push -q "git://127.0.0.1:$PORT/hooked.git" "refs/heads/nodes/$S1:refs/heads/nodes/$S1" >"$T/out" 2>"$T/err"; rc=$?
cat "$T/err" >>"$T/.log"
echo "     check-push: $(tail -1 "$T/hook.tm" 2>/dev/null | awk '{ printf "%s s, peak %.1f MiB", $1, $2 / 1024 }')"
t "the hook refuses the pushed bundle bomb, naming it" bash -c "[ $rc -ne 0 ] && grep -q 'larger than 67108864 bytes' '$T/err'"
t "... the hook itself in under 5 s, under 64 MiB" fast_64 hook
t "... and the ref did not move" test "$(git --git-dir "$H" rev-parse "refs/heads/nodes/$S1")" = "$(git --git-dir "$G" rev-parse "refs/heads/nodes/$S1")"

# a directory inside bundles/ over git://, where no header check of the fetch
# comes first: the walk of sync refuses it by its mode (a small directory:
# git's own server cannot pack the 200 MiB tree of zeros). School 4 joins
# the clean hub over git://, then the directory is committed there.
B7="$T/nested-net.git"
cp -r "$G" "$B7"
t "a school joins over git://" V "$T/s4" join "git://127.0.0.1:$PORT/nested-net.git" --hub-fingerprint "$FP"
BLOB=$(echo hello | git --git-dir "$B7" hash-object -w --stdin)
SUB=$(printf '100644 blob %s\tx\n' "$BLOB" | git --git-dir "$B7" mktree)
BT=$( { git --git-dir "$B7" ls-tree "refs/heads/nodes/$S1:bundles"; printf '040000 tree %s\tsub\n' "$SUB"; } | git --git-dir "$B7" mktree)
ROOT=$(printf '040000 tree %s\tbundles\n' "$BT" | git --git-dir "$B7" mktree)
git --git-dir "$B7" update-ref "refs/heads/nodes/$S1" "$(git --git-dir "$B7" commit-tree "$ROOT" -p "refs/heads/nodes/$S1" -m "vios bundle 2")"
timed sync-nested-net "$VIOS" --home "$T/s4" sync
t "its sync refuses a directory inside bundles/: exit 3, one line naming it" refused 3 "bundles/sub: directory ${SUB:0:12} in commit [0-9a-f]\{12\} on node $S1's ref: bundles/ holds files only"
t "... in under 5 s, bounded" fast_small sync-nested-net sync-good
finish
