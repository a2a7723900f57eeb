// SPDX-License-Identifier: GPL-2.0
/*
 * demo OUTDIR NFRAMES: animate the test pattern from a PRIME-imported vgem
 * buffer on vkms.  For each frame the vgem buffer is redrawn through its
 * mmap, one atomic commit shows it, the writeback connector captures the
 * composed output, which is written to OUTDIR/frame-NNN.ppm and compared
 * with the expected pattern.  Prints "frame N: ok" or "frame N: mismatch
 * COUNT" per frame, then "DEMO vkms: F frames, P pixels checked, M
 * mismatches", and exits 1 if any frame failed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kms.h"

#define WIDTH		1024
#define HEIGHT		768
#define MAX_FRAMES	1000

int main(int argc, char **argv)
{
	struct kms_prime_fb pf = { .dmabuf = -1 };
	struct kms_wb wb = { .fd = -1 };
	int vgem, vkms, ret = KMS_EXIT_SKIP;
	unsigned long nframes;
	unsigned int frame, failed = 0;
	unsigned long mism = 0;
	char path[PATH_MAX], *end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OUTDIR NFRAMES\n", argv[0]);
		return KMS_EXIT_FAIL;
	}
	nframes = strtoul(argv[2], &end, 10);
	if (*end || !nframes || nframes > MAX_FRAMES) {
		printf("NFRAMES must be 1..%d\n", MAX_FRAMES);
		return KMS_EXIT_FAIL;
	}
	if (mkdir(argv[1], 0755) && errno != EEXIST) {
		printf("cannot create %s: %s\n", argv[1], strerror(errno));
		return KMS_EXIT_FAIL;
	}

	vgem = kms_open_driver("vgem");
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		goto out_vgem;
	ret = kms_wb_init(&wb, vkms, WIDTH, HEIGHT);
	if (ret)
		goto out;

	ret = KMS_EXIT_FAIL;
	if (kms_prime_fb_create(vgem, vkms, WIDTH, HEIGHT, &pf))
		goto out;

	for (frame = 0; frame < nframes; frame++) {
		long bad = kms_wb_check_frame(&wb, pf.fb, pf.buf.map,
					      pf.buf.pitch, frame);

		if (bad < 0) {
			printf("frame %u: no capture\n", frame);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/frame-%03u.ppm", argv[1],
			 frame);
		if (ppm_write(path, wb.buf.map, WIDTH, HEIGHT, wb.buf.pitch))
			goto out;
		if (bad) {
			printf("frame %u: mismatch %ld\n", frame, bad);
			mism += bad;
			failed++;
		} else {
			printf("frame %u: ok\n", frame);
		}
	}
	printf("%lu frames written to %s, %u mismatching\n", nframes, argv[1],
	       failed);
	printf("DEMO vkms: %lu frames, %lu pixels checked, %lu mismatches\n",
	       nframes, nframes * WIDTH * HEIGHT, mism);
	ret = failed ? KMS_EXIT_FAIL : KMS_EXIT_PASS;
out:
	kms_prime_fb_destroy(&pf);
	kms_wb_fini(&wb);
	close(vkms);
out_vgem:
	close(vgem);
	return ret;
}
