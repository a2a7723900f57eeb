#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# After `guest-run.sh run`: convert the frames the guest's vkms demo
# captured (PPM, in the 9p share) into PNG files under build/out/, copy the
# PNGs the USB display demos wrote (<display>-NNN.png, what each emulated
# device showed) next to them, list them and print the demos' DEMO summary
# lines from the console log. VL_INSTANCE=NAME: that instance's share and
# log, into build/inst-NAME/out/.
. "$(dirname "$0")/lib.sh"

RUN=$BUILD${VL_INSTANCE:+/inst-$VL_INSTANCE}
FRAMES=$RUN/guest-share/frames
OUTD=$RUN/out
LOG=$RUN/results/guest-console.log
TOOLS=$BUILD/tools
make -s -C "$TOP/tests/tools" O="$TOOLS" all
mkdir -p "$OUTD"
# only the frames of an earlier run: make bench writes here too
rm -f "$OUTD"/frame-[0-9]*.png "$OUTD"/{udl,gm12u320,gud}-[0-9]*.png

# "PREFIX: N frames, FIRST .. LAST" for the PNGs of one demo
list() {
	local files=("$OUTD/$1"-[0-9]*.png)

	[ -e "${files[0]}" ] || return 0
	echo "$1: ${#files[@]} frames, ${files[0]} .. $(basename "${files[-1]}")"
}

n=0
for f in "$FRAMES"/*.ppm; do
	[ -e "$f" ] || break
	"$TOOLS/ppm2png" "$f" "$OUTD/$(basename "${f%.ppm}").png"
	n=$((n + 1))
done
[ $n -gt 0 ] || die "the guest wrote no frames (see $LOG)"
list frame
for d in udl gm12u320 gud; do
	for f in "$FRAMES/$d"-[0-9]*.png; do
		[ -e "$f" ] || break
		cp "$f" "$OUTD/"
		n=$((n + 1))
	done
	list "$d"
done
msg "$n frames written to $OUTD/"
grep '^DEMO ' "$LOG" || true
