// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated DisplayLink adapter for the udl DRM driver; see udl.h.
 *
 * Bulk commands decoded (all start with 0xaf; multi-byte fields are big
 * endian; a count byte of 0 means 256):
 *
 *   af af                       no-op: the first 0xaf is padding (udl pads
 *                               a full buffer with 0xaf and ends each
 *                               damage update with a single 0xaf)
 *   af 20 REG VAL               write register REG
 *   af 68 A2 A1 A0 N P*N        16bpp raw: N pixels (2 bytes each) at A
 *   af 6a F2 F1 F0 N T2 T1 T0   16bpp copy: N pixels from F to T
 *   af 6b A2 A1 A0 N spans      16bpp RLX: N pixels at A, as alternating
 *                               spans: R (raw count) then R pixels; then,
 *                               unless N pixels are done, C (repeat count)
 *                               meaning C more copies of the last pixel;
 *                               and so on until N pixels were written
 *   af a0                       sync (counted; udl in 6.12 does not send it)
 *
 * Everything else, including the 8bpp commands (0x60-0x63) and the plain
 * 16bpp run-length command (0x69), which udl in 6.12 never sends, a span
 * running past its command's pixel count, a write outside the 16 MiB of
 * device memory and a transfer ending inside a command, is a protocol
 * error.  After the first error the rest of the stream is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udl.h"

#define CMD_START		0xaf
#define CMD_WRITEREG		0x20
#define CMD_RAW16		0x68
#define CMD_COPY16		0x6a
#define CMD_RLX16		0x6b
#define CMD_SYNC		0xa0

#define REG_COLORDEPTH		0x00
#define REG_HPIXELS		0x0f
#define REG_VPIXELS		0x17
#define REG_BLANKMODE		0x1f
#define REG_BASE16		0x20
#define REG_VIDREG		0xff

#define REQ_EDID		0x02
#define REQ_CHANNEL		0x12
#define VENDOR_DESC_TYPE	0x5f

/* ---------------------------------------------------------------------- */
/* EDID */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/* A detailed timing descriptor from the usual mode numbers. */
static void edid_dtd(uint8_t *d, unsigned int clock_khz, unsigned int hact,
		     unsigned int hfp, unsigned int hsync, unsigned int hbp,
		     unsigned int vact, unsigned int vfp, unsigned int vsync,
		     unsigned int vbp, unsigned int w_mm, unsigned int h_mm)
{
	unsigned int hblank = hfp + hsync + hbp, vblank = vfp + vsync + vbp;

	put_le16(d, clock_khz / 10);
	d[2] = hact & 0xff;
	d[3] = hblank & 0xff;
	d[4] = (hact >> 8) << 4 | (hblank >> 8);
	d[5] = vact & 0xff;
	d[6] = vblank & 0xff;
	d[7] = (vact >> 8) << 4 | (vblank >> 8);
	d[8] = hfp & 0xff;
	d[9] = hsync & 0xff;
	d[10] = (vfp & 0xf) << 4 | (vsync & 0xf);
	d[11] = (hfp >> 8) << 6 | (hsync >> 8) << 4 | (vfp >> 4) << 2 |
		(vsync >> 4);
	d[12] = w_mm & 0xff;
	d[13] = h_mm & 0xff;
	d[14] = (w_mm >> 8) << 4 | (h_mm >> 8);
	d[15] = 0;
	d[16] = 0;
	d[17] = 0x18;	/* digital separate sync, both polarities negative */
}

/* A display descriptor (tag 0xfc name, 0xfd range, 0x10 dummy). */
static void edid_text(uint8_t *d, uint8_t tag, const char *text)
{
	size_t i, len = strlen(text);

	memset(d, 0, 18);
	d[3] = tag;
	for (i = 0; i < 13; i++)
		d[5 + i] = i < len ? text[i] : i == len ? '\n' : ' ';
}

static void build_edid(uint8_t *e)
{
	/* sRGB primaries and D65 white, 10-bit binary fractions */
	static const uint16_t chroma[8] = {
		655, 338, 307, 614, 154, 61, 320, 337	/* rx ry gx gy ... */
	};
	unsigned int i, sum = 0;
	uint8_t *d;

	memset(e, 0, UDL_EMU_EDID_SIZE);
	memset(e + 1, 0xff, 6);			/* header 00 ff*6 00 */
	/* manufacturer "VUD": three 5-bit letters, big endian */
	e[8] = (('V' - '@') << 2) | (('U' - '@') >> 3);
	e[9] = ((('U' - '@') << 5) | ('D' - '@')) & 0xff;
	put_le16(e + 10, 0x0001);		/* product code */
	e[12] = 1;				/* serial number */
	e[16] = 1;				/* week */
	e[17] = 2024 - 1990;			/* year */
	e[18] = 1;				/* EDID 1.3 */
	e[19] = 3;
	e[20] = 0x00;				/* analog input */
	e[21] = 31;				/* 31 x 23 cm */
	e[22] = 23;
	e[23] = 120;				/* gamma 2.2 */
	e[24] = 0x0a;		/* RGB colour, preferred timing in DTD 1 */
	e[25] = (chroma[0] & 3) << 6 | (chroma[1] & 3) << 4 |
		(chroma[2] & 3) << 2 | (chroma[3] & 3);
	e[26] = (chroma[4] & 3) << 6 | (chroma[5] & 3) << 4 |
		(chroma[6] & 3) << 2 | (chroma[7] & 3);
	for (i = 0; i < 8; i++)
		e[27 + i] = chroma[i] >> 2;
	e[35] = 0x21;		/* established: 640x480@60, 800x600@60 */
	e[36] = 0x08;		/* established: 1024x768@60 */
	e[37] = 0x00;
	for (i = 38; i < 54; i++)		/* no standard timings */
		e[i] = 0x01;
	d = e + 54;
	/* 1024x768@60 (VESA DMT), preferred */
	edid_dtd(d, 65000, 1024, 24, 136, 160, 768, 3, 6, 29, 310, 230);
	edid_text(d + 18, 0xfc, "Virtual UDL");
	/* range limits: 50-75 Hz, 30-60 kHz, 70 MHz, no GTF */
	edid_text(d + 36, 0xfd, "");
	d[36 + 5] = 50;
	d[36 + 6] = 75;
	d[36 + 7] = 30;
	d[36 + 8] = 60;
	d[36 + 9] = 7;
	d[36 + 10] = 0x00;
	d[36 + 11] = '\n';
	memset(d + 36 + 12, ' ', 6);
	memset(d + 54, 0, 18);
	d[54 + 3] = 0x10;			/* dummy descriptor */
	e[126] = 0;				/* no extensions */
	for (i = 0; i < 127; i++)
		sum += e[i];
	e[127] = (256 - (sum & 0xff)) & 0xff;
}

/* Announce 255 extensions; block 1 garbage with a wrong checksum. */
static void build_edid_huge(uint8_t *e)
{
	unsigned int i, sum = 0, x = 1;

	e[126] = 255;
	for (i = 0; i < 127; i++)
		sum += e[i];
	e[127] = (256 - (sum & 0xff)) & 0xff;
	for (i = UDL_EMU_EDID_SIZE; i < UDL_EMU_EDID_SPACE; i++) {
		x = x * 1103515245 + 12345;
		e[i] = x >> 16;
	}
	e[UDL_EMU_EDID_SIZE] = 0x5a;		/* no known extension tag */
	sum = 0;
	for (i = UDL_EMU_EDID_SIZE; i < UDL_EMU_EDID_SPACE; i++)
		sum += e[i];
	if (!(sum & 0xff))
		e[UDL_EMU_EDID_SPACE - 1]++;	/* a wrong checksum */
}

/* See udl_emu_opts.vendor_overrun; returns the length. */
static int vendor_desc_overrun(uint8_t *buf)
{
	const unsigned int len = 255, last = len - 2;

	memset(buf, 0, len);
	buf[0] = len;
	buf[1] = VENDOR_DESC_TYPE;
	buf[2] = 0x01;
	buf[3] = 0x00;
	buf[4] = len - 2;
	/* key 0xffff (unknown), its value up to the last entry */
	put_le16(buf + 5, 0xffff);
	buf[7] = last - 8;
	/* key 0x0200 (max pixels): its length and value are past the end */
	put_le16(buf + last, 0x0200);
	return len;
}

/* ---------------------------------------------------------------------- */
/* ep0 */

static int udl_control(struct vusb_dev *dev, const struct usb_ctrlrequest *req,
		       uint8_t *buf)
{
	struct udl_emu *u = dev->priv;
	unsigned int value = __le16_to_cpu(req->wValue);
	unsigned int len = __le16_to_cpu(req->wLength);
	int ret = -1;

	pthread_mutex_lock(&u->disp.lock);
	if (req->bRequestType == (USB_DIR_IN | USB_TYPE_STANDARD) &&
	    req->bRequest == USB_REQ_GET_DESCRIPTOR &&
	    value == VENDOR_DESC_TYPE << 8 && u->opts.vendor_overrun) {
		ret = vendor_desc_overrun(buf);
	} else if (req->bRequestType == (USB_DIR_IN | USB_TYPE_STANDARD) &&
		   req->bRequest == USB_REQ_GET_DESCRIPTOR &&
		   value == VENDOR_DESC_TYPE << 8) {
		/* header: length, type, version 1.0, length after type */
		buf[0] = 12;
		buf[1] = VENDOR_DESC_TYPE;
		buf[2] = 0x01;
		buf[3] = 0x00;
		buf[4] = 12 - 2;
		/* key 0x0200 (max pixels), 4 bytes, little endian */
		put_le16(buf + 5, 0x0200);
		buf[7] = 4;
		put_le16(buf + 8, UDL_EMU_MAX_PIXELS & 0xffff);
		put_le16(buf + 10, UDL_EMU_MAX_PIXELS >> 16);
		ret = 12;
	} else if (req->bRequestType == (USB_DIR_IN | USB_TYPE_VENDOR) &&
		   req->bRequest == REQ_EDID) {
		unsigned int off = value >> 8;	/* 0-255 */

		buf[0] = 0;
		buf[1] = u->edid[off];
		u->edid_reads++;
		ret = u->opts.edid_short ? 1 : 2;
		if (u->opts.edid_delay_us) {
			pthread_mutex_unlock(&u->disp.lock);
			usleep(u->opts.edid_delay_us);
			return ret;
		}
	} else if (req->bRequestType == (USB_DIR_OUT | USB_TYPE_VENDOR) &&
		   req->bRequest == REQ_CHANNEL) {
		if (len != 16)
			printf("udl-emu: channel select with %u bytes\n", len);
		u->channel_selects++;
		ret = 0;
	} else {
		printf("udl-emu: stalling request type 0x%02x req 0x%02x value 0x%04x\n",
		       req->bRequestType, req->bRequest, value);
	}
	pthread_mutex_unlock(&u->disp.lock);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Bulk stream */

static uint32_t addr24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
}

static unsigned int count256(uint8_t c)
{
	return c ? c : 256;
}

static bool mem_range_ok(struct udl_emu *u, uint32_t addr, size_t len,
			 const char *what)
{
	if (addr + len <= UDL_EMU_MEM_SIZE)
		return true;
	vdisp_error_locked(&u->disp, "%s: 0x%06x+%zu is outside device memory", what,
		    addr, len);
	return false;
}

static void write_reg(struct udl_emu *u, uint8_t reg, uint8_t val)
{
	u->regs[reg] = val;
	u->reg_writes++;
	if (reg == REG_VIDREG)
		u->vidreg_locked = val == 0x00;
}

/*
 * RLX: decode (and write) one command whose header starts at p[0].
 * Returns the command length, 0 if more bytes are needed, -1 on error.
 */
static long decode_rlx16(struct udl_emu *u, const uint8_t *p, size_t n)
{
	uint32_t addr;
	unsigned int total, done = 0;
	size_t i = 6;
	const uint8_t *last = NULL;

	if (n < 7)
		return 0;
	addr = addr24(p + 2);
	total = count256(p[5]);
	if (!mem_range_ok(u, addr, 2 * total, "rlx16"))
		return -1;
	while (done < total) {
		unsigned int raw, rep, k;

		if (i >= n)
			return 0;
		raw = count256(p[i++]);
		if (done + raw > total) {
			vdisp_error_locked(&u->disp,
				    "rlx16 at 0x%06x: raw span of %u after %u of %u pixels",
				    addr, raw, done, total);
			return -1;
		}
		if (i + 2 * raw > n)
			return 0;
		memcpy(u->mem + addr + 2 * done, p + i, 2 * raw);
		last = p + i + 2 * (raw - 1);
		i += 2 * raw;
		done += raw;
		if (done == total)
			break;
		if (i >= n)
			return 0;
		rep = p[i++];
		if (done + rep > total) {
			vdisp_error_locked(&u->disp,
				    "rlx16 at 0x%06x: repeat of %u after %u of %u pixels",
				    addr, rep, done, total);
			return -1;
		}
		for (k = 0; k < rep; k++)
			memcpy(u->mem + addr + 2 * (done + k), last, 2);
		done += rep;
	}
	return i;
}

/* One command at p[0]: its length, 0 if incomplete, -1 on error. */
static long decode_cmd(struct udl_emu *u, const uint8_t *p, size_t n)
{
	uint32_t from, to;
	unsigned int count;
	long len;

	if (p[0] != CMD_START) {
		vdisp_error_locked(&u->disp, "byte 0x%02x where a command must start",
			    p[0]);
		return -1;
	}
	if (n < 2)
		return 0;
	switch (p[1]) {
	case CMD_START:
		u->noops++;
		return 1;
	case CMD_SYNC:
		u->cmds++;
		return 2;
	case CMD_WRITEREG:
		if (n < 4)
			return 0;
		write_reg(u, p[2], p[3]);
		u->cmds++;
		return 4;
	case CMD_RAW16:
		if (n < 6)
			return 0;
		to = addr24(p + 2);
		count = count256(p[5]);
		if (n < 6 + 2 * (size_t)count)
			return 0;
		if (!mem_range_ok(u, to, 2 * count, "raw16"))
			return -1;
		memcpy(u->mem + to, p + 6, 2 * count);
		u->pixels += count;
		u->cmds++;
		return 6 + 2 * count;
	case CMD_COPY16:
		if (n < 9)
			return 0;
		from = addr24(p + 2);
		count = count256(p[5]);
		to = addr24(p + 6);
		if (!mem_range_ok(u, from, 2 * count, "copy16 source") ||
		    !mem_range_ok(u, to, 2 * count, "copy16 target"))
			return -1;
		memmove(u->mem + to, u->mem + from, 2 * count);
		u->cmds++;
		return 9;
	case CMD_RLX16:
		len = decode_rlx16(u, p, n);
		if (len > 0) {
			u->pixels += count256(p[5]);
			u->cmds++;
		}
		return len;
	}
	vdisp_error_locked(&u->disp, "unknown or unsupported command af %02x", p[1]);
	return -1;
}

/* Show what the registers point at; disp.lock held. */
static void publish(struct udl_emu *u)
{
	unsigned int w = u->regs[REG_HPIXELS] << 8 | u->regs[REG_HPIXELS + 1];
	unsigned int h = u->regs[REG_VPIXELS] << 8 | u->regs[REG_VPIXELS + 1];
	uint32_t base = addr24(u->regs + REG_BASE16);
	size_t i;

	if (u->regs[REG_COLORDEPTH] != 0 || u->regs[REG_BLANKMODE] != 0)
		w = h = 0;	/* 24 bpp (unsupported here) or blanked */
	if (!mem_range_ok(u, base, (size_t)w * h * 2, "scanout"))
		return;
	if (vdisp_resize_locked(&u->disp, w, h)) {
		printf("udl-emu: out of memory\n");
		return;
	}
	for (i = 0; i < (size_t)w * h; i++) {
		const uint8_t *s = u->mem + base + 2 * i;

		u->disp.px[i] = rgb565_to_xrgb(s[0] << 8 | s[1]);
	}
	vdisp_publish_locked(&u->disp);
}

void udl_emu_feed(struct udl_emu *u, const uint8_t *data, size_t len,
		  bool end)
{
	size_t off = 0;

	pthread_mutex_lock(&u->disp.lock);
	if (u->disp.errors)
		goto out;	/* the stream is already broken */
	if (u->npending + len > u->pending_size) {
		size_t size = u->npending + len;
		uint8_t *p = realloc(u->pending, size);

		if (!p) {
			vdisp_error_locked(&u->disp, "out of memory");
			goto out;
		}
		u->pending = p;
		u->pending_size = size;
	}
	memcpy(u->pending + u->npending, data, len);
	u->npending += len;

	while (off < u->npending) {
		long r = decode_cmd(u, u->pending + off, u->npending - off);

		if (r < 0) {
			u->npending = 0;
			goto out;
		}
		if (!r)
			break;
		off += r;
	}
	memmove(u->pending, u->pending + off, u->npending - off);
	u->npending -= off;

	if (!end)
		goto out;
	if (u->npending == 1 && u->pending[0] == CMD_START) {
		u->noops++;	/* the 0xaf udl ends an update with */
		u->npending = 0;
	}
	if (u->npending) {
		size_t left = u->npending;

		u->npending = 0;
		vdisp_error_locked(&u->disp,
				   "transfer ended inside a command (%zu bytes left)",
				   left);
		goto out;
	}
	publish(u);
out:
	pthread_mutex_unlock(&u->disp.lock);
}

static void udl_bulk_out(struct vusb_dev *dev, int ep_index,
			 const uint8_t *data, size_t len, bool short_xfer)
{
	(void)ep_index;
	udl_emu_feed(dev->priv, data, len, short_xfer);
}

/* ---------------------------------------------------------------------- */

int udl_emu_start(struct udl_emu *u, const char *udc)
{
	return udl_emu_start_opts(u, udc, NULL);
}

int udl_emu_start_opts(struct udl_emu *u, const char *udc,
		       const struct udl_emu_opts *opts)
{
	int ret;

	memset(u, 0, sizeof(*u));
	if (opts)
		u->opts = *opts;
	vdisp_init(&u->disp);
	u->mem = calloc(1, UDL_EMU_MEM_SIZE);
	if (!u->mem)
		return -1;
	build_edid(u->edid);
	if (u->opts.edid_huge)
		build_edid_huge(u->edid);

	u->ep[0].addr = USB_DIR_OUT | 1;
	u->ep[0].type = USB_ENDPOINT_XFER_BULK;
	u->ep[0].maxpacket = 512;
	u->ep[0].read_size = 64 * 1024;
	u->ep[0].out = udl_bulk_out;

	u->usb.vendor = UDL_EMU_VENDOR;
	u->usb.product = UDL_EMU_PRODUCT;
	u->usb.bcd_device = 0x0100;
	u->usb.manufacturer = "vusb";
	u->usb.product_name = "Virtual DisplayLink";
	u->usb.serial = "0001";
	u->usb.intf_class = 0xff;
	u->usb.eps = u->ep;
	u->usb.neps = 1;
	u->usb.control = udl_control;
	u->usb.priv = u;

	ret = vusb_start(&u->usb, udc);
	if (ret) {
		free(u->mem);
		u->mem = NULL;
	}
	return ret;
}

void udl_emu_stop(struct udl_emu *u)
{
	vusb_stop(&u->usb);
	free(u->mem);
	u->mem = NULL;
	free(u->pending);
	u->pending = NULL;
	vdisp_fini(&u->disp);
}

void udl_emu_stats(struct udl_emu *u)
{
	pthread_mutex_lock(&u->disp.lock);
	printf("udl-emu: %lu commands (%lu register writes, %lu pixels, %lu no-ops), %lu frames, %lu EDID byte reads, %lu channel selects\n",
	       u->cmds, u->reg_writes, u->pixels, u->noops, u->disp.frames,
	       u->edid_reads, u->channel_selects);
	pthread_mutex_unlock(&u->disp.lock);
}
