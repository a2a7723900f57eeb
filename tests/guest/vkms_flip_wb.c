// SPDX-License-Identifier: GPL-2.0
/*
 * Many nonblocking page flips on vkms, every composed frame checked.
 *
 * The primary plane flips between framebuffers of different sizes and
 * layouts: a mode-sized one with a pitch larger than width * 4, and a
 * larger one (800x600) whose visible part, the plane's source rectangle,
 * starts at (80, 60). All flips are DRM_MODE_ATOMIC_NONBLOCK commits with
 * a page-flip event; -EBUSY (the previous commit's flip is not done yet) is
 * answered by waiting for that event.
 *
 * Phase 1, writeback: each flip is followed at once by a nonblocking
 * writeback-only commit, whose capture must be exactly the content of the
 * framebuffer just flipped to. The next flip is committed as soon as the
 * capture signalled.
 *
 * Phase 3, CRC: back-to-back flips through three framebuffers (the two
 * above and a plain mode-sized one), without writeback; the CRC of every
 * composed frame (debugfs) must be that of the framebuffer its flip showed,
 * as measured on a frame that writeback showed to be exact. vkms's composer
 * runs at every vblank, reads the planes' buffers after atomic_update until
 * the next commit's tail, and under emulation lags several vblanks behind:
 * the next two flips are prepared while it still composes a frame. A copy
 * of the framebuffers taken at commit time into two alternating staging
 * buffers (vkms on the damage-blit helper, patch 0012) is overwritten while
 * the composer reads it, and this phase fails.
 *
 * Phase 2: phase 1 with a framebuffer created with ADDFB2 offsets[0] != 0
 * in place of the mode-sized one. Stock 6.12's vkms applies offsets[0]
 * twice (the plane's mapping from drm_gem_fb_vmap() already includes it,
 * and pixel_offset() adds it again): the frame is shifted and the composer
 * reads past the buffer, which oopses; patch 0000 fixes that. The argument
 * "nooffsets" skips this phase.
 *
 * Only one writeback job is in flight at a time: in 6.12 vkms, each job's
 * cleanup switches the composer off (vkms_set_composer(false)), also when a
 * later job is pending; see kms_wb_wait().
 *
 * Usage: vkms_flip_wb [nooffsets] [FLIPS_PER_PHASE]; a phase stops early at
 * its time budget (the count done is printed).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"

#define W		640
#define H		480
#define RING		3		/* writeback buffers, used in turn */
#define FLIPS		500		/* per phase */
#define PHASE_BUDGET_S	20	/* phases 1 and 2 */
#define CRC_BUDGET_S	80	/* phase 3: room for its 1000 flips */
#define WB_GAP_MS	10
#define EVENT_TIMEOUT_MS 5000

struct plane_fb {
	const char *name;
	struct kms_dumb buf;
	uint32_t fb;
	uint32_t src_x, src_y;	/* visible W x H part of the framebuffer */
	uint32_t *expect;	/* that part, W x H, packed */
};

struct slot {
	struct kms_wb_target t;
	int fence;		/* -1: free */
	unsigned int flip;	/* the commit that wrote it */
	const struct plane_fb *shown;
};

static int pending_events;
/* phase 3: the vblank each flip took effect at, by flip index + 1 */
#define MAX_CRC_FLIPS	4096
#define EARLY_MAX	8	/* vblanks, see crc_phase() */
static uint32_t flip_seq[MAX_CRC_FLIPS + 1];
static bool flip_seen[MAX_CRC_FLIPS + 1];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void flip_handler(int fd, unsigned int seq, unsigned int tv_sec,
			 unsigned int tv_usec, unsigned int crtc_id, void *data)
{
	uintptr_t n = (uintptr_t)data;

	(void)fd; (void)tv_sec; (void)tv_usec; (void)crtc_id;
	if (n && n <= MAX_CRC_FLIPS) {
		flip_seq[n] = seq;
		flip_seen[n] = true;
	}
	pending_events--;
}

/* Read flip events: wait up to @timeout_ms for at least one (0: poll). */
static int handle_events(int fd, int timeout_ms)
{
	drmEventContext ev = {
		.version = 3,
		.page_flip_handler2 = flip_handler,
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		printf("poll on the DRM fd: %s\n", strerror(errno));
		return -1;
	}
	if (ret == 0) {
		if (timeout_ms)
			printf("no flip event within %d ms\n", timeout_ms);
		return timeout_ms ? -1 : 0;
	}
	if (drmHandleEvent(fd, &ev)) {
		printf("drmHandleEvent failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A framebuffer of @fw x @fh with @pitch and @offset bytes before its first
 * pixel, drawn with pattern frame @frame; expect[] gets the W x H part at
 * (@sx, @sy).
 */
static int plane_fb_create(int fd, struct plane_fb *p, const char *name,
			   unsigned int fw, unsigned int fh, unsigned int pitch,
			   unsigned int offset, unsigned int sx, unsigned int sy,
			   unsigned int frame)
{
	uint32_t handles[4], pitches[4] = { pitch }, offsets[4] = { offset };
	unsigned int y, lines = (offset + pitch * fh + pitch - 1) / pitch;
	uint32_t *full;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->src_x = sx;
	p->src_y = sy;
	if (kms_dumb_create(fd, pitch / 4, lines, 32, &p->buf) ||
	    kms_dumb_map(&p->buf))
		return -1;
	if (p->buf.pitch != pitch) {
		printf("%s: dumb pitch %u, wanted %u\n", name, p->buf.pitch,
		       pitch);
		return -1;
	}
	/* everything outside the framebuffer proper is poison */
	memset(p->buf.map, 0xa5, p->buf.size);
	pattern_fill((uint32_t *)((char *)p->buf.map + offset), fw, fh, pitch,
		     frame);
	handles[0] = p->buf.handle;
	if (drmModeAddFB2(fd, fw, fh, DRM_FORMAT_XRGB8888, handles, pitches,
			  offsets, &p->fb, 0)) {
		printf("ADDFB2 %s %ux%u pitch %u offset %u: %s\n", name, fw,
		       fh, pitch, offset, strerror(errno));
		return -1;
	}
	full = malloc((size_t)fw * fh * 4);
	p->expect = malloc((size_t)W * H * 4);
	if (!full || !p->expect) {
		printf("out of memory\n");
		free(full);
		return -1;
	}
	pattern_fill(full, fw, fh, fw * 4, frame);
	for (y = 0; y < H; y++)
		memcpy(p->expect + y * W, full + (sy + y) * fw + sx, W * 4);
	free(full);
	printf("%s: fb %u, %ux%u, pitch %u, offsets[0] %u, shown from (%u,%u)\n",
	       name, p->fb, fw, fh, pitch, offset, sx, sy);
	return 0;
}

static void plane_fb_destroy(int fd, struct plane_fb *p)
{
	if (p->fb)
		drmModeRmFB(fd, p->fb);
	kms_dumb_destroy(&p->buf);
	free(p->expect);
	memset(p, 0, sizeof(*p));
}

/* Which known content does a capture show, if any, for the message. */
static const char *identify(const uint32_t *img, unsigned int pitch,
			    struct plane_fb *const *fbs, unsigned int n)
{
	unsigned int i, y;

	for (i = 0; i < n; i++) {
		for (y = 0; y < H; y++)
			if (memcmp((const char *)img + y * pitch,
				   fbs[i]->expect + y * W, W * 4))
				break;
		if (y == H)
			return fbs[i]->name;
	}
	return NULL;
}

/* Wait for the slot's out-fence and check its frame; 0 or -1. */
static int retire(struct kms_wb *wb, struct slot *s,
		  struct plane_fb *const *fbs, unsigned int n,
		  unsigned long *checked)
{
	unsigned long bad;
	const char *is;
	int ret;

	ret = kms_wb_wait(wb, s->fence);
	close(s->fence);
	s->fence = -1;
	if (ret) {
		printf("FAIL: flip %u (%s): no writeback\n", s->flip,
		       s->shown->name);
		return -1;
	}
	bad = image_compare(s->shown->expect, W * 4, s->t.buf.map,
			    s->t.buf.pitch, W, H);
	if (bad) {
		is = identify(s->t.buf.map, s->t.buf.pitch, fbs, n);
		printf("FAIL: flip %u showed %s: %lu of %u pixels wrong%s%s\n",
		       s->flip, s->shown->name, bad, W * H,
		       is ? "; the capture is exactly " : "", is ? is : "");
		return -1;
	}
	(*checked)++;
	return 0;
}

/*
 * A nonblocking commit with a flip event: the primary plane to @p (if not
 * NULL) and a writeback job into @t (if not NULL). On -EBUSY, waits for the
 * pending event and tries again. Returns 0 or -1 (printed).
 */
static int nb_commit(struct kms_wb *wb, const struct plane_fb *p,
		     struct slot *t, unsigned int flip, unsigned long *ebusy,
		     uintptr_t tag)
{
	drmModeAtomicReqPtr req;
	int32_t fence = -1;
	int err, rc;

	for (;;) {
		req = drmModeAtomicAlloc();
		if (!req) {
			printf("drmModeAtomicAlloc failed\n");
			return -1;
		}
		err = 0;
		if (p)
			kms_atomic_add_plane(req, wb, wb->plane_id,
					     wb->plane_prop, p->fb, p->src_x,
					     p->src_y, W, H, 0, 0, &err);
		if (t)
			kms_atomic_add_wb_job(req, wb, t->t.fb, &fence, &err);
		if (err) {
			printf("drmModeAtomicAddProperty failed\n");
			drmModeAtomicFree(req);
			return -1;
		}
		rc = drmModeAtomicCommit(wb->fd, req,
					 DRM_MODE_ATOMIC_NONBLOCK |
					 DRM_MODE_PAGE_FLIP_EVENT,
					 (void *)tag);
		err = errno;
		drmModeAtomicFree(req);
		if (!rc)
			break;
		if (fence >= 0)
			close(fence);
		fence = -1;
		if (err != EBUSY || !pending_events) {
			printf("FAIL: flip %u: nonblocking %s commit: %s\n",
			       flip, p ? "flip" : "writeback", strerror(err));
			return -1;
		}
		/* the previous commit's flip is not done: wait for it */
		(*ebusy)++;
		if (handle_events(wb->fd, EVENT_TIMEOUT_MS))
			return -1;
	}
	pending_events++;
	if (t) {
		if (fence < 0) {
			printf("FAIL: flip %u: no writeback out-fence\n", flip);
			return -1;
		}
		t->fence = fence;
		t->flip = flip;
	}
	return 0;
}

/* One phase: @flips nonblocking flips alternating between a and b. */
static int phase(struct kms_wb *wb, const char *what, struct plane_fb *a,
		 struct plane_fb *b, struct slot *ring, unsigned int flips,
		 unsigned long *total)
{
	struct plane_fb *fbs[2] = { a, b };
	unsigned long checked = 0, ebusy = 0;
	double t0 = now_s(), last_wb = 0, t, t_flip = 0, t_wb = 0, t_check = 0;
	unsigned int i;
	int ret = 0;

	printf("phase %s: up to %u flips between %s and %s\n", what, flips,
	       a->name, b->name);
	for (i = 0; i < flips; i++) {
		struct plane_fb *p = fbs[i & 1];
		struct slot *s = &ring[i % RING];
		double gap;

		if (now_s() - t0 > PHASE_BUDGET_S) {
			printf("phase %s: time budget of %d s reached\n", what,
			       PHASE_BUDGET_S);
			break;
		}
		t = now_s();
		if (nb_commit(wb, p, NULL, i, &ebusy, 0)) {
			ret = -1;
			break;
		}
		t_flip += now_s() - t;
		gap = WB_GAP_MS / 1e3 - (now_s() - last_wb);
		if (gap > 0)
			usleep(gap * 1e6);
		memset(s->t.buf.map, 0x5a, s->t.buf.size);
		s->shown = p;
		t = now_s();
		if (nb_commit(wb, NULL, s, i, &ebusy, 0)) {
			ret = -1;
			break;
		}
		t_wb += now_s() - t;
		t = now_s();
		if (retire(wb, s, fbs, 2, &checked)) {
			ret = -1;
			break;
		}
		last_wb = now_s();
		t_check += last_wb - t;
		/* consume the events that already arrived */
		if (handle_events(wb->fd, 0)) {
			ret = -1;
			break;
		}
	}
	while (pending_events > 0)
		if (handle_events(wb->fd, EVENT_TIMEOUT_MS)) {
			ret = -1;
			pending_events = 0;
		}
	printf("phase %s: %u flips, %lu frames checked pixel-exact, %lu EBUSY retries, %.1f s%s\n",
	       what, i, checked, ebusy, now_s() - t0, ret ? " (FAILED)" : "");
	if (i)
		printf("phase %s: per flip %.1f ms: flip commit %.1f, writeback commit %.1f, fence wait and compare %.1f\n",
		       what, (now_s() - t0) * 1e3 / i, t_flip * 1e3 / i,
		       t_wb * 1e3 / i, t_check * 1e3 / i);
	*total += checked;
	return ret;
}

/* Read CRC entries until two in a row are equal. */
static int stable_crc(struct kms_crc *crc, uint32_t *value)
{
	uint32_t f, v, prev = 0;
	int i;

	for (i = 0; i < 20; i++) {
		if (kms_crc_read(crc, &f, &v, 2000))
			return -1;
		if (i && v == prev) {
			*value = v;
			return 0;
		}
		prev = v;
	}
	printf("CRC did not settle in 20 frames\n");
	return -1;
}

/*
 * The CRC of the output showing @p, after checking that output exactly
 * through writeback (a blocking commit). The capture is done before the
 * CRC capture starts: a writeback job's cleanup switches vkms's composer
 * off, CRC capture or not.
 */
static int reference_crc(struct kms_wb *wb, struct plane_fb *p,
			 struct slot *s, uint32_t *value)
{
	struct plane_fb *fbs[1] = { p };
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	struct kms_crc crc;
	unsigned long n = 0;
	int32_t fence = -1;
	int err = 0, ret;

	if (!req)
		return -1;
	memset(s->t.buf.map, 0x5a, s->t.buf.size);
	kms_atomic_add_plane(req, wb, wb->plane_id, wb->plane_prop, p->fb,
			     p->src_x, p->src_y, W, H, 0, 0, &err);
	kms_atomic_add_wb_job(req, wb, s->t.fb, &fence, &err);
	ret = err ? -1 : drmModeAtomicCommit(wb->fd, req, 0, NULL);
	drmModeAtomicFree(req);
	if (ret) {
		printf("FAIL: commit of %s: %s\n", p->name, strerror(errno));
		return -1;
	}
	s->fence = fence;
	s->flip = 0;
	s->shown = p;
	if (retire(wb, s, fbs, 1, &n))
		return -1;
	usleep(100000);	/* the job's cleanup, see kms_wb_wait() */
	if (kms_crc_open(&crc, "vkms", wb->crtc_index))
		return -1;
	ret = stable_crc(&crc, value);
	kms_crc_close(&crc);
	if (!ret)
		printf("%s: captured exactly, CRC 0x%08x\n", p->name, *value);
	return ret;
}

struct crc_entry {
	uint32_t frame, crc;
};

/* Which framebuffer (index into the cycle of 3) state @k shows. */
static unsigned int state_fb(unsigned int k)
{
	/* state 0: before flip 0, the last reference (2) is shown */
	return k ? (k - 1) % 3 : 2;
}

/*
 * Phase 3: back-to-back nonblocking flips cycling through @fbs[0..2], no
 * writeback, the CRC of every composed frame checked against the reference
 * CRC of the framebuffer that frame showed (known from the flip events'
 * vblank numbers). vkms's composer then runs at every vblank and may still
 * be composing a frame while the next two flips are prepared; with three
 * framebuffers in turn, the second one after a frame shows different
 * content.
 *
 * A flip's event can name a later vblank than the one at which vkms's
 * composer took the new state: drm_crtc_arm_vblank_event() asks for the
 * "accurate" vblank count plus one, which under emulation, with the vblank
 * timer running late, already counts vblanks whose timer has not run yet.
 * So a frame may show a later state whose event is at most EARLY_MAX
 * vblanks after the frame. The states the frames show must not go back,
 * and no frame may show a state older than the last flip whose event came
 * at or before that frame.
 */
static int crc_phase(struct kms_wb *wb, struct plane_fb *const *fbs,
		     struct slot *ring, unsigned int flips,
		     unsigned long *total)
{
	uint32_t ref[3], f, v;
	struct crc_entry *e;
	struct kms_crc crc;
	unsigned long ebusy = 0, checked = 0, bad = 0, early = 0;
	size_t ne = 0, cap;
	unsigned int i, j, k, last = 0, cur = 0;
	double t0, last_entry;
	int ret = -1, rc = 0;

	for (k = 0; k < 3; k++) {
		if (reference_crc(wb, fbs[k], &ring[k % RING], &ref[k]))
			return -1;
		for (j = 0; j < k; j++)
			if (ref[j] == ref[k]) {
				printf("FAIL: %s and %s give CRC 0x%08x\n",
				       fbs[j]->name, fbs[k]->name, ref[k]);
				return -1;
			}
	}
	if (flips > MAX_CRC_FLIPS)
		flips = MAX_CRC_FLIPS;
	cap = 60 * (CRC_BUDGET_S + 10) + 16;
	e = calloc(cap, sizeof(*e));
	if (!e || kms_crc_open(&crc, "vkms", wb->crtc_index)) {
		free(e);
		return -1;
	}
	memset(flip_seen, 0, sizeof(flip_seen));
	printf("phase 3 (CRC, back-to-back): up to %u flips through %s, %s, %s\n",
	       flips, fbs[0]->name, fbs[1]->name, fbs[2]->name);
	t0 = now_s();
	last_entry = t0;
	for (i = 0; i < flips; i++) {
		if (now_s() - t0 > CRC_BUDGET_S) {
			printf("phase 3: time budget of %d s reached\n",
			       CRC_BUDGET_S);
			break;
		}
		if (nb_commit(wb, fbs[i % 3], NULL, i, &ebusy,
			      (uintptr_t)i + 1))
			goto out;
		/* the CRC entries so far (the kernel keeps 128) */
		while (ne < cap && !(rc = kms_crc_try_read(&crc, &f, &v))) {
			e[ne].frame = f;
			e[ne++].crc = v;
			last_entry = now_s();
		}
		if (rc < 0 || handle_events(wb->fd, 0))
			goto out;
		/*
		 * A writeback job's late cleanup switches the composer off
		 * (see kms_wb_wait()): switch it on again.
		 */
		if (now_s() - last_entry > KMS_CRC_STALL_MS / 1e3) {
			printf("no CRC entry for %d ms: restarting the CRC capture\n",
			       KMS_CRC_STALL_MS);
			if (kms_crc_restart(&crc))
				goto out;
			last_entry = now_s();
		}
	}
	while (pending_events > 0)
		if (handle_events(wb->fd, EVENT_TIMEOUT_MS))
			goto out;
	/* a few frames of the last state */
	for (j = 0; j < 4 && ne < cap; j++) {
		if (kms_crc_read(&crc, &f, &v, 2000))
			goto out;
		e[ne].frame = f;
		e[ne++].crc = v;
	}
	while (ne < cap && !kms_crc_try_read(&crc, &f, &v)) {
		e[ne].frame = f;
		e[ne++].crc = v;
	}

	/* the entries' frames, against the flips' vblanks */
	for (j = 1; j <= i; j++)
		if (!flip_seen[j]) {
			printf("FAIL: no event for flip %u\n", j - 1);
			goto out;
		}
	for (j = 0; j < ne; j++) {
		unsigned int shown;
		bool ok;

		/* state @last: flips 0..last-1 done by this frame */
		while (last < i &&
		       (int32_t)(e[j].frame - flip_seq[last + 1]) >= 0)
			last++;
		if (cur < last)
			cur = last;
		shown = state_fb(cur);
		checked++;
		/* the state shown so far, or a later one (see above) */
		ok = e[j].crc == ref[shown];
		for (k = cur + 1; !ok && k <= i &&
		     (int32_t)(flip_seq[k] - e[j].frame) <= EARLY_MAX; k++)
			if (e[j].crc == ref[state_fb(k)]) {
				ok = true;
				cur = k;
				early++;
			}
		if (ok)
			continue;
		if (bad < 8) {
			for (k = 0; k < 3 && e[j].crc != ref[k]; k++)
				;
			printf("  vblank %u: CRC 0x%08x shows %s, expected %s (flip %d at vblank %u, next at %u)\n",
			       e[j].frame, e[j].crc,
			       k < 3 ? fbs[k]->name : "neither",
			       fbs[shown]->name, (int)cur - 1,
			       cur ? flip_seq[cur] : 0,
			       cur < i ? flip_seq[cur + 1] : 0);
		}
		bad++;
	}
	printf("phase 3: %u flips, %lu composed frames checked by CRC (%lu showed a later flip up to %d vblanks before its event), %lu wrong, %lu EBUSY retries, %.1f s\n",
	       i, checked, early, EARLY_MAX, bad, ebusy, now_s() - t0);
	if (bad) {
		printf("FAIL: phase 3: %lu of %lu frames not the framebuffer their flip showed\n",
		       bad, checked);
		goto out;
	}
	/* each flip takes a vblank at least, each vblank gives an entry */
	if (checked < i) {
		printf("FAIL: phase 3: only %lu CRC entries for %u flips\n",
		       checked, i);
		goto out;
	}
	if (ne == cap)
		printf("(CRC entries beyond %zu not checked)\n", cap);
	if (crc.restarts)
		printf("(%u CRC captures restarted)\n", crc.restarts);
	*total += i;
	ret = 0;
out:
	kms_crc_close(&crc);
	while (pending_events > 0)
		if (handle_events(wb->fd, EVENT_TIMEOUT_MS))
			pending_events = 0;
	free(e);
	return ret;
}

static double t_start;

int main(int argc, char **argv)
{
	struct plane_fb small = { 0 }, offs = { 0 }, big = { 0 }, third = { 0 };
	struct plane_fb *cycle[3] = { &small, &big, &third };
	bool skip_offsets = argc > 1 && !strcmp(argv[1], "nooffsets");
	bool with_offsets = !skip_offsets;
	unsigned int flips = argc > 1 + skip_offsets ?
			     strtoul(argv[1 + skip_offsets], NULL, 0) : FLIPS;
	struct slot ring[RING];
	struct kms_wb wb = { .fd = -1 };
	unsigned long total = 0;
	int vkms, ret, i, failed = 0;

	t_start = kms_time();

	for (i = 0; i < RING; i++) {
		memset(&ring[i], 0, sizeof(ring[i]));
		ring[i].fence = -1;
	}
	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		return KMS_EXIT_SKIP;
	ret = kms_wb_init(&wb, vkms, W, H);
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	/* mode-sized, pitch 2816 > 640 * 4 */
	if (plane_fb_create(vkms, &small, "mode-sized", W, H, W * 4 + 256, 0,
			    0, 0, 1) ||
	/* the same with 3 pages before the first pixel */
	    plane_fb_create(vkms, &offs, "mode-sized+offset", W, H,
			    W * 4 + 256, 3 * 4096, 0, 0, 3) ||
	/* larger, shown from (80, 60) */
	    plane_fb_create(vkms, &big, "800x600@(80,60)", 800, 600, 800 * 4,
			    0, 80, 60, 2) ||
	/* for phase 3: a third content, plain */
	    plane_fb_create(vkms, &third, "plain", W, H, W * 4, 0, 0, 0, 4))
		goto out;
	for (i = 0; i < RING; i++)
		if (kms_wb_target_init(&wb, &ring[i].t))
			goto out;

	/* modeset with the larger framebuffer (no pitch or offset trick) */
	{
		drmModeAtomicReqPtr req = drmModeAtomicAlloc();
		int32_t fence = -1;
		int err = 0;

		if (!req)
			goto out;
		kms_atomic_add_modeset(req, &wb, &err);
		kms_atomic_add_plane(req, &wb, wb.plane_id, wb.plane_prop,
				     big.fb, big.src_x, big.src_y, W, H, 0, 0,
				     &err);
		kms_atomic_add_wb_job(req, &wb, ring[0].t.fb, &fence, &err);
		if (err || drmModeAtomicCommit(vkms, req,
					       DRM_MODE_ATOMIC_ALLOW_MODESET,
					       NULL)) {
			printf("FAIL: modeset: %s\n", strerror(errno));
			drmModeAtomicFree(req);
			goto out;
		}
		drmModeAtomicFree(req);
		ring[0].fence = fence;
		ring[0].flip = 0;
		ring[0].shown = &big;
		{
			struct plane_fb *fbs[1] = { &big };
			unsigned long n = 0;

			if (retire(&wb, &ring[0], fbs, 1, &n))
				goto out;
		}
		printf("modeset: frame exact\n");
	}

	if (phase(&wb, "1 (pitch)", &small, &big, ring, flips, &total))
		failed++;
	if (with_offsets &&
	    phase(&wb, "2 (offsets[0])", &offs, &big, ring, flips, &total))
		failed++;
	if (crc_phase(&wb, cycle, ring, 2 * flips, &total))
		failed++;
	if (failed) {
		printf("FAIL: %d of 3 phases failed\n", failed);
		goto out;
	}
	printf("ok: %lu flips, every frame pixel-exact\n", total);
	ret = KMS_EXIT_PASS;
out:
	if (wb.kicks)
		printf("(%u stalled writeback jobs restarted)\n", wb.kicks);
	for (i = 0; i < RING; i++) {
		if (ring[i].fence >= 0)
			close(ring[i].fence);
		kms_wb_target_fini(&wb, &ring[i].t);
	}
	plane_fb_destroy(vkms, &small);
	plane_fb_destroy(vkms, &offs);
	plane_fb_destroy(vkms, &big);
	plane_fb_destroy(vkms, &third);
	kms_wb_fini(&wb);
	close(vkms);
	printf("%s: %.1f s\n", "vkms_flip_wb", kms_time() - t_start);
	return ret;
}
