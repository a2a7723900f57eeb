/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An emulated Generic USB Display (the gud DRM driver), on vusb.
 *
 * USB: vendor 0x1d50, product 0x614d (the first pair in gud's id table,
 * which also requires interface class 0xff; subclass and protocol are not
 * looked at), one bulk OUT endpoint 0x01.  The driver takes the first bulk
 * OUT endpoint of the interface for the pixel data.
 *
 * Control requests: all vendor requests to the interface (wIndex = the
 * interface number), wValue = connector index where it matters.
 *
 *  IN  0x01 GET_DESCRIPTOR   display descriptor: magic 0x1d50614d, version
 *                            1, flags (STATUS_ON_SET here unless turned
 *                            off), compression (LZ4 if @lz4), max buffer
 *                            size (@max_buffer if set) and the min/max
 *                            width/height.
 *  IN  0x40 GET_FORMATS      one byte per pixel format: XRGB8888, RGB565.
 *  IN  0x41 GET_PROPERTIES   plane properties: none (empty answer).
 *  IN  0x50 GET_CONNECTORS   5-byte descriptors; one DisplayPort connector.
 *  IN  0x51 GET_CONNECTOR_PROPERTIES  none.
 *  OUT 0x53 SET_CONNECTOR_FORCE_DETECT  no data.
 *  IN  0x54 GET_CONNECTOR_STATUS  one byte: connected.
 *  IN  0x55 GET_CONNECTOR_MODES  24-byte timings each, one flagged
 *                            preferred: 640x480 (preferred), 1024x768,
 *                            1920x1080, 3840x2160.
 *  IN  0x56 GET_CONNECTOR_EDID  empty: the modes above are the only source.
 *  OUT 0x61 SET_STATE_CHECK  26 bytes: a mode (as above), a format byte, a
 *                            connector byte, then 10-byte properties (none
 *                            expected, as none were offered).  An unknown
 *                            mode or format is refused (status INVALID).
 *  OUT 0x62 SET_STATE_COMMIT no data: apply the last checked state; this
 *                            (re)allocates the device framebuffer.
 *  OUT 0x63 SET_CONTROLLER_ENABLE / 0x64 SET_DISPLAY_ENABLE  one byte 0/1.
 *  OUT 0x60 SET_BUFFER       25 bytes: x, y, width, height, length (bytes
 *                            of the rectangle in the committed format,
 *                            rows packed without padding), compression (0
 *                            or LZ4) and the compressed length; the bulk
 *                            transfer that follows carries exactly
 *                            compressed_length (LZ4) or length bytes.
 *  IN  0x00 GET_STATUS       one byte: the outcome of the last request.
 *
 * A failing request is either stalled (IN and no-data requests), after
 * which the driver asks GET_STATUS, or, for OUT requests with data (which
 * raw_gadget acks before the device has seen them), reported through the
 * GET_STATUS that the STATUS_ON_SET flag makes the driver send after every
 * SET request.  With that flag, the SET_BUFFER is also known to the device
 * before its bulk data can arrive.
 *
 * Bulk data is treated as a byte stream consumed in order by the queued
 * SET_BUFFER requests; bulk bytes with no request to consume them yet
 * wait (the reader thread may run ahead of the ep0 thread) and are a
 * protocol error if still unclaimed at gud_emu_stop() (a buffer cut short
 * by the unplug is not: fbcon may be drawing).  Each complete
 * buffer is decompressed if needed, must come to exactly @length bytes,
 * is copied into the device framebuffer at (x, y) and the whole
 * framebuffer is then published on @disp as XRGB8888 (RGB565 expanded
 * with rgb565_to_xrgb()).  Any inconsistency (rectangle outside the mode,
 * wrong length, bad LZ4 data, a buffer before any commit, properties that
 * were not offered) is recorded with vdisp_error() and fails the test.
 *
 * Bulk reads: the driver does not end a transfer whose length is a
 * multiple of 512 with a short or zero-length packet, and a raw-gadget read
 * only completes when full or on a short packet, so a fixed large read
 * could hold the end of a buffer until the next transfer comes (never, at
 * the end of an update).  The device therefore sizes each read from the
 * out callback: the rest of the buffer being received (at most
 * GUD_EMU_READ_MAX), or one 512-byte packet while it does not know the
 * next buffer yet.  This changes vusb_ep.read_size between reads, which
 * vusb.h does not promise to honour; vusb.c reads it before every read.
 */
#ifndef TESTS_USB_GUD_H
#define TESTS_USB_GUD_H

#include <stdbool.h>
#include <stdint.h>

#include "vusb.h"

#define GUD_EMU_VENDOR		0x1d50
#define GUD_EMU_PRODUCT		0x614d
#define GUD_EMU_MAX_BUFFER	(4u << 20)	/* bytes per SET_BUFFER */
#define GUD_EMU_MAX_QUEUE	16		/* SET_BUFFERs awaiting data */
#define GUD_EMU_READ_MAX	(64u << 10)	/* largest bulk read */
#define GUD_EMU_NUM_MODES	4

/* Requests (bRequest), also the index of gud_emu.requests. */
#define REQ_GET_STATUS			0x00
#define REQ_GET_DESCRIPTOR		0x01
#define REQ_GET_FORMATS			0x40
#define REQ_GET_PROPERTIES		0x41
#define REQ_GET_CONNECTORS		0x50
#define REQ_GET_CONNECTOR_PROPERTIES	0x51
#define REQ_GET_CONNECTOR_TV_MODES	0x52
#define REQ_SET_CONNECTOR_FORCE_DETECT	0x53
#define REQ_GET_CONNECTOR_STATUS	0x54
#define REQ_GET_CONNECTOR_MODES		0x55
#define REQ_GET_CONNECTOR_EDID		0x56
#define REQ_SET_BUFFER			0x60
#define REQ_SET_STATE_CHECK		0x61
#define REQ_SET_STATE_COMMIT		0x62
#define REQ_SET_CONTROLLER_ENABLE	0x63
#define REQ_SET_DISPLAY_ENABLE		0x64

/*
 * Misbehaving devices for the hostile tests (@hostile).  Each answers one
 * request as no real device should and otherwise works as above.
 */
enum gud_emu_hostile {
	GUD_HOSTILE_NONE,
	GUD_HOSTILE_EDID_CHECKSUM,	/* one EDID block, checksum wrong */
	GUD_HOSTILE_EDID_TRUNCATED,	/* 100 bytes of an EDID block */
	GUD_HOSTILE_EDID_OVERSIZED,	/* 2048 bytes; 255 extensions announced */
	GUD_HOSTILE_SIZES_ZERO,		/* max width and height 0 */
	GUD_HOSTILE_SIZES_HUGE,		/* max width/height 0xffffffff, no max buffer */
	GUD_HOSTILE_SIZES_WRAP,		/* max 0x80000000 x 0x80000000, XRGB8888 only, no max buffer */
	GUD_HOSTILE_NO_FORMATS,		/* GET_FORMATS: empty */
	GUD_HOSTILE_UNKNOWN_FORMATS,	/* GET_FORMATS: only unknown codes */
	GUD_HOSTILE_NO_CONNECTORS,	/* GET_CONNECTORS: empty */
	GUD_HOSTILE_MANY_MODES,		/* as many modes as the host takes */
	GUD_HOSTILE_SHORT_STATUS,	/* GET_CONNECTOR_STATUS: no data */
	GUD_HOSTILE_CHECK_ERROR,	/* every STATE_CHECK fails: status ERROR */
};

struct gud_emu_buffer {
	uint32_t x, y, width, height, length, compression, xfer_len;
};

struct gud_emu {
	struct vusb_dev usb;
	struct vusb_ep ep[1];
	struct vdisp disp;

	/* Options, set before gud_emu_start(). */
	bool lz4;		/* advertise LZ4 compression */
	bool no_status_on_set;	/* do not ask for GET_STATUS after SETs */
	bool verbose;		/* print state changes and buffers */
	/* max_buffer_size announced in the descriptor; 0: GUD_EMU_MAX_BUFFER */
	uint32_t max_buffer;
	/*
	 * With STATUS_ON_SET: a SET_BUFFER while the data of the previous
	 * one is incomplete drops that one (counted in @resyncs) instead of
	 * taking the new data as its rest. A host whose bulk transfer failed
	 * half way gets the device back in step; other tests keep this off,
	 * so that a short transfer is a protocol error.
	 */
	bool resync;
	/* connected DisplayPort connectors, all alike; 0: one */
	unsigned int connectors;
	/* a misbehaviour (enum gud_emu_hostile); 0: none */
	int hostile;
	/*
	 * Set at run time (under disp.lock): the bulk reader stops reading
	 * after the transfer it is handling, until this is cleared or the
	 * device unplugs.  The endpoint is not halted: the host's bulk
	 * transfers get no answer (NAKs) until they time out.
	 */
	bool pause_bulk;

	/* Device state, protected by disp.lock. */
	uint8_t status;				/* for GET_STATUS */
	bool controller_enabled, display_enabled;
	bool checked;				/* a STATE_CHECK passed */
	int check_mode, check_format;		/* what it asked for */
	int mode, format;			/* committed; -1: none */
	unsigned int width, height, cpp;	/* of the committed mode */
	uint8_t *fb;				/* width * height * cpp */
	struct gud_emu_buffer queue[GUD_EMU_MAX_QUEUE];
	unsigned int nqueued;
	uint8_t *xfer;				/* bulk bytes received */
	size_t nxfer;
	uint8_t *decomp;			/* GUD_EMU_MAX_BUFFER */
	struct gud_emu_buffer last;		/* last one decoded */

	/* Counters, protected by disp.lock. */
	unsigned long state_checks, commits, buffers, lz4_buffers;
	unsigned long bulk_bytes, pixel_bytes, status_requests, refused;
	unsigned long resyncs;
	unsigned long requests[0x80];	/* control requests, by bRequest */
};

/* Start the device on @udc (e.g. "dummy_udc.0"). */
int gud_emu_start(struct gud_emu *g, const char *udc);

/*
 * Unplug and free everything.  Bulk data that no SET_BUFFER claimed is a
 * protocol error; any protocol error is copied into usb.error, so that
 * vusb_failed(&g->usb) still tells after the stop.  The options are kept:
 * the same struct can be started again.  Call gud_emu_stats() before.
 */
void gud_emu_stop(struct gud_emu *g);

/* Print the counters (requests, buffers, bytes) to stdout. */
void gud_emu_stats(struct gud_emu *g);

/*
 * Feed @len bytes of bulk data (what the reader thread does); exposed for
 * tests.
 */
void gud_emu_feed(struct gud_emu *g, const uint8_t *data, size_t len);

#endif /* TESTS_USB_GUD_H */
