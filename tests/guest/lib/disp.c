// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario tests on emulated USB displays: models, plugging, expected
 * pictures; see disp.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "disp.h"
#include "gm12u320.h"
#include "gud.h"
#include "udl.h"

#define FLUSH_AFTER_MS	3000
#define MAX_CARDS	32
#define CONNECT_MS	5000

/* ---- the models --------------------------------------------------------- */

static int udl_start(void *e, const char *udc)
{
	return udl_emu_start(e, udc);
}

static void udl_stop(void *e)
{
	udl_emu_stop(e);
}

static void udl_stats(void *e)
{
	udl_emu_stats(e);
}

static struct vdisp *udl_vdisp(void *e)
{
	return &((struct udl_emu *)e)->disp;
}

static struct vusb_dev *udl_usb(void *e)
{
	return &((struct udl_emu *)e)->usb;
}

static int gm12_start(void *e, const char *udc)
{
	return gm12u320_emu_start(e, udc);
}

static void gm12_stop(void *e)
{
	gm12u320_emu_stop(e);
}

static void gm12_stats(void *e)
{
	gm12u320_emu_stats(e);
}

static struct vdisp *gm12_vdisp(void *e)
{
	return &((struct gm12u320_emu *)e)->disp;
}

static struct vusb_dev *gm12_usb(void *e)
{
	return &((struct gm12u320_emu *)e)->usb;
}

/* gud: with LZ4 and the status after every SET request. */
static int gud_start(void *e, const char *udc)
{
	struct gud_emu *g = e;

	g->lz4 = true;
	g->no_status_on_set = false;
	return gud_emu_start(g, udc);
}

static void gud_stop(void *e)
{
	gud_emu_stop(e);
}

static void gud_stats(void *e)
{
	gud_emu_stats(e);
}

static struct vdisp *gud_vdisp(void *e)
{
	return &((struct gud_emu *)e)->disp;
}

static struct vusb_dev *gud_usb(void *e)
{
	return &((struct gud_emu *)e)->usb;
}

static const struct disp_model model_udl = {
	.name = "udl", .driver = "udl",
	.width = 1024, .height = 768,
	.depth = DISP_DEPTH_RGB565,
	.damage = DISP_DAMAGE_CLIPS,
	.flush_fallback = true,
	.emu_size = sizeof(struct udl_emu),
	.start = udl_start, .stop = udl_stop, .stats = udl_stats,
	.vdisp = udl_vdisp, .usb = udl_usb,
};

static const struct disp_model model_gm12u320 = {
	.name = "gm12u320", .driver = "gm12u320",
	.width = GM12U320_EMU_WIDTH, .height = GM12U320_EMU_HEIGHT,
	.depth = DISP_DEPTH_EXACT,
	.damage = DISP_DAMAGE_CLIPS_OR_BOX,
	.emu_size = sizeof(struct gm12u320_emu),
	.start = gm12_start, .stop = gm12_stop, .stats = gm12_stats,
	.vdisp = gm12_vdisp, .usb = gm12_usb,
};

static const struct disp_model model_gud = {
	.name = "gud", .driver = "gud",
	.width = 640, .height = 480,
	.depth = DISP_DEPTH_EXACT,
	.damage = DISP_DAMAGE_CLIPS_OR_BOX,
	.emu_size = sizeof(struct gud_emu),
	.start = gud_start, .stop = gud_stop, .stats = gud_stats,
	.vdisp = gud_vdisp, .usb = gud_usb,
};

/* The same device driven in its largest mode, 3840x2160. */
static const struct disp_model model_gud4k = {
	.name = "gud4k", .driver = "gud",
	.width = 3840, .height = 2160, .offered_mode = true,
	.depth = DISP_DEPTH_EXACT,
	.damage = DISP_DAMAGE_CLIPS_OR_BOX,
	.emu_size = sizeof(struct gud_emu),
	.start = gud_start, .stop = gud_stop, .stats = gud_stats,
	.vdisp = gud_vdisp, .usb = gud_usb,
};

const struct disp_model *const disp_models[] = {
	&model_udl, &model_gm12u320, &model_gud, &model_gud4k, NULL,
};

const struct disp_model *disp_model_find(const char *name, size_t len)
{
	int i;

	for (i = 0; disp_models[i]; i++)
		if (strlen(disp_models[i]->name) == len &&
		    !strncmp(disp_models[i]->name, name, len))
			return disp_models[i];
	return NULL;
}

/* ---- plugging ----------------------------------------------------------- */

long disp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

bool disp_bound(const struct disp_model *m)
{
	char path[96];
	struct dirent *de;
	bool bound = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/usb/drivers/%s", m->driver);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((de = readdir(dir)))
		if (strchr(de->d_name, ':'))	/* an interface, "1-1:1.0" */
			bound = true;
	closedir(dir);
	return bound;
}

/* The card driven by the model's driver, quietly; -1 if none yet. */
static int open_card(struct disp *d)
{
	int i;

	for (i = 0; i < MAX_CARDS; i++) {
		drmVersionPtr ver;
		bool match;
		int fd;

		snprintf(d->card, sizeof(d->card), "/dev/dri/card%d", i);
		fd = open(d->card, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		match = ver && !strcmp(ver->name, d->m->driver);
		drmFreeVersion(ver);
		if (match)
			return fd;
		close(fd);
	}
	d->card[0] = 0;
	return -1;
}

/* The preferred mode, or for @m->offered_mode the one of @m's size. */
static bool mode_wanted(const struct disp_model *m,
			const drmModeModeInfo *mode)
{
	if (m->offered_mode)
		return mode->hdisplay == m->width &&
		       mode->vdisplay == m->height;
	return mode->type & DRM_MODE_TYPE_PREFERRED;
}

static int find_output(struct disp *d)
{
	drmModeResPtr res = drmModeGetResources(d->fd);
	drmModeConnectorPtr conn = NULL;
	int i, ret = -1, pick = -1;
	long deadline;

	if (!res) {
		printf("GETRESOURCES failed: %s\n", strerror(errno));
		return -1;
	}
	if (res->count_connectors != 1 || res->count_crtcs != 1) {
		printf("expected 1 connector and 1 CRTC, got %d and %d\n",
		       res->count_connectors, res->count_crtcs);
		goto out;
	}
	d->crtc_id = res->crtcs[0];
	d->conn_id = res->connectors[0];
	/* The driver may still be probing the connector: give it time. */
	deadline = disp_now_ms() + CONNECT_MS;
	for (;;) {
		conn = drmModeGetConnector(d->fd, d->conn_id);
		if ((conn && conn->connection == DRM_MODE_CONNECTED) ||
		    disp_now_ms() > deadline)
			break;
		drmModeFreeConnector(conn);
		conn = NULL;
		usleep(200 * 1000);
	}
	if (!conn || conn->connection != DRM_MODE_CONNECTED) {
		printf("connector %u is not connected after %d ms\n",
		       d->conn_id, CONNECT_MS);
		goto out;
	}
	for (i = 0; i < conn->count_modes && pick < 0; i++)
		if (mode_wanted(d->m, &conn->modes[i]))
			pick = i;
	if (pick < 0 && conn->count_modes && !d->m->offered_mode)
		pick = 0;
	if (pick < 0 && d->m->offered_mode) {
		printf("the connector offers no %ux%u mode\n", d->m->width,
		       d->m->height);
		goto out;
	}
	if (pick < 0) {
		printf("the connector has no modes\n");
		goto out;
	}
	d->mode = conn->modes[pick];
	if (d->mode.hdisplay != d->m->width ||
	    d->mode.vdisplay != d->m->height) {
		printf("preferred mode %ux%u, the device offers %ux%u\n",
		       d->mode.hdisplay, d->mode.vdisplay, d->m->width,
		       d->m->height);
		goto out;
	}
	printf("%s: connector %u, CRTC %u, mode %s@%u (%d modes)\n", d->card,
	       d->conn_id, d->crtc_id, d->mode.name, d->mode.vrefresh,
	       conn->count_modes);
	ret = 0;
out:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

int disp_plug(struct disp *d, const struct disp_model *m, const char *test)
{
	size_t n = (size_t)m->width * m->height;
	bool replugged = false;
	long deadline;

	if (!d->emu) {
		const char *udc = d->udc;

		memset(d, 0, sizeof(*d));
		d->udc = udc;
		d->fd = -1;
		d->m = m;
		d->test = test;
		d->w = m->width;
		d->h = m->height;
		d->emu = calloc(1, m->emu_size);
		d->cur = calloc(n, 4);
		d->alt = calloc(n, 4);
		d->dc = calloc(n, 1);
		d->fbimg = calloc(n, 4);
		d->tmp = calloc(n, 4);
		d->tmp2 = calloc(n, 4);
		if (!d->emu || !d->cur || !d->alt || !d->dc || !d->fbimg ||
		    !d->tmp || !d->tmp2) {
			printf("out of memory\n");
			return KMS_EXIT_FAIL;
		}
	}
again:
	d->cur_valid = false;
	d->has_alt = false;
	if (disp_bound(m)) {
		printf("a %s device is bound before the test plugged one in\n",
		       m->driver);
		return KMS_EXIT_FAIL;
	}
	if (m->start(d->emu, d->udc ? d->udc : DISP_UDC)) {
		printf("cannot start the emulated %s device\n", m->name);
		return KMS_EXIT_FAIL;
	}
	d->plugged = true;

	deadline = disp_now_ms() + DISP_PROBE_MS;
	while (disp_now_ms() < deadline && !vusb_failed(m->usb(d->emu))) {
		if (disp_bound(m)) {
			d->fd = open_card(d);
			if (d->fd >= 0)
				break;
		}
		usleep(200 * 1000);
	}
	if (d->fd < 0) {
		printf("no %s DRM device %d ms after plugging in\n", m->driver,
		       DISP_PROBE_MS);
		m->stats(d->emu);
		/*
		 * Under software emulation the device may answer a probe
		 * request later than the driver's timeout (gm12u320: 200 ms),
		 * and the probe fails. Plug in again, once; a second failure
		 * fails the test.
		 */
		if (!replugged && !vusb_failed(m->usb(d->emu))) {
			printf("unplugging and plugging in again, once\n");
			replugged = true;
			if (!disp_unplug(d))
				goto again;
		}
		return KMS_EXIT_FAIL;
	}
	printf("plugged in: %s is %s\n", m->driver, d->card);
	if (find_output(d) || vusb_failed(m->usb(d->emu)))
		return KMS_EXIT_FAIL;
	return 0;
}

bool disp_proto_failed(struct disp *d)
{
	struct vdisp *v = d->m->vdisp(d->emu);
	bool bad;

	pthread_mutex_lock(&v->lock);
	bad = v->errors != 0;
	if (bad)
		printf("protocol error: %s\n", v->error);
	pthread_mutex_unlock(&v->lock);
	return bad;
}

int disp_pull(struct disp *d)
{
	int ret = 0;

	if (!d->plugged)
		return 0;
	d->m->stats(d->emu);
	if (disp_proto_failed(d))
		ret = KMS_EXIT_FAIL;
	d->m->stop(d->emu);	/* unplug */
	d->plugged = false;
	if (vusb_failed(d->m->usb(d->emu)))
		ret = KMS_EXIT_FAIL;
	printf("unplugged the emulated %s device\n", d->m->name);
	return ret;
}

int disp_wait_unbound(struct disp *d)
{
	long deadline = disp_now_ms() + DISP_UNPLUG_MS;

	while (disp_bound(d->m) && disp_now_ms() < deadline)
		usleep(100 * 1000);
	if (disp_bound(d->m)) {
		printf("%s is still bound %d ms after unplugging\n",
		       d->m->driver, DISP_UNPLUG_MS);
		return KMS_EXIT_FAIL;
	}
	printf("%s unbound\n", d->m->driver);
	return 0;
}

int disp_unplug(struct disp *d)
{
	int ret;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (!d->plugged)
		return 0;
	ret = disp_pull(d);
	if (disp_wait_unbound(d))
		ret = KMS_EXIT_FAIL;
	return ret;
}

void disp_free(struct disp *d)
{
	free(d->emu);
	free(d->cur);
	free(d->alt);
	free(d->dc);
	free(d->fbimg);
	free(d->tmp);
	free(d->tmp2);
	d->emu = NULL;
}

/* ---- drawing and updates ------------------------------------------------ */

uint32_t *disp_pattern(struct disp *d, unsigned int frame)
{
	uint32_t *img = malloc((size_t)d->w * d->h * 4);

	if (img)
		pattern_fill(img, d->w, d->h, d->w * 4, frame);
	else
		printf("out of memory\n");
	return img;
}

void disp_draw(struct disp *d, void *map, unsigned int pitch,
	       const uint32_t *img)
{
	unsigned int y;

	for (y = 0; y < d->h; y++)
		memcpy((char *)map + (size_t)y * pitch, img + (size_t)y * d->w,
		       (size_t)d->w * 4);
	__sync_synchronize();
	memcpy(d->fbimg, img, (size_t)d->w * d->h * 4);
}

int disp_modeset(struct disp *d, uint32_t fb)
{
	if (drmModeSetCrtc(d->fd, d->crtc_id, fb, 0, 0, &d->conn_id, 1,
			   &d->mode)) {
		int err = errno;

		printf("SETCRTC of fb %u, %s failed: %s\n", fb, d->mode.name,
		       strerror(err));
		return -err;
	}
	return 0;
}

int disp_dirty(struct disp *d, uint32_t fb, const struct drm_mode_rect *r,
	       unsigned int n, bool verbose)
{
	drmModeClip all = { 0, 0, d->w, d->h };
	drmModeClip *clips = &all;
	unsigned int i;
	int ret = 0;

	if (n) {
		clips = calloc(n, sizeof(*clips));
		if (!clips)
			return -ENOMEM;
		/* struct drm_clip_rect holds unsigned shorts */
		for (i = 0; i < n; i++) {
			clips[i].x1 = r[i].x1;
			clips[i].y1 = r[i].y1;
			clips[i].x2 = r[i].x2;
			clips[i].y2 = r[i].y2;
		}
	}
	if (drmModeDirtyFB(d->fd, fb, clips, n ? n : 1)) {
		ret = -errno;
		if (verbose)
			printf("DIRTYFB of fb %u with %u clips failed: %s\n",
			       fb, n ? n : 1, strerror(-ret));
	}
	if (clips != &all)
		free(clips);
	return ret;
}

/* ---- expectations ------------------------------------------------------- */

void disp_expect_all(struct disp *d, const uint32_t *img)
{
	memcpy(d->cur, img, (size_t)d->w * d->h * 4);
	d->cur_valid = true;
	d->has_alt = false;
}

static void copy_rect(struct disp *d, uint32_t *dst, const uint32_t *src,
		      int x1, int y1, int x2, int y2)
{
	int y;

	x1 = x1 < 0 ? 0 : x1;
	y1 = y1 < 0 ? 0 : y1;
	x2 = x2 > (int)d->w ? (int)d->w : x2;
	y2 = y2 > (int)d->h ? (int)d->h : y2;
	if (x1 >= x2)
		return;
	for (y = y1; y < y2; y++)
		memcpy(dst + (size_t)y * d->w + x1, src + (size_t)y * d->w + x1,
		       (size_t)(x2 - x1) * 4);
}

void disp_expect_rects(struct disp *d, const uint32_t *img,
		       const struct drm_mode_rect *r, unsigned int n)
{
	int bx1 = INT32_MAX, by1 = INT32_MAX, bx2 = INT32_MIN, by2 = INT32_MIN;
	unsigned int i;

	/*
	 * The clips must show @img (cur); with DISP_DAMAGE_CLIPS_OR_BOX, each
	 * pixel of their bounding box may show @img instead of what it showed
	 * (alt, where dc), until disp_wait() takes what the device shows.
	 */
	if (d->m->damage == DISP_DAMAGE_CLIPS_OR_BOX && n && !d->has_alt) {
		memcpy(d->alt, d->cur, (size_t)d->w * d->h * 4);
		memset(d->dc, 0, (size_t)d->w * d->h);
		d->has_alt = true;
	}
	for (i = 0; i < n; i++) {
		copy_rect(d, d->cur, img, r[i].x1, r[i].y1, r[i].x2, r[i].y2);
		if (r[i].x1 >= r[i].x2 || r[i].y1 >= r[i].y2)
			continue;
		bx1 = r[i].x1 < bx1 ? r[i].x1 : bx1;
		by1 = r[i].y1 < by1 ? r[i].y1 : by1;
		bx2 = r[i].x2 > bx2 ? r[i].x2 : bx2;
		by2 = r[i].y2 > by2 ? r[i].y2 : by2;
	}
	if (d->has_alt && bx1 < bx2) {
		int x, y;

		copy_rect(d, d->alt, img, bx1, by1, bx2, by2);
		for (y = by1 < 0 ? 0 : by1; y < by2 && y < (int)d->h; y++)
			for (x = bx1 < 0 ? 0 : bx1; x < bx2 && x < (int)d->w;
			     x++)
				d->dc[(size_t)y * d->w + x] = 1;
	}
}

/* In the device's depth. */
static void reduce(struct disp *d, uint32_t *dst, const uint32_t *src)
{
	memcpy(dst, src, (size_t)d->w * d->h * 4);
	if (d->m->depth == DISP_DEPTH_RGB565)
		image_reduce_565(dst, d->w, d->h, d->w * 4);
}

static unsigned long mismatches(const uint32_t *a, const uint32_t *b,
				size_t n)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += ((a[i] ^ b[i]) & 0x00ffffff) != 0;
	return bad;
}

static void save_pngs(struct disp *d, const char *what, const uint32_t *exp,
		      const uint32_t *got, unsigned int gw, unsigned int gh)
{
	char path[160];
	struct stat st;

	if (stat("/out", &st) || !S_ISDIR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/out/%s-%s-expected.png", d->test,
		 what);
	if (!png_write(path, exp, d->w, d->h, d->w * 4))
		printf("wrote %s\n", path);
	if (!got)
		return;
	snprintf(path, sizeof(path), "/out/%s-%s-shown.png", d->test, what);
	if (!png_write(path, got, gw, gh, gw * 4))
		printf("wrote %s\n", path);
}

/*
 * Does @got show cur (1), or cur with some pixels of alt where allowed
 * (2)?  0: neither.
 */
static int matches(struct disp *d, const uint32_t *got, unsigned int gw,
		   unsigned int gh)
{
	size_t i, n = (size_t)d->w * d->h;
	int which = 1;

	if (!got || gw != d->w || gh != d->h)
		return 0;
	if (!mismatches(d->tmp, got, n))
		return 1;
	if (!d->has_alt)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((d->tmp[i] ^ got[i]) & 0x00ffffff))
			continue;
		if (!d->dc[i] || ((d->tmp2[i] ^ got[i]) & 0x00ffffff))
			return 0;
		which = 2;
	}
	return which;
}

static void explain(struct disp *d, const char *what, const uint32_t *got,
		    unsigned int gw, unsigned int gh)
{
	if (!got) {
		printf("  nothing was shown\n");
		return;
	}
	if (gw != d->w || gh != d->h) {
		printf("  shown picture is %ux%u, expected %ux%u\n", gw, gh,
		       d->w, d->h);
		save_pngs(d, what, d->tmp, got, gw, gh);
		return;
	}
	if (d->has_alt) {
		printf("  against the clips alone:\n");
		image_compare(d->tmp, d->w * 4, got, gw * 4, d->w, d->h);
		printf("  against the clips' bounding box:\n");
		image_compare(d->tmp2, d->w * 4, got, gw * 4, d->w, d->h);
	} else {
		image_compare(d->tmp, d->w * 4, got, gw * 4, d->w, d->h);
	}
	save_pngs(d, what, d->tmp, got, gw, gh);
}

/* From now on, expect what the device shows (@got matched). */
static void accept(struct disp *d, int which, const uint32_t *got)
{
	size_t i, n = (size_t)d->w * d->h;

	if (which == 2)
		for (i = 0; i < n; i++)
			if (d->dc[i] && ((d->tmp[i] ^ got[i]) & 0x00ffffff))
				d->cur[i] = d->alt[i];
	d->has_alt = false;
}

/* A pixel whose framebuffer content the device should already show. */
static bool flush_pixel(struct disp *d, unsigned int *x, unsigned int *y)
{
	size_t i, n = (size_t)d->w * d->h;

	for (i = 0; i < n; i++)
		if (!((d->cur[i] ^ d->fbimg[i]) & 0x00ffffff) &&
		    (!d->has_alt || !((d->alt[i] ^ d->fbimg[i]) & 0xffffff))) {
			*x = i % d->w;
			*y = i / d->w;
			return true;
		}
	return false;
}

int disp_wait(struct disp *d, uint32_t fb, const char *what)
{
	struct vdisp *v = d->m->vdisp(d->emu);
	long deadline, last_ms, ret;
	unsigned int gw = 0, gh = 0, fx, fy;
	unsigned long seen, pictures = 0;
	bool flushed = false;
	uint32_t *got = NULL;
	int which;

	reduce(d, d->tmp, d->cur);
	if (d->has_alt)
		reduce(d, d->tmp2, d->alt);
	seen = vdisp_frames(v);
	got = vdisp_snapshot(v, &gw, &gh);
	which = matches(d, got, gw, gh);
	deadline = disp_now_ms() + DISP_FRAME_MS;
	last_ms = disp_now_ms();
	while (!which) {
		long left = deadline - disp_now_ms();

		if (left <= 0)
			break;
		ret = vdisp_wait(v, seen, left < 500 ? left : 500);
		if (ret == -EPROTO)
			goto fail;
		if (ret == -ETIMEDOUT) {
			if (d->m->flush_fallback && fb && !flushed &&
			    disp_now_ms() - last_ms > FLUSH_AFTER_MS &&
			    flush_pixel(d, &fx, &fy)) {
				struct drm_mode_rect one = {
					fx, fy, fx + 1, fy + 1
				};

				printf("%s: no picture for %d ms: flushing with a 1x1 DIRTYFB at %u,%u\n",
				       what, FLUSH_AFTER_MS, fx, fy);
				disp_dirty(d, fb, &one, 1, true);
				flushed = true;
				d->flushes++;
			}
			continue;
		}
		seen = ret;
		pictures++;
		last_ms = disp_now_ms();
		free(got);
		got = vdisp_snapshot(v, &gw, &gh);
		which = matches(d, got, gw, gh);
	}
	if (which) {
		printf("%s: %ux%u shown exactly (%s%s), picture %lu\n", what,
		       d->w, d->h,
		       d->m->depth == DISP_DEPTH_RGB565 ? "RGB565" : "24 bit",
		       !d->has_alt ? "" : which == 1 ? ", the clips alone" :
		       ", the clips and parts of their bounding box", seen);
		accept(d, which, got);
		free(got);
		return 0;
	}
	printf("%s: no matching picture within %d ms (%lu new pictures)\n",
	       what, DISP_FRAME_MS, pictures);
	explain(d, what, got, gw, gh);
fail:
	d->m->stats(d->emu);
	free(got);
	return KMS_EXIT_FAIL;
}

int disp_hold(struct disp *d, int ms, const char *what)
{
	struct vdisp *v = d->m->vdisp(d->emu);
	long deadline = disp_now_ms() + ms, ret;
	unsigned long seen, pictures = 0;
	unsigned int gw = 0, gh = 0;
	uint32_t *got;

	reduce(d, d->tmp, d->cur);
	d->has_alt = false;
	seen = vdisp_frames(v);
	for (;;) {
		long left = deadline - disp_now_ms();

		if (left <= 0)
			break;
		ret = vdisp_wait(v, seen, left);
		if (ret == -EPROTO)
			return KMS_EXIT_FAIL;
		if (ret < 0)
			continue;
		seen = ret;
		pictures++;
		got = vdisp_snapshot(v, &gw, &gh);
		if (!matches(d, got, gw, gh)) {
			printf("%s: picture %lu is not the expected one\n",
			       what, seen);
			explain(d, what, got, gw, gh);
			free(got);
			return KMS_EXIT_FAIL;
		}
		free(got);
	}
	got = vdisp_snapshot(v, &gw, &gh);
	if (!matches(d, got, gw, gh)) {
		printf("%s: the device does not show the expected picture\n",
		       what);
		explain(d, what, got, gw, gh);
		free(got);
		return KMS_EXIT_FAIL;
	}
	free(got);
	printf("%s: for %d ms the device showed only the expected picture (%lu new pictures)\n",
	       what, ms, pictures);
	return 0;
}

int disp_find_plane(struct disp *d, struct disp_plane *ap)
{
	drmModeObjectPropertiesPtr props;
	drmModePlaneResPtr pres;
	int ret = KMS_EXIT_FAIL;
	unsigned int i;

	memset(ap, 0, sizeof(*ap));
	if (drmSetClientCap(d->fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		printf("DRM_CLIENT_CAP_ATOMIC refused: %s\n", strerror(errno));
		return KMS_EXIT_FAIL;
	}
	pres = drmModeGetPlaneResources(d->fd);
	if (!pres || pres->count_planes != 1) {
		printf("expected one plane, got %d\n",
		       pres ? (int)pres->count_planes : -1);
		goto out;
	}
	ap->plane_id = pres->planes[0];
	props = drmModeObjectGetProperties(d->fd, ap->plane_id,
					   DRM_MODE_OBJECT_PLANE);
	for (i = 0; props && i < props->count_props; i++) {
		drmModePropertyPtr p = drmModeGetProperty(d->fd,
							  props->props[i]);

		if (p && !strcmp(p->name, "FB_ID"))
			ap->prop_fb = p->prop_id;
		if (p && !strcmp(p->name, "FB_DAMAGE_CLIPS"))
			ap->prop_damage = p->prop_id;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	if (!ap->prop_fb) {
		printf("plane %u has no FB_ID property\n", ap->plane_id);
		goto out;
	}
	if (!ap->prop_damage) {
		printf("plane %u has no FB_DAMAGE_CLIPS property: %s cannot take damage through atomic commits\n",
		       ap->plane_id, d->m->driver);
		goto out;
	}
	printf("plane %u: FB_ID %u, FB_DAMAGE_CLIPS %u\n", ap->plane_id,
	       ap->prop_fb, ap->prop_damage);
	ret = 0;
out:
	drmModeFreePlaneResources(pres);
	return ret;
}

int disp_staging_counts(struct disp *d, unsigned long long *held,
			unsigned long long *last)
{
	char path[128], line[256];
	struct stat st;
	bool found = false;
	FILE *f;

	if (fstat(d->fd, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri" "/%u/gem_blit_staging",
		 minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *s = strstr(line, ": staging ");

		if (s && sscanf(s, ": staging %llu bytes, last commit copied %llu bytes",
				held, last) == 2)
			found = true;
	}
	fclose(f);
	if (!found)
		printf("%s has no plane line\n", path);
	return found ? 0 : -1;
}

int disp_flip(struct disp *d, struct disp_plane *ap, uint32_t fb,
	      const struct drm_mode_rect *r, bool nonblock)
{
	drmModeAtomicReqPtr req;
	uint32_t blob = 0;
	int ret;

	if (ap->prop_damage &&
	    drmModeCreatePropertyBlob(d->fd, r, sizeof(*r), &blob))
		return -errno;
	req = drmModeAtomicAlloc();
	if (!req ||
	    drmModeAtomicAddProperty(req, ap->plane_id, ap->prop_fb, fb) < 0 ||
	    (ap->prop_damage &&
	     drmModeAtomicAddProperty(req, ap->plane_id, ap->prop_damage,
				      blob) < 0))
		ret = -ENOMEM;
	else
		ret = drmModeAtomicCommit(d->fd, req,
					  nonblock ? DRM_MODE_ATOMIC_NONBLOCK : 0,
					  NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(d->fd, blob);
	return ret;
}
