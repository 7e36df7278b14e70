#!/bin/sh
# mkdeb.sh - builds DEB_BUILD/../vios_VERSION_ARCH.deb (build/vios_0.1.0_amd64.deb)
# with plain dpkg-deb: no debian/ source tree, no debhelper, no fakeroot.
#
#   VIOS=vios MAKE=make DEB_BUILD=build/deb DEB_MAINTAINER="..." sh packaging/mkdeb.sh
#
# Called by `make deb`. It stages `make install DESTDIR=DEB_BUILD/root
# PREFIX=/usr` (so the package holds exactly what make install installs),
# strips the binary, compresses the man page, adds the copyright file and
# DEBIAN/ (control from packaging/debian/control.in, the maintainer scripts,
# conffiles, md5sums) and builds with --root-owner-group (every file root's).
# VERSION is what the binary says (`vios --version`: VIOS_VERSION in
# src/cli/main.c is its one owner); ARCH is dpkg's. Depends comes from
# dpkg-shlibdeps (dpkg-dev) on the binary, or without it from the fixed list
# FALLBACK_DEPENDS, saying so.
set -eu
: "${VIOS:?}" "${MAKE:=make}" "${DEB_BUILD:=build/deb}"
: "${DEB_MAINTAINER:=vios maintainers <maintainers@vios.invalid>}"
FALLBACK_DEPENDS="libc6, libsqlite3-0, libgit2-1.5, libsodium23, libjansson4, zlib1g"
PREFIX=/usr
P=packaging/debian
case $DEB_BUILD in /*) ;; *) DEB_BUILD=$(pwd)/$DEB_BUILD ;; esac

case $VIOS in /*) ;; *) VIOS=./$VIOS ;; esac
version=$("$VIOS" --version | sed -n 's/^vios \([0-9][0-9A-Za-z.+~-]*\)$/\1/p')
[ -n "$version" ] || { echo "mkdeb: '$VIOS --version' says no version" >&2; exit 1; }
arch=$(dpkg --print-architecture)
out=$(dirname "$DEB_BUILD")/vios_${version}_${arch}.deb
stage=$DEB_BUILD/root

rm -rf "$DEB_BUILD"
mkdir -p "$stage"
"$MAKE" -s --no-print-directory install DESTDIR="$stage" PREFIX=$PREFIX >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage$PREFIX/bin/vios" 2>/dev/null || true
gzip -9n "$stage$PREFIX/share/man/man1/vios.1"
install -m 0644 $P/copyright "$stage$PREFIX/share/doc/vios/copyright"

# Depends
depends=""
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	sd=$DEB_BUILD/shlibdeps
	mkdir -p "$sd/debian"
	printf 'Source: vios\n\nPackage: vios\nArchitecture: any\n' >"$sd/debian/control"
	bin=$stage$PREFIX/bin/vios
	depends=$(cd "$sd" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p') || depends=""
fi
if [ -z "$depends" ]; then
	echo "mkdeb: no dpkg-shlibdeps (dpkg-dev): Depends is the fixed list $FALLBACK_DEPENDS" >&2
	depends=$FALLBACK_DEPENDS
fi

mkdir -p "$stage/DEBIAN"
size=$(du -sk --apparent-size "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$DEB_MAINTAINER|" \
    -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
    $P/control.in >"$stage/DEBIAN/control"
for s in postinst prerm postrm; do
	install -m 0755 $P/$s "$stage/DEBIAN/$s"
done
install -m 0644 $P/conffiles "$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
	xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
