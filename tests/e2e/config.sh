#!/usr/bin/env bash
# config.sh - vios config: settings in the home, checked when set and when read, no passphrase.
. "$(dirname "$0")/lib.sh"
mk s school
H="$T/s"
t "list shows the timeouts with their defaults" bash -c "'$VIOS' --home '$H' config list | grep -q '^net.connect_timeout *30 *(default)'"
t "set a timeout without a passphrase" env -u VIOS_PASSPHRASE "$VIOS" --home "$H" config set net.connect_timeout 5
t "  get reads it back" bash -c "[ \"\$('$VIOS' --home '$H' config get net.connect_timeout)\" = 5 ]"
t "  the file is 0600" bash -c "[ \"\$(stat -c %a '$H/config.json')\" = 600 ]"
cp "$H/config.json" "$T/before"
"$VIOS" --home "$H" config set net.connect_timeout 0 2>"$T/err"; rc=$?
t "a value out of bounds: exit 2" test "$rc" -eq 2
t "  one line naming the key and the bounds" bash -c "[ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'net.connect_timeout.*1 to 3600' '$T/err'"
t "  the file is unchanged" cmp "$H/config.json" "$T/before"
"$VIOS" --home "$H" config set net.no_such 1 2>"$T/err"; rc=$?
t "an unknown key: exit 2, one line" bash -c "[ $rc -eq 2 ] && [ \$(wc -l <'$T/err') -eq 1 ]"
tf "a bad option is a usage error" "$VIOS" --home "$H" config get --bogus net.idle_timeout
t "unset goes back to the default" bash -c "'$VIOS' --home '$H' config unset net.connect_timeout && [ \"\$('$VIOS' --home '$H' config get net.connect_timeout)\" = 30 ]"
t "--json get" bash -c "'$VIOS' --home '$H' --json config get net.idle_timeout | jq -e '.value == \"120\"'"
# a hand-edited file with a bad value is refused when read, naming the key
printf '{"format":"vios-config-1","settings":{"net.idle_timeout":"soon"}}' >"$H/config.json"
"$VIOS" --home "$H" config get net.idle_timeout 2>"$T/err"; rc=$?
t "a bad value in the file is refused when read (exit 3)" bash -c "[ $rc -eq 3 ] && grep -q \"net.idle_timeout\" '$T/err'"
printf '{"format":"vios-config-9","settings":{}}' >"$H/config.json"
tf "another format is refused" "$VIOS" --home "$H" config list
rm -f "$H/config.json"
tf "a home that is not a node's is refused" "$VIOS" --home "$T/nothere" config list
t "  and nothing is created there" test ! -e "$T/nothere"
finish
