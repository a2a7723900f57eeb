#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest test programs and the initramfs, boot the guest kernel in
# QEMU (software emulation) and collect the results.
#
#   guest-run.sh test [NAME...]   run the guest tests (default: all listed
#                                 in tests/guest/tests)
#   guest-run.sh run              run the demos (vkms, then each emulated USB
#                                 display); frames for build/out/
#   guest-run.sh bench            run the benchmark (build/guest-share/bench.csv)
#
# The console log goes to build/results/guest-console.log. Every test's
# result line is read from it, and the whole log is scanned for kernel
# splats: a splat fails the test that was running when it was printed (or
# the boot). A test that hangs is killed in the guest after its timeout;
# if the guest itself stops answering, QEMU is killed and every test
# without a result fails. Writes build/results/guest.txt ("NAME PASS|FAIL").
#
# A test listed as "[ARGS] NAME" in tests/guest/tests needs ARGS on the
# kernel command line (vl.timeout=N among them sets its boot's per-test
# timeout, for tests that take longer than TEST_TIMEOUT): the tests with
# the same ARGS run in a boot of their
# own after the main one, with the console log guest-console.TAG.log (TAG:
# ARGS with each character but letters, digits, '.' and '-' made '_'). Their
# results join guest.txt, where that boot's own checks carry "[ARGS]" (e.g.
# "kmemleak[swiotlb=1024,force]"); until a boot has run, guest.txt lists its
# tests as failed.
#
# VL_INSTANCE=NAME keeps this run's files (programs, initramfs, share,
# monitor socket, results) under build/inst-NAME, so that several guests
# can run side by side from one built kernel, e.g. while developing.
# GUEST_OUT=DIR boots the kernel built there by guest-build.sh.
. "$(dirname "$0")/lib.sh"

MODE=${1:-test}
shift || true
OUT=${GUEST_OUT:-$BUILD/guest}
RUN=$BUILD${VL_INSTANCE:+/inst-$VL_INSTANCE}
RES=$RUN/results
PROGS=$RUN/guest-progs
ROOT=$RUN/initramfs
SHARE=$RUN/guest-share
CPIO=$RUN/initramfs.cpio
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
FRAMES=${FRAMES:-24}
# frames of the demo on each emulated USB display (udl takes ~4 s a frame)
USB_FRAMES=${USB_FRAMES:-8}
mkdir -p "$RES" "$PROGS"

# tests/guest/tests: NAME or "[ARGS] NAME" a line; args[NAME] = ARGS
declare -A args=()
listed=()
while read -r line; do
	case "$line" in ''|'#'*) continue;; esac
	if [[ $line =~ ^\[([^]]+)\][[:space:]]+([^[:space:]]+)$ ]]; then
		args[${BASH_REMATCH[2]}]=${BASH_REMATCH[1]}
		listed+=("${BASH_REMATCH[2]}")
	elif [[ $line =~ ^[^][:space:]]+$ ]]; then
		listed+=("$line")
	else
		die "tests/guest/tests: cannot read '$line'"
	fi
done < "$TOP/tests/guest/tests"

if [ "$MODE" = run ]; then
	tests=(demo udl_demo gm12u320_demo gud_demo)
elif [ "$MODE" = bench ]; then
	tests=(bench)
elif [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=("${listed[@]}")
fi

# --- test programs and initramfs ------------------------------------------
make -s -C "$TOP/tests/guest" O="$PROGS" all >&2
rm -rf "$ROOT" "$SHARE"
mkdir -p "$ROOT"/{bin,tests/bin,proc,sys,dev,tmp,out} "$SHARE"
cp /bin/busybox "$ROOT/bin/busybox"
cp "$TOP/tests/guest/init.sh" "$ROOT/init"
chmod 755 "$ROOT/init"
find "$PROGS" -maxdepth 1 -type f -perm -u+x -exec cp {} "$ROOT/tests/bin/" \;
(cd "$ROOT" && find . | cpio -o -H newc --quiet) > "$CPIO"

# --- one boot --------------------------------------------------------------
# boot_guest ARGS NAME...: boot with ARGS added to the kernel command line,
# run the tests NAME..., write their results to $BOOT_RES; 1 if any failed.
boot_guest() {
	local extra=$1 tag='' sfx='' list append budget start qpid qrc f t
	shift
	local tests=("$@")

	if [ -n "$extra" ]; then
		tag=.$(printf '%s' "$extra" | tr -c 'A-Za-z0-9.-' _)
		sfx="[$extra]"
	fi
	IFS=, ; list="${tests[*]}"; unset IFS
	# ARGS may give the boot's tests a longer timeout: vl.timeout=N.
	local timeout=$TEST_TIMEOUT
	[[ " $extra " =~ \ vl\.timeout=([0-9]+)\  ]] && timeout=${BASH_REMATCH[1]}
	# GUEST_APPEND's comes first on the command line, so /init takes it
	[[ " ${GUEST_APPEND:-} " =~ \ vl\.timeout=([0-9]+)\  ]] &&
		timeout=${BASH_REMATCH[1]}
	append="console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7"
	# watchdog_thresh=60: the soft-lockup report comes after 120 s, not 20.
	# The guest runs under TCG, and a host that stops QEMU's threads for
	# 20 s makes every guest CPU report a soft lockup on resume, even an
	# idle one (seen in CI: "soft lockup - CPU#0 stuck for 25s!
	# [swapper/0:0]" in default_idle; a SIGSTOP of QEMU for 25 s gives the
	# same two reports). A real lockup still shows, before the test's
	# vl.timeout (180 s or more), and a stalled call still fails the
	# stress tests' own hang check.
	append+=" watchdog_thresh=60"
	append+=" kasan.fault=report ${GUEST_APPEND:-}"
	[[ " $extra " =~ \ vl\.timeout= ]] || append+=" vl.timeout=$timeout"
	append+="${extra:+ $extra}"
	if [ "$MODE" = run ]; then
		append+=" vl.mode=run vl.frames=$FRAMES vl.usbframes=$USB_FRAMES"
		budget=$(( ${#tests[@]} * (timeout + 10) + 300))
	elif [ "$MODE" = bench ]; then
		append+=" vl.mode=bench${VL_BENCH:+ vl.bench=$VL_BENCH}"
		budget=$((timeout + 300))
	else
		append+=" vl.tests=$list"
		budget=$(( (${#tests[@]} + 1) * (timeout + 10) + 300))
	fi

	LOG=$RES/guest-console$tag.log
	msg "booting guest (${MODE}: ${list:-demo}${extra:+; with $extra}); console: $LOG"
	start=$(date +%s)
	MON=$RUN/qemu-monitor.sock
	rm -f "$MON" "$LOG"
	: > "$LOG"
	set +e
	timeout -k 10 "$budget" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
		-display none -vga std -no-reboot \
		-monitor "unix:$MON,server=on,wait=off" \
		-serial "file:$LOG" \
		-kernel "$OUT/arch/x86/boot/bzImage" -initrd "$CPIO" \
		-append "$append" \
		-virtfs "local,path=$SHARE,mount_tag=vlout,security_model=none,id=vlout" \
		< /dev/null &
	qpid=$!

	# A guest test asks for a screendump of the emulated display by
	# printing "=== SCREENDUMP FILE"; the host writes FILE into the
	# share, then FILE.done, which the test waits for.
	local done_dumps=" "
	while kill -0 $qpid 2>/dev/null; do
		for f in $(tr -d '\r' < "$LOG" | sed -n 's/^=== SCREENDUMP \([A-Za-z0-9_.-]*\)$/\1/p'); do
			case "$done_dumps" in *" $f "*) continue;; esac
			done_dumps+="$f "
			"$TOP/scripts/qemu-monitor.py" "$MON" screendump "$SHARE/$f" >&2 ||
				echo "guest: screendump $f failed" >&2
			touch "$SHARE/$f.done"
		done
		sleep 1
	done
	wait $qpid
	qrc=$?
	sed -i "s/\r$//" "$LOG"
	set -e
	msg "guest ran $(( $(date +%s) - start ))s (qemu exit $qrc)"
	[ $qrc -eq 124 ] && echo "guest: QEMU killed after ${budget}s" >&2

	# results
	SPLATS=$RES/guest-splats$tag.txt
	"$TOP/scripts/splat-scan.py" "$LOG" > "$SPLATS" || true
	cat "$SPLATS" >&2
	"$TOP/scripts/guest-results.py" "$LOG" "$SPLATS" "$BOOT_RES" "$sfx" \
		"${tests[@]}"
	if grep -q ' FAIL$' "$BOOT_RES"; then
		echo "guest: failing tests; console log: $LOG" >&2
		for t in $(awk '$2 == "FAIL" {print $1}' "$BOOT_RES"); do
			t=${t%"$sfx"}
			echo "---- console output of $t ----" >&2
			sed -n "/^=== TEST $t\$/,/^=== RESULT $t /p" "$LOG" |
				tail -n 40 >&2
		done
		return 1
	fi
}

# --- the boots ---------------------------------------------------------------
# A kernel with kmemleak runs its scan as a test that must report.
VL_KMEMLEAK=$(sed -n 's/^CONFIG_DEBUG_KMEMLEAK=//p' "$OUT/.config")
export VL_KMEMLEAK
# The tests without ARGS in the main boot, first; then one boot per ARGS,
# in the order of the list. A boot's key is "+ARGS" ("+": the main one).
boots=()
declare -A boot_tests=()
for t in "${tests[@]}"; do
	k=+
	[ "$MODE" != test ] || k+=${args[$t]:-}
	[ -n "${boot_tests[$k]+set}" ] || boots+=("$k")
	boot_tests[$k]+="$t "
done
if [ -n "${boot_tests[+]+set}" ] && [ "${boots[0]}" != + ]; then
	mapfile -t boots < <(echo +; printf '%s\n' "${boots[@]}" | grep -vx '+')
fi

BOOT_RES=$RES/guest-boot.txt
done_res=$RES/guest-done.txt
rc=0
: > "$done_res"
for i in "${!boots[@]}"; do
	# guest.txt as it stands: the boots so far, the later ones' tests failed
	{
		cat "$done_res"
		for k in "${boots[@]:$i}"; do
			read -ra names <<< "${boot_tests[$k]}"
			printf '%s FAIL\n' "${names[@]}"
		done
	} > "$RES/guest.txt"
	k=${boots[$i]}
	read -ra names <<< "${boot_tests[$k]}"
	rm -f "$BOOT_RES"
	boot_guest "${k#+}" "${names[@]}" || rc=1
	if [ -s "$BOOT_RES" ]; then
		cat "$BOOT_RES" >> "$done_res"
	else
		printf '%s FAIL\n' "${names[@]}" >> "$done_res"
		rc=1
	fi
done
mv "$done_res" "$RES/guest.txt"
rm -f "$BOOT_RES"
exit $rc
