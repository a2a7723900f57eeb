// SPDX-License-Identifier: GPL-2.0
/*
 * The whole update path of the emulated USB displays (bench OUTDIR path
 * LABEL): from the DIRTYFB or atomic ioctl to the picture the emulated
 * device has decoded, for the kernel the guest runs (make bench runs it in
 * the converted kernel and in one with 6.12's drivers, LABEL "converted"
 * and "6.12").  Every figure goes to OUTDIR/path.csv; scripts/bench.sh
 * puts the two kernels side by side.
 *
 * For each display model (udl 1024x768, gm12u320 850x480, gud 640x480 and
 * gud 3840x2160), each framebuffer kind (a dumb buffer of the display, a
 * vgem buffer imported through PRIME) and each update (single-buffered
 * DIRTYFB; double-buffered nonblocking atomic flips with FB_DAMAGE_CLIPS)
 * of a 64x64 clip, a quarter of the frame and the full frame, it makes
 * PATH_UPDATES updates at different places and records per update:
 *
 *   ioctl_us    how long the ioctl took;
 *   shown_us    from the ioctl's start until the emulated device published
 *               the picture that holds the update (every update is checked
 *               exactly before the next: disp_wait());
 *   wire        bytes the driver sent on the bulk endpoint;
 *   copied      bytes the blit helper copied into its staging buffer and
 *   staging     bytes of staging memory the plane holds (the converted
 *               drivers' debugfs file; 6.12's drivers have no staging
 *               copy, and the row says "none").
 *
 * Then a stream of full-frame updates (blocking flips between two drawn
 * buffers, PATH_STREAM_MS long) gives the frames per second the device
 * published, and the bulk bytes per second, the rate the emulated bus and
 * device carried. And a nonblocking flip onto a buffer with a vgem write
 * fence that is signalled PATH_FENCE_MS later gives how long that ioctl
 * blocks, and checks that the device shows the new picture only after
 * the signal.
 *
 * A plane without FB_DAMAGE_CLIPS (6.12's gm12u320) gets its flips without
 * damage clips, so each damages the whole plane; its rows say
 * "full-damage".
 *
 * udl: when an update's last bulk transfer is a multiple of the packet
 * size, the device sees it only with the next transfer, and disp_wait()
 * pushes it out with a 1x1 DIRTYFB after FLUSH_AFTER_MS; such an update's
 * shown_us holds that wait (the row counts them as "flushed").
 *
 * Frames per second of the stream: the emulated gud publishes a picture
 * for every transfer, several per frame at 3840x2160, and gm12u320 sends
 * frames from a worker that skips the flips it did not get to, so the
 * rate is min(flips, pictures) over the time: full frames the device
 * can have shown, at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lib/disp.h"
#include "lib/kms.h"
#include "pathbench.h"
#include "vusb.h"

#define PATH_UPDATES	7
#define PATH_STREAM_MS	3000
#define PATH_FENCE_MS	500	/* the fence stays unsignalled this long */

enum pb_kind { PB_DUMB, PB_VGEM };
enum pb_update { PB_DIRTYFB, PB_FLIP };
enum pb_clip { PB_64, PB_QUARTER, PB_FULL };

static const char *const kind_name[] = { "dumb", "vgem" };
static const char *const update_name[] = { "dirtyfb", "flip" };
static const char *const clip_name[] = { "64x64", "quarter", "full" };

struct pb_buf {
	enum pb_kind kind;
	struct kms_dumb dumb;		/* PB_DUMB */
	struct kms_prime_fb pf;		/* PB_VGEM */
	uint32_t fb;
	void *map;
	unsigned int pitch;
};

struct pb {
	const char *label;
	FILE *csv;
	int vgem;
	struct disp d;
	struct disp_plane ap;
	struct pb_buf b[2];
	unsigned int cur;		/* the buffer on the plane */
	unsigned int frame;
	bool has_staging;
};

static long long pb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long published_us(struct vdisp *v)
{
	long long t;

	pthread_mutex_lock(&v->lock);
	t = v->published_us;
	pthread_mutex_unlock(&v->lock);
	return t;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median_ll(long long *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

static int buf_create(struct pb *p, struct pb_buf *b, enum pb_kind kind)
{
	struct disp *d = &p->d;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->pf.dmabuf = -1;
	if (kind == PB_DUMB) {
		if (kms_dumb_create(d->fd, d->w, d->h, 32, &b->dumb) ||
		    kms_dumb_map(&b->dumb) ||
		    kms_add_fb_xrgb(d->fd, d->w, d->h, b->dumb.handle,
				    b->dumb.pitch, &b->fb))
			return KMS_EXIT_FAIL;
		b->map = b->dumb.map;
		b->pitch = b->dumb.pitch;
		return 0;
	}
	if (kms_prime_fb_create(p->vgem, d->fd, d->w, d->h, &b->pf) ||
	    kms_dumb_map(&b->pf.buf))
		return KMS_EXIT_FAIL;
	b->fb = b->pf.fb;
	b->map = b->pf.buf.map;
	b->pitch = b->pf.buf.pitch;
	return 0;
}

static void buf_destroy(struct pb *p, struct pb_buf *b)
{
	if (b->kind == PB_DUMB) {
		if (b->fb)
			drmModeRmFB(p->d.fd, b->fb);
		kms_dumb_destroy(&b->dumb);
	} else {
		kms_prime_fb_destroy(&b->pf);
	}
	memset(b, 0, sizeof(*b));
}

/* Update @i's rectangle of @clip. */
static void clip_rect(struct disp *d, enum pb_clip clip, unsigned int i,
		      struct drm_mode_rect *r)
{
	unsigned int w = clip == PB_64 ? 64 : clip == PB_QUARTER ? d->w / 2 :
			 d->w;
	unsigned int h = clip == PB_64 ? 64 : clip == PB_QUARTER ? d->h / 2 :
			 d->h;

	r->x1 = w < d->w ? (i * 97 + 13) % (d->w - w) : 0;
	r->y1 = h < d->h ? (i * 61 + 7) % (d->h - h) : 0;
	r->x2 = r->x1 + w;
	r->y2 = r->y1 + h;
}

/* @next: what the device shows now, with pattern @frame inside @r. */
static int next_image(struct pb *p, const struct drm_mode_rect *r,
		      uint32_t *next)
{
	struct disp *d = &p->d;
	uint32_t *img = disp_pattern(d, ++p->frame);
	int y;

	if (!img)
		return KMS_EXIT_FAIL;
	memcpy(next, d->cur, (size_t)d->w * d->h * 4);
	for (y = r->y1; y < r->y2; y++)
		memcpy(next + (size_t)y * d->w + r->x1,
		       img + (size_t)y * d->w + r->x1,
		       (size_t)(r->x2 - r->x1) * 4);
	free(img);
	return 0;
}

/*
 * One cell: PATH_UPDATES updates of @clip made by @upd; one CSV row with
 * the medians.
 */
static int cell(struct pb *p, enum pb_kind kind, enum pb_update upd,
		enum pb_clip clip)
{
	struct disp *d = &p->d;
	struct vdisp *v = d->m->vdisp(d->emu);
	struct vusb_dev *usb = d->m->usb(d->emu);
	long long ioctl_us[PATH_UPDATES], shown_us[PATH_UPDATES];
	long long wire[PATH_UPDATES], copied[PATH_UPDATES];
	unsigned long long held = 0, last = 0;
	unsigned int i, flushed = 0, busy = 0;
	unsigned long flushes;
	uint32_t *next = malloc((size_t)d->w * d->h * 4);
	int ret = KMS_EXIT_FAIL;
	char staging[64];

	if (!next)
		return ret;
	for (i = 0; i < PATH_UPDATES; i++) {
		struct drm_mode_rect r;
		struct pb_buf *b;
		long long t0, t1;
		uint64_t before;
		int err;

		clip_rect(d, clip, i, &r);
		if (next_image(p, &r, next))
			goto out;
		b = &p->b[upd == PB_FLIP ? p->cur ^ 1 : p->cur];
		disp_draw(d, b->map, b->pitch, next);
		usleep(100 * 1000);	/* let the last update's tail arrive */
		before = vusb_out_bytes(usb);
		t0 = pb_now_us();
		if (upd == PB_DIRTYFB) {
			err = disp_dirty(d, b->fb, &r, 1, true);
		} else {
			while ((err = disp_flip(d, &p->ap, b->fb, &r, true)) ==
			       -EBUSY) {
				busy++;
				usleep(1000);
				t0 = pb_now_us();
			}
			if (err)
				printf("flip to fb %u: %s\n", b->fb,
				       strerror(-err));
		}
		t1 = pb_now_us();
		if (err)
			goto out;
		if (upd == PB_FLIP)
			p->cur ^= 1;
		disp_expect_rects(d, next, &r, 1);
		flushes = d->flushes;
		if (disp_wait(d, b->fb, "path"))
			goto out;
		ioctl_us[i] = t1 - t0;
		shown_us[i] = published_us(v) - t0;
		flushed += d->flushes != flushes;
		usleep(100 * 1000);
		wire[i] = vusb_out_bytes(usb) - before;
		copied[i] = 0;
		if (p->has_staging) {
			if (disp_staging_counts(d, &held, &last))
				goto out;
			copied[i] = last;
		}
	}
	if (p->has_staging)
		snprintf(staging, sizeof(staging), "%lld,%llu",
			 median_ll(copied, PATH_UPDATES), held);
	else
		snprintf(staging, sizeof(staging), "none,none");
	fprintf(p->csv, "update,%s,%s,%ux%u,%s,%s,%s,%lld,%lld,%lld,%s,%u,%u,%s\n",
		p->label, d->m->name, d->w, d->h, kind_name[kind],
		update_name[upd], clip_name[clip],
		median_ll(ioctl_us, PATH_UPDATES),
		median_ll(shown_us, PATH_UPDATES),
		median_ll(wire, PATH_UPDATES), staging, flushed, busy,
		upd == PB_FLIP && !p->ap.prop_damage ? "full-damage" : "");
	fflush(p->csv);
	ret = 0;
out:
	free(next);
	return ret;
}

/*
 * Blocking full-frame flips between the two buffers, drawn with two
 * pictures beforehand, for PATH_STREAM_MS: frames the device published
 * per second and the bulk bytes per second.
 */
static int stream(struct pb *p, enum pb_kind kind)
{
	struct disp *d = &p->d;
	struct vdisp *v = d->m->vdisp(d->emu);
	struct vusb_dev *usb = d->m->usb(d->emu);
	struct drm_mode_rect all = { 0, 0, d->w, d->h };
	unsigned long frames0, frames;
	unsigned int i, n = 0;
	long long t0, t1;
	uint64_t bytes0;
	uint32_t *img[2];
	int ret = KMS_EXIT_FAIL;

	img[0] = disp_pattern(d, ++p->frame);
	img[1] = disp_pattern(d, ++p->frame);
	if (!img[0] || !img[1])
		goto out;
	/* the buffer on the plane last, so that the device shows it */
	disp_draw(d, p->b[p->cur ^ 1].map, p->b[p->cur ^ 1].pitch,
		  img[p->cur ^ 1]);
	disp_draw(d, p->b[p->cur].map, p->b[p->cur].pitch, img[p->cur]);
	if (disp_dirty(d, p->b[p->cur].fb, NULL, 0, true))
		goto out;
	disp_expect_all(d, img[p->cur]);
	if (disp_wait(d, p->b[p->cur].fb, "stream-start"))
		goto out;
	usleep(100 * 1000);
	frames0 = vdisp_frames(v);
	bytes0 = vusb_out_bytes(usb);
	t0 = pb_now_us();
	do {
		int err;

		i = p->cur ^ 1;
		err = disp_flip(d, &p->ap, p->b[i].fb, &all, false);
		if (err) {
			printf("stream flip %u: %s\n", n, strerror(-err));
			goto out;
		}
		p->cur = i;
		n++;
	} while (pb_now_us() - t0 < PATH_STREAM_MS * 1000LL);
	disp_expect_all(d, img[p->cur]);
	if (disp_wait(d, p->b[p->cur].fb, "stream-end"))
		goto out;
	t1 = published_us(v);
	frames = vdisp_frames(v) - frames0;
	usleep(100 * 1000);
	fprintf(p->csv, "stream,%s,%s,%ux%u,%s,%u,%lu,%lld,%.2f,%.2f\n",
		p->label, d->m->name, d->w, d->h, kind_name[kind], n, frames,
		t1 - t0, (frames < n ? frames : n) * 1e6 / (t1 - t0),
		(vusb_out_bytes(usb) - bytes0) / (double)(t1 - t0));
	fflush(p->csv);
	ret = 0;
out:
	free(img[0]);
	free(img[1]);
	return ret;
}

struct signaller {
	int vgem;
	uint32_t fence;
	long long at_us;	/* when it signalled */
	int err;
};

static void *signal_later(void *arg)
{
	struct signaller *sg = arg;
	struct vgem_fence_signal s = { .fence = sg->fence };

	usleep(PATH_FENCE_MS * 1000);
	sg->at_us = pb_now_us();
	sg->err = drmIoctl(sg->vgem, VGEM_IOCTL_FENCE_SIGNAL, &s) ? -errno : 0;
	return NULL;
}

/*
 * A nonblocking flip onto a buffer whose vgem object has a write fence
 * that a thread signals PATH_FENCE_MS after it was attached: how long the
 * ioctl takes (PATH_FENCE_MS if it waits for the fence), and how long
 * after the signal the device shows the new picture, which it must not
 * show before.
 */
static int fence(struct pb *p)
{
	struct disp *d = &p->d;
	struct vdisp *v = d->m->vdisp(d->emu);
	struct pb_buf *b = &p->b[p->cur ^ 1];
	struct vgem_fence_attach a = { .handle = b->pf.buf.handle,
				       .flags = VGEM_WRITE_FENCE };
	struct signaller sg = { .vgem = p->vgem };
	struct drm_mode_rect r;
	uint32_t *next = malloc((size_t)d->w * d->h * 4);
	long long t0, t1, shown;
	pthread_t thread;
	int err, ret = KMS_EXIT_FAIL;

	if (!next)
		return ret;
	clip_rect(d, PB_64, 3, &r);
	if (next_image(p, &r, next))
		goto out;
	disp_draw(d, b->map, b->pitch, next);
	if (drmIoctl(p->vgem, VGEM_IOCTL_FENCE_ATTACH, &a)) {
		printf("VGEM_IOCTL_FENCE_ATTACH: %s\n", strerror(errno));
		goto out;
	}
	sg.fence = a.out_fence;
	if (pthread_create(&thread, NULL, signal_later, &sg)) {
		printf("pthread_create failed\n");
		goto out;
	}
	t0 = pb_now_us();
	while ((err = disp_flip(d, &p->ap, b->fb, &r, true)) == -EBUSY) {
		usleep(1000);
		t0 = pb_now_us();
	}
	t1 = pb_now_us();
	pthread_join(thread, NULL);
	if (err || sg.err) {
		printf("flip with a fence: %s; signal: %s\n", strerror(-err),
		       strerror(-sg.err));
		goto out;
	}
	p->cur ^= 1;
	disp_expect_rects(d, next, &r, 1);
	if (disp_wait(d, b->fb, "fence-signalled"))
		goto out;
	shown = published_us(v);
	if (shown < sg.at_us) {
		printf("fence: the new picture was shown %lld us before the fence was signalled\n",
		       sg.at_us - shown);
		goto out;
	}
	printf("fence: the nonblocking flip took %lld us (the fence was signalled after %d ms), shown %lld us after the signal\n",
	       t1 - t0, PATH_FENCE_MS, shown - sg.at_us);
	fprintf(p->csv, "fence,%s,%s,%ux%u,vgem,%lld,%lld\n", p->label,
		d->m->name, d->w, d->h, t1 - t0, shown - sg.at_us);
	fflush(p->csv);
	ret = 0;
out:
	free(next);
	return ret;
}

static int one_kind(struct pb *p, enum pb_kind kind)
{
	struct disp *d = &p->d;
	uint32_t *img;
	int ret, upd, clip;

	ret = buf_create(p, &p->b[0], kind);
	if (!ret)
		ret = buf_create(p, &p->b[1], kind);
	img = ret ? NULL : disp_pattern(d, ++p->frame);
	if (!img) {
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	p->cur = 0;
	disp_draw(d, p->b[0].map, p->b[0].pitch, img);
	ret = disp_modeset(d, p->b[0].fb) ? KMS_EXIT_FAIL : 0;
	if (!ret) {
		disp_expect_all(d, img);
		ret = disp_wait(d, p->b[0].fb, "path-modeset");
	}
	free(img);
	for (upd = PB_DIRTYFB; upd <= PB_FLIP && !ret; upd++)
		for (clip = PB_64; clip <= PB_FULL && !ret; clip++)
			ret = cell(p, kind, upd, clip);
	if (!ret)
		ret = stream(p, kind);
	if (!ret && kind == PB_VGEM)
		ret = fence(p);
out:
	buf_destroy(p, &p->b[0]);
	buf_destroy(p, &p->b[1]);
	return ret;
}

static int one_model(struct pb *p, const char *name)
{
	const struct disp_model *m = disp_model_find(name, strlen(name));
	char path[128];
	struct stat st;
	int ret, kind;

	memset(&p->d, 0, sizeof(p->d));
	p->d.fd = -1;
	ret = m ? disp_plug(&p->d, m, "path") : KMS_EXIT_FAIL;
	if (!ret) {
		ret = disp_find_plane(&p->d, &p->ap);
		/* 6.12's gm12u320 has no FB_DAMAGE_CLIPS: flips damage all */
		if (ret && p->ap.prop_fb && !p->ap.prop_damage)
			ret = 0;
	}
	if (!ret && fstat(p->d.fd, &st))
		ret = KMS_EXIT_FAIL;
	if (!ret) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/dri/%u/gem_blit_staging",
			 minor(st.st_rdev));
		p->has_staging = !access(path, R_OK);
		printf("== path %s %s: %ux%u, %s ==\n", p->label, name,
		       p->d.w, p->d.h,
		       p->has_staging ? "the blit helper's staging counts" :
		       "no staging counts (no blit helper)");
	}
	for (kind = PB_DUMB; kind <= PB_VGEM && !ret; kind++)
		ret = one_kind(p, kind);
	if (p->d.emu && disp_unplug(&p->d) && !ret)
		ret = KMS_EXIT_FAIL;
	disp_free(&p->d);
	return ret;
}

int path_bench(const char *outdir, const char *label)
{
	static const char *const names[] = {
		"udl", "gm12u320", "gud", "gud4k",
	};
	struct pb p = { .label = label };
	char path[256];
	unsigned int i;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/path.csv", outdir);
	p.csv = fopen(path, "a");
	if (!p.csv) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	p.vgem = kms_open_driver("vgem");
	if (p.vgem < 0) {
		fclose(p.csv);
		return KMS_EXIT_FAIL;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !ret; i++)
		ret = one_model(&p, names[i]);
	close(p.vgem);
	fclose(p.csv);
	return ret;
}
