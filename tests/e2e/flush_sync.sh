#!/usr/bin/env bash
# The export's flush makes what it wrote to git durable before it moves the
# ref, and the ref durable before the store forgets the bundles
# (docs/faults.md): a kill cannot show a missing sync, so strace watches the
# order of the writes of one `vios export`, and of the hub's registry commit
# (`hub registry refresh`), which is logged in the hub's store after it.
. "$(dirname "$0")/lib.sh"

nodes "hub hub" "s1 school"
hub_world s1
ID=$(V "$T/s1" --json whoami | jq -r .node_id)
V "$T/s1" trend add --theme weapons --period 2026-11 --level rising >/dev/null
V "$T/s1" signal add --theme vandalism --note "graffiti on the bike shed" >/dev/null
# (LeakSanitizer cannot run under ptrace: a sanitized build leaves it out here)
t "the export runs under strace" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -qq -o "$T/trace" \
	-e trace=syncfs,link,linkat,rename,renameat,renameat2,pwrite64 "$VIOS" --home "$T/s1" export
# order.py TRACE OUTBOX REF WAL: one line per step found, and exit 0 only when
# every object is placed before a sync that comes before the ref's rename, and
# a sync follows that rename before the store's next write
cat >"$T/order.py" <<'PY'
import re, sys
trace, outbox, ref, wal = sys.argv[1:5]
steps = []
for line in open(trace):
    m = re.match(r'\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m or int(m.group(3)) < 0:
        continue
    call, args = m.group(1), m.group(2)
    paths = re.findall(r'"([^"]*)"', args)
    if call == 'syncfs':
        steps.append('sync')
    elif call in ('link', 'linkat', 'rename', 'renameat', 'renameat2') and paths:
        dst = paths[-1]
        if dst.startswith(outbox + '/objects/') and '/tmp_' not in dst and '/pack/' not in dst:
            steps.append('object')
        elif dst == outbox + '/' + ref:
            steps.append('ref')
    elif call == 'pwrite64' and ('<' + wal + '>') in args:
        steps.append('store')
print(' '.join(steps))
if 'ref' not in steps:
    sys.exit('no ref moved')
r = steps.index('ref')
before, after = steps[:r], steps[r + 1:]
if 'object' not in before:
    sys.exit('no object written before the ref moved')
last_obj = len(before) - 1 - before[::-1].index('object')
if 'sync' not in before[last_obj + 1:]:
    sys.exit('the ref moved before the objects were synced')
if 'store' in after and 'sync' not in after[:after.index('store')]:
    sys.exit('the store wrote before the ref was synced')
if 'sync' not in after:
    sys.exit('no sync after the ref moved')
PY
t "the objects are synced before the ref names them, the ref before the store marks the bundles" \
	python3 "$T/order.py" "$T/trace" "$T/s1/outbox.git" "refs/heads/nodes/$ID" "$T/s1/store.db-wal"
t "and the export committed its bundles to the outbox (not sent yet)" bash -c "[ \"\$('$VIOS' --home '$T/s1' --json status | jq .unsent_bundles)\" -ge 1 ]"

OLD=$(git --git-dir "$G" rev-parse refs/heads/registry)
t "the hub's registry refresh runs under strace" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -qq -o "$T/trace-hub" \
	-e trace=syncfs,link,linkat,rename,renameat,renameat2,pwrite64 "$VIOS" --home "$T/hub" hub registry refresh
t "the registry's objects are synced before its ref names them, the ref before the hub's store logs it" \
	python3 "$T/order.py" "$T/trace-hub" "$G" refs/heads/registry "$T/hub/store.db-wal"
t "and the registry moved" bash -c "[ \"\$(git --git-dir '$G' rev-parse refs/heads/registry)\" != '$OLD' ]"
finish
