// SPDX-License-Identifier: GPL-2.0
/*
 * The cursor plane on vkms, checked against a reference without it, as
 * IGT's kms_plane_cursor "primary" subtest does.
 *
 * For each cursor size (64, 128, 256) a primary framebuffer and two ARGB8888
 * cursor framebuffers are created and shown with a modeset (cursor off).
 * At each of several positions (partly off the screen too):
 *   - the reference: the cursor is drawn into the displayed primary
 *     framebuffer through its mmap, blended as vkms blends, and a commit
 *     disables the cursor plane (at the first position it is off already,
 *     so that commit does not touch the CRTC, as in IGT);
 *   - the test: the primary framebuffer is redrawn without the cursor and a
 *     commit enables the cursor plane there (the primary plane's properties
 *     are not in it).
 * The two cursor framebuffers alternate, so the cursor changes framebuffer
 * from one enabling commit to the next, and, like IGT, the test removes the
 * displayed framebuffers after each size.
 *
 * First as IGT does it: CRCs from debugfs, no writeback, cursors of opaque
 * and fully transparent pixels; the CRC with the cursor plane must equal
 * the reference's. A copy of the framebuffers taken at commit time (vkms on
 * the damage-blit helper, patch 0012) misses the reference drawn into the
 * displayed primary framebuffer when the reference's commit leaves the CRTC
 * alone:
 * the first position of each size fails, as kms_plane_cursor's primary
 * subtest did at sizes 64, 128 and 256.
 *
 * Then pixel-exactly through writeback, the cursors with half-transparent
 * pixels too: every capture must equal the expected image. Each writeback
 * commit pulls the CRTC and with it every plane into the commit. A last
 * pass keeps the cursor on and changes its framebuffer, size and position
 * in every commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"

#define W	640
#define H	480
#define PLANE_TYPE_CURSOR	2

static const unsigned int sizes[] = { 64, 128, 256 };

struct cursor {
	unsigned int size, variant;
	struct kms_dumb buf;
	uint32_t fb;
	uint32_t *px;	/* size x size ARGB, premultiplied */
};

struct ctx {
	struct kms_wb wb;
	uint32_t cursor_id, cursor_prop[KMS_PLANE_NPROPS];
	struct kms_dumb pbuf;
	uint32_t pfb;
	uint32_t *base, *expect;	/* W x H */
	struct kms_crc crc;	/* open: compare CRCs, not captures */
	unsigned long commits;
};

/* vkms: premultiplied blend in 16 bits, then 8 bits for writeback. */
static uint32_t blend_channel(uint32_t src8, uint32_t dst8, uint32_t alpha8)
{
	uint32_t src = src8 * 257, dst = dst8 * 257, a = alpha8 * 257;
	uint32_t v = (src * 0xffff + dst * (0xffff - a) + 0x7fff) / 0xffff;

	return (v + 128) / 257;
}

static uint32_t blend(uint32_t argb, uint32_t dst)
{
	uint32_t a = argb >> 24;

	return 0xff000000 |
	       blend_channel(argb >> 16 & 0xff, dst >> 16 & 0xff, a) << 16 |
	       blend_channel(argb >> 8 & 0xff, dst >> 8 & 0xff, a) << 8 |
	       blend_channel(argb & 0xff, dst & 0xff, a);
}

/* img = base with cursor @c at (@cx, @cy), blended */
static void draw_ref(uint32_t *img, unsigned int pitch, const uint32_t *base,
		     const struct cursor *c, int cx, int cy)
{
	unsigned int y;
	int i, j;

	for (y = 0; y < H; y++)
		memcpy((char *)img + y * pitch, base + y * W, W * 4);
	if (!c)
		return;
	for (j = 0; j < (int)c->size; j++) {
		uint32_t *row;

		if (cy + j < 0 || cy + j >= H)
			continue;
		row = (uint32_t *)((char *)img + (cy + j) * pitch);
		for (i = 0; i < (int)c->size; i++)
			if (cx + i >= 0 && cx + i < W)
				row[cx + i] = blend(c->px[j * c->size + i],
						    row[cx + i]);
	}
}

/*
 * @translucent: with a band of half-transparent pixels. The CRC tests use
 * opaque and fully transparent pixels only: vkms computes the CRC on its
 * 16-bit blend result, which for partial alpha is not the 8-bit reference
 * value times 257.
 */
static int cursor_create(int fd, struct cursor *c, unsigned int size,
			 unsigned int variant, bool translucent)
{
	uint32_t handles[4], pitches[4], offsets[4] = { 0 };
	unsigned int x, y, b = size / 8;

	memset(c, 0, sizeof(*c));
	c->size = size;
	c->variant = variant;
	c->px = malloc((size_t)size * size * 4);
	if (!c->px || kms_dumb_create(fd, size, size, 32, &c->buf) ||
	    kms_dumb_map(&c->buf))
		return -1;
	for (y = 0; y < size; y++) {
		for (x = 0; x < size; x++) {
			bool edge = x < b || y < b || x >= size - b ||
				    y >= size - b;
			bool band = x < 2 * b || y < 2 * b ||
				    x >= size - 2 * b || y >= size - 2 * b;
			uint32_t p;

			if (edge && (x + y) % 3 == 0)
				p = 0;	/* fully transparent */
			else if (band && translucent)
				/* alpha 0x80, colour <= alpha */
				p = 0x80000000 | ((x * 7) & 0x7f) << 16 |
				    ((y * 5) & 0x7f) << 8 |
				    (variant ? 0x70 : 0x10);
			else		/* opaque */
				p = 0xff000000 | (x * 255 / size) << 16 |
				    (variant ? 0x20 : 0xe0) << 8 |
				    (y * 255 / size);
			c->px[y * size + x] = p;
			((uint32_t *)((char *)c->buf.map +
				      y * c->buf.pitch))[x] = p;
		}
	}
	handles[0] = c->buf.handle;
	pitches[0] = c->buf.pitch;
	if (drmModeAddFB2(fd, size, size, DRM_FORMAT_ARGB8888, handles,
			  pitches, offsets, &c->fb, 0)) {
		printf("ADDFB2 ARGB8888 %ux%u: %s\n", size, size,
		       strerror(errno));
		return -1;
	}
	return 0;
}

static void cursor_destroy(int fd, struct cursor *c)
{
	if (c->fb)
		drmModeRmFB(fd, c->fb);
	kms_dumb_destroy(&c->buf);
	free(c->px);
	memset(c, 0, sizeof(*c));
}

/*
 * One blocking commit: the cursor plane set to @c at (@cx, @cy) or disabled
 * (@c NULL); with @modeset also the CRTC, the connectors and the primary
 * plane. With @crc NULL, the commit has a writeback job and its capture is
 * compared with ctx->expect; otherwise *@crc gets the CRC of the first
 * frame after the commit (ctx->crc open), or nothing is checked (closed).
 * Returns 0, or -1 (printed).
 */
static int commit_check(struct ctx *ctx, const struct cursor *c, int cx,
			int cy, bool modeset, const char *what, uint32_t *crc)
{
	struct kms_wb *wb = &ctx->wb;
	const uint32_t *cp = ctx->cursor_prop;
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	bool use_wb = !crc;
	int32_t fence = -1;
	int err = 0, ret;
	unsigned long bad;

	if (!req)
		return -1;
	/*
	 * 6.12 vkms switches its composer off in the previous writeback job's
	 * cleanup, which runs shortly after that job signalled: a job
	 * committed before it would never complete. Give it time.
	 */
	if (use_wb)
		usleep(10000);
	memset(wb->buf.map, 0x5a, wb->buf.size);
	if (modeset) {
		kms_atomic_add_modeset(req, wb, &err);
		kms_atomic_add_plane(req, wb, wb->plane_id, wb->plane_prop,
				     ctx->pfb, 0, 0, W, H, 0, 0, &err);
	}
	if (c) {
		kms_atomic_add_plane(req, wb, ctx->cursor_id, cp, c->fb, 0, 0,
				     c->size, c->size, cx, cy, &err);
	} else {
		kms_atomic_add(req, ctx->cursor_id, cp[KMS_PLANE_FB_ID], 0,
			       &err);
		kms_atomic_add(req, ctx->cursor_id, cp[KMS_PLANE_CRTC_ID], 0,
			       &err);
	}
	if (use_wb)
		kms_atomic_add_wb_job(req, wb, wb->wb_fb, &fence, &err);
	ret = err ? -1 : drmModeAtomicCommit(wb->fd, req,
					     modeset ?
					     DRM_MODE_ATOMIC_ALLOW_MODESET : 0,
					     NULL);
	drmModeAtomicFree(req);
	if (ret) {
		printf("FAIL: %s: commit failed: %s\n", what, strerror(errno));
		return -1;
	}
	ctx->commits++;
	if (!use_wb && ctx->crc.data < 0)
		return 0;
	if (!use_wb) {
		/* like igt_pipe_crc_get_current(): a frame from now on */
		if (kms_crc_next(&ctx->crc, wb, crc, NULL)) {
			printf("FAIL: %s: no CRC\n", what);
			return -1;
		}
		return 0;
	}
	ret = kms_wb_wait(wb, fence);
	close(fence);
	if (ret) {
		printf("FAIL: %s: no writeback\n", what);
		return -1;
	}
	bad = image_compare(ctx->expect, W * 4, wb->buf.map, wb->buf.pitch,
			    W, H);
	if (bad) {
		printf("FAIL: %s: %lu of %u pixels differ from the reference\n",
		       what, bad, W * H);
		return -1;
	}
	return 0;
}

static int primary_create(struct ctx *ctx)
{
	int fd = ctx->wb.fd;

	if (kms_dumb_create(fd, W, H, 32, &ctx->pbuf) ||
	    kms_dumb_map(&ctx->pbuf) ||
	    kms_add_fb_xrgb(fd, W, H, ctx->pbuf.handle, ctx->pbuf.pitch,
			    &ctx->pfb))
		return -1;
	draw_ref(ctx->pbuf.map, ctx->pbuf.pitch, ctx->base, NULL, 0, 0);
	return 0;
}

static void primary_destroy(struct ctx *ctx)
{
	if (ctx->pfb)
		drmModeRmFB(ctx->wb.fd, ctx->pfb);
	ctx->pfb = 0;
	kms_dumb_destroy(&ctx->pbuf);
}

/*
 * One cursor size at several positions. @crc: as IGT does, compare the CRC
 * with the cursor plane against the CRC of the reference; otherwise
 * compare writeback captures with the expected image.
 */
static int one_size(struct ctx *ctx, unsigned int s, bool crc)
{
	const struct { int x, y; } pos[] = {
		{ -(int)s / 3, -(int)s / 3 }, { 0, 0 }, { W / 2, H / 2 },
		{ W / 4 - (int)s / 3, H / 4 + 7 }, { W - s, H - s },
		{ W - s / 3, H - s / 3 }, { W - s, 0 }, { 0, H - s },
	};
	const char *how = crc ? "CRC" : "writeback";
	unsigned int i, npos = sizeof(pos) / sizeof(pos[0]), bad = 0;
	uint32_t ref_crc = 0, test_crc = 0;
	struct cursor cur[2];
	char what[128];
	int ret = -1;

	memset(cur, 0, sizeof(cur));
	if (primary_create(ctx) ||
	    cursor_create(ctx->wb.fd, &cur[0], s, 0, !crc) ||
	    cursor_create(ctx->wb.fd, &cur[1], s, 1, !crc))
		goto out;
	draw_ref(ctx->expect, W * 4, ctx->base, NULL, 0, 0);
	snprintf(what, sizeof(what), "%s, size %u: modeset", how, s);
	if (crc) {
		/*
		 * the modeset without writeback (a job's cleanup would switch
		 * the composer off), then the CRC capture, which needs the
		 * CRTC on
		 */
		if (commit_check(ctx, NULL, 0, 0, true, what, &ref_crc) ||
		    kms_crc_open(&ctx->crc, "vkms", ctx->wb.crtc_index))
			goto out;
	} else if (commit_check(ctx, NULL, 0, 0, true, what, NULL)) {
		goto out;
	}
	for (i = 0; i < npos; i++) {
		const struct cursor *c = &cur[i & 1];

		/*
		 * reference: the cursor drawn into the displayed primary
		 * framebuffer, the cursor plane off (at the first position
		 * it is off already: the commit does not touch the CRTC)
		 */
		draw_ref(ctx->pbuf.map, ctx->pbuf.pitch, ctx->base, c,
			 pos[i].x, pos[i].y);
		draw_ref(ctx->expect, W * 4, ctx->base, c, pos[i].x, pos[i].y);
		snprintf(what, sizeof(what),
			 "%s, size %u fb %u at (%d,%d): reference (cursor off)",
			 how, s, c->variant, pos[i].x, pos[i].y);
		if (commit_check(ctx, NULL, 0, 0, false, what,
				 crc ? &ref_crc : NULL))
			goto out;
		/* test: the primary without the cursor, the cursor plane on */
		draw_ref(ctx->pbuf.map, ctx->pbuf.pitch, ctx->base, NULL, 0, 0);
		snprintf(what, sizeof(what),
			 "%s, size %u fb %u at (%d,%d): cursor plane", how, s,
			 c->variant, pos[i].x, pos[i].y);
		if (commit_check(ctx, c, pos[i].x, pos[i].y, false, what,
				 crc ? &test_crc : NULL))
			goto out;
		if (crc && test_crc != ref_crc) {
			printf("FAIL: %s: CRC 0x%08x, reference 0x%08x\n",
			       what, test_crc, ref_crc);
			bad++;
		}
	}
	if (bad)
		goto out;
	printf("%s, size %u: %u positions, cursor plane = reference\n", how,
	       s, npos);
	ret = 0;
out:
	kms_crc_close(&ctx->crc);
	/* like IGT: remove the displayed framebuffers */
	cursor_destroy(ctx->wb.fd, &cur[0]);
	cursor_destroy(ctx->wb.fd, &cur[1]);
	primary_destroy(ctx);
	return ret;
}

/* The cursor stays on; framebuffer, size and position change each time. */
static int changing(struct ctx *ctx)
{
	struct cursor cur[6];
	char what[96];
	unsigned int i, n = 0;
	int ret = -1;

	memset(cur, 0, sizeof(cur));
	if (primary_create(ctx))
		goto out;
	for (i = 0; i < 6; i++)
		if (cursor_create(ctx->wb.fd, &cur[i], sizes[i % 3], i / 3,
				  true))
			goto out;
	draw_ref(ctx->expect, W * 4, ctx->base, NULL, 0, 0);
	if (commit_check(ctx, NULL, 0, 0, true, "changing: modeset", NULL))
		goto out;
	for (i = 0; i < 24; i++) {
		/* 64/0 128/0 256/0 64/1 ... then in another order */
		const struct cursor *c = &cur[i < 12 ? i % 6 : (i * 5) % 6];
		int x = (int)((i * 97) % (W + c->size)) - (int)c->size / 2;
		int y = (int)((i * 61) % (H + c->size)) - (int)c->size / 2;

		draw_ref(ctx->expect, W * 4, ctx->base, c, x, y);
		snprintf(what, sizeof(what),
			 "changing %u: size %u fb %u at (%d,%d)", i, c->size,
			 c->variant, x, y);
		if (commit_check(ctx, c, x, y, false, what, NULL))
			goto out;
		n++;
	}
	printf("changing: %u commits with a new cursor framebuffer each, exact\n",
	       n);
	ret = 0;
out:
	for (i = 0; i < 6; i++)
		cursor_destroy(ctx->wb.fd, &cur[i]);
	primary_destroy(ctx);
	return ret;
}

static double t_start;

int main(void)
{
	struct ctx ctx;
	unsigned int i;
	int vkms, ret, failed = 0;

	t_start = kms_time();

	memset(&ctx, 0, sizeof(ctx));
	ctx.crc.data = -1;
	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		return KMS_EXIT_SKIP;
	ret = kms_wb_init(&ctx.wb, vkms, W, H);
	if (ret)
		goto out;
	ret = KMS_EXIT_SKIP;
	ctx.cursor_id = kms_find_plane(&ctx.wb, PLANE_TYPE_CURSOR);
	if (!ctx.cursor_id ||
	    kms_plane_props(vkms, ctx.cursor_id, ctx.cursor_prop))
		goto out;
	printf("cursor plane %u\n", ctx.cursor_id);
	ret = KMS_EXIT_FAIL;
	ctx.base = malloc((size_t)W * H * 4);
	ctx.expect = malloc((size_t)W * H * 4);
	if (!ctx.base || !ctx.expect)
		goto out;
	pattern_fill(ctx.base, W, H, W * 4, 4);

	/* IGT's way: CRCs, no writeback */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (one_size(&ctx, sizes[i], true))
			failed++;
	/* pixel-exact, through writeback */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (one_size(&ctx, sizes[i], false))
			failed++;
	if (changing(&ctx))
		failed++;
	if (failed) {
		printf("FAIL: %d of 7 parts failed (%lu commits)\n", failed,
		       ctx.commits);
		goto out;
	}
	printf("ok: %lu commits, every capture equal to its reference\n",
	       ctx.commits);
	ret = KMS_EXIT_PASS;
out:
	if (ctx.wb.kicks)
		printf("(%u stalled writeback jobs restarted)\n", ctx.wb.kicks);
	free(ctx.base);
	free(ctx.expect);
	kms_wb_fini(&ctx.wb);
	close(vkms);
	printf("%s: %.1f s\n", "vkms_cursor", kms_time() - t_start);
	return ret;
}
