// SPDX-License-Identifier: GPL-2.0
/*
 * bench [OUTDIR]: drive the in-kernel benchmark of the GEM damage-blit
 * helper (drivers/gpu/drm/drm_gem_blit_bench.c) over vgem buffers
 * exported as dma-bufs, print the tables and write every measurement to
 * OUTDIR/bench.csv (default /out) for the host to plot.
 *
 * Each figure is the median over repeated updates of one kernel run; all
 * figures come from the same boot, so their ratios are meaningful even
 * though absolute times in an emulated guest are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/kms.h"

#define BENCH_RUN	"/sys/kernel/debug/drm_gem_blit_bench/run"

struct buf {
	unsigned int w, h;
	struct kms_dumb dumb;
	int dmabuf;
};

struct result {
	unsigned long long median_ns, min_ns, bytes;
};

static FILE *csv;

/* One kernel run; returns 0 and fills @r, or -1 after printing why. */
static int run(const struct buf *b, const char *path, const char *fmt,
	       unsigned int nclips, unsigned int cw, unsigned int ch,
	       unsigned int iters, const char *table, struct result *r)
{
	char line[160], out[320], *p;
	ssize_t n;
	int fd;

	snprintf(line, sizeof(line), "%d %s %s %u %u %u %u %u %u %u",
		 b->dmabuf, path, fmt, b->w, b->h, b->dumb.pitch, nclips, cw,
		 ch, iters);
	fd = open(BENCH_RUN, O_RDWR);
	if (fd < 0) {
		printf("open %s: %s\n", BENCH_RUN, strerror(errno));
		return -1;
	}
	if (write(fd, line, strlen(line)) < 0) {
		printf("bench run \"%s\": %s\n", line, strerror(errno));
		close(fd);
		return -1;
	}
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	if (n <= 0) {
		printf("bench run \"%s\": no result\n", line);
		return -1;
	}
	out[n] = '\0';
	p = strstr(out, "bytes=");
	if (!p || sscanf(p, "bytes=%llu", &r->bytes) != 1)
		goto bad;
	p = strstr(out, "median_ns=");
	if (!p || sscanf(p, "median_ns=%llu", &r->median_ns) != 1)
		goto bad;
	p = strstr(out, "min_ns=");
	if (!p || sscanf(p, "min_ns=%llu", &r->min_ns) != 1)
		goto bad;
	fprintf(csv, "%s,%s,%s,%u,%u,%u,%u,%u,%llu,%llu,%llu\n", table, path,
		fmt, b->w, b->h, nclips, cw, ch, r->bytes, r->median_ns,
		r->min_ns);
	fflush(csv);
	return 0;
bad:
	printf("bench run \"%s\": unexpected result \"%s\"\n", line, out);
	return -1;
}

static int buf_create(int vgem, unsigned int w, unsigned int h,
		      struct buf *b)
{
	b->w = w;
	b->h = h;
	b->dmabuf = -1;
	if (kms_dumb_create(vgem, w, h, 32, &b->dumb) || kms_dumb_map(&b->dumb))
		return -1;
	pattern_fill(b->dumb.map, w, h, b->dumb.pitch, 0);
	/* vgem's mmap holds the pages; the benchmark should not need it. */
	munmap(b->dumb.map, b->dumb.size);
	b->dumb.map = NULL;
	b->dmabuf = kms_prime_export(vgem, b->dumb.handle);
	return b->dmabuf < 0 ? -1 : 0;
}

static void buf_destroy(struct buf *b)
{
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	kms_dumb_destroy(&b->dumb);
}

static double us(unsigned long long ns)
{
	return ns / 1000.0;
}

static double mbps(const struct result *r)
{
	return r->median_ns ? r->bytes * 1000.0 / r->median_ns : 0;
}

enum { B720, B1080, B1440, B2160, NBUFS };
static const unsigned int sizes[NBUFS][2] = {
	{ 1280, 720 }, { 1920, 1080 }, { 2560, 1440 }, { 3840, 2160 },
};

#define FIXED_ITERS	41
#define FULL_ITERS	9

static int fixed_cost(struct buf *bufs)
{
	struct result rn[NBUFS], ro[NBUFS];
	unsigned int i;

	printf("\n== Per-update fixed cost: one 64x64 clip, XRGB8888, vgem buffer imported through PRIME ==\n");
	printf("%-10s %14s %16s %8s\n", "buffer", "helper (us)",
	       "6.12 path (us)", "6.12/new");
	for (i = 0; i < NBUFS; i++) {
		if (run(&bufs[i], "new", "xrgb8888", 1, 64, 64, FIXED_ITERS,
			"fixed", &rn[i]) ||
		    run(&bufs[i], "old", "xrgb8888", 1, 64, 64, FIXED_ITERS,
			"fixed", &ro[i]))
			return -1;
		printf("%4ux%-5u %14.1f %16.1f %7.1fx\n", bufs[i].w, bufs[i].h,
		       us(rn[i].median_ns), us(ro[i].median_ns),
		       (double)ro[i].median_ns / rn[i].median_ns);
	}
	printf("flatness, 3840x2160 / 1920x1080: helper %.2f, 6.12 path %.2f\n",
	       (double)rn[B2160].median_ns / rn[B1080].median_ns,
	       (double)ro[B2160].median_ns / ro[B1080].median_ns);
	printf("RESULT fixed_4k_ratio %.2f\n",
	       (double)ro[B2160].median_ns / rn[B2160].median_ns);
	printf("RESULT flat_4k_1080p %.2f\n",
	       (double)rn[B2160].median_ns / rn[B1080].median_ns);
	return 0;
}

static int throughput(struct buf *bufs)
{
	static const char *const fmts[] = { "xrgb8888", "rgb565" };
	static const unsigned int which[] = { B1080, B2160 };
	struct result rn, rm, ro;
	unsigned int i, f;

	printf("\n== Full-frame copy throughput (MB/s of source read) ==\n");
	printf("%-10s %-9s %10s %10s %10s %10s\n", "buffer", "to",
	       "helper", "6.12 path", "copy only", "new/copy");
	for (i = 0; i < 2; i++) {
		struct buf *b = &bufs[which[i]];

		for (f = 0; f < 2; f++) {
			if (run(b, "new", fmts[f], 1, b->w, b->h, FULL_ITERS,
				"full", &rn) ||
			    run(b, "old", fmts[f], 1, b->w, b->h, FULL_ITERS,
				"full", &ro) ||
			    run(b, "memcpy", fmts[f], 1, b->w, b->h,
				FULL_ITERS, "full", &rm))
				return -1;
			printf("%4ux%-5u %-9s %10.0f %10.0f %10.0f %9.2fx\n",
			       b->w, b->h, fmts[f], mbps(&rn), mbps(&ro),
			       mbps(&rm), mbps(&rn) / mbps(&rm));
			if (which[i] == B1080 && f == 0)
				printf("RESULT full_xrgb_vs_memcpy %.2f\n",
				       mbps(&rn) / mbps(&rm));
		}
	}
	return 0;
}

static int scaling(struct buf *bufs)
{
	static const unsigned int sides[] = { 16, 32, 64, 128, 256, 512, 1024 };
	static const unsigned int counts[] = { 1, 4, 16, 64, 256 };
	struct buf *b = &bufs[B1080];
	struct result rn, ro;
	unsigned int i;

	printf("\n== Cost against damage area: one square clip on 1920x1080 ==\n");
	printf("%-10s %12s %14s %16s\n", "clip", "pixels", "helper (us)",
	       "6.12 path (us)");
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		if (run(b, "new", "xrgb8888", 1, sides[i], sides[i], 21,
			"area", &rn) ||
		    run(b, "old", "xrgb8888", 1, sides[i], sides[i], 21,
			"area", &ro))
			return -1;
		printf("%4ux%-5u %12u %14.1f %16.1f\n", sides[i], sides[i],
		       sides[i] * sides[i], us(rn.median_ns),
		       us(ro.median_ns));
	}

	printf("\n== Cost against clip count: 16x16 clips on 1920x1080 ==\n");
	printf("%-10s %14s %16s\n", "clips", "helper (us)", "6.12 path (us)");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (run(b, "new", "xrgb8888", counts[i], 16, 16, 21, "clips",
			&rn) ||
		    run(b, "old", "xrgb8888", counts[i], 16, 16, 21, "clips",
			&ro))
			return -1;
		printf("%-10u %14.1f %16.1f\n", counts[i], us(rn.median_ns),
		       us(ro.median_ns));
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *outdir = argc > 1 ? argv[1] : "/out";
	struct buf bufs[NBUFS] = { };
	char path[256];
	int vgem, ret = KMS_EXIT_FAIL;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/bench.csv", outdir);
	csv = fopen(path, "w");
	if (!csv) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	fprintf(csv, "table,path,format,width,height,clips,clip_w,clip_h,bytes,median_ns,min_ns\n");

	vgem = kms_open_driver("vgem");
	if (vgem < 0)
		goto out;
	for (i = 0; i < NBUFS; i++)
		if (buf_create(vgem, sizes[i][0], sizes[i][1], &bufs[i]))
			goto out;

	if (fixed_cost(bufs) || throughput(bufs) || scaling(bufs))
		goto out;
	ret = KMS_EXIT_PASS;
out:
	for (i = 0; i < NBUFS; i++)
		buf_destroy(&bufs[i]);
	if (vgem >= 0)
		close(vgem);
	fclose(csv);
	return ret;
}
