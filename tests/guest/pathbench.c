// SPDX-License-Identifier: GPL-2.0
/*
 * The whole update path of the emulated USB displays (bench OUTDIR path
 * LABEL): from the DIRTYFB or atomic ioctl to the picture the emulated
 * device has decoded, for the kernel the guest runs (make bench runs it in
 * the converted kernel and in one with 6.12's drivers, LABEL "converted"
 * and "6.12").  Every figure goes to OUTDIR/path.csv; scripts/bench.sh
 * puts the two kernels side by side.
 *
 * For each display model (udl 1024x768, gm12u320 848x480, gud 640x480 and
 * gud 3840x2160), each framebuffer kind and each update (single-buffered
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
 * The framebuffer kinds, each XRGB8888 of the mode's size, drawn by the
 * CPU through the mmap of the device that allocated it:
 *
 *   dumb        a dumb buffer of the display;
 *   vgem        a vgem dumb buffer (SHMEM) imported through PRIME;
 *   bochs       a dumb buffer of bochs (QEMU -vga std; GEM VRAM, i.e.
 *               TTM), exported with PRIME_HANDLE_TO_FD on bochs's card
 *               and imported with PRIME_FD_TO_HANDLE on the display's.
 *               The VRAM helper creates its BOs in system memory, and
 *               nothing here makes bochs scan them out, which alone would
 *               move them into VRAM: the rows read a TTM BO in system
 *               memory (cached pages).  6.12's drivers cannot import it
 *               (6.12's VRAM helper has no sg table to export: ENOSYS):
 *               then every row of the kind says "cannot import: <errno>"
 *               instead of figures, and the bench goes on.  A converted
 *               driver (one with the blit helper's staging counts) that
 *               fails the import fails the bench.
 *
 * Then a stream of full-frame updates (blocking flips between two drawn
 * buffers, PATH_STREAM_MS long) gives the frames per second the device
 * published, and the bulk bytes per second, the rate the emulated bus and
 * device carried. And a nonblocking flip onto a buffer with a write fence
 * that is signalled PATH_FENCE_MS later gives how long that ioctl
 * blocks, and checks that the device shows the new picture only after
 * the signal: for vgem buffers a vgem fence on the object; bochs has no
 * fences of its own, so for bochs buffers a vgem fence exported from a
 * scratch vgem object as a sync_file and imported into the bochs BO's
 * dma-buf as a write fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE), which the
 * display's commit sees in the shared reservation object.
 *
 * vkms (1024x768, its preferred mode) gets the same cells for the three
 * kinds, measured through writeback.  vkms is not converted (it scans out
 * live, reading the framebuffer at every vblank), so its rows show the
 * same driver in both kernels.  The CRTC drives the writeback connector
 * alone; every update is checked by a writeback job, whose capture must
 * be the committed picture exactly:
 *
 *   flip        a nonblocking atomic commit of the plane's FB_ID (vkms has
 *               no FB_DAMAGE_CLIPS: the whole plane) with a writeback job
 *               in the same commit;
 *   dirtyfb     the DIRTYFB ioctl (vkms has no dirty callback: ENOSYS,
 *               accepted and noted; a write into the displayed buffer
 *               shows without it), then a blocking writeback-only commit;
 *   ioctl_us    the DIRTYFB or flip ioctl;
 *   shown_us    from that ioctl's start until the writeback job's
 *               out-fence signalled (the fence's timestamp, from
 *               SYNC_IOC_FILE_INFO): vkms composed a frame with the
 *               update and wrote it back.  A job that stalls on 6.12's
 *               composer switching off is restarted (kms_wb_wait()) and
 *               the row counts it.
 *
 * Wire bytes and staging do not apply to vkms ("-", "n/a"); it has no
 * stream or fenced-flip rows.  vkms imports with a mapping, which a GEM
 * VRAM export refuses in both kernels: its bochs rows may say "cannot
 * import" in either.
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
 *
 * bench OUTDIR path LABEL [updates=N] [fake-noimport] [DISPLAY...] runs
 * this alone (struct path_opts): N updates per cell, the displays named
 * (udl, gm12u320, gud, gud4k, vkms); fake-noimport makes every bochs
 * import fail (EBADF) as 6.12's do, to check those rows in any kernel.
 */
#define _GNU_SOURCE		/* strerrorname_np() */
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

#include <linux/sync_file.h>

#include "lib/disp.h"
#include "lib/kms.h"
#include "pathbench.h"
#include "vusb.h"

#define PATH_UPDATES	7	/* per cell by default */
#define PATH_UPDATES_MAX 31	/* path_opts.updates: up to this many */
#define PATH_STREAM_MS	3000
#define PATH_FENCE_MS	500	/* the fence stays unsignalled this long */
#define VKMS_W		1024	/* vkms's preferred mode */
#define VKMS_H		768

enum pb_kind { PB_DUMB, PB_VGEM, PB_BOCHS, PB_NKINDS };
enum pb_update { PB_DIRTYFB, PB_FLIP };
enum pb_clip { PB_64, PB_QUARTER, PB_FULL };

static const char *const kind_name[] = { "dumb", "vgem", "bochs" };
static const char *const update_name[] = { "dirtyfb", "flip" };
static const char *const clip_name[] = { "64x64", "quarter", "full" };

/*
 * A framebuffer on the card @importer: a dumb buffer of that card
 * (PB_DUMB), or one of vgem or bochs exported and imported through PRIME.
 */
struct pb_buf {
	enum pb_kind kind;
	struct kms_dumb dumb;		/* on the card or on the exporter */
	int importer;			/* the card */
	int dmabuf;			/* -1 if not exported */
	uint32_t handle;		/* the import's handle, 0 if none */
	uint32_t fb;
	void *map;
	unsigned int pitch;
};

struct pb {
	const char *label;
	const struct path_opts *o;
	unsigned int updates;		/* per cell */
	FILE *csv;
	int vgem, bochs;
	/* a vgem BO whose write fences go to bochs BOs (attach_fence()) */
	struct kms_dumb fence_bo;
	int fence_dmabuf;
	struct disp d;
	struct disp_plane ap;
	struct pb_buf b[2];
	unsigned int cur;		/* the buffer on the plane */
	unsigned int frame;
	bool has_staging;
	/* vkms */
	struct kms_wb wb;
	uint32_t *vcur;			/* what vkms shows now */
	unsigned int vw, vh;
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

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "unknown errno";
}

/*
 * A @w x @h XRGB8888 framebuffer of @kind on the card @fd, mapped for
 * drawing (through the exporter's mmap for PRIME kinds).  0; -errno if
 * PRIME_FD_TO_HANDLE failed (printed); KMS_EXIT_FAIL if anything else did.
 */
static int buf_create(struct pb *p, struct pb_buf *b, enum pb_kind kind,
		      int fd, unsigned int w, unsigned int h)
{
	int exporter = kind == PB_VGEM ? p->vgem : p->bochs;
	int err;

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->importer = fd;
	b->dmabuf = -1;
	if (kind == PB_DUMB) {
		if (kms_dumb_create(fd, w, h, 32, &b->dumb) ||
		    kms_dumb_map(&b->dumb) ||
		    kms_add_fb_xrgb(fd, w, h, b->dumb.handle, b->dumb.pitch,
				    &b->fb))
			return KMS_EXIT_FAIL;
		b->map = b->dumb.map;
		b->pitch = b->dumb.pitch;
		return 0;
	}
	if (kms_dumb_create(exporter, w, h, 32, &b->dumb) ||
	    kms_dumb_map(&b->dumb))
		return KMS_EXIT_FAIL;
	b->map = b->dumb.map;
	b->pitch = b->dumb.pitch;
	b->dmabuf = kms_prime_export(exporter, b->dumb.handle);
	if (b->dmabuf < 0)
		return KMS_EXIT_FAIL;
	if (drmPrimeFDToHandle(fd, kind == PB_BOCHS && p->o->fake_noimport ?
			       -1 : b->dmabuf, &b->handle)) {
		err = errno;
		b->handle = 0;
		printf("PRIME import of a %s buffer (%ux%u, pitch %u) failed: %s\n",
		       kind_name[kind], w, h, b->pitch, errname(err));
		return -err;
	}
	if (kms_add_fb_xrgb(fd, w, h, b->handle, b->pitch, &b->fb))
		return KMS_EXIT_FAIL;
	return 0;
}

static void buf_destroy(struct pb_buf *b)
{
	if (b->fb)
		drmModeRmFB(b->importer, b->fb);
	if (b->handle)
		kms_gem_close(b->importer, b->handle);
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	kms_dumb_destroy(&b->dumb);
	memset(b, 0, sizeof(*b));
	b->dmabuf = -1;
}

/*
 * Both buffers of @kind for the card @fd.  A failed import is expected
 * where @may_fail: then *@why says so, and 0 is returned with no buffers.
 */
static int bufs_create(struct pb *p, enum pb_kind kind, int fd,
		       unsigned int w, unsigned int h, bool may_fail,
		       char *why, size_t len)
{
	int ret;

	why[0] = 0;
	ret = buf_create(p, &p->b[0], kind, fd, w, h);
	if (!ret)
		ret = buf_create(p, &p->b[1], kind, fd, w, h);
	if (ret >= 0)
		return ret;
	if (!may_fail) {
		printf("FAIL: this kernel must import %s buffers here\n",
		       kind_name[kind]);
		return KMS_EXIT_FAIL;
	}
	snprintf(why, len, "cannot import: %s", errname(-ret));
	printf("path: %s buffers: %s%s; their rows say so\n", kind_name[kind],
	       why, p->o->fake_noimport ? " (forced: fake-noimport)" : "");
	buf_destroy(&p->b[0]);
	buf_destroy(&p->b[1]);
	return 0;
}

/*
 * The rows of a kind whose buffers could not be imported: every cell and
 * the stream, with @why instead of figures.
 */
static void noimport_rows(struct pb *p, const char *disp, unsigned int w,
			  unsigned int h, enum pb_kind kind, const char *why,
			  bool stream)
{
	int upd, clip;

	for (upd = PB_DIRTYFB; upd <= PB_FLIP; upd++)
		for (clip = PB_64; clip <= PB_FULL; clip++)
			fprintf(p->csv, "update,%s,%s,%ux%u,%s,%s,%s,-,-,-,-,-,0,0,%s\n",
				p->label, disp, w, h, kind_name[kind],
				update_name[upd], clip_name[clip], why);
	if (stream)
		fprintf(p->csv, "stream,%s,%s,%ux%u,%s,-,-,-,-,-,%s\n",
			p->label, disp, w, h, kind_name[kind], why);
	fflush(p->csv);
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
 * One cell: p->updates updates of @clip made by @upd; one CSV row with
 * the medians.
 */
static int cell(struct pb *p, enum pb_kind kind, enum pb_update upd,
		enum pb_clip clip)
{
	struct disp *d = &p->d;
	struct vdisp *v = d->m->vdisp(d->emu);
	struct vusb_dev *usb = d->m->usb(d->emu);
	long long ioctl_us[PATH_UPDATES_MAX], shown_us[PATH_UPDATES_MAX];
	long long wire[PATH_UPDATES_MAX], copied[PATH_UPDATES_MAX];
	unsigned long long held = 0, last = 0;
	unsigned int i, flushed = 0, busy = 0;
	unsigned long flushes;
	uint32_t *next = malloc((size_t)d->w * d->h * 4);
	int ret = KMS_EXIT_FAIL;
	char staging[64];

	if (!next)
		return ret;
	for (i = 0; i < p->updates; i++) {
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
			 median_ll(copied, p->updates), held);
	else
		snprintf(staging, sizeof(staging), "none,none");
	fprintf(p->csv, "update,%s,%s,%ux%u,%s,%s,%s,%lld,%lld,%lld,%s,%u,%u,%s\n",
		p->label, d->m->name, d->w, d->h, kind_name[kind],
		update_name[upd], clip_name[clip],
		median_ll(ioctl_us, p->updates),
		median_ll(shown_us, p->updates),
		median_ll(wire, p->updates), staging, flushed, busy,
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
	fprintf(p->csv, "stream,%s,%s,%ux%u,%s,%u,%lu,%lld,%.2f,%.2f,\n",
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
 * An unsignalled write fence on @b's BO, which signal_later() signals by
 * *@id: a vgem fence on the vgem object itself (VGEM_IOCTL_FENCE_ATTACH),
 * or, for a bochs BO, a vgem fence on p->fence_bo exported as a sync_file
 * and imported into the bochs BO's reservation object as a write fence
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, DMA_BUF_IOCTL_IMPORT_SYNC_FILE): bochs
 * has no fences of its own. 0 or KMS_EXIT_FAIL (printed).
 */
static int attach_fence(struct pb *p, struct pb_buf *b, uint32_t *id)
{
	struct vgem_fence_attach a = { .flags = VGEM_WRITE_FENCE };
	struct vgem_fence_signal sig = { 0 };

	a.handle = b->kind == PB_VGEM ? b->dumb.handle : p->fence_bo.handle;
	if (drmIoctl(p->vgem, VGEM_IOCTL_FENCE_ATTACH, &a)) {
		printf("VGEM_IOCTL_FENCE_ATTACH: %s\n", strerror(errno));
		return KMS_EXIT_FAIL;
	}
	*id = a.out_fence;
	if (b->kind == PB_VGEM ||
	    !kms_dmabuf_copy_write_fence(p->fence_dmabuf, b->dmabuf))
		return 0;
	printf("no write fence on the %s BO\n", kind_name[b->kind]);
	sig.fence = a.out_fence;
	drmIoctl(p->vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig);
	return KMS_EXIT_FAIL;
}

/*
 * A nonblocking flip onto a buffer with a write fence (attach_fence())
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
	if (attach_fence(p, b, &sg.fence))
		goto out;
	if (pthread_create(&thread, NULL, signal_later, &sg)) {
		struct vgem_fence_signal s = { .fence = sg.fence };

		printf("pthread_create failed\n");
		drmIoctl(p->vgem, VGEM_IOCTL_FENCE_SIGNAL, &s);
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
	printf("fence (%s): the nonblocking flip took %lld us (the fence was signalled after %d ms), shown %lld us after the signal\n",
	       kind_name[b->kind], t1 - t0, PATH_FENCE_MS, shown - sg.at_us);
	fprintf(p->csv, "fence,%s,%s,%ux%u,%s,%lld,%lld\n", p->label,
		d->m->name, d->w, d->h, kind_name[b->kind], t1 - t0,
		shown - sg.at_us);
	fflush(p->csv);
	ret = 0;
out:
	free(next);
	return ret;
}

static int one_kind(struct pb *p, enum pb_kind kind)
{
	struct disp *d = &p->d;
	uint32_t *img = NULL;
	char why[64];
	int ret, upd, clip;

	/*
	 * 6.12's drivers cannot import a GEM VRAM (bochs) BO: its export
	 * has no sg table. The converted drivers (those with the blit
	 * helper's staging counts) must.
	 */
	ret = bufs_create(p, kind, d->fd, d->w, d->h,
			  kind == PB_BOCHS &&
			  (!p->has_staging || p->o->fake_noimport),
			  why, sizeof(why));
	if (!ret && why[0]) {
		noimport_rows(p, d->m->name, d->w, d->h, kind, why, true);
		return 0;
	}
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
	if (!ret && kind != PB_DUMB)
		ret = fence(p);
out:
	buf_destroy(&p->b[0]);
	buf_destroy(&p->b[1]);
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
	for (kind = PB_DUMB; kind < PB_NKINDS && !ret; kind++)
		ret = one_kind(p, kind);
	if (p->d.emu && disp_unplug(&p->d) && !ret)
		ret = KMS_EXIT_FAIL;
	disp_free(&p->d);
	return ret;
}

/* ---- vkms, measured through writeback ----------------------------------- */

/* Copy the packed vw x vh @img into @b. */
static void vk_draw(struct pb *p, struct pb_buf *b, const uint32_t *img)
{
	unsigned int y;

	for (y = 0; y < p->vh; y++)
		memcpy((char *)b->map + (size_t)y * b->pitch,
		       img + (size_t)y * p->vw, (size_t)p->vw * 4);
	__sync_synchronize();
}

/* When the fence signalled (CLOCK_MONOTONIC, us), or -1 (printed). */
static long long fence_signalled_us(int fence)
{
	struct sync_fence_info fi;
	struct sync_file_info info;

	memset(&fi, 0, sizeof(fi));
	memset(&info, 0, sizeof(info));
	info.num_fences = 1;
	info.sync_fence_info = (uint64_t)(uintptr_t)&fi;
	if (ioctl(fence, SYNC_IOC_FILE_INFO, &info)) {
		printf("SYNC_IOC_FILE_INFO: %s\n", strerror(errno));
		return -1;
	}
	if (info.num_fences != 1 || fi.status != 1 || !fi.timestamp_ns) {
		printf("writeback fence: %u fences, status %d, timestamp %llu\n",
		       info.num_fences, fi.status,
		       (unsigned long long)fi.timestamp_ns);
		return -1;
	}
	return fi.timestamp_ns / 1000;
}

/*
 * A commit with a writeback job into p->wb.buf (poisoned first) and, if
 * @fb, the primary plane's FB_ID set to @fb; nonblocking if @nonblock
 * (retried on EBUSY, counted in *@busy). *@t0 and *@t1: the ioctl's start
 * and end. Waits for the job: the capture must be @expect exactly.
 * *@done: when the job's out-fence signalled. 0 or KMS_EXIT_FAIL.
 */
static int vk_commit(struct pb *p, uint32_t fb, bool nonblock,
		     const uint32_t *expect, unsigned int *busy,
		     long long *t0, long long *t1, long long *done)
{
	struct kms_wb *wb = &p->wb;
	drmModeAtomicReqPtr req;
	int32_t fence = -1;
	int err = 0, rc;

	memset(wb->buf.map, 0x5a, wb->buf.size);
	for (;;) {
		req = drmModeAtomicAlloc();
		if (!req)
			return KMS_EXIT_FAIL;
		err = 0;
		if (fb)
			kms_atomic_add(req, wb->plane_id,
				       wb->plane_prop[KMS_PLANE_FB_ID], fb,
				       &err);
		kms_atomic_add_wb_job(req, wb, wb->wb_fb, &fence, &err);
		if (err) {
			printf("drmModeAtomicAddProperty failed\n");
			drmModeAtomicFree(req);
			return KMS_EXIT_FAIL;
		}
		*t0 = pb_now_us();
		rc = drmModeAtomicCommit(wb->fd, req,
					 nonblock ? DRM_MODE_ATOMIC_NONBLOCK :
					 0, NULL);
		*t1 = pb_now_us();
		err = errno;
		drmModeAtomicFree(req);
		if (!rc)
			break;
		if (fence >= 0)
			close(fence);
		fence = -1;
		if (err != EBUSY) {
			printf("vkms: commit of fb %u with a writeback job: %s\n",
			       fb, strerror(err));
			return KMS_EXIT_FAIL;
		}
		(*busy)++;
		usleep(1000);
	}
	if (fence < 0) {
		printf("vkms: the commit returned no writeback out-fence\n");
		return KMS_EXIT_FAIL;
	}
	rc = kms_wb_wait(wb, fence);
	*done = rc ? -1 : fence_signalled_us(fence);
	close(fence);
	if (rc || *done < 0)
		return KMS_EXIT_FAIL;
	if (image_compare(expect, p->vw * 4, wb->buf.map, wb->buf.pitch,
			  p->vw, p->vh)) {
		printf("FAIL: vkms: the writeback capture is not the picture committed\n");
		return KMS_EXIT_FAIL;
	}
	return 0;
}

/*
 * One vkms cell: p->updates updates of @clip made by @upd, each checked
 * through writeback; one CSV row with the medians.
 */
static int vk_cell(struct pb *p, enum pb_kind kind, enum pb_update upd,
		   enum pb_clip clip)
{
	struct disp geo = { .w = p->vw, .h = p->vh };
	long long ioctl_us[PATH_UPDATES_MAX], shown_us[PATH_UPDATES_MAX];
	size_t n = (size_t)p->vw * p->vh;
	uint32_t *next = malloc(n * 4);
	unsigned int i, busy = 0, kicks = p->wb.kicks, nosys = 0;
	int ret = KMS_EXIT_FAIL;
	char note[80];

	if (!next)
		return ret;
	for (i = 0; i < p->updates; i++) {
		struct drm_mode_rect r;
		long long t0, t1, c0, c1, done;
		struct pb_buf *b;
		uint32_t *img;
		int y, err;

		clip_rect(&geo, clip, i, &r);
		img = malloc(n * 4);
		if (!img)
			goto out;
		pattern_fill(img, p->vw, p->vh, p->vw * 4, ++p->frame);
		memcpy(next, p->vcur, n * 4);
		for (y = r.y1; y < r.y2; y++)
			memcpy(next + (size_t)y * p->vw + r.x1,
			       img + (size_t)y * p->vw + r.x1,
			       (size_t)(r.x2 - r.x1) * 4);
		free(img);
		b = &p->b[upd == PB_FLIP ? p->cur ^ 1 : p->cur];
		vk_draw(p, b, next);
		usleep(100 * 1000);	/* the last job's cleanup */
		if (upd == PB_DIRTYFB) {
			drmModeClip c = { r.x1, r.y1, r.x2, r.y2 };

			/* vkms has no dirty callback: ENOSYS */
			t0 = pb_now_us();
			err = drmModeDirtyFB(p->wb.fd, b->fb, &c, 1) ? errno : 0;
			t1 = pb_now_us();
			if (err && err != ENOSYS) {
				printf("vkms: DIRTYFB of fb %u: %s\n", b->fb,
				       strerror(err));
				goto out;
			}
			nosys += err == ENOSYS;
			if (vk_commit(p, 0, false, next, &busy, &c0, &c1,
				      &done))
				goto out;
		} else {
			if (vk_commit(p, b->fb, true, next, &busy, &t0, &t1,
				      &done))
				goto out;
			p->cur ^= 1;
		}
		memcpy(p->vcur, next, n * 4);
		ioctl_us[i] = t1 - t0;
		shown_us[i] = done - t0;
	}
	note[0] = 0;
	if (nosys)
		snprintf(note, sizeof(note), "DIRTYFB ENOSYS");
	if (p->wb.kicks != kicks)
		snprintf(note + strlen(note), sizeof(note) - strlen(note),
			 "%s%u writeback jobs restarted", nosys ? "; " : "",
			 p->wb.kicks - kicks);
	fprintf(p->csv, "update,%s,vkms,%ux%u,%s,%s,%s,%lld,%lld,-,n/a,n/a,0,%u,%s\n",
		p->label, p->vw, p->vh, kind_name[kind], update_name[upd],
		clip_name[clip], median_ll(ioctl_us, p->updates),
		median_ll(shown_us, p->updates), busy, note);
	fflush(p->csv);
	printf("vkms %s %s %s: %u updates captured exactly\n", kind_name[kind],
	       update_name[upd], clip_name[clip], p->updates);
	ret = 0;
out:
	free(next);
	return ret;
}

static int vk_kind(struct pb *p, enum pb_kind kind)
{
	char why[64];
	int ret, upd, clip;

	/* vkms imports with a mapping, which a GEM VRAM export refuses */
	ret = bufs_create(p, kind, p->wb.fd, p->vw, p->vh, kind == PB_BOCHS,
			  why, sizeof(why));
	if (!ret && why[0]) {
		noimport_rows(p, "vkms", p->vw, p->vh, kind, why, false);
		return 0;
	}
	if (ret)
		goto out;
	p->cur = 0;
	pattern_fill(p->vcur, p->vw, p->vh, p->vw * 4, ++p->frame);
	vk_draw(p, &p->b[0], p->vcur);
	/* the plane, full screen (the first time with the modeset) */
	ret = kms_wb_commit(&p->wb, p->b[0].fb) ||
	      image_compare(p->vcur, p->vw * 4, p->wb.buf.map,
			    p->wb.buf.pitch, p->vw, p->vh) ? KMS_EXIT_FAIL : 0;
	if (ret)
		printf("FAIL: vkms: the %s buffer's first picture\n",
		       kind_name[kind]);
	for (upd = PB_DIRTYFB; upd <= PB_FLIP && !ret; upd++)
		for (clip = PB_64; clip <= PB_FULL && !ret; clip++)
			ret = vk_cell(p, kind, upd, clip);
out:
	buf_destroy(&p->b[0]);
	buf_destroy(&p->b[1]);
	return ret;
}

static int vkms(struct pb *p)
{
	int fd, ret, kind;

	fd = kms_open_driver("vkms");
	if (fd < 0)
		return KMS_EXIT_FAIL;
	ret = kms_wb_init(&p->wb, fd, VKMS_W, VKMS_H) ? KMS_EXIT_FAIL : 0;
	p->vw = p->wb.mode.hdisplay;
	p->vh = p->wb.mode.vdisplay;
	p->vcur = ret ? NULL : malloc((size_t)p->vw * p->vh * 4);
	if (!p->vcur)
		ret = KMS_EXIT_FAIL;
	if (!ret)
		printf("== path %s vkms: %ux%u, through writeback ==\n",
		       p->label, p->vw, p->vh);
	for (kind = PB_DUMB; kind < PB_NKINDS && !ret; kind++)
		ret = vk_kind(p, kind);
	if (p->wb.kicks)
		printf("(vkms: %u stalled writeback jobs restarted)\n",
		       p->wb.kicks);
	free(p->vcur);
	p->vcur = NULL;
	kms_wb_fini(&p->wb);
	close(fd);
	return ret;
}

static bool wanted(const struct pb *p, const char *name)
{
	unsigned int i;

	if (!p->o->names)
		return true;
	for (i = 0; i < p->o->nnames; i++)
		if (!strcmp(p->o->names[i], name))
			return true;
	return false;
}

int path_bench(const char *outdir, const char *label,
	       const struct path_opts *opts)
{
	static const char *const names[] = {
		"udl", "gm12u320", "gud", "gud4k",
	};
	static const struct path_opts all = { 0 };
	struct pb p = { .label = label, .o = opts ? opts : &all,
			.bochs = -1, .fence_dmabuf = -1 };
	char path[256];
	unsigned int i;
	int ret = 0;

	p.updates = p.o->updates ? p.o->updates : PATH_UPDATES;
	if (p.updates > PATH_UPDATES_MAX) {
		printf("at most %d updates per cell\n", PATH_UPDATES_MAX);
		return KMS_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/path.csv", outdir);
	p.csv = fopen(path, "a");
	if (!p.csv) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	p.vgem = kms_open_driver("vgem");
	/* -vga std: bochs */
	if (p.vgem >= 0)
		p.bochs = kms_open_driver("bochs-drm");
	if (p.vgem < 0 || p.bochs < 0 ||
	    kms_dumb_create(p.vgem, 32, 32, 32, &p.fence_bo)) {
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	p.fence_dmabuf = kms_prime_export(p.vgem, p.fence_bo.handle);
	if (p.fence_dmabuf < 0)
		ret = KMS_EXIT_FAIL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !ret; i++)
		if (wanted(&p, names[i]))
			ret = one_model(&p, names[i]);
	if (!ret && wanted(&p, "vkms"))
		ret = vkms(&p);
out:
	if (p.fence_dmabuf >= 0)
		close(p.fence_dmabuf);
	if (p.fence_bo.handle)
		kms_dumb_destroy(&p.fence_bo);
	if (p.bochs >= 0)
		close(p.bochs);
	if (p.vgem >= 0)
		close(p.vgem);
	fclose(p.csv);
	return ret;
}
