#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Find kernel splats in a console log and attribute them to tests.

Usage: splat-scan.py LOG [--marker REGEX | --ktap] [--expect FILE]

A splat is any lockdep, KASAN, UBSAN, kmemleak, WARN, BUG, Oops, panic or
hung-task report. Each one is printed with the test that was running (the
last marker line seen before it) and an excerpt of the report. The exit
status is the number of splats found (capped at 100), so 0 means clean.

--ktap attributes splats in a KUnit log to SUITE.CASE.
--expect FILE names WARN_ON()s that a test provokes on purpose (misuse
tests): each line is "TEST-GLOB REGEX"; a plain "WARNING: CPU: ..." report
raised while a test matching TEST-GLOB runs, whose headline matches REGEX,
is listed as expected and not counted. With --ktap, a rule whose case ran
but did not warn counts as a failure: the misuse check went missing. Lockdep, KASAN, UBSAN, BUG, Oops and
leak reports can never be expected.
"""
import fnmatch
import re
import sys

SPLAT = re.compile(
	r'(------------\[ cut here \]------------'
	r'|^WARNING:|^BUG:|^INFO: task .* blocked for more than'
	r'|^UBSAN:|^Oops|^Kernel panic|^kernel BUG at'
	r'|^general protection fault|^unreferenced object 0x'
	r'|^\s*(possible|inconsistent) .*(locking|lock).*detected'
	r'|^Unable to handle kernel|^watchdog: BUG:)')
TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
DEFAULT_MARKER = r'^=== (?:TEST|START) (\S+)'


KTAP_SUITE = re.compile(r'^    # Subtest: (\S+)')
KTAP_CASE = re.compile(r'^    (?:not )?ok \d+ (\S+)')


def ktap_case(lines, i):
	"""KUnit prints a case's name when it ends: find the next one."""
	for line in lines[i:]:
		m = KTAP_CASE.match(line)
		if m:
			return m.group(1)
	return '(unfinished)'


def ktap_cases(lines):
	"""SUITE.CASE of every case that finished."""
	cases = []
	suite = None
	for line in lines:
		m = KTAP_SUITE.match(line)
		if m:
			suite = m.group(1)
			continue
		m = KTAP_CASE.match(line)
		if m and suite:
			cases.append(f'{suite}.{m.group(1)}')
	return cases


def scan(lines, marker, ktap=False):
	found = []
	current = '(boot)'
	i = 0
	while i < len(lines):
		line = TS.sub('', lines[i].rstrip('\r\n'))
		m = (KTAP_SUITE if ktap else marker).search(line)
		if m:
			current = m.group(1)
		if SPLAT.search(line):
			# A "cut here" line is followed by the WARNING/BUG proper;
			# report it once.
			start = i
			if 'cut here' in line and i + 1 < len(lines):
				i += 1
			excerpt = [TS.sub('', l.rstrip('\r\n'))
				   for l in lines[start:start + 25]]
			test = current
			if ktap:
				test = current + '.' + ktap_case(lines, i)
			found.append((test, excerpt))
			# Skip the rest of this report.
			j = i + 1
			while j < len(lines) and j < start + 60:
				nxt = TS.sub('', lines[j])
				if nxt.startswith('---[ end trace') or \
				   marker.search(nxt):
					break
				j += 1
			i = j
		i += 1
	return found


def load_expect(path):
	rules = []
	with open(path) as f:
		for line in f:
			line = line.strip()
			if not line or line.startswith('#'):
				continue
			glob, regex = line.split(None, 1)
			rules.append((glob, re.compile(regex)))
	return rules


# With ccache's base_dir, __FILE__ can be relative ("../linux/drivers/...").
SRCPATH = re.compile(r' at \S*?/?((?:arch|block|drivers|fs|include|kernel|lib|'
		     r'mm|net|sound)/\S+:\d+)')


def headline(excerpt):
	head = next((l for l in excerpt if l.startswith('WARNING:')), '')
	return SRCPATH.sub(r' at \1', head)


def matching_rules(rules, test, excerpt):
	head = headline(excerpt)
	if not head.startswith('WARNING: CPU:'):
		return []
	return [i for i, (g, r) in enumerate(rules)
		if fnmatch.fnmatchcase(test, g) and r.search(head)]


def main():
	args = sys.argv[1:]
	if not args:
		print(__doc__, file=sys.stderr)
		return 100
	log = args.pop(0)
	marker = re.compile(DEFAULT_MARKER)
	rules = []
	ktap = False
	while args:
		opt = args.pop(0)
		if opt == '--marker':
			marker = re.compile(args.pop(0))
		elif opt == '--ktap':
			ktap = True
		elif opt == '--expect':
			rules = load_expect(args.pop(0))
		else:
			print(__doc__, file=sys.stderr)
			return 100
	with open(log, errors='replace') as f:
		lines = f.readlines()
	bad = 0
	seen = set()
	for test, excerpt in scan(lines, marker, ktap):
		hits = matching_rules(rules, test, excerpt)
		if hits:
			seen.update(hits)
			print(f'expected warning during {test}: {headline(excerpt)}')
			continue
		bad += 1
		print(f'SPLAT during {test}:')
		for l in excerpt:
			print(f'  | {l}')
	if ktap:
		# A misuse test whose warning went missing no longer checks
		# what it claims to: every rule for a case that ran must match.
		ran = ktap_cases(lines)
		for i, (g, r) in enumerate(rules):
			if i in seen:
				continue
			if any(fnmatch.fnmatchcase(t, g) for t in ran):
				bad += 1
				print(f'MISSING expected warning in {g}: {r.pattern}')
	return min(bad, 100)


if __name__ == '__main__':
	sys.exit(main())
