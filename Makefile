# SPDX-License-Identifier: GPL-2.0
#
# The one entry point. `make run` and `make check` are the two commands;
# the other targets are their steps. See README.md.
#
#   make check                  KUnit + guest tests, "N passed, N failed"
#   make run                    demos in the guest, frames as PNG in build/out
#   make kunit [SUITES="a b"]   KUnit suites (default: tests/kunit/suites)
#   make guest-test [TESTS="a"] guest tests (default: tests/guest/tests)
#   make lint                   checkpatch --strict and kernel-doc gate
#   make bench                  benchmark in the guest: tables + plot in build/out
#   make assemble               build/linux = base + patches
#   make series                 the series as sent: git repo + format-patch
#   make bisect-check           build and checkpatch each step of the series
#   make htmldocs               the kernel's GPU book, warnings of new files

SHELL := /bin/bash
S := scripts

.PHONY: all run check deps base assemble kunit guest-kernel guest-test lint \
	bench stress series bisect-check htmldocs clean distclean

all: check

deps:
	@$(S)/deps.sh
base: deps
	@$(S)/fetch-base.sh
assemble: base
	@$(S)/assemble.sh
kunit: assemble
	@$(S)/kunit.sh $(SUITES)
guest-kernel: assemble
	@$(S)/guest-build.sh
guest-test: guest-kernel
	@$(S)/guest-run.sh test $(TESTS)
# the frames also when a demo failed: they show what the devices showed
run: guest-kernel
	@rc=0; $(S)/guest-run.sh run || rc=$$?; \
		$(S)/frames-to-png.sh && exit $$rc
lint: assemble
	@$(S)/lint.sh
bench:
	@$(S)/bench.sh
stress:
	@$(S)/stress.sh
series: base
	@$(S)/series.sh
bisect-check: series
	@$(S)/bisect-check.sh
htmldocs: base
	@$(S)/htmldocs.sh
check:
	@$(S)/check.sh

# Keeps build/base and the kernel build directories' configs out of it:
# removes everything built from the repository's own files.
clean:
	rm -rf build/results build/out build/guest-progs build/tools \
		build/initramfs build/initramfs.cpio build/guest-share
# Removes the whole build tree (the next make unpacks the base again).
distclean:
	rm -rf build
