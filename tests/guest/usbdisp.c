// SPDX-License-Identifier: GPL-2.0
/*
 * usbdisp: every scenario test on every emulated USB display, in one
 * program.  It is installed under each test name, "<display>_<scenario>"
 * (e.g. udl_prime_vgem, gm12u320_fence, gud_unplug), and runs the scenario
 * its name (argv[0], or argv[1] when called as usbdisp) asks for on the
 * display model of that name (lib/disp.c: udl, gm12u320, gud).
 *
 * Each scenario plugs the emulated device in on dummy_udc.0, waits for its
 * card, checks what the device shows against what it must show, unplugs
 * it and fails on any USB or protocol error the emulator recorded.
 *
 *   dumb            a dumb buffer of the display: a modeset, then a second
 *                   frame through a full DIRTYFB.
 *   prime_vgem      the same with a vgem buffer imported through PRIME.
 *   prime_udmabuf   the same with a sealed memfd made a dma-buf by
 *                   /dev/udmabuf, drawn through the memfd's mapping.
 *   damage_dirtyfb  the whole buffer is redrawn but DIRTYFB names 2-3
 *                   clips: new content inside them, old content outside.
 *   damage_atomic   the same through an atomic commit with the plane's
 *                   FB_DAMAGE_CLIPS property.
 *   fence           a vgem WRITE fence on the imported buffer holds the
 *                   update back until it is signalled.
 *   fence_flip      a modeset onto an imported vgem buffer whose write
 *                   fence is signalled 500 ms later, then a nonblocking
 *                   atomic flip with FB_DAMAGE_CLIPS onto
 *                   an imported vgem buffer whose WRITE fence is not
 *                   signalled: the ioctl returns at once, the device keeps
 *                   the old picture until the signal, then shows the
 *                   damage exactly; after that commit and after a flip
 *                   back (read in place too, copying nothing) no mapping
 *                   and no page reference beyond the counts before the
 *                   import remain.
 *   nopin           after the import and after every update of an
 *                   imported vgem buffer, vgem's debugfs shows no live
 *                   mapping and the page use count the buffer had before
 *                   the import, once the worker has dropped the pin that
 *                   each commit holds while it reads the buffer in place
 *                   (SETTLE_MS at most): the importer holds no pin
 *                   between updates.
 *   nodma           prime_vgem in a guest booted with swiotlb=N,force,
 *                   where the swiotlb is smaller than the buffer (gud4k:
 *                   3840x2160, 33 MB): the import must not map it for DMA,
 *                   and no swiotlb slot is taken meanwhile.
 *   unplug          the device is pulled during a stream of updates: they
 *                   fail instead of hanging; a new device then works.
 *   stream          200 full-frame updates of new images back to back
 *                   (DIRTYFB, then atomic flips between two buffers)
 *                   while the device keeps receiving frames: each frame
 *                   it received must be one committed image, none torn,
 *                   the last the last image (vdisp's frame check, in the
 *                   device's depth; it means most for a device that
 *                   publishes whole frames: gm12u320).
 *   badinput        bad damage clips, an undersized import and formats the
 *                   device lacks are refused and change nothing.
 *   flip            nonblocking atomic flips between two imported vgem
 *                   framebuffers, each with one 64x64 FB_DAMAGE_CLIPS
 *                   rectangle (the ioctl's time is printed): the
 *                   device shows the previous picture with the clip
 *                   replaced, and the blit helper's debugfs shows that
 *                   the commits read the buffers in place: nothing was
 *                   copied into staging, and the plane holds no staging
 *                   memory.
 *   prime_bochs     a bochs dumb buffer (GEM VRAM, TTM), drawn through
 *                   bochs's mmap, imported into the display; bochs then
 *                   moves it between video and system memory
 *                   BOCHS_CYCLES times (scanning out a framebuffer that
 *                   leaves no room for it, then scanning it out itself),
 *                   and after every move, and while bochs scans it out,
 *                   a DIRTYFB of new content must show pixel-exact.
 *                   Between updates bochs's framebuffer debugfs must show
 *                   the BO where the move put it, pinned only while
 *                   bochs scans it out. Then a nonblocking commit of new
 *                   content with a damage clip while a write fence (a
 *                   vgem fence imported into the BO's dma-buf) is
 *                   unsignalled: the ioctl returns at once, the picture
 *                   shows once the fence is signalled, the BO's pin count
 *                   is 0 again after that commit, and bochs can move it
 *                   into VRAM to scan it out.
 *   faultinj        fault injection (/proc/thread-self/fail-nth: slab,
 *                   page allocator, user copies) at the Nth fault point of
 *                   each step of the PRIME path: import, ADDFB2, modeset,
 *                   DIRTYFB, an atomic flip with damage, RMFB and close,
 *                   for N = 1, 2, ... until the step runs without one.
 *                   After each: the step failed cleanly or survived, the
 *                   vgem buffers have their counts of before the import
 *                   (nothing pinned or mapped), no splat, and a fresh
 *                   import and modeset show the exact frame. Prints the
 *                   fault points of each step and how the display fared.
 *   faultinj_bochs  the same walk over two bochs (GEM VRAM, TTM) BOs
 *                   exported as dma-bufs instead of vgem buffers; after
 *                   each fault their TTM pin counts must be 0, as before
 *                   the import.
 *   hugefb          a framebuffer whose rows span more than INT_MAX bytes
 *                   is refused by the modeset, without a kernel warning;
 *                   the display keeps working.
 *   hostile_vendor  (udl) the vendor descriptor's last entry runs past
 *                   its end: the probe must not read beyond it, and the
 *                   display must work.
 *   hostile_edid    (udl) the EDID announces 255 extension blocks, the
 *                   second block is garbage, each byte takes 0.5 ms: the
 *                   probe and a connector probe must each end within
 *                   20 s, with the base block's modes, and the display
 *                   must work.
 *   hostile_edid_short (udl) every EDID reply holds the status byte only:
 *                   the connector is disconnected, with no EDID.  Needs
 *                   slub_debug=P to fail on 6.12 (see the scenario).
 *   stall           (gm12u320) in the frame of a DIRTYFB the device
 *                   reads nothing for 1.5 s, longer than the driver's
 *                   1 s data timeout, so the driver gives the frame up:
 *                   without a further update, the frame must show after
 *                   the driver's retry, exactly, and frames must keep
 *                   coming every 2 s after it.
 *   stress_unplug   (the stress tier: make stress, and a tenth of the
 *                   counts in make check) 100 cycles: two imported vgem
 *                   buffers, a modeset, a stream of DIRTYFBs and
 *                   nonblocking flips with damage, the device pulled at a
 *                   random point of its first second; every call must
 *                   return within STRESS_HANG_MS; then a fresh plug shows
 *                   an exact frame.
 *   stress_flipdirty 50000 pairs of a nonblocking atomic flip (in one of
 *                   four with a 64x64 clip, else with one beyond the
 *                   framebuffer) and, at once, a blocking DIRTYFB of a
 *                   clip beyond it; no splat (the 6.12 use-after-free in
 *                   drm_atomic_helper_wait_for_vblanks()), an exact frame
 *                   after.
 *   stress_dirtyfb  10000 DIRTYFB calls of random clips inside the
 *                   framebuffer (1 to 8, or in one call of four 1 to 64;
 *                   a call's clips in a window of a quarter
 *                   of its width and height: udl sends their bounding
 *                   box); in 3 of 20 one reaches beyond it (out of range,
 *                   to 0xffff: 6.12 trims these) and must succeed,
 *                   in 3 of 20 one is inverted or empty and the call must
 *                   fail with EINVAL; a full frame checked exactly every
 *                   500.
 *   stress_orphan   100 cycles: an imported vgem buffer is shown, then
 *                   vgem's handle, the dma-buf fd, the import's handle and
 *                   vgem's fd are closed in a random order; the mapping
 *                   alone draws an exact frame, and after the munmap the
 *                   framebuffer alone one more; RMFB frees it.
 *   stress_shared   one vgem buffer imported into this display and the
 *                   next model (on dummy_udc.1: boot with dummy_hcd.num=2),
 *                   two child processes updating one display each (2000
 *                   DIRTYFBs) while a third attaches vgem write fences,
 *                   draws and signals them; then both show the last
 *                   picture exactly.
 *                   Each stress scenario prints "STRESS <display>
 *                   <scenario>: ..." with its counts, errno classes,
 *                   hangs, exact frames, splats (/dev/kmsg) and leaks
 *                   (kmemleak, dma-bufs left); any hang, splat, leak or
 *                   inexact frame fails it.
 *   demo            (make run, not in the test list; arguments [OUTDIR
 *                   [NFRAMES]]) animates NFRAMES pattern frames on an
 *                   imported vgem buffer, checks each one exactly, writes
 *                   what the device showed to OUTDIR/<display>-NNN.png and
 *                   prints "DEMO <display>: F frames, P pixels checked,
 *                   M mismatches".
 *
 * Exit status: 0 pass, 1 fail, 77 could not run (a failure too).
 */
#define _GNU_SOURCE	/* memfd_create(), file seals */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/udmabuf.h>
#include <drm_fourcc.h>

#include "lib/disp.h"
#include "gm12u320.h"
#include "gud.h"
#include "udl.h"

#define FENCE_HOLD_MS		1500
#define ERROR_WAIT_MS		10000
#define DEBUGFS_DRI		"/sys/kernel/debug/dri"

/* ---- framebuffers ------------------------------------------------------- */

enum tbuf_kind { TB_DUMB, TB_VGEM, TB_UDMABUF };

struct tbuf {
	enum tbuf_kind kind;
	int fd;			/* the display's card */
	uint32_t fb;
	void *map;		/* NULL while unmapped */
	unsigned int pitch;
	size_t size;
	struct kms_dumb dumb;	/* TB_DUMB: the display's, TB_VGEM: vgem's */
	int dmabuf, memfd;
	uint32_t handle;	/* the import's handle on the display */
};

static int tbuf_map_vgem(struct tbuf *b)
{
	if (b->map)
		return 0;
	if (kms_dumb_map(&b->dumb))
		return -1;
	b->map = b->dumb.map;
	return 0;
}

static void tbuf_unmap_vgem(struct tbuf *b)
{
	if (!b->map)
		return;
	munmap(b->dumb.map, b->dumb.size);
	b->dumb.map = NULL;
	b->map = NULL;
}

static int udmabuf_create(struct tbuf *b, size_t size)
{
	struct udmabuf_create req = { 0 };
	size_t page = sysconf(_SC_PAGESIZE);
	int dev;

	size = (size + page - 1) / page * page;
	b->memfd = memfd_create("usbdisp", MFD_ALLOW_SEALING);
	if (b->memfd < 0) {
		printf("memfd_create failed: %s\n", strerror(errno));
		return -1;
	}
	if (ftruncate(b->memfd, size) ||
	    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		printf("sizing or sealing the memfd failed: %s\n",
		       strerror(errno));
		return -1;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("cannot open /dev/udmabuf: %s\n", strerror(errno));
		return KMS_EXIT_SKIP;
	}
	req.memfd = b->memfd;
	req.flags = UDMABUF_FLAGS_CLOEXEC;
	req.offset = 0;
	req.size = size;
	b->dmabuf = ioctl(dev, UDMABUF_CREATE, &req);
	close(dev);
	if (b->dmabuf < 0) {
		printf("UDMABUF_CREATE of %zu bytes failed: %s\n", size,
		       strerror(errno));
		return -1;
	}
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->memfd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		printf("mmap of the memfd failed: %s\n", strerror(errno));
		return -1;
	}
	b->size = size;
	printf("udmabuf: %zu bytes of a sealed memfd as dma-buf fd %d\n",
	       size, b->dmabuf);
	return 0;
}

static void tbuf_init(struct tbuf *b, enum tbuf_kind kind, struct disp *d)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->fd = d->fd;
	b->dmabuf = -1;
	b->memfd = -1;
	b->dumb.fd = -1;
}

/* A vgem dumb buffer the size of @d's mode, exported as a dma-buf. */
static int tbuf_export_vgem(struct tbuf *b, struct disp *d, int vgem)
{
	if (kms_dumb_create(vgem, d->w, d->h, 32, &b->dumb))
		return -1;
	b->pitch = b->dumb.pitch;
	b->dmabuf = kms_prime_export(vgem, b->dumb.handle);
	return b->dmabuf < 0 ? -1 : 0;
}

/* ... imported into @d's card and made a framebuffer there. */
static int tbuf_import_vgem(struct tbuf *b, struct disp *d)
{
	if (kms_prime_import(d->fd, b->dmabuf, &b->handle) ||
	    kms_add_fb_xrgb(d->fd, d->w, d->h, b->handle, b->pitch, &b->fb))
		return -1;
	printf("vgem buffer %ux%u pitch %u imported as handle %u, fb %u\n",
	       d->w, d->h, b->pitch, b->handle, b->fb);
	return 0;
}

/*
 * A w x h XRGB8888 framebuffer on the display @d of the given kind;
 * @vgem: the vgem fd for TB_VGEM, whose buffer is not mapped here.
 * 0, KMS_EXIT_FAIL or KMS_EXIT_SKIP.
 */
static int tbuf_create(struct tbuf *b, enum tbuf_kind kind, struct disp *d,
		       int vgem)
{
	int ret;

	tbuf_init(b, kind, d);
	switch (kind) {
	case TB_DUMB:
		if (kms_dumb_create(d->fd, d->w, d->h, 32, &b->dumb) ||
		    kms_dumb_map(&b->dumb))
			return KMS_EXIT_FAIL;
		b->map = b->dumb.map;
		b->pitch = b->dumb.pitch;
		if (kms_add_fb_xrgb(d->fd, d->w, d->h, b->dumb.handle,
				    b->pitch, &b->fb))
			return KMS_EXIT_FAIL;
		break;
	case TB_VGEM:
		if (tbuf_export_vgem(b, d, vgem) || tbuf_import_vgem(b, d))
			return KMS_EXIT_FAIL;
		break;
	case TB_UDMABUF:
		b->pitch = d->w * 4;
		ret = udmabuf_create(b, (size_t)b->pitch * d->h);
		if (ret)
			return ret < 0 ? KMS_EXIT_FAIL : ret;
		if (kms_prime_import(d->fd, b->dmabuf, &b->handle) ||
		    kms_add_fb_xrgb(d->fd, d->w, d->h, b->handle, b->pitch,
				    &b->fb))
			return KMS_EXIT_FAIL;
		break;
	}
	return 0;
}

/* A TB_VGEM framebuffer whose vgem buffer is mapped here too. */
static int tbuf_create_mapped(struct tbuf *b, struct disp *d, int vgem)
{
	int ret = tbuf_create(b, TB_VGEM, d, vgem);

	if (!ret && tbuf_map_vgem(b))
		ret = KMS_EXIT_FAIL;
	return ret;
}

static void tbuf_destroy(struct tbuf *b)
{
	if (b->fb)
		drmModeRmFB(b->fd, b->fb);
	b->fb = 0;
	if (b->handle)
		kms_gem_close(b->fd, b->handle);
	b->handle = 0;
	if (b->kind == TB_UDMABUF && b->map)
		munmap(b->map, b->size);
	b->map = NULL;
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	b->dmabuf = -1;
	if (b->memfd >= 0)
		close(b->memfd);
	b->memfd = -1;
	if (b->dumb.handle)
		kms_dumb_destroy(&b->dumb);
}

static int open_vgem(void)
{
	int fd = kms_open_driver("vgem");

	if (fd < 0)
		printf("vgem is needed for this scenario\n");
	return fd;
}

/* ---- steps -------------------------------------------------------------- */

/* Draw @frame everywhere, show it (modeset or full DIRTYFB), check it. */
static int full_frame(struct disp *d, struct tbuf *b, unsigned int frame,
		      bool modeset)
{
	uint32_t *img = disp_pattern(d, frame);
	char what[32];
	int ret = KMS_EXIT_FAIL;

	if (!img)
		return ret;
	disp_draw(d, b->map, b->pitch, img);
	if (modeset ? disp_modeset(d, b->fb) : disp_dirty(d, b->fb, NULL, 0,
							   true))
		goto out;
	disp_expect_all(d, img);
	snprintf(what, sizeof(what), "frame%u", frame);
	ret = disp_wait(d, b->fb, what);
out:
	free(img);
	return ret;
}

static int scen_frames(struct disp *d, enum tbuf_kind kind)
{
	struct tbuf b;
	int vgem = -1, ret;

	if (kind == TB_VGEM) {
		vgem = open_vgem();
		if (vgem < 0)
			return KMS_EXIT_SKIP;
	}
	ret = tbuf_create(&b, kind, d, vgem);
	if (!ret && kind == TB_VGEM && tbuf_map_vgem(&b))
		ret = KMS_EXIT_FAIL;
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	if (!ret)
		ret = full_frame(d, &b, 1, false);
	tbuf_destroy(&b);
	if (vgem >= 0)
		close(vgem);
	return ret;
}

static int scen_dumb(struct disp *d)
{
	return scen_frames(d, TB_DUMB);
}

static int scen_prime_vgem(struct disp *d)
{
	return scen_frames(d, TB_VGEM);
}

static int scen_prime_udmabuf(struct disp *d)
{
	return scen_frames(d, TB_UDMABUF);
}

/* ---- damage ------------------------------------------------------------- */

static void rect(struct drm_mode_rect *r, int x1, int y1, int x2, int y2)
{
	r->x1 = x1;
	r->y1 = y1;
	r->x2 = x2;
	r->y2 = y2;
}

/* Clips of round @round (1 or 2) for a w x h framebuffer; returns count. */
static unsigned int damage_clips(struct disp *d, int round,
				 struct drm_mode_rect *r)
{
	int w = d->w, h = d->h;

	if (round == 1) {
		rect(&r[0], w / 16 + 1, h / 12, w / 16 + w / 4, h / 12 + h / 5);
		rect(&r[1], w / 2 + 3, h / 4 + 1, w / 2 + w / 6,
		     h / 4 + h / 3);
		rect(&r[2], w / 8, h / 2 + h / 8, w / 8 + w / 3 + 1,
		     h / 2 + h / 8 + h / 10);
		return 3;
	}
	rect(&r[0], w / 3 + 1, h / 20, w / 3 + w / 5, h / 20 + h / 6);
	rect(&r[1], w - w / 4, h - h / 4 + 1, w - 7, h - 3);
	return 2;
}

/*
 * An atomic commit of @fb on the plane with @n damage clips, with @flags
 * (DRM_MODE_ATOMIC_NONBLOCK: retried while the previous one is busy);
 * -errno.
 */
static int atomic_damage_flags(struct disp *d, struct disp_plane *ap,
			       uint32_t fb, const struct drm_mode_rect *r,
			       unsigned int n, uint32_t flags)
{
	drmModeAtomicReqPtr req;
	uint32_t blob = 0;
	int ret;

	if (drmModeCreatePropertyBlob(d->fd, r, n * sizeof(*r), &blob)) {
		ret = -errno;
		printf("CREATEPROPBLOB of %u clips failed: %s\n", n,
		       strerror(-ret));
		return ret;
	}
	req = drmModeAtomicAlloc();
	if (!req ||
	    drmModeAtomicAddProperty(req, ap->plane_id, ap->prop_fb, fb) < 0 ||
	    drmModeAtomicAddProperty(req, ap->plane_id, ap->prop_damage,
				     blob) < 0) {
		printf("building the atomic request failed\n");
		ret = -ENOMEM;
	} else {
		long deadline = disp_now_ms() + ERROR_WAIT_MS;

		while ((ret = drmModeAtomicCommit(d->fd, req, flags, NULL)) &&
		       errno == EBUSY && (flags & DRM_MODE_ATOMIC_NONBLOCK) &&
		       disp_now_ms() < deadline)
			usleep(1000);
		if (ret) {
			ret = -errno;
			printf("atomic commit with %u damage clips failed: %s\n",
			       n, strerror(-ret));
		}
	}
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(d->fd, blob);
	return ret;
}

static int atomic_damage(struct disp *d, struct disp_plane *ap, uint32_t fb,
			 const struct drm_mode_rect *r, unsigned int n)
{
	return atomic_damage_flags(d, ap, fb, r, n, 0);
}

static int scen_damage(struct disp *d, bool atomic)
{
	struct drm_mode_rect r[3];
	struct disp_plane ap;
	uint32_t *img = NULL;
	unsigned int n, i;
	struct tbuf b;
	char what[32];
	int ret, round;

	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret && atomic)
		ret = disp_find_plane(d, &ap);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	for (round = 1; round <= 2 && !ret; round++) {
		ret = KMS_EXIT_FAIL;
		free(img);
		img = disp_pattern(d, round);
		if (!img)
			break;
		n = damage_clips(d, round, r);
		for (i = 0; i < n; i++)
			printf("round %d: clip %u: %ux%u+%u+%u\n", round, i,
			       r[i].x2 - r[i].x1, r[i].y2 - r[i].y1, r[i].x1,
			       r[i].y1);
		/* all of the buffer is new, only the clips are damaged */
		disp_draw(d, b.map, b.pitch, img);
		if (atomic ? atomic_damage(d, &ap, b.fb, r, n) :
			     disp_dirty(d, b.fb, r, n, true))
			break;
		disp_expect_rects(d, img, r, n);
		snprintf(what, sizeof(what), "round%d", round);
		ret = disp_wait(d, b.fb, what);
	}
	free(img);
	tbuf_destroy(&b);
	return ret;
}

static int scen_damage_dirtyfb(struct disp *d)
{
	return scen_damage(d, false);
}

static int scen_damage_atomic(struct disp *d)
{
	return scen_damage(d, true);
}

/* ---- flips -------------------------------------------------------------- */

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

#define FLIPS		8
#define FLIP_CLIP	64

/*
 * Double-buffered nonblocking atomic flips between two imported vgem
 * framebuffers, each with one small FB_DAMAGE_CLIPS rectangle. Each flip's
 * framebuffer is redrawn everywhere, but damage is relative to what the
 * plane shows:
 * the device must show the previous picture with the clip replaced. vgem's
 * buffers are read in place: nothing may be copied into staging, and the
 * plane may hold no staging memory.
 */
static int scen_flip(struct disp *d)
{
	unsigned long long held, last;
	struct drm_mode_rect r;
	struct disp_plane ap;
	long t0, us;
	uint32_t *img = NULL;
	struct tbuf b[2];
	unsigned int k;
	char what[32];
	int vgem, ret;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	tbuf_init(&b[1], TB_VGEM, d);	/* destroyed if b[0] fails */
	ret = tbuf_create_mapped(&b[0], d, vgem);
	if (!ret)
		ret = tbuf_create_mapped(&b[1], d, vgem);
	if (!ret)
		ret = disp_find_plane(d, &ap);
	if (!ret)
		ret = full_frame(d, &b[0], 0, true);
	for (k = 1; k <= FLIPS && !ret; k++) {
		struct tbuf *t = &b[k & 1];
		unsigned int x = (k * 97) % (d->w - FLIP_CLIP);
		unsigned int y = (k * 61) % (d->h - FLIP_CLIP);

		ret = KMS_EXIT_FAIL;
		free(img);
		img = disp_pattern(d, k);
		if (!img)
			break;
		rect(&r, x, y, x + FLIP_CLIP, y + FLIP_CLIP);
		disp_draw(d, t->map, t->pitch, img);
		t0 = now_us();
		if (atomic_damage_flags(d, &ap, t->fb, &r, 1,
					DRM_MODE_ATOMIC_NONBLOCK))
			break;
		us = now_us() - t0;
		disp_expect_rects(d, img, &r, 1);
		snprintf(what, sizeof(what), "flip%u", k);
		if (disp_wait(d, t->fb, what))
			break;
		if (disp_staging_counts(d, &held, &last))
			break;
		printf("%s to fb %u, clip %ux%u+%u+%u: nonblocking ioctl %ld us, copied %llu bytes, staging holds %llu bytes\n",
		       what, t->fb, FLIP_CLIP, FLIP_CLIP, x, y, us, last, held);
		if (last || held) {
			printf("%s was staged (copied %llu bytes, staging holds %llu), not read in place\n",
			       what, last, held);
			break;
		}
		ret = 0;
	}
	free(img);
	tbuf_destroy(&b[1]);
	tbuf_destroy(&b[0]);
	close(vgem);
	return ret;
}

/*
 * A framebuffer whose pitch makes the plane's rows span more than INT_MAX
 * bytes (a legal framebuffer on a lazily allocated dumb buffer of more
 * than 2 GiB): the modeset fails with E2BIG, without a kernel warning or
 * an allocation, and the display keeps working.
 */
static int scen_hugefb(struct disp *d)
{
	/* the smallest multiple of 4 KiB whose d->h rows exceed INT_MAX */
	unsigned int pitch = ((1u << 31) / d->h + 4096) & ~4095u;
	struct drm_mode_create_dumb c = {
		.width = pitch / 4, .height = d->h, .bpp = 32,
	};
	struct tbuf b;
	uint32_t fb = 0;
	int ret, err = 0;

	if (drmIoctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &c)) {
		printf("CREATE_DUMB %ux%u failed: %s\n", c.width, c.height,
		       strerror(errno));
		return KMS_EXIT_FAIL;
	}
	printf("dumb buffer of %llu bytes, pitch %u\n",
	       (unsigned long long)c.size, c.pitch);
	if (kms_add_fb_xrgb(d->fd, d->w, d->h, c.handle, c.pitch, &fb)) {
		printf("ADDFB2 with pitch %u failed\n", c.pitch);
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	ret = disp_modeset(d, fb);
	err = ret;
	if (!ret) {
		printf("SETCRTC of a framebuffer of %llu bytes succeeded\n",
		       (unsigned long long)c.pitch * d->h);
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	printf("SETCRTC refused it: %s\n", strerror(-err));
	if (err != -E2BIG) {
		printf("expected E2BIG for staging beyond INT_MAX bytes\n");
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	tbuf_destroy(&b);
out:
	if (fb)
		drmModeRmFB(d->fd, fb);
	kms_gem_close(d->fd, c.handle);
	return ret;
}

/* ---- fence -------------------------------------------------------------- */

struct updater {
	struct disp *d;
	uint32_t fb;
	volatile bool done;
	int ret;
	long start_ms, end_ms;
};

static void *update_once(void *arg)
{
	struct updater *u = arg;

	u->start_ms = disp_now_ms();
	u->ret = disp_dirty(u->d, u->fb, NULL, 0, true);
	u->end_ms = disp_now_ms();
	__sync_synchronize();
	u->done = true;
	return NULL;
}

static bool wait_done(volatile bool *done, int ms)
{
	long deadline = disp_now_ms() + ms;

	while (!*done && disp_now_ms() < deadline)
		usleep(10 * 1000);
	return *done;
}

static int scen_fence(struct disp *d)
{
	struct vgem_fence_attach attach = { 0 };
	struct vgem_fence_signal sig = { 0 };
	struct updater u = { .d = d };
	bool signalled = false, started = false;
	uint32_t *img = NULL;
	pthread_t thread;
	long t_signal;
	struct tbuf b;
	int vgem, ret;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = tbuf_create_mapped(&b, d, vgem);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;

	img = disp_pattern(d, 1);
	if (!img)
		goto out;
	disp_draw(d, b.map, b.pitch, img);
	attach.handle = b.dumb.handle;
	attach.flags = VGEM_WRITE_FENCE;
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &attach)) {
		printf("VGEM_FENCE_ATTACH failed: %s\n", strerror(errno));
		goto out;
	}
	printf("vgem write fence %u attached to the buffer\n",
	       attach.out_fence);
	u.fb = b.fb;
	if (pthread_create(&thread, NULL, update_once, &u)) {
		printf("pthread_create failed\n");
		goto signal;
	}
	started = true;
	/* Frame 1 is in the buffer, but the fence says it is not ready. */
	if (disp_hold(d, FENCE_HOLD_MS, "fenced"))
		goto signal;
	printf("DIRTYFB %s while the fence was unsignalled\n",
	       u.done ? "had returned" : "was still blocked");
	ret = 0;
signal:
	sig.fence = attach.out_fence;
	t_signal = disp_now_ms();
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig)) {
		printf("VGEM_FENCE_SIGNAL failed: %s\n", strerror(errno));
		ret = KMS_EXIT_FAIL;
	} else {
		signalled = true;
	}
	if (!started)
		goto out;
	if (!wait_done(&u.done, ERROR_WAIT_MS)) {
		printf("DIRTYFB still blocked %d ms after the fence was signalled\n",
		       ERROR_WAIT_MS);
		ret = KMS_EXIT_FAIL;
		goto out;	/* the thread cannot be joined */
	}
	pthread_join(thread, NULL);
	printf("DIRTYFB returned %d, %ld ms after it started, %ld ms after the signal\n",
	       u.ret, u.end_ms - u.start_ms, u.end_ms - t_signal);
	if (u.ret || !signalled) {
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	disp_expect_all(d, img);
	if (disp_wait(d, b.fb, "signalled"))
		ret = KMS_EXIT_FAIL;
out:
	free(img);
	tbuf_destroy(&b);
	close(vgem);
	return ret;
}

/* ---- prime_bochs -------------------------------------------------------- */

#define BOCHS_CYCLES	25	/* two moves each */

struct bochs {
	int fd;
	char dbg[64];		/* its debugfs directory */
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
	uint64_t vram;		/* bytes the VRAM manager manages */
};

/* bochs's card, its connector, CRTC, preferred mode and VRAM size. */
static int bochs_open(struct bochs *b)
{
	drmModeConnector *conn = NULL;
	drmModeRes *res;
	char path[128], line[128];
	unsigned long long total = 0;
	int i, ret = -1;
	FILE *f;

	memset(b, 0, sizeof(*b));
	b->fd = kms_open_driver("bochs-drm");
	if (b->fd < 0)
		return -1;
	for (i = 0; i < 256 && !b->dbg[0]; i++) {
		snprintf(path, sizeof(path), DEBUGFS_DRI "/%d/name", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) && strstr(line, "bochs"))
			snprintf(b->dbg, sizeof(b->dbg), DEBUGFS_DRI "/%d", i);
		fclose(f);
	}
	if (!b->dbg[0]) {
		printf("no %s/N of bochs (is debugfs mounted?)\n", DEBUGFS_DRI);
		return -1;
	}
	/* drm_mm_print(): "total: N, used N free N", in pages. */
	snprintf(path, sizeof(path), "%s/vram-mm", b->dbg);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "total: %llu,", &total);
	if (f)
		fclose(f);
	if (!total) {
		printf("cannot read the VRAM size from %s\n", path);
		return -1;
	}
	b->vram = total * sysconf(_SC_PAGESIZE);

	res = drmModeGetResources(b->fd);
	if (!res || !res->count_crtcs) {
		printf("bochs: no KMS resources\n");
		goto out;
	}
	for (i = 0; i < res->count_connectors && !b->conn_id; i++) {
		conn = drmModeGetConnector(b->fd, res->connectors[i]);
		if (conn && conn->connection == DRM_MODE_CONNECTED &&
		    conn->count_modes) {
			b->conn_id = conn->connector_id;
			b->mode = conn->modes[0];
		}
		drmModeFreeConnector(conn);
	}
	b->crtc_id = res->crtcs[0];
	if (!b->conn_id) {
		printf("bochs: no connected connector with modes\n");
		goto out;
	}
	printf("bochs: %s, mode %ux%u, %llu KiB of VRAM\n", b->dbg,
	       b->mode.hdisplay, b->mode.vdisplay,
	       (unsigned long long)b->vram / 1024);
	ret = 0;
out:
	drmModeFreeResources(res);
	return ret;
}

/* Scan out @fb (0: switch the CRTC off); 0 or -1. */
static int bochs_show(struct bochs *b, uint32_t fb)
{
	int ret;

	if (fb)
		ret = drmModeSetCrtc(b->fd, b->crtc_id, fb, 0, 0, &b->conn_id,
				     1, &b->mode);
	else
		ret = drmModeSetCrtc(b->fd, b->crtc_id, 0, 0, 0, NULL, 0,
				     NULL);
	if (ret)
		printf("bochs: SETCRTC fb %u failed: %s\n", fb,
		       strerror(errno));
	return ret ? -1 : 0;
}

/*
 * Where the BO of bochs framebuffer @fb lives and its TTM pin count, from
 * bochs's "framebuffer" debugfs file (drm_gem_ttm_print_info(), patch
 * 0025): @mem "vram" or "system".
 */
static int bochs_bo_state(struct bochs *b, uint32_t fb, char *mem,
			  size_t len, long *pin)
{
	char path[128], line[256], tmp[32];
	bool in = false, found = false;
	unsigned int id;
	FILE *f;

	mem[0] = 0;
	*pin = -1;
	snprintf(path, sizeof(path), "%s/framebuffer", b->dbg);
	f = fopen(path, "r");
	if (!f) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *s = line;

		if (sscanf(line, "framebuffer[%u]:", &id) == 1) {
			in = id == fb;
			found |= in;
			continue;
		}
		if (!in)
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		if (sscanf(s, "mem_type=%31s", tmp) == 1)
			snprintf(mem, len, "%s", tmp);
		sscanf(s, "pin_count=%ld", pin);
	}
	fclose(f);
	if (!found || !mem[0] || *pin < 0) {
		printf("%s: no mem_type and pin_count for framebuffer %u\n",
		       path, fb);
		return -1;
	}
	return 0;
}

static int bochs_expect(struct bochs *b, uint32_t fb, const char *what,
			const char *mem, long pin)
{
	char now[32];
	long p;

	if (bochs_bo_state(b, fb, now, sizeof(now), &p))
		return -1;
	if (strcmp(now, mem) || p != pin) {
		printf("%s: the BO is in %s with pin count %ld, expected %s with %ld\n",
		       what, now, p, mem, pin);
		return -1;
	}
	return 0;
}

/*
 * Draw pattern frame @frame into the BO through bochs's mmap, send a
 * DIRTYFB of one clip (it moves with @frame, so the copies read the whole
 * buffer over the run) and check the display.
 */
static int bochs_update(struct disp *d, struct tbuf *o, unsigned int frame,
			const char *what)
{
	uint32_t *img = disp_pattern(d, frame);
	int w = d->w / 6, h = d->h / 8, x, y, ret = KMS_EXIT_FAIL;
	struct drm_mode_rect r;

	if (!img)
		return ret;
	x = (frame * 53) % (d->w - w);
	y = (frame * 37) % (d->h - h);
	rect(&r, x, y, x + w, y + h);
	disp_draw(d, o->map, o->pitch, img);
	if (!disp_dirty(d, o->fb, &r, 1, true)) {
		disp_expect_rects(d, img, &r, 1);
		ret = disp_wait(d, o->fb, what);
	}
	free(img);
	return ret;
}

#define BOCHS_FENCE_FLIP_MAX_MS	250	/* a nonblocking commit waits for less */
#define BOCHS_SETTLE_MS		1000	/* for the worker that drops a pin */

/*
 * A write fence on the bochs BO: bochs has no fences of its own, so a vgem
 * fence on a scratch vgem object, exported as a sync_file and imported into
 * the BO's dma-buf @dmabuf. *@id gets the vgem fence to signal on @vgem;
 * 0 or -1 (printed, nothing left unsignalled).
 */
static int bochs_attach_fence(int vgem, uint32_t scratch, int scratch_dmabuf,
			      int dmabuf, uint32_t *id)
{
	struct vgem_fence_attach a = { .handle = scratch,
				       .flags = VGEM_WRITE_FENCE };
	struct vgem_fence_signal sig = { 0 };

	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &a)) {
		printf("VGEM_FENCE_ATTACH failed: %s\n", strerror(errno));
		return -1;
	}
	*id = a.out_fence;
	if (!kms_dmabuf_copy_write_fence(scratch_dmabuf, dmabuf))
		return 0;
	sig.fence = a.out_fence;
	drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig);
	return -1;
}

/*
 * A nonblocking atomic commit of new content in the bochs BO with a damage
 * clip, while a write fence on the BO is unsignalled: the ioctl must not
 * wait for the fence, so the commit reads the BO in place after it, with a
 * pin for that commit. The fence is signalled once the ioctl returned; the
 * new picture must show, and then the BO must be in @mem with TTM pin
 * count 0 again (polled for BOCHS_SETTLE_MS, for the worker that drops the
 * commit's pin): a pin that outlived the commit fails.
 */
static int bochs_fenced_update(struct disp *d, struct bochs *b, struct tbuf *o,
			       uint32_t bochs_fb, unsigned int frame,
			       const char *mem)
{
	struct kms_dumb scratch = { .fd = -1 };
	struct vgem_fence_signal sig = { 0 };
	int vgem, scratch_dmabuf = -1, ret = KMS_EXIT_FAIL;
	uint32_t *img = NULL;
	struct drm_mode_rect r;
	struct disp_plane ap;
	bool fenced = false;
	long t0, ms, deadline, pin;
	char now[32];

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_FAIL;
	if (kms_dumb_create(vgem, 32, 32, 32, &scratch))
		goto out;
	scratch_dmabuf = kms_prime_export(vgem, scratch.handle);
	img = disp_pattern(d, frame);
	if (scratch_dmabuf < 0 || !img || disp_find_plane(d, &ap))
		goto out;
	rect(&r, d->w / 4, d->h / 5, d->w / 4 + d->w / 3, d->h / 5 + d->h / 3);
	disp_draw(d, o->map, o->pitch, img);
	if (bochs_attach_fence(vgem, scratch.handle, scratch_dmabuf, o->dmabuf,
			       &sig.fence))
		goto out;
	fenced = true;
	t0 = disp_now_ms();
	if (atomic_damage_flags(d, &ap, o->fb, &r, 1, DRM_MODE_ATOMIC_NONBLOCK))
		goto out;
	ms = disp_now_ms() - t0;
	printf("nonblocking commit of the bochs BO with an unsignalled write fence: the ioctl took %ld ms\n",
	       ms);
	if (ms > BOCHS_FENCE_FLIP_MAX_MS) {
		printf("the ioctl blocked for more than %d ms: it waited for the fence\n",
		       BOCHS_FENCE_FLIP_MAX_MS);
		goto out;
	}
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig)) {
		printf("VGEM_FENCE_SIGNAL failed: %s\n", strerror(errno));
		goto out;
	}
	fenced = false;
	disp_expect_rects(d, img, &r, 1);
	if (disp_wait(d, o->fb, "fenced"))
		goto out;
	deadline = disp_now_ms() + BOCHS_SETTLE_MS;
	do {
		if (bochs_bo_state(b, bochs_fb, now, sizeof(now), &pin))
			goto out;
		if (!pin)
			break;
		usleep(10 * 1000);
	} while (disp_now_ms() < deadline);
	if (bochs_expect(b, bochs_fb, "after the fenced commit", mem, 0))
		goto out;
	ret = 0;
out:
	if (fenced)
		drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig);
	free(img);
	if (scratch_dmabuf >= 0)
		close(scratch_dmabuf);
	if (scratch.handle)
		kms_dumb_destroy(&scratch);
	close(vgem);
	return ret;
}

static int scen_prime_bochs(struct disp *d)
{
	struct kms_dumb big = { .fd = -1 };
	uint32_t bochs_fb = 0, big_fb = 0;
	unsigned int i, ow, oh, frame = 0;
	struct bochs b;
	struct tbuf o;
	char what[48];
	uint64_t rows;
	int ret = KMS_EXIT_FAIL;
	uint32_t *img;

	tbuf_init(&o, TB_VGEM, d);
	if (bochs_open(&b)) {
		if (b.fd >= 0)
			close(b.fd);
		return KMS_EXIT_SKIP;
	}
	/* The BO: the display's framebuffer and a bochs one of its mode. */
	ow = d->w > b.mode.hdisplay ? d->w : b.mode.hdisplay;
	oh = d->h > b.mode.vdisplay ? d->h : b.mode.vdisplay;
	if (kms_dumb_create(b.fd, ow, oh, 32, &o.dumb) ||
	    kms_dumb_map(&o.dumb))
		goto out;
	o.map = o.dumb.map;
	o.pitch = o.dumb.pitch;
	if (kms_add_fb_xrgb(b.fd, b.mode.hdisplay, b.mode.vdisplay,
			    o.dumb.handle, o.pitch, &bochs_fb))
		goto out;
	/*
	 * A framebuffer bochs can pin in VRAM only after evicting every
	 * other BO: larger than the VRAM minus half of ours.
	 */
	rows = (b.vram - o.dumb.size / 2) / (b.mode.hdisplay * 4);
	if (kms_dumb_create(b.fd, b.mode.hdisplay, rows, 32, &big) ||
	    kms_add_fb_xrgb(b.fd, b.mode.hdisplay, b.mode.vdisplay,
			    big.handle, big.pitch, &big_fb))
		goto out;
	printf("bochs BO %ux%u pitch %u (%llu bytes), fb %u; evicting fb %u of %llu bytes\n",
	       ow, oh, o.pitch, (unsigned long long)o.dumb.size, bochs_fb,
	       big_fb, (unsigned long long)big.size);

	/* Nothing of bochs pins anything of ours: the console goes. */
	if (bochs_show(&b, 0))
		goto out;
	o.dmabuf = kms_prime_export(b.fd, o.dumb.handle);
	if (o.dmabuf < 0 || kms_prime_import(d->fd, o.dmabuf, &o.handle) ||
	    kms_add_fb_xrgb(d->fd, d->w, d->h, o.handle, o.pitch, &o.fb))
		goto out;
	if (bochs_expect(&b, bochs_fb, "after the import", "system", 0))
		goto out;

	img = disp_pattern(d, frame);
	if (!img)
		goto out;
	disp_draw(d, o.map, o.pitch, img);
	if (disp_modeset(d, o.fb)) {
		free(img);
		goto out;
	}
	disp_expect_all(d, img);
	free(img);
	if (disp_wait(d, o.fb, "modeset") ||
	    bochs_expect(&b, bochs_fb, "after the modeset", "system", 0))
		goto out;

	for (i = 0; i < BOCHS_CYCLES; i++) {
		/* bochs scans it out: pinned to VRAM, moved there. */
		if (bochs_show(&b, 0) || bochs_show(&b, bochs_fb) ||
		    bochs_expect(&b, bochs_fb, "scanned out by bochs",
				 "vram", 1))
			goto out;
		snprintf(what, sizeof(what), "cycle%u-scanout", i);
		if (bochs_update(d, &o, ++frame, what))
			goto out;
		/* bochs lets go: unpinned, still in VRAM. */
		if (bochs_show(&b, 0) ||
		    bochs_expect(&b, bochs_fb, "released by bochs", "vram", 0))
			goto out;
		snprintf(what, sizeof(what), "cycle%u-vram", i);
		if (bochs_update(d, &o, ++frame, what) ||
		    bochs_expect(&b, bochs_fb, what, "vram", 0))
			goto out;
		/* bochs scans out the big one: ours is evicted. */
		if (bochs_show(&b, big_fb) ||
		    bochs_expect(&b, bochs_fb, "evicted", "system", 0))
			goto out;
		snprintf(what, sizeof(what), "cycle%u-system", i);
		if (bochs_update(d, &o, ++frame, what) ||
		    bochs_expect(&b, bochs_fb, what, "system", 0))
			goto out;
	}
	/*
	 * A commit that reads the BO in place, after a fence, pins it for
	 * that commit only: bochs can still move it into VRAM to scan it out.
	 */
	if (bochs_fenced_update(d, &b, &o, bochs_fb, ++frame, "system") ||
	    bochs_show(&b, 0) || bochs_show(&b, bochs_fb) ||
	    bochs_expect(&b, bochs_fb, "scanned out after the fenced commit",
			 "vram", 1) ||
	    bochs_show(&b, 0))
		goto out;
	printf("%u moves between VRAM and system memory, %u updates, each checked\n",
	       2 * BOCHS_CYCLES + 1, frame + 1);
	ret = 0;
out:
	if (b.fd >= 0)
		bochs_show(&b, 0);
	if (o.fb)
		drmModeRmFB(d->fd, o.fb);
	if (o.handle)
		kms_gem_close(d->fd, o.handle);
	if (o.dmabuf >= 0)
		close(o.dmabuf);
	if (bochs_fb)
		drmModeRmFB(b.fd, bochs_fb);
	if (big_fb)
		drmModeRmFB(b.fd, big_fb);
	if (big.handle)
		kms_dumb_destroy(&big);
	if (o.dumb.handle)
		kms_dumb_destroy(&o.dumb);
	close(b.fd);
	return ret;
}

/* ---- nopin -------------------------------------------------------------- */

struct gem_counts {
	long pages, vmap, vmap_local, pin;
};

/* vgem's debugfs directory, found by its "name" file. */
static int vgem_debugfs(char *dir, size_t len)
{
	char path[128], name[128];
	int i;

	for (i = 0; i < 256; i++) {
		FILE *f;
		bool vgem;

		snprintf(path, sizeof(path), DEBUGFS_DRI "/%d/name", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		vgem = fgets(name, sizeof(name), f) && strstr(name, "vgem");
		fclose(f);
		snprintf(path, sizeof(path), DEBUGFS_DRI "/%d/gem_objects", i);
		if (vgem && !access(path, R_OK)) {
			snprintf(dir, len, "%s", path);
			return 0;
		}
	}
	printf("no %s/N/gem_objects of vgem (patch 0013; is debugfs mounted?)\n",
	       DEBUGFS_DRI);
	return -1;
}

/* vgem, and the path of its gem_objects file in @path; -1 without them. */
static int open_vgem_counted(char *path, size_t len)
{
	int vgem = open_vgem();

	if (vgem < 0)
		return -1;
	if (vgem_debugfs(path, len)) {
		close(vgem);
		return -1;
	}
	return vgem;
}

static int read_counts(const char *path, uint32_t handle, size_t size,
		       struct gem_counts *c)
{
	char line[256];
	bool in = false, found = false;
	FILE *f;

	c->pages = c->vmap = c->vmap_local = c->pin = -1;
	f = fopen(path, "r");
	if (!f) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long client, sz;
		unsigned int h;
		const char *s = line;

		if (sscanf(line, "client %llu handle %u size %llu", &client,
			   &h, &sz) == 3) {
			in = h == handle && sz == size;
			if (in && found) {
				printf("handle %u of size %zu listed twice\n",
				       handle, size);
				fclose(f);
				return -1;
			}
			found |= in;
			continue;
		}
		if (!in)
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		sscanf(s, "pages_use_count=%ld", &c->pages);
		sscanf(s, "pages_pin_count=%ld", &c->pin);
		sscanf(s, "vmap_use_count=%ld", &c->vmap);
		sscanf(s, "vmap_local_use_count=%ld", &c->vmap_local);
	}
	fclose(f);
	if (!found) {
		printf("%s lists no handle %u of size %zu\n", path, handle,
		       size);
		return -1;
	}
	if (c->pages < 0 || c->vmap < 0 || c->vmap_local < 0) {
		printf("%s: handle %u lacks pages_use_count, vmap_use_count or vmap_local_use_count\n",
		       path, handle);
		return -1;
	}
	return 0;
}

static void print_counts(const char *when, const struct gem_counts *c)
{
	printf("%s: pages_use_count=%ld vmap_use_count=%ld vmap_local_use_count=%ld",
	       when, c->pages, c->vmap, c->vmap_local);
	if (c->pin >= 0)
		printf(" pages_pin_count=%ld", c->pin);
	printf("\n");
}

/*
 * The counts of the vgem buffer must be those it had before the import:
 * no page reference (pin) and no kernel mapping held by the importer.
 */
static int check_counts(const char *what, const struct gem_counts *now,
			const struct gem_counts *base)
{
	print_counts(what, now);
	if (now->vmap || now->vmap_local) {
		printf("%s: a kernel mapping of the vgem buffer is live (vmap_use_count %ld, vmap_local_use_count %ld)\n",
		       what, now->vmap, now->vmap_local);
		return -1;
	}
	if (now->pages != base->pages) {
		printf("%s: pages_use_count is %ld, %ld before the import\n",
		       what, now->pages, base->pages);
		return -1;
	}
	return 0;
}

#define SETTLE_MS	1000	/* for the worker that drops a commit's pin */

/*
 * The counts of @b must come back to @base: the pin of a commit that read
 * the buffer in place is released by a worker shortly after the commit.
 */
static int settle_counts(const char *path, struct tbuf *b,
			     const struct gem_counts *base, const char *what)
{
	long deadline = disp_now_ms() + SETTLE_MS;
	struct gem_counts now;

	for (;;) {
		if (read_counts(path, b->dumb.handle, b->dumb.size, &now))
			return -1;
		if ((!now.vmap && !now.vmap_local && now.pages == base->pages) ||
		    disp_now_ms() >= deadline)
			break;
		usleep(10 * 1000);
	}
	return check_counts(what, &now, base);
}

#define NOPIN_UPDATES	3

static int scen_nopin(struct disp *d)
{
	struct gem_counts base, now;
	struct drm_mode_rect r;
	uint32_t *img = NULL;
	char path[160], what[32];
	unsigned int i;
	struct tbuf b;
	int vgem, ret;

	vgem = open_vgem_counted(path, sizeof(path));
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = KMS_EXIT_FAIL;
	tbuf_init(&b, TB_VGEM, d);
	if (tbuf_export_vgem(&b, d, vgem))
		goto out;
	/*
	 * The baseline: exported, not imported yet, with the mmaps open that
	 * are open between the updates below (none).
	 */
	if (read_counts(path, b.dumb.handle, b.dumb.size, &base))
		goto out;
	print_counts("before the import", &base);
	if (base.vmap || base.vmap_local) {
		printf("the vgem buffer is mapped before the import\n");
		goto out;
	}
	if (tbuf_import_vgem(&b, d) ||
	    read_counts(path, b.dumb.handle, b.dumb.size, &now) ||
	    check_counts("after import and ADDFB2", &now, &base))
		goto out;
	for (i = 0; i < NOPIN_UPDATES; i++) {
		free(img);
		img = disp_pattern(d, i);
		if (!img || tbuf_map_vgem(&b))
			goto out;
		disp_draw(d, b.map, b.pitch, img);
		tbuf_unmap_vgem(&b);	/* vgem's mmap holds pages itself */
		if (i == 0) {
			if (disp_modeset(d, b.fb))
				goto out;
			disp_expect_all(d, img);
		} else if (i == 1) {
			if (disp_dirty(d, b.fb, NULL, 0, true))
				goto out;
			disp_expect_all(d, img);
		} else {
			rect(&r, d->w / 5, d->h / 7, d->w / 5 + d->w / 3,
			     d->h / 7 + d->h / 4);
			if (disp_dirty(d, b.fb, &r, 1, true))
				goto out;
			disp_expect_rects(d, img, &r, 1);
		}
		snprintf(what, sizeof(what), "update%u", i);
		if (disp_wait(d, b.fb, what) ||
		    settle_counts(path, &b, &base, what))
			goto out;
	}
	printf("%d updates: no mapping and no page reference beyond the count before the import\n",
	       NOPIN_UPDATES);
	ret = 0;
out:
	free(img);
	tbuf_destroy(&b);
	close(vgem);
	return ret;
}

/* ---- fence_flip -------------------------------------------------------- */

#define FENCE_FLIP_MAX_MS	250	/* a flip that waits for the fence: 1500 */
#define FENCE_MODESET_MS	500	/* the modeset's fence is signalled then */

struct fence_signaller {
	int vgem;
	uint32_t fence;
	long at_ms;
	int err;
};

static void *fence_signal_later(void *arg)
{
	struct fence_signaller *fs = arg;
	struct vgem_fence_signal sig = { .fence = fs->fence };

	usleep(FENCE_MODESET_MS * 1000);
	fs->at_ms = disp_now_ms();
	fs->err = drmIoctl(fs->vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig) ? errno : 0;
	return NULL;
}

static int scen_fence_flip(struct disp *d)
{
	struct vgem_fence_attach attach = { .flags = VGEM_WRITE_FENCE };
	struct vgem_fence_attach first = { .flags = VGEM_WRITE_FENCE };
	struct vgem_fence_signal sig = { 0 };
	struct fence_signaller fs = { .vgem = -1 };
	unsigned long long held, last;
	pthread_t thread;
	struct gem_counts base[2], now;
	struct drm_mode_rect r[2];
	uint32_t *img[2] = { NULL, NULL };
	bool fenced = false;
	struct disp_plane ap;
	char path[160];
	struct tbuf b[2];
	long t0, ms;
	unsigned int k;
	int vgem, ret;

	vgem = open_vgem_counted(path, sizeof(path));
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = KMS_EXIT_FAIL;
	tbuf_init(&b[0], TB_VGEM, d);
	tbuf_init(&b[1], TB_VGEM, d);
	/* The baselines: exported, not imported, no mmap open. */
	for (k = 0; k < 2; k++) {
		if (tbuf_export_vgem(&b[k], d, vgem) ||
		    read_counts(path, b[k].dumb.handle, b[k].dumb.size,
				&base[k]))
			goto out;
		print_counts(k ? "B before the import" : "A before the import",
			     &base[k]);
		img[k] = disp_pattern(d, k + 1);
		if (!img[k] || tbuf_map_vgem(&b[k]))
			goto out;
		disp_draw(d, b[k].map, b[k].pitch, img[k]);
		tbuf_unmap_vgem(&b[k]);
		if (tbuf_import_vgem(&b[k], d))
			goto out;
	}
	/*
	 * The modeset too reads A in place, after its fence: gm12u320 reads
	 * the plane in its pipe enable, after the planes' update.
	 */
	first.handle = b[0].dumb.handle;
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &first)) {
		printf("VGEM_FENCE_ATTACH failed: %s\n", strerror(errno));
		goto out;
	}
	fs.vgem = vgem;
	fs.fence = first.out_fence;
	if (pthread_create(&thread, NULL, fence_signal_later, &fs)) {
		printf("pthread_create failed\n");
		sig.fence = first.out_fence;
		drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig);
		goto out;
	}
	ret = disp_find_plane(d, &ap);
	t0 = disp_now_ms();
	if (!ret)
		ret = disp_modeset(d, b[0].fb);
	ms = disp_now_ms() - t0;
	pthread_join(thread, NULL);
	if (ret || fs.err) {
		printf("modeset with a fenced buffer: %d, signal: %s\n", ret,
		       strerror(fs.err));
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	ret = KMS_EXIT_FAIL;
	printf("modeset on A with a write fence signalled after %d ms: returned after %ld ms\n",
	       FENCE_MODESET_MS, ms);
	disp_expect_all(d, img[0]);
	if (disp_wait(d, b[0].fb, "A") ||
	    settle_counts(path, &b[0], &base[0], "A after the fenced modeset"))
		goto out;

	attach.handle = b[1].dumb.handle;
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &attach)) {
		printf("VGEM_FENCE_ATTACH failed: %s\n", strerror(errno));
		goto out;
	}
	fenced = true;
	rect(&r[0], d->w / 5, d->h / 6, d->w / 5 + d->w / 3,
	     d->h / 6 + d->h / 4);
	t0 = disp_now_ms();
	if (atomic_damage_flags(d, &ap, b[1].fb, &r[0], 1,
				DRM_MODE_ATOMIC_NONBLOCK))
		goto out;
	ms = disp_now_ms() - t0;
	printf("nonblocking flip to B with an unsignalled write fence: the ioctl took %ld ms\n",
	       ms);
	if (ms > FENCE_FLIP_MAX_MS) {
		printf("the ioctl blocked for more than %d ms: it waited for the fence\n",
		       FENCE_FLIP_MAX_MS);
		goto out;
	}
	if (read_counts(path, b[1].dumb.handle, b[1].dumb.size, &now))
		goto out;
	print_counts("B while the commit waits for the fence", &now);
	/* The old picture stays while the fence says B is not ready. */
	if (disp_hold(d, FENCE_HOLD_MS, "fenced"))
		goto out;
	sig.fence = attach.out_fence;
	if (drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig)) {
		printf("VGEM_FENCE_SIGNAL failed: %s\n", strerror(errno));
		goto out;
	}
	fenced = false;
	disp_expect_rects(d, img[1], &r[0], 1);
	if (disp_wait(d, b[1].fb, "signalled") ||
	    settle_counts(path, &b[1], &base[1], "B after the fenced flip") ||
	    settle_counts(path, &b[0], &base[0], "A after the fenced flip"))
		goto out;

	/* The flip back reads A in place too. */
	rect(&r[1], d->w / 2, d->h / 2, d->w / 2 + 64, d->h / 2 + 64);
	if (atomic_damage_flags(d, &ap, b[0].fb, &r[1], 1,
				DRM_MODE_ATOMIC_NONBLOCK))
		goto out;
	disp_expect_rects(d, img[0], &r[1], 1);
	if (disp_wait(d, b[0].fb, "back") ||
	    disp_staging_counts(d, &held, &last))
		goto out;
	printf("flip back to A: copied %llu bytes, staging holds %llu bytes\n",
	       last, held);
	if (last || held) {
		printf("the flip back was staged, not read in place\n");
		goto out;
	}
	if (settle_counts(path, &b[0], &base[0], "A after the flip back") ||
	    settle_counts(path, &b[1], &base[1], "B after the flip back"))
		goto out;
	ret = 0;
out:
	if (fenced) {
		sig.fence = attach.out_fence;
		drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &sig);
	}
	free(img[1]);
	free(img[0]);
	tbuf_destroy(&b[1]);
	tbuf_destroy(&b[0]);
	close(vgem);
	return ret;
}

/* ---- faultinj ----------------------------------------------------------- */

/*
 * The steps of the PRIME path, in order. Each runs as one raw ioctl, with
 * nothing else between arming fail-nth and reading it back: a printf()
 * or a libdrm allocation would take the fault instead.
 */
enum fi_step {
	FI_IMPORT_A, FI_ADDFB_A, FI_MODESET, FI_DIRTYFB, FI_IMPORT_B,
	FI_ADDFB_B, FI_FLIP, FI_RMFB_A, FI_RMFB_B, FI_CLOSE_A, FI_CLOSE_B,
	FI_NSTEPS
};

static const char *const fi_names[FI_NSTEPS] = {
	"import A", "ADDFB2 A", "modeset A", "DIRTYFB A", "import B",
	"ADDFB2 B", "atomic flip to B with damage", "RMFB A",
	"RMFB B (displayed)", "GEM_CLOSE A", "GEM_CLOSE B",
};

struct fi {
	struct disp *d;
	struct disp_plane ap;
	struct tbuf b[2];	/* exported buffers; imports on d */
	uint32_t fb[2];
	uint32_t blob;		/* the flip's FB_DAMAGE_CLIPS */
	struct gem_counts base[2];	/* vgem's */
	struct bochs *bochs;	/* NULL: the buffers are vgem's */
	uint32_t bochs_fb[2];	/* bochs framebuffers of the BOs, unused */
	unsigned int objects, attachments;	/* dma-bufs before the walk */
	char dbg[160];		/* vgem's gem_objects */
	int nth;		/* /proc/thread-self/fail-nth */
};

static int fi_knobs(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_usercopy/verbose", "0" },
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "/sys/kernel/debug/%s",
			 knobs[i][0]);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, knobs[i][1], strlen(knobs[i][1])) < 0) {
			printf("cannot set %s (CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_USERCOPY?): %s\n",
			       path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

static void fi_arm(struct fi *f, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(f->nth, buf, len, 0) != len)
		abort();	/* the walk would mean nothing */
}

/*
 * Disarm; was the fault injected? The read and the write are fault points
 * themselves (user copies): a read that takes the fault fails and reads
 * no "0", and a write that takes it fails and is repeated.
 */
static bool fi_disarm(struct fi *f)
{
	char buf[16] = { 0 };
	ssize_t n = pread(f->nth, buf, sizeof(buf) - 1, 0);
	int i;

	for (i = 0; pwrite(f->nth, "0", 1, 0) != 1; i++)
		if (i == 3)
			abort();
	return n > 0 && buf[0] == '0';
}

/* One step as a raw ioctl; 0 or -errno. */
static int fi_do(struct fi *f, enum fi_step step)
{
	struct disp *d = f->d;
	int k = (step == FI_IMPORT_B || step == FI_ADDFB_B ||
		 step == FI_RMFB_B || step == FI_CLOSE_B);
	struct tbuf *t = &f->b[k];
	int ret;

	switch (step) {
	case FI_IMPORT_A:
	case FI_IMPORT_B: {
		struct drm_prime_handle p = { .fd = t->dmabuf };

		ret = ioctl(d->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
		if (!ret)
			t->handle = p.handle;
		break;
	}
	case FI_ADDFB_A:
	case FI_ADDFB_B: {
		struct drm_mode_fb_cmd2 c = {
			.width = d->w, .height = d->h,
			.pixel_format = DRM_FORMAT_XRGB8888,
			.handles = { t->handle }, .pitches = { t->pitch },
		};

		ret = ioctl(d->fd, DRM_IOCTL_MODE_ADDFB2, &c);
		if (!ret)
			f->fb[k] = c.fb_id;
		break;
	}
	case FI_MODESET: {
		struct drm_mode_crtc c = {
			.set_connectors_ptr = (uintptr_t)&d->conn_id,
			.count_connectors = 1, .crtc_id = d->crtc_id,
			.fb_id = f->fb[0], .mode_valid = 1,
		};

		memcpy(&c.mode, &d->mode, sizeof(c.mode));
		ret = ioctl(d->fd, DRM_IOCTL_MODE_SETCRTC, &c);
		break;
	}
	case FI_DIRTYFB: {
		struct drm_mode_fb_dirty_cmd c = { .fb_id = f->fb[0] };

		ret = ioctl(d->fd, DRM_IOCTL_MODE_DIRTYFB, &c);
		break;
	}
	case FI_FLIP: {
		uint32_t objs[1] = { f->ap.plane_id }, count[1] = { 2 };
		uint32_t props[2] = { f->ap.prop_fb, f->ap.prop_damage };
		uint64_t values[2] = { f->fb[1], f->blob };
		struct drm_mode_atomic a = {
			.count_objs = 1, .objs_ptr = (uintptr_t)objs,
			.count_props_ptr = (uintptr_t)count,
			.props_ptr = (uintptr_t)props,
			.prop_values_ptr = (uintptr_t)values,
		};

		ret = ioctl(d->fd, DRM_IOCTL_MODE_ATOMIC, &a);
		break;
	}
	case FI_RMFB_A:
	case FI_RMFB_B:
		ret = ioctl(d->fd, DRM_IOCTL_MODE_RMFB, &f->fb[k]);
		if (!ret)
			f->fb[k] = 0;
		break;
	case FI_CLOSE_A:
	case FI_CLOSE_B: {
		struct drm_gem_close c = { .handle = t->handle };

		ret = ioctl(d->fd, DRM_IOCTL_GEM_CLOSE, &c);
		if (!ret)
			t->handle = 0;
		break;
	}
	default:
		ret = -1;
		errno = EINVAL;
	}
	return ret ? -errno : 0;
}

/*
 * Undo whatever the path did, without injection. A step whose last user
 * copy failed (EFAULT) may have created a handle or framebuffer whose id
 * never reached us; the DRM file still owns it, so find them: this file's
 * framebuffers are in GETRESOURCES, and importing a dma-buf again returns
 * the handle this file has for it.
 */
static void fi_teardown(struct fi *f)
{
	int fd = f->d->fd, k, i;
	drmModeResPtr res;
	uint32_t handle;

	for (k = 0; k < 2; k++) {
		if (f->fb[k])
			drmModeRmFB(fd, f->fb[k]);
		f->fb[k] = 0;
	}
	res = drmModeGetResources(fd);
	for (i = 0; res && i < res->count_fbs; i++)
		drmModeRmFB(fd, res->fbs[i]);
	drmModeFreeResources(res);
	for (k = 0; k < 2; k++) {
		if (f->b[k].handle)
			kms_gem_close(fd, f->b[k].handle);
		f->b[k].handle = 0;
		if (!drmPrimeFDToHandle(fd, f->b[k].dmabuf, &handle))
			kms_gem_close(fd, handle);
	}
	if (f->blob)
		drmModeDestroyPropertyBlob(fd, f->blob);
	f->blob = 0;
}

/* Steps before @step, without injection. */
static int fi_prefix(struct fi *f, enum fi_step step)
{
	struct drm_mode_rect r;
	int i, ret;

	for (i = 0; i < (int)step; i++) {
		ret = fi_do(f, i);
		if (ret) {
			printf("%s failed without injection: %s\n",
			       fi_names[i], strerror(-ret));
			return -1;
		}
	}
	if (step == FI_FLIP) {
		rect(&r, 8, 8, 72, 72);
		if (drmModeCreatePropertyBlob(f->d->fd, &r, sizeof(r),
					      &f->blob)) {
			printf("CREATEPROPBLOB failed: %s\n", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Protocol errors the device recorded since the last call, which are then
 * forgotten: a fault that makes the driver drop a USB request it cannot
 * report (one sent in atomic_update) leaves the device out of step until
 * the next modeset. That is recorded, not failed; the frame after it must
 * still be exact, and protocol errors without a fault still fail the test.
 */
static unsigned long fi_proto_errors(struct fi *f, const char *what)
{
	struct vdisp *v = f->d->m->vdisp(f->d->emu);
	unsigned long n;

	pthread_mutex_lock(&v->lock);
	n = v->errors;
	if (n)
		printf("%s: the device saw %lu protocol error(s), the first: %s\n",
		       what, n, v->error);
	v->errors = 0;
	v->error[0] = 0;
	pthread_mutex_unlock(&v->lock);
	return n;
}

/*
 * dma-bufs and their attachments, from /sys/kernel/debug/dma_buf/bufinfo:
 * an error path that leaks an attachment (and with it a dma-buf
 * reference) shows here; kmemleak cannot see it, the dma-buf core's list
 * still holds the buffer.
 */
static int fi_bufinfo(unsigned int *objects, unsigned int *attachments)
{
	FILE *file = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[256];
	unsigned int n;

	*objects = *attachments = 0;
	if (!file) {
		printf("cannot read /sys/kernel/debug/dma_buf/bufinfo: %s\n",
		       strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), file)) {
		if (sscanf(line, "Total %u", &n) != 1)
			continue;
		if (strstr(line, "devices attached"))
			*attachments += n;
		else if (strstr(line, "objects"))
			*objects = n;
	}
	fclose(file);
	return 0;
}

/* Nothing pinned or mapped: the counts of before the import. */
static int fi_counts(struct fi *f, const char *what)
{
	unsigned int objects, attachments;
	struct gem_counts now;
	int k;

	if (fi_bufinfo(&objects, &attachments))
		return -1;
	if (objects != f->objects || attachments != f->attachments) {
		printf("%s: %u dma-bufs with %u attachments, %u with %u before\n",
		       what, objects, attachments, f->objects,
		       f->attachments);
		return -1;
	}

	for (k = 0; k < 2; k++) {
		/* bochs: only the pin shows; TTM keeps no mapping count */
		if (f->bochs) {
			char mem[32];
			long pin;

			if (bochs_bo_state(f->bochs, f->bochs_fb[k], mem,
					   sizeof(mem), &pin))
				return -1;
			if (pin) {
				printf("%s: bochs BO %c has TTM pin count %ld, 0 before the import\n",
				       what, 'A' + k, pin);
				return -1;
			}
			continue;
		}
		if (read_counts(f->dbg, f->b[k].dumb.handle, f->b[k].dumb.size,
				&now) ||
		    check_counts(what, &now, &f->base[k]))
			return -1;
	}
	return 0;
}

/*
 * A's content changes (@img), then a fresh import of A and a modeset must
 * show it exactly.
 */
static int fi_recover(struct fi *f, const uint32_t *img, const char *what)
{
	struct disp *d = f->d;

	if (tbuf_map_vgem(&f->b[0]))
		return -1;
	disp_draw(d, f->b[0].map, f->b[0].pitch, img);
	tbuf_unmap_vgem(&f->b[0]);
	if (fi_prefix(f, FI_DIRTYFB))
		return -1;
	disp_expect_all(d, img);
	if (disp_wait(d, f->fb[0], what))
		return -1;
	fi_teardown(f);
	return fi_counts(f, what);
}

/*
 * The exported buffers A and B, drawn with @img and unmapped: vgem's
 * (their counts kept as the baseline), or bochs's BOs, each with a bochs
 * framebuffer that only names it in bochs's debugfs.
 */
static int fi_exports(struct fi *f, int vgem, uint32_t *const img[2])
{
	struct disp *d = f->d;
	int k, exporter = f->bochs ? f->bochs->fd : vgem;

	for (k = 0; k < 2; k++) {
		struct tbuf *t = &f->b[k];

		if (kms_dumb_create(exporter, d->w, d->h, 32, &t->dumb))
			return -1;
		t->pitch = t->dumb.pitch;
		t->dmabuf = kms_prime_export(exporter, t->dumb.handle);
		if (t->dmabuf < 0 || tbuf_map_vgem(t))
			return -1;
		disp_draw(d, t->map, t->pitch, img[k]);
		tbuf_unmap_vgem(t);
		if (f->bochs) {
			if (kms_add_fb_xrgb(exporter, d->w, d->h,
					    t->dumb.handle, t->pitch,
					    &f->bochs_fb[k]))
				return -1;
			continue;
		}
		/* the baseline: exported, drawn, not imported, no mmap */
		if (read_counts(f->dbg, t->dumb.handle, t->dumb.size,
				&f->base[k]))
			return -1;
	}
	return 0;
}

static int faultinj(struct disp *d, bool bochs)
{
	unsigned int points[FI_NSTEPS] = { 0 }, failed[FI_NSTEPS] = { 0 };
	unsigned int survived[FI_NSTEPS] = { 0 }, total = 0, n;
	unsigned long desync[FI_NSTEPS] = { 0 };
	uint32_t *img[2] = { NULL, NULL }, *alt[2] = { NULL, NULL };
	struct fi f = { .d = d, .nth = -1 };
	const char *from = bochs ? "bochs" : "vgem";
	struct bochs bo = { .fd = -1 };
	char what[64];
	int vgem = -1, k, i, ret = KMS_EXIT_FAIL;

	for (k = 0; k < 2; k++)
		tbuf_init(&f.b[k], TB_VGEM, d);
	if (bochs) {
		if (bochs_open(&bo)) {
			if (bo.fd >= 0)
				close(bo.fd);
			return KMS_EXIT_SKIP;
		}
		f.bochs = &bo;
		/* the console goes: nothing of bochs pins anything of ours */
		if (bochs_show(&bo, 0)) {
			close(bo.fd);
			return KMS_EXIT_FAIL;
		}
	} else {
		vgem = open_vgem();
		if (vgem < 0)
			return KMS_EXIT_SKIP;
		if (vgem_debugfs(f.dbg, sizeof(f.dbg))) {
			close(vgem);
			return KMS_EXIT_SKIP;
		}
	}
	if (fi_knobs()) {
		ret = KMS_EXIT_SKIP;
		goto out;
	}
	f.nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (f.nth < 0) {
		printf("cannot open /proc/thread-self/fail-nth: %s\n",
		       strerror(errno));
		ret = KMS_EXIT_SKIP;
		goto out;
	}
	if (disp_find_plane(d, &f.ap))
		goto out;
	if (!strcmp(d->m->driver, "gud"))
		((struct gud_emu *)d->emu)->resync = true;
	for (k = 0; k < 2; k++) {
		img[k] = disp_pattern(d, k);
		alt[k] = disp_pattern(d, 2 + k);
		if (!img[k] || !alt[k])
			goto out;
	}
	if (fi_exports(&f, vgem, img))
		goto out;

	if (fi_bufinfo(&f.objects, &f.attachments))
		goto out;
	printf("before the walk: %u dma-bufs, %u attachments\n", f.objects,
	       f.attachments);
	for (i = 0; i < FI_NSTEPS; i++) {
		for (n = 1;; n++) {
			bool injected;
			int rc;

			if (fi_prefix(&f, i))
				goto out;
			fi_arm(&f, n);
			rc = fi_do(&f, i);
			injected = fi_disarm(&f);
			if (!injected) {
				if (rc) {
					printf("%s failed without injection: %s\n",
					       fi_names[i], strerror(-rc));
					goto out;
				}
				points[i] = n - 1;
				fi_teardown(&f);
				break;
			}
			total++;
			if (rc)
				failed[i]++;
			else
				survived[i]++;
			fi_teardown(&f);
			snprintf(what, sizeof(what), "%s, fault %u", fi_names[i],
				 n);
			desync[i] += fi_proto_errors(&f, what) ? 1 : 0;
			if (fi_counts(&f, what) ||
			    fi_recover(&f, alt[total & 1], what)) {
				printf("%s: returned %s\n", what,
				       rc ? strerror(-rc) : "success");
				goto out;
			}
			if (fi_proto_errors(&f, "after the recovery")) {
				printf("%s: the modeset after it did not bring the device back in step\n",
				       what);
				goto out;
			}
		}
		printf("faultinj %s (%s): %s: %u fault points, %u failed cleanly, %u survived (%lu left the device out of step until the next modeset)\n",
		       d->m->name, from, fi_names[i], points[i], failed[i],
		       survived[i], desync[i]);
	}
	printf("faultinj %s (%s): %u faults injected over the PRIME path, each failed cleanly or survived, then an exact frame\n",
	       d->m->name, from, total);
	if (!strcmp(d->m->driver, "gud"))
		printf("faultinj %s: the device dropped %lu buffers whose bulk data stopped half way\n",
		       d->m->name, ((struct gud_emu *)d->emu)->resyncs);
	ret = 0;
out:
	fi_teardown(&f);
	for (k = 0; k < 2; k++) {
		free(img[k]);
		free(alt[k]);
		if (f.bochs_fb[k])
			drmModeRmFB(bo.fd, f.bochs_fb[k]);
		tbuf_destroy(&f.b[k]);
	}
	if (f.nth >= 0)
		close(f.nth);
	if (vgem >= 0)
		close(vgem);
	if (bo.fd >= 0)
		close(bo.fd);
	return ret;
}

static int scen_faultinj(struct disp *d)
{
	return faultinj(d, false);
}

static int scen_faultinj_bochs(struct disp *d)
{
	return faultinj(d, true);
}

/* ---- nodma -------------------------------------------------------------- */

#define SWIOTLB_DEBUGFS		"/sys/kernel/debug/swiotlb"
#define SWIOTLB_SLOT		2048	/* IO_TLB_SIZE */

struct swiotlb_counts {
	long nslabs, used, hiwater;	/* in slots */
};

static long swiotlb_read(const char *name)
{
	char path[96];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), SWIOTLB_DEBUGFS "/%s", name);
	f = fopen(path, "r");
	if (!f) {
		printf("cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fscanf(f, "%ld", &v) != 1)
		printf("%s: no number\n", path);
	fclose(f);
	return v;
}

static int swiotlb_counts(const char *when, struct swiotlb_counts *c)
{
	c->nslabs = swiotlb_read("io_tlb_nslabs");
	c->used = swiotlb_read("io_tlb_used");
	c->hiwater = swiotlb_read("io_tlb_used_hiwater");
	printf("swiotlb %s: io_tlb_nslabs=%ld io_tlb_used=%ld io_tlb_used_hiwater=%ld\n",
	       when, c->nslabs, c->used, c->hiwater);
	return c->nslabs < 0 || c->used < 0 || c->hiwater < 0 ? -1 : 0;
}

/* Is there a swiotlb=...,force on the kernel command line? */
static bool swiotlb_forced(void)
{
	char line[4096], *w, *save, *c;
	bool forced = false;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		printf("cannot read /proc/cmdline\n");
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	for (w = strtok_r(line, "\n ", &save); w;
	     w = strtok_r(NULL, "\n ", &save)) {
		if (strncmp(w, "swiotlb=", 8))
			continue;
		c = strrchr(w, ',');
		forced |= !strcmp(c ? c + 1 : w + 8, "force");
	}
	return forced;
}

/*
 * The guest runs this test with swiotlb=N,force (tests/guest/tests): every
 * streaming DMA mapping bounces through the swiotlb, which holds fewer
 * bytes than the framebuffer.  An import that maps the buffer for a DMA
 * device (6.12: drm_gem_prime_import_dev() with the USB host controller)
 * cannot succeed; a CPU-only import shows the frames exactly and leaves
 * the swiotlb as it was: no slot taken at any time (high-water mark).
 */
static int scen_nodma(struct disp *d)
{
	size_t size = (size_t)d->w * d->h * 4;
	struct swiotlb_counts before, after;
	FILE *f;
	int ret;

	if (!swiotlb_forced()) {
		printf("the kernel was booted without swiotlb=N,force\n");
		return KMS_EXIT_SKIP;
	}
	if (swiotlb_counts("before the import", &before))
		return KMS_EXIT_SKIP;
	if ((size_t)before.nslabs * SWIOTLB_SLOT >= size) {
		printf("the swiotlb (%ld slots of %d bytes) could bounce the %zu-byte buffer\n",
		       before.nslabs, SWIOTLB_SLOT, size);
		return KMS_EXIT_SKIP;
	}
	printf("the %ux%u XRGB8888 buffer needs %zu slots to bounce, the swiotlb has %ld\n",
	       d->w, d->h, (size + SWIOTLB_SLOT - 1) / SWIOTLB_SLOT,
	       before.nslabs);
	/* From here on, the high-water mark shows any slot taken. */
	f = fopen(SWIOTLB_DEBUGFS "/io_tlb_used_hiwater", "w");
	ret = f && fputs("0\n", f) >= 0 ? 0 : -1;
	if ((f && fclose(f)) || ret) {
		printf("cannot reset io_tlb_used_hiwater: %s\n",
		       strerror(errno));
		return KMS_EXIT_SKIP;
	}
	ret = scen_frames(d, TB_VGEM);
	if (swiotlb_counts("after the import and two frames", &after))
		return KMS_EXIT_FAIL;
	if (after.used != before.used || after.hiwater > before.used) {
		printf("swiotlb used: %ld slots now, at most %ld since the import, %ld before\n",
		       after.used, after.hiwater, before.used);
		ret = KMS_EXIT_FAIL;
	} else if (!ret) {
		printf("imported, shown and checked without a swiotlb slot\n");
	}
	return ret;
}

/* ---- unplug ------------------------------------------------------------- */

struct streamer {
	struct disp *d;
	struct tbuf *b;
	volatile bool stop, done;
	unsigned long ok;
	int err;		/* first error, -errno */
	long err_ms;
};

static void *stream(void *arg)
{
	struct streamer *s = arg;
	unsigned int frame = 1;

	while (!s->stop) {
		pattern_fill(s->b->map, s->d->w, s->d->h, s->b->pitch,
			     frame++);
		s->err = disp_dirty(s->d, s->b->fb, NULL, 0, false);
		if (s->err) {
			s->err_ms = disp_now_ms();
			break;
		}
		s->ok++;
	}
	__sync_synchronize();
	s->done = true;
	return NULL;
}

static int scen_unplug(struct disp *d)
{
	struct streamer s = { .d = d };
	drmModeResPtr res;
	pthread_t thread;
	struct tbuf b;
	long t_pull;
	int ret;

	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	if (ret) {
		tbuf_destroy(&b);
		return ret;
	}
	s.b = &b;
	if (pthread_create(&thread, NULL, stream, &s)) {
		printf("pthread_create failed\n");
		tbuf_destroy(&b);
		return KMS_EXIT_FAIL;
	}
	usleep(1000 * 1000);
	printf("%lu updates before the unplug\n", s.ok);
	if (s.done || !s.ok) {
		printf("the update stream %s before the unplug (error %s)\n",
		       s.done ? "stopped" : "made no progress",
		       strerror(-s.err));
		s.stop = true;
		if (wait_done(&s.done, ERROR_WAIT_MS))
			pthread_join(thread, NULL);
		tbuf_destroy(&b);
		return KMS_EXIT_FAIL;
	}
	t_pull = disp_now_ms();
	ret = disp_pull(d);
	if (!wait_done(&s.done, ERROR_WAIT_MS)) {
		printf("updates still run or hang %d ms after the unplug (%lu succeeded)\n",
		       ERROR_WAIT_MS, s.ok);
		s.stop = true;
		/* a hung thread cannot be joined: fail now */
		return KMS_EXIT_FAIL;
	}
	pthread_join(thread, NULL);
	printf("the update stream failed %ld ms after the unplug: %s (%lu updates succeeded)\n",
	       s.err_ms - t_pull, strerror(-s.err), s.ok);

	res = drmModeGetResources(d->fd);
	if (res) {
		printf("the card still answers GETRESOURCES after the unplug\n");
		drmModeFreeResources(res);
		ret = KMS_EXIT_FAIL;
	} else if (access(d->card, F_OK)) {
		printf("%s is gone\n", d->card);
	} else {
		printf("%s answers %s\n", d->card, strerror(errno));
	}
	tbuf_destroy(&b);	/* on a dead card: errors are expected */
	close(d->fd);
	d->fd = -1;
	if (disp_wait_unbound(d))
		return KMS_EXIT_FAIL;
	if (ret)
		return ret;

	printf("plugging in a new device\n");
	ret = disp_plug(d, d->m, d->test);
	if (!ret)
		ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 2, true);
	tbuf_destroy(&b);
	return ret;
}

/* ---- stream ------------------------------------------------------------ */

#define STREAM_UPDATES		200	/* half DIRTYFB, half page flips */
#define STREAM_MIN_FRAMES	10	/* received during the stream */
#define STREAM_STAMP		8	/* pixels a line carrying the image no. */
#define STREAM_MAX_RUNS		24	/* lines runs printed of a torn frame */

/*
 * Image @i of the stream: pattern frame @i with the first pixels of every
 * line stamped with @i (in the high bits of each channel, which RGB565
 * keeps), so that each line of it differs from the same line of every
 * other image, also in the device's depth, and a torn frame tells where
 * each line came from.  @dev gets it in the device's depth.
 */
static void stream_image(struct disp *d, uint32_t *img, uint32_t *dev,
			 unsigned int i)
{
	uint32_t stamp = 0xff000000 | (i & 0x1f) << 19 |
			 ((i >> 5) & 0x3f) << 10 | ((i >> 11) & 0x1f) << 3;
	unsigned int x, y;

	pattern_fill(img, d->w, d->h, d->w * 4, i);
	for (y = 0; y < d->h; y++)
		for (x = 0; x < STREAM_STAMP; x++)
			img[(size_t)y * d->w + x] = stamp;
	memcpy(dev, img, (size_t)d->w * d->h * 4);
	if (d->m->depth == DISP_DEPTH_RGB565)
		image_reduce_565(dev, d->w, d->h, d->w * 4);
}

/* The hash of each line of @img into @rows (d->h of them). */
static void stream_rows(struct disp *d, const uint32_t *img, uint64_t *rows)
{
	unsigned int y;

	for (y = 0; y < d->h; y++)
		rows[y] = vdisp_hash(img + (size_t)y * d->w, d->w, 1, d->w * 4);
}

/* Which image line @y of @px is, or -1: a line of no committed image. */
static long stream_line(struct disp *d, const uint32_t *px, unsigned int y,
			const uint64_t *rows, unsigned int n)
{
	uint64_t hash = vdisp_hash(px + (size_t)y * d->w, d->w, 1, d->w * 4);
	unsigned int i;

	for (i = 0; i < n; i++)
		if (rows[(size_t)i * d->h + y] == hash)
			return i;
	return -1;
}

/* Print where the lines of the torn frame @c->torn_px come from. */
static void stream_explain(struct disp *d, const struct vdisp_check *c,
			   const uint64_t *rows, unsigned int n)
{
	unsigned int y, y0 = 0, runs = 0;
	long cur = -2, k;
	char path[160];
	struct stat st;

	if (!c->torn_px)
		return;
	if (c->torn_w != d->w || c->torn_h != d->h) {
		printf("  the first torn frame is %ux%u\n", c->torn_w,
		       c->torn_h);
		return;
	}
	printf("  the first torn frame (picture %lu), line by line:\n",
	       c->first_torn);
	for (y = 0; y <= d->h; y++) {
		k = y < d->h ? stream_line(d, c->torn_px, y, rows, n) : -3;
		if (k == cur)
			continue;
		if (y && runs++ < STREAM_MAX_RUNS) {
			if (cur >= 0)
				printf("    lines %3u-%3u: image %ld\n", y0,
				       y - 1, cur);
			else
				printf("    lines %3u-%3u: no committed image\n",
				       y0, y - 1);
		}
		cur = k;
		y0 = y;
	}
	if (runs > STREAM_MAX_RUNS)
		printf("    (%u more runs)\n", runs - STREAM_MAX_RUNS);
	if (stat("/out", &st) || !S_ISDIR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/out/%s-torn.png", d->test);
	if (!png_write(path, c->torn_px, d->w, d->h, d->w * 4))
		printf("  wrote %s\n", path);
}

/* An atomic commit of @fb on the plane alone (damage: all of it). */
static int atomic_flip(struct disp *d, struct disp_plane *ap, uint32_t fb)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	int ret = 0;

	if (!req ||
	    drmModeAtomicAddProperty(req, ap->plane_id, ap->prop_fb, fb) < 0) {
		printf("building the atomic request failed\n");
		ret = -ENOMEM;
	} else if (drmModeAtomicCommit(d->fd, req, 0, NULL)) {
		ret = -errno;
		printf("atomic commit of fb %u failed: %s\n", fb,
		       strerror(-ret));
	}
	drmModeAtomicFree(req);
	return ret;
}

/*
 * A stream of full-frame updates, each a new image, back to back while the
 * device keeps receiving frames: first through DIRTYFB on one buffer,
 * then as atomic flips between two.  Every frame the device received must
 * be one of the committed images (none torn), and the last one the last
 * image.
 */
static int scen_stream(struct disp *d)
{
	const unsigned int n = STREAM_UPDATES + 1;
	struct vdisp *v = d->m->vdisp(d->emu);
	struct vdisp_check *c = NULL, mid;
	unsigned int i, cur = 0, flips = 0;
	uint64_t *rows = NULL;
	struct disp_plane ap;
	uint32_t *img = NULL, *dev = NULL;
	long t0, t1, idx;
	struct tbuf b[2];
	int ret;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 2; i++)
		b[i].dmabuf = b[i].memfd = -1;	/* for tbuf_destroy() */
	ret = tbuf_create(&b[0], TB_DUMB, d, -1);
	if (!ret)
		ret = tbuf_create(&b[1], TB_DUMB, d, -1);
	if (!ret)
		ret = disp_find_plane(d, &ap);
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	img = malloc((size_t)d->w * d->h * 4);
	dev = malloc((size_t)d->w * d->h * 4);
	rows = malloc((size_t)n * d->h * sizeof(*rows));
	if (!img || !dev || !rows) {
		printf("out of memory\n");
		goto out;
	}

	/* image 0 through a modeset, shown before the check starts */
	stream_image(d, img, dev, 0);
	stream_rows(d, dev, rows);
	disp_draw(d, b[0].map, b[0].pitch, img);
	if (disp_modeset(d, b[0].fb))
		goto out;
	disp_expect_all(d, img);
	if (disp_wait(d, b[0].fb, "image0"))
		goto out;
	if (vdisp_check_start(v) ||
	    vdisp_check_expect(v, dev, d->w, d->h, d->w * 4) != 0) {
		printf("cannot start the frame check\n");
		goto out;
	}

	t0 = disp_now_ms();
	for (i = 1; i < n; i++) {
		bool flip = i > STREAM_UPDATES / 2;

		if (flip)
			cur ^= 1;
		stream_image(d, img, dev, i);
		stream_rows(d, dev, rows + (size_t)i * d->h);
		disp_draw(d, b[cur].map, b[cur].pitch, img);
		/* declared before it is committed: the driver may send it */
		idx = vdisp_check_expect(v, dev, d->w, d->h, d->w * 4);
		if (idx != (long)i) {
			printf("declaring image %u failed: %ld\n", i, idx);
			goto out;
		}
		if (flip ? atomic_flip(d, &ap, b[cur].fb) :
			   disp_dirty(d, b[cur].fb, NULL, 0, true))
			goto out;
		flips += flip;
	}
	t1 = disp_now_ms();
	if (!vdisp_check_peek(v, &mid))
		goto out;
	printf("stream: %u updates (%u DIRTYFB, %u atomic flips) in %ld ms, %lu frames received meanwhile\n",
	       STREAM_UPDATES, STREAM_UPDATES - flips, flips, t1 - t0,
	       mid.frames);

	disp_expect_all(d, img);
	if (disp_wait(d, b[cur].fb, "last"))
		goto out;
	c = vdisp_check_stop(v);
	printf("stream: %lu frames received, %lu of them committed images, %lu torn; %u images committed\n",
	       c->frames, c->matched, c->torn, n);
	if (c->torn) {
		printf("%lu of %lu frames the device received are not a committed image\n",
		       c->torn, c->frames);
		stream_explain(d, c, rows, n);
		goto out;
	}
	if (c->last != (long)n - 1) {
		printf("the last frame received is image %ld, not the last committed, %u\n",
		       c->last, n - 1);
		goto out;
	}
	if (mid.frames < STREAM_MIN_FRAMES) {
		printf("only %lu frames arrived during the stream, %d needed to check anything\n",
		       mid.frames, STREAM_MIN_FRAMES);
		goto out;
	}
	printf("every frame was one committed image, the last one the last image\n");
	ret = 0;
out:
	vdisp_check_free(c ? c : vdisp_check_stop(v));
	free(rows);
	free(dev);
	free(img);
	tbuf_destroy(&b[1]);
	tbuf_destroy(&b[0]);
	return ret;
}

/* ---- bad input ---------------------------------------------------------- */

/*
 * DIRTYFB with clips that the atomic core must refuse (empty, or not
 * inside the framebuffer): EINVAL, and nothing changes.  Should a kernel
 * accept such clips instead, the update must show exactly the clipped
 * clips.
 */
static int bad_dirty(struct disp *d, struct tbuf *b, const uint32_t *img,
		     const char *tag, const char *what,
		     const struct drm_mode_rect *r, unsigned int n)
{
	int ret = disp_dirty(d, b->fb, r, n, false);

	if (ret == -EINVAL) {
		printf("%s: DIRTYFB refused with EINVAL\n", what);
		return 0;
	}
	if (ret) {
		printf("%s: DIRTYFB failed with %s, not EINVAL\n", what,
		       strerror(-ret));
		return KMS_EXIT_FAIL;
	}
	printf("%s: DIRTYFB accepted: the clipped clips must show\n", what);
	disp_expect_rects(d, img, r, n);
	/*
	 * Wait for it before the next step: a driver may coalesce the
	 * damage of updates it has not sent yet (gm12u320 does).
	 */
	return disp_wait(d, b->fb, tag);
}

/* A small valid update at @x,@y proves nothing else was sent before. */
static int marker(struct disp *d, struct tbuf *b, const uint32_t *img,
		  int x, int y, const char *what)
{
	struct drm_mode_rect r;

	rect(&r, x, y, x + 16, y + 12);
	if (disp_dirty(d, b->fb, &r, 1, true))
		return KMS_EXIT_FAIL;
	disp_expect_rects(d, img, &r, 1);
	return disp_wait(d, b->fb, what);
}

static int undersized_import(struct disp *d)
{
	struct kms_dumb small;
	uint32_t handle = 0, fb = 0;
	int vgem, dmabuf = -1, ret = KMS_EXIT_FAIL, err;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	if (kms_dumb_create(vgem, d->w, d->h / 2, 32, &small))
		goto out;
	dmabuf = kms_prime_export(vgem, small.handle);
	if (dmabuf < 0 || kms_prime_import(d->fd, dmabuf, &handle))
		goto out;
	{
		uint32_t handles[4] = { handle }, pitches[4] = { small.pitch };
		uint32_t offsets[4] = { 0 };

		if (!drmModeAddFB2(d->fd, d->w, d->h, DRM_FORMAT_XRGB8888,
				   handles, pitches, offsets, &fb, 0)) {
			printf("ADDFB2 %ux%u accepted a %llu-byte import\n",
			       d->w, d->h, (unsigned long long)small.size);
			drmModeRmFB(d->fd, fb);
			goto out;
		}
		err = errno;
	}
	if (err != EINVAL) {
		printf("ADDFB2 on an undersized import failed with %s, not EINVAL\n",
		       strerror(err));
		goto out;
	}
	printf("ADDFB2 %ux%u on a %llu-byte import: EINVAL\n", d->w, d->h,
	       (unsigned long long)small.size);
	ret = 0;
out:
	kms_gem_close(d->fd, handle);
	if (dmabuf >= 0)
		close(dmabuf);
	kms_dumb_destroy(&small);
	close(vgem);
	return ret;
}

/* A framebuffer of a format the plane lacks must not reach the screen. */
static int bad_format(struct disp *d, struct tbuf *b, uint32_t format,
		      const char *name)
{
	uint32_t handles[4] = { b->dumb.handle, b->dumb.handle };
	uint32_t pitches[4] = { b->pitch, b->pitch };
	uint32_t offsets[4] = { 0, 0 };
	drmModePlaneResPtr pres;
	drmModePlanePtr plane = NULL;
	uint32_t fb = 0, i;
	int ret = KMS_EXIT_FAIL;

	if (drmSetClientCap(d->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1)) {
		printf("DRM_CLIENT_CAP_UNIVERSAL_PLANES refused: %s\n",
		       strerror(errno));
		return KMS_EXIT_FAIL;
	}
	pres = drmModeGetPlaneResources(d->fd);
	if (pres && pres->count_planes == 1)
		plane = drmModeGetPlane(d->fd, pres->planes[0]);
	drmModeFreePlaneResources(pres);
	if (!plane) {
		printf("cannot read the only plane\n");
		return KMS_EXIT_FAIL;
	}
	for (i = 0; i < plane->count_formats; i++)
		if (plane->formats[i] == format) {
			printf("%s: the plane lists it; the test needs a format it lacks\n",
			       name);
			goto out;
		}
	if (format == DRM_FORMAT_NV12) {
		pitches[0] = pitches[1] = d->w;
		offsets[1] = d->w * d->h;
	}
	if (drmModeAddFB2(d->fd, d->w, d->h, format, handles, pitches, offsets,
			  &fb, 0)) {
		if (errno != EINVAL) {
			printf("%s: ADDFB2 failed with %s, not EINVAL\n", name,
			       strerror(errno));
			goto out;
		}
		printf("%s: ADDFB2 refused with EINVAL\n", name);
		ret = 0;
		goto out;
	}
	if (!drmModeSetCrtc(d->fd, d->crtc_id, fb, 0, 0, &d->conn_id, 1,
			    &d->mode)) {
		printf("%s: SETCRTC accepted a format the plane lacks\n", name);
		goto out;
	}
	if (errno != EINVAL) {
		printf("%s: SETCRTC failed with %s, not EINVAL\n", name,
		       strerror(errno));
		goto out;
	}
	printf("%s: ADDFB2 accepted, SETCRTC refused with EINVAL\n", name);
	ret = 0;
out:
	if (fb)
		drmModeRmFB(d->fd, fb);
	drmModeFreePlane(plane);
	return ret;
}

#define HUGE_CLIPS	100000

static int scen_badinput(struct disp *d)
{
	int w = d->w, h = d->h, ret;
	struct drm_mode_rect r[2], *many = NULL;
	uint32_t *img = NULL, *last = NULL;
	unsigned int i;
	struct tbuf b;

	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	img = disp_pattern(d, 1);
	many = calloc(HUGE_CLIPS, sizeof(*many));
	if (!img || !many)
		goto out;
	disp_draw(d, b.map, b.pitch, img);	/* new content, not damaged */

	rect(&r[0], w - 40, h - 30, w + 100, h + 100);
	if (bad_dirty(d, &b, img, "partly-outside",
		      "clip partly outside", r, 1))
		goto out;
	rect(&r[0], w + 10, 10, w + 60, 40);
	if (bad_dirty(d, &b, img, "wholly-outside",
		      "clip wholly outside", r, 1))
		goto out;
	rect(&r[0], 100, 100, 140, 130);
	rect(&r[1], 10, h - 5, 50, h + 20);
	if (bad_dirty(d, &b, img, "mixed",
		      "valid clip + clip partly outside", r, 2))
		goto out;
	rect(&r[0], 50, 50, 50, 80);
	rect(&r[1], 60, 90, 120, 90);
	if (bad_dirty(d, &b, img, "zero-size",
		      "zero-size clips", r, 2))
		goto out;
	for (i = 0; i < HUGE_CLIPS; i++)
		rect(&many[i], i % w, (i / w) % h, i % w + 1, (i / w) % h + 1);
	ret = disp_dirty(d, b.fb, many, HUGE_CLIPS, false);
	if (ret != -EINVAL) {
		printf("DIRTYFB with %d clips: %s, not EINVAL\n", HUGE_CLIPS,
		       ret ? strerror(-ret) : "accepted");
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	printf("DIRTYFB with %d clips refused with EINVAL\n", HUGE_CLIPS);
	ret = marker(d, &b, img, 8, 8, "after-bad-clips");
	if (ret)
		goto out;

	ret = undersized_import(d);
	if (!ret)
		ret = bad_format(d, &b, DRM_FORMAT_XBGR2101010, "XBGR2101010");
	if (!ret)
		ret = bad_format(d, &b, DRM_FORMAT_NV12, "NV12");
	if (!ret)
		ret = marker(d, &b, img, w / 2, h / 2, "after-bad-fbs");
	if (ret)
		goto out;

	/* the display still works */
	last = disp_pattern(d, 2);
	if (!last) {
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	disp_draw(d, b.map, b.pitch, last);
	ret = KMS_EXIT_FAIL;
	if (disp_dirty(d, b.fb, NULL, 0, true))
		goto out;
	disp_expect_all(d, last);
	ret = disp_wait(d, b.fb, "final");
out:
	free(many);
	free(img);
	free(last);
	tbuf_destroy(&b);
	return ret;
}

/* ---- hostile devices (udl) --------------------------------------------- */

/*
 * A misbehaving udl device is plugged in through a copy of the udl model
 * whose start function asks the emulator for the misbehaviour; the
 * driver must probe it in bounded time, without a splat, and drive the
 * display.
 */
#define HOSTILE_EDID_DELAY_US	500	/* per EDID byte: a slow adapter */
#define HOSTILE_PROBE_MS	20000	/* for plugging in, and a probe */

static struct disp_model hostile_model;

static int udl_start_vendor_overrun(void *e, const char *udc)
{
	const struct udl_emu_opts o = { .vendor_overrun = true };

	return udl_emu_start_opts(e, udc, &o);
}

static int udl_start_edid_huge(void *e, const char *udc)
{
	const struct udl_emu_opts o = {
		.edid_huge = true,
		.edid_delay_us = HOSTILE_EDID_DELAY_US,
	};

	return udl_emu_start_opts(e, udc, &o);
}

static int udl_start_edid_short(void *e, const char *udc)
{
	const struct udl_emu_opts o = { .edid_short = true };

	return udl_emu_start_opts(e, udc, &o);
}

static unsigned long edid_reads(struct disp *d)
{
	struct udl_emu *u = d->emu;
	unsigned long n;

	pthread_mutex_lock(&u->disp.lock);
	n = u->edid_reads;
	pthread_mutex_unlock(&u->disp.lock);
	return n;
}

struct bounded {
	struct disp *d;
	int (*fn)(struct disp *d);
	int ret;
	volatile bool done;
};

static void *bounded_run(void *arg)
{
	struct bounded *c = arg;

	c->ret = c->fn(c->d);
	c->done = true;
	return NULL;
}

/*
 * Run @fn in a thread of its own for at most HOSTILE_PROBE_MS; prints how
 * long it took and how many EDID bytes the device sent meanwhile.  If it
 * takes longer, the device is pulled out (the driver's USB requests then
 * fail and the call returns) and the test fails.
 */
static int hostile_call(struct disp *d, int (*fn)(struct disp *d),
			const char *what)
{
	struct bounded c = { .d = d, .fn = fn };
	unsigned long reads = d->emu ? edid_reads(d) : 0;
	long t0 = disp_now_ms();
	pthread_t thread;

	if (pthread_create(&thread, NULL, bounded_run, &c)) {
		printf("pthread_create failed\n");
		return KMS_EXIT_FAIL;
	}
	if (!wait_done(&c.done, HOSTILE_PROBE_MS)) {
		printf("%s: still blocked after %d ms (%lu EDID byte reads): pulling the device out\n",
		       what, HOSTILE_PROBE_MS,
		       d->emu ? edid_reads(d) - reads : 0);
		if (d->emu)
			vusb_stop(d->m->usb(d->emu));
		if (!wait_done(&c.done, ERROR_WAIT_MS)) {
			printf("%s: still blocked %d ms after the unplug\n",
			       what, ERROR_WAIT_MS);
			/* a hung thread cannot be joined: fail now */
			return KMS_EXIT_FAIL;
		}
		pthread_join(thread, NULL);
		printf("%s: returned %ld ms after it started\n", what,
		       disp_now_ms() - t0);
		return KMS_EXIT_FAIL;
	}
	pthread_join(thread, NULL);
	printf("%s: took %ld ms (%lu EDID byte reads)\n", what,
	       disp_now_ms() - t0, d->emu ? edid_reads(d) - reads : 0);
	return c.ret;
}

static int hostile_plug_in(struct disp *d)
{
	return disp_plug(d, &hostile_model, d->test);
}

/* Plug in through hostile_model with @start, within HOSTILE_PROBE_MS. */
static int hostile_plug(struct disp *d, int (*start)(void *, const char *))
{
	hostile_model = *d->m;
	hostile_model.start = start;
	return hostile_call(d, hostile_plug_in, "plugging in");
}

/* The length of the connector's EDID property, 0 if none, -1 on error. */
static long edid_blob_len(struct disp *d)
{
	return kms_connector_edid_len(d->fd, d->conn_id);
}

/* A dumb buffer shown by a modeset, then updated: the display works. */
static int hostile_frames(struct disp *d)
{
	struct tbuf b;
	int ret;

	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	if (!ret)
		ret = full_frame(d, &b, 1, false);
	tbuf_destroy(&b);
	return ret;
}

/*
 * The vendor descriptor's last entry runs past its end (and past the
 * 256 bytes udl reads): the driver must not read beyond it (KASAN) and
 * must work without the pixel limit.
 */
static int scen_hostile_vendor(struct disp *d)
{
	int ret = hostile_plug(d, udl_start_vendor_overrun);

	if (!ret)
		ret = hostile_frames(d);
	return ret;
}

/*
 * The EDID announces 255 extension blocks, the second block is garbage,
 * and every byte takes 0.5 ms: plugging in and a connector probe
 * must each end within HOSTILE_PROBE_MS (6.12 reads 255 blocks byte by
 * byte, the invalid ones 4 times: minutes), the base block's modes must
 * be there and the display must work.
 */
static drmModeConnectorPtr hostile_conn;

static int hostile_get_connector(struct disp *d)
{
	hostile_conn = drmModeGetConnector(d->fd, d->conn_id);
	return hostile_conn ? 0 : KMS_EXIT_FAIL;
}

static int scen_hostile_edid(struct disp *d)
{
	long len;
	int ret;

	ret = hostile_plug(d, udl_start_edid_huge);
	if (ret)
		return ret;
	/* GETCONNECTOR probes the connector again: a new EDID read */
	ret = hostile_call(d, hostile_get_connector, "a connector probe");
	if (ret)
		return ret;
	printf("connector %s, %d modes\n",
	       hostile_conn->connection == DRM_MODE_CONNECTED ? "connected" :
	       "not connected", hostile_conn->count_modes);
	if (hostile_conn->connection != DRM_MODE_CONNECTED ||
	    !hostile_conn->count_modes)
		ret = KMS_EXIT_FAIL;
	drmModeFreeConnector(hostile_conn);
	len = edid_blob_len(d);
	printf("EDID property: %ld bytes\n", len);
	if (len < 128 || len > 256) {
		printf("expected the base block, and at most one extension\n");
		ret = KMS_EXIT_FAIL;
	}
	if (!ret)
		ret = hostile_frames(d);
	return ret;
}

/*
 * Every EDID reply carries the status byte only: no EDID byte was read,
 * so there is no EDID and no monitor. The driver must say disconnected
 * and expose no EDID; 6.12 took a reply of one byte as a byte read and
 * used the second byte of its uninitialized reply buffer instead (in this
 * test's boot, slub_debug=P fills it with 0x6b: a garbage EDID, connected).
 */
static int hostile_edid_short_plug(struct disp *d)
{
	/* Fails at its connector check: the card is what matters here. */
	disp_plug(d, &hostile_model, d->test);
	return d->fd >= 0 ? 0 : KMS_EXIT_FAIL;
}

static int scen_hostile_edid_short(struct disp *d)
{
	long len;
	int ret;

	hostile_model = *d->m;
	hostile_model.start = udl_start_edid_short;
	ret = hostile_call(d, hostile_edid_short_plug, "plugging in");
	if (ret)
		return ret;
	ret = hostile_call(d, hostile_get_connector, "a connector probe");
	if (ret)
		return ret;
	printf("connector %s, %d modes\n",
	       hostile_conn->connection == DRM_MODE_CONNECTED ? "connected" :
	       hostile_conn->connection == DRM_MODE_DISCONNECTED ?
	       "disconnected" : "unknown", hostile_conn->count_modes);
	if (hostile_conn->connection != DRM_MODE_DISCONNECTED ||
	    hostile_conn->count_modes)
		ret = KMS_EXIT_FAIL;
	drmModeFreeConnector(hostile_conn);
	len = edid_blob_len(d);
	printf("EDID property: %ld bytes\n", len);
	if (len != 0)
		ret = KMS_EXIT_FAIL;
	return ret;
}

/* ---- a device that is slow to take a block (gm12u320) ------------------ */

#define STALL_MS	1500	/* the driver's DATA_TIMEOUT is 1000 ms */
#define STALL_RETRY_MS	3000	/* DATA_TIMEOUT and IDLE_TIMEOUT */
#define STALL_IDLE_MS	5000	/* for a frame of the 2 s repeat */

/*
 * The device stops reading in the frame of a DIRTYFB: the block transfer
 * times out and the driver gives the frame up.  No update follows, so
 * only the driver itself can send the frame again.  The stall is armed
 * right after a frame was published, so that the next frame is the
 * DIRTYFB's and not one of the 2 s repeats; a picture within
 * STALL_RETRY_MS would mean the stall missed the DIRTYFB's frame.
 */
static int scen_stall(struct disp *d)
{
	struct gm12u320_emu *g = d->emu;
	struct vdisp *v = d->m->vdisp(d->emu);
	unsigned long restarts, stalls;
	uint32_t *img = NULL;
	struct tbuf b;
	long t, ms;
	int ret;

	ret = tbuf_create(&b, TB_DUMB, d, -1);
	if (!ret)
		ret = full_frame(d, &b, 0, true);
	img = disp_pattern(d, 1);
	if (ret || !img)
		goto out;
	ret = KMS_EXIT_FAIL;
	/* a repeat of frame 0: the next repeat is due in 2 s */
	if (vdisp_wait(v, vdisp_frames(v), STALL_IDLE_MS) < 0) {
		printf("no repeated frame within %d ms\n", STALL_IDLE_MS);
		goto out;
	}
	disp_draw(d, b.map, b.pitch, img);
	pthread_mutex_lock(&v->lock);
	g->stall_block = 1;
	g->stall_ms = STALL_MS;
	restarts = g->restarts;
	stalls = g->stalls;
	pthread_mutex_unlock(&v->lock);
	t = disp_now_ms();
	if (disp_dirty(d, b.fb, NULL, 0, true))
		goto out;
	disp_expect_all(d, img);
	if (disp_wait(d, b.fb, "after the stall"))
		goto out;
	ms = disp_now_ms() - t;
	pthread_mutex_lock(&v->lock);
	stalls = g->stalls - stalls;
	restarts = g->restarts - restarts;
	pthread_mutex_unlock(&v->lock);
	printf("the DIRTYFB's frame shown %ld ms after the call; %lu stall of %d ms, %lu frame begun again at block 0\n",
	       ms, stalls, STALL_MS, restarts);
	if (stalls != 1 || !restarts || ms < STALL_RETRY_MS) {
		printf("the stall did not hit the DIRTYFB's frame\n");
		goto out;
	}
	/* the 2 s repeats go on, or the projector shows its logo */
	if (vdisp_wait(v, vdisp_frames(v), STALL_IDLE_MS) < 0) {
		printf("no frame within %d ms after the retry\n",
		       STALL_IDLE_MS);
		goto out;
	}
	ret = disp_wait(d, b.fb, "the repeat after the retry");
out:
	free(img);
	tbuf_destroy(&b);
	return ret;
}

/* ---- demo --------------------------------------------------------------- */

#define DEMO_DIR	"/out/frames"
#define DEMO_FRAMES	8
#define DEMO_MAX_FRAMES	1000

static const char *demo_dir = DEMO_DIR;
static unsigned int demo_frames = DEMO_FRAMES;

/*
 * Pixels of the device's picture @got (@gw x @gh; NULL: none) that differ
 * from @img in the device's depth; every pixel when the size is wrong.
 */
static unsigned long demo_mismatches(struct disp *d, const uint32_t *img,
				     const uint32_t *got, unsigned int gw,
				     unsigned int gh)
{
	size_t i, n = (size_t)d->w * d->h;
	unsigned long bad = 0;
	uint32_t *exp;

	if (!got || gw != d->w || gh != d->h)
		return n;
	exp = malloc(n * 4);
	if (!exp)
		return n;
	memcpy(exp, img, n * 4);
	if (d->m->depth == DISP_DEPTH_RGB565)
		image_reduce_565(exp, d->w, d->h, d->w * 4);
	for (i = 0; i < n; i++)
		bad += ((exp[i] ^ got[i]) & 0x00ffffff) != 0;
	free(exp);
	return bad;
}

/*
 * One frame: draw pattern @frame into the imported buffer, show it
 * (modeset for the first, full DIRTYFB after), wait for the device to show
 * it, count the pixels its picture gets wrong and save that picture.
 */
static int demo_frame(struct disp *d, struct tbuf *b, unsigned int frame,
		      unsigned long *bad)
{
	struct vdisp *v = d->m->vdisp(d->emu);
	uint32_t *img, *got = NULL;
	unsigned int gw = 0, gh = 0;
	char what[32], path[256];
	int ret = KMS_EXIT_FAIL;

	*bad = (unsigned long)d->w * d->h;
	img = disp_pattern(d, frame);
	if (!img)
		return ret;
	disp_draw(d, b->map, b->pitch, img);
	if (frame ? disp_dirty(d, b->fb, NULL, 0, true) :
		    disp_modeset(d, b->fb))
		goto out;
	disp_expect_all(d, img);
	snprintf(what, sizeof(what), "frame%03u", frame);
	ret = disp_wait(d, b->fb, what);
	/* what the device shows now: matched, or the last try */
	got = vdisp_snapshot(v, &gw, &gh);
	*bad = demo_mismatches(d, img, got, gw, gh);
	if (*bad && !ret) {
		printf("%s: the device's picture changed after it matched\n",
		       what);
		ret = KMS_EXIT_FAIL;
	}
	if (got) {
		snprintf(path, sizeof(path), "%s/%s-%03u.png", demo_dir,
			 d->m->name, frame);
		if (png_write(path, got, gw, gh, gw * 4)) {
			printf("cannot write %s\n", path);
			ret = KMS_EXIT_FAIL;
		}
	}
	printf("frame %u: %s, %lu mismatching pixels\n", frame,
	       ret ? "FAILED" : "ok", *bad);
out:
	free(got);
	free(img);
	return ret;
}

static int scen_demo(struct disp *d)
{
	unsigned long bad, checked = 0, mism = 0;
	unsigned int frame, failed = 0;
	struct tbuf b;
	int vgem, ret;

	if (mkdir(demo_dir, 0755) && errno != EEXIST) {
		printf("cannot create %s: %s\n", demo_dir, strerror(errno));
		return KMS_EXIT_FAIL;
	}
	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = tbuf_create_mapped(&b, d, vgem);
	for (frame = 0; !ret && frame < demo_frames; frame++) {
		if (demo_frame(d, &b, frame, &bad))
			failed++;
		checked += (unsigned long)d->w * d->h;
		mism += bad;
	}
	if (!ret) {
		printf("DEMO %s: %u frames, %lu pixels checked, %lu mismatches\n",
		       d->m->name, demo_frames, checked, mism);
		if (failed)
			printf("%u of %u frames failed\n", failed,
			       demo_frames);
		ret = failed ? KMS_EXIT_FAIL : 0;
	}
	tbuf_destroy(&b);
	close(vgem);
	return ret;
}

/* Arguments of the demo: [OUTDIR [NFRAMES]]. */
static int demo_args(int argc, char **argv)
{
	unsigned long n;
	char *end;

	if (argc > 2)
		return -1;
	if (argc > 0)
		demo_dir = argv[0];
	if (argc > 1) {
		n = strtoul(argv[1], &end, 10);
		if (*end || !n || n > DEMO_MAX_FRAMES) {
			printf("NFRAMES must be 1..%d\n", DEMO_MAX_FRAMES);
			return -1;
		}
		demo_frames = n;
	}
	return 0;
}

/* ---- stress ------------------------------------------------------------- */

/*
 * The stress tier (make stress; make check runs each scenario with a tenth
 * of the counts).  Every scenario prints one line of figures:
 *
 *   STRESS <display> <scenario>: <counts>, calls N (ok N, <errno> N ...),
 *   hangs N, exact N/N, splats N, leaks N (kmemleak) + N (dma-bufs), T s
 *
 * hangs: calls that took longer than STRESS_HANG_MS; splats: kernel
 * reports (/dev/kmsg) during the scenario; leaks: what kmemleak reports
 * after it, and dma-bufs the scenario left behind (dma_buf/bufinfo).
 * Any hang, splat, leak or inexact frame fails the scenario.
 */
#define STRESS_HANG_MS		5000
#define STRESS_ERRNOS		134

struct stress {
	const char *scen;
	bool full;		/* vl.stress=full: the whole counts */
	unsigned int seed, seed0;
	int kmsg;		/* /dev/kmsg, read from the start */
	long t0;
	unsigned long calls, errs[STRESS_ERRNOS], hangs;
	unsigned long exact, frames;
	unsigned int bufs;	/* dma-bufs before the scenario */
	unsigned int win_x, win_y;	/* stress_dirtyfb: where the clips go */
};

static bool cmdline_arg(const char *key, char *val, size_t len)
{
	FILE *f = fopen("/proc/cmdline", "r");
	char buf[4096], *tok, *save;
	size_t klen = strlen(key);
	bool found = false;

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strncmp(tok, key, klen) && tok[klen] == '=') {
			snprintf(val, len, "%s", tok + klen + 1);
			found = true;
		}
	return found;
}

static unsigned int stress_rand(struct stress *st)
{
	st->seed ^= st->seed << 13;
	st->seed ^= st->seed >> 17;
	st->seed ^= st->seed << 5;
	return st->seed;
}

/* @full in the stress tier, a tenth of it in make check */
static unsigned int stress_count(struct stress *st, unsigned int full)
{
	return st->full ? full : full / 10;
}

static int stress_begin(struct stress *st, const char *scen)
{
	unsigned int attachments;
	char val[32];

	memset(st, 0, sizeof(*st));
	st->scen = scen;
	st->full = cmdline_arg("vl.stress", val, sizeof(val)) &&
		   !strcmp(val, "full");
	st->seed = st->full ? (unsigned int)now_us() | 1 : 1;
	if (cmdline_arg("vl.seed", val, sizeof(val)))
		st->seed = strtoul(val, NULL, 0) | 1;
	st->seed0 = st->seed;
	printf("stress %s: %s counts, seed %u\n", scen,
	       st->full ? "the whole" : "a tenth of the", st->seed);
	st->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (st->kmsg < 0 || lseek(st->kmsg, 0, SEEK_END) < 0) {
		printf("cannot read /dev/kmsg: %s\n", strerror(errno));
		return KMS_EXIT_FAIL;
	}
	/* kmemleak: forget what earlier tests left, count this one's */
	if (!access("/sys/kernel/debug/kmemleak", W_OK) &&
	    (system("echo scan > /sys/kernel/debug/kmemleak") ||
	     system("echo clear > /sys/kernel/debug/kmemleak")))
		printf("kmemleak scan/clear failed\n");
	if (fi_bufinfo(&st->bufs, &attachments))
		return KMS_EXIT_FAIL;
	st->t0 = disp_now_ms();
	return 0;
}

/* Count one call that returned @err (0 or -errno) after @ms. */
static void stress_call(struct stress *st, int err, long ms)
{
	st->calls++;
	if (err < 0 && -err < STRESS_ERRNOS)
		st->errs[-err]++;
	else if (err)
		st->errs[0]++;	/* not an errno */
	if (ms > STRESS_HANG_MS)
		st->hangs++;
}

/* Kernel reports since stress_begin() (the patterns of splat-scan.py). */
static unsigned long stress_splats(struct stress *st)
{
	static const char *const pat[] = {
		"------------[ cut here ]", "WARNING:", "BUG:",
		"blocked for more than", "UBSAN:", "Oops", "Kernel panic",
		"kernel BUG at", "general protection fault",
		"unreferenced object 0x", "lock held when returning",
		"locking dependency detected", "possible recursive locking",
		"inconsistent lock state", NULL,
	};
	unsigned long n = 0;
	char rec[8192], *msg;
	ssize_t len;
	int i;

	for (;;) {
		len = read(st->kmsg, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (len <= 0)
			break;
		rec[len] = 0;
		for (i = 0; pat[i]; i++)
			if (strstr(rec, pat[i])) {
				/* "prio,seq,usec,flags;text\n": name the report */
				msg = strchr(rec, ';');
				msg = msg ? msg + 1 : rec;
				msg[strcspn(msg, "\n")] = 0;
				printf("splat: %.160s\n", msg);
				n++;
				break;
			}
	}
	return n;
}

static unsigned long stress_kmemleak(void)
{
	char line[256];
	unsigned long n = 0;
	FILE *f;

	if (access("/sys/kernel/debug/kmemleak", W_OK))
		return 0;
	sleep(6);	/* objects younger than 5 s are not reported */
	if (system("echo scan > /sys/kernel/debug/kmemleak") ||
	    system("echo scan > /sys/kernel/debug/kmemleak"))
		printf("kmemleak scan failed\n");
	f = fopen("/sys/kernel/debug/kmemleak", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19))
			n++;
		if (n <= 3)
			printf("kmemleak: %s", line);
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * Print the line of figures; @what: the scenario's own counts.  A call
 * that failed with an errno not in @allowed (a 0-terminated list) fails
 * the scenario.
 */
static int stress_end(struct stress *st, struct disp *d, const char *what,
		      const int *allowed, int ret)
{
	unsigned long unexpected = 0;
	unsigned int bufs, attachments;
	unsigned long splats, leaks, dmabufs = 0, bad = 0;
	char errs[512];
	size_t off;
	int e;

	for (e = 0; e < STRESS_ERRNOS; e++) {
		const int *a;

		bad += st->errs[e];
		for (a = allowed; *a && *a != e; a++)
			;
		if (!*a)
			unexpected += st->errs[e];
	}
	off = snprintf(errs, sizeof(errs), "ok %lu", st->calls - bad);
	for (e = 1; e < STRESS_ERRNOS && off < sizeof(errs); e++)
		if (st->errs[e])
			off += snprintf(errs + off, sizeof(errs) - off,
					", %s %lu", strerrorname_np(e),
					st->errs[e]);
	if (st->errs[0] && off < sizeof(errs))
		snprintf(errs + off, sizeof(errs) - off, ", other %lu",
			 st->errs[0]);
	leaks = stress_kmemleak();
	splats = stress_splats(st);
	if (!fi_bufinfo(&bufs, &attachments) && bufs > st->bufs)
		dmabufs = bufs - st->bufs;
	printf("STRESS %s %s: %s, calls %lu (%s), unexpected errors %lu, hangs %lu, exact %lu/%lu, splats %lu, leaks %lu (kmemleak) + %lu (dma-bufs), seed %u, %ld s\n",
	       d->m->name, st->scen, what, st->calls, errs, unexpected,
	       st->hangs, st->exact, st->frames, splats, leaks, dmabufs,
	       st->seed0, (disp_now_ms() - st->t0 + 500) / 1000);
	close(st->kmsg);
	if (st->hangs || splats || leaks || dmabufs || unexpected ||
	    st->exact != st->frames)
		return KMS_EXIT_FAIL;
	return ret;
}

/* A full frame checked exactly, counted. */
static int stress_exact(struct stress *st, struct disp *d, struct tbuf *b,
			unsigned int frame, bool modeset)
{
	int ret;

	st->frames++;
	ret = full_frame(d, b, frame, modeset);
	if (!ret)
		st->exact++;
	return ret;
}

/* -- unplug at a random point of a stream of updates -- */

struct stress_streamer {
	struct stress *st;
	struct disp *d;
	struct tbuf *b;		/* two imported vgem buffers */
	struct disp_plane ap;
	volatile bool stop, done;
	bool nonblock;		/* the flips */
	unsigned int seed;
	unsigned long before;	/* calls that succeeded */
	int last;		/* the last call's result */
};

static void *stress_stream(void *arg)
{
	struct stress_streamer *s = arg;
	struct disp *d = s->d;
	unsigned int i, cur = 0;

	for (i = 0; !s->stop; i++) {
		struct drm_mode_rect r;
		long t = disp_now_ms();
		int err;

		s->seed = s->seed * 1103515245 + 12345;
		rect(&r, 0, 0, 64, 64);
		r.x1 = (s->seed >> 8) % (d->w - 64);
		r.y1 = (s->seed >> 20) % (d->h - 64);
		r.x2 = r.x1 + 64;
		r.y2 = r.y1 + 64;
		pattern_fill(s->b[cur].map, d->w, d->h, s->b[cur].pitch, i);
		if (i % 2) {
			/* a nonblocking flip to the other buffer */
			cur ^= 1;
			err = disp_flip(d, &s->ap, s->b[cur].fb, &r,
					  s->nonblock);
			if (err == -EBUSY) {
				cur ^= 1;
				usleep(1000);
			}
		} else {
			err = disp_dirty(d, s->b[cur].fb, &r, 1, false);
		}
		stress_call(s->st, err, disp_now_ms() - t);
		s->last = err;
		if (!err)
			s->before++;
		if (err && err != -EBUSY) {
			/* after the unplug: a few more calls, then stop */
			if (s->stop)
				break;
			usleep(20 * 1000);
		}
	}
	__sync_synchronize();
	s->done = true;
	return NULL;
}

static int stress_unplug_cycle(struct stress *st, struct disp *d, int vgem,
			       unsigned int cycle, unsigned long *proto)
{
	struct stress_streamer s = { .st = st, .d = d };
	struct vdisp *v = d->m->vdisp(d->emu);
	pthread_t thread;
	struct tbuf b[2];
	unsigned int delay, i;
	int ret;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 2; i++)
		tbuf_init(&b[i], TB_VGEM, d);
	ret = 0;
	for (i = 0; i < 2 && !ret; i++)
		ret = tbuf_create_mapped(&b[i], d, vgem);
	if (!ret)
		ret = disp_find_plane(d, &s.ap);
	if (!ret)
		ret = stress_exact(st, d, &b[0], cycle, true);
	if (ret)
		goto out;
	s.b = b;
	s.seed = stress_rand(st);
	/*
	 * Nonblocking flips: this is how make stress found the 6.12
	 * use-after-free in drm_atomic_helper_wait_for_vblanks() (patch
	 * 0042; stress_flipdirty is its own reproducer).
	 */
	s.nonblock = true;
	if (pthread_create(&thread, NULL, stress_stream, &s)) {
		printf("pthread_create failed\n");
		ret = KMS_EXIT_FAIL;
		goto out;
	}
	/* the unplug: anywhere in the first second of the stream */
	delay = stress_rand(st) % 1000;
	usleep(delay * 1000);
	pthread_mutex_lock(&v->lock);
	*proto += v->errors;
	pthread_mutex_unlock(&v->lock);
	d->m->stop(d->emu);
	d->plugged = false;
	if (vusb_failed(d->m->usb(d->emu))) {
		printf("cycle %u: the USB side failed\n", cycle);
		ret = KMS_EXIT_FAIL;
	}
	/* the stream's calls fail now; let it see a few, then stop it */
	usleep(200 * 1000);
	s.stop = true;
	if (!wait_done(&s.done, ERROR_WAIT_MS)) {
		printf("cycle %u: an update still blocks %d ms after the unplug\n",
		       cycle, ERROR_WAIT_MS);
		st->hangs++;
		return KMS_EXIT_FAIL;	/* the thread cannot be joined */
	}
	pthread_join(thread, NULL);
	printf("cycle %u: unplugged after %u ms, %lu updates; the last returned %s\n",
	       cycle, delay, s.before, s.last ? strerror(-s.last) : "0");
	if (s.last != -ENODEV) {
		printf("cycle %u: the updates do not fail with ENODEV after the unplug\n",
		       cycle);
		ret = KMS_EXIT_FAIL;
	}
out:
	for (i = 0; i < 2; i++) {
		tbuf_unmap_vgem(&b[i]);
		tbuf_destroy(&b[i]);
	}
	return ret;
}

static int scen_stress_unplug(struct disp *d)
{
	static const int allowed[] = { ENODEV, EBUSY, 0 };
	unsigned long proto = 0;
	unsigned int cycles, c;
	struct stress st;
	char what[96];
	int vgem, ret;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = stress_begin(&st, "unplug");
	if (ret)
		goto out;
	cycles = stress_count(&st, 100);
	for (c = 0; c < cycles && !ret; c++) {
		if (c && disp_plug(d, d->m, d->test)) {
			ret = KMS_EXIT_FAIL;
			break;
		}
		ret = stress_unplug_cycle(&st, d, vgem, c, &proto);
		if (st.hangs)
			return KMS_EXIT_FAIL;
		close(d->fd);
		d->fd = -1;
		if (disp_wait_unbound(d))
			ret = KMS_EXIT_FAIL;
	}
	if (proto) {
		printf("the device recorded %lu protocol errors before the unplugs\n",
		       proto);
		ret = KMS_EXIT_FAIL;
	}
	if (!ret) {
		struct tbuf b;

		tbuf_init(&b, TB_VGEM, d);
		printf("a fresh plug after %u cycles\n", c);
		ret = disp_plug(d, d->m, d->test);
		if (!ret)
			ret = tbuf_create_mapped(&b, d, vgem);
		if (!ret)
			ret = stress_exact(&st, d, &b, cycles + 1, true);
		tbuf_unmap_vgem(&b);
		tbuf_destroy(&b);
	}
	snprintf(what, sizeof(what), "%u/%u unplugs, %lu protocol errors",
		 c, cycles, proto);
	ret = stress_end(&st, d, what, allowed, ret);
out:
	close(vgem);
	return ret;
}

/*
 * -- a nonblocking flip, then at once a blocking DIRTYFB --
 *
 * On a device without vblank the fake vblank completes commit N's
 * flip_done before its hw_done, so a blocking commit N+1 may run to its
 * end, and free its old state (N's new one), while N's worker is still
 * between hw_done and drm_atomic_helper_wait_for_vblanks(), where 6.12
 * reads new_crtc_state->active (a KASAN use-after-free).  N+1 wins that
 * race only when it sends nothing, as after an unplug: here the DIRTYFB's
 * clip lies beyond the framebuffer (6.12 accepts it and trims it to
 * nothing), and so do three flips of four; the fourth sends a 64x64 clip.
 * The scenario counts the splats, and checks a full frame at the end.
 */
static int scen_stress_flipdirty(struct disp *d)
{
	static const int allowed[] = { EBUSY, 0 };
	struct drm_mode_rect beyond;
	struct disp_plane ap;
	unsigned int pairs, i, cur = 0;
	unsigned long busy = 0;
	struct stress st;
	struct tbuf b[2];
	char what[96];
	int vgem, ret;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	for (i = 0; i < 2; i++)
		tbuf_init(&b[i], TB_VGEM, d);
	ret = stress_begin(&st, "flipdirty");
	if (ret)
		goto out;
	pairs = stress_count(&st, 50000);
	rect(&beyond, d->w + 1, d->h + 1, 0xffff, 0xffff);
	for (i = 0; i < 2 && !ret; i++)
		ret = tbuf_create_mapped(&b[i], d, vgem);
	if (!ret)
		ret = disp_find_plane(d, &ap);
	if (!ret)
		ret = stress_exact(&st, d, &b[0], 0, true);
	for (i = 0; i < pairs && !ret; i++) {
		struct drm_mode_rect r;
		long t = disp_now_ms();
		int err;

		if (i % 4) {
			r = beyond;
		} else {
			r.x1 = stress_rand(&st) % (d->w - 64);
			r.y1 = stress_rand(&st) % (d->h - 64);
			r.x2 = r.x1 + 64;
			r.y2 = r.y1 + 64;
		}
		err = disp_flip(d, &ap, b[cur ^ 1].fb, &r, true);
		stress_call(&st, err, disp_now_ms() - t);
		if (!err)
			cur ^= 1;
		else if (err == -EBUSY)
			busy++;
		t = disp_now_ms();
		err = disp_dirty(d, b[cur].fb, &beyond, 1, false);
		stress_call(&st, err, disp_now_ms() - t);
		if (err && err != -EBUSY)
			ret = KMS_EXIT_FAIL;
	}
	if (!ret)
		ret = stress_exact(&st, d, &b[cur], 1, false);
	snprintf(what, sizeof(what), "%u pairs of a nonblocking flip and a blocking DIRTYFB, %lu flips EBUSY",
		 i, busy);
	/* the buffers go before the count of dma-bufs left */
	for (i = 0; i < 2; i++) {
		tbuf_unmap_vgem(&b[i]);
		tbuf_destroy(&b[i]);
	}
	ret = stress_end(&st, d, what, allowed, ret);
	close(vgem);
	return ret;
out:
	for (i = 0; i < 2; i++) {
		tbuf_unmap_vgem(&b[i]);
		tbuf_destroy(&b[i]);
	}
	close(vgem);
	return ret;
}

/* -- random DIRTYFB calls -- */

enum stress_clip_kind {
	CLIP_INSIDE,
	/*
	 * Clips that reach beyond the framebuffer (x1 past its width, x2 or
	 * both coordinates 0xffff).  6.12 accepts them: drm_atomic_plane_check()
	 * compares damage clips with fb->width << 16, a 16.16 fixed-point
	 * width, and the damage iterator trims them to the plane.
	 */
	CLIP_BEYOND,
	/* clips that it refuses with EINVAL: inverted or empty */
	CLIP_REFUSED,
};

/* One random clip of @kind. */
static void stress_clip(struct stress *st, struct disp *d,
			struct drm_clip_rect *c, enum stress_clip_kind kind)
{
	/* the clips of a call lie in one quarter of each dimension */
	unsigned int x = st->win_x + stress_rand(st) % (d->w / 4);
	unsigned int y = st->win_y + stress_rand(st) % (d->h / 4);
	unsigned int w = 1 + stress_rand(st) % 32, h = 1 + stress_rand(st) % 32;
	unsigned int how = stress_rand(st) % 3;

	c->x1 = x;
	c->y1 = y;
	c->x2 = x + w < d->w ? x + w : d->w;
	c->y2 = y + h < d->h ? y + h : d->h;
	if (kind == CLIP_BEYOND && how == 0) {		/* out of range */
		c->x1 = d->w + stress_rand(st) % 1000;
		c->x2 = c->x1 + w;
	} else if (kind == CLIP_BEYOND && how == 1) {	/* to 0xffff */
		c->x2 = 0xffff;
	} else if (kind == CLIP_BEYOND) {
		c->y2 = 0xffff;
	} else if (kind == CLIP_REFUSED && how == 0) {	/* inverted */
		c->x2 = x > w ? x - w : 0;
	} else if (kind == CLIP_REFUSED && how == 1) {	/* empty */
		c->y2 = c->y1;
	} else if (kind == CLIP_REFUSED) {		/* 0xffff to 0 */
		c->x1 = 0xffff;
		c->x2 = 0;
	}
}

static int scen_stress_dirty(struct disp *d)
{
	static const char *const kinds[] = {
		"inside the framebuffer", "with one beyond it",
		"with one inverted or empty",
	};
	unsigned long calls_of[3] = { 0 }, as_due[3] = { 0 };
	struct drm_clip_rect clips[64];
	unsigned int calls, i, k, n;
	struct stress st;
	struct tbuf b;
	char what[320];
	size_t off;
	int vgem, ret;

	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	tbuf_init(&b, TB_VGEM, d);
	ret = stress_begin(&st, "dirtyfb");
	if (!ret)
		ret = tbuf_create_mapped(&b, d, vgem);
	if (!ret)
		ret = stress_exact(&st, d, &b, 0, true);
	calls = stress_count(&st, 10000);
	for (i = 1; i <= calls && !ret; i++) {
		unsigned int x, y, colour = stress_rand(&st) | 0xff000000;
		unsigned int r = stress_rand(&st) % 20;
		enum stress_clip_kind kind = r < 14 ? CLIP_INSIDE :
					     r < 17 ? CLIP_BEYOND : CLIP_REFUSED;
		uint32_t *px = b.map;
		long t;
		int err;

		/* new content in one place, so that the calls copy some */
		x = stress_rand(&st) % (d->w - 32);
		y = stress_rand(&st) % (d->h - 32);
		for (k = 0; k < 32 * 32; k++)
			px[(y + k / 32) * (b.pitch / 4) + x + k % 32] = colour;
		/* few clips mostly, up to 64 in one call of four */
		n = 1 + stress_rand(&st) % (stress_rand(&st) % 4 ? 8 : 64);
		st.win_x = stress_rand(&st) % (d->w - d->w / 4);
		st.win_y = stress_rand(&st) % (d->h - d->h / 4);
		for (k = 0; k < n; k++)
			stress_clip(&st, d, &clips[k], CLIP_INSIDE);
		k = stress_rand(&st) % n;	/* the odd one, anywhere */
		stress_clip(&st, d, &clips[k], kind);
		t = disp_now_ms();
		err = drmModeDirtyFB(d->fd, b.fb, clips, n) ? -errno : 0;
		stress_call(&st, err, disp_now_ms() - t);
		calls_of[kind]++;
		if (err == (kind == CLIP_REFUSED ? -EINVAL : 0))
			as_due[kind]++;
		else
			printf("call %u: %u clips %s (%u,%u-%u,%u): %s\n", i,
			       n, kinds[kind], clips[k].x1, clips[k].y1,
			       clips[k].x2, clips[k].y2,
			       err ? strerror(-err) : "0");
		if (i % 500 == 0)
			ret = stress_exact(&st, d, &b, i / 500, false);
	}
	off = snprintf(what, sizeof(what), "%u DIRTYFB calls of random clips",
		       calls);
	for (k = 0; k < 3 && off < sizeof(what); k++) {
		off += snprintf(what + off, sizeof(what) - off,
				"; %lu %s (%lu %s)", calls_of[k], kinds[k],
				as_due[k], k == CLIP_REFUSED ? "EINVAL" : "ok");
		if (as_due[k] != calls_of[k])
			ret = KMS_EXIT_FAIL;
	}
	tbuf_unmap_vgem(&b);
	tbuf_destroy(&b);
	close(vgem);
	return stress_end(&st, d, what, (const int[]){ EINVAL, 0 }, ret);
}

/* -- the exporter's handles and fds closed while displayed -- */

/*
 * A vgem buffer imported and shown; then, in a random order, vgem's
 * handle, the dma-buf fd, the import's handle and (every other cycle)
 * vgem's fd are closed: the framebuffer alone keeps the buffer.  The
 * mapping still draws into it and DIRTYFB shows that; after the munmap
 * too, the next cycle's framebuffer replaces it and RMFB frees it.
 */
static int scen_stress_orphan(struct disp *d)
{
	unsigned int cycles, c, i, orders = 0;
	uint32_t prev_fb = 0;
	struct stress st;
	char what[96];
	int ret;

	ret = stress_begin(&st, "orphan");
	cycles = stress_count(&st, 100);
	for (c = 0; c < cycles && !ret; c++) {
		int vgem = open_vgem();
		unsigned int order[4] = { 0, 1, 2, 3 };
		struct tbuf b;

		if (vgem < 0)
			return KMS_EXIT_SKIP;
		ret = tbuf_create_mapped(&b, d, vgem);
		if (!ret)
			ret = stress_exact(&st, d, &b, 2 * c, true);
		/* the last reference of the previous cycle's buffer */
		if (prev_fb)
			stress_call(&st, drmModeRmFB(d->fd, prev_fb) ? -errno : 0,
				    0);
		prev_fb = 0;
		if (ret) {
			/* tbuf_destroy() removes this cycle's framebuffer */
			tbuf_unmap_vgem(&b);
			tbuf_destroy(&b);
			close(vgem);
			break;
		}
		prev_fb = b.fb;
		for (i = 3; i > 0; i--) {
			unsigned int j = stress_rand(&st) % (i + 1), t;

			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		orders |= 1u << (order[0] * 4 + order[1]);
		for (i = 0; i < 4; i++) {
			switch (order[i]) {
			case 0:	/* closing vgem's fd closed it too */
				if (vgem >= 0)
					kms_gem_close(vgem, b.dumb.handle);
				b.dumb.handle = 0;
				break;
			case 1:
				close(b.dmabuf);
				b.dmabuf = -1;
				break;
			case 2:
				kms_gem_close(d->fd, b.handle);
				b.handle = 0;
				break;
			case 3:
				if (c % 2) {
					close(vgem);
					vgem = -1;
				}
				break;
			}
			st.calls++;
		}
		/* the mapping alone still draws into the buffer */
		ret = stress_exact(&st, d, &b, 2 * c + 1, false);
		munmap(b.map, b.dumb.size);
		b.map = NULL;
		b.dumb.map = NULL;
		if (vgem >= 0)
			close(vgem);
		/* nothing but the framebuffer holds it now */
		if (!ret) {
			struct vdisp *v = d->m->vdisp(d->emu);
			unsigned long before;
			long t = disp_now_ms();
			int err;

			pthread_mutex_lock(&v->lock);
			before = v->frames;
			pthread_mutex_unlock(&v->lock);
			err = disp_dirty(d, b.fb, NULL, 0, true);
			stress_call(&st, err, disp_now_ms() - t);
			/* a new picture, not the one still shown */
			if (!err && vdisp_wait(v, before, 3000) < 0 &&
			    d->m->flush_fallback) {
				struct drm_mode_rect px;

				rect(&px, 0, 0, 1, 1);	/* pushes udl's tail out */
				err = disp_dirty(d, b.fb, &px, 1, true);
			}
			if (!err && vdisp_wait(v, before, DISP_FRAME_MS) < 0)
				err = -ETIMEDOUT;
			ret = err ? KMS_EXIT_FAIL : disp_wait(d, b.fb, "orphan");
			st.frames++;
			if (!ret)
				st.exact++;
		}
	}
	if (prev_fb)
		stress_call(&st, drmModeRmFB(d->fd, prev_fb) ? -errno : 0, 0);
	snprintf(what, sizeof(what), "%u cycles, %d of the 12 first-two close orders",
		 c, __builtin_popcount(orders));
	return stress_end(&st, d, what, (const int[]){ 0 }, ret);
}

/* -- two processes, two displays, one buffer, fences from a third -- */

static unsigned int n_models(void)
{
	unsigned int n = 0;

	while (disp_models[n])
		n++;
	return n;
}

#define SHARED_UDC	"dummy_udc.1"	/* needs dummy_hcd.num=2 */

struct shared_counts {
	unsigned long calls, errs[STRESS_ERRNOS], hangs, fences;
	long max_ms;
	volatile int done;
};

/* In a child: only ioctls and stores, no stdio (the parent has threads). */
static void shared_updater(struct disp *d, uint32_t fb, unsigned int n,
			   unsigned int seed, struct shared_counts *sc)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct drm_clip_rect c;
		long t = disp_now_ms(), ms;
		int err;

		seed = seed * 1103515245 + 12345;
		c.x1 = (seed >> 8) % (d->w / 2);
		c.y1 = (seed >> 18) % (d->h / 2);
		c.x2 = c.x1 + 1 + (seed >> 4) % (d->w / 2);
		c.y2 = c.y1 + 1 + (seed >> 12) % (d->h / 2);
		err = drmModeDirtyFB(d->fd, fb, &c, 1) ? errno : 0;
		ms = disp_now_ms() - t;
		sc->calls++;
		if (err)
			sc->errs[err < STRESS_ERRNOS ? err : 0]++;
		if (ms > STRESS_HANG_MS)
			sc->hangs++;
		if (ms > sc->max_ms)
			sc->max_ms = ms;
	}
}

/* The third process: fence the buffer, draw into it, signal. */
static void shared_fencer(int vgem, uint32_t handle, uint32_t *map,
			  unsigned int w, unsigned int h, unsigned int pitch,
			  struct shared_counts *sc, volatile int *stop)
{
	unsigned int frame = 1000, seed = 7;

	while (!*stop) {
		struct vgem_fence_attach a = { .handle = handle,
					       .flags = VGEM_WRITE_FENCE };
		struct vgem_fence_signal s = { 0 };
		int err = 0;

		sc->calls++;
		if (drmIoctl(vgem, VGEM_IOCTL_FENCE_ATTACH, &a)) {
			err = errno;
		} else {
			sc->fences++;
			pattern_fill(map, w, h, pitch, frame++);
			seed = seed * 1103515245 + 12345;
			usleep((seed >> 16) % 20000);
			s.fence = a.out_fence;
			sc->calls++;
			if (drmIoctl(vgem, VGEM_IOCTL_FENCE_SIGNAL, &s))
				err = errno;
		}
		if (err)
			sc->errs[err < STRESS_ERRNOS ? err : 0]++;
		usleep(1000);
	}
}

static int shared_show(struct stress *st, struct disp *d, uint32_t fb,
		       const uint32_t *big, unsigned int bw, bool modeset)
{
	unsigned int y;
	int ret;

	for (y = 0; y < d->h; y++)
		memcpy(d->tmp2 + (size_t)y * d->w, big + (size_t)y * bw,
		       d->w * 4);
	ret = modeset ? disp_modeset(d, fb) : disp_dirty(d, fb, NULL, 0, true);
	st->frames++;
	if (ret)
		return KMS_EXIT_FAIL;
	disp_expect_all(d, d->tmp2);
	ret = disp_wait(d, fb, "shared");
	if (!ret)
		st->exact++;
	return ret;
}

static int scen_stress_shared(struct disp *d)
{
	const struct disp_model *pm = NULL;
	struct disp p = { .fd = -1, .udc = SHARED_UDC };
	struct shared_counts *sc = MAP_FAILED;
	unsigned int bw, bh, updates, i, k;
	struct kms_dumb buf = { .fd = -1 };
	uint32_t fb[2] = { 0, 0 }, handle[2] = { 0, 0 }, *big = NULL;
	struct disp *dd[2] = { d, &p };
	pid_t pid[3] = { 0, 0, 0 };
	volatile int *stop;
	struct stress st;
	char what[160];
	int vgem, dmabuf = -1, ret;
	long deadline;

	/* the partner: the next model of another driver in the list */
	for (i = 0; disp_models[i] && disp_models[i] != d->m; i++)
		;
	for (k = 1; disp_models[i] && !pm; k++) {
		const struct disp_model *m = disp_models[(i + k) % n_models()];

		if (m == d->m)
			break;
		if (strcmp(m->driver, d->m->driver))
			pm = m;
	}
	if (!pm) {
		printf("no display model of another driver\n");
		return KMS_EXIT_FAIL;
	}
	vgem = open_vgem();
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	ret = stress_begin(&st, "shared");
	if (!ret && disp_plug(&p, pm, d->test)) {
		printf("the second display (%s on %s; boot with dummy_hcd.num=2) did not come up\n",
		       pm->name, SHARED_UDC);
		ret = KMS_EXIT_FAIL;
	}
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	/* one vgem buffer that holds either display's framebuffer */
	bw = d->w > p.w ? d->w : p.w;
	bh = d->h > p.h ? d->h : p.h;
	big = malloc((size_t)bw * bh * 4);
	sc = mmap(NULL, 4 * sizeof(*sc), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!big || sc == MAP_FAILED) {
		printf("out of memory\n");
		goto out;
	}
	memset(sc, 0, 4 * sizeof(*sc));
	stop = &sc[3].done;
	if (kms_dumb_create(vgem, bw, bh, 32, &buf) || kms_dumb_map(&buf))
		goto out;
	dmabuf = kms_prime_export(vgem, buf.handle);
	if (dmabuf < 0)
		goto out;
	for (k = 0; k < 2; k++)
		if (kms_prime_import(dd[k]->fd, dmabuf, &handle[k]) ||
		    kms_add_fb_xrgb(dd[k]->fd, dd[k]->w, dd[k]->h, handle[k],
				    buf.pitch, &fb[k]))
			goto out;
	printf("one %ux%u vgem buffer on %s (%ux%u) and %s (%ux%u)\n", bw, bh,
	       d->m->name, d->w, d->h, pm->name, p.w, p.h);
	pattern_fill(big, bw, bh, bw * 4, 1);
	for (k = 0; k < bh; k++)
		memcpy((char *)buf.map + (size_t)k * buf.pitch,
		       big + (size_t)k * bw, bw * 4);
	for (k = 0; k < 2; k++)
		if (shared_show(&st, dd[k], fb[k], big, bw, true))
			goto out;

	updates = stress_count(&st, 2000);
	fflush(stdout);
	for (k = 0; k < 3; k++) {
		pid[k] = fork();
		if (pid[k] < 0) {
			printf("fork failed: %s\n", strerror(errno));
			pid[k] = 0;
			goto reap;
		}
		if (pid[k])
			continue;
		if (k < 2)
			shared_updater(dd[k], fb[k], updates, 11 + k, &sc[k]);
		else
			shared_fencer(vgem, buf.handle, buf.map, bw, bh,
				      buf.pitch, &sc[2], stop);
		sc[k].done = 1;
		_exit(0);
	}
reap:
	/* the updaters must finish; a call that hangs shows as a timeout */
	deadline = disp_now_ms() + (long)updates * 200 + 60000;
	while (disp_now_ms() < deadline && !(sc[0].done && sc[1].done))
		usleep(100 * 1000);
	*stop = 1;
	for (k = 0; k < 3; k++) {
		int status;

		if (!pid[k])
			continue;
		if (k < 2 && !sc[k].done) {
			printf("the updater of %s has not finished\n",
			       dd[k]->m->name);
			sc[k].hangs++;
			kill(pid[k], SIGKILL);
		}
		waitpid(pid[k], &status, 0);
	}
	for (k = 0; k < 3; k++) {
		unsigned int e;

		st.calls += sc[k].calls;
		st.hangs += sc[k].hangs;
		for (e = 0; e < STRESS_ERRNOS; e++)
			st.errs[e] += sc[k].errs[e];
	}
	printf("updates: %s %lu calls (longest %ld ms), %s %lu calls (longest %ld ms); %lu fences attached and signalled\n",
	       d->m->name, sc[0].calls, sc[0].max_ms, pm->name, sc[1].calls,
	       sc[1].max_ms, sc[2].fences);
	if (!pid[0] || !pid[1] || !pid[2] || !sc[0].done || !sc[1].done)
		goto out;
	/* the last picture, on both */
	pattern_fill(big, bw, bh, bw * 4, 2);
	for (k = 0; k < bh; k++)
		memcpy((char *)buf.map + (size_t)k * buf.pitch,
		       big + (size_t)k * bw, bw * 4);
	ret = 0;
	for (k = 0; k < 2 && !ret; k++)
		ret = shared_show(&st, dd[k], fb[k], big, bw, false);
out:
	snprintf(what, sizeof(what), "%s and %s, %lu fences",
		 d->m->name, pm ? pm->name : "?",
		 sc != MAP_FAILED ? sc[2].fences : 0);
	for (k = 0; k < 2; k++) {
		if (fb[k])
			drmModeRmFB(dd[k]->fd, fb[k]);
		if (handle[k])
			kms_gem_close(dd[k]->fd, handle[k]);
	}
	if (dmabuf >= 0)
		close(dmabuf);
	if (buf.handle)
		kms_dumb_destroy(&buf);
	if (p.emu && disp_unplug(&p))
		ret = KMS_EXIT_FAIL;
	disp_free(&p);
	if (sc != MAP_FAILED && !sc[2].fences) {
		printf("no fence was attached\n");
		ret = KMS_EXIT_FAIL;
	}
	ret = stress_end(&st, d, what, (const int[]){ 0 }, ret);
	free(big);
	if (sc != MAP_FAILED)
		munmap(sc, 4 * sizeof(*sc));
	close(vgem);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

struct scenario {
	const char *name;
	int (*run)(struct disp *d);
	/* the arguments after the name (NULL: none taken), for usage() */
	int (*args)(int argc, char **argv);
	const char *argspec;
	/* only on this display (NULL: on all) */
	const char *only;
	/* plugs the device in itself (main does not) */
	bool own_plug;
};

static const struct scenario scenarios[] = {
	{ .name = "dumb", .run = scen_dumb },
	{ .name = "prime_vgem", .run = scen_prime_vgem },
	{ .name = "prime_udmabuf", .run = scen_prime_udmabuf },
	{ .name = "damage_dirtyfb", .run = scen_damage_dirtyfb },
	{ .name = "damage_atomic", .run = scen_damage_atomic },
	{ .name = "fence", .run = scen_fence },
	{ .name = "fence_flip", .run = scen_fence_flip },
	{ .name = "nopin", .run = scen_nopin },
	{ .name = "nodma", .run = scen_nodma },
	{ .name = "unplug", .run = scen_unplug },
	{ .name = "stream", .run = scen_stream },
	{ .name = "badinput", .run = scen_badinput },
	{ .name = "flip", .run = scen_flip },
	{ .name = "prime_bochs", .run = scen_prime_bochs },
	{ .name = "faultinj", .run = scen_faultinj },
	{ .name = "faultinj_bochs", .run = scen_faultinj_bochs },
	{ .name = "hugefb", .run = scen_hugefb },
	{ .name = "hostile_vendor", .run = scen_hostile_vendor, .only = "udl",
	  .own_plug = true },
	{ .name = "hostile_edid", .run = scen_hostile_edid, .only = "udl",
	  .own_plug = true },
	{ .name = "hostile_edid_short", .run = scen_hostile_edid_short,
	  .only = "udl", .own_plug = true },
	{ .name = "stall", .run = scen_stall, .only = "gm12u320" },
	{ .name = "stress_unplug", .run = scen_stress_unplug },
	{ .name = "stress_flipdirty", .run = scen_stress_flipdirty },
	{ .name = "stress_dirtyfb", .run = scen_stress_dirty },
	{ .name = "stress_orphan", .run = scen_stress_orphan },
	{ .name = "stress_shared", .run = scen_stress_shared },
	{ .name = "demo", .run = scen_demo, .args = demo_args,
	  .argspec = " [OUTDIR [NFRAMES]]" },
	{ .name = NULL },
};

static void usage(void)
{
	int i, j;

	printf("usage: run as <display>_<scenario>, or usbdisp <display>_<scenario>:\n");
	for (i = 0; disp_models[i]; i++)
		for (j = 0; scenarios[j].name; j++)
			if (!scenarios[j].only ||
			    !strcmp(scenarios[j].only, disp_models[i]->name))
				printf("  %s_%s%s\n", disp_models[i]->name,
				       scenarios[j].name,
				       scenarios[j].argspec ?
				       scenarios[j].argspec : "");
}

int main(int argc, char **argv)
{
	const struct scenario *s = NULL;
	const struct disp_model *m;
	const char *name, *us;
	struct disp d = { .fd = -1 };
	int i, ret, arg = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "usbdisp") && argc > 1)
		name = argv[arg++];
	us = strchr(name, '_');
	m = us ? disp_model_find(name, us - name) : NULL;
	for (i = 0; m && scenarios[i].name; i++)
		if (!strcmp(us + 1, scenarios[i].name) &&
		    (!scenarios[i].only || !strcmp(scenarios[i].only, m->name)))
			s = &scenarios[i];
	if (!s) {
		printf("%s: unknown display or scenario\n", name);
		usage();
		return KMS_EXIT_FAIL;
	}
	if (s->args ? s->args(argc - arg, argv + arg) : argc > arg) {
		printf("%s: bad arguments\n", name);
		usage();
		return KMS_EXIT_FAIL;
	}
	printf("%s: scenario %s on the emulated %s\n", name, s->name,
	       m->name);
	if (s->own_plug) {
		d.m = m;
		d.test = name;
		ret = s->run(&d);
	} else {
		ret = disp_plug(&d, m, name);
		if (!ret)
			ret = s->run(&d);
	}
	if (d.emu && disp_unplug(&d) && !ret)
		ret = KMS_EXIT_FAIL;
	disp_free(&d);
	printf("%s: %s\n", name, ret == KMS_EXIT_PASS ? "PASS" :
	       ret == KMS_EXIT_SKIP ? "FAIL (could not run)" : "FAIL");
	return ret;
}
