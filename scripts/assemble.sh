#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Assemble build/linux = pristine base + patches/series (quilt).
#
# Runs on every make and is cheap when nothing changed. Files are only
# rewritten when their content changes, so kbuild rebuilds incrementally:
#  - the patch series is re-applied (quilt pop -a; push -a) when any patch or
#    the series file changed; afterwards every file whose content differs from
#    before is touched, including files whose patch went away, which quilt
#    would otherwise restore with their old mtime;
#  - a file edited by hand that no patch owns is restored from the base, with
#    a warning.
# New files, like changes, live in the patches.
#
# VL_SRC=DIR VL_SERIES_UPTO=NNNN assembles DIR with the series up to and
# including patch NNNN only (make bench builds 6.12's drivers that way).
. "$(dirname "$0")/lib.sh"

BASE=$BUILD/base
quilt() { command quilt --quiltrc "$TOP/scripts/quiltrc" "$@"; }

[ -f "$BASE/.stamp" ] || die "no base tree; run scripts/fetch-base.sh"

if [ ! -f "$SRC/.vl-base" ] || ! cmp -s "$BASE/.stamp" "$SRC/.vl-base"; then
	msg "creating $SRC from $(cat "$BASE/.stamp")"
	rm -rf "$SRC"
	cp -a "$BASE" "$SRC.tmp"
	rm -f "$SRC.tmp/.stamp"
	ln -s "$TOP/patches" "$SRC.tmp/patches"
	mv "$SRC.tmp" "$SRC"
	cp "$BASE/.stamp" "$SRC/.vl-base"
fi
cd "$SRC"
[ "$(readlink patches)" = "$TOP/patches" ] || ln -sfn "$TOP/patches" patches

# --- patches -------------------------------------------------------------
want=$(cd "$TOP/patches" && { cat series $(grep -v '^\s*#' series) 2>/dev/null;
       echo "upto ${VL_SERIES_UPTO:-}"; } | sha1sum | cut -d' ' -f1)
upto=
if [ -n "${VL_SERIES_UPTO:-}" ]; then
	upto=$(grep -v '^\s*#' "$TOP/patches/series" |
	       grep "^$VL_SERIES_UPTO-" || true)
	[ -n "$upto" ] || die "no patch $VL_SERIES_UPTO in patches/series"
fi
have=$(cat .vl-patches 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	touched() {	# every file any applied patch touches, and the new ones
		[ -d .pc ] && find .pc -mindepth 2 -type f ! -name '.*' |
			cut -d/ -f3- || true
		for p in $(grep -v '^\s*#' patches/series 2>/dev/null); do
			grep -E '^\+\+\+ ' "patches/$p" | awk '{print $2}' |
				cut -d/ -f2-
		done
	}
	files=$(touched | sort -u)
	before=$(for f in $files; do sha1sum "$f" 2>/dev/null ||
		 echo "none  $f"; done)
	rm -f .vl-patches
	if [ -s .pc/applied-patches ]; then
		if ! quilt pop -a -q >/dev/null 2>&1; then
			# build/linux is generated: edits that were never
			# refreshed into patches/ are discarded, loudly.
			echo "warning: $SRC has changes that are not in patches/;" \
			     "discarding them" >&2
			quilt pop -a -f -q >/dev/null ||
				die "quilt pop -a -f failed; remove $SRC to start over"
		fi
	fi
	if grep -qv '^\s*#' patches/series 2>/dev/null; then
		if ! out=$(quilt push ${upto:--a} 2>&1); then
			echo "$out" | tail -n 20 >&2
			bad=$(echo "$out" | sed -n 's/^Applying patch //p' |
			      tail -n1)
			die "patch ${bad#patches/} does not apply to $(cat .vl-base)"
		fi
		msg "applied $(quilt applied | wc -l) patches"
	fi
	for f in $files; do
		new=$(sha1sum "$f" 2>/dev/null || echo "none  $f")
		old=$(echo "$before" | grep -F "  $f" | head -n1 || true)
		[ "$new" = "$old" ] || { [ -f "$f" ] && touch "$f"; } || true
	done
	echo "$want" > .vl-patches
fi

# --- stray edits -----------------------------------------------------------
# A file changed in build/linux by hand, outside quilt, would be built
# silently. Restore it from the base, loudly.
known=$( { [ -d .pc ] && find .pc -mindepth 2 -type f ! -name '.*' |
		cut -d/ -f3-; } | sort -u)
find . \( -path ./.pc -o -path ./patches \) -prune -o -type f -newer .vl-base \
	! -name '.vl-*' ! -name '.checkpatch-camelcase.*' -print | sed 's|^\./||' | sort |
	comm -23 - <(echo "$known") | while read -r f; do
	if [ ! -e "$BASE/$f" ]; then
		echo "warning: $SRC/$f is neither upstream nor in a patch" >&2
	elif ! cmp -s "$BASE/$f" "$f"; then
		echo "warning: $SRC/$f was edited outside quilt; restoring it" >&2
		cp "$BASE/$f" "$f"
	fi
done
