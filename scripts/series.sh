#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: export the patch series as a maintainer gets it.
#
# Writes build/series/:
#   linux/    a git repository: one commit of the pristine base (tag "base"),
#             then one commit per patch of patches/series above the
#             harness-only marker, authored and signed off by the user
#             (git config user.name and user.email; refused when unset);
#   patches/  git format-patch --cover-letter output of base..HEAD, the
#             cover letter filled from docs/cover-letter.txt, the latest
#             test results and, when present, the latest make bench tables.
# Then it checks what it wrote: the patches are applied with git am onto a
# fresh checkout of the base and must give the same tree, and checkpatch
# --strict must pass on each of them as format-patch wrote it.
# The patches below the marker (test scaffolding for this repository's
# harness) are not exported.
. "$(dirname "$0")/lib.sh"

# git, and checkpatch's SPDX check (spdxcheck.py) in a git tree
"$TOP/scripts/deps.sh" git python3-ply python3-git

name=$(git -C "$TOP" config user.name || true)
email=$(git -C "$TOP" config user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	die "git config user.name and user.email must be set: the exported" \
	    "patches are authored and signed off with them, and no placeholder" \
	    "identity goes into a series (git config user.name 'Your Name';" \
	    "git config user.email you@example.org)"
fi
ident="$name <$email>"
PLACEHOLDER='vmap-local developers <dev@vmap-local.invalid>'

BASE=$BUILD/base
[ -f "$BASE/.stamp" ] || die "no base tree; run make base"
OUT=$BUILD/series
REPO=$OUT/linux
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
g() { git -C "$REPO" "$@"; }

# The patches to export: those above the harness-only marker.
mapfile -t series < <(sed '/^# --- harness only/,$d' "$TOP/patches/series" |
		      grep -v '^\s*\(#\|$\)')
[ ${#series[@]} -gt 0 ] || die "patches/series lists no patch"

# --- the base commit, made once per base ---------------------------------
if [ "$(cat "$OUT/.base" 2>/dev/null)" != "$(cat "$BASE/.stamp")" ] ||
   ! g rev-parse -q --verify base >/dev/null; then
	msg "creating $REPO from $(cat "$BASE/.stamp") (once per base)"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	cp -a "$BASE" "$REPO"
	rm -f "$REPO/.stamp"
	g init -q
	g config core.autocrlf false
	g config gc.auto 0
	# A source package, not a git tree: its .gitignore files would keep
	# generated-looking sources out of the base commit.
	g add -f -A .
	ver=$(sed 's/^linux-source-6.12_\(.*\)_all.deb$/\1/' "$BASE/.stamp")
	g commit -q -m "Linux $(make -s -C "$REPO" kernelversion 2>/dev/null ||
				echo 6.12) (Debian linux-source-6.12 $ver)"
	g tag base
	cat "$BASE/.stamp" > "$OUT/.base"
fi

# --- one commit per patch ---------------------------------------------------
g checkout -q -f --detach base
g clean -q -f -d -x
g branch -q -f series base
g checkout -q series
for p in "${series[@]}"; do
	f=$TOP/patches/$p
	subject=$(sed -n 's/^Subject: \(\[PATCH\] \)\?//p' "$f" | head -n1)
	[ -n "$subject" ] || die "$p has no Subject: line"
	# the message: after the Subject: line's paragraph, up to the "---"
	body=$(awk 'seen && /^---$/ { exit } seen { print } /^Subject:/ { seen = 1 }' "$f" |
	       grep -vF "Signed-off-by: $PLACEHOLDER" |
	       sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
	# a message that runs into the diff (no "---" line before it)
	if echo "$body" | grep -qE '^(--- |\+\+\+ |diff --git |@@ )'; then
		die "$p: the message runs into the diff; end it with a --- line"
	fi
	if ! g apply --index -p1 --whitespace=error-all "$f" 2>"$OUT/apply.err"; then
		cat "$OUT/apply.err" >&2
		die "$p does not apply"
	fi
	printf '%s\n%s\n\nSigned-off-by: %s\n' "$subject" "$body" "$ident" \
		> "$OUT/msg"
	g commit -q --cleanup=verbatim -F "$OUT/msg"
done
msg "committed ${#series[@]} patches onto base in $REPO"

# --- the cover letter's tables ------------------------------------------------
tests() {
	echo "Test results of the latest make check in this tree:"
	echo
	if [ -s "$BUILD/results/kunit.txt" ]; then
		awk '{ printf "  KUnit %-28s %4d passed %d failed %d skipped\n",
		       $1, $2, $3, $4 }' "$BUILD/results/kunit.txt"
	fi
	if [ -s "$BUILD/results/guest.txt" ]; then
		awk '{ n[$2]++ } END { for (r in n) printf "  guest tests: %d %s\n", n[r], r }' \
			"$BUILD/results/guest.txt" | sort
		echo
		echo "  guest tests:"
		awk '{ print $1 }' "$BUILD/results/guest.txt" | paste -sd' ' |
			fold -s -w 70 | sed 's/^/    /'
	fi
	if [ ! -s "$BUILD/results/kunit.txt" ] && [ ! -s "$BUILD/results/guest.txt" ]; then
		echo "  (none in this tree: run make check before make series)"
	fi
}
bench() {
	[ -s "$BUILD/out/bench.txt" ] || return 0
	echo
	echo "Benchmark (make bench):"
	echo
	sed 's/^/  /' "$BUILD/out/bench.txt"
}

# --- format-patch ---------------------------------------------------------------
rm -rf "$OUT/patches"
g format-patch -q --cover-letter --no-signature -o "$OUT/patches" base..series
cover=$(ls "$OUT"/patches/0000-cover-letter.patch)
python3 - "$cover" "$TOP/docs/cover-letter.txt" \
	<(tests) <(bench) <<'PY'
import sys
cover, tmpl, tests, bench = sys.argv[1:5]
t = open(tmpl).read()
title, blurb = t.split('\n', 1)
blurb = blurb.lstrip('\n').replace('@TESTS@', open(tests).read().rstrip())
blurb = blurb.replace('@BENCH@', open(bench).read().rstrip()).rstrip() + '\n'
c = open(cover).read()
assert '*** SUBJECT HERE ***' in c and '*** BLURB HERE ***' in c
c = c.replace('*** SUBJECT HERE ***', title).replace('*** BLURB HERE ***', blurb)
open(cover, 'w').write(c)
PY

# --- check what was written ---------------------------------------------------
# git am onto a fresh checkout of the base must give the same tree.
CHK=$OUT/am-check
g worktree remove -f "$CHK" >/dev/null 2>&1 || rm -rf "$CHK"
g worktree prune
g worktree add -q --detach "$CHK" base
if ! git -C "$CHK" am -q --whitespace=error-all \
	$(ls "$OUT"/patches/*.patch | grep -v 0000-cover-letter) >"$OUT/am.log" 2>&1; then
	cat "$OUT/am.log" >&2
	die "git am of build/series/patches onto the base failed"
fi
[ "$(git -C "$CHK" rev-parse HEAD^{tree})" = "$(g rev-parse series^{tree})" ] ||
	die "git am of the exported patches gives another tree than the series"
g worktree remove -f "$CHK"
# checkpatch, as on the patches a maintainer receives. Two warnings are
# checked otherwise: the Fixes: tags name upstream commits that the
# one-commit base does not have (UNKNOWN_COMMIT_ID), and a new file makes
# checkpatch ask whether MAINTAINERS needs updating (FILE_PATH_CHANGES):
# instead, get_maintainer.pl must find a maintainer for every new file.
bad=0
for f in $(ls "$OUT"/patches/*.patch | grep -v 0000-cover-letter); do
	# Debian's python3, which has ply for spdxcheck.py, not another first
	# in PATH
	if ! out=$(cd "$REPO" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$f"); then
		echo "$out"
		echo "series: checkpatch: ${f##*/}"
		bad=1
	fi
done
for nf in $(g diff --name-only --diff-filter=A base series); do
	if ! (cd "$REPO" && scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats -f "$nf" 2>/dev/null) | grep -q '@'; then
		echo "series: no MAINTAINERS entry covers $nf"
		bad=1
	fi
done
[ $bad -eq 0 ] || die "checkpatch --strict found problems in the exported patches"
n=$(ls "$OUT"/patches/*.patch | grep -vc 0000-cover-letter)
echo "series: $n patches and a cover letter in build/series/patches," \
     "by $ident; git am onto the base gives the series' tree; checkpatch --strict" \
     "clean; every new file has a maintainer"
