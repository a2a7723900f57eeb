// SPDX-License-Identifier: GPL-2.0
/*
 * gm12u320 on an emulated GM12U320 projector, with a native framebuffer.
 * The projector (tests/usb/gm12u320.c) is plugged into dummy_hcd through
 * raw-gadget from a thread of this program.  Once gm12u320 has probed it
 * (the eco mode request on the misc endpoints), an 848x480 XRGB8888 dumb
 * buffer of the gm12u320 device is filled with the test pattern and shown
 * with a modeset.  The projector checks every command, block header and
 * footer of the frames the driver uploads, and the picture it draws must
 * equal the pattern exactly in its 24 colour bits.  Frame 1 is then drawn
 * and pushed with a full-screen DIRTYFB and checked the same way.  Finally
 * the projector is unplugged and gm12u320 must unbind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/kms.h"
#include "gm12u320.h"

#define NAME		"gm12u320_native"
#define UDC		"dummy_udc.0"
#define SYSFS_DRIVER	"/sys/bus/usb/drivers/gm12u320"
#define PROBE_MS	20000	/* for the gm12u320 card to appear */
#define FRAME_MS	20000	/* for a matching picture */
#define UNPLUG_MS	10000
#define FRAMES		2

struct t {
	struct gm12u320_emu emu;
	bool emu_started;
	int fd;
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Is an interface bound to gm12u320?  (entries like "1-1:1.0") */
static bool bound(void)
{
	struct dirent *de;
	bool ret = false;
	DIR *d;

	d = opendir(SYSFS_DRIVER);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strchr(de->d_name, ':'))
			ret = true;
	closedir(d);
	return ret;
}

/* The only connector, connected, whose only mode is 848x480. */
static int find_output(struct t *t)
{
	drmModeResPtr res = drmModeGetResources(t->fd);
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
	t->crtc_id = res->crtcs[0];
	t->conn_id = res->connectors[0];
	conn = drmModeGetConnector(t->fd, t->conn_id);
	if (!conn || conn->connection != DRM_MODE_CONNECTED) {
		printf("connector %u is not connected\n", t->conn_id);
		goto out;
	}
	for (i = 0; i < conn->count_modes; i++) {
		printf("  mode %s %ux%u@%u\n", conn->modes[i].name,
		       conn->modes[i].hdisplay, conn->modes[i].vdisplay,
		       conn->modes[i].vrefresh);
		if (conn->modes[i].hdisplay == GM12U320_EMU_WIDTH &&
		    conn->modes[i].vdisplay == GM12U320_EMU_HEIGHT &&
		    ret) {
			t->mode = conn->modes[i];
			ret = 0;
		}
	}
	if (ret)
		printf("no %ux%u mode\n", GM12U320_EMU_WIDTH,
		       GM12U320_EMU_HEIGHT);
out:
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return ret;
}

static int init(struct t *t)
{
	long deadline;

	if (bound()) {
		printf("a gm12u320 device is bound before the test plugged one in\n");
		return -1;
	}
	if (gm12u320_emu_start(&t->emu, UDC)) {
		printf("cannot start the emulated projector\n");
		return -1;
	}
	t->emu_started = true;

	deadline = now_ms() + PROBE_MS;
	while (now_ms() < deadline) {
		if (bound()) {
			t->fd = kms_open_driver("gm12u320");
			if (t->fd >= 0)
				break;
		}
		usleep(200 * 1000);
	}
	if (t->fd < 0) {
		printf("no gm12u320 DRM device %d ms after plugging in\n",
		       PROBE_MS);
		return -1;
	}
	/* Probe must have set the eco mode (off: the module default). */
	pthread_mutex_lock(&t->emu.disp.lock);
	if (t->emu.misc_reqs < 1 || t->emu.eco != 0) {
		printf("probe sent %lu misc requests, eco %d; expected eco off\n",
		       t->emu.misc_reqs, t->emu.eco);
		pthread_mutex_unlock(&t->emu.disp.lock);
		return -1;
	}
	pthread_mutex_unlock(&t->emu.disp.lock);
	if (find_output(t))
		return -1;
	return vusb_failed(&t->emu.usb) ? -1 : 0;
}

static void save_pngs(unsigned int frame, const uint32_t *expect,
		      const uint32_t *got, unsigned int gw, unsigned int gh)
{
	char path[128];
	struct stat st;

	if (stat("/out", &st) || !S_ISDIR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/out/%s-frame%u-expected.png", NAME,
		 frame);
	if (!png_write(path, expect, GM12U320_EMU_WIDTH, GM12U320_EMU_HEIGHT,
		       GM12U320_EMU_WIDTH * 4))
		printf("wrote %s\n", path);
	if (!got)
		return;
	snprintf(path, sizeof(path), "/out/%s-frame%u-shown.png", NAME, frame);
	if (!png_write(path, got, gw, gh, gw * 4))
		printf("wrote %s\n", path);
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

/*
 * Draw @frame, show it (modeset for frame 0, full DIRTYFB after) and wait
 * for a drawn picture equal to it.  The driver redraws every 2 s, so older
 * pictures may come first: wait for one that matches.
 */
static int check_frame(struct t *t, uint32_t fb, struct kms_dumb *buf,
		       unsigned int frame)
{
	const unsigned int w = GM12U320_EMU_WIDTH, h = GM12U320_EMU_HEIGHT;
	unsigned long seen, bad = 0, pictures = 0;
	uint32_t *expect, *got = NULL;
	unsigned int gw = 0, gh = 0, y;
	long deadline, ret;

	expect = malloc((size_t)w * h * 4);
	if (!expect)
		return -1;
	pattern_fill(buf->map, w, h, buf->pitch, frame);
	for (y = 0; y < h; y++)
		memcpy(expect + (size_t)y * w,
		       (char *)buf->map + (size_t)y * buf->pitch, w * 4);

	seen = vdisp_frames(&t->emu.disp);
	if (frame == 0) {
		if (drmModeSetCrtc(t->fd, t->crtc_id, fb, 0, 0, &t->conn_id, 1,
				   &t->mode)) {
			printf("SETCRTC failed: %s\n", strerror(errno));
			goto fail;
		}
	} else {
		drmModeClip clip = { 0, 0, w, h };

		if (drmModeDirtyFB(t->fd, fb, &clip, 1)) {
			printf("DIRTYFB failed: %s\n", strerror(errno));
			goto fail;
		}
	}

	deadline = now_ms() + FRAME_MS;
	for (;;) {
		long left = deadline - now_ms();

		if (left <= 0)
			break;
		ret = vdisp_wait(&t->emu.disp, seen, left);
		if (ret == -EPROTO)
			goto fail;
		if (ret < 0)
			break;
		seen = ret;
		pictures++;
		free(got);
		got = vdisp_snapshot(&t->emu.disp, &gw, &gh);
		if (!got || gw != w || gh != h)
			continue;
		bad = mismatches(expect, got, (size_t)w * h);
		if (!bad) {
			printf("frame %u: %ux%u drawn exactly (24 bit), picture %lu\n",
			       frame, w, h, seen);
			free(got);
			free(expect);
			return 0;
		}
	}
	printf("frame %u: no matching picture within %d ms (%lu pictures drawn)\n",
	       frame, FRAME_MS, pictures);
	if (!got)
		printf("  nothing was drawn\n");
	else if (gw != w || gh != h)
		printf("  drawn picture is %ux%u, expected %ux%u\n", gw, gh, w,
		       h);
	else
		image_compare(expect, w * 4, got, w * 4, w, h);
	save_pngs(frame, expect, got, gw, gh);
fail:
	free(got);
	free(expect);
	return -1;
}

static int fini(struct t *t)
{
	int ret = 0;
	long deadline;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (!t->emu_started)
		return -1;
	gm12u320_emu_stats(&t->emu);
	gm12u320_emu_stop(&t->emu);	/* unplug; the threads are gone */
	t->emu_started = false;
	if (vusb_failed(&t->emu.usb))
		ret = -1;
	if (t->emu.disp.errors) {
		printf("protocol error: %s\n", t->emu.disp.error);
		ret = -1;
	}
	deadline = now_ms() + UNPLUG_MS;
	while (bound() && now_ms() < deadline)
		usleep(100 * 1000);
	if (bound()) {
		printf("gm12u320 is still bound %d ms after unplugging\n",
		       UNPLUG_MS);
		ret = -1;
	} else {
		printf("unplugged: gm12u320 unbound\n");
	}
	return ret;
}

int main(void)
{
	struct kms_dumb buf = { .fd = -1 };
	struct t t = { .fd = -1 };
	unsigned int frame;
	int ret = KMS_EXIT_FAIL;
	uint32_t fb = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (init(&t))
		goto out;
	if (kms_dumb_create(t.fd, GM12U320_EMU_WIDTH, GM12U320_EMU_HEIGHT, 32,
			    &buf) ||
	    kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(t.fd, GM12U320_EMU_WIDTH, GM12U320_EMU_HEIGHT,
			    buf.handle, buf.pitch, &fb))
		goto out;
	for (frame = 0; frame < FRAMES; frame++)
		if (check_frame(&t, fb, &buf, frame))
			goto out;
	ret = KMS_EXIT_PASS;
out:
	if (fb)
		drmModeRmFB(t.fd, fb);
	kms_dumb_destroy(&buf);
	if (fini(&t))
		ret = KMS_EXIT_FAIL;
	printf("%s\n", ret ? "FAIL" : "ok");
	return ret;
}
