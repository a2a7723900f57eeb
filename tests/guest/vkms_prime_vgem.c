// SPDX-License-Identifier: GPL-2.0
/*
 * Scan out a PRIME-imported vgem buffer on vkms and check it pixel-exactly.
 * A 1024x768 XRGB8888 dumb buffer is allocated on vgem, filled with the test
 * pattern through its mmap, exported as a dma-buf and imported into vkms,
 * where it becomes a framebuffer with vgem's pitch.  It is shown on the
 * primary plane with an atomic modeset and the composed output is captured
 * by the vkms writeback connector and compared (RGB only) with the pattern.
 * Frame 1 of the pattern is then drawn into the same buffer and the check is
 * repeated, so a second update must be exact too.
 */
#include <stdio.h>
#include <unistd.h>

#include "lib/kms.h"

#define WIDTH	1024
#define HEIGHT	768
#define FRAMES	2

int main(void)
{
	struct kms_wb wb = { .fd = -1 };
	struct kms_prime_fb pf = { .dmabuf = -1 };
	int vgem, vkms, ret = KMS_EXIT_SKIP;
	long checked;

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
	checked = kms_wb_check_frames(&wb, pf.fb, pf.buf.map, pf.buf.pitch,
				      FRAMES);
	if (checked < 0)
		goto out;
	printf("ok: %ld pixels checked\n", checked);
	ret = KMS_EXIT_PASS;
out:
	kms_prime_fb_destroy(&pf);
	kms_wb_fini(&wb);
	close(vkms);
out_vgem:
	close(vgem);
	return ret;
}
