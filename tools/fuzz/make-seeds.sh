#!/bin/sh
# make-seeds.sh - regenerates the fuzz seed corpora in tests/resources/fuzz/<target>/
# (see tests/resources/fuzz/README.md). Builds the library into $BUILD
# (default build/seeds) with the ordinary compiler, builds
# tools/fuzz/make_seeds.c against it and runs it. The regression inputs in
# tests/resources/fuzz/regress/ are left alone.
#
#   sh tools/fuzz/make-seeds.sh
set -eu
cd "$(dirname "$0")/../.."
B=${BUILD:-build/seeds}
OUT=tests/resources/fuzz
PKGS="sqlite3 libgit2 libsodium zlib jansson"

make -s BUILD="$B" "$B/libvios.a"
mkdir -p "$B/tools/fuzz"
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_PREUPDATE_HOOK \
	-Isrc -Isync -I. $(pkg-config --cflags $PKGS) -O1 -g \
	-o "$B/tools/fuzz/make_seeds" tools/fuzz/make_seeds.c "$B/libvios.a" $(pkg-config --libs $PKGS)
for t in bundle_header bundle_payload age minisign enroll covenant registry_node vfs vault; do
	rm -rf "${OUT:?}/$t"
done
"$B/tools/fuzz/make_seeds" "$OUT" tests/resources/age
