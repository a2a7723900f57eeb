// SPDX-License-Identifier: GPL-2.0
/*
 * gud_native: the unmodified gud driver against the emulated Generic USB
 * Display (tests/usb/gud.c) on dummy_hcd + raw_gadget.
 *
 * Twice, unplugging in between: once with LZ4 compression and the
 * status-after-SET flag, once uncompressed without it.  Each time: plug
 * the device in, wait for its card, show a dumb XRGB8888 framebuffer at
 * the preferred mode with a legacy modeset and check that the device
 * decoded exactly pattern frame 0; then draw frame 1 over the whole buffer
 * but flush one clip rectangle with DIRTYFB and check that exactly that
 * rectangle changed and that it arrived as one SET_BUFFER of that size
 * (LZ4-compressed in the LZ4 run: the pictures are made compressible
 * there); then show an RGB565 framebuffer, which gud passes through, and
 * check it in RGB565 space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"
#include "gud.h"

#define UDC		"dummy_udc.0"
#define PROBE_MS	20000
#define FRAME_MS	20000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long count_diff(const uint32_t *a, const uint32_t *b,
				size_t n)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += (a[i] ^ b[i]) & 0xffffff ? 1 : 0;
	return bad;
}

static void save_png(const char *tag, const char *what, const uint32_t *px,
		     unsigned int w, unsigned int h)
{
	struct stat st;
	char path[128];

	if (stat("/out", &st) || !S_ISDIR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/out/gud_native-%s-%s.png", tag, what);
	if (!png_write(path, px, w, h, w * 4))
		printf("wrote %s\n", path);
}

/*
 * Wait until the device shows @expect (w x h, packed).  Frames published
 * before the one we wait for (e.g. fbcon's) may differ; only the last one
 * seen at the deadline counts.
 */
static int wait_image(struct gud_emu *g, const uint32_t *expect,
		      unsigned int w, unsigned int h, unsigned long after,
		      const char *tag)
{
	long deadline = now_ms() + FRAME_MS;
	uint32_t *got = NULL;
	unsigned int gw = 0, gh = 0;
	long n;

	for (;;) {
		long left = deadline - now_ms();

		n = vdisp_wait(&g->disp, after, left > 0 ? left : 0);
		if (n == -EPROTO)
			break;
		if (n < 0) {
			printf("%s: no matching frame within %d ms\n", tag,
			       FRAME_MS);
			break;
		}
		after = n;
		free(got);
		got = vdisp_snapshot(&g->disp, &gw, &gh);
		if (got && gw == w && gh == h &&
		    !count_diff(expect, got, (size_t)w * h)) {
			printf("%s: frame %ld matches (%ux%u)\n", tag, n, w, h);
			free(got);
			return 0;
		}
	}
	if (got && gw == w && gh == h) {
		printf("%s: last frame differs:\n", tag);
		image_compare(expect, w * 4, got, w * 4, w, h);
		save_png(tag, "expected", expect, w, h);
		save_png(tag, "shown", got, w, h);
	} else if (got) {
		printf("%s: last frame is %ux%u, expected %ux%u\n", tag, gw,
		       gh, w, h);
	}
	free(got);
	return -1;
}

/*
 * With LZ4, make the picture compressible (the pattern alone is not, and
 * gud then falls back to sending it raw): every row repeats the first of
 * its group of 8.
 */
static void draw(struct gud_emu *g, uint32_t *px, unsigned int w,
		 unsigned int h, unsigned int pitch, unsigned int frame)
{
	unsigned int y;

	pattern_fill(px, w, h, pitch, frame);
	if (!g->lz4)
		return;
	for (y = 0; y < h; y++)
		if (y & 7)
			memcpy((uint8_t *)px + (size_t)y * pitch,
			       (uint8_t *)px + (size_t)(y & ~7u) * pitch,
			       w * 4);
}

struct card {
	int fd;
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
};

/* The connected connector, its preferred mode and a CRTC for it. */
static int find_output(struct card *c, const char *tag)
{
	bool big = false, found = false;
	drmModeConnectorPtr conn = NULL;
	drmModeResPtr res;
	int i, ret = -1;

	res = drmModeGetResources(c->fd);
	if (!res || res->count_connectors != 1 || res->count_crtcs != 1) {
		printf("%s: expected one connector and one CRTC\n", tag);
		goto out;
	}
	/*
	 * The card can be opened before the driver has finished probing the
	 * connector (drm_dev_register() is still running): give it time, as
	 * lib/disp.c does.
	 */
	for (i = 0; i < 25; i++) {
		conn = drmModeGetConnector(c->fd, res->connectors[0]);
		if (conn && conn->connection == DRM_MODE_CONNECTED)
			break;
		drmModeFreeConnector(conn);
		conn = NULL;
		usleep(200 * 1000);
	}
	if (!conn) {
		printf("%s: connector not connected after 5 s\n", tag);
		goto out;
	}
	for (i = 0; i < conn->count_modes; i++) {
		drmModeModeInfo *m = &conn->modes[i];

		printf("%s: mode %s %ux%u clock %u%s\n", tag, m->name,
		       m->hdisplay, m->vdisplay, m->clock,
		       m->type & DRM_MODE_TYPE_PREFERRED ? " preferred" : "");
		if (m->hdisplay == 3840 && m->vdisplay == 2160)
			big = true;
		if (m->type & DRM_MODE_TYPE_PREFERRED && !found) {
			c->mode = *m;
			found = true;
		}
	}
	if (conn->count_modes != GUD_EMU_NUM_MODES || !big || !found ||
	    c->mode.hdisplay != 640 || c->mode.vdisplay != 480) {
		printf("%s: expected %d modes up to 3840x2160, 640x480 preferred\n",
		       tag, GUD_EMU_NUM_MODES);
		goto out;
	}
	c->conn_id = conn->connector_id;
	c->crtc_id = res->crtcs[0];
	ret = 0;
out:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

static int show_and_check(struct gud_emu *g, struct card *c, const char *tag)
{
	drmModeClip clip = { .x1 = 100, .y1 = 60, .x2 = 301, .y2 = 203 };
	unsigned int w = c->mode.hdisplay, h = c->mode.vdisplay;
	uint32_t *expect = NULL, *frame1 = NULL;
	struct gud_emu_buffer last;
	struct kms_dumb buf;
	unsigned long before, buffers;
	uint32_t fb = 0;
	unsigned int x, y;
	int ret = -1;

	if (kms_dumb_create(c->fd, w, h, 32, &buf) || kms_dumb_map(&buf))
		return -1;
	if (kms_add_fb_xrgb(c->fd, w, h, buf.handle, buf.pitch, &fb))
		goto out;
	expect = malloc((size_t)w * h * 4);
	frame1 = malloc((size_t)w * h * 4);
	if (!expect || !frame1)
		goto out;

	/* Frame 0, full screen, through a modeset. */
	draw(g, buf.map, w, h, buf.pitch, 0);
	draw(g, expect, w, h, w * 4, 0);
	before = vdisp_frames(&g->disp);
	if (drmModeSetCrtc(c->fd, c->crtc_id, fb, 0, 0, &c->conn_id, 1,
			   &c->mode)) {
		printf("%s: SetCrtc: %s\n", tag, strerror(errno));
		goto out;
	}
	if (wait_image(g, expect, w, h, before, tag))
		goto out;

	/* Frame 1 everywhere in memory, but only the clip flushed. */
	draw(g, buf.map, w, h, buf.pitch, 1);
	draw(g, frame1, w, h, w * 4, 1);
	for (y = clip.y1; y < clip.y2; y++)
		for (x = clip.x1; x < clip.x2; x++)
			expect[y * w + x] = frame1[y * w + x];
	pthread_mutex_lock(&g->disp.lock);
	before = g->disp.frames;
	buffers = g->buffers;
	pthread_mutex_unlock(&g->disp.lock);
	if (drmModeDirtyFB(c->fd, fb, &clip, 1)) {
		printf("%s: DIRTYFB: %s\n", tag, strerror(errno));
		goto out;
	}
	if (wait_image(g, expect, w, h, before, tag))
		goto out;
	pthread_mutex_lock(&g->disp.lock);
	buffers = g->buffers - buffers;
	last = g->last;
	pthread_mutex_unlock(&g->disp.lock);
	if (buffers != 1 || last.x != (uint32_t)clip.x1 ||
	    last.y != (uint32_t)clip.y1 ||
	    last.width != (uint32_t)(clip.x2 - clip.x1) ||
	    last.height != (uint32_t)(clip.y2 - clip.y1)) {
		printf("%s: DIRTYFB sent %lu buffers, last %ux%u+%u+%u; expected one %dx%d+%d+%d\n",
		       tag, buffers, last.width, last.height, last.x, last.y,
		       clip.x2 - clip.x1, clip.y2 - clip.y1, clip.x1, clip.y1);
		goto out;
	}
	if (g->lz4 != (last.compression != 0)) {
		printf("%s: clip buffer compression %u with LZ4 %s\n", tag,
		       last.compression, g->lz4 ? "on" : "off");
		goto out;
	}
	printf("%s: DIRTYFB clip %dx%d+%d+%d arrived alone (%u bytes on the wire for %u)\n",
	       tag, clip.x2 - clip.x1, clip.y2 - clip.y1, clip.x1, clip.y1,
	       last.xfer_len, last.length);
	ret = 0;
out:
	free(expect);
	free(frame1);
	if (fb)
		drmModeRmFB(c->fd, fb);
	kms_dumb_destroy(&buf);
	return ret;
}

/*
 * An RGB565 framebuffer, which the device receives as RGB565 (a format
 * change, so a new STATE_CHECK and COMMIT), checked in RGB565 space.
 */
static int check_rgb565(struct gud_emu *g, struct card *c, const char *tag,
			unsigned int frame)
{
	unsigned int w = c->mode.hdisplay, h = c->mode.vdisplay, x, y;
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t *expect;
	struct kms_dumb buf;
	unsigned long before;
	uint32_t fb = 0;
	int ret = -1;

	expect = malloc((size_t)w * h * 4);
	if (!expect)
		return -1;
	if (kms_dumb_create(c->fd, w, h, 16, &buf) || kms_dumb_map(&buf))
		goto out;
	handles[0] = buf.handle;
	pitches[0] = buf.pitch;
	if (drmModeAddFB2(c->fd, w, h, DRM_FORMAT_RGB565, handles, pitches,
			  offsets, &fb, 0)) {
		printf("%s: AddFB2 RGB565: %s\n", tag, strerror(errno));
		fb = 0;
		goto out;
	}
	draw(g, expect, w, h, w * 4, frame);
	for (y = 0; y < h; y++) {
		uint16_t *row = (uint16_t *)((uint8_t *)buf.map + y * buf.pitch);

		for (x = 0; x < w; x++)
			row[x] = xrgb_to_rgb565(expect[y * w + x]);
	}
	image_reduce_565(expect, w, h, w * 4);
	before = vdisp_frames(&g->disp);
	if (drmModeSetCrtc(c->fd, c->crtc_id, fb, 0, 0, &c->conn_id, 1,
			   &c->mode)) {
		printf("%s: SetCrtc RGB565: %s\n", tag, strerror(errno));
		goto out;
	}
	ret = wait_image(g, expect, w, h, before, tag);
out:
	free(expect);
	if (fb)
		drmModeRmFB(c->fd, fb);
	kms_dumb_destroy(&buf);
	return ret;
}

static int run(struct gud_emu *g, bool lz4)
{
	const char *tag = lz4 ? "lz4" : "raw";
	struct card c = { .fd = -1 };
	long deadline;
	int ret = -1;

	g->lz4 = lz4;
	g->no_status_on_set = !lz4;
	g->verbose = true;
	if (gud_emu_start(g, UDC)) {
		printf("%s: cannot start the emulated device\n", tag);
		return KMS_EXIT_SKIP;
	}

	deadline = now_ms() + PROBE_MS;
	while ((c.fd = kms_find_driver("gud")) < 0 && now_ms() < deadline &&
	       !vusb_failed(&g->usb))
		usleep(200 * 1000);
	if (c.fd < 0)
		printf("%s: no gud card within %d ms\n", tag, PROBE_MS);
	else if (!find_output(&c, tag))
		ret = show_and_check(g, &c, tag);
	if (!ret)
		ret = check_rgb565(g, &c, tag, 2);

	if (c.fd >= 0)
		close(c.fd);
	gud_emu_stats(g);
	gud_emu_stop(g);
	if (vusb_failed(&g->usb)) {
		printf("%s: the device recorded an error\n", tag);
		ret = -1;
	}
	printf("%s: %s\n", tag, ret ? "FAIL" : "ok");
	return ret ? KMS_EXIT_FAIL : KMS_EXIT_PASS;
}

int main(void)
{
	static struct gud_emu g;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = run(&g, true);
	if (ret == KMS_EXIT_PASS)
		ret = run(&g, false);
	printf("gud_native: %s\n", ret == KMS_EXIT_PASS ? "PASS" : "FAIL");
	return ret;
}
