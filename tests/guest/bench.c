// SPDX-License-Identifier: GPL-2.0
/*
 * bench [OUTDIR [drivers LABEL]]: drive the in-kernel benchmark of the GEM
 * damage-blit helper (drivers/gpu/drm/drm_gem_blit_bench.c) over vgem
 * buffers exported as dma-bufs, print the tables and write every
 * measurement to OUTDIR/bench.csv (default /out) for the host to plot;
 * then count the bytes that udl and gud send over USB for the same small
 * damage, and time the whole update path of every emulated display
 * (pathbench.c, OUTDIR/path.csv). With "drivers LABEL", only the latter
 * two, appended to OUTDIR/wire.csv and OUTDIR/path.csv under LABEL (make
 * bench runs them on 6.12's drivers too). With "path LABEL [updates=N]
 * [fake-noimport] [DISPLAY...]", the whole-path benchmark alone (see
 * path_only()), for a quick check: VL_BENCH=path,converted,updates=3,udl,vkms
 * scripts/guest-run.sh bench.
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

#include "lib/disp.h"
#include "lib/kms.h"
#include "pathbench.h"
#include "vusb.h"

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

#define FIXED_ITERS	15
#define FULL_ITERS	5

#define ROUNDS		7

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v. */
static double median_d(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * The emulated guest's speed drifts with the host's load, so the paths
 * take turns, ROUNDS times: each time figure is the median of the rounds'
 * medians, and each ratio the median of the ratios within a round, whose
 * measurements ran back to back.
 */
static int rounds(struct buf *b, const char *fmt, unsigned int nclips,
		  unsigned int cw, unsigned int ch, unsigned int iters,
		  const char *table, struct result *rn, struct result *ro,
		  struct result *rm, double *new_per_copy)
{
	unsigned long long tn[ROUNDS], to[ROUNDS], tm[ROUNDS];
	double q[ROUNDS];
	unsigned int r;

	for (r = 0; r < ROUNDS; r++) {
		if (run(b, "new", fmt, nclips, cw, ch, iters, table, rn) ||
		    run(b, "memcpy", fmt, nclips, cw, ch, iters, table, rm) ||
		    run(b, "old", fmt, nclips, cw, ch, iters, table, ro))
			return -1;
		tn[r] = rn->median_ns;
		tm[r] = rm->median_ns;
		to[r] = ro->median_ns;
		q[r] = (double)tm[r] / tn[r];
	}
	qsort(tn, ROUNDS, sizeof(tn[0]), cmp_ull);
	qsort(tm, ROUNDS, sizeof(tm[0]), cmp_ull);
	qsort(to, ROUNDS, sizeof(to[0]), cmp_ull);
	rn->median_ns = tn[ROUNDS / 2];
	rm->median_ns = tm[ROUNDS / 2];
	ro->median_ns = to[ROUNDS / 2];
	if (new_per_copy)
		*new_per_copy = median_d(q, ROUNDS);
	return 0;
}

static int fixed_cost(struct buf *bufs)
{
	unsigned long long tn[NBUFS][ROUNDS], to[NBUFS][ROUNDS];
	double ratio[NBUFS][ROUNDS], flat[ROUNDS], flat_old[ROUNDS];
	struct result rn, ro;
	unsigned int i, r;

	printf("\n== Per-update fixed cost: one 64x64 clip, XRGB8888, vgem buffer imported through PRIME; median of %d rounds over all sizes ==\n",
	       ROUNDS);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NBUFS; i++) {
			if (run(&bufs[i], "new", "xrgb8888", 1, 64, 64,
				FIXED_ITERS, "fixed", &rn) ||
			    run(&bufs[i], "old", "xrgb8888", 1, 64, 64,
				FIXED_ITERS, "fixed", &ro))
				return -1;
			tn[i][r] = rn.median_ns;
			to[i][r] = ro.median_ns;
			ratio[i][r] = (double)to[i][r] / tn[i][r];
		}
		flat[r] = (double)tn[B2160][r] / tn[B1080][r];
		flat_old[r] = (double)to[B2160][r] / to[B1080][r];
	}
	printf("%-10s %14s %16s %8s\n", "buffer", "helper (us)",
	       "6.12 path (us)", "6.12/new");
	for (i = 0; i < NBUFS; i++) {
		qsort(tn[i], ROUNDS, sizeof(tn[i][0]), cmp_ull);
		qsort(to[i], ROUNDS, sizeof(to[i][0]), cmp_ull);
		printf("%4ux%-5u %14.1f %16.1f %7.1fx\n", bufs[i].w, bufs[i].h,
		       us(tn[i][ROUNDS / 2]), us(to[i][ROUNDS / 2]),
		       median_d(ratio[i], ROUNDS));
	}
	printf("flatness, 3840x2160 / 1920x1080: helper %.2f, 6.12 path %.2f\n",
	       median_d(flat, ROUNDS), median_d(flat_old, ROUNDS));
	return 0;
}

static int throughput(struct buf *bufs)
{
	static const char *const fmts[] = { "xrgb8888", "rgb565" };
	static const unsigned int which[] = { B1080, B2160 };
	struct result rn, rm, ro;
	unsigned int i, f;
	double q;

	printf("\n== Full-frame copy throughput (MB/s of source read; median of %d alternating rounds) ==\n",
	       ROUNDS);
	printf("%-10s %-9s %10s %10s %10s %10s\n", "buffer", "to",
	       "helper", "6.12 path", "copy only", "new/copy");
	for (i = 0; i < 2; i++) {
		struct buf *b = &bufs[which[i]];

		for (f = 0; f < 2; f++) {
			if (rounds(b, fmts[f], 1, b->w, b->h, FULL_ITERS, "full",
				   &rn, &ro, &rm, &q))
				return -1;
			printf("%4ux%-5u %-9s %10.0f %10.0f %10.0f %9.2fx\n",
			       b->w, b->h, fmts[f], mbps(&rn), mbps(&ro),
			       mbps(&rm), q);
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

#define WIRE_UPDATES	7

/* Draw @img into the framebuffer inside @r only. */
static void wire_draw(struct disp *d, struct kms_dumb *buf,
		      const uint32_t *img, const struct drm_mode_rect *r,
		      uint32_t *next)
{
	int y;

	memcpy(next, d->fbimg, (size_t)d->w * d->h * 4);
	for (y = r->y1; y < r->y2; y++)
		memcpy(next + (size_t)y * d->w + r->x1,
		       img + (size_t)y * d->w + r->x1,
		       (size_t)(r->x2 - r->x1) * 4);
	disp_draw(d, buf->map, buf->pitch, next);
}

/*
 * Bulk bytes that the display's driver sends for one 64x64 damage clip,
 * after a full frame: the median over WIRE_UPDATES updates at different
 * places, each shown exactly before the next.
 */
static int wire_one(const char *name, const char *label, FILE *out)
{
	const struct disp_model *m = disp_model_find(name, strlen(name));
	struct disp d = { .fd = -1 };
	struct kms_dumb buf = { };
	unsigned long long bytes[WIRE_UPDATES];
	uint32_t *img = NULL, *next = NULL;
	uint32_t fb = 0;
	unsigned int i;
	int ret;

	ret = m ? disp_plug(&d, m, "wire") : KMS_EXIT_FAIL;
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	next = malloc((size_t)d.w * d.h * 4);
	img = disp_pattern(&d, 0);
	if (!next || !img || kms_dumb_create(d.fd, d.w, d.h, 32, &buf) ||
	    kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(d.fd, d.w, d.h, buf.handle, buf.pitch, &fb))
		goto out;
	disp_draw(&d, buf.map, buf.pitch, img);
	if (disp_modeset(&d, fb))
		goto out;
	disp_expect_all(&d, img);
	if (disp_wait(&d, fb, "wire-full"))
		goto out;

	for (i = 0; i < WIRE_UPDATES; i++) {
		int x = 32 + (i * 80) % (d.w - 128);
		int y = 32 + (i * 48) % (d.h - 128);
		struct drm_mode_rect r = { x, y, x + 64, y + 64 };
		uint64_t before;

		free(img);
		img = disp_pattern(&d, i + 1);
		if (!img)
			goto out;
		wire_draw(&d, &buf, img, &r, next);
		usleep(200000);	/* let the previous update's tail arrive */
		before = vusb_out_bytes(m->usb(d.emu));
		if (disp_dirty(&d, fb, &r, 1, true))
			goto out;
		disp_expect_rects(&d, next, &r, 1);
		if (disp_wait(&d, fb, "wire-update"))
			goto out;
		usleep(200000);
		bytes[i] = vusb_out_bytes(m->usb(d.emu)) - before;
	}
	qsort(bytes, WIRE_UPDATES, sizeof(bytes[0]), cmp_ull);
	printf("WIRE %s %s: %llu bytes on the bulk endpoint per 64x64 update (median of %d; min %llu, max %llu)\n",
	       name, label, bytes[WIRE_UPDATES / 2],
	       WIRE_UPDATES, bytes[0],
	       bytes[WIRE_UPDATES - 1]);
	fprintf(out, "%s,%s,%llu\n", label, name,
		bytes[WIRE_UPDATES / 2]);
	ret = KMS_EXIT_PASS;
out:
	if (fb)
		drmModeRmFB(d.fd, fb);
	kms_dumb_destroy(&buf);
	free(img);
	free(next);
	if (d.emu && disp_unplug(&d) && !ret)
		ret = KMS_EXIT_FAIL;
	disp_free(&d);
	return ret;
}

static int wire(const char *outdir, const char *label)
{
	static const char *const names[] = { "udl", "gud" };
	char path[256];
	unsigned int i;
	FILE *out;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/wire.csv", outdir);
	out = fopen(path, "a");
	if (!out) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	printf("\n== Wire bytes: one 64x64 damage clip after a full frame ==\n");
	for (i = 0; i < 2 && !ret; i++)
		ret = wire_one(names[i], label, out);
	fclose(out);
	return ret;
}

/*
 * "path LABEL [updates=N] [fake-noimport] [DISPLAY...]": the whole-path
 * benchmark alone, for a quick check: N updates per cell, only the
 * displays named (udl, gm12u320, gud, gud4k, vkms).
 */
static int path_only(const char *outdir, const char *label, int argc,
		     char **argv)
{
	struct path_opts o = { .names = (const char *const *)argv };
	int i;

	/* the display names stay, packed, at the start of @argv */
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "updates=", 8))
			o.updates = strtoul(argv[i] + 8, NULL, 0);
		else if (!strcmp(argv[i], "fake-noimport"))
			o.fake_noimport = true;
		else
			argv[o.nnames++] = argv[i];
	}
	if (!o.nnames)
		o.names = NULL;
	return path_bench(outdir, label, &o);
}

int main(int argc, char **argv)
{
	const char *outdir = argc > 1 ? argv[1] : "/out";
	struct buf bufs[NBUFS] = { };
	char path[256];
	int vgem, ret = KMS_EXIT_FAIL;
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3 && !strcmp(argv[2], "drivers")) {
		ret = wire(outdir, argv[3]);
		return ret ? ret : path_bench(outdir, argv[3], NULL);
	}
	if (argc > 3 && !strcmp(argv[2], "path"))
		return path_only(outdir, argv[3], argc - 4, argv + 4);

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
	ret = wire(outdir, "helper");
	if (!ret)
		ret = path_bench(outdir, "converted", NULL);
out:
	for (i = 0; i < NBUFS; i++)
		buf_destroy(&bufs[i]);
	if (vgem >= 0)
		close(vgem);
	fclose(csv);
	return ret;
}
