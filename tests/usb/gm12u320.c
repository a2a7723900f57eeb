// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated GM12U320 projector for the gm12u320 DRM driver; see
 * gm12u320.h for the protocol.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gm12u320.h"

#define BLOCK_SIZE	(GM12U320_EMU_HDR_SIZE + GM12U320_EMU_CONTENT + \
			 GM12U320_EMU_FTR_SIZE)
#define LAST_SIZE	(GM12U320_EMU_HDR_SIZE + GM12U320_EMU_LAST_CONTENT + \
			 GM12U320_EMU_FTR_SIZE)
#define LINE_BYTES	(GM12U320_EMU_PANEL_WIDTH * 3)

/* Command block fields (a mass-storage CBW in shape). */
#define CB_LEN		8	/* data phase length, le32 */
#define CB_FLAGS	12
#define CB_LUN		13
#define CB_CBLEN	14
#define CB_OP		15
#define OP_DATA		0xff
#define OP_DRAW		0xfe
#define OP_MISC		0xfd

#define MISC_VALUE_SIZE	4
#define MISC_ECO_A	0xff
#define MISC_ECO_B	0x35

static bool frame_block_last(int n)
{
	return n == GM12U320_EMU_BLOCKS - 1;
}

static size_t frame_block_size(int n)
{
	return frame_block_last(n) ? LAST_SIZE : BLOCK_SIZE;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* The common part of every command: signature, tag 0, lengths. */
static void cmd_init(uint8_t *c, uint32_t data_len, uint8_t flags,
		     uint8_t lun, uint8_t op)
{
	memset(c, 0, GM12U320_EMU_CMD_SIZE);
	memcpy(c, "USBC", 4);
	put_le32(c + CB_LEN, data_len);
	c[CB_FLAGS] = flags;
	c[CB_LUN] = lun;
	c[CB_CBLEN] = 16;
	c[CB_OP] = op;
}

static void expect_data_cmd(uint8_t *c, int n, int parity)
{
	cmd_init(c, frame_block_size(n), 0x00, 0, OP_DATA);
	c[20] = 0xfc - 4 * n;
	c[21] = n | parity << 7;
	c[22] = 0x80;
}

static void expect_draw_cmd(uint8_t *c)
{
	static const uint8_t tail[] = { 0xc0, 0xd1, 0x05, 0x00, 0x40, 0x00,
					0x01 };

	cmd_init(c, 0, 0x00, 0, OP_DRAW);
	memcpy(c + 19, tail, sizeof(tail));
}

static void expect_misc_cmd(uint8_t *c, const uint8_t *req_args)
{
	cmd_init(c, MISC_VALUE_SIZE, 0x80, 1, OP_MISC);
	c[19] = 0xc0;
	memcpy(c + 20, req_args, 6);
}

/*
 * Block header: 64 zero bytes, then a fixed descriptor whose bytes 12-15
 * are the number of pixel bytes (little endian); the meaning of the others
 * is unknown, they are checked as constants.
 */
static void expect_header(uint8_t *h, bool last)
{
	static const uint8_t lead[] = { 0xfb, 0x14, 0, 0, 0, 0, 0, 0 };
	static const uint8_t mid[] = { 0x00, 0x04, 0x15, 0x00 };
	static const uint8_t mid_last[] = { 0x2a, 0x00, 0x20, 0x00 };
	uint8_t *d = h + 64;

	memset(h, 0, GM12U320_EMU_HDR_SIZE);
	memcpy(d, lead, sizeof(lead));
	memcpy(d + 8, last ? mid_last : mid, 4);
	put_le32(d + 12, last ? GM12U320_EMU_LAST_CONTENT :
		 GM12U320_EMU_CONTENT);
	d[16] = 0x01;
	d[19] = last ? 0xd7 : 0xdb;
}

static void expect_footer(uint8_t *f)
{
	memset(f, 0, GM12U320_EMU_FTR_SIZE);
	f[0] = 0xfb;
	f[1] = 0x14;
	f[2] = 0x02;
	f[3] = 0x20;
	f[16] = 0x80;
	f[19] = 0x4f;
}

/* First differing byte of @got against @want, or -1. */
static long first_diff(const uint8_t *got, const uint8_t *want, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			return i;
	return -1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static bool send_status(struct gm12u320_emu *g, int ep_index,
			const uint8_t *cmd)
{
	uint8_t csw[GM12U320_EMU_STATUS_SIZE] = { 'U', 'S', 'B', 'S' };
	int ret;

	memcpy(csw + 4, cmd + 4, 4);	/* tag */
	ret = vusb_ep_write(&g->usb, ep_index, csw, sizeof(csw));
	if (ret != (int)sizeof(csw)) {
		if (!g->usb.stopping)
			vusb_error(&g->usb, "status on ep 0x%02x: %d",
				   g->ep[ep_index].addr, ret);
		return false;
	}
	pthread_mutex_lock(&g->disp.lock);
	g->statuses++;
	pthread_mutex_unlock(&g->disp.lock);
	return true;
}

/* Queue the data endpoint's status for @cmd; the status thread sends it. */
static void queue_status(struct gm12u320_emu *g, const uint8_t *cmd)
{
	unsigned int i;

	pthread_mutex_lock(&g->st_lock);
	if (g->st_tail - g->st_head == GM12U320_EMU_STATUS_QUEUE) {
		g->st_head++;	/* the oldest goes */
		g->st_dropped++;
	}
	i = g->st_tail++ % GM12U320_EMU_STATUS_QUEUE;
	memcpy(g->st_tag[i], cmd + 4, 4);
	g->st_draw[i] = cmd[CB_OP] == OP_DRAW;
	g->st_ms[i] = now_ms();
	pthread_cond_signal(&g->st_cond);
	pthread_mutex_unlock(&g->st_lock);
}

static void *status_thread(void *arg)
{
	struct gm12u320_emu *g = arg;
	uint8_t cmd[GM12U320_EMU_CMD_SIZE] = { 0 };
	unsigned int i;
	long queued;
	bool draw;

	pthread_mutex_lock(&g->st_lock);
	for (;;) {
		while (!g->st_stop && g->st_head == g->st_tail)
			pthread_cond_wait(&g->st_cond, &g->st_lock);
		if (g->st_stop)
			break;
		i = g->st_head++ % GM12U320_EMU_STATUS_QUEUE;
		memcpy(cmd + 4, g->st_tag[i], 4);
		draw = g->st_draw[i];
		queued = g->st_ms[i];
		pthread_mutex_unlock(&g->st_lock);
		/*
		 * A draw's status taken long after it was due may be the
		 * one a timed-out read gave up on: the host then keeps the
		 * parity bit, and the check below must not apply.
		 */
		if (send_status(g, GM12U320_EP_DATA_IN, cmd) && draw &&
		    now_ms() - queued < GM12U320_EMU_STATUS_PROMPT_MS) {
			pthread_mutex_lock(&g->disp.lock);
			g->draw_read = true;
			pthread_mutex_unlock(&g->disp.lock);
		}
		pthread_mutex_lock(&g->st_lock);
	}
	pthread_mutex_unlock(&g->st_lock);
	return NULL;
}

/* vusb_stop(): the endpoints are disabled; stop the status thread. */
static void gm12u320_quiesce(struct vusb_dev *dev)
{
	struct gm12u320_emu *g = dev->priv;

	if (!g->st_running)
		return;
	pthread_mutex_lock(&g->st_lock);
	g->st_stop = true;
	pthread_cond_signal(&g->st_cond);
	pthread_mutex_unlock(&g->st_lock);
	/* a status the host never reads keeps EP_WRITE waiting */
	if (vusb_stop_thread(g->st_thread))
		vusb_error(dev, "the status thread does not stop");
	g->st_running = false;
}

/* ---------------------------------------------------------------------- */
/* Misc requests: endpoint 4, answered on endpoint 1. */

static void misc_out(struct vusb_dev *dev, int ep_index, const uint8_t *data,
		     size_t len, bool short_xfer)
{
	struct gm12u320_emu *g = dev->priv;
	uint8_t want[GM12U320_EMU_CMD_SIZE], value[MISC_VALUE_SIZE] = { 0 };
	long diff;
	int ret;

	(void)ep_index;
	if (len != GM12U320_EMU_CMD_SIZE || !short_xfer) {
		vdisp_error(&g->disp, "misc: %zu-byte transfer, not a %d-byte command",
			    len, GM12U320_EMU_CMD_SIZE);
		return;
	}
	/* Linux 6.12 only ever sets the eco mode: ff 35 01 {0,1} 00 01. */
	expect_misc_cmd(want, data + 20);
	want[20] = MISC_ECO_A;
	want[21] = MISC_ECO_B;
	want[22] = 0x01;
	want[23] = data[23] ? 0x01 : 0x00;
	want[24] = 0x00;
	want[25] = 0x01;
	diff = first_diff(data, want, GM12U320_EMU_CMD_SIZE);
	if (diff >= 0) {
		vdisp_error(&g->disp, "misc command byte %ld is 0x%02x, expected 0x%02x",
			    diff, data[diff], want[diff]);
		return;
	}
	pthread_mutex_lock(&g->disp.lock);
	g->misc_reqs++;
	g->eco = data[23];
	value[0] = g->eco;
	pthread_mutex_unlock(&g->disp.lock);

	ret = vusb_ep_write(dev, GM12U320_EP_MISC_IN, value, sizeof(value));
	if (ret != (int)sizeof(value)) {
		if (!dev->stopping)
			vusb_error(dev, "misc value: %d", ret);
		return;
	}
	send_status(g, GM12U320_EP_MISC_IN, data);
}

/* ---------------------------------------------------------------------- */
/* Frame data: endpoint 3, statuses on endpoint 2. */

/* Publish the visible columns of the panel; checks the side columns. */
static void draw_locked(struct gm12u320_emu *g)
{
	const unsigned int w = GM12U320_EMU_WIDTH, h = GM12U320_EMU_HEIGHT;
	const uint8_t *line;
	unsigned int x, y;

	for (y = 0; y < h; y++) {
		line = g->panel + (size_t)y * LINE_BYTES;
		for (x = 0; x < GM12U320_EMU_PANEL_WIDTH; x++) {
			const uint8_t *p = line + x * 3;

			if (x >= GM12U320_EMU_XOFF &&
			    x < GM12U320_EMU_XOFF + w)
				continue;
			if (p[0] | p[1] | p[2]) {
				vdisp_error_locked(&g->disp,
						   "frame %lu: side column %u of line %u is %02x%02x%02x, not black",
						   g->draws, x, y, p[2], p[1],
						   p[0]);
				g->broken = true;
				return;
			}
		}
	}
	if (vdisp_resize_locked(&g->disp, w, h)) {
		vdisp_error_locked(&g->disp, "out of memory");
		g->broken = true;
		return;
	}
	for (y = 0; y < h; y++) {
		uint32_t *dst = g->disp.px + (size_t)y * w;

		line = g->panel + (size_t)y * LINE_BYTES +
		       GM12U320_EMU_XOFF * 3;
		for (x = 0; x < w; x++, line += 3)
			dst[x] = (uint32_t)line[2] << 16 |
				 (uint32_t)line[1] << 8 | line[0];
	}
	vdisp_publish_locked(&g->disp);
}

/* A 31-byte command on the data endpoint; returns true to send a status. */
static bool data_cmd_locked(struct gm12u320_emu *g, const uint8_t *data)
{
	uint8_t want[GM12U320_EMU_CMD_SIZE];
	int n = g->next_block;
	long diff;

	/*
	 * The host gave up on a frame (a transfer or status read timed
	 * out, gm12u320_fb_update_work() "Frame update error") and starts
	 * the next one with block 0: take it, as the device's block number
	 * in the command allows.
	 */
	if (n > 0) {
		expect_data_cmd(want, 0, data[21] >> 7);
		if (first_diff(data, want, sizeof(want)) < 0) {
			g->restarts++;
			n = g->next_block = 0;
		}
	}

	if (n == GM12U320_EMU_BLOCKS) {
		expect_draw_cmd(want);
		diff = first_diff(data, want, sizeof(want));
		if (diff >= 0) {
			vdisp_error_locked(&g->disp, "after block %d: command byte %ld is 0x%02x, expected 0x%02x of the draw command",
					   n - 1, diff, data[diff], want[diff]);
			return false;
		}
		/*
		 * The driver flips the bit once it has read a draw's status;
		 * a frame after a draw whose status it did not read (timed
		 * out, still queued) repeats it.
		 */
		/*
		 * Counted, not failed: under software emulation a status
		 * written promptly can still reach a read that has just
		 * timed out, and the host then rightly keeps the bit.
		 */
		if (g->parity == g->last_parity && g->must_flip)
			g->parity_kept++;
		if (g->parity == g->last_parity)
			g->redraws++;
		g->draws++;
		draw_locked(g);
		g->last_parity = g->parity;
		g->next_block = 0;
		g->draw_read = false;
		return true;
	}

	if (n == 0) {	/* a frame starts: learn its parity bit */
		g->parity = data[21] >> 7;
		g->must_flip = g->draw_read;
	}
	expect_data_cmd(want, n, g->parity);
	diff = first_diff(data, want, sizeof(want));
	if (diff >= 0) {
		vdisp_error_locked(&g->disp, "expected the data command of block %d: byte %ld is 0x%02x, expected 0x%02x",
				   n, diff, data[diff], want[diff]);
		return false;
	}
	g->data_cmds++;
	g->block_size = frame_block_size(n);
	g->block_len = 0;
	return false;
}

/* The block is complete: check it and keep its pixel bytes. */
static void data_block_locked(struct gm12u320_emu *g)
{
	uint8_t want[GM12U320_EMU_HDR_SIZE];
	int n = g->next_block;
	size_t content = g->block_size - GM12U320_EMU_HDR_SIZE -
			 GM12U320_EMU_FTR_SIZE;
	long diff;

	expect_header(want, frame_block_last(n));
	diff = first_diff(g->block, want, GM12U320_EMU_HDR_SIZE);
	if (diff >= 0) {
		vdisp_error_locked(&g->disp, "block %d: header byte %ld is 0x%02x, expected 0x%02x",
				   n, diff, g->block[diff], want[diff]);
		g->broken = true;
		return;
	}
	expect_footer(want);
	diff = first_diff(g->block + g->block_size - GM12U320_EMU_FTR_SIZE,
			  want, GM12U320_EMU_FTR_SIZE);
	if (diff >= 0) {
		vdisp_error_locked(&g->disp, "block %d: footer byte %ld is 0x%02x, expected 0x%02x",
				   n, diff,
				   g->block[g->block_size -
					    GM12U320_EMU_FTR_SIZE + diff],
				   want[diff]);
		g->broken = true;
		return;
	}
	memcpy(g->panel + (size_t)n * GM12U320_EMU_CONTENT,
	       g->block + GM12U320_EMU_HDR_SIZE, content);
	g->blocks++;
	g->next_block++;
	g->block_size = 0;
	g->block_len = 0;
}

static void data_out(struct vusb_dev *dev, int ep_index, const uint8_t *data,
		     size_t len, bool short_xfer)
{
	struct gm12u320_emu *g = dev->priv;
	uint8_t cmd[GM12U320_EMU_CMD_SIZE] = { 0 };
	unsigned int stall = 0;
	bool status = false;

	(void)ep_index;
	pthread_mutex_lock(&g->disp.lock);
	g->data_bytes += len;
	if (g->broken) {
		/* keep the host going: every command and block gets a status */
		status = len == GM12U320_EMU_CMD_SIZE ||
			 len == BLOCK_SIZE || len == LAST_SIZE;
		if (len == GM12U320_EMU_CMD_SIZE)
			memcpy(cmd, data, len);
		if (len == GM12U320_EMU_CMD_SIZE && data[CB_OP] == OP_DATA)
			status = false;	/* its block follows first */
		pthread_mutex_unlock(&g->disp.lock);
		goto out;
	}

	/* The host gave up on the block: a command comes instead. */
	if (g->block_size && short_xfer && len == GM12U320_EMU_CMD_SIZE &&
	    g->block_len + len != g->block_size && !memcmp(data, "USBC", 4)) {
		g->block_size = 0;
		g->block_len = 0;
	}

	if (!g->block_size) {
		if (len != GM12U320_EMU_CMD_SIZE || !short_xfer) {
			vdisp_error_locked(&g->disp, "data: %zu-byte transfer where a %d-byte command was due (block %d)",
					   len, GM12U320_EMU_CMD_SIZE,
					   g->next_block);
			g->broken = true;
		} else {
			memcpy(cmd, data, len);
			status = data_cmd_locked(g, data);
			if (!status && !g->block_size)
				g->broken = true;
			if (g->stall_ms && g->block_size &&
			    g->next_block == g->stall_block) {
				stall = g->stall_ms;
				g->stall_ms = 0;
				g->stalls++;
			}
		}
		pthread_mutex_unlock(&g->disp.lock);
		goto out;
	}

	if (g->block_len + len > g->block_size ||
	    (short_xfer && g->block_len + len != g->block_size)) {
		vdisp_error_locked(&g->disp, "block %d: %zu bytes arrived, %zu announced",
				   g->next_block, g->block_len + len,
				   g->block_size);
		g->broken = true;
		pthread_mutex_unlock(&g->disp.lock);
		goto out;
	}
	memcpy(g->block + g->block_len, data, len);
	g->block_len += len;
	if (g->block_len == g->block_size) {
		data_block_locked(g);
		status = true;
	}
	pthread_mutex_unlock(&g->disp.lock);
out:
	if (status)
		queue_status(g, cmd);
	if (stall)	/* the reader takes no transfer meanwhile */
		usleep(stall * 1000);
}

/* SET_CONFIGURATION: a new session starts with a new frame. */
static void gm12u320_configured(struct vusb_dev *dev)
{
	struct gm12u320_emu *g = dev->priv;

	pthread_mutex_lock(&g->disp.lock);
	g->next_block = 0;
	g->block_size = 0;
	g->block_len = 0;
	g->last_parity = -1;
	pthread_mutex_unlock(&g->disp.lock);
}

/* ---------------------------------------------------------------------- */

int gm12u320_emu_start(struct gm12u320_emu *g, const char *udc)
{
	static const uint8_t addrs[GM12U320_EP_COUNT] = {
		[GM12U320_EP_MISC_IN] = USB_DIR_IN | 1,
		[GM12U320_EP_DATA_IN] = USB_DIR_IN | 2,
		[GM12U320_EP_DATA_OUT] = USB_DIR_OUT | 3,
		[GM12U320_EP_MISC_OUT] = USB_DIR_OUT | 4,
	};
	int i, ret;

	memset(g, 0, sizeof(*g));
	vdisp_init(&g->disp);
	g->panel = calloc(1, GM12U320_EMU_FRAME_BYTES);
	g->block = malloc(BLOCK_SIZE);
	if (!g->panel || !g->block) {
		ret = -ENOMEM;
		goto fail;
	}
	g->last_parity = -1;
	g->eco = -1;

	for (i = 0; i < GM12U320_EP_COUNT; i++) {
		g->ep[i].addr = addrs[i];
		g->ep[i].type = USB_ENDPOINT_XFER_BULK;
		g->ep[i].maxpacket = 512;
	}
	/* Larger than a block, so that each block ends with a short packet. */
	g->ep[GM12U320_EP_DATA_OUT].read_size = 64 * 1024;
	g->ep[GM12U320_EP_DATA_OUT].out = data_out;
	g->ep[GM12U320_EP_MISC_OUT].read_size = 512;
	g->ep[GM12U320_EP_MISC_OUT].out = misc_out;

	g->usb.vendor = GM12U320_EMU_VENDOR;
	g->usb.product = GM12U320_EMU_PRODUCT;
	g->usb.bcd_device = 0x0100;
	g->usb.manufacturer = "vusb";
	g->usb.product_name = "Virtual GM12U320 projector";
	g->usb.serial = "0001";
	g->usb.intf_class = 0xff;
	g->usb.eps = g->ep;
	g->usb.neps = GM12U320_EP_COUNT;
	g->usb.configured = gm12u320_configured;
	g->usb.quiesce = gm12u320_quiesce;
	g->usb.priv = g;

	pthread_mutex_init(&g->st_lock, NULL);
	pthread_cond_init(&g->st_cond, NULL);
	if (pthread_create(&g->st_thread, NULL, status_thread, g)) {
		ret = -EAGAIN;
		goto fail;
	}
	g->st_running = true;
	ret = vusb_start(&g->usb, udc);
	if (!ret)
		return 0;
	gm12u320_quiesce(&g->usb);
fail:
	free(g->panel);
	free(g->block);
	g->panel = NULL;
	g->block = NULL;
	return ret;
}

void gm12u320_emu_stop(struct gm12u320_emu *g)
{
	vusb_stop(&g->usb);
	gm12u320_quiesce(&g->usb);	/* if vusb_stop() had nothing to stop */
	free(g->panel);
	free(g->block);
	g->panel = NULL;
	g->block = NULL;
	vdisp_fini(&g->disp);
}

void gm12u320_emu_stats(struct gm12u320_emu *g)
{
	const struct vdisp_check *c;

	pthread_mutex_lock(&g->disp.lock);
	printf("gm12u320-emu: %lu misc requests (eco %d), %lu data commands, %lu blocks, %llu data bytes, %lu frames drawn (%lu restarted, %lu with the parity of the one before), %lu statuses (%u queued, %lu dropped), %lu published, %lu stalls, %lu kept the parity after a status sent promptly\n",
	       g->misc_reqs, g->eco, g->data_cmds, g->blocks, g->data_bytes,
	       g->draws, g->restarts, g->redraws, g->statuses,
	       g->st_tail - g->st_head, g->st_dropped, g->disp.frames,
	       g->stalls, g->parity_kept);
	c = g->disp.check;
	if (c)
		printf("gm12u320-emu: frame check: %lu frames, %lu committed images, %lu torn, %zu images declared\n",
		       c->frames, c->matched, c->torn, c->nwant);
	pthread_mutex_unlock(&g->disp.lock);
}
