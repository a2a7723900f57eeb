#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make stress: the stress tier. Runs every <display>_stress_<scenario> test
# of tests/guest/tests (usbdisp.c) on the debug guest kernel with the whole
# counts (vl.stress=full; make check runs them with a tenth) and a seed of
# its own (vl.seed=N to repeat a run), in build/inst-stress, and prints
# the table of the figures each scenario printed ("STRESS ..." lines),
# also written to build/out/stress.txt. Fails if any scenario failed.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"
"$TOP/scripts/guest-build.sh"

mapfile -t names < <(sed -n 's/^\(\[[^]]*\][[:space:]]*\)\{0,1\}\([a-z0-9]*_stress_[a-z_]*\)$/\2/p' \
	"$TOP/tests/guest/tests")
[ ${#names[@]} -gt 0 ] || die "tests/guest/tests lists no stress scenarios"

start=$(date +%s)
rc=0
# The list gives the short versions' per-test timeout (vl.timeout=N in
# their boot's ARGS); the guest's /init takes the first vl.timeout on the
# command line, GUEST_APPEND's, which comes before the ARGS.
VL_INSTANCE=stress \
	GUEST_APPEND="vl.stress=full vl.timeout=${STRESS_TIMEOUT:-1800}${VL_SEED:+ vl.seed=$VL_SEED}" \
	"$TOP/scripts/guest-run.sh" test "${names[@]}" || rc=1

RUN=$BUILD/inst-stress
OUTD=$BUILD/out
mkdir -p "$OUTD"
{
	echo "# make stress, $(date -u +%Y-%m-%d), $(nproc) CPUs," \
		"$(( ($(date +%s) - start + 30) / 60 )) min; guest: the debug kernel under QEMU TCG"
	cat "$RUN"/results/guest-console*.log | tr -d '\r' |
		sed -n 's/^\(\[ *[0-9.]*\] \)\{0,1\}STRESS //p'
	echo
	sed 's/^/result: /' "$RUN/results/guest.txt"
} > "$OUTD/stress.txt"
cat "$OUTD/stress.txt"
n=$(grep -c '^STRESS \|^[a-z0-9]* [a-z_]*: ' "$OUTD/stress.txt" || true)
msg "$n scenario lines; $OUTD/stress.txt"
exit $rc
