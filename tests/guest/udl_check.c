// SPDX-License-Identifier: GPL-2.0
/*
 * Steps shared by the udl guest tests; see udl_check.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "udl_check.h"

#define UDL_SYSFS_DRIVER	"/sys/bus/usb/drivers/udl"
#define UNPLUG_MS		10000
#define FLUSH_AFTER_MS		3000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Is an interface bound to udl?  (entries like "1-1:1.0") */
static bool udl_bound(void)
{
	struct dirent *de;
	bool bound = false;
	DIR *d;

	d = opendir(UDL_SYSFS_DRIVER);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strchr(de->d_name, ':'))
			bound = true;
	closedir(d);
	return bound;
}

static int find_output(struct udl_check *c)
{
	drmModeResPtr res = drmModeGetResources(c->fd);
	drmModeConnectorPtr conn = NULL;
	int i, ret = -1;

	if (!res) {
		printf("GETRESOURCES failed: %s\n", strerror(errno));
		return -1;
	}
	if (res->count_connectors != 1 || res->count_crtcs != 1) {
		printf("expected 1 connector and 1 CRTC, got %d and %d\n",
		       res->count_connectors, res->count_crtcs);
		goto out;
	}
	c->crtc_id = res->crtcs[0];
	c->conn_id = res->connectors[0];
	conn = drmModeGetConnector(c->fd, c->conn_id);
	if (!conn || conn->connection != DRM_MODE_CONNECTED) {
		printf("connector %u is not connected\n", c->conn_id);
		goto out;
	}
	for (i = 0; i < conn->count_modes; i++) {
		printf("  mode %s %ux%u@%u%s\n", conn->modes[i].name,
		       conn->modes[i].hdisplay, conn->modes[i].vdisplay,
		       conn->modes[i].vrefresh,
		       conn->modes[i].type & DRM_MODE_TYPE_PREFERRED ?
		       " preferred" : "");
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			c->mode = conn->modes[i];
			ret = 0;
		}
	}
	if (ret) {
		printf("no preferred mode: the EDID was not read as offered\n");
		goto out;
	}
	/* The emulated EDID's preferred timing; anything else is a bug. */
	if (c->mode.hdisplay != 1024 || c->mode.vdisplay != 768 ||
	    c->mode.clock != 65000) {
		printf("preferred mode is %ux%u %u kHz, not the EDID's 1024x768 65000 kHz\n",
		       c->mode.hdisplay, c->mode.vdisplay, c->mode.clock);
		ret = -1;
	}
out:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

int udl_check_init(struct udl_check *c, const char *name)
{
	long deadline;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->fd = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (udl_bound()) {
		printf("a udl device is bound before the test plugged one in\n");
		return KMS_EXIT_FAIL;
	}
	if (udl_emu_start(&c->emu, UDL_CHECK_UDC)) {
		printf("cannot start the emulated DisplayLink adapter\n");
		return KMS_EXIT_FAIL;
	}
	c->emu_started = true;

	deadline = now_ms() + UDL_CHECK_PROBE_MS;
	while (now_ms() < deadline) {
		if (udl_bound()) {
			c->fd = kms_open_driver("udl");
			if (c->fd >= 0)
				break;
		}
		usleep(200 * 1000);
	}
	if (c->fd < 0) {
		printf("no udl DRM device %d ms after plugging in\n",
		       UDL_CHECK_PROBE_MS);
		udl_emu_stats(&c->emu);
		return KMS_EXIT_FAIL;
	}
	if (find_output(c))
		return KMS_EXIT_FAIL;
	if (vusb_failed(&c->emu.usb))
		return KMS_EXIT_FAIL;
	return 0;
}

static unsigned long count_mismatches(const uint32_t *a, const uint32_t *b,
				      size_t n)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += ((a[i] ^ b[i]) & 0x00ffffff) != 0;
	return bad;
}

static void save_pngs(struct udl_check *c, unsigned int frame,
		      const uint32_t *expect, unsigned int ew, unsigned int eh,
		      const uint32_t *got, unsigned int gw, unsigned int gh)
{
	char path[128];
	struct stat st;

	if (stat("/out", &st) || !S_ISDIR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/out/%s-frame%u-expected.png", c->name,
		 frame);
	if (!png_write(path, expect, ew, eh, ew * 4))
		printf("wrote %s\n", path);
	if (!got)
		return;
	snprintf(path, sizeof(path), "/out/%s-frame%u-shown.png", c->name,
		 frame);
	if (!png_write(path, got, gw, gh, gw * 4))
		printf("wrote %s\n", path);
}

static int show(struct udl_check *c, uint32_t fb)
{
	drmModeClip clip = {
		.x1 = 0, .y1 = 0,
		.x2 = c->mode.hdisplay, .y2 = c->mode.vdisplay,
	};

	if (!c->shown) {
		if (drmModeSetCrtc(c->fd, c->crtc_id, fb, 0, 0, &c->conn_id, 1,
				   &c->mode)) {
			printf("SETCRTC %s failed: %s\n", c->mode.name,
			       strerror(errno));
			return -1;
		}
		c->shown = true;
		return 0;
	}
	if (drmModeDirtyFB(c->fd, fb, &clip, 1)) {
		printf("DIRTYFB failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int udl_check_frame(struct udl_check *c, uint32_t fb, void *map,
		    unsigned int pitch, unsigned int frame)
{
	unsigned int w = c->mode.hdisplay, h = c->mode.vdisplay;
	unsigned int gw = 0, gh = 0;
	unsigned long seen, bad = 0;
	uint32_t *expect, *got = NULL;
	long deadline, last_frame_ms, ret;
	bool flushed = false;
	unsigned int y;

	expect = malloc((size_t)w * h * 4);
	if (!expect)
		return KMS_EXIT_FAIL;
	pattern_fill(map, w, h, pitch, frame);
	for (y = 0; y < h; y++)
		memcpy(expect + (size_t)y * w, (char *)map + (size_t)y * pitch,
		       (size_t)w * 4);
	image_reduce_565(expect, w, h, w * 4);

	seen = vdisp_frames(&c->emu.disp);
	if (show(c, fb))
		goto fail;

	/*
	 * Every transfer that ends with a short packet publishes a picture;
	 * a full update may take several, so wait until one matches.
	 */
	deadline = now_ms() + UDL_CHECK_FRAME_MS;
	last_frame_ms = now_ms();
	for (;;) {
		long left = deadline - now_ms();

		if (left <= 0)
			break;
		ret = vdisp_wait(&c->emu.disp, seen,
				 left < 500 ? left : 500);
		if (ret == -EPROTO)
			goto fail;
		if (ret == -ETIMEDOUT) {
			/*
			 * udl's last bulk transfer of an update can be a
			 * multiple of 512 bytes: then it ends without a short
			 * packet and the device cannot tell it has ended.
			 * Damage one pixel (same content) to push it out.
			 */
			if (!flushed &&
			    now_ms() - last_frame_ms > FLUSH_AFTER_MS) {
				drmModeClip one = { 0, 0, 1, 1 };

				printf("no picture for %d ms: flushing with a 1x1 DIRTYFB\n",
				       FLUSH_AFTER_MS);
				if (drmModeDirtyFB(c->fd, fb, &one, 1))
					printf("DIRTYFB 1x1 failed: %s\n",
					       strerror(errno));
				flushed = true;
			}
			continue;
		}
		seen = ret;
		last_frame_ms = now_ms();
		free(got);
		got = vdisp_snapshot(&c->emu.disp, &gw, &gh);
		if (!got || gw != w || gh != h)
			continue;
		bad = count_mismatches(expect, got, (size_t)w * h);
		if (!bad) {
			printf("frame %u: %ux%u shown exactly (RGB565), picture %lu\n",
			       frame, w, h, seen);
			free(got);
			free(expect);
			return 0;
		}
	}
	printf("frame %u: no matching picture within %d ms\n", frame,
	       UDL_CHECK_FRAME_MS);
	if (!got)
		printf("  nothing was shown\n");
	else if (gw != w || gh != h)
		printf("  shown picture is %ux%u, expected %ux%u\n", gw, gh, w,
		       h);
	else
		image_compare(expect, w * 4, got, w * 4, w, h);
	save_pngs(c, frame, expect, w, h, got, gw, gh);
fail:
	udl_emu_stats(&c->emu);
	free(got);
	free(expect);
	return KMS_EXIT_FAIL;
}

int udl_check_fini(struct udl_check *c)
{
	int ret = 0;
	long deadline;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (!c->emu_started)
		return KMS_EXIT_FAIL;
	udl_emu_stats(&c->emu);
	if (vusb_failed(&c->emu.usb))
		ret = KMS_EXIT_FAIL;
	pthread_mutex_lock(&c->emu.disp.lock);
	if (c->emu.disp.errors) {
		printf("protocol error: %s\n", c->emu.disp.error);
		ret = KMS_EXIT_FAIL;
	}
	pthread_mutex_unlock(&c->emu.disp.lock);

	udl_emu_stop(&c->emu);	/* unplug */
	c->emu_started = false;
	deadline = now_ms() + UNPLUG_MS;
	while (udl_bound() && now_ms() < deadline)
		usleep(100 * 1000);
	if (udl_bound()) {
		printf("udl is still bound %d ms after unplugging\n",
		       UNPLUG_MS);
		ret = KMS_EXIT_FAIL;
	} else {
		printf("unplugged: udl unbound\n");
	}
	return ret;
}
