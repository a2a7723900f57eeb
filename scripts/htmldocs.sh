#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make htmldocs: the kernel's own documentation build for the GPU book,
# make htmldocs SPHINXDIRS=gpu, on the assembled tree, with Debian's Sphinx,
# into build/htmldocs. Fails on any warning about a file the series creates
# and lists the warnings about the upstream files it changes (those can be
# older than the series). The log is build/htmldocs/build.log.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" python3-sphinx python3-sphinx-rtd-theme python3-yaml
"$TOP/scripts/assemble.sh"
OUT=$BUILD/htmldocs
mkdir -p "$OUT"
series=$(grep -v '^\s*#' "$TOP/patches/series")
files() {	# files() new|changed: what the patches create or change
	for p in $series; do
		awk -v want="$1" '/^--- \/dev\/null/ { new = 1; next }
			/^\+\+\+ / { f = substr($2, 3)
				     if ((want == "new") == (new == 1)) print f
				     new = 0 }' "$TOP/patches/$p"
	done | sort -u
}
# Sphinx re-reads only the pages whose sources changed, and warns only
# about those: touch every page that pulls in kernel-doc from a file the
# series creates or changes, so that a rerun reports their warnings too.
for f in $(files new) $(files changed); do
	grep -rlF --include='*.rst' "kernel-doc:: $f" "$SRC/Documentation" || true
done | sort -u | xargs -r touch
msg "building the GPU documentation in $OUT (make htmldocs SPHINXDIRS=gpu)"
# Debian's python3 and sphinx-build, not another python3 first in PATH
if ! PATH=/usr/bin:$PATH make -C "$SRC" O="$OUT" SPHINXDIRS=gpu htmldocs \
	> "$OUT/build.log" 2>&1; then
	tail -n 20 "$OUT/build.log" >&2
	die "make htmldocs failed (full log: $OUT/build.log)"
fi

# The documentation build writes generated .rst files into the source tree
# (Documentation/networking/netlink_spec/) even with O=; they are neither
# upstream nor in a patch, so they go.
(cd "$SRC" && find Documentation -type f -newer .vl-base | while read -r f; do
	[ -e "$BUILD/base/$f" ] ||
		ls .pc/*/"$f" >/dev/null 2>&1 || rm -f "$f"
done)

warn() { grep -E 'WARNING|ERROR|warning:|error:' "$OUT/build.log" | grep -F "$1" || true; }
bad=0
for f in $(files new); do
	w=$(warn "$f")
	[ -z "$w" ] && continue
	echo "$w"
	bad=1
done
changed=0
for f in $(comm -23 <(files changed) <(files new)); do
	w=$(warn "$f")
	[ -z "$w" ] && continue
	echo "$w" | sed 's/^/  (upstream file) /'
	changed=$((changed + $(echo "$w" | wc -l)))
done
total=$(grep -cE 'WARNING|ERROR|warning:|error:' "$OUT/build.log" || true)
echo "htmldocs: $total warnings in this build (Sphinx re-reads only the pages whose sources changed); $([ $bad -eq 0 ] && echo none ||
	echo some) from files the series creates; $changed in upstream files it changes"
[ $bad -eq 0 ]
