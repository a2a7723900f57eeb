#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the KUnit kernel (UML, lockdep on) from build/linux and run the
# suites listed in tests/kunit/suites, or the globs given as arguments.
# Each suite runs in its own boot of the UML kernel; its console log is
# scanned for splats, which fail the suite. Writes build/results/kunit.txt
# ("<suite> <passed> <failed> <skipped>" lines) and prints a summary.
. "$(dirname "$0")/lib.sh"

KBUILD=$BUILD/kunit
RES=$BUILD/results
mkdir -p "$RES/kunit-logs"
: > "$RES/kunit.txt"

if [ $# -gt 0 ]; then
	globs=("$@")
else
	mapfile -t globs < <(grep -v '^\s*\(#\|$\)' "$TOP/tests/kunit/suites")
fi

"$TOP/scripts/assemble.sh"
cd "$SRC"
msg "building KUnit kernel (UML) in $KBUILD"
if ! python3 tools/testing/kunit/kunit.py build \
	--kunitconfig "$TOP/tests/kunit/.kunitconfig" \
	--build_dir "$KBUILD" --jobs "$JOBS" \
	--make_options CC="ccache gcc" > "$RES/kunit-build.log" 2>&1; then
	grep -E 'error|Error|ERROR' "$RES/kunit-build.log" | head -n 40 >&2
	echo "kunit: build failed (full log: $RES/kunit-build.log)" >&2
	echo "(build) 0 1 0" >> "$RES/kunit.txt"
	exit 1
fi

status=0
for g in "${globs[@]}"; do
	name=${g//[^A-Za-z0-9_.-]/_}
	log=$RES/kunit-logs/$name.txt
	python3 tools/testing/kunit/kunit.py exec --build_dir "$KBUILD" \
		--timeout 600 "$g" > "$log" 2>&1 || true
	cp "$KBUILD/test.log" "$RES/kunit-logs/$name.console" 2>/dev/null || true
	line=$(grep -a 'Testing complete\.' "$log" | tail -n1 || true)
	passed=$(echo "$line" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
	failed=$(echo "$line" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	crashed=$(echo "$line" | sed -n 's/.*crashed: \([0-9]*\).*/\1/p')
	skipped=$(echo "$line" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
	errors=$(echo "$line" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	passed=${passed:-0}
	failed=$((${failed:-0} + ${crashed:-0} + ${errors:-0}))
	skipped=${skipped:-0}
	if [ -z "$line" ] || [ $((passed + failed + skipped)) -eq 0 ]; then
		echo "kunit: $g: no test ran" >&2
		failed=$((failed + 1))
	fi
	if ! "$TOP/scripts/splat-scan.py" "$RES/kunit-logs/$name.console" \
		--ktap \
		--expect "$TOP/tests/kunit/expected-warnings" > "$RES/kunit-logs/$name.splat"; then
		cat "$RES/kunit-logs/$name.splat" >&2
		echo "kunit: $g: kernel splat, suite fails" >&2
		failed=$((failed + 1))
	fi
	[ "$failed" -eq 0 ] || {
		status=1
		grep -aE '\[FAILED\]|# .*: (ASSERTION|EXPECTATION) FAILED|Expected' \
			"$log" | head -n 40 >&2 || true
	}
	printf 'kunit: %-24s passed %4d  failed %3d  skipped %3d\n' \
		"$g" "$passed" "$failed" "$skipped"
	echo "$g $passed $failed $skipped" >> "$RES/kunit.txt"
done
exit $status
