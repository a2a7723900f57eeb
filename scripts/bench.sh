#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build a guest kernel without the debug set (build/guest-bench),
# run tests/guest/bench.c in it, print the tables and plot the cost against
# damage area for both paths into build/out/bench-area.png. The tables also
# go to build/out/bench.txt, the raw figures to build/out/bench.csv.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" gnuplot-nox
"$TOP/scripts/fetch-base.sh"
export GUEST_OUT=$BUILD/guest-bench GUEST_FRAGS=guest VL_INSTANCE=bench
"$TOP/scripts/guest-build.sh"
TEST_TIMEOUT=${TEST_TIMEOUT:-1200} "$TOP/scripts/guest-run.sh" bench ||
	die "the benchmark failed (see $BUILD/inst-bench/results/guest-console.log)"

RUN=$BUILD/inst-bench
OUTD=$BUILD/out
mkdir -p "$OUTD"
cp "$RUN/guest-share/bench.csv" "$OUTD/bench.csv"
{
	echo "# make bench, $(date -u +%Y-%m-%d), $(nproc) CPUs:" \
		"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)," \
		"guest: QEMU TCG x86_64, no debug options"
	sed -n '/^=== TEST bench$/,/^=== RESULT bench /p' \
		"$RUN/results/guest-console.log" |
		grep -v '^===\|^\[ *[0-9.]*\]'
} > "$OUTD/bench.txt"
cat "$OUTD/bench.txt"

# Cost against damage area: one line per path.
awk -F, '$1 == "area" && $2 == "new" { print $6 * $7 * $8, $10 / 1000 }' \
	"$OUTD/bench.csv" > "$RUN/area-new.dat"
awk -F, '$1 == "area" && $2 == "old" { print $6 * $7 * $8, $10 / 1000 }' \
	"$OUTD/bench.csv" > "$RUN/area-old.dat"
gnuplot <<GP
set terminal pngcairo size 800,500
set output "$OUTD/bench-area.png"
set title "One damage clip on a PRIME-imported 1920x1080 XRGB8888 buffer"
set xlabel "damaged pixels"
set ylabel "time per update (us, median)"
set logscale xy
set key top left
set grid
plot "$RUN/area-old.dat" with linespoints title "6.12 shadow-plane path (pin + vmap per update)", \
     "$RUN/area-new.dat" with linespoints title "damage-blit helper (vmap_local)"
GP
msg "plot: $OUTD/bench-area.png; tables: $OUTD/bench.txt"
