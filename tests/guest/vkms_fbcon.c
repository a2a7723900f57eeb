// SPDX-License-Identifier: GPL-2.0
/*
 * fbcon text reaches vkms's output.
 *
 * vkms's fbdev emulation (drm_fbdev_shmem) has no damage callback: the
 * framebuffer console draws into the displayed buffer and relies on vkms
 * scanning it out live. The test maps the foreground console onto vkms's
 * /dev/fbN (FBIOPUT_CON2FBMAP), clears it and hides its cursor, then, as a
 * DRM client, moves the CRTC from the Virtual connector to the writeback
 * connector without touching the primary plane (fbdev's framebuffer stays
 * on it) and captures a frame, which must equal what /dev/fbN holds. It
 * writes text to the console and reads the CRC of the composed output
 * (debugfs) with no commit at all: the CRC must change. A writeback-only
 * commit then captures the output, which must equal /dev/fbN (read back)
 * exactly and differ from the frame before the text; the CRC after that
 * commit must equal the one the text produced without a commit.
 *
 * The CRC is what tells live scanout from a copy taken at commit time: a
 * writeback-only commit still pulls the CRTC, and with it every plane, into
 * the commit, so a commit-time copy (vkms on the damage-blit helper, patch
 * 0012) shows the text in the capture too, but not in the frames composed
 * before that commit.
 *
 * The console mapping and the Virtual connector are restored at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <linux/vt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/kms.h"

#define CRC_TIMEOUT_MS	2000
#define WAIT_FRAMES	30

static int find_fb(const char *driver, int *index)
{
	char path[64], name[64];
	int i;

	for (i = 0; i < 8; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/graphics/fb%d/name", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && strstr(name, driver)) {
			fclose(f);
			printf("/dev/fb%d: %s", i, name);
			*index = i;
			return 0;
		}
		fclose(f);
	}
	printf("no fbdev device of %s in /sys/class/graphics\n", driver);
	return -1;
}

static int tty_write(int tty, const char *s)
{
	size_t n = strlen(s);

	if (write(tty, s, n) != (ssize_t)n) {
		printf("writing to the console: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Read the whole visible fbdev buffer. */
static int fb_read_all(int fd, void *dst, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pread(fd, (char *)dst + done, size - done, done);

		if (n <= 0) {
			printf("reading /dev/fb: %s\n",
			       n ? strerror(errno) : "short read");
			return -1;
		}
		done += n;
	}
	return 0;
}

/* Move the CRTC to the writeback connector (or back) without planes. */
static int route(struct kms_wb *wb, bool to_wb, int32_t *fence)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	int err = 0, ret;

	if (!req)
		return -1;
	kms_atomic_add(req, wb->conn_id, wb->conn_prop[KMS_CONN_CRTC_ID],
		       to_wb ? 0 : wb->crtc_id, &err);
	kms_atomic_add(req, wb->wb_conn_id, wb->wb_prop[KMS_WB_CRTC_ID],
		       to_wb ? wb->crtc_id : 0, &err);
	if (to_wb) {
		if (wb->gamma_lut_prop)
			kms_atomic_add(req, wb->crtc_id, wb->gamma_lut_prop, 0,
				       &err);
		kms_atomic_add_wb_job(req, wb, wb->wb_fb, fence, &err);
	}
	ret = err ? -1 : drmModeAtomicCommit(wb->fd, req,
					     DRM_MODE_ATOMIC_ALLOW_MODESET,
					     NULL);
	if (ret)
		printf("modeset to the %s connector failed: %s\n",
		       to_wb ? "writeback" : "Virtual", strerror(errno));
	drmModeAtomicFree(req);
	return ret;
}

static double t_start;

int main(void)
{
	struct fb_con2fbmap map = { 0 }, old_map = { 0 };
	struct kms_crc crc = { .data = -1 };
	struct kms_wb wb = { .fd = -1 };
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct vt_stat vts;
	uint32_t *fbpx = NULL, *before = NULL;
	uint32_t crc0, crc_live, crc_after, f, v;
	unsigned int w, h, x, y;
	unsigned long bad, changed;
	int fbi, fbfd = -1, tty = -1, vkms = -1, ret = KMS_EXIT_FAIL;
	bool remapped = false, routed = false;
	int32_t fence = -1;
	drmModeCrtcPtr crtc;
	drmModePlanePtr plane;
	char path[32], text[128];
	size_t size;
	int i;

	t_start = kms_time();

	if (find_fb("vkms", &fbi))
		return KMS_EXIT_SKIP;
	snprintf(path, sizeof(path), "/dev/fb%d", fbi);
	fbfd = open(path, O_RDWR);
	if (fbfd < 0 || ioctl(fbfd, FBIOGET_VSCREENINFO, &var) ||
	    ioctl(fbfd, FBIOGET_FSCREENINFO, &fix)) {
		printf("%s: %s\n", path, strerror(errno));
		goto out;
	}
	w = var.xres;
	h = var.yres;
	printf("%s: %ux%u, %u bpp, pitch %u\n", path, w, h,
	       var.bits_per_pixel, fix.line_length);
	if (var.bits_per_pixel != 32) {
		printf("expected a 32 bpp console\n");
		goto out;
	}

	/* the foreground console onto vkms's fbdev */
	tty = open("/dev/tty0", O_RDWR | O_NOCTTY);
	if (tty < 0 || ioctl(tty, VT_GETSTATE, &vts)) {
		printf("/dev/tty0: %s\n", strerror(errno));
		goto out;
	}
	close(tty);
	old_map.console = vts.v_active;
	if (ioctl(fbfd, FBIOGET_CON2FBMAP, &old_map)) {
		printf("FBIOGET_CON2FBMAP: %s\n", strerror(errno));
		goto out;
	}
	map.console = vts.v_active;
	map.framebuffer = fbi;
	if (ioctl(fbfd, FBIOPUT_CON2FBMAP, &map)) {
		printf("FBIOPUT_CON2FBMAP console %u -> fb%d: %s\n",
		       map.console, fbi, strerror(errno));
		goto out;
	}
	remapped = true;
	printf("console %u: was on fb%u, now on fb%d\n", map.console,
	       old_map.framebuffer, fbi);
	snprintf(path, sizeof(path), "/dev/tty%u", vts.v_active);
	tty = open(path, O_WRONLY | O_NOCTTY);
	if (tty < 0) {
		printf("%s: %s\n", path, strerror(errno));
		goto out;
	}
	/* clear, home, hide the cursor (its blinking would change frames) */
	if (tty_write(tty, "\033[2J\033[H\033[?25l"))
		goto out;

	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		goto out;
	i = kms_wb_init(&wb, vkms, w, h);
	if (i) {
		ret = i;
		goto out;
	}
	crtc = drmModeGetCrtc(vkms, wb.crtc_id);
	plane = drmModeGetPlane(vkms, wb.plane_id);
	if (!crtc || !plane || !crtc->mode_valid || crtc->mode.hdisplay != w ||
	    crtc->mode.vdisplay != h || !plane->fb_id) {
		printf("FAIL: fbdev's configuration is not on the CRTC (mode %s, plane fb %u)\n",
		       crtc && crtc->mode_valid ? crtc->mode.name : "none",
		       plane ? plane->fb_id : 0);
		drmModeFreeCrtc(crtc);
		drmModeFreePlane(plane);
		goto out;
	}
	printf("CRTC %u shows fbdev's fb %u in %s\n", wb.crtc_id, plane->fb_id,
	       crtc->mode.name);
	drmModeFreeCrtc(crtc);
	drmModeFreePlane(plane);

	size = (size_t)fix.line_length * h;
	fbpx = malloc(size);
	before = malloc((size_t)w * h * 4);
	if (!fbpx || !before)
		goto out;

	/* writeback on, primary plane untouched */
	memset(wb.buf.map, 0x5a, wb.buf.size);
	if (route(&wb, true, &fence))
		goto out;
	routed = true;
	if (fence < 0 || kms_wb_wait(&wb, fence))
		goto out;
	close(fence);
	if (fb_read_all(fbfd, fbpx, size))
		goto out;
	bad = image_compare(fbpx, fix.line_length, wb.buf.map, wb.buf.pitch,
			    w, h);
	if (bad) {
		printf("FAIL: the capture after the modeset is not /dev/fb%d's content\n",
		       fbi);
		goto out;
	}
	for (y = 0; y < h; y++)
		memcpy(before + y * w, (char *)wb.buf.map + y * wb.buf.pitch,
		       w * 4);
	printf("before the text: capture = /dev/fb%d\n", fbi);

	if (kms_crc_open(&crc, "vkms", wb.crtc_index) ||
	    kms_crc_next(&crc, &wb, &crc0, NULL))
		goto out;
	wb.crc = &crc;
	printf("CRC before the text: 0x%08x\n", crc0);

	for (i = 0; i < 8; i++) {
		snprintf(text, sizeof(text),
			 "vkms_fbcon line %d: ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 @#%%&*\n",
			 i);
		if (tty_write(tty, text))
			goto out;
	}
	/* frames composed after the text was drawn (see kms_crc_next()) */
	for (i = 0; i < WAIT_FRAMES; i++) {
		if (i ? kms_crc_read(&crc, &f, &v, CRC_TIMEOUT_MS) :
			kms_crc_next(&crc, &wb, &v, &f))
			goto out;
		if (v != crc0)
			break;
	}
	if (i == WAIT_FRAMES) {
		printf("FAIL: %d vblanks after the console text, the composed output is unchanged (CRC 0x%08x): fbcon's drawing does not reach vkms without a commit\n",
		       WAIT_FRAMES, crc0);
		goto out;
	}
	crc_live = v;
	printf("without a commit: CRC 0x%08x at vblank %u (%d frames after the text)\n",
	       crc_live, f, i + 1);

	if (kms_wb_capture(&wb) || fb_read_all(fbfd, fbpx, size))
		goto out;
	bad = image_compare(fbpx, fix.line_length, wb.buf.map, wb.buf.pitch,
			    w, h);
	if (bad) {
		printf("FAIL: the writeback-only capture is not /dev/fb%d's content: %lu pixels differ\n",
		       fbi, bad);
		goto out;
	}
	changed = 0;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			if ((before[y * w + x] ^
			     ((uint32_t *)((char *)wb.buf.map +
					   y * wb.buf.pitch))[x]) & 0xffffff)
				changed++;
	if (!changed) {
		printf("FAIL: the text changed no pixel of the capture\n");
		goto out;
	}
	if (kms_crc_next(&crc, &wb, &crc_after, NULL))
		goto out;
	if (crc_after != crc_live) {
		printf("FAIL: the CRC without a commit (0x%08x) is not that of the captured frame (0x%08x)\n",
		       crc_live, crc_after);
		goto out;
	}
	printf("ok: the text changed %lu pixels, reached the output without a commit (CRC 0x%08x), capture = /dev/fb%d\n",
	       changed, crc_live, fbi);
	ret = KMS_EXIT_PASS;
out:
	if (wb.kicks || crc.restarts)
		printf("(%u stalled writeback jobs and %u CRC captures restarted)\n",
		       wb.kicks, crc.restarts);
	kms_crc_close(&crc);
	if (routed)
		route(&wb, false, &fence);
	if (vkms >= 0) {
		kms_wb_fini(&wb);
		close(vkms);
	}
	if (tty >= 0) {
		tty_write(tty, "\033[2J\033[H\033[?25h");
		close(tty);
	}
	if (remapped && ioctl(fbfd, FBIOPUT_CON2FBMAP, &old_map))
		printf("restoring console %u -> fb%u: %s\n", old_map.console,
		       old_map.framebuffer, strerror(errno));
	if (fbfd >= 0)
		close(fbfd);
	free(fbpx);
	free(before);
	printf("%s: %.1f s\n", "vkms_fbcon", kms_time() - t_start);
	return ret;
}
