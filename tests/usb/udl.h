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
 *
 * Misbehaving variants (struct udl_emu_opts, for udl_emu_start_opts()):
 * a vendor descriptor whose last entry runs past its end, an EDID that
 * announces 255 extension blocks, and EDID replies without the EDID byte.
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
/* What the 8-bit offset of the EDID request reaches: two blocks. */
#define UDL_EMU_EDID_SPACE	256

struct udl_emu_opts {
	/*
	 * The vendor descriptor is 255 bytes (the most its length byte can
	 * say): an entry of an unknown key fills it up to its last two
	 * bytes, which hold the key of a max-pixels entry (0x0200): that
	 * entry's length byte lies past the descriptor, its 4-byte value
	 * past the 256 bytes udl reads the descriptor into.
	 */
	bool vendor_overrun;
	/*
	 * The EDID's base block (still valid, checksum included) announces
	 * 255 extension blocks; offsets 128-255 hold a block of garbage
	 * (tag 0x5a) with a wrong checksum, so the EDID core retries it.
	 */
	bool edid_huge;
	/*
	 * Every EDID read is answered with the status byte only, without
	 * the EDID byte.
	 */
	bool edid_short;
	/* Every EDID byte read is answered after this many microseconds. */
	unsigned int edid_delay_us;
};

struct udl_emu {
	struct vusb_dev usb;
	struct vusb_ep ep[1];
	struct vdisp disp;

	/* Device state, protected by disp.lock. */
	uint8_t regs[256];
	uint8_t *mem;			/* UDL_EMU_MEM_SIZE bytes */
	struct udl_emu_opts opts;
	uint8_t edid[UDL_EMU_EDID_SPACE];
	uint8_t *pending;		/* bulk bytes not decoded yet */
	size_t npending, pending_size;
	unsigned long channel_selects, edid_reads;
	unsigned long cmds, reg_writes, pixels, noops;
	bool vidreg_locked;
};

/* Build the EDID; start the device on @udc (e.g. "dummy_udc.0"). */
int udl_emu_start(struct udl_emu *u, const char *udc);

/* The same with the misbehaviour @opts asks for (NULL: none). */
int udl_emu_start_opts(struct udl_emu *u, const char *udc,
		       const struct udl_emu_opts *opts);

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
