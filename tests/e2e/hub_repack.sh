#!/usr/bin/env bash
# The hub consolidates its repository's packs (docs/performance.md,
# "bench-scale"): schools push over a path, one pack per push, and nothing
# joins them but `vios hub merge`, which rolls them up once past the
# threshold (a test build takes it from VIOS_TEST_REPACK_PACKS). After the
# roll-up every node ref and every bundle is still there and readable (the
# same bundles before and after, audit verify passes, stock git's fsck
# agrees), a merge with nothing new rewrites nothing, a pack kept with a
# .keep file is never touched, and a roll-up that fails (a broken pack no
# ref needs) leaves every file in place without failing the merge: one
# warning line, exit 0. The hub repository's config turns libgit2's delta
# search off for the merge's fetch (pack.deltaCacheSize 1).
. "$(dirname "$0")/lib.sh"
export -f one_line

nodes "hub hub" "s1 school" "s2 school" "aud auditor"
hub_world s1 s2 aud
HUB=$(nid hub)
OWN="$T/hub/outbox.git"
packs() { find "$1/objects/pack" -name 'pack-*.pack' | wc -l; }
loose() { find "$1/objects" -path "$1/objects/pack" -prune -o -path "$1/objects/info" -prune -o -type f -print | wc -l; }
# every node ref with every file of its tree and the object it names
bundles() {
	local r
	for r in $(git --git-dir "$G" for-each-ref --format='%(refname)' refs/heads/nodes/ | sort); do
		[ "$r" = "refs/heads/nodes/$HUB" ] && continue # the hub's own ref moves at each merge
		echo "$r $(git --git-dir "$G" rev-parse "$r")"
		git --git-dir "$G" ls-tree -r "$r"
	done
}
# every object of every ref read whole (-p), so a missing or broken one fails
readall() (
	set -o pipefail # a rev-list that dies on a missing object fails, not a shorter list
	git --git-dir "$1" rev-list --objects --all | cut -d' ' -f1 | git --git-dir "$1" cat-file --batch >/dev/null &&
		[ "$(git --git-dir "$1" rev-list --objects --all | cut -d' ' -f1 | git --git-dir "$1" cat-file --batch-check | grep -c missing)" -eq 0 ]
)
# the packs left after a roll-up form git's geometric progression: each at
# least twice the next smaller one (a test threshold of 2 can leave three)
geometric() {
	find "$G/objects/pack" -name 'pack-*.pack' -printf '%s\n' | sort -n |
		awk 'NR > 1 && int($1 / 2) < prev { bad = 1 } { prev = $1 } END { exit bad }'
}
export G
export -f geometric
flows() { V "$T/aud" --json audit flows "$G" | jq -c '.[] | select(.sender != "'"$HUB"'") | [.sender, .seq, .ops]' | sort; }

# 1. eight rounds of both schools: a pack per push; and a merge after each
# round under the release threshold (32: nothing rolled up), a pack per
# fetch in the hub's own repository
for i in $(seq 1 8); do
	for s in s1 s2; do
		V "$T/$s" trend add --theme alcohol --period 2026-11 --level rising --note "round $i" >/dev/null &&
			V "$T/$s" sync >/dev/null 2>>"$T/.log" || echo "     sync $s round $i failed"
	done
	V "$T/hub" hub merge >/dev/null 2>>"$T/.log" || echo "     merge round $i failed"
done
P0=$(packs "$G")
O0=$(packs "$OWN")
t "eight merges under the threshold leave at least eight packs in the hub's own repository" test "$O0" -ge 8
t "sixteen pushes leave at least sixteen packs in the hub repository" test "$P0" -ge 16
bundles >"$T/bundles.before"
flows >"$T/flows.before"
t "the auditor sees every school's bundles before the merge" test "$(grep -c . "$T/flows.before")" -ge 16

# 2. the merge rolls them up
VIOS_TEST_REPACK_PACKS=4 V "$T/hub" hub merge >"$T/out" 2>"$T/err"; rc=$?
t "merge past the threshold: exit 0, no warning" bash -c "[ $rc -eq 0 ] && [ ! -s '$T/err' ]"
t "the hub repository holds one pack afterwards (was $P0)" test "$(packs "$G")" -eq 1
t "and no loose object (the registry's, rolled up with the packs)" test "$(loose "$G")" -eq 0
t "the hub's own repository is rolled up too (was $O0)" test "$(packs "$OWN")" -le 3
t "the hub repository's config turns libgit2's delta search off for the fetch" test "$(git --git-dir "$G" config pack.deltaCacheSize)" = 1
t "every node ref names the same commit and the same files" cmp "$T/bundles.before" <(bundles)
t "every object of every ref is there and reads whole" readall "$G"
t "stock git's fsck finds nothing wrong" git --git-dir "$G" fsck --full --no-dangling
t "audit verify passes on the rolled-up hub" V "$T/aud" audit verify "$G"
t "audit flows lists the same bundles" cmp "$T/flows.before" <(flows)
t "a school syncs against the rolled-up hub" bash -c "'$VIOS' --home '$T/s1' trend add --theme alcohol --period 2026-12 --level stable >/dev/null && '$VIOS' --home '$T/s1' sync >/dev/null"
t "and the hub merges it" bash -c "VIOS_TEST_REPACK_PACKS=4 '$VIOS' --home '$T/hub' hub merge | grep -q ' 1 new bundles\\?,\\| [12] new bundles'"

# 3. nothing new: nothing rewritten
listing() { ls -l --time-style=full-iso "$G/objects/pack" "$OWN/objects/pack"; }
listing >"$T/listing.before"
t "a merge with nothing new" bash -c "VIOS_TEST_REPACK_PACKS=4 '$VIOS' --home '$T/hub' hub merge >/dev/null 2>'$T/err' && [ ! -s '$T/err' ]"
t "rewrites no pack (the same files, the same times)" cmp "$T/listing.before" <(listing)

# 4. the default threshold (32) leaves a handful of pushes alone
for s in s1 s2; do V "$T/$s" trend add --theme weapons --period 2026-12 --level rising >/dev/null && V "$T/$s" sync >/dev/null 2>>"$T/.log"; done
P1=$(packs "$G")
V "$T/hub" hub merge >/dev/null 2>&1
t "under the default threshold a merge adds a pack, rolls up none" test "$(packs "$G")" -ge "$P1"

# 5. a pack with a .keep file is never touched (git's rule); the others roll up
K=$(ls -S "$G/objects/pack"/pack-*.pack | head -1) # the roll-up of 2., the others are pushes
touch "${K%.pack}.keep"
KSUM=$(sha256sum "$K" "${K%.pack}.idx")
for i in 1 2 3; do V "$T/s2" trend add --theme crime --period 2026-12 --level stable --note "k$i" >/dev/null && V "$T/s2" sync >/dev/null 2>>"$T/.log"; done
VIOS_TEST_REPACK_PACKS=2 V "$T/hub" hub merge >/dev/null 2>"$T/err"
t "the kept pack is still there, byte for byte" bash -c "[ ! -s '$T/err' ] && [ \"\$(sha256sum '$K' '${K%.pack}.idx')\" = \"$KSUM\" ]"
t "the rest rolled up: the kept pack and one more" test "$(packs "$G")" -eq 2
t "audit verify passes" V "$T/aud" audit verify "$G"
rm -f "${K%.pack}.keep"

# 6. a roll-up that fails leaves every file and does not fail the merge: a
#    truncated pack whose objects no ref needs (the roll-up reads every
#    listed object, reachable or not)
git init -q --bare "$T/junk.git"
git --git-dir "$T/junk.git" hash-object -w --stdin <<<"not a vios object $RANDOM" |
	git --git-dir "$T/junk.git" pack-objects -q "$T/junk.git/objects/pack/pack" >/dev/null
J=$(ls "$T/junk.git/objects/pack"/pack-*.pack)
cp "${J%.pack}.idx" "$G/objects/pack/"
head -c 20 "$J" >"$G/objects/pack/$(basename "$J")"
for i in 1 2 3; do V "$T/s1" trend add --theme crime --period 2026-12 --level rising --note "f$i" >/dev/null && V "$T/s1" sync >/dev/null 2>>"$T/.log"; done
ls "$G/objects/pack" >"$T/files.before"
VIOS_TEST_REPACK_PACKS=2 V "$T/hub" hub merge >"$T/out" 2>"$T/err"; rc=$?
t "a failed roll-up: the merge exits 0 and says what it merged" bash -c "[ $rc -eq 0 ] && grep -q '^hub merge: ' '$T/out'"
t "one warning line naming the repository" bash -c "one_line '$T/err' && grep -q '^vios: warning: the hub repository.s packs were not consolidated: .*the merge stands' '$T/err'"
t "every pack file is still there" bash -c "ls '$G/objects/pack' | grep -v '^pack_git2_' | comm -23 '$T/files.before' - | grep -c . | grep -qx 0"
rm -f "$G/objects/pack/$(basename "$J")" "$G/objects/pack/$(basename "${J%.pack}.idx")"
t "with the broken pack gone, the next merge rolls up (the packs left are geometric)" bash -c "VIOS_TEST_REPACK_PACKS=2 '$VIOS' --home '$T/hub' hub merge >/dev/null 2>'$T/err' && [ ! -s '$T/err' ] && [ \$(find '$G/objects/pack' -name 'pack-*.pack' | wc -l) -le 3 ] && geometric"
t "and the hub still verifies" V "$T/aud" audit verify "$G"

# 7. killed while rolling up (docs/faults.md): before the new pack is
#    written nothing changed; after it is written, before the old ones go,
#    every object is there twice; either way the next merge rolls up
for f in git.repacking git.repacked; do
	for i in 1 2 3; do V "$T/s2" trend add --theme crime --period 2026-12 --level falling --note "$f$i" >/dev/null && V "$T/s2" sync >/dev/null 2>>"$T/.log"; done
	ls "$G/objects/pack" | grep '^pack-' >"$T/files.before"
	VIOS_FAULT=$f VIOS_TEST_REPACK_PACKS=2 V "$T/hub" hub merge >/dev/null 2>&1; rc=$?
	t "killed at $f: exit 137, every pack file there before is still there" \
		bash -c "[ $rc -eq 137 ] && ls '$G/objects/pack' | comm -23 '$T/files.before' - | grep -c . | grep -qx 0"
	if [ $f = git.repacked ]; then
		t "killed at $f: the new pack is there beside them (objects in two packs)" \
			bash -c "for i in '$G'/objects/pack/pack-*.idx; do git show-index <\$i | cut -d' ' -f2; done | sort | uniq -d | grep -q ."
	fi
	t "killed at $f: every object of every ref reads whole" readall "$G"
	t "killed at $f: audit verify passes" V "$T/aud" audit verify "$G"
	VIOS_TEST_REPACK_PACKS=2 V "$T/hub" hub merge >/dev/null 2>"$T/err"; rc=$?
	t "killed at $f: the next merge rolls up (no warning; the packs left are geometric)" \
		bash -c "[ $rc -eq 0 ] && [ ! -s '$T/err' ] && [ \$(find '$G/objects/pack' -name 'pack-*.pack' | wc -l) -le 3 ] && geometric"
done
t "stock git's fsck finds nothing wrong at the end" git --git-dir "$G" fsck --full --no-dangling
finish
