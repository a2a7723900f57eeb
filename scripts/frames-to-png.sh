#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Convert the frames the guest's demo captured (PPM, in the 9p share) into
# PNG files under build/out/ and print their paths.
. "$(dirname "$0")/lib.sh"

TOOLS=$BUILD/tools
make -s -C "$TOP/tests/tools" O="$TOOLS" all
rm -rf "$BUILD/out"
mkdir -p "$BUILD/out"
n=0
for f in "$BUILD"/guest-share/frames/*.ppm; do
	[ -e "$f" ] || break
	png=$BUILD/out/$(basename "${f%.ppm}").png
	"$TOOLS/ppm2png" "$f" "$png"
	echo "$png"
	n=$((n + 1))
done
[ $n -gt 0 ] || die "the guest wrote no frames (see build/results/guest-console.log)"
msg "$n frames written to $BUILD/out/"
