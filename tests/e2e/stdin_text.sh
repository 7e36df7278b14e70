#!/usr/bin/env bash
# stdin_text.sh - personal text stays out of argv: '-' reads standard input,
# or the editor on a terminal (git commit style); the recovery code is asked.
. "$(dirname "$0")/lib.sh"
mk s school
H="$T/s"
C="canary$RANDOM$RANDOM"
count() { V "$H" --json signal list | jq "[.[] | select(.note | test(\"$1\"))] | length"; }

# --note -: the text comes through a pipe; meanwhile nobody's argv holds it
# (the canary is in files, never on a command line of the test's own: grep -f, cat)
printf '%s\n' "$C" >"$T/canary"
printf 'pupil seen near the gate %s\n' "$C" >"$T/text"
( for _ in $(seq 1 60); do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n' | grep -qf "$T/canary" && echo hit; sleep 0.05; done ) >"$T/scan" &
SCAN=$!
(sleep 1; cat "$T/text") | V "$H" signal add --theme nuisance --note - >"$T/id"
wait "$SCAN"
t "--note - records the text from standard input" test "$(count "gate $C")" -eq 1
t "  the trailing newline is dropped" bash -c "V() { '$VIOS' --home \"\$@\"; }; V '$H' --json signal list | jq -e '.[] | select(.note == \"pupil seen near the gate $C\")'"
t "  no process's argv held the text meanwhile" test ! -s "$T/scan"
t "  nor does any file of the home or /dev/shm hold it in plain text" bash -c "! grep -rqs -f '$T/canary' '$H' /dev/shm"
t "--minutes -, --name - and --feedback - read standard input too" bash -c "
	echo 'minutes $C' | '$VIOS' --home '$H' meeting add --kind thematic --date 2026-11-02 --minutes - >/dev/null &&
	'$VIOS' --home '$H' --json meeting list | jq -e '.[] | select(.minutes == \"minutes $C\")' >/dev/null &&
	P=\$(echo 'Sam $C' | '$VIOS' --home '$H' pupil add --name - --class 3B) &&
	'$VIOS' --home '$H' --json pupil list | jq -e '.[] | select(.name == \"Sam $C\")' >/dev/null"
before=$(count .)
printf 'a\n' | V "$H" signal add --theme nuisance --note - --source - 2>"$T/err"; rc=$?
t "two options taking '-': exit 2, one line, nothing recorded" bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$T/err') -eq 1 ] && [ $(count .) -eq $before ]"
head -c 70000 /dev/zero | tr '\0' x | V "$H" signal add --theme nuisance --note - 2>"$T/err"; rc=$?
t "more than 64 KiB on standard input: exit 2, nothing recorded" bash -c "[ $rc -eq 2 ] && grep -q '64 KiB' '$T/err' && [ $(count .) -eq $before ]"
printf 'a\0b' | V "$H" signal add --theme nuisance --note - 2>/dev/null; rc=$?
t "a NUL byte on standard input: exit 2, nothing recorded" bash -c "[ $rc -eq 2 ] && [ $(count .) -eq $before ]"

# the editor, when standard input is a terminal (script(1) gives one)
if command -v script >/dev/null; then
	cat >"$T/ed.sh" <<EOS
#!/bin/sh
stat -c '%a %n' "\$1" >"$T/ed.seen"
sed -i '1s/^/from the editor $C/' "\$1"
EOS
	cat >"$T/ed-empty.sh" <<'EOS'
#!/bin/sh
exit 0
EOS
	cat >"$T/ed-fail.sh" <<'EOS'
#!/bin/sh
echo 'written then abandoned' >"$1"; exit 1
EOS
	chmod +x "$T"/ed*.sh
	EDITOR="$T/ed.sh" script -qec "'$VIOS' --home '$H' signal add --theme alcohol" /dev/null >/dev/null 2>&1
	t "on a terminal a missing --note opens the editor, and its text is recorded" test "$(count "from the editor $C")" -eq 1
	t "  the editor's file was 0600 in memory (tmpfs), and is gone" bash -c "grep -Eq '^600 (/dev/shm|/run)/' '$T/ed.seen' && [ ! -e \"\$(cut -d' ' -f2 '$T/ed.seen')\" ]"
	EDITOR="$T/ed.sh" script -qec "'$VIOS' --home '$H' signal add --theme alcohol --note -" /dev/null >/dev/null 2>&1
	t "  --note - on a terminal opens it too" test "$(count "from the editor $C")" -eq 2
	before=$(count .)
	EDITOR="$T/ed-empty.sh" script -qec "'$VIOS' --home '$H' signal add --theme alcohol" /dev/null >"$T/out" 2>&1; rc=$(grep -c 'text is empty' "$T/out")
	t "an empty text cancels: one line, nothing recorded" bash -c "[ $rc -eq 1 ] && [ $(count .) -eq $before ]"
	EDITOR="$T/ed-fail.sh" script -qec "'$VIOS' --home '$H' signal add --theme alcohol" /dev/null >"$T/out" 2>&1
	t "an editor that fails cancels: nothing recorded" bash -c "grep -q 'editor.*failed' '$T/out' && [ $(count .) -eq $before ]"
	t "  and leaves no file behind" bash -c "! ls -d /dev/shm/vios-edit.* 2>/dev/null | grep -q ."
else
	echo "skip the editor tests: script(1) (bsdutils) is missing"
fi

# the recovery code: asked, or from a file or standard input, never needed on argv
CODE=$(grep -A3 'Recovery code' "$T/s.init" | grep -oE '[A-Z0-9]{4}(-[A-Z0-9]{4}){7}')
t "passphrase recover --recovery-code - reads standard input" bash -c "echo '$CODE' | VIOS_NEW_PASSPHRASE='second pass 22' '$VIOS' --home '$H' passphrase recover --recovery-code -"
printf '%s\n' "$CODE" >"$T/code"; chmod 600 "$T/code"
t "passphrase recover --recovery-code-file FILE" env VIOS_NEW_PASSPHRASE='third pass 333' "$VIOS" --home "$H" passphrase recover --recovery-code-file "$T/code"
t "  the new passphrase opens the node" env VIOS_PASSPHRASE='third pass 333' "$VIOS" --home "$H" whoami
VIOS_NEW_PASSPHRASE='x pass 4444' "$VIOS" --home "$H" passphrase recover </dev/null 2>"$T/err"; rc=$?
t "without a code and without a terminal: exit 1, one line saying how" bash -c "[ $rc -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'recovery-code-file' '$T/err'"
if command -v script >/dev/null; then
	(sleep 1; printf '%s\r' "$CODE") | VIOS_NEW_PASSPHRASE='fourth pass 4444' script -qec "'$VIOS' --home '$H' passphrase recover" /dev/null >"$T/out" 2>&1
	t "on a terminal the code is asked (and not echoed)" bash -c "grep -q 'Recovery code:' '$T/out' && ! grep -q '$CODE' '$T/out' && VIOS_PASSPHRASE='fourth pass 4444' '$VIOS' --home '$H' whoami"
fi
finish
