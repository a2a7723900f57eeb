#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Results of one guest boot, from its console log and its splat scan.

Usage: guest-results.py LOG SPLATS OUT SUFFIX [TEST...]

Writes OUT, one "NAME PASS|FAIL" a line: every TEST asked for (one without
a result fails: it hung or did not run), every other test the log shows a
result of, the kmemleak scan (VL_KMEMLEAK=y: the kernel has kmemleak), and
"(boot)" if a splat came before the first test. A splat fails the test
that was running. A guest that did not finish its run adds a failing
"(guest-finished)". SUFFIX is appended to the names of the boot's own
checks (kmemleak, (boot), (guest-finished)), so that several boots can be
listed together; the main boot's is empty.
"""
import os
import re
import sys

log, splats, out, sfx = sys.argv[1:5]
wanted = sys.argv[5:]
own = ('kmemleak', '(boot)', '(guest-finished)')
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
	if t in own:
		t += sfx
	lines.append(f'{t} {r}')
	print(f'guest: {t:28s} {r}' + (f'  ({why})' if why else ''))
if 'DONE' not in text and not re.search(r'^=== DONE', text, re.M):
	print('guest: the guest did not finish its run')
	lines.append(f'(guest-finished){sfx} FAIL')
open(out, 'w').write('\n'.join(lines) + '\n')
