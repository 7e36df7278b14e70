#!/bin/sh
# run.sh - runs every unit test binary and every end-to-end script, then
# prints one closing line "check: N passed, M failed".
#
# Environment (set by the Makefile): VIOS = the vios binary under test,
# BUILD = the build directory holding tests/test_* and tools/t_*.
# Run from the repository root. Exit status 0 only when nothing failed.
set -u
: "${VIOS:?}" "${BUILD:?}"
export VIOS BUILD
if [ "${SAN:-0}" = 1 ]; then
	LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
	export LSAN_OPTIONS
fi
passed=0
failed=0
failures=""
out=$(mktemp /tmp/vios-check.XXXXXX)
trap 'rm -f "$out"' EXIT

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	passed=$((passed + ${p:-0}))
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + ${f:-1}))
		failures="$failures $name"
	fi
done

for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	bash "$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^e2e .*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out" | tail -n1)
	f=$(sed -n 's/^e2e .*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out" | tail -n1)
	passed=$((passed + ${p:-0}))
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + ${f:-1}))
		[ "${f:-1}" -eq 0 ] && failed=$((failed + 1))
		failures="$failures $name"
	fi
done

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

[ -n "$failures" ] && echo "failing:$failures"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
