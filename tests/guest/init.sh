#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest. Runs the tests named on the kernel command line
# (vl.tests=a,b,c; each is /tests/bin/NAME) or, with vl.mode=run, the demo
# on vkms and then on each emulated USB display, or with vl.mode=bench, the
# benchmark.
# Prints "=== TEST NAME" before and "=== RESULT NAME PASS|FAIL rc=N" after
# each test on the console, where scripts/guest-run.sh reads them; a test
# that runs past vl.timeout seconds is killed and fails. After the tests a
# kmemleak scan runs as a test of its own. Then the guest powers off.

/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /out
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t 9p -o trans=virtio,version=9p2000.L,msize=1048576 vlout /out ||
	echo "init: no 9p share; results go to the console only"

arg() {
	for w in $(cat /proc/cmdline); do
		case "$w" in "$1="*) echo "${w#*=}"; return;; esac
	done
}
TESTS=$(arg vl.tests | tr , ' ')
MODE=$(arg vl.mode)
TIMEOUT=$(arg vl.timeout)
: "${TIMEOUT:=180}"

# A task blocked this long is reported (a splat) while its test still runs.
echo 30 > /proc/sys/kernel/hung_task_timeout_secs

# Leaks from boot are not the tests' business: forget them.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

run_test() {
	name=$1; shift
	echo "=== TEST $name"
	timeout -s KILL "$TIMEOUT" "$@"
	rc=$?
	[ $rc -eq 137 ] && echo "init: $name killed after ${TIMEOUT}s"
	if [ $rc -eq 0 ]; then r=PASS; else r=FAIL; fi
	echo "=== RESULT $name $r rc=$rc"
}

if [ "$MODE" = run ]; then
	mkdir -p /out/frames
	run_test demo /tests/bin/demo /out/frames "$(arg vl.frames)"
	# the same animation on each emulated USB display (usbdisp.c);
	# vl.usbframes frames each, as many as vkms's by default
	usbframes=$(arg vl.usbframes)
	for d in udl gm12u320 gud; do
		run_test ${d}_demo /tests/bin/${d}_demo /out/frames \
			"${usbframes:-$(arg vl.frames)}"
	done
elif [ "$MODE" = bench ]; then
	run_test bench /tests/bin/bench /out $(arg vl.bench | tr , ' ')
else
	for t in $TESTS; do
		if [ -x "/tests/bin/$t" ]; then
			run_test "$t" "/tests/bin/$t"
		else
			echo "=== TEST $t"
			echo "init: no test program /tests/bin/$t"
			echo "=== RESULT $t FAIL rc=127"
		fi
	done
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	echo "=== TEST kmemleak"
	# Objects younger than 5 s are never reported; let them age.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	if grep -q . /sys/kernel/debug/kmemleak; then
		cat /sys/kernel/debug/kmemleak
		echo "=== RESULT kmemleak FAIL rc=1"
	else
		echo "=== RESULT kmemleak PASS rc=0"
	fi
fi
echo "=== DONE"
sync
poweroff -f
