// SPDX-License-Identifier: GPL-2.0
/*
 * Scan out a native vkms dumb buffer and check it pixel-exactly.  A 1024x768
 * XRGB8888 dumb buffer is allocated on vkms itself, filled with the test
 * pattern through its mmap and shown on the primary plane with an atomic
 * modeset; the composed output is captured by the writeback connector and
 * compared (RGB only) with the pattern.  Frame 1 is then drawn into the same
 * buffer and the check is repeated.  This is the reference for the PRIME
 * variant (vkms_prime_vgem): it has no cross-device buffer sharing.
 */
#include <stdio.h>
#include <unistd.h>

#include "lib/kms.h"

#define WIDTH	1024
#define HEIGHT	768
#define FRAMES	2

int main(void)
{
	struct kms_dumb buf = { .handle = 0 };
	struct kms_wb wb = { .fd = -1 };
	uint32_t fb = 0;
	long checked;
	int vkms, ret;

	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		return KMS_EXIT_SKIP;
	ret = kms_wb_init(&wb, vkms, WIDTH, HEIGHT);
	if (ret)
		goto out;

	ret = KMS_EXIT_FAIL;
	if (kms_dumb_create(vkms, WIDTH, HEIGHT, 32, &buf) ||
	    kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(vkms, WIDTH, HEIGHT, buf.handle, buf.pitch, &fb))
		goto out;
	checked = kms_wb_check_frames(&wb, fb, buf.map, buf.pitch, FRAMES);
	if (checked < 0)
		goto out;
	printf("ok: %ld pixels checked\n", checked);
	ret = KMS_EXIT_PASS;
out:
	if (fb)
		drmModeRmFB(vkms, fb);
	kms_dumb_destroy(&buf);
	kms_wb_fini(&wb);
	close(vkms);
	return ret;
}
