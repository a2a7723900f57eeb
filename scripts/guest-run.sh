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

if [ "$MODE" = run ]; then
	tests=(demo udl_demo gm12u320_demo gud_demo)
elif [ "$MODE" = bench ]; then
	tests=(bench)
elif [ $# -gt 0 ]; then
	tests=("$@")
else
	mapfile -t tests < <(grep -v '^\s*\(#\|$\)' "$TOP/tests/guest/tests")
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

# --- boot ------------------------------------------------------------------
IFS=, ; list="${tests[*]}"; unset IFS
append="console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7"
append+=" kasan.fault=report vl.timeout=$TEST_TIMEOUT ${GUEST_APPEND:-}"
if [ "$MODE" = run ]; then
	append+=" vl.mode=run vl.frames=$FRAMES vl.usbframes=$USB_FRAMES"
	budget=$(( ${#tests[@]} * (TEST_TIMEOUT + 10) + 300))
elif [ "$MODE" = bench ]; then
	append+=" vl.mode=bench${VL_BENCH:+ vl.bench=$VL_BENCH}"
	budget=$((TEST_TIMEOUT + 300))
else
	append+=" vl.tests=$list"
	budget=$(( (${#tests[@]} + 1) * (TEST_TIMEOUT + 10) + 300))
fi

LOG=$RES/guest-console.log
msg "booting guest (${MODE}: ${list:-demo}); console: $LOG"
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

# A guest test asks for a screendump of the emulated display by printing
# "=== SCREENDUMP FILE"; the host writes FILE into the share, then
# FILE.done, which the test waits for.
done_dumps=" "
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

# --- results ---------------------------------------------------------------
"$TOP/scripts/splat-scan.py" "$LOG" > "$RES/guest-splats.txt" || true
# A kernel with kmemleak runs its scan as a test that must report.
VL_KMEMLEAK=$(sed -n 's/^CONFIG_DEBUG_KMEMLEAK=//p' "$OUT/.config")
export VL_KMEMLEAK
cat "$RES/guest-splats.txt" >&2
python3 - "$LOG" "$RES/guest-splats.txt" "$RES/guest.txt" \
	"${tests[@]/#/}" <<'PY'
import os, re, sys
log, splats, out = sys.argv[1:4]
wanted = sys.argv[4:]
text = open(log, errors='replace').read()
results = {}
order = []
rcs = {}
for m in re.finditer(r'^=== RESULT (\S+) (PASS|FAIL) rc=(\d+)', text, re.M):
	results[m.group(1)] = m.group(2)
	rcs[m.group(1)] = int(m.group(3))
	order.append(m.group(1))
started = re.findall(r'^=== TEST (\S+)', text, re.M)
bad = {}
for m in re.finditer(r'^SPLAT during (\S+):', open(splats).read(), re.M):
	bad[m.group(1)] = bad.get(m.group(1), 0) + 1
names = [t for t in wanted if t] + [t for t in order if t not in wanted]
if 'kmemleak' not in names and os.environ.get('VL_KMEMLEAK') == 'y':
	names.append('kmemleak')
if '(boot)' in bad:
	names.insert(0, '(boot)')
	results['(boot)'] = 'PASS'
lines = []
for t in names:
	r = results.get(t)
	why = ''
	if r is None:
		r, why = 'FAIL', ('hung: no result' if t in started
				  else 'did not run')
	elif r == 'FAIL':
		why = {137: 'hung: killed after the timeout',
		       77: 'could not run (counted as a failure)',
		       127: 'no such test program'}.get(rcs.get(t), 'test failed')
	if t in bad:
		r, why = 'FAIL', f'{bad[t]} kernel splat(s)'
	lines.append(f'{t} {r}')
	print(f'guest: {t:28s} {r}' + (f'  ({why})' if why else ''))
if 'DONE' not in text and not re.search(r'^=== DONE', text, re.M):
	print('guest: the guest did not finish its run')
	lines.append('(guest-finished) FAIL')
open(out, 'w').write('\n'.join(lines) + '\n')
PY
if grep -q ' FAIL$' "$RES/guest.txt"; then
	echo "guest: failing tests; console log: $LOG" >&2
	for t in $(awk '$2 == "FAIL" {print $1}' "$RES/guest.txt"); do
		echo "---- console output of $t ----" >&2
		sed -n "/^=== TEST $t\$/,/^=== RESULT $t /p" "$LOG" | tail -n 40 >&2
	done
	exit 1
fi
