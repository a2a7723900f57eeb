/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TESTS_GUEST_PATHBENCH_H
#define TESTS_GUEST_PATHBENCH_H

/*
 * The whole-path benchmark of the emulated USB displays (pathbench.c):
 * appends its rows to @outdir/path.csv under @label; 0 or KMS_EXIT_FAIL.
 */
int path_bench(const char *outdir, const char *label);

#endif /* TESTS_GUEST_PATHBENCH_H */
