#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: KUnit (UML) + guest tests (QEMU), one closing line
# "N passed, N failed" over both; non-zero exit on any failure. A step that
# cannot build counts as a failure, and the other tier still runs.
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
RES=$BUILD/results
mkdir -p "$RES"
rm -f "$RES/kunit.txt" "$RES/guest.txt" "$RES/lint.txt" "$RES/failures.txt"

"$TOP/scripts/deps.sh"
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"

if "$TOP/scripts/lint.sh" > "$RES/lint.log" 2>&1; then
	echo "lint PASS" > "$RES/lint.txt"
else
	echo "lint FAIL" > "$RES/lint.txt"
fi
cat "$RES/lint.log"

"$TOP/scripts/kunit.sh" || true
if "$TOP/scripts/guest-build.sh"; then
	"$TOP/scripts/guest-run.sh" test || true
else
	echo "(guest-kernel-build) FAIL" > "$RES/guest.txt"
fi

# kunit.txt: "SUITE PASSED FAILED SKIPPED"; guest.txt, lint.txt: "NAME PASS|FAIL".
# A missing file means that step never produced results: one failure.
# Each failure is named in failures.txt, a failed guest test with the end of
# its section of the console log, so that the last lines of the log say what
# failed.
read -r passed failed skipped < <(python3 - "$RES" "$TOP/scripts/splat-scan.py" <<'PY'
import glob, importlib.util, os, re, sys
res = sys.argv[1]
# first lines of kernel reports: splat-scan.py's patterns, and RCU's stalls
spec = importlib.util.spec_from_file_location('splat_scan', sys.argv[2])
scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scan)
RCU = re.compile(r'^rcu: INFO:')
p = f = s = 0
failed = []
path = os.path.join(res, 'kunit.txt')
if os.path.exists(path):
	for line in open(path):
		parts = line.split()
		if len(parts) == 4:
			p += int(parts[1]); f += int(parts[2]); s += int(parts[3])
			if int(parts[2]) > 0:
				failed.append(('kunit', parts[0]))
else:
	f += 1
	failed.append(('kunit', '(no results)'))
for name in ('guest.txt', 'lint.txt'):
	path = os.path.join(res, name)
	if not os.path.exists(path):
		f += 1
		failed.append((name[:-4], '(no results)'))
		continue
	for line in open(path):
		if line.rstrip().endswith(' PASS'):
			p += 1
		elif line.rstrip().endswith(' FAIL'):
			f += 1
			failed.append((name[:-4], line.rsplit(None, 1)[0]))
logs = sorted(glob.glob(os.path.join(res, 'guest-console*.log')))
with open(os.path.join(res, 'failures.txt'), 'w') as out:
	for tier, name in failed:
		print(f'\nFAILED ({tier}): {name}', file=out)
		if tier == 'kunit' and name != '(no results)':
			print(f'  see {res}/kunit-logs/{name}.console', file=out)
		if tier != 'guest':
			continue
		for log in logs:
			lines = open(log, errors='replace').read().splitlines()
			try:
				first = lines.index(f'=== TEST {name}')
			except ValueError:
				continue
			last = first
			while last + 1 < len(lines) and not lines[last].startswith('=== RESULT '):
				last += 1
			# the headlines of kernel reports in the section first,
			# since the last lines show only the end of the last one
			heads = [l for l in lines[first:last + 1]
				 if scan.SPLAT.search(scan.TS.sub('', l, count=1))
				 or RCU.search(scan.TS.sub('', l, count=1))]
			for line in heads[:10]:
				print('  report: ' + line, file=out)
			for line in lines[max(first, last - 20):last + 1]:
				print('  ' + line, file=out)
			break
print(p, f, s)
PY
)
cat "$RES/failures.txt"

echo
echo "check took $(( $(date +%s) - start ))s; results in $RES"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
