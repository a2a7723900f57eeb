/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Steps shared by the udl guest tests: plug in the emulated DisplayLink
 * adapter (tests/usb/udl.c) on dummy_udc.0, wait for the udl DRM device,
 * show a framebuffer on its only CRTC and check, pixel by pixel in RGB565
 * space, what the adapter decoded from the bulk stream; unplug at the end.
 */
#ifndef TESTS_GUEST_UDL_CHECK_H
#define TESTS_GUEST_UDL_CHECK_H

#include <stdint.h>

#include "lib/kms.h"
#include "udl.h"

#define UDL_CHECK_UDC		"dummy_udc.0"
#define UDL_CHECK_PROBE_MS	20000	/* for the udl card to appear */
#define UDL_CHECK_FRAME_MS	20000	/* for a frame to match */

struct udl_check {
	const char *name;	/* test name, for messages and PNG files */
	struct udl_emu emu;
	bool emu_started;
	int fd;			/* the udl card, -1 if none */
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;	/* the connector's preferred mode */
	bool shown;		/* a modeset was done */
};

/*
 * Plug in the device, wait for the udl card and its connected connector.
 * Returns 0, or KMS_EXIT_FAIL after printing why.
 */
int udl_check_init(struct udl_check *c, const char *name);

/*
 * Draw @frame of the pattern into @map (the memory behind @fb, pitch
 * @pitch), show it (modeset the first time, DIRTYFB of the whole
 * framebuffer after that) and wait until the adapter shows exactly the
 * pattern reduced to RGB565.  Returns 0 or KMS_EXIT_FAIL; on a mismatch the
 * expected and the shown image are written as PNG to /out if it exists.
 */
int udl_check_frame(struct udl_check *c, uint32_t fb, void *map,
		    unsigned int pitch, unsigned int frame);

/* Unplug the device (close raw-gadget) and close the card. */
int udl_check_fini(struct udl_check *c);

#endif /* TESTS_GUEST_UDL_CHECK_H */
