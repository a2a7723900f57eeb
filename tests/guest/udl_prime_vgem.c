// SPDX-License-Identifier: GPL-2.0
/*
 * udl on an emulated DisplayLink adapter, scanning out a PRIME-imported
 * vgem buffer.  As udl_native, but the 1024x768 XRGB8888 framebuffer is a
 * vgem dumb buffer, drawn through vgem's mmap, exported as a dma-buf and
 * imported into udl.  Both frames must reach the adapter exactly (in
 * RGB565).  udl in 6.12 refuses imports when its USB controller has no DMA
 * device, which is the case on dummy_hcd; that is a failure of this test,
 * not a reason to skip it.
 */
#include <stdio.h>
#include <unistd.h>

#include "udl_check.h"

#define FRAMES	2

int main(void)
{
	struct kms_prime_fb pf = { .dmabuf = -1 };
	struct udl_check c;
	unsigned int frame;
	int vgem, ret;

	vgem = kms_open_driver("vgem");
	if (vgem < 0)
		return KMS_EXIT_FAIL;
	ret = udl_check_init(&c, "udl_prime_vgem");
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	if (kms_prime_fb_create(vgem, c.fd, c.mode.hdisplay, c.mode.vdisplay,
				&pf))
		goto out;
	for (frame = 0; frame < FRAMES; frame++)
		if (udl_check_frame(&c, pf.fb, pf.buf.map, pf.buf.pitch,
				    frame))
			goto out;
	ret = KMS_EXIT_PASS;
out:
	kms_prime_fb_destroy(&pf);
	if (udl_check_fini(&c))
		ret = KMS_EXIT_FAIL;
	close(vgem);
	printf("%s\n", ret ? "FAIL" : "ok");
	return ret;
}
