/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TESTS_GUEST_PATHBENCH_H
#define TESTS_GUEST_PATHBENCH_H

#include <stdbool.h>

/* What to run; NULL for path_bench(): everything, PATH_UPDATES per cell. */
struct path_opts {
	unsigned int updates;	/* per cell, 1 to PATH_UPDATES_MAX; 0: PATH_UPDATES */
	/*
	 * Make every bochs import fail (PRIME_FD_TO_HANDLE of fd -1, EBADF)
	 * and treat that as the expected failure of 6.12: a check of the
	 * rows that 6.12's failed imports give, in any kernel.
	 */
	bool fake_noimport;
	const char *const *names;	/* displays to run (and vkms); NULL: all */
	unsigned int nnames;
};

/*
 * The whole-path benchmark of the emulated USB displays and of vkms
 * (pathbench.c): appends its rows to @outdir/path.csv under @label; 0 or
 * KMS_EXIT_FAIL.
 */
int path_bench(const char *outdir, const char *label,
	       const struct path_opts *opts);

#endif /* TESTS_GUEST_PATHBENCH_H */
