#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel style gate: checkpatch --strict on every patch of the series, and
# checkpatch --strict -f and kernel-doc -Wall on every C file and header that
# a patch creates. (Upstream files a patch touches keep their own, older
# warnings; the patches are checked as diffs.) Prints one line per finding; exit 1 if any.
. "$(dirname "$0")/lib.sh"
trap 'echo "lint: internal error at line $LINENO" >&2' ERR

cd "$SRC"
bad=0
for p in $(grep -v '^\s*#' "$TOP/patches/series"); do
	# From stdin: given the path of a file git tracks, checkpatch checks it
	# as a source file, not as a patch.
	# The base is a source package, not a git tree, so checkpatch cannot
	# look up the commits that Fixes: tags name (UNKNOWN_COMMIT_ID).
	# the message ends at a "---" line, before the diff (git am and make
	# series rely on it)
	if ! awk '/^Signed-off-by:/ { s = 1; next }
		  s { exit $0 == "---" ? 0 : 1 }' "$TOP/patches/$p"; then
		echo "lint: $p: no \"---\" line between the message and the diff"
		bad=1
	fi
	if ! out=$(scripts/checkpatch.pl --strict -q \
			--ignore UNKNOWN_COMMIT_ID - < "$TOP/patches/$p"); then
		echo "$out"
		echo "lint: checkpatch: $p"
		bad=1
	fi
done
# the files the series creates, as the assembled tree has them
files=$(for p in $(grep -v '^\s*#' "$TOP/patches/series"); do
		awk '/^--- \/dev\/null/ { new = 1; next }
		     /^\+\+\+ / { if (new) print substr($2, 3); new = 0 }' \
			"$TOP/patches/$p"
	done | grep '\.[ch]$' | sort -u)
for f in $files; do
	if ! out=$(scripts/checkpatch.pl --strict -q -f --no-tree "$f"); then
		echo "$out"
		echo "lint: checkpatch: $f"
		bad=1
	fi
	out=$(scripts/kernel-doc -none -Wall "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		echo "lint: kernel-doc: $f"
		bad=1
	fi
done
# kernel-doc warnings that the series adds to the upstream files it changes
# (their own, older warnings are not counted)
changed=$(for p in $(grep -v '^\s*#' "$TOP/patches/series"); do
		awk '/^--- \/dev\/null/ { new = 1; next }
		     /^\+\+\+ / { if (!new) print substr($2, 3); new = 0 }' \
			"$TOP/patches/$p"
	done | grep '\.[ch]$' | sort -u)
strip() { sed -E 's/:[0-9]+:/:/' | sort -u; }
for f in $changed; do
	[ -f "$BUILD/base/$f" ] && [ -f "$f" ] || continue
	new=$(comm -13 <(scripts/kernel-doc -none -Wall "$BUILD/base/$f" 2>&1 |
			 sed "s|$BUILD/base/||" | strip) \
		       <(scripts/kernel-doc -none -Wall "$f" 2>&1 | strip))
	if [ -n "$new" ]; then
		echo "$new"
		echo "lint: kernel-doc: $f (new warnings)"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "lint: clean ($(grep -vc '^\s*#' "$TOP/patches/series") patches, $(echo "$files" | wc -w) files)"
exit $bad
