#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build a guest kernel without the debug set (build/guest-bench),
# run tests/guest/bench.c in it, then count the wire bytes again on 6.12's
# udl and gud (build/linux-6.12: 6.12 with the stock fixes that head patches/series, up to 0029, in
# build/guest-bench-6.12), print the tables and plot the cost against
# damage area for both paths into build/out/bench-area.png. The tables also
# go to build/out/bench.txt, the raw figures to build/out/bench.csv,
# build/out/wire.csv and build/out/path.csv (the whole update path of each
# emulated display, and of vkms through writeback, in both kernels, with
# dumb, vgem and bochs buffers, tests/guest/pathbench.c, in BENCH_ROUNDS
# boots of each kernel, 3 by default), plotted into
# build/out/path-area.png (the emulated displays' vgem rows).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" gnuplot-nox
"$TOP/scripts/fetch-base.sh"
export GUEST_OUT=$BUILD/guest-bench GUEST_FRAGS="guest bench" VL_INSTANCE=bench
"$TOP/scripts/guest-build.sh"
TEST_TIMEOUT=${TEST_TIMEOUT:-2400} "$TOP/scripts/guest-run.sh" bench ||
	die "the benchmark failed (see $BUILD/inst-bench/results/guest-console.log)"

RUN=$BUILD/inst-bench
OUTD=$BUILD/out
mkdir -p "$OUTD"
cp "$RUN/guest-share/bench.csv" "$OUTD/bench.csv"
cp "$RUN/guest-share/wire.csv" "$OUTD/wire.csv"
cp "$RUN/guest-share/path.csv" "$OUTD/path.csv"
tables=$(sed -n '/^=== TEST bench$/,/^=== RESULT bench /p' \
	"$RUN/results/guest-console.log" | sed '/^== Wire bytes/,$d' |
	grep -v '^===\|^\[ *[0-9.]*\]\|^using ')

# Wire bytes before the conversion: 6.12's udl and gud, i.e. the series
# up to its last fix of a stock bug (0029) only, in a tree and a kernel of
# their own.
VL_SRC=$BUILD/linux-6.12 VL_SERIES_UPTO=0029 GUEST_OUT=$BUILD/guest-bench-6.12 \
	GUEST_FRAGS=guest "$TOP/scripts/guest-build.sh"
GUEST_OUT=$BUILD/guest-bench-6.12 VL_BENCH=drivers,6.12 \
	TEST_TIMEOUT=${TEST_TIMEOUT:-2400} "$TOP/scripts/guest-run.sh" bench ||
	die "the wire-bytes run on 6.12's drivers failed (see $RUN/results/guest-console.log)"
cat "$RUN/guest-share/wire.csv" >> "$OUTD/wire.csv"
cat "$RUN/guest-share/path.csv" >> "$OUTD/path.csv"

# The whole path again in BENCH_ROUNDS - 1 more boots of each kernel,
# alternating them, so that a slow stretch of the host falls on both:
# the table gives the median over the rounds and the range of the
# rounds' ratios, the spread a ratio has from boot to boot.
rounds=${BENCH_ROUNDS:-3}
for ((r = 2; r <= rounds; r++)); do
	GUEST_OUT=$BUILD/guest-bench VL_BENCH=path,converted \
		TEST_TIMEOUT=${TEST_TIMEOUT:-2400} "$TOP/scripts/guest-run.sh" bench ||
		die "round $r of the whole path on the converted drivers failed (see $RUN/results/guest-console.log)"
	cat "$RUN/guest-share/path.csv" >> "$OUTD/path.csv"
	GUEST_OUT=$BUILD/guest-bench-6.12 VL_BENCH=path,6.12 \
		TEST_TIMEOUT=${TEST_TIMEOUT:-2400} "$TOP/scripts/guest-run.sh" bench ||
		die "round $r of the whole path on 6.12's drivers failed (see $RUN/results/guest-console.log)"
	cat "$RUN/guest-share/path.csv" >> "$OUTD/path.csv"
done
rm -f "$RUN"/area-*.dat
{
	echo "# make bench, $(date -u +%Y-%m-%d), $(nproc) CPUs:" \
		"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)," \
		"guest: QEMU TCG x86_64, no debug options"
	echo "$tables"
	echo
	echo "== Wire bytes on the bulk endpoint for one 64x64 damage clip (median of 7 updates) =="
	awk -F, '{ b[$2] = b[$2] " " $1 "=" $3 }
		 END { for (d in b) print d ":" b[d] }' "$OUTD/wire.csv" |
		sort | awk '{ printf "%-6s", $1;
			      for (i = 2; i <= NF; i++) printf " %18s", $i;
			      print "" }'
	echo
	python3 "$TOP/scripts/path-table.py" "$OUTD/path.csv" "$RUN"
} > "$OUTD/bench.txt"
cat "$OUTD/bench.txt"

# Cost against damage area: one line per path.
awk -F, '$1 == "area" && $2 == "new" { print $6 * $7 * $8, $10 / 1000 }' \
	"$OUTD/bench.csv" > "$RUN/area-new.dat"
awk -F, '$1 == "area" && $2 == "old" { print $6 * $7 * $8, $10 / 1000 }' \
	"$OUTD/bench.csv" > "$RUN/area-old.dat"
gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
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

# The whole path against damage area: DIRTYFB of an imported buffer, per
# display, both kernels.
plots=
for f in "$RUN"/area-converted-*.dat; do
	[ -e "$f" ] || continue
	disp=${f##*/area-converted-}
	disp=${disp%.dat}
	plots+="${plots:+, }\"$f\" with linespoints title \"$disp converted\""
	[ -e "$RUN/area-6.12-$disp.dat" ] &&
		plots+=", \"$RUN/area-6.12-$disp.dat\" with linespoints dashtype 2 title \"$disp 6.12\""
done
[ -n "$plots" ] || die "no whole-path figures in $OUTD/path.csv"
gnuplot <<GP
set terminal pngcairo size 900,560 noenhanced
set output "$OUTD/path-area.png"
set title "DIRTYFB of a PRIME-imported vgem buffer: ioctl until the emulated device has decoded it"
set xlabel "damaged pixels"
set ylabel "ms (median of 7 updates, median of the rounds)"
set logscale xy
set key top left
set grid
plot $plots
GP
msg "plot: $OUTD/path-area.png"
