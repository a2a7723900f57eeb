#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bisect-check: apply the exported series (build/series/patches, from
# make series) with git am onto the base, one patch at a time, and at every
# step build the guest kernel's configuration (x86_64: tinyconfig and
# tests/config/*.config) and the KUnit configuration (UML:
# tests/kunit/.kunitconfig), incrementally with ccache, and run checkpatch
# --strict on the patch as git format-patch wrote it. A step fails on a
# build error, on a compiler warning in the code the series touches
# (drivers/gpu/drm, drivers/dma-buf, include/drm, include/linux/dma-buf.h)
# or on a checkpatch finding. Step 0 is the base itself. One line per step.
#
# VL_BISECT_FROM=N resumes at step N: the patches before it are applied
# without checks, for a run split over sessions. The first line names the
# series by a hash of its commits' messages and trees, so that the parts
# of a split run can be matched to one series. VL_BISECT_TO=M stops after
# step M.
#
# Options that a later patch adds (DRM_GEM_BLIT_HELPER, DRM_GEM_BLIT_BENCH)
# are simply absent at the earlier steps; the configurations are regenerated
# at every step with olddefconfig.
. "$(dirname "$0")/lib.sh"

SER=$BUILD/series
[ -d "$SER/patches" ] && [ -d "$SER/linux/.git" ] ||
	die "no exported series; run make series"
B=$BUILD/bisect
# The same layout as build/linux with build/guest and build/kunit, so that
# ccache (CCACHE_BASEDIR=build) finds the objects of those builds.
WT=$B/linux
mkdir -p "$B"
git -C "$SER/linux" worktree remove -f "$WT" >/dev/null 2>&1 || rm -rf "$WT"
git -C "$SER/linux" worktree prune
git -C "$SER/linux" worktree add -q --detach "$WT" base
export GIT_AUTHOR_NAME=bisect GIT_AUTHOR_EMAIL=bisect@localhost
export GIT_COMMITTER_NAME=bisect GIT_COMMITTER_EMAIL=bisect@localhost

GOUT=$B/guest
KOUT=$B/kunit
mkdir -p "$GOUT" "$KOUT"
FRAGS=("$TOP"/tests/config/*.config)

build() {	# build <guest|kunit> <log>: configure and build, incrementally
	local what=$1 log=$2
	if [ "$what" = guest ]; then
		{ make -C "$WT" O="$GOUT" ARCH=x86_64 CC="ccache gcc" -s tinyconfig &&
		  "$WT/scripts/kconfig/merge_config.sh" -m -O "$GOUT" \
			"$GOUT/.config" "${FRAGS[@]}" &&
		  make -C "$WT" O="$GOUT" ARCH=x86_64 CC="ccache gcc" -s olddefconfig &&
		  make -C "$WT" O="$GOUT" ARCH=x86_64 CC="ccache gcc" -j"$JOBS" bzImage
		} > "$log" 2>&1
	else
		{ cp "$TOP/tests/kunit/.kunitconfig" "$KOUT/.config" &&
		  make -C "$WT" O="$KOUT" ARCH=um CC="ccache gcc" -s olddefconfig &&
		  make -C "$WT" O="$KOUT" ARCH=um CC="ccache gcc" -j"$JOBS"
		} > "$log" 2>&1
	fi
}
ours='(drivers/gpu/drm|drivers/dma-buf|include/drm|include/linux/dma-buf\.h)'

mapfile -t patches < <(ls "$SER"/patches/*.patch | grep -v 0000-cover-letter)
n=${#patches[@]}
from=${VL_BISECT_FROM:-0}
to=${VL_BISECT_TO:-$n}
failed=0
t0=$(date +%s)
id=$(for c in $(git -C "$SER/linux" rev-list --reverse base..HEAD); do
	git -C "$SER/linux" show -s --format=%B "$c"
	git -C "$SER/linux" rev-parse "$c^{tree}"
     done | sha1sum | cut -c1-12)
echo "bisect-check: series $id, $n patches, steps $from to $to"
for i in $(seq 0 "$to"); do
	s=$(date +%s)
	res=()
	if [ "$i" -gt 0 ] && [ "$i" -lt "$from" ]; then
		if ! git -C "$WT" am -q "${patches[$((i - 1))]}" > "$B/am.log" 2>&1; then
			echo "step $i: git am FAILED"
			exit 1
		fi
		continue
	fi
	if [ "$i" -eq 0 ] && [ "$from" -gt 0 ]; then
		continue
	fi
	if [ "$i" -eq 0 ]; then
		name="base ($(git -C "$WT" log -1 --format=%s))"
	else
		p=${patches[$((i - 1))]}
		# the Subject: header, unfolded
		name=$(awk '/^Subject: / { s = $0; getline
				while (/^ /) { s = s $0; getline } print s; exit }' "$p" |
		       sed 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] //')
		if ! git -C "$WT" am -q --whitespace=error-all "$p" > "$B/am.log" 2>&1; then
			printf 'step %2d/%d %s: git am FAILED\n' "$i" "$n" "$name"
			sed 's/^/    /' "$B/am.log"
			failed=$((failed + 1))
			break
		fi
		if out=$(cd "$WT" && PATH=/usr/bin:$PATH scripts/checkpatch.pl \
				--strict -q --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p"); then
			res+=("checkpatch ok")
		else
			res+=("checkpatch FAILED")
			echo "$out" > "$B/step-$i-checkpatch.log"
		fi
	fi
	for what in guest kunit; do
		log=$B/step-$i-$what.log
		ws=$(date +%s)
		if build "$what" "$log"; then
			w=$( { grep -E "^(\.\./)*[^ ]*$ours[^ ]*:[0-9]+:[0-9]+: warning:" \
				"$log" || true; } | sort -u | wc -l)
			if [ "$w" -eq 0 ]; then
				res+=("$what ok ($(( $(date +%s) - ws )) s)")
			else
				res+=("$what: $w warnings FAILED")
			fi
		else
			res+=("$what build FAILED")
		fi
	done
	line=$(IFS=,; echo "${res[*]}" | sed 's/,/, /g')
	printf 'step %2d/%d %s: %s\n' "$i" "$n" "$name" "$line"
	case $line in *FAILED*)
		failed=$((failed + 1))
		for f in "$B"/step-"$i"-*.log; do
			grep -E 'error:|warning:|Error [0-9]|^(ERROR|WARNING|CHECK)' "$f" |
				head -n 10 | sed 's/^/    /'
		done ;;
	esac
done
echo "bisect-check: series $id, steps $from to $to, $failed failed, $(( ($(date +%s) - t0) / 60 )) min"
[ "$failed" -eq 0 ]
