// SPDX-License-Identifier: GPL-2.0
/*
 * ppm2png IN.ppm OUT.png: convert a binary PPM (P6, maxval 255, as written
 * by the guest demo) into an 8-bit RGB PNG with libpng.  Comments in the
 * header are accepted; anything else unexpected (other magic, maxval, short
 * pixel data) is reported and makes the tool exit with status 1.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#define MAX_DIM	16384

/* Read one unsigned decimal header field, skipping whitespace and comments. */
static int read_field(FILE *f, unsigned long *val)
{
	int c;

	for (;;) {
		c = getc(f);
		if (c == '#') {
			while (c != '\n' && c != EOF)
				c = getc(f);
		} else if (!isspace(c)) {
			break;
		}
	}
	if (!isdigit(c))
		return -1;
	*val = 0;
	while (isdigit(c)) {
		*val = *val * 10 + (c - '0');
		if (*val > 1000000)
			return -1;
		c = getc(f);
	}
	/* exactly one whitespace character ends a field */
	return isspace(c) ? 0 : -1;
}

static unsigned char *read_ppm(const char *path, unsigned long *w,
			       unsigned long *h)
{
	unsigned char *px = NULL;
	unsigned long maxval;
	size_t size;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (getc(f) != 'P' || getc(f) != '6' ||
	    read_field(f, w) || read_field(f, h) || read_field(f, &maxval)) {
		fprintf(stderr, "%s: not a binary PPM (P6) file\n", path);
		goto out;
	}
	if (!*w || !*h || *w > MAX_DIM || *h > MAX_DIM || maxval != 255) {
		fprintf(stderr, "%s: unsupported %lux%lu maxval %lu\n",
			path, *w, *h, maxval);
		goto out;
	}
	size = (size_t)*w * *h * 3;
	px = malloc(size);
	if (!px) {
		fprintf(stderr, "out of memory\n");
		goto out;
	}
	if (fread(px, 1, size, f) != size) {
		fprintf(stderr, "%s: truncated pixel data\n", path);
		free(px);
		px = NULL;
	}
out:
	fclose(f);
	return px;
}

static int write_png(const char *path, const unsigned char *px,
		     unsigned long w, unsigned long h)
{
	png_structp png;
	png_infop info = NULL;
	unsigned long y;
	FILE *f;

	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		fprintf(stderr, "cannot initialise libpng\n");
		png_destroy_write_struct(&png, NULL);
		fclose(f);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		/* libpng has already printed the reason */
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, px + y * w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *px;
	unsigned long w, h;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IN.ppm OUT.png\n", argv[0]);
		return 1;
	}
	px = read_ppm(argv[1], &w, &h);
	if (!px)
		return 1;
	ret = write_png(argv[2], px, w, h);
	free(px);
	if (ret)
		remove(argv[2]);
	return ret ? 1 : 0;
}
