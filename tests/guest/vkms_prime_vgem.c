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
	struct kms_dumb vbuf = { .handle = 0 };
	struct kms_wb wb = { .fd = -1 };
	uint32_t handle = 0, fb = 0;
	int vgem, vkms, dmabuf = -1;
	int ret = KMS_EXIT_SKIP;
	unsigned long checked = 0;
	unsigned int frame;

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
	if (kms_dumb_create(vgem, WIDTH, HEIGHT, 32, &vbuf) ||
	    kms_dumb_map(&vbuf))
		goto out;
	printf("vgem buffer: handle %u pitch %u size %llu\n", vbuf.handle,
	       vbuf.pitch, (unsigned long long)vbuf.size);
	dmabuf = kms_prime_export(vgem, vbuf.handle);
	if (dmabuf < 0 || kms_prime_import(vkms, dmabuf, &handle) ||
	    kms_add_fb_xrgb(vkms, WIDTH, HEIGHT, handle, vbuf.pitch, &fb))
		goto out;

	for (frame = 0; frame < FRAMES; frame++) {
		long bad = kms_wb_check_frame(&wb, fb, vbuf.map, vbuf.pitch,
					      frame);

		if (bad) {
			if (bad > 0)
				printf("FAIL: frame %u: %ld mismatching pixels\n",
				       frame, bad);
			else
				printf("FAIL: frame %u: no capture\n", frame);
			goto out;
		}
		checked += (unsigned long)WIDTH * HEIGHT;
	}
	printf("ok: %lu pixels checked\n", checked);
	ret = KMS_EXIT_PASS;
out:
	if (fb)
		drmModeRmFB(vkms, fb);
	kms_gem_close(vkms, handle);
	if (dmabuf >= 0)
		close(dmabuf);
	kms_dumb_destroy(&vbuf);
	kms_wb_fini(&wb);
	close(vkms);
out_vgem:
	close(vgem);
	return ret;
}
