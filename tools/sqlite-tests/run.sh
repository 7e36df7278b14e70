#!/bin/bash
# run.sh - runs SQLite test files over the default VFS and over the vios VFS
# and compares them.
#
#   tools/sqlite-tests/run.sh TESTFIXTURE SRCDIR OUTDIR LIST EXPLAINED
#
# LIST names test files relative to SRCDIR (test/pager1.test,
# ext/session/session1.test), one a line; '#' starts a comment. Each file
# runs twice with `testfixture FILE --maxerror=100000`, in a directory of its
# own under OUTDIR/run (VIOS_SQLITE_VFS=default, then =vios; see
# vios_init.c), under a timeout of SQLITE_TEST_TIMEOUT seconds (default
# 600), SQLITE_TEST_JOBS at a time (default 2). The closing line "N errors out
# of M tests" gives the counts and "Failures on these tests:" the failed
# cases; a run with no closing line (crash, Tcl error, timeout) counts the
# cases it printed and one failure, the pseudo-case "(aborted)".
#
# A case that fails over the vios VFS and not over the default VFS must be
# explained: EXPLAINED has lines "FILE CASE: reason", FILE a test file's
# name (pager1.test), CASE a case name; both may be shell globs. A failure
# that fails over both VFSs is not a difference. Prints the table (also in
# OUTDIR/table.md), then the closing line
#   sqlite-tests: N cases over the vios VFS, F failures, X unexplained
# and exits 0 only when X is 0 and every file ran over both VFSs.
# SQLITE_TESTS_REPORT_ONLY=1 recomputes the table from the results in OUTDIR
# without running anything (after editing EXPLAINED).
set -u
tf=${1:?usage: run.sh TESTFIXTURE SRCDIR OUTDIR LIST EXPLAINED}
src=${2:?}
out=${3:?}
list=${4:?}
explained=${5:?}
timeout_s=${SQLITE_TEST_TIMEOUT:-600}
jobs=${SQLITE_TEST_JOBS:-2}

mkdir -p "$out"
out=$(cd "$out" && pwd)
tf=$(cd "$(dirname "$tf")" && pwd)/$(basename "$tf")
src=$(cd "$src" && pwd)
if [ "${SQLITE_TESTS_REPORT_ONLY:-0}" != 1 ]; then
	rm -rf "$out/run" "$out/res"
fi
mkdir -p "$out/run" "$out/res"

files=$(sed 's/#.*//' "$list" | awk 'NF { print $1 }')
for f in $files; do
	[ -f "$src/$f" ] || { echo "sqlite-tests: no test file $src/$f" >&2; exit 1; }
done

# run_one MODE FILE: writes OUTDIR/res/MODE.NAME.{log,res}; res holds
# "status errors cases seconds" then one failed case a line.
run_one() {
	local mode=$1 f=$2 name dir log res rc line nerr ncase st t0 secs
	name=$(basename "$f")
	dir="$out/run/$mode/$name"
	log="$out/res/$mode.$name.log"
	res="$out/res/$mode.$name.res"
	mkdir -p "$dir"
	t0=$(date +%s)
	(cd "$dir" && VIOS_SQLITE_VFS=$mode timeout -k 10 "$timeout_s" \
		"$tf" "$src/$f" --maxerror=100000 >"$log" 2>&1 </dev/null)
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	line=$(grep -aE '^[0-9]+ errors out of [0-9]+ tests' "$log" | tail -n1)
	if [ -n "$line" ]; then
		nerr=${line%% *}
		ncase=$(echo "$line" | awk '{ print $5 }')
		echo "ok $nerr $ncase $secs" >"$res"
		grep -a '^!Failures on these tests:' "$log" | tail -n1 |
			sed 's/^!Failures on these tests://' | tr ' ' '\n' | sed '/^$/d' >>"$res"
	else
		ncase=$(grep -acE ' Ok$|^! .* expected: ' "$log")
		nerr=$(grep -acE '^! .* expected: ' "$log")
		st=aborted
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && st=timeout
		echo "$st $((nerr + 1)) $ncase $secs" >"$res"
		grep -aE '^! .* expected: ' "$log" | awk '{ print $2 }' >>"$res"
		echo "(aborted)" >>"$res"
	fi
	rm -rf "$dir"
	echo "  $mode $name: $(head -n1 "$res")" >&2
}
export -f run_one
export tf src out timeout_s

start=$(date +%s)
if [ "${SQLITE_TESTS_REPORT_ONLY:-0}" != 1 ]; then
	for f in $files; do
		printf '%s\n%s\n' "default $f" "vios $f"
	done | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"'
fi
elapsed=$(( $(date +%s) - start ))

# table and verdict
{
	echo "| test file | cases (default) | failures (default) | cases (vios) | failures (vios) | vios-only | explained | seconds (default/vios) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$out/table.md"
: >"$out/unexplained.txt"
: >"$out/explained-used.txt"
tot_c=0; tot_f=0; tot_x=0; tot_dc=0; tot_df=0; tot_only=0; tot_e=0; missing=0
for f in $files; do
	name=$(basename "$f")
	d="$out/res/default.$name.res"
	v="$out/res/vios.$name.res"
	if [ ! -s "$d" ] || [ ! -s "$v" ]; then
		missing=$((missing + 1))
		continue
	fi
	read -r dst dnerr dncase dsec <"$d"
	read -r vst vnerr vncase vsec <"$v"
	# vios-only failures, each matched against EXPLAINED
	counts=$(awk -v file="$name" -v used="$out/explained-used.txt" \
		   -v unexp="$out/unexplained.txt" '
		function glob2re(g,   r, i, c) {
			r = "^"
			for (i = 1; i <= length(g); i++) {
				c = substr(g, i, 1)
				if (c == "*") r = r ".*"
				else if (c == "?") r = r "."
				else if (c ~ /[][\\.^$+(){}|\/]/) r = r "\\" c
				else r = r c
			}
			return r "$"
		}
		FILENAME == ARGV[1] {
			line = $0
			sub(/#.*/, "", line)
			if (line !~ /:/) next
			split(line, kv, ":")
			n = split(kv[1], w, " ")
			if (n != 2) next
			ef[++ne] = glob2re(w[1]); ec[ne] = glob2re(w[2]); eline[ne] = $0
			next
		}
		FILENAME == ARGV[2] { if (FNR > 1) dfail[$0] = 1; next }
		FNR > 1 && !($0 in dfail) && !($0 in seen) {
			seen[$0] = 1
			only++
			for (i = 1; i <= ne; i++)
				if (file ~ ef[i] && $0 ~ ec[i]) {
					expl++
					print file " " $0 " <- " eline[i] >> used
					next
				}
			print file " " $0 >> unexp
		}
		END { printf "%d %d\n", only, expl }
	' "$explained" "$d" "$v")
	read -r only expl <<<"$counts"
	dcol=$dncase; vcol=$vncase
	[ "$dst" = ok ] || dcol="$dncase ($dst)"
	[ "$vst" = ok ] || vcol="$vncase ($vst)"
	echo "| $name | $dcol | $dnerr | $vcol | $vnerr | $only | $expl | ${dsec:-?}/${vsec:-?} |" >>"$out/table.md"
	tot_dc=$((tot_dc + dncase)); tot_df=$((tot_df + dnerr))
	tot_c=$((tot_c + vncase)); tot_f=$((tot_f + vnerr))
	tot_only=$((tot_only + only)); tot_e=$((tot_e + expl))
done
tot_x=$((tot_only - tot_e))
echo "| **total** | $tot_dc | $tot_df | $tot_c | $tot_f | $tot_only | $tot_e | |" >>"$out/table.md"
cat "$out/table.md"
if [ -s "$out/unexplained.txt" ]; then
	echo "unexplained vios-only failures (see tools/sqlite-tests/explained.txt):"
	sed 's/^/  /' "$out/unexplained.txt"
fi
[ "$missing" -eq 0 ] || echo "sqlite-tests: $missing test files did not run over both VFSs" >&2
echo "elapsed: ${elapsed}s"
echo "sqlite-tests: $tot_c cases over the vios VFS, $tot_f failures, $tot_x unexplained"
[ "$tot_x" -eq 0 ] && [ "$missing" -eq 0 ]
