#!/usr/bin/env bash
# Issue 23, vault costs and files: the key vault's Argon2id costs can be
# neither lowered nor inflated (exit 3, before any Argon2id), recovery
# restores the creation preset's costs; homes are 0700 and ours; report
# files never follow a symlink; a lost store.db is an error, never a new
# store; the terminal prompt refuses an over-long passphrase; a page put
# back from an older state of the store, or a missing or changed page
# index, is refused (exit 3).
. "$(dirname "$0")/lib.sh"

# le64 N: N as 8 little-endian bytes
le64() {
	local n=$1 i
	for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf %03o $(((n >> (8 * i)) & 255)))"; done
}
# costs HOME SLOT OPS MEM: writes a slot's costs into HOME/keys.vault
# (version 2: 14-byte header, 106-byte slots, ops at +2, mem at +10)
costs() {
	local off=$((14 + $2 * 106 + 2))
	le64 "$3" | dd of="$1/keys.vault" bs=1 seek="$off" conv=notrunc status=none
	le64 "$4" | dd of="$1/keys.vault" bs=1 seek=$((off + 8)) conv=notrunc status=none
}
# slot_costs HOME SLOT: "OPS MEM" of a slot
slot_costs() { od -An -t u8 -j $((14 + $2 * 106 + 2)) -N 16 "$1/keys.vault" | xargs; }
ms() { date +%s%3N; }

mk s1 school
CODE=$(recovery_codes "$T/s1.init")
t "the vault is version 2, 226 bytes" bash -c "[ \$(stat -c %s '$T/s1/keys.vault') -eq 226 ] && head -c 14 '$T/s1/keys.vault' | od -An -t x1 | xargs | grep -qx '56 49 4f 53 56 4c 54 31 02 00 02 00 01 00'"
t "passphrase slot has the interactive preset's costs" test "$(slot_costs "$T/s1" 0)" = "2 67108864"
cp "$T/s1/keys.vault" "$T/s1.vault"

# 1. weak costs (1 pass, 8 KiB) written into the vault: refused as tampered
costs "$T/s1" 0 1 8192
V "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
t "weak costs: exit 3" test "$rc" -eq 3
t "weak costs: one line, says tampered" bash -c "one_line() { [ \"\$(grep -c . \"\$1\")\" -eq 1 ]; }; one_line '$T/err' && grep -q 'tampered' '$T/err'"
costs "$T/s1" 1 1 8192
V "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
t "weak recovery slot: exit 3" test "$rc" -eq 3
cp "$T/s1.vault" "$T/s1/keys.vault"

# 2. inflated costs: refused at once, no Argon2id, no huge allocation
for c in "4294967295 67108864" "2 4294967296" "4294967295 4294967296" "17 67108864" "2 1073742848"; do
	set -- $c
	costs "$T/s1" 0 "$1" "$2"
	t0=$(ms)
	# a 1 GiB address-space limit proves no huge allocation; AddressSanitizer
	# reserves terabytes of shadow address space, so under SAN=1 only the time shows it
	if [ "${SAN:-0}" = 1 ]; then
		V "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
	else
		(ulimit -v 1048576; V "$T/s1" whoami >/dev/null 2>"$T/err"); rc=$?
	fi
	t1=$(ms)
	t "inflated costs ($1 passes, $2 bytes): exit 3" test "$rc" -eq 3
	t "inflated costs ($1 passes, $2 bytes): at once (<1 s)" test $((t1 - t0)) -lt 1000
	cp "$T/s1.vault" "$T/s1/keys.vault"
done
t "the untouched vault opens again" V "$T/s1" whoami

# 3. the issue's story: weakened slot, "wrong passphrase", recover: the
#    new slot has the creation preset's costs, not the weak ones
costs "$T/s1" 0 1 8192
t "recover with a weakened passphrase slot" env VIOS_NEW_PASSPHRASE='second passphrase 2' "$VIOS" --home "$T/s1" passphrase recover --recovery-code "$CODE"
t "after recovery: interactive costs again (2 passes, 64 MiB)" test "$(slot_costs "$T/s1" 0)" = "2 67108864"
t "after recovery: the new passphrase opens" env VIOS_PASSPHRASE='second passphrase 2' "$VIOS" --home "$T/s1" whoami

V "$T/s2" init --kind school --name s2 --kdf moderate >"$T/s2.init"
CODE2=$(recovery_codes "$T/s2.init")
costs "$T/s2" 0 2 67108864
V "$T/s2" whoami >/dev/null 2>"$T/err"; rc=$?
t "moderate node, slot lowered to interactive: exit 3" test "$rc" -eq 3
t "recover on the moderate node" env VIOS_NEW_PASSPHRASE='second passphrase 2' "$VIOS" --home "$T/s2" passphrase recover --recovery-code "$CODE2"
t "after recovery: moderate costs (3 passes, 256 MiB)" test "$(slot_costs "$T/s2" 0)" = "3 268435456"
t "passphrase change keeps them" env VIOS_PASSPHRASE='second passphrase 2' VIOS_NEW_PASSPHRASE='third passphrase 3' "$VIOS" --home "$T/s2" passphrase change
t "after change: moderate costs" test "$(slot_costs "$T/s2" 0)" = "3 268435456"
rm -rf "$T/s2"

# 4. homes: created 0700; an existing empty 0777 home, or a 0755 one, refused
mkdir "$T/wide"; chmod 0777 "$T/wide"
V "$T/wide" init --kind school --name wide --kdf interactive >/dev/null 2>"$T/err"; rc=$?
t "init into a 0777 home: exit 1" test "$rc" -eq 1
t "init into a 0777 home: one line naming 0700" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q '0700' '$T/err'"
t "init into a 0777 home: nothing written" test -z "$(ls -A "$T/wide")"
chmod 0755 "$T/s1"
env VIOS_PASSPHRASE='second passphrase 2' "$VIOS" --home "$T/s1" whoami >/dev/null 2>"$T/err"; rc=$?
t "a 0755 home is refused: exit 1" test "$rc" -eq 1
t "a 0755 home is refused: one line" bash -c "[ \$(grep -c . '$T/err') -eq 1 ]"
chmod 0700 "$T/s1"
export VIOS_PASSPHRASE='second passphrase 2'

# 5. report files: onto a symlink the link is replaced, its target untouched
mk hub hub
V "$T/hub" hub create "$T/hub.git" >/dev/null
echo "precious" >"$T/target"; chmod 0600 "$T/target"
ln -s "$T/target" "$T/link.csv"; ln -s "$T/target" "$T/link.svg"
t "hub report --csv/--svg onto symlinks" V "$T/hub" hub report --csv "$T/link.csv" --svg "$T/link.svg"
t "the symlinks' target is untouched" test "$(cat "$T/target")" = "precious"
t "--csv replaced the link by a file" bash -c "[ ! -L '$T/link.csv' ] && head -n1 '$T/link.csv' | tr -d '\\r' | grep -qx 'month,school,theme,signals,trend'"
t "--svg replaced the link by a file" bash -c "[ ! -L '$T/link.svg' ] && grep -q '<svg' '$T/link.svg'"
t "--csv - writes the CSV to standard output" bash -c "'$VIOS' --home '$T/hub' hub report --csv - | head -n1 | tr -d '\\r' | grep -qx 'month,school,theme,signals,trend'"
V "$T/hub" hub report --csv - --svg - >/dev/null 2>&1; rc=$?
t "--csv - with --svg -: usage error" test "$rc" -eq 2
ln -s "$T/target" "$T/link.req"
t "identity export -o onto a symlink" V "$T/s1" identity export -o "$T/link.req"
t "identity export: the target is untouched" test "$(cat "$T/target")" = "precious"
t "identity export -o - is standard output" bash -c "'$VIOS' --home '$T/s1' identity export -o - | jq -e .request.node_id"

# 6. a lost store.db is an error, never a new store
mv "$T/s1/store.db" "$T/s1.db"
V "$T/s1" pupil list >/dev/null 2>"$T/err"; rc=$?
t "deleted store.db: exit 1" test "$rc" -eq 1
t "deleted store.db: one line, restore from a backup" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'store.db is missing: restore it from a backup' '$T/err'"
t "deleted store.db: no new file" test ! -e "$T/s1/store.db"
: >"$T/s1/store.db"
V "$T/s1" pupil list >/dev/null 2>"$T/err"; rc=$?
t "empty store.db: exit 1" test "$rc" -eq 1
t "empty store.db: left as it was" test ! -s "$T/s1/store.db"
mv "$T/s1.db" "$T/s1/store.db"
t "the store restored from the backup opens" V "$T/s1" pupil list

# 7. the terminal prompt refuses an over-long passphrase, as the file does
head -c 1100 /dev/zero | tr '\0' 'a' >"$T/long"
V "$T/s1" --passphrase-file "$T/long" whoami >/dev/null 2>"$T/err"; rc=$?
t "--passphrase-file over 1024 bytes: exit 2" test "$rc" -eq 2
{ head -c 1024 /dev/zero | tr '\0' 'a'; echo; } >"$T/long1024"
V "$T/s1" --passphrase-file "$T/long1024" whoami >/dev/null 2>&1; rc=$?
t "--passphrase-file of 1024 bytes and a newline: read whole (wrong passphrase, exit 1)" test "$rc" -eq 1
if command -v python3 >/dev/null; then
	cat >"$T/prompt_check.py" <<'EOF'
import os, pty, select, signal, sys, termios, time
signal.alarm(30)  # never hang the suite
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("VIOS_PASSPHRASE", None)
    os.execv(sys.argv[1], [sys.argv[1], "--home", sys.argv[2], "whoami"])
out = b""
def rd(t):
    global out
    if not select.select([fd], [], [], t)[0]:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    out += data
    return len(data) > 0
while b"Passphrase:" not in out and rd(10):
    pass
# vios turns echo off with TCSAFLUSH, which drops what was typed before
for _ in range(100):
    if not termios.tcgetattr(fd)[3] & termios.ECHO:
        break
    time.sleep(0.05)
os.write(fd, b"a" * int(sys.argv[3]) + b"\n")
while rd(10):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
	python3 "$T/prompt_check.py" "$VIOS" "$T/s1" 1100 >"$T/pty.out" 2>&1; rc=$?
	t "prompt: over 1024 bytes is exit 2" test "$rc" -eq 2
	t "prompt: says it is too long" grep -q "longer than 1024 bytes" "$T/pty.out"
	python3 "$T/prompt_check.py" "$VIOS" "$T/s1" 1024 >"$T/pty.out" 2>&1; rc=$?
	t "prompt: 1024 bytes is read whole (a wrong passphrase, exit 1)" test "$rc" -eq 1
else
	echo "skip prompt checks: no python3"
fi
VIOS_PASSPHRASE=$(cat "$T/long") V "$T/s1" whoami >/dev/null 2>&1; rc=$?
t "VIOS_PASSPHRASE over 1024 bytes: exit 2" test "$rc" -eq 2

# 8. page rollback: two states of one store; every page that differs,
#    copied back alone from the older state, is caught by store check
#    (exit 3, one line naming the page), and the refusal changes nothing;
#    the page index itself: deleted, changed or symlinked, refused
mk s3 school
for i in 1 2 3; do V "$T/s3" pupil add --name "Eerste $i" --class 3B >/dev/null; done
V "$T/s3" store check >/dev/null
cp "$T/s3/store.db" "$T/old.db"
for i in 1 2 3 4 5 6; do V "$T/s3" pupil add --name "Later $i" --class 4A >/dev/null; done
P=$(V "$T/s3" --json pupil list | jq -r '.[0].id')
t "an edit of the first pupil" V "$T/s3" pupil edit "$P" --class 5C
V "$T/s3" store check >/dev/null
cp "$T/s3/store.db" "$T/new.db"; cp "$T/s3/store.db-index" "$T/new.index"
np=$(( $(stat -c %s "$T/old.db") / 4096 )); differ=0; caught=0; named=0; unchanged=0
for p in $(seq 0 $((np - 1))); do
	cmp -s <(dd if="$T/old.db" bs=4096 skip=$p count=1 2>/dev/null) <(dd if="$T/new.db" bs=4096 skip=$p count=1 2>/dev/null) && continue
	differ=$((differ + 1))
	cp "$T/new.db" "$T/s3/store.db"
	dd if="$T/old.db" of="$T/s3/store.db" bs=4096 skip=$p seek=$p count=1 conv=notrunc 2>/dev/null
	cp "$T/s3/store.db" "$T/tampered.db"
	V "$T/s3" store check >/dev/null 2>"$T/err"; rc=$?
	[ "$rc" -eq 3 ] && caught=$((caught + 1))
	[ "$(grep -c . "$T/err")" -eq 1 ] && grep -q "page $((p + 1)) is not the one this store last wrote" "$T/err" && named=$((named + 1))
	cmp -s "$T/s3/store.db" "$T/tampered.db" && cmp -s "$T/s3/store.db-index" "$T/new.index" && unchanged=$((unchanged + 1))
done
t "pages that differ between two states: $differ (at least 3)" test "$differ" -ge 3
t "each one put back alone: store check exit 3 ($caught of $differ)" test "$caught" -eq "$differ"
t "  one line naming the page ($named of $differ)" test "$named" -eq "$differ"
t "  the store and its index unchanged ($unchanged of $differ)" test "$unchanged" -eq "$differ"
cp "$T/old.db" "$T/s3/store.db"
V "$T/s3" pupil list >/dev/null 2>"$T/err"; rc=$?
t "the whole older store.db beside the newer index: exit 3" test "$rc" -eq 3
cp "$T/new.db" "$T/s3/store.db"
rm "$T/s3/store.db-index"
V "$T/s3" pupil list >/dev/null 2>"$T/err"; rc=$?
t "a deleted page index: exit 3" test "$rc" -eq 3
t "  one line: the index is missing" bash -c "[ \$(grep -c . '$T/err') -eq 1 ] && grep -q 'store.db-index is missing' '$T/err'"
t "  and no index is made up" test ! -e "$T/s3/store.db-index"
cp "$T/new.index" "$T/s3/store.db-index"
printf '\x01' | dd of="$T/s3/store.db-index" bs=1 seek=60 conv=notrunc status=none
V "$T/s3" pupil list >/dev/null 2>"$T/err"; rc=$?
t "a changed page index: exit 3, fails authentication" bash -c "[ $rc -eq 3 ] && grep -q 'store.db-index fails authentication' '$T/err'"
cp "$T/new.index" "$T/elsewhere.index"; rm "$T/s3/store.db-index"; ln -s "$T/elsewhere.index" "$T/s3/store.db-index"
V "$T/s3" pupil list >/dev/null 2>"$T/err"; rc=$?
t "a symlink as the page index: exit 3" test "$rc" -eq 3
rm "$T/s3/store.db-index"; cp "$T/new.index" "$T/s3/store.db-index"
t "store and index as they were: store check passes" V "$T/s3" store check
t "  with every pupil" test "$(V "$T/s3" pupil list | grep -c -e Eerste -e Later)" -eq 9

finish
