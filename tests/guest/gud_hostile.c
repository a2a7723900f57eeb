// SPDX-License-Identifier: GPL-2.0
/*
 * gud_hostile: the gud driver against emulated Generic USB Displays that
 * announce what no real device should (tests/usb/gud.c options). Each
 * variant plugs the device in, records what the driver does, and passes
 * only if the driver refuses what it cannot serve, the kernel logs no
 * splat (the harness scans the console), and the device unplugs cleanly.
 *
 *   gud_hostile_bufsize  a max_buffer_size of 64 bytes, less than one
 *                        line of any mode: 6.12's gud divides by zero in
 *                        gud_flush_damage() at the first update (an oops
 *                        at this test's modeset). With patch 0026 the
 *                        driver binds, and a modeset in XRGB8888 or
 *                        RGB565 fails with EINVAL, refused by the host
 *                        (the device sees no state check).
 *   gud_hostile_bufline  a max_buffer_size of exactly one RGB565 line of
 *                        the 640x480 mode (1280 bytes): XRGB8888 fails
 *                        with EINVAL as above, RGB565 works, one line per
 *                        transfer, and the device receives a full frame.
 *   gud_hostile_connectors  32 connected connectors (GUD_CONNECTORS_MAX_NUM),
 *                        all alike on the one CRTC. 6.12's fbdev client
 *                        warns and then searches CRTCs for minutes
 *                        (hung tasks, stack depot warnings). With patch
 *                        0031 the driver uses 8 of them, the probe is
 *                        quick and a modeset on the first one works.
 *
 * The descriptor, EDID and control variants (enum gud_emu_hostile in
 * tests/usb/gud.h) run through one scenario, show(): plug, then either
 * the driver refuses the device (no card once the device has seen no
 * request for a while) or it binds, and then the connector's state and
 * mode count are recorded and a modeset with a drawn dumb buffer must
 * fail with the variant's errno, or succeed and reach the device
 * pixel-exact. Each variant's table row says what 6.12's gud does, which
 * is what this test expects.
 *
 *   gud_hostile_noread   the device stops reading its bulk endpoint (no
 *                        halt: the transfers get no answer) while the
 *                        client keeps sending DIRTYFB: every ioctl must
 *                        return within GUD_NOREAD_IOCTL_MS (gud's bulk
 *                        transfers time out after 3 s); an unplug while
 *                        a DIRTYFB waits for its transfer must end that
 *                        call and remove the card; a fresh plug then
 *                        shows an exact frame.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"
#include "gud.h"

#define UDC		"dummy_udc.0"
#define PROBE_MS	20000
#define SETTLE_MS	3000	/* for fbcon's first update to run */
#define QUIET_MS	2000	/* no request for this long: probe is over */
/* A connector probe takes tens of ms; a control timeout takes 5000. */
#define PROBE_SLOW_MS	2500
#define FRAME_MS	10000
#define GUD_NOREAD_MS	10000	/* DIRTYFB for this long, the device not reading */
/* One DIRTYFB waits for one transfer, which gud times out after 3 s. */
#define GUD_NOREAD_IOCTL_MS 7000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The connected connector, its preferred mode and the CRTC. */
static int find_output(int fd, uint32_t *conn_id, uint32_t *crtc_id,
		       drmModeModeInfo *mode)
{
	drmModeConnectorPtr conn = NULL;
	drmModeResPtr res;
	int i, ret = -1;

	res = drmModeGetResources(fd);
	if (!res || res->count_connectors < 1 || res->count_crtcs < 1) {
		printf("no connector or CRTC\n");
		goto out;
	}
	for (i = 0; i < 25; i++) {
		conn = drmModeGetConnector(fd, res->connectors[0]);
		if (conn && conn->connection == DRM_MODE_CONNECTED &&
		    conn->count_modes)
			break;
		drmModeFreeConnector(conn);
		conn = NULL;
		usleep(200 * 1000);
	}
	if (!conn) {
		printf("connector not connected after 5 s\n");
		goto out;
	}
	*mode = conn->modes[0];
	for (i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED)
			*mode = conn->modes[i];
	*conn_id = conn->connector_id;
	*crtc_id = res->crtcs[0];
	ret = 0;
out:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

/* A modeset with a dumb buffer of @bpp must fail with @err (0: succeed). */
static int try_modeset(int fd, uint32_t conn_id, uint32_t crtc_id,
		       drmModeModeInfo *mode, unsigned int bpp, int err)
{
	uint32_t fourcc = bpp == 16 ? DRM_FORMAT_RGB565 : DRM_FORMAT_XRGB8888;
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	struct kms_dumb buf;
	uint32_t fb = 0;
	int ret = -1, rc;

	if (kms_dumb_create(fd, mode->hdisplay, mode->vdisplay, bpp, &buf))
		return -1;
	handles[0] = buf.handle;
	pitches[0] = buf.pitch;
	if (drmModeAddFB2(fd, mode->hdisplay, mode->vdisplay, fourcc, handles,
			  pitches, offsets, &fb, 0)) {
		printf("ADDFB2 %ux%u %u bpp failed: %s\n", mode->hdisplay,
		       mode->vdisplay, bpp, strerror(errno));
		goto out;
	}
	rc = drmModeSetCrtc(fd, crtc_id, fb, 0, 0, &conn_id, 1, mode);
	rc = rc ? errno : 0;
	printf("SETCRTC %ux%u at %u bpp: %s\n", mode->hdisplay, mode->vdisplay,
	       bpp, rc ? strerror(rc) : "ok");
	if (rc != err)
		printf("expected %s\n", err ? strerror(err) : "success");
	else
		ret = 0;
out:
	if (fb)
		drmModeRmFB(fd, fb);
	kms_dumb_destroy(&buf);
	return ret;
}

/*
 * Start the emulated device and wait for its card: the card's fd, or
 * -KMS_EXIT_SKIP if the device cannot start, or -1 if no card appears.
 */
static int plug(struct gud_emu *g)
{
	long deadline;
	int fd;

	if (gud_emu_start(g, UDC)) {
		printf("cannot start the emulated device\n");
		return -KMS_EXIT_SKIP;
	}
	deadline = now_ms() + PROBE_MS;
	while ((fd = kms_find_driver("gud")) < 0 && now_ms() < deadline &&
	       !vusb_failed(&g->usb))
		usleep(200 * 1000);
	if (fd < 0) {
		printf("no gud card within %d ms\n", PROBE_MS);
		return -1;
	}
	return fd;
}

/* Unplug the device; the test's verdict, failed if the device saw an error. */
static int unplug(struct gud_emu *g, int ret)
{
	gud_emu_stats(g);
	gud_emu_stop(g);
	if (vusb_failed(&g->usb)) {
		printf("the device recorded an error\n");
		ret = -1;
	}
	return ret ? KMS_EXIT_FAIL : KMS_EXIT_PASS;
}

/* The device's buffer is @max_buffer bytes; @rgb565: that format fits. */
static int bufsize(struct gud_emu *g, uint32_t max_buffer, bool rgb565)
{
	uint32_t conn_id, crtc_id;
	unsigned long checks;
	drmModeModeInfo mode;
	long deadline;
	int fd, ret = -1;

	g->max_buffer = max_buffer;
	fd = plug(g);
	if (fd == -KMS_EXIT_SKIP)
		return KMS_EXIT_SKIP;
	if (fd < 0)
		goto stop;
	/* fbdev's setup runs at probe; let it settle before the modeset. */
	usleep(SETTLE_MS * 1000);
	if (find_output(fd, &conn_id, &crtc_id, &mode) ||
	    try_modeset(fd, conn_id, crtc_id, &mode, 32, EINVAL))
		goto close;
	pthread_mutex_lock(&g->disp.lock);
	checks = g->state_checks;
	pthread_mutex_unlock(&g->disp.lock);
	if (checks) {
		printf("the device saw %lu state checks: the host did not refuse the plane\n",
		       checks);
		goto close;
	}
	if (try_modeset(fd, conn_id, crtc_id, &mode, 16, rgb565 ? 0 : EINVAL))
		goto close;
	if (rgb565) {
		unsigned long buffers = 0, bytes = 0;

		/* One SET_BUFFER per line; wait for a whole frame. */
		deadline = now_ms() + PROBE_MS;
		while (now_ms() < deadline && !vusb_failed(&g->usb)) {
			pthread_mutex_lock(&g->disp.lock);
			buffers = g->buffers;
			bytes = g->pixel_bytes;
			pthread_mutex_unlock(&g->disp.lock);
			if (bytes >= (unsigned long)mode.hdisplay * mode.vdisplay * 2)
				break;
			usleep(100 * 1000);
		}
		printf("RGB565: %lu buffers, %lu pixel bytes received\n",
		       buffers, bytes);
		if (bytes < (unsigned long)mode.hdisplay * mode.vdisplay * 2 ||
		    buffers < mode.vdisplay)
			goto close;
	}
	ret = 0;
close:
	close(fd);
stop:
	return unplug(g, ret);
}

static int connectors(struct gud_emu *g)
{
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
	drmModeResPtr res;
	int fd, ret = -1;

	g->connectors = 32;
	fd = plug(g);
	if (fd == -KMS_EXIT_SKIP)
		return KMS_EXIT_SKIP;
	if (fd < 0)
		goto stop;
	usleep(SETTLE_MS * 1000);
	res = drmModeGetResources(fd);
	printf("%d connectors, %d CRTCs\n", res ? res->count_connectors : -1,
	       res ? res->count_crtcs : -1);
	if (res && res->count_connectors == 8 &&
	    !find_output(fd, &conn_id, &crtc_id, &mode) &&
	    !try_modeset(fd, conn_id, crtc_id, &mode, 32, 0))
		ret = 0;
	drmModeFreeResources(res);
	close(fd);
stop:
	return unplug(g, ret);
}

/* --- descriptor, EDID and control variants ----------------------------- */

#define CONNECTED	DRM_MODE_CONNECTED
#define UNKNOWN		DRM_MODE_UNKNOWNCONNECTION

struct variant {
	const char *name;
	int hostile;
	bool binds;		/* the driver creates a card */
	int connection;		/* DRM_MODE_CONNECTED, ... */
	int min_modes;		/* at least this many modes */
	int max_modes;		/* at most (0: no limit) */
	int err;		/* the modeset's errno; 0: it succeeds */
	/* refused: the last request the probe sent, and the next one */
	int last_req, next_req;
};

static const struct variant variants[] = {
	/* drm_edid refuses the block; the device's mode list serves. */
	{ "gud_hostile_edid_checksum", GUD_HOSTILE_EDID_CHECKSUM, true, CONNECTED,
	  GUD_EMU_NUM_MODES, 0, 0, 0, 0 },
	/* "Invalid EDID size"; the device's mode list serves. */
	{ "gud_hostile_edid_truncated", GUD_HOSTILE_EDID_TRUNCATED, true, CONNECTED,
	  GUD_EMU_NUM_MODES, 0, 0, 0, 0 },
	/*
	 * Block 16, past the 2048 bytes sent, fails to read: drm_edid
	 * drops the whole EDID and the device's mode list serves.
	 */
	{ "gud_hostile_edid_oversized", GUD_HOSTILE_EDID_OVERSIZED, true, CONNECTED,
	  GUD_EMU_NUM_MODES, 0, 0, 0, 0 },
	/* gud_get_display_descriptor(): -EINVAL, probe -ENODEV. */
	{ "gud_hostile_sizes_zero", GUD_HOSTILE_SIZES_ZERO, false, 0, 0, 0, 0,
	  REQ_GET_DESCRIPTOR, REQ_GET_FORMATS },
	/*
	 * Beyond INT_MAX, what drm_mode_config holds: refused with patch
	 * 0041. 6.12 binds, with max_width/max_height -1 and the buffer size
	 * computed from them capped at 64 MiB.
	 */
	{ "gud_hostile_sizes_huge", GUD_HOSTILE_SIZES_HUGE, false, 0, 0, 0, 0,
	  REQ_GET_DESCRIPTOR, REQ_GET_FORMATS },
	/*
	 * Refused with patch 0041. 6.12 computes its buffer size as 0 (the
	 * u64 product wraps) and WARNs in vmalloc_32(0) at probe.
	 */
	{ "gud_hostile_sizes_wrap", GUD_HOSTILE_SIZES_WRAP, false, 0, 0, 0, 0,
	  REQ_GET_DESCRIPTOR, REQ_GET_FORMATS },
	/* "No supported pixel formats found", probe -EINVAL. */
	{ "gud_hostile_no_formats", GUD_HOSTILE_NO_FORMATS, false, 0, 0, 0, 0,
	  REQ_GET_FORMATS, REQ_GET_PROPERTIES },
	{ "gud_hostile_unknown_formats", GUD_HOSTILE_UNKNOWN_FORMATS, false, 0,
	  0, 0, 0, REQ_GET_FORMATS, REQ_GET_PROPERTIES },
	/* "Failed to get connectors (error=-5)". */
	{ "gud_hostile_no_connectors", GUD_HOSTILE_NO_CONNECTORS, false, 0,
	  0, 0, 0, REQ_GET_CONNECTORS, REQ_GET_CONNECTOR_STATUS },
	/* GUD_CONNECTOR_MAX_NUM_MODES (128) are asked for and kept. */
	{ "gud_hostile_many_modes", GUD_HOSTILE_MANY_MODES, true, CONNECTED,
	  128, 128, 0, 0, 0 },
	/*
	 * The status read fails (-EIO): the status is unknown, and the
	 * modes are still probed and usable.
	 */
	{ "gud_hostile_short_status", GUD_HOSTILE_SHORT_STATUS, true, UNKNOWN,
	  GUD_EMU_NUM_MODES, 0, 0, 0, 0 },
	/* Status ERROR (-EREMOTEIO) from the state check fails the atomic check. */
	{ "gud_hostile_check_error", GUD_HOSTILE_CHECK_ERROR, true, CONNECTED,
	  GUD_EMU_NUM_MODES, 0, EREMOTEIO, 0, 0 },
};

/* Wait until the device has been quiet for QUIET_MS (probe over). */
static void wait_quiet(struct gud_emu *g)
{
	unsigned long last = ~0ul, n;
	long deadline = now_ms() + PROBE_MS, quiet = now_ms() + QUIET_MS;

	while (now_ms() < deadline && now_ms() < quiet) {
		pthread_mutex_lock(&g->usb.lock);
		n = g->usb.ctrl_requests;
		pthread_mutex_unlock(&g->usb.lock);
		if (n != last)
			quiet = now_ms() + QUIET_MS;
		last = n;
		usleep(100 * 1000);
	}
}

static void draw(uint32_t *map, unsigned int w, unsigned int h,
		 unsigned int pitch, unsigned int seed)
{
	unsigned int x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			map[y * (pitch / 4) + x] = (x * 7 + y * 13 + seed * 0x10101) & 0xffffff;
}

/* Does the device show the @w x @h image of @seed, within FRAME_MS? */
static bool shows(struct gud_emu *g, unsigned int w, unsigned int h,
		  unsigned int seed)
{
	long deadline = now_ms() + FRAME_MS;
	unsigned long frames = 0;
	uint32_t *want, *got;
	unsigned int gw, gh;
	bool ok = false;

	want = malloc((size_t)w * h * 4);
	if (!want)
		return false;
	draw(want, w, h, w * 4, seed);
	while (!ok && now_ms() < deadline) {
		long f = vdisp_wait(&g->disp, frames, 500);

		if (f == -EPROTO)
			break;
		if (f > 0)
			frames = f;
		got = vdisp_snapshot(&g->disp, &gw, &gh);
		ok = got && gw == w && gh == h &&
		     !memcmp(got, want, (size_t)w * h * 4);
		free(got);
	}
	free(want);
	return ok;
}

/*
 * A modeset of @mode with a drawn XRGB8888 dumb buffer: fails with @err,
 * or (@err 0) succeeds and the device shows the image.
 */
static int show_mode(struct gud_emu *g, int fd, uint32_t conn_id,
		     uint32_t crtc_id, drmModeModeInfo *mode, int err,
		     unsigned int seed)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	struct kms_dumb buf;
	uint32_t fb = 0;
	int ret = -1, rc;

	if (kms_dumb_create(fd, mode->hdisplay, mode->vdisplay, 32, &buf))
		return -1;
	if (kms_dumb_map(&buf))
		goto out;
	draw(buf.map, mode->hdisplay, mode->vdisplay, buf.pitch, seed);
	handles[0] = buf.handle;
	pitches[0] = buf.pitch;
	if (drmModeAddFB2(fd, mode->hdisplay, mode->vdisplay,
			  DRM_FORMAT_XRGB8888, handles, pitches, offsets, &fb, 0)) {
		printf("ADDFB2 failed: %s\n", strerror(errno));
		goto out;
	}
	rc = drmModeSetCrtc(fd, crtc_id, fb, 0, 0, &conn_id, 1, mode);
	rc = rc ? errno : 0;
	printf("SETCRTC %ux%u: %s\n", mode->hdisplay, mode->vdisplay,
	       rc ? strerror(rc) : "ok");
	if (rc != err) {
		printf("expected %s\n", err ? strerror(err) : "success");
		goto out;
	}
	if (!err && !shows(g, mode->hdisplay, mode->vdisplay, seed)) {
		printf("the device did not show the frame within %d ms\n",
		       FRAME_MS);
		goto out;
	}
	ret = 0;
out:
	if (fb)
		drmModeRmFB(fd, fb);
	kms_dumb_destroy(&buf);
	return ret;
}

static int show(struct gud_emu *g, const struct variant *v)
{
	drmModeConnectorPtr conn = NULL;
	drmModeResPtr res = NULL;
	drmModeModeInfo mode;
	long t0 = now_ms(), len;
	int fd, i, ret = -1;

	g->hostile = v->hostile;
	if (gud_emu_start(g, UDC)) {
		printf("cannot start the emulated device\n");
		return KMS_EXIT_SKIP;
	}
	if (!v->binds) {
		unsigned long last, next;

		wait_quiet(g);
		fd = kms_find_driver("gud");
		pthread_mutex_lock(&g->disp.lock);
		last = g->requests[v->last_req];
		next = g->requests[v->next_req];
		pthread_mutex_unlock(&g->disp.lock);
		printf("probe over after %ld ms: %s; request 0x%02x seen %lu times, 0x%02x %lu times\n",
		       now_ms() - t0,
		       fd < 0 ? "no card, the driver refused the device" :
		       "a card", v->last_req, last, v->next_req, next);
		if (fd >= 0)
			close(fd);
		else if (!last || next)
			printf("expected the probe to stop after request 0x%02x\n",
			       v->last_req);
		else
			ret = 0;
		goto stop;
	}
	while ((fd = kms_find_driver("gud")) < 0 && now_ms() < t0 + PROBE_MS &&
	       !vusb_failed(&g->usb))
		usleep(100 * 1000);
	if (fd < 0) {
		printf("no gud card within %d ms\n", PROBE_MS);
		goto stop;
	}
	printf("card after %ld ms\n", now_ms() - t0);
	usleep(SETTLE_MS * 1000);
	res = drmModeGetResources(fd);
	if (!res || res->count_connectors < 1 || res->count_crtcs < 1) {
		printf("no connector or CRTC\n");
		goto close;
	}
	t0 = now_ms();
	conn = drmModeGetConnector(fd, res->connectors[0]);
	if (!conn) {
		printf("GETCONNECTOR failed: %s\n", strerror(errno));
		goto close;
	}
	printf("connector: %s, %d modes (probe %ld ms)\n",
	       conn->connection == DRM_MODE_CONNECTED ? "connected" :
	       conn->connection == DRM_MODE_DISCONNECTED ? "disconnected" :
	       "unknown", conn->count_modes, now_ms() - t0);
	/* The first probe may wait for fbdev's; time one of our own. */
	drmModeFreeConnector(conn);
	t0 = now_ms();
	conn = drmModeGetConnector(fd, res->connectors[0]);
	if (!conn) {
		printf("GETCONNECTOR failed: %s\n", strerror(errno));
		goto close;
	}
	t0 = now_ms() - t0;
	printf("probed again: %d modes in %ld ms\n", conn->count_modes, t0);
	if (t0 > PROBE_SLOW_MS) {
		printf("a probe of more than %d ms: a control request timed out?\n",
		       PROBE_SLOW_MS);
		goto close;
	}
	if ((int)conn->connection != v->connection) {
		printf("expected %s\n", v->connection == CONNECTED ?
		       "connected" : "unknown");
		goto close;
	}
	if (conn->count_modes < v->min_modes ||
	    (v->max_modes && conn->count_modes > v->max_modes)) {
		printf("expected %d to %d modes\n", v->min_modes, v->max_modes);
		goto close;
	}
	/* No variant's EDID is valid: the connector must not carry one. */
	len = kms_connector_edid_len(fd, conn->connector_id);
	printf("EDID property: %ld bytes\n", len);
	if (len != 0)
		goto close;
	mode = conn->modes[0];
	for (i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED)
			mode = conn->modes[i];
	ret = show_mode(g, fd, conn->connector_id, res->crtcs[0], &mode,
			v->err, 1);
close:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	close(fd);
stop:
	return unplug(g, ret);
}

/* --- a device that stops reading its bulk endpoint ---------------------- */

struct dirty_call {
	int fd;
	uint32_t fb;
	drmModeClip clip;
	long ms;		/* how long the call took */
	volatile bool done;
};

static void *dirty_thread(void *arg)
{
	struct dirty_call *c = arg;
	long t0 = now_ms();

	drmModeDirtyFB(c->fd, c->fb, &c->clip, 1);
	c->ms = now_ms() - t0;
	c->done = true;
	return NULL;
}

static bool wait_done(volatile bool *done, long ms)
{
	long deadline = now_ms() + ms;

	while (!*done && now_ms() < deadline)
		usleep(20 * 1000);
	return *done;
}

/*
 * The device stops reading its bulk endpoint (it does not halt it: the
 * host's transfers get no answer) after the first frame. gud flushes in
 * the commit, as 6.12 does, so each DIRTYFB waits for its transfer until
 * gud's 3 s bulk timeout: every call must return within
 * GUD_NOREAD_IOCTL_MS. Then the device is unplugged while a DIRTYFB waits
 * for its transfer: that call must return, and the card go, promptly; a
 * fresh plug must show an exact frame.
 */
static int noread(struct gud_emu *g)
{
	struct dirty_call c = { .done = false };
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
	long t0, t, worst = 0, deadline;
	unsigned long calls = 0;
	struct kms_dumb buf = { .handle = 0 };
	uint32_t fb = 0;
	pthread_t thread;
	bool plugged = false, joined = true;
	int fd, card, ret = -1;

	fd = plug(g);
	if (fd == -KMS_EXIT_SKIP)
		return KMS_EXIT_SKIP;
	plugged = true;
	if (fd < 0)
		goto stop;
	usleep(SETTLE_MS * 1000);
	if (find_output(fd, &conn_id, &crtc_id, &mode) ||
	    kms_dumb_create(fd, mode.hdisplay, mode.vdisplay, 32, &buf))
		goto close;
	if (kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(fd, mode.hdisplay, mode.vdisplay, buf.handle,
			    buf.pitch, &fb))
		goto close;
	draw(buf.map, mode.hdisplay, mode.vdisplay, buf.pitch, 2);
	if (drmModeSetCrtc(fd, crtc_id, fb, 0, 0, &conn_id, 1, &mode) ||
	    !shows(g, mode.hdisplay, mode.vdisplay, 2)) {
		printf("the first frame did not arrive\n");
		goto close;
	}

	pthread_mutex_lock(&g->disp.lock);
	g->pause_bulk = true;
	pthread_mutex_unlock(&g->disp.lock);
	c.fd = fd;
	c.fb = fb;
	c.clip = (drmModeClip){ 0, 0, mode.hdisplay, mode.vdisplay };
	deadline = now_ms() + GUD_NOREAD_MS;
	while (now_ms() < deadline) {
		draw(buf.map, mode.hdisplay, mode.vdisplay, buf.pitch, 3 + calls);
		t0 = now_ms();
		drmModeDirtyFB(fd, fb, &c.clip, 1);	/* cannot fail: void update */
		t = now_ms() - t0;
		calls++;
		if (t > worst)
			worst = t;
	}
	printf("not reading: %lu DIRTYFB calls in %d ms, the slowest took %ld ms\n",
	       calls, GUD_NOREAD_MS, worst);
	if (worst > GUD_NOREAD_IOCTL_MS) {
		printf("a DIRTYFB blocked for more than %d ms\n",
		       GUD_NOREAD_IOCTL_MS);
		goto close;
	}

	/* Unplug while a DIRTYFB waits for its transfer. */
	if (pthread_create(&thread, NULL, dirty_thread, &c)) {
		printf("pthread_create failed\n");
		goto close;
	}
	joined = false;
	usleep(500 * 1000);
	if (c.done) {
		printf("the DIRTYFB returned before the unplug (%ld ms)\n", c.ms);
		goto close;
	}
	ret = 0;
close:
	t0 = now_ms();
	gud_emu_stats(g);
	gud_emu_stop(g);
	plugged = false;
	if (!joined) {
		if (!wait_done(&c.done, GUD_NOREAD_IOCTL_MS)) {
			printf("the waiting DIRTYFB is still blocked %d ms after the unplug\n",
			       GUD_NOREAD_IOCTL_MS);
			/* a hung thread cannot be joined: fail now */
			return KMS_EXIT_FAIL;
		}
		pthread_join(thread, NULL);
		printf("unplugged with a DIRTYFB waiting: it returned %ld ms after the unplug\n",
		       now_ms() - t0);
	}
	while ((card = kms_find_driver("gud")) >= 0 &&
	       now_ms() < t0 + PROBE_MS) {
		close(card);
		usleep(100 * 1000);
	}
	printf("card %s %ld ms after the unplug\n",
	       card < 0 ? "gone" : "still there", now_ms() - t0);
	if (card >= 0) {
		close(card);
		ret = -1;
	}
	if (fb)
		drmModeRmFB(fd, fb);
	kms_dumb_destroy(&buf);
	if (fd >= 0)
		close(fd);
stop:
	if (plugged) {
		gud_emu_stats(g);
		gud_emu_stop(g);
	}
	if (vusb_failed(&g->usb)) {
		printf("the device recorded an error\n");
		ret = -1;
	}
	if (ret)
		return KMS_EXIT_FAIL;

	/* A fresh plug works again. */
	fd = plug(g);
	if (fd < 0)
		return KMS_EXIT_FAIL;
	usleep(SETTLE_MS * 1000);
	ret = -1;
	if (!find_output(fd, &conn_id, &crtc_id, &mode) &&
	    !show_mode(g, fd, conn_id, crtc_id, &mode, 0, 4))
		ret = 0;
	close(fd);
	return unplug(g, ret);
}

int main(int argc, char **argv)
{
	static struct gud_emu g;
	const char *name = strrchr(argv[0], '/');
	int ret;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "gud_hostile_bufsize")) {
		ret = bufsize(&g, 64, false);
	} else if (!strcmp(name, "gud_hostile_bufline")) {
		ret = bufsize(&g, 640 * 2, true);
	} else if (!strcmp(name, "gud_hostile_connectors")) {
		ret = connectors(&g);
	} else if (!strcmp(name, "gud_hostile_noread")) {
		ret = noread(&g);
	} else {
		unsigned int i;

		for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
			if (!strcmp(name, variants[i].name))
				break;
		if (i < sizeof(variants) / sizeof(variants[0])) {
			ret = show(&g, &variants[i]);
			goto out;
		}
		printf("%s: unknown variant\n", name);
		ret = KMS_EXIT_FAIL;
	}
out:
	printf("%s: %s\n", name, ret == KMS_EXIT_PASS ? "PASS" : "FAIL");
	return ret;
}
