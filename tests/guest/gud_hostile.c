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
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"
#include "gud.h"

#define UDC		"dummy_udc.0"
#define PROBE_MS	20000
#define SETTLE_MS	3000	/* for fbcon's first update to run */

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

/* The device's buffer is @max_buffer bytes; @rgb565: that format fits. */
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
	gud_emu_stats(g);
	gud_emu_stop(g);
	if (vusb_failed(&g->usb)) {
		printf("the device recorded an error\n");
		ret = -1;
	}
	return ret ? KMS_EXIT_FAIL : KMS_EXIT_PASS;
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
	gud_emu_stats(g);
	gud_emu_stop(g);
	if (vusb_failed(&g->usb)) {
		printf("the device recorded an error\n");
		ret = -1;
	}
	return ret ? KMS_EXIT_FAIL : KMS_EXIT_PASS;
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
	} else {
		printf("%s: unknown variant\n", name);
		ret = KMS_EXIT_FAIL;
	}
	printf("%s: %s\n", name, ret == KMS_EXIT_PASS ? "PASS" : "FAIL");
	return ret;
}
