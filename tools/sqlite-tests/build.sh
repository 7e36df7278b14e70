#!/bin/sh
# build.sh - fetches the Debian source of the SQLite this machine links and
# builds its testfixture with the vios VFS compiled in.
#
#   tools/sqlite-tests/build.sh DIR [BLD]
#
# DIR (e.g. build/sqlite-src) receives the source package (apt-get source,
# unpacked with its Debian patches into DIR/src) and the build (DIR/BLD,
# default bld, from the source tree's own configure and Makefile: `make
# testfixture`, amalgamation build). With SAN=1 in the environment the
# testfixture and the vios objects are compiled with ASan and UBSan (use
# another BLD, e.g. bld-san); the tools the build runs (lemon, mksqlite3c)
# are not. The version is libsqlite3-0's, so the tests are those
# of the library vios links. vios_init.c (with src/store/vfs.c inside), the
# two util files it needs and libsodium are added to the link;
# -DSQLITE_EXTRA_INIT=vios_sqlite_tests_init hooks it into
# sqlite3_initialize(). The testfixture's own flags are kept except the page
# size: 4096 (the only one the VIOS VFS accepts) instead of the suite's 1024.
# Idempotent: a step whose output exists is skipped. Exit 3 when the source
# cannot be fetched (no deb-src, no network); other failures exit 1.
set -eu
dir=${1:?usage: build.sh DIR [BLD]}
bldname=${2:-bld}
root=$(pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
CC=${CC:-cc}
cflags="-g -O2"
san=""
[ "${SAN:-0}" = 1 ] && san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

ver=$(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null) || {
	echo "sqlite-tests: libsqlite3-0 is not installed" >&2; exit 3; }
if [ ! -f "$dir/src/test/tester.tcl" ]; then
	rm -rf "$dir/src" "$dir/dl"
	mkdir -p "$dir/dl"
	if ! (cd "$dir/dl" && apt-get source --download-only "sqlite3=$ver" >"$dir/fetch.log" 2>&1); then
		echo "sqlite-tests: cannot fetch the source of sqlite3 $ver (apt-get source; see $dir/fetch.log)" >&2
		exit 3
	fi
	(cd "$dir/dl" && dpkg-source -x ./*.dsc "$dir/src" >>"$dir/fetch.log" 2>&1) || {
		echo "sqlite-tests: cannot unpack the source of sqlite3 $ver (see $dir/fetch.log)" >&2; exit 1; }
fi

bld="$dir/$bldname"
mkdir -p "$bld"
if [ ! -f "$bld/Makefile" ]; then
	(cd "$bld" && "$dir/src/configure" --enable-session --enable-threadsafe \
		--with-tcl=/usr/lib/tcl8.6 >configure.log 2>&1) || {
		echo "sqlite-tests: configure failed (see $bld/configure.log)" >&2; exit 1; }
fi

(cd "$bld" && make sqlite3.h >make.log 2>&1) || {
	echo "sqlite-tests: make sqlite3.h failed (see $bld/make.log)" >&2; exit 1; }

# the vios side, against the header of the SQLite being tested
vflags="-std=gnu11 $cflags $san -D_GNU_SOURCE -I$bld -I$root/src -I$root $(pkg-config --cflags libsodium)"
for s in tools/sqlite-tests/vios_init.c src/util/error.c src/util/util.c; do
	o="$bld/vios_$(basename "$s" .c).o"
	$CC $vflags -c "$root/$s" -o "$o"
	objs="${objs:-} $o"
done

# testfixture's flags from main.mk/Makefile.in, page size 4096
tf="-DSQLITE_TEST=1 -DSQLITE_CRASH_TEST=1 -DTCLSH_INIT_PROC=sqlite3TestInit"
tf="$tf -DSQLITE_SERVER=1 -DSQLITE_PRIVATE= -DSQLITE_CORE -DBUILD_sqlite"
tf="$tf -DSQLITE_SERIES_CONSTRAINT_VERIFY=1 -DSQLITE_DEFAULT_PAGE_SIZE=4096"
tf="$tf -DSQLITE_ENABLE_STMTVTAB -DSQLITE_ENABLE_DBPAGE_VTAB -DSQLITE_ENABLE_BYTECODE_VTAB"
tf="$tf -DSQLITE_CKSUMVFS_STATIC -DSQLITE_EXTRA_INIT=vios_sqlite_tests_init"
# sanitizers on the testfixture only, not on the build tools (lemon leaks by
# design). UBSan's object-size check stops SQLite 3.40.1's own balance_nonroot
# at savepoint-6.1 over both VFSs ((nNew>nOld ? apNew : apOld)[nOld-1], a
# false positive in SQLite, not in vios); it stays on for the vios objects.
[ -n "$san" ] && tf="$tf $san -fno-sanitize=object-size"
stamp="$bld/vios-objs.stamp"
echo "$tf $cflags $objs" | cat - "$root/src/store/vfs.c" "$root/tools/sqlite-tests/vios_init.c" | cksum >"$stamp.new"
cmp -s "$stamp.new" "$stamp" || rm -f "$bld/testfixture"
(cd "$bld" && make testfixture TESTFIXTURE_FLAGS="$tf" \
	TLIBS="-lm -lz -lpthread -ldl $objs $(pkg-config --libs libsodium)" >>make.log 2>&1) || {
	echo "sqlite-tests: make testfixture failed (see $bld/make.log)" >&2; exit 1; }
mv "$stamp.new" "$stamp"
