// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated Generic USB Display for the gud DRM driver; see gud.h for the
 * protocol as this device understands it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>

#include "gud.h"

/* GET_STATUS values. */
#define ST_OK				0x00
#define ST_NOT_SUPPORTED		0x02
#define ST_PROTOCOL_ERROR		0x03
#define ST_INVALID			0x04
#define ST_ERROR			0x05

#define DESC_MAGIC			0x1d50614d
#define DESC_FLAG_STATUS_ON_SET		0x01
#define COMPRESSION_LZ4			0x01

#define FMT_RGB565			0x40
#define FMT_XRGB8888			0x80

#define CONNECTOR_TYPE_DISPLAYPORT	6
#define CONNECTOR_CONNECTED		0x01

#define MODE_FLAG_PHSYNC		0x001
#define MODE_FLAG_NHSYNC		0x002
#define MODE_FLAG_PVSYNC		0x004
#define MODE_FLAG_NVSYNC		0x008
#define MODE_FLAG_PREFERRED		0x400

/* Wire sizes. */
#define DESC_LEN		30	/* display descriptor */
#define CONNECTOR_DESC_LEN	5
#define MODE_LEN		24
#define PROPERTY_LEN		10
#define STATE_LEN		(MODE_LEN + 2)	/* without properties */
#define SET_BUFFER_LEN		25

#define BULK_PACKET		512
#define EDID_BLOCK		128
#define EDID_MAX_LEN		2048	/* what the host asks for */

struct emu_mode {
	uint32_t clock;				/* kHz */
	uint16_t h[4], v[4];	/* display, sync start, sync end, total */
	uint32_t flags;
};

/* Standard DMT / CEA-861 timings. */
static const struct emu_mode emu_modes[GUD_EMU_NUM_MODES] = {
	{ 25175, { 640, 656, 752, 800 }, { 480, 490, 492, 525 },
	  MODE_FLAG_NHSYNC | MODE_FLAG_NVSYNC | MODE_FLAG_PREFERRED },
	{ 65000, { 1024, 1048, 1184, 1344 }, { 768, 771, 777, 806 },
	  MODE_FLAG_NHSYNC | MODE_FLAG_NVSYNC },
	{ 148500, { 1920, 2008, 2052, 2200 }, { 1080, 1084, 1089, 1125 },
	  MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC },
	{ 297000, { 3840, 4016, 4104, 4400 }, { 2160, 2168, 2178, 2250 },
	  MODE_FLAG_PHSYNC | MODE_FLAG_PVSYNC },
};

static const uint8_t emu_formats[] = { FMT_XRGB8888, FMT_RGB565 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void put_mode(uint8_t *p, const struct emu_mode *m)
{
	int i;

	put32(p, m->clock);
	for (i = 0; i < 4; i++) {
		put16(p + 4 + 2 * i, m->h[i]);
		put16(p + 12 + 2 * i, m->v[i]);
	}
	put32(p + 20, m->flags);
}

/* Index of the offered mode @p describes, or -1. */
static int find_mode(const uint8_t *p)
{
	uint8_t want[MODE_LEN];
	int i;

	for (i = 0; i < GUD_EMU_NUM_MODES; i++) {
		put_mode(want, &emu_modes[i]);
		/* The preferred flag follows the host's mode type; ignore it. */
		put32(want + 20, emu_modes[i].flags & ~MODE_FLAG_PREFERRED);
		if (!memcmp(want, p, 20) &&
		    (get32(p + 20) & ~MODE_FLAG_PREFERRED) == get32(want + 20))
			return i;
	}
	return -1;
}

static unsigned int format_cpp(int format)
{
	switch (format) {
	case FMT_XRGB8888:
		return 4;
	case FMT_RGB565:
		return 2;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Frames */

static void publish_locked(struct gud_emu *g)
{
	struct vdisp *d = &g->disp;
	size_t i, n = (size_t)g->width * g->height;

	if (vdisp_resize_locked(d, g->width, g->height)) {
		vdisp_error_locked(d, "gud: out of memory for a %ux%u frame",
				   g->width, g->height);
		return;
	}
	if (g->format == FMT_XRGB8888) {
		for (i = 0; i < n; i++)
			d->px[i] = get32(g->fb + 4 * i) & 0xffffff;
	} else {
		for (i = 0; i < n; i++)
			d->px[i] = rgb565_to_xrgb(get16(g->fb + 2 * i));
	}
	vdisp_publish_locked(d);
}

static void reset_stream_locked(struct gud_emu *g)
{
	g->nqueued = 0;
	g->nxfer = 0;
}

/* The bulk data of the first queued buffer is complete in g->xfer. */
static void complete_buffer_locked(struct gud_emu *g)
{
	const struct gud_emu_buffer *b = &g->queue[0];
	size_t row = (size_t)b->width * g->cpp;
	const uint8_t *src = g->xfer;
	unsigned int r;

	if (b->compression) {
		int n = LZ4_decompress_safe((const char *)g->xfer,
					    (char *)g->decomp, b->xfer_len,
					    b->length);

		if (n != (int)b->length) {
			vdisp_error_locked(&g->disp,
					   "gud: LZ4 buffer %ux%u+%u+%u: %u bytes decompress to %d, announced %u",
					   b->width, b->height, b->x, b->y,
					   b->xfer_len, n, b->length);
			reset_stream_locked(g);
			return;
		}
		src = g->decomp;
		g->lz4_buffers++;
	}
	for (r = 0; r < b->height; r++)
		memcpy(g->fb + ((size_t)(b->y + r) * g->width + b->x) * g->cpp,
		       src + r * row, row);
	g->buffers++;
	g->last = *b;
	g->pixel_bytes += b->length;

	memmove(&g->queue[0], &g->queue[1],
		(g->nqueued - 1) * sizeof(g->queue[0]));
	g->nqueued--;
	g->nxfer = 0;
	publish_locked(g);
}

static void feed_locked(struct gud_emu *g, const uint8_t *data, size_t len)
{
	g->bulk_bytes += len;
	while (len) {
		size_t n;

		if (!g->nqueued) {
			/* Ahead of its SET_BUFFER, or a protocol error. */
			if (g->nxfer + len > GUD_EMU_MAX_BUFFER) {
				vdisp_error_locked(&g->disp,
						   "gud: %zu bulk bytes without a SET_BUFFER",
						   g->nxfer + len);
				g->nxfer = 0;
				return;
			}
			memcpy(g->xfer + g->nxfer, data, len);
			g->nxfer += len;
			return;
		}
		n = g->queue[0].xfer_len - g->nxfer;
		if (n > len)
			n = len;
		memcpy(g->xfer + g->nxfer, data, n);
		g->nxfer += n;
		data += n;
		len -= n;
		if (g->nxfer == g->queue[0].xfer_len)
			complete_buffer_locked(g);
	}
}

void gud_emu_feed(struct gud_emu *g, const uint8_t *data, size_t len)
{
	pthread_mutex_lock(&g->disp.lock);
	feed_locked(g, data, len);
	pthread_mutex_unlock(&g->disp.lock);
}

/*
 * Size of the next bulk read, see gud.h: the rest of the buffer being
 * received, else one packet.  This runs in the reader thread between two
 * reads, so the reader picks it up for its next EP_READ.  The reader's
 * buffer is allocated when the endpoint is enabled, with the read size of
 * that moment (GUD_EMU_READ_MAX at the first SET_CONFIGURATION): if the
 * host configured the device again, stay at one packet, which fits any.
 */
static uint32_t next_read_locked(struct gud_emu *g)
{
	size_t n;

	if (g->usb.configs > 1 || !g->nqueued)
		return BULK_PACKET;
	n = g->queue[0].xfer_len - g->nxfer;
	return n < GUD_EMU_READ_MAX ? n : GUD_EMU_READ_MAX;
}

static void gud_bulk_out(struct vusb_dev *dev, int ep_index,
			 const uint8_t *data, size_t len, bool short_xfer)
{
	struct gud_emu *g = dev->priv;

	(void)short_xfer;
	pthread_mutex_lock(&g->disp.lock);
	feed_locked(g, data, len);
	dev->eps[ep_index].read_size = next_read_locked(g);
	/* A paused device: no further EP_READ until released or unplugged. */
	while (g->pause_bulk && !dev->stopping && !dev->eps[ep_index].stop) {
		pthread_mutex_unlock(&g->disp.lock);
		usleep(10 * 1000);
		pthread_mutex_lock(&g->disp.lock);
	}
	pthread_mutex_unlock(&g->disp.lock);
}

/* ---------------------------------------------------------------------- */
/* Control requests; all run with disp.lock held. */

/* A malformed request: the host driver never sends one. */
static uint8_t proto_error(struct gud_emu *g, const char *what,
			   unsigned int a, unsigned int b)
{
	vdisp_error_locked(&g->disp, "gud: %s (%u, %u)", what, a, b);
	return ST_PROTOCOL_ERROR;
}

static uint8_t set_buffer(struct gud_emu *g, const uint8_t *p)
{
	struct gud_emu_buffer b = {
		.x = get32(p), .y = get32(p + 4),
		.width = get32(p + 8), .height = get32(p + 12),
		.length = get32(p + 16), .compression = p[20],
	};
	uint32_t complen = get32(p + 21);
	uint64_t expect;

	if (g->mode < 0 || !g->controller_enabled)
		return proto_error(g, "SET_BUFFER before a commit / enable",
				   g->mode >= 0, g->controller_enabled);
	if (!b.width || !b.height ||
	    (uint64_t)b.x + b.width > g->width ||
	    (uint64_t)b.y + b.height > g->height) {
		vdisp_error_locked(&g->disp,
				   "gud: SET_BUFFER %ux%u+%u+%u outside the %ux%u mode",
				   b.width, b.height, b.x, b.y,
				   g->width, g->height);
		return ST_INVALID;
	}
	expect = (uint64_t)b.width * b.height * g->cpp;
	if (b.length != expect || b.length > GUD_EMU_MAX_BUFFER) {
		vdisp_error_locked(&g->disp,
				   "gud: SET_BUFFER %ux%u: length %u, expected %llu (max %u)",
				   b.width, b.height, b.length,
				   (unsigned long long)expect, GUD_EMU_MAX_BUFFER);
		return ST_INVALID;
	}
	if (b.compression == COMPRESSION_LZ4 && g->lz4) {
		if (!complen || complen > b.length)
			return proto_error(g, "LZ4 compressed length / length",
					   complen, b.length);
		b.xfer_len = complen;
	} else if (!b.compression) {
		if (complen)
			return proto_error(g, "uncompressed SET_BUFFER with a compressed length",
					   complen, b.length);
		b.xfer_len = b.length;
	} else {
		return proto_error(g, "SET_BUFFER compression not offered",
				   b.compression, g->lz4);
	}
	if (g->resync && !g->no_status_on_set && g->nqueued) {
		/*
		 * The host waits for the status of each SET_BUFFER and sends
		 * its data before the next one: a buffer still incomplete now
		 * lost the rest of its data (a failed bulk transfer). Drop it.
		 */
		g->resyncs++;
		g->nqueued = 0;
		g->nxfer = 0;
	}
	if (g->nqueued == GUD_EMU_MAX_QUEUE)
		return proto_error(g, "too many SET_BUFFERs without data",
				   g->nqueued, 0);

	if (g->verbose)
		printf("gud-emu: SET_BUFFER %ux%u+%u+%u, %u bytes%s (%u on the wire)\n",
		       b.width, b.height, b.x, b.y, b.length,
		       b.compression ? " LZ4" : "", b.xfer_len);
	g->queue[g->nqueued++] = b;
	if (g->nqueued == 1 && g->nxfer) {
		/* The data overtook its request: consume it now. */
		uint8_t *early = malloc(g->nxfer);
		size_t n = g->nxfer;

		if (!early)
			return proto_error(g, "out of memory", 0, 0);
		memcpy(early, g->xfer, n);
		g->nxfer = 0;
		g->bulk_bytes -= n;
		feed_locked(g, early, n);
		free(early);
	}
	return ST_OK;
}

static uint8_t state_check(struct gud_emu *g, const uint8_t *p,
			   unsigned int len)
{
	int mode = find_mode(p);
	int format = p[MODE_LEN];

	g->state_checks++;
	g->checked = false;
	if (len != STATE_LEN)	/* no properties were offered */
		return proto_error(g, "STATE_CHECK length", len, STATE_LEN);
	if (p[MODE_LEN + 1] >= (g->connectors ? g->connectors : 1))
		return proto_error(g, "STATE_CHECK connector", p[MODE_LEN + 1],
				   g->connectors);
	if (!format_cpp(format))
		return proto_error(g, "STATE_CHECK format not offered", format, 0);
	if (mode < 0) {
		/* Legitimate (a user mode), but not one this device can do. */
		printf("gud-emu: refusing mode %ux%u clock %u\n",
		       get16(p + 4), get16(p + 12), get32(p));
		g->refused++;
		return ST_INVALID;
	}
	if (g->verbose)
		printf("gud-emu: STATE_CHECK %ux%u format 0x%02x\n",
		       emu_modes[mode].h[0], emu_modes[mode].v[0], format);
	g->checked = true;
	g->check_mode = mode;
	g->check_format = format;
	return ST_OK;
}

/*
 * The host has finished every bulk transfer before it sends its next
 * request, but the reader thread may not have handed us the last bytes
 * yet: give it a moment before the framebuffer changes under them.
 */
static void drain_locked(struct gud_emu *g)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	while (g->nqueued)
		if (pthread_cond_timedwait(&g->disp.cond, &g->disp.lock,
					   &ts) == ETIMEDOUT)
			break;
}

static int state_commit(struct gud_emu *g)
{
	const struct emu_mode *m;
	size_t size;

	if (!g->checked || !g->controller_enabled) {
		proto_error(g, "STATE_COMMIT without a check / enable",
			    g->checked, g->controller_enabled);
		return -1;
	}
	g->commits++;
	if (g->verbose)
		printf("gud-emu: STATE_COMMIT\n");
	drain_locked(g);
	if (g->check_mode == g->mode && g->check_format == g->format)
		return 0;	/* nothing changes: keep the picture */

	m = &emu_modes[g->check_mode];
	size = (size_t)m->h[0] * m->v[0] * format_cpp(g->check_format);
	free(g->fb);
	g->fb = calloc(1, size);
	if (!g->fb) {
		g->mode = -1;
		proto_error(g, "out of memory for the framebuffer", m->h[0],
			    m->v[0]);
		return -1;
	}
	g->mode = g->check_mode;
	g->format = g->check_format;
	g->width = m->h[0];
	g->height = m->v[0];
	g->cpp = format_cpp(g->format);
	/* Anything still in flight was meant for the old framebuffer. */
	if (g->nqueued)
		proto_error(g, "STATE_COMMIT with buffers in flight",
			    g->nqueued, 0);
	reset_stream_locked(g);
	return 0;
}

/*
 * A 128-byte EDID 1.4 base block with one detailed timing (640x480), the
 * checksum right unless @bad_sum, and @ext extension blocks announced.
 */
static void put_edid_block(uint8_t *p, unsigned int ext, bool bad_sum)
{
	static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	const struct emu_mode *m = &emu_modes[0];
	unsigned int hb = m->h[3] - m->h[0], vb = m->v[3] - m->v[0];
	unsigned int hso = m->h[1] - m->h[0], hsw = m->h[2] - m->h[1];
	unsigned int vso = m->v[1] - m->v[0], vsw = m->v[2] - m->v[1];
	uint8_t *d = p + 54, sum = 0;
	int i;

	memset(p, 0, EDID_BLOCK);
	memcpy(p, header, sizeof(header));
	p[8] = 0x5a;		/* manufacturer "VUS" */
	p[9] = 0xb3;
	p[18] = 1;		/* version 1.4 */
	p[19] = 4;
	p[20] = 0xa5;		/* digital, 8 bits, DisplayPort */
	p[24] = 0x06;		/* RGB 4:4:4, sRGB, preferred timing native */
	put16(d, m->clock / 10);
	d[2] = m->h[0];
	d[3] = hb;
	d[4] = (m->h[0] >> 8) << 4 | hb >> 8;
	d[5] = m->v[0];
	d[6] = vb;
	d[7] = (m->v[0] >> 8) << 4 | vb >> 8;
	d[8] = hso;
	d[9] = hsw;
	d[10] = (vso & 0xf) << 4 | (vsw & 0xf);
	d[11] = (hso >> 8) << 6 | (hsw >> 8) << 4 | (vso >> 4) << 2 | vsw >> 4;
	d[17] = 0x18;		/* digital separate sync, both negative */
	p[126] = ext;
	for (i = 0; i < EDID_BLOCK - 1; i++)
		sum += p[i];
	p[127] = (uint8_t)(0x100 - sum) + (bad_sum ? 1 : 0);
}

/* GET_CONNECTOR_EDID: empty unless a hostile variant answers. */
static int get_edid(struct gud_emu *g, uint8_t *buf, unsigned int len)
{
	unsigned int n;

	switch (g->hostile) {
	case GUD_HOSTILE_EDID_CHECKSUM:
		if (len < EDID_BLOCK)
			return 0;
		put_edid_block(buf, 0, true);
		return EDID_BLOCK;
	case GUD_HOSTILE_EDID_TRUNCATED:
		if (len < EDID_BLOCK)
			return 0;
		put_edid_block(buf, 0, false);
		return 100;
	case GUD_HOSTILE_EDID_OVERSIZED:
		n = len < EDID_MAX_LEN ? len : EDID_MAX_LEN;
		n -= n % EDID_BLOCK;
		if (!n)
			return 0;
		/* Extension blocks of garbage, more announced than sent. */
		memset(buf, 0x5a, n);
		put_edid_block(buf, 255, false);
		return n;
	default:
		return 0;
	}
}

/*
 * GUD_HOSTILE_MANY_MODES: as many distinct modes as fit in @len, the
 * offered ones first, then 640x480 timings with growing blanking.
 */
static int get_many_modes(uint8_t *buf, unsigned int len)
{
	unsigned int i, n = len / MODE_LEN;
	struct emu_mode m;

	for (i = 0; i < n; i++) {
		if (i < GUD_EMU_NUM_MODES) {
			m = emu_modes[i];
		} else {
			m = emu_modes[0];
			m.flags &= ~MODE_FLAG_PREFERRED;
			m.h[3] += 8 * i;
			m.clock += 100 * i;
		}
		put_mode(buf + i * MODE_LEN, &m);
	}
	return n * MODE_LEN;
}

/* Returns the IN length, 0 for an accepted OUT request, -1 to stall. */
static int control_locked(struct gud_emu *g, const struct usb_ctrlrequest *req,
			  uint8_t *buf)
{
	unsigned int len = __le16_to_cpu(req->wLength);
	unsigned int value = __le16_to_cpu(req->wValue);
	unsigned int nconn = g->connectors ? g->connectors : 1;
	bool in = req->bRequestType & USB_DIR_IN;
	int i, n;

	if ((req->bRequestType & USB_TYPE_MASK) != USB_TYPE_VENDOR ||
	    (req->bRequestType & USB_RECIP_MASK) != USB_RECIP_INTERFACE ||
	    __le16_to_cpu(req->wIndex) != 0) {
		g->status = ST_NOT_SUPPORTED;
		return -1;
	}
	if (req->bRequest < sizeof(g->requests) / sizeof(g->requests[0]))
		g->requests[req->bRequest]++;
	if (req->bRequest == REQ_GET_STATUS) {
		g->status_requests++;
		if (!in || len < 1)
			return -1;
		buf[0] = g->status;
		return 1;
	}

	g->status = ST_OK;
	switch (req->bRequest) {
	case REQ_GET_DESCRIPTOR:
		if (!in)
			break;
		put32(buf, DESC_MAGIC);
		buf[4] = 1;
		put32(buf + 5, g->no_status_on_set ? 0 : DESC_FLAG_STATUS_ON_SET);
		buf[9] = g->lz4 ? COMPRESSION_LZ4 : 0;
		put32(buf + 10, g->max_buffer ? g->max_buffer :
		      GUD_EMU_MAX_BUFFER);
		put32(buf + 14, emu_modes[0].h[0]);
		put32(buf + 18, emu_modes[GUD_EMU_NUM_MODES - 1].h[0]);
		put32(buf + 22, emu_modes[0].v[0]);
		put32(buf + 26, emu_modes[GUD_EMU_NUM_MODES - 1].v[0]);
		if (g->hostile == GUD_HOSTILE_SIZES_ZERO) {
			put32(buf + 14, 0);
			put32(buf + 18, 0);
			put32(buf + 22, 0);
			put32(buf + 26, 0);
		} else if (g->hostile == GUD_HOSTILE_SIZES_HUGE) {
			put32(buf + 10, 0);
			put32(buf + 18, 0xffffffff);
			put32(buf + 26, 0xffffffff);
		} else if (g->hostile == GUD_HOSTILE_SIZES_WRAP) {
			put32(buf + 10, 0);
			put32(buf + 18, 0x80000000);
			put32(buf + 26, 0x80000000);
		}
		return DESC_LEN;
	case REQ_GET_FORMATS:
		if (!in)
			break;
		if (g->hostile == GUD_HOSTILE_NO_FORMATS)
			return 0;
		if (g->hostile == GUD_HOSTILE_UNKNOWN_FORMATS) {
			n = len < 8 ? len : 8;
			for (i = 0; i < n; i++)
				buf[i] = 0xe0 + i;	/* no GUD format */
			return n;
		}
		if (g->hostile == GUD_HOSTILE_SIZES_WRAP) {
			buf[0] = FMT_XRGB8888;
			return 1;
		}
		memcpy(buf, emu_formats, sizeof(emu_formats));
		return sizeof(emu_formats);
	case REQ_GET_PROPERTIES:
		if (!in)
			break;
		return 0;
	case REQ_GET_CONNECTORS:
		if (!in)
			break;
		if (g->hostile == GUD_HOSTILE_NO_CONNECTORS)
			return 0;
		n = nconn;
		if (nconn * CONNECTOR_DESC_LEN > len)
			n = len / CONNECTOR_DESC_LEN;
		for (i = 0; i < n; i++) {
			buf[i * CONNECTOR_DESC_LEN] = CONNECTOR_TYPE_DISPLAYPORT;
			put32(buf + i * CONNECTOR_DESC_LEN + 1, 0);
		}
		return n * CONNECTOR_DESC_LEN;
	case REQ_GET_CONNECTOR_PROPERTIES:
		if (!in || value >= nconn)
			break;
		return 0;
	case REQ_GET_CONNECTOR_EDID:
		if (!in || value >= nconn)
			break;
		return get_edid(g, buf, len);
	case REQ_GET_CONNECTOR_STATUS:
		if (!in || value >= nconn)
			break;
		if (g->hostile == GUD_HOSTILE_SHORT_STATUS)
			return 0;
		buf[0] = CONNECTOR_CONNECTED;
		return 1;
	case REQ_GET_CONNECTOR_MODES:
		if (!in || value >= nconn)
			break;
		if (g->hostile == GUD_HOSTILE_MANY_MODES)
			return get_many_modes(buf, len);
		n = len / MODE_LEN;
		if (n > GUD_EMU_NUM_MODES)
			n = GUD_EMU_NUM_MODES;
		for (i = 0; i < n; i++)
			put_mode(buf + i * MODE_LEN, &emu_modes[i]);
		return n * MODE_LEN;
	case REQ_SET_CONNECTOR_FORCE_DETECT:
		if (in || len || value >= nconn)
			break;
		return 0;
	case REQ_SET_CONTROLLER_ENABLE:
	case REQ_SET_DISPLAY_ENABLE:
		if (in || len != 1 || buf[0] > 1) {
			g->status = proto_error(g, "ENABLE request", len, buf[0]);
			return 0;
		}
		if (req->bRequest == REQ_SET_CONTROLLER_ENABLE)
			g->controller_enabled = buf[0];
		else
			g->display_enabled = buf[0];
		return 0;
	case REQ_SET_STATE_CHECK:
		if (in || len < STATE_LEN)
			break;
		if (g->hostile == GUD_HOSTILE_CHECK_ERROR) {
			g->state_checks++;
			g->status = ST_ERROR;
			return 0;
		}
		g->status = state_check(g, buf, len);
		return 0;
	case REQ_SET_STATE_COMMIT:
		if (in || len)
			break;
		if (state_commit(g)) {
			g->status = ST_PROTOCOL_ERROR;
			return -1;
		}
		return 0;
	case REQ_SET_BUFFER:
		if (in || len != SET_BUFFER_LEN)
			break;
		g->status = set_buffer(g, buf);
		return 0;
	default:
		/* e.g. TV mode values: no TV_MODE property was offered. */
		g->status = proto_error(g, "unexpected request", req->bRequest,
					req->bRequestType);
		return in || !len ? -1 : 0;
	}
	/* A known request with the wrong direction, length or index. */
	g->status = proto_error(g, "malformed request", req->bRequest, len);
	return in || !len ? -1 : 0;
}

static int gud_control(struct vusb_dev *dev, const struct usb_ctrlrequest *req,
		       uint8_t *buf)
{
	struct gud_emu *g = dev->priv;
	int ret;

	pthread_mutex_lock(&g->disp.lock);
	ret = control_locked(g, req, buf);
	pthread_mutex_unlock(&g->disp.lock);
	return ret;
}

/* ---------------------------------------------------------------------- */

int gud_emu_start(struct gud_emu *g, const char *udc)
{
	bool lz4 = g->lz4, no_status_on_set = g->no_status_on_set;
	bool verbose = g->verbose;
	uint32_t max_buffer = g->max_buffer;
	unsigned int connectors = g->connectors;
	bool resync = g->resync;
	int hostile = g->hostile;
	int ret;

	memset(g, 0, sizeof(*g));
	g->lz4 = lz4;
	g->no_status_on_set = no_status_on_set;
	g->verbose = verbose;
	g->max_buffer = max_buffer;
	g->resync = resync;
	g->connectors = connectors;
	g->hostile = hostile;
	g->mode = -1;
	g->format = -1;
	vdisp_init(&g->disp);
	g->xfer = malloc(GUD_EMU_MAX_BUFFER);
	g->decomp = malloc(GUD_EMU_MAX_BUFFER);
	if (!g->xfer || !g->decomp) {
		ret = -ENOMEM;
		goto err;
	}

	g->ep[0].addr = USB_DIR_OUT | 1;
	g->ep[0].type = USB_ENDPOINT_XFER_BULK;
	g->ep[0].maxpacket = BULK_PACKET;
	g->ep[0].read_size = GUD_EMU_READ_MAX;	/* see gud.h */
	g->ep[0].out = gud_bulk_out;

	g->usb.vendor = GUD_EMU_VENDOR;
	g->usb.product = GUD_EMU_PRODUCT;
	g->usb.bcd_device = 0x0100;
	g->usb.manufacturer = "vusb";
	g->usb.product_name = "Virtual Generic USB Display";
	g->usb.serial = "0001";
	g->usb.intf_class = 0xff;
	g->usb.eps = g->ep;
	g->usb.neps = 1;
	g->usb.control = gud_control;
	g->usb.priv = g;

	ret = vusb_start(&g->usb, udc);
	if (!ret)
		return 0;
err:
	free(g->xfer);
	free(g->decomp);
	g->xfer = g->decomp = NULL;
	vdisp_fini(&g->disp);
	return ret;
}

void gud_emu_stop(struct gud_emu *g)
{
	pthread_mutex_lock(&g->disp.lock);
	drain_locked(g);
	pthread_mutex_unlock(&g->disp.lock);
	vusb_stop(&g->usb);

	pthread_mutex_lock(&g->disp.lock);
	/*
	 * A buffer cut short by the unplug is normal (fbcon may be flushing);
	 * bulk data that no SET_BUFFER announced is not.
	 */
	if (g->nqueued)
		printf("gud-emu: unplugged during a %ux%u buffer (%zu of %u bytes)\n",
		       g->queue[0].width, g->queue[0].height, g->nxfer,
		       g->queue[0].xfer_len);
	else if (g->nxfer)
		vdisp_error_locked(&g->disp,
				   "gud: %zu bulk bytes that no SET_BUFFER announced",
				   g->nxfer);
	/* Keep the verdict readable after vdisp_fini(). */
	if (g->disp.errors)
		vusb_error(&g->usb, "protocol error: %s", g->disp.error);
	pthread_mutex_unlock(&g->disp.lock);

	free(g->fb);
	free(g->xfer);
	free(g->decomp);
	g->fb = g->xfer = g->decomp = NULL;
	vdisp_fini(&g->disp);
}

void gud_emu_stats(struct gud_emu *g)
{
	pthread_mutex_lock(&g->disp.lock);
	printf("gud-emu: lz4 %s, status-on-set %s: %lu state checks, %lu commits, %lu buffers (%lu LZ4), %lu bulk bytes for %lu pixel bytes, %lu frames, %lu status requests, %lu modes refused, %lu control requests\n",
	       g->lz4 ? "on" : "off", g->no_status_on_set ? "off" : "on",
	       g->state_checks, g->commits, g->buffers, g->lz4_buffers,
	       g->bulk_bytes, g->pixel_bytes, g->disp.frames,
	       g->status_requests, g->refused, g->usb.ctrl_requests);
	pthread_mutex_unlock(&g->disp.lock);
}
