#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure (x86_64 tinyconfig + tests/config/*.config) and build the guest
# kernel in build/guest. The configuration is regenerated only when a
# fragment changes, and every option a fragment sets is checked to have
# ended up in .config as asked: a missing dependency fails the build loudly
# instead of silently dropping a driver or a debug check.
# GUEST_OUT=DIR builds into DIR instead (e.g. a second kernel to compare);
# GUEST_FRAGS="guest" takes only the named fragments (make bench leaves out
# the debug set).
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/assemble.sh"
OUT=${GUEST_OUT:-$BUILD/guest}
if [ -n "${GUEST_FRAGS:-}" ]; then
	FRAGS=()
	for f in $GUEST_FRAGS; do FRAGS+=("$TOP/tests/config/$f.config"); done
else
	FRAGS=("$TOP"/tests/config/*.config)
fi
mkdir -p "$OUT"
make_k() { make -C "$SRC" O="$OUT" ARCH=x86_64 CC="ccache gcc" "$@"; }

want=$(cat "${FRAGS[@]}" | sha1sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.vl-config" 2>/dev/null)" != "$want" ] ||
   [ ! -f "$OUT/.config" ]; then
	msg "configuring guest kernel: tinyconfig + ${FRAGS[*]##*/}"
	rm -f "$OUT/.vl-config"
	make_k -s tinyconfig > /dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" \
		"${FRAGS[@]}" > "$OUT/merge.log" 2>&1
	make_k -s olddefconfig
	python3 - "$OUT/.config" "${FRAGS[@]}" <<'PY'
import sys
have = {}
for l in open(sys.argv[1]):
	if l.startswith('CONFIG_'):
		k, v = l.strip().split('=', 1)
		have[k] = v
bad = 0
for frag in sys.argv[2:]:
	for l in open(frag):
		l = l.strip()
		if l.startswith('CONFIG_'):
			k, v = l.split('=', 1)
		elif l.startswith('# CONFIG_') and l.endswith(' is not set'):
			k, v = l.split()[1], 'n'
		else:
			continue
		if have.get(k, 'n') != v:
			print(f'{frag}: {k}={v} requested, .config has '
			      f'{have.get(k, "n")} (unmet dependency?)')
			bad += 1
sys.exit(1 if bad else 0)
PY
	echo "$want" > "$OUT/.vl-config"
fi

msg "building guest kernel in $OUT"
if ! make_k -j"$JOBS" bzImage > "$OUT/build.log" 2>&1; then
	grep -E 'error:|Error [0-9]|\*\*\*' "$OUT/build.log" | head -n 40 >&2
	die "guest kernel build failed (full log: $OUT/build.log)"
fi
