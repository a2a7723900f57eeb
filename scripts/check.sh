#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: KUnit (UML) + guest tests (QEMU), one closing line
# "N passed, N failed" over both; non-zero exit on any failure. A step that
# cannot build counts as a failure, and the other tier still runs.
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
RES=$BUILD/results
mkdir -p "$RES"
rm -f "$RES/kunit.txt" "$RES/guest.txt"

"$TOP/scripts/deps.sh"
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"

"$TOP/scripts/kunit.sh" || true
if "$TOP/scripts/guest-build.sh"; then
	"$TOP/scripts/guest-run.sh" test || true
else
	echo "(guest-kernel-build) FAIL" > "$RES/guest.txt"
fi

read -r passed failed skipped < <(
	{ awk '{p += $2; f += $3; s += $4} END {print p+0, f+0, s+0}' \
		"$RES/kunit.txt" 2>/dev/null || echo "0 1 0"; } |
	while read -r kp kf ks; do
		gp=$(grep -c ' PASS$' "$RES/guest.txt" 2>/dev/null || true)
		gf=$(grep -c ' FAIL$' "$RES/guest.txt" 2>/dev/null || true)
		[ -f "$RES/guest.txt" ] || gf=1
		echo "$((kp + ${gp:-0})) $((kf + ${gf:-0})) $ks"
	done)
[ -f "$RES/kunit.txt" ] || failed=$((failed + 1))

echo
echo "check took $(( $(date +%s) - start ))s; results in $RES"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
