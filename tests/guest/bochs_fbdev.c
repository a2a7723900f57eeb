// SPDX-License-Identifier: GPL-2.0
/*
 * Write the test pattern to bochs's fbdev device and check, in a QEMU
 * screendump of the emulated display, that it reached the screen.
 *
 * bochs's fbdev emulation keeps the console in a shadow buffer and a damage
 * worker copies written areas into the framebuffer BO in VRAM, mapping it
 * with drm_client_buffer_vmap_local(). The framebuffer console stays on
 * bochs with its cursor hidden, so that it draws nothing over the pattern. The screendump is taken
 * by the host: the program prints "=== SCREENDUMP FILE" and waits for
 * FILE.done to appear in the results share, then compares FILE (a PPM)
 * with the pattern, pixel by pixel.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/kms.h"

#define SHARE		"/out"
#define DUMP_TIMEOUT_S	120

/* Find the fbdev device of the named DRM driver, e.g. "bochs". */
static int find_fb(const char *driver, char *dev, size_t len)
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
			snprintf(dev, len, "/dev/fb%d", i);
			printf("%s: %s", dev, name);
			return 0;
		}
		fclose(f);
	}
	printf("no fbdev device of %s\n", driver);
	return -1;
}

/*
 * The console stays on bochs; hide its blinking cursor, which would be
 * drawn over the pattern.
 */
static void hide_cursor(void)
{
	static const char hide[] = "\033[?25l";
	int fd = open("/dev/tty1", O_WRONLY | O_NOCTTY);

	if (fd < 0 || write(fd, hide, sizeof(hide) - 1) < 0)
		printf("hiding the console cursor: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Read a binary PPM into XRGB8888; returns the pixels or NULL. */
static uint32_t *ppm_read(const char *path, unsigned int *w, unsigned int *h)
{
	unsigned int maxval, x, y;
	uint32_t *px = NULL;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fscanf(f, "P6 %u %u %u", w, h, &maxval) != 3 || maxval != 255 ||
	    fgetc(f) == EOF || !*w || !*h || *w > 8192 || *h > 8192) {
		printf("%s: not a binary 8-bit PPM\n", path);
		goto out;
	}
	px = malloc((size_t)*w * *h * 4);
	if (!px)
		goto out;
	for (y = 0; y < *h; y++) {
		for (x = 0; x < *w; x++) {
			int r = fgetc(f), g = fgetc(f), b = fgetc(f);

			if (b == EOF) {
				printf("%s: truncated\n", path);
				free(px);
				px = NULL;
				goto out;
			}
			px[y * *w + x] = (r << 16) | (g << 8) | b;
		}
	}
out:
	fclose(f);
	return px;
}

static int wait_for(const char *path, int seconds)
{
	struct stat st;
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (!stat(path, &st))
			return 0;
		usleep(100000);
	}
	printf("%s did not appear after %d s\n", path, seconds);
	return -1;
}

int main(void)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	unsigned int w, h, dw, dh;
	uint32_t *expect, *dump;
	char dev[32], done[64];
	unsigned long bad;
	size_t size;
	void *fb;
	int fd;

	if (find_fb("bochs", dev, sizeof(dev)))
		return KMS_EXIT_SKIP;
	hide_cursor();

	fd = open(dev, O_RDWR);
	if (fd < 0 || ioctl(fd, FBIOGET_VSCREENINFO, &var) ||
	    ioctl(fd, FBIOGET_FSCREENINFO, &fix)) {
		printf("%s: %s\n", dev, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	w = var.xres;
	h = var.yres;
	printf("%ux%u, %u bpp, pitch %u\n", w, h, var.bits_per_pixel,
	       fix.line_length);
	if (var.bits_per_pixel != 32) {
		printf("expected a 32 bpp console\n");
		return KMS_EXIT_FAIL;
	}

	size = (size_t)fix.line_length * h;
	fb = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fb == MAP_FAILED) {
		printf("mmap %s: %s\n", dev, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	expect = malloc((size_t)w * h * 4);
	if (!expect)
		return KMS_EXIT_FAIL;
	pattern_fill(expect, w, h, w * 4, 3);
	pattern_fill(fb, w, h, fix.line_length, 3);
	msync(fb, size, MS_SYNC);
	/* Let the deferred-I/O damage worker flush to VRAM. */
	sleep(2);

	snprintf(done, sizeof(done), "%s/bochs_fbdev.ppm.done", SHARE);
	unlink(done);
	printf("=== SCREENDUMP bochs_fbdev.ppm\n");
	fflush(stdout);
	if (wait_for(done, DUMP_TIMEOUT_S))
		return KMS_EXIT_FAIL;

	dump = ppm_read(SHARE "/bochs_fbdev.ppm", &dw, &dh);
	if (!dump)
		return KMS_EXIT_FAIL;
	if (dw != w || dh != h) {
		printf("screendump is %ux%u, the console %ux%u\n", dw, dh, w, h);
		return KMS_EXIT_FAIL;
	}
	bad = image_compare(expect, w * 4, dump, w * 4, w, h);
	if (bad) {
		printf("the fbdev buffer itself, read back:\n");
		image_compare(expect, w * 4, fb, fix.line_length, w, h);
		printf("FAIL: %lu of %u pixels differ on the display\n", bad,
		       w * h);
		return KMS_EXIT_FAIL;
	}
	printf("ok: %u pixels checked on the display\n", w * h);
	munmap(fb, size);
	close(fd);
	free(expect);
	free(dump);
	return KMS_EXIT_PASS;
}
