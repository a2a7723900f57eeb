/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An emulated DisplayLink adapter for the udl DRM driver, on vusb.
 *
 * USB: vendor 0x17e9, one interface of class 0xff/0x00/0x00 (what udl
 * matches), bulk OUT endpoint 0x01 (udl always sends on pipe 1).
 * ep0: the vendor descriptor 0x5f (with a max-pixels key of
 * UDL_EMU_MAX_PIXELS), the EDID read one byte at a time by vendor request
 * 0x02 (wValue = offset << 8, reply: status byte, EDID byte), and the
 * channel select (vendor OUT request 0x12, 16 bytes).  The EDID offers
 * 1024x768@60 (preferred), 800x600@60 and 640x480@60.
 *
 * Bulk stream: decoded into a 16 MiB device memory (24-bit addresses) and
 * a register file.  Every command starts with 0xaf; see udl.c for the
 * commands understood.  Anything else is a protocol error, recorded with
 * vdisp_error(), which fails the waiting test.
 *
 * Frames: whenever a bulk transfer ends with a short packet (the host has
 * sent everything it had: the end of a damage update or of a modeset), the
 * visible picture is published on @disp: RGB565 pixels, big endian, at the
 * 16bpp base address (registers 0x20-0x22), HPIXELS x VPIXELS (registers
 * 0x0f/0x10 and 0x17/0x18) with a pitch of HPIXELS * 2, expanded to
 * XRGB8888 with rgb565_to_xrgb().  Nothing is published while the colour
 * depth register says 24 bpp (which 6.12 never sets) or blanking is on.
 */
#ifndef TESTS_USB_UDL_H
#define TESTS_USB_UDL_H

#include <stdint.h>

#include "vusb.h"

#define UDL_EMU_VENDOR		0x17e9
#define UDL_EMU_PRODUCT		0x01f0	/* any product: udl matches vendor */
#define UDL_EMU_MEM_SIZE	(1u << 24)
#define UDL_EMU_MAX_PIXELS	(1024 * 768)
#define UDL_EMU_EDID_SIZE	128

struct udl_emu {
	struct vusb_dev usb;
	struct vusb_ep ep[1];
	struct vdisp disp;

	/* Device state, protected by disp.lock. */
	uint8_t regs[256];
	uint8_t *mem;			/* UDL_EMU_MEM_SIZE bytes */
	uint8_t edid[UDL_EMU_EDID_SIZE];
	uint8_t *pending;		/* bulk bytes not decoded yet */
	size_t npending, pending_size;
	unsigned long channel_selects, edid_reads;
	unsigned long cmds, reg_writes, pixels, noops;
	bool vidreg_locked;
};

/* Build the EDID; start the device on @udc (e.g. "dummy_udc.0"). */
int udl_emu_start(struct udl_emu *u, const char *udc);

/* Unplug and free everything. */
void udl_emu_stop(struct udl_emu *u);

/* Print the counters (commands, pixels, requests) to stdout. */
void udl_emu_stats(struct udl_emu *u);

/*
 * Decode @len bytes of the bulk stream; @end: the transfer ended here (short
 * packet), so nothing may be left over except a final 0xaf.  Exposed for
 * tests; called by the bulk reader.
 */
void udl_emu_feed(struct udl_emu *u, const uint8_t *data, size_t len,
		  bool end);

#endif /* TESTS_USB_UDL_H */
