#!/bin/sh
# run.sh - runs every unit test binary and the end-to-end scripts (every
# one with VIOS_CHECK_ALL=1, below), then prints one closing line
# "check: N passed, M failed" (with how many long scripts it left out).
#
# Environment (set by the Makefile): VIOS = the vios binary under test,
# BUILD = the build directory holding tests/test_* and tools/t_*.
# Run from the repository root. Exit status 0 only when nothing failed.
#
# The unit test binaries and the end-to-end scripts run VIOS_CHECK_JOBS at a
# time (default 2), each in its own sandbox (lib.sh, or the binary's own
# mkdtemp directories), its output captured to a file of its own and printed
# whole when it finishes; the counting is the same as one at a time.
# The scripts in E2E_SERIAL time what they check (gitbomb: each refusal
# under 5 s; hardening2: a refused vault at once, under 1 s; freshness: a
# registry valid 2 seconds; network: syncs that end within a timeout while a
# record command runs at once): they run after the others, alone, as before.
# E2E_FIRST names the longest jobs (scripts, and unit binaries test_*), started first.
# Scripts that start a git daemon pick a random port and retry, so two of
# them can run side by side.
#
# VIOS_CHECK_E2E_ONLY=1 runs the end-to-end scripts alone (no unit binaries,
# no SQLite quick subset): for timing them (with VIOS_CHECK_ALL=1, the long
# ones too).
#
# `make check` (VIOS_CHECK_ALL unset) leaves out the scripts in E2E_LONG, so
# it stays within ten minutes on a 2-core machine, and says how many it left
# out; `make check-all` (VIOS_CHECK_ALL=1, what CI runs) runs every script.
# Each job's time is printed after its output ("NAME: N s").
set -u
: "${VIOS:?}" "${BUILD:?}"
export VIOS BUILD
if [ "${SAN:-0}" = 1 ]; then
	LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
	export LSAN_OPTIONS
fi
E2E_SERIAL="gitbomb hardening2 freshness network"
# the longest jobs here, from about 30 s each (the rest of the sync story,
# attacks, servers, browsers); make check keeps bundles (stock age and
# minisign read what vios seals), hardening2 and json, each about as long
E2E_LONG="lifecycle mandate_attacks replication diskfull secrets audit epochs web_browser restore mandate_cli web_school erase consent network hub_repack field_scope chain report_attack web_security ssh https gitbomb freshness"
E2E_FIRST="lifecycle report_attack test_audit test_bundle mandate_attacks replication restore bundles mandate_cli audit test_crdt test_store test_node"
jobs=${VIOS_CHECK_JOBS:-2}
case $jobs in ''|*[!0-9]*|0) echo "run.sh: VIOS_CHECK_JOBS must be a number from 1, not '$jobs'" >&2; exit 2 ;; esac
e2e_only=${VIOS_CHECK_E2E_ONLY:-0}
all=${VIOS_CHECK_ALL:-0}
long_left=0
passed=0
failed=0
failures=""
out=$(mktemp /tmp/vios-check.XXXXXX)
e2e=$(mktemp -d /tmp/vios-check-e2e.XXXXXX)
trap 'rm -rf "$out" "$e2e"' EXIT

# count_e2e NAME FILE RC: prints a script's output whole and counts it
count_e2e() {
	cat "$2"
	p=$(sed -n 's/^e2e .*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$2" | tail -n1)
	f=$(sed -n 's/^e2e .*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$2" | tail -n1)
	passed=$((passed + ${p:-0}))
	if [ "$3" -ne 0 ]; then
		failed=$((failed + ${f:-1}))
		[ "${f:-1}" -eq 0 ] && failed=$((failed + 1))
		failures="$failures $1"
	fi
}

# count_unit NAME FILE RC: prints a unit binary's (cmocka) output whole and counts it
count_unit() {
	cat "$2"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	passed=$((passed + ${p:-0}))
	if [ "$3" -ne 0 ]; then
		failed=$((failed + ${f:-1}))
		failures="$failures $1"
	fi
}

# job_name JOB: a unit binary's name (test_x) or a script's (x)
job_name() { n=${1##*/}; n=${n%.sh}; }

# run_timed JOB FILE: runs one job (a script, or a unit binary) with its
# output and then its time ("NAME: N s", NAME as job_name gives it) in FILE;
# returns the job's status
run_timed() {
	t0=$(date +%s)
	case $1 in
	*.sh) bash "$1" >"$2" 2>&1 ;;
	*) "$1" >"$2" 2>&1 ;;
	esac
	rc=$?
	job_name "$1"
	echo "$n: $(( $(date +%s) - t0 )) s" >>"$2"
	return $rc
}

# e2e_worker JOB...: takes each job (an e2e script or a unit test binary) no
# other worker took (mkdir is atomic) and runs it; NAME.rc appears, whole,
# when NAME.out is complete
e2e_worker() {
	for t in "$@"; do
		job_name "$t"
		mkdir "$e2e/$n.taken" 2>/dev/null || continue
		run_timed "$t" "$e2e/$n.out"
		echo $? >"$e2e/$n.rc.new" && mv "$e2e/$n.rc.new" "$e2e/$n.rc"
	done
}

# the parallel ones: the unit test binaries and the e2e scripts, E2E_FIRST
# first (the longest: the workers then end close together), the rest in
# name order
units=""
if [ "$e2e_only" != 1 ]; then
	for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && units="$units $t"; done
fi
parallel=""
serial=""
left=0
long_seen=""
for t in $(for n in $E2E_FIRST; do case $n in test_*) echo "$BUILD/tests/$n" ;; *) echo "tests/e2e/$n.sh" ;; esac; done) $units tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	case $t in */lib.sh) continue ;; esac # sourced by the scripts, no test
	# the long ones only in make check-all
	if [ "$all" != 1 ]; then
		case " $E2E_LONG " in *" $(basename "$t" .sh) "*)
			case " $long_seen " in *" $t "*) ;; *) long_seen="$long_seen $t"; long_left=$((long_left + 1)) ;; esac
			continue ;;
		esac
	fi
	# not the serial scripts, nothing twice, and a unit binary only when
	# the unit binaries run (each test is on $t itself: matching the list
	# let the first unit binary in it drop every script after it)
	case " $E2E_SERIAL " in *" $(basename "$t" .sh) "*) continue ;; esac
	case " $parallel " in *" $t "*) continue ;; esac
	case $t in */tests/test_*) case " $units " in *" $t "*) ;; *) continue ;; esac ;; esac
	parallel="$parallel $t"
	left=$((left + 1))
done
for n in $E2E_SERIAL; do
	[ -f "tests/e2e/$n.sh" ] || continue
	if [ "$all" != 1 ]; then
		case " $E2E_LONG " in *" $n "*) continue ;; esac
	fi
	serial="$serial tests/e2e/$n.sh"
done
pids=""
i=0
while [ "$i" -lt "$jobs" ]; do
	e2e_worker $parallel &
	pids="$pids $!"
	i=$((i + 1))
done
# print each script as it finishes, until every one has or no worker is left
while [ "$left" -gt 0 ]; do
	alive=0
	for w in $pids; do kill -0 "$w" 2>/dev/null && alive=1; done
	for t in $parallel; do
		job_name "$t" # no process per script per poll
		[ -f "$e2e/$n.rc" ] && [ ! -e "$e2e/$n.counted" ] || continue
		case $t in
		*.sh) count_e2e "$n" "$e2e/$n.out" "$(cat "$e2e/$n.rc")" ;;
		*) count_unit "$n" "$e2e/$n.out" "$(cat "$e2e/$n.rc")" ;;
		esac
		: >"$e2e/$n.counted"
		left=$((left - 1))
	done
	[ "$left" -gt 0 ] || break
	[ "$alive" = 1 ] || break
	sleep 0.5
done
wait
for t in $parallel; do
	job_name "$t"
	[ -e "$e2e/$n.counted" ] && continue
	echo "$n: did not finish (its worker stopped)"
	failed=$((failed + 1))
	failures="$failures $n"
done
for t in $serial; do
	n=$(basename "$t" .sh)
	run_timed "$t" "$out"
	count_e2e "$n" "$out" $?
done

if [ "$e2e_only" != 1 ]; then
# SQLite's own tests over the vios VFS, the quick subset
# (tools/sqlite-tests/quick.list; `make sqlite-tests` runs the full list).
# Skipped, saying so, only when the SQLite source cannot be fetched.
sq_src=${SQLITE_SRC:-build/sqlite-src}
sq_bld=bld
[ "${SAN:-0}" = 1 ] && sq_bld=bld-san
if sh tools/deps.sh sqlite-tests >"$out" 2>&1; then
	sh tools/sqlite-tests/build.sh "$sq_src" "$sq_bld" >>"$out" 2>&1
	rc=$?
else
	rc=3 # no tcl8.6-dev/dpkg-dev or no deb-src entries: nothing to fetch with
fi
if [ "$rc" -eq 3 ]; then
	cat "$out"
	echo "sqlite-tests quick: SKIPPED, the SQLite source could not be fetched (apt-get source sqlite3)"
elif [ "$rc" -ne 0 ]; then
	cat "$out"
	echo "sqlite-tests quick: cannot build the testfixture"
	failed=$((failed + 1))
	failures="$failures sqlite-tests"
else
	bash tools/sqlite-tests/run.sh "$sq_src/$sq_bld/testfixture" "$sq_src/src" \
		"${BUILD}/sqlite-tests-quick" tools/sqlite-tests/quick.list \
		tools/sqlite-tests/explained.txt >"$out" 2>&1
	rc=$?
	cat "$out"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures sqlite-tests"
	fi
fi
fi

[ -n "$failures" ] && echo "failing:$failures"
if [ "$long_left" -gt 0 ]; then
	echo "check: $passed passed, $failed failed ($long_left long end-to-end scripts not run: make check-all runs them)"
else
	echo "check: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
