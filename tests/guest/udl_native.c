// SPDX-License-Identifier: GPL-2.0
/*
 * udl on an emulated DisplayLink adapter, with a native framebuffer.
 * The adapter (tests/usb/udl.c) is plugged into dummy_hcd through
 * raw-gadget from a thread of this program; once udl has probed it (vendor
 * descriptor, channel select, EDID), a 1024x768 XRGB8888 dumb buffer of the
 * udl device is filled with the test pattern and shown with a modeset.  The
 * adapter decodes udl's bulk command stream into its memory and the picture
 * it shows must equal the pattern reduced to RGB565, pixel for pixel.
 * Frame 1 is then drawn and pushed with a full-screen DIRTYFB and checked
 * the same way.  Finally the adapter is unplugged and udl must unbind.
 */
#include <stdio.h>

#include "udl_check.h"

#define FRAMES	2

int main(void)
{
	struct udl_check c;
	struct kms_dumb buf = { .fd = -1 };
	uint32_t fb = 0;
	unsigned int frame;
	int ret;

	ret = udl_check_init(&c, "udl_native");
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	if (kms_dumb_create(c.fd, c.mode.hdisplay, c.mode.vdisplay, 32, &buf) ||
	    kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(c.fd, c.mode.hdisplay, c.mode.vdisplay, buf.handle,
			    buf.pitch, &fb))
		goto out;
	for (frame = 0; frame < FRAMES; frame++)
		if (udl_check_frame(&c, fb, buf.map, buf.pitch, frame))
			goto out;
	ret = KMS_EXIT_PASS;
out:
	if (fb)
		drmModeRmFB(c.fd, fb);
	kms_dumb_destroy(&buf);
	if (udl_check_fini(&c))
		ret = KMS_EXIT_FAIL;
	printf("%s\n", ret ? "FAIL" : "ok");
	return ret;
}
