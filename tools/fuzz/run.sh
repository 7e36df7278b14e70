#!/bin/sh
# run.sh - runs libFuzzer targets one after the other (used by `make fuzz`).
#
#   sh tools/fuzz/run.sh BUILD_DIR SECONDS RUNS BUILD_DIR/fuzz_<target>...
#
# Each target starts from a fresh copy of its seed corpus
# tests/resources/fuzz/<target>/, of its kept corpus
# tests/resources/fuzz/corpus/<target>/ and of its regression inputs
# tests/resources/fuzz/regress/<target>/ in BUILD_DIR/corpus/<target> (new
# inputs libFuzzer finds go there, so tests/resources stays clean). A target
# stops after SECONDS (-max_total_time) or, when RUNS is not 0, after RUNS
# executions (-runs; SECONDS 0 then means no time limit), whichever comes
# first, and leaves any crashing input in BUILD_DIR/artifacts/<target>/. One
# line per target: executions, seconds, executions per second, corpus files
# before/after, and the finding. Exit status 1 when any target crashed, leaked
# or timed out; the log of each run is BUILD_DIR/logs/<target>.log.
set -u
[ $# -ge 4 ] || { echo "usage: tools/fuzz/run.sh BUILD_DIR SECONDS RUNS FUZZER..." >&2; exit 2; }
dir=$1
secs=$2
runs=$3
shift 3
case "$secs$runs" in
*[!0-9]*) echo "run.sh: SECONDS and RUNS are whole numbers (got '$secs', '$runs')" >&2; exit 2 ;;
esac
[ "$secs" -gt 0 ] || [ "$runs" -gt 0 ] || { echo "run.sh: SECONDS or RUNS must be more than 0" >&2; exit 2; }
res=tests/resources/fuzz
failed=""

limits="-max_total_time=$secs"
[ "$runs" -gt 0 ] && limits="$limits -runs=$runs"

printf '%-16s %12s %6s %8s %8s %8s  %s\n' target executions secs "execs/s" "start" "corpus" finding
for bin in "$@"; do
	name=$(basename "$bin")
	t=${name#fuzz_}
	corpus="$dir/corpus/$t"
	art="$dir/artifacts/$t"
	log="$dir/logs/$t.log"
	rm -rf "$corpus" "$art"
	mkdir -p "$corpus" "$art" "$dir/logs"
	for src in "$res/$t" "$res/corpus/$t" "$res/regress/$t"; do
		[ -d "$src" ] && find "$src" -maxdepth 1 -type f ! -name README.md -exec cp {} "$corpus"/ \;
	done
	seeds=$(ls "$corpus" | wc -l)
	start=$(date +%s)
	# -rss_limit_mb: the payload reader may hold a 256 MiB decompressed
	# payload (its bound) besides ASan's shadow memory.
	# shellcheck disable=SC2086
	"$bin" $limits -print_final_stats=1 -rss_limit_mb=4096 -timeout=60 \
		-artifact_prefix="$art/" "$corpus" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	wall=$((end - start))
	rate="?"
	[ -n "$execs" ] && rate=$((execs / (wall > 0 ? wall : 1)))
	found=$(ls "$art" | tr '\n' ' ')
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		finding="FOUND (exit $rc): ${found:-see $log}"
		failed="$failed $t"
	else
		finding="nothing"
	fi
	printf '%-16s %12s %6s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "$wall" "$rate" "$seeds" "$(ls "$corpus" | wc -l)" "$finding"
done
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed (inputs in $dir/artifacts/<target>/, logs in $dir/logs/)"
	exit 1
fi
echo "fuzz: no findings"
