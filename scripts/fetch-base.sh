#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Download Debian's linux-source-6.12 at the pinned version (or, if the
# archive no longer serves it, the newest 6.12 with a warning) and unpack
# the pristine tree into build/base. Idempotent.
. "$(dirname "$0")/lib.sh"

BASE=$BUILD/base
[ -f "$BASE/.stamp" ] && exit 0

mkdir -p "$CACHE/dl" "$BUILD"
deb=$CACHE/dl/${BASE_PKG}_${BASE_VERSION}_all.deb
[ -f "$deb" ] || deb=
if [ -z "$deb" ]; then
	[ -n "$(apt-cache policy $BASE_PKG 2>/dev/null | grep Candidate)" ] ||
		apt-get update -q
	ver=$BASE_VERSION
	if ! apt-cache madison $BASE_PKG | awk '{print $3}' |
	     grep -qxF "$BASE_VERSION"; then
		ver=$(apt-cache madison $BASE_PKG | awk '{print $3}' |
		      sort -V | tail -n1)
		[ -n "$ver" ] || die "$BASE_PKG is not available from apt"
		printf '\nWARNING: pinned %s %s is no longer served; using %s\n\n' \
			$BASE_PKG "$BASE_VERSION" "$ver" >&2
	fi
	msg "downloading $BASE_PKG=$ver"
	(cd "$CACHE/dl" && apt-get download -q "$BASE_PKG=$ver" 2>&1 |
		grep -v 'unsandboxed' || true)
	deb=$CACHE/dl/${BASE_PKG}_${ver}_all.deb
	[ -f "$deb" ] || die "download of $BASE_PKG=$ver failed"
fi

msg "unpacking $(basename "$deb")"
rm -rf "$BASE" "$BASE.tmp"
mkdir -p "$BASE.tmp"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO ./usr/src/linux-source-6.12.tar.xz |
	tar -xJ -C "$BASE.tmp" --strip-components=1
basename "$deb" > "$BASE.tmp/.stamp"
mv "$BASE.tmp" "$BASE"
