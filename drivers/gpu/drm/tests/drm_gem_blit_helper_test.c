// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for drm_gem_fb_blit_damage().
 *
 * Framebuffers are built from native SHMEM objects and from objects
 * imported from the recording test exporter. The blit callback copies each
 * clip out of the mappings it is given into a zeroed image per color plane;
 * the result must equal, byte for byte, the source content inside the
 * expected clips and zero outside. The exporter's log shows the order of
 * begin/end_cpu_access and map/unmap and whether the reservation was held.
 */

#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>

#include <kunit/test.h>
#include <kunit/test-bug.h>

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_atomic_uapi.h>
#include <drm/drm_connector.h>
#include <drm/drm_crtc.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_encoder.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_blit_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_modeset_helper.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_plane.h>
#include <drm/drm_property.h>
#include <drm/drm_rect.h>
#include <drm/drm_simple_kms_helper.h>

#include "drm_test_exporter.h"

#define BT_W		64
#define BT_H		32
#define BT_MAX_CLIPS	8

enum bt_kind { BT_NATIVE, BT_IMPORT, BT_IMPORT_NO_LOCAL };

struct bt_case {
	const char *name;
	u32 format;
	unsigned int pitches[DRM_FORMAT_MAX_PLANES];
	unsigned int offsets[DRM_FORMAT_MAX_PLANES];
	u8 obj[DRM_FORMAT_MAX_PLANES];		/* object of each color plane */
	enum bt_kind kind[DRM_FORMAT_MAX_PLANES];	/* of each object */
	struct drm_rect src;			/* plane source, pixels */
	bool no_damage_blob;			/* full update */
	unsigned int nclips;
	struct drm_mode_rect clips[BT_MAX_CLIPS];
	unsigned int nexpect;
	struct drm_rect expect[BT_MAX_CLIPS];
};

struct bt_rival;
struct bt_signaller;

struct bt_ctx {
	struct kunit *test;
	struct drm_device *drm;

	/* just enough of a plane for the damage iterator */
	struct drm_driver mock_driver;
	struct drm_device mock_dev;
	struct drm_object_properties obj_props;
	struct drm_property prop;
	struct drm_simple_display_pipe pipe;	/* its plane is the one used */

	struct drm_framebuffer fb;
	struct drm_plane_state old_state, new_state;
	struct drm_property_blob damage;

	unsigned int nobjs;
	struct vl_exporter *exp[DRM_FORMAT_MAX_PLANES];	/* NULL: native */
	struct vl_log log;

	/* what the blit callback saw */
	u8 *dst[DRM_FORMAT_MAX_PLANES];
	unsigned int ncalls;
	struct drm_rect seen[BT_MAX_CLIPS];
	unsigned int pins[DRM_FORMAT_MAX_PLANES];	/* after import */
	unsigned int pins_seen;			/* added during the copy */
	int fail_blit;
	struct bt_rival *rival;
	bool rival_gone;
	struct bt_signaller *signaller;
};

/* No short period, so that a wrong offset or pitch shows. */
static u8 bt_byte(unsigned int obj, size_t k)
{
	return (((u32)k * 2654435761u) >> 24) + obj * 101 + 7;
}

static void bt_fill(void *mem, unsigned int obj)
{
	size_t k;

	for (k = 0; k < VL_SIZE; k++)
		((u8 *)mem)[k] = bt_byte(obj, k);
}

static int bt_init(struct kunit *test)
{
	static const struct drm_driver driver = {
		.driver_features = DRIVER_GEM,
		.fops = &vl_fops,
		.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	};
	struct bt_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->test = test;
	ctx->drm = vl_alloc_drm(test, &driver);
	test->priv = ctx;

	ctx->mock_dev.driver = &ctx->mock_driver;
	ctx->mock_dev.mode_config.prop_fb_damage_clips = &ctx->prop;
	ctx->pipe.plane.dev = &ctx->mock_dev;
	ctx->pipe.plane.base.properties = &ctx->obj_props;
	ctx->prop.base.id = 1;
	ctx->prop.dev = &ctx->mock_dev;
	drm_plane_enable_fb_damage_clips(&ctx->pipe.plane);

	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(bt_shmem_free, drm_gem_shmem_free,
			    struct drm_gem_shmem_object *);

/* A native object with bt_byte() content. */
static struct drm_gem_object *bt_native(struct bt_ctx *ctx, unsigned int i)
{
	struct kunit *test = ctx->test;
	struct drm_gem_shmem_object *shmem;
	struct iosys_map map;

	shmem = drm_gem_shmem_create(ctx->drm, VL_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_shmem_free,
							shmem), 0);
	dma_resv_lock(shmem->base.resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_shmem_vmap(shmem, &map), 0);
	bt_fill(map.vaddr, i);
	drm_gem_shmem_vunmap(shmem, &map);
	dma_resv_unlock(shmem->base.resv);

	return &shmem->base;
}

/* An imported object with bt_byte() content, whichever way it is mapped. */
static struct drm_gem_object *bt_imported(struct bt_ctx *ctx, unsigned int i,
					  bool local)
{
	struct drm_gem_object *obj;
	struct vl_exporter *exp;

	exp = vl_export(ctx->test, local ? &vl_ops : &vl_ops_no_local);
	bt_fill(exp->local_mem, i);
	bt_fill(exp->vmap_mem, i);
	exp->log = &ctx->log;
	exp->id = '1' + i;
	ctx->exp[i] = exp;

	obj = vl_import(ctx->test, ctx->drm, exp);
	/* Importing may pin (the attachment's mapping); that is not ours. */
	ctx->pins[i] = exp->pins;

	return obj;
}

static void bt_setup(struct bt_ctx *ctx, const struct bt_case *t)
{
	struct kunit *test = ctx->test;
	struct drm_gem_object *objs[DRM_FORMAT_MAX_PLANES];
	struct drm_framebuffer *fb = &ctx->fb;
	const struct drm_format_info *info = drm_format_info(t->format);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, info);
	ctx->nobjs = 0;
	for (i = 0; i < info->num_planes; i++)
		ctx->nobjs = max_t(unsigned int, ctx->nobjs, t->obj[i] + 1);
	for (i = 0; i < ctx->nobjs; i++) {
		if (t->kind[i] == BT_NATIVE)
			objs[i] = bt_native(ctx, i);
		else
			objs[i] = bt_imported(ctx, i,
					      t->kind[i] == BT_IMPORT);
	}

	fb->dev = ctx->drm;
	fb->format = info;
	fb->width = BT_W;
	fb->height = BT_H;
	for (i = 0; i < info->num_planes; i++) {
		fb->obj[i] = objs[t->obj[i]];
		fb->pitches[i] = t->pitches[i];
		fb->offsets[i] = t->offsets[i];
		ctx->dst[i] = kunit_kzalloc(test, VL_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ctx->dst[i]);
	}

	ctx->old_state.plane = &ctx->pipe.plane;
	ctx->new_state.plane = &ctx->pipe.plane;
	ctx->new_state.crtc = ZERO_SIZE_PTR;
	ctx->new_state.fb = fb;
	ctx->new_state.visible = true;
	ctx->new_state.src.x1 = t->src.x1 << 16;
	ctx->new_state.src.y1 = t->src.y1 << 16;
	ctx->new_state.src.x2 = t->src.x2 << 16;
	ctx->new_state.src.y2 = t->src.y2 << 16;
	ctx->new_state.src_x = ctx->new_state.src.x1;
	ctx->new_state.src_y = ctx->new_state.src.y1;
	ctx->new_state.src_w = drm_rect_width(&ctx->new_state.src);
	ctx->new_state.src_h = drm_rect_height(&ctx->new_state.src);
	ctx->old_state.src = ctx->new_state.src;
	if (!t->no_damage_blob) {
		ctx->damage.data = (void *)t->clips;
		ctx->damage.length = t->nclips * sizeof(t->clips[0]);
		ctx->new_state.fb_damage_clips = &ctx->damage;
	}
}

/* Bytes of color plane @i, without its offset. */
static size_t drm_gem_blit_test_plane_size(const struct drm_framebuffer *fb,
					   unsigned int i)
{
	unsigned int vsub = i ? fb->format->vsub : 1;

	return (size_t)fb->pitches[i] * DIV_ROUND_UP(fb->height, vsub);
}

/* The rows and bytes of color plane @i that clip @r covers. */
static void bt_plane_span(const struct drm_framebuffer *fb, unsigned int i,
			  const struct drm_rect *r, unsigned int *x1,
			  unsigned int *y1, unsigned int *x2, unsigned int *y2)
{
	unsigned int hsub = i ? fb->format->hsub : 1;
	unsigned int vsub = i ? fb->format->vsub : 1;

	*x1 = r->x1 / hsub * fb->format->cpp[i];
	*x2 = DIV_ROUND_UP(r->x2, hsub) * fb->format->cpp[i];
	*y1 = r->y1 / vsub;
	*y2 = DIV_ROUND_UP(r->y2, vsub);
}

static int bt_blit(void *priv, struct drm_framebuffer *fb,
		   const struct iosys_map *src, const struct drm_rect *clip)
{
	struct bt_ctx *ctx = priv;
	unsigned int i, x1, y1, x2, y2, y;

	if (ctx->ncalls < BT_MAX_CLIPS)
		ctx->seen[ctx->ncalls] = *clip;
	ctx->ncalls++;
	for (i = 0; i < ctx->nobjs; i++)
		if (ctx->exp[i])
			ctx->pins_seen += ctx->exp[i]->pins - ctx->pins[i];
	if (ctx->fail_blit)
		return ctx->fail_blit;

	for (i = 0; i < fb->format->num_planes; i++) {
		bt_plane_span(fb, i, clip, &x1, &y1, &x2, &y2);
		for (y = y1; y < y2; y++) {
			size_t off = y * fb->pitches[i] + x1;

			iosys_map_memcpy_from(ctx->dst[i] + off, &src[i], off,
					      x2 - x1);
		}
	}

	return 0;
}

/* Every byte of every color plane: source inside the clips, zero outside. */
static unsigned int bt_check(struct bt_ctx *ctx, const struct bt_case *t)
{
	const struct drm_framebuffer *fb = &ctx->fb;
	unsigned int i, c, x1, y1, x2, y2, bad = 0;
	u8 *want;
	size_t k;

	want = kunit_kzalloc(ctx->test, VL_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(ctx->test, want);
	for (i = 0; i < fb->format->num_planes; i++) {
		memset(want, 0, VL_SIZE);
		for (c = 0; c < t->nexpect; c++) {
			unsigned int y;

			bt_plane_span(fb, i, &t->expect[c], &x1, &y1, &x2, &y2);
			for (y = y1; y < y2; y++) {
				size_t off = y * fb->pitches[i];

				for (k = off + x1; k < off + x2; k++)
					want[k] = bt_byte(t->obj[i],
							  fb->offsets[i] + k);
			}
		}
		for (k = 0; k < VL_SIZE; k++)
			if (ctx->dst[i][k] != want[k])
				bad++;
	}

	return bad;
}

#define RECT(a, b, c, d)	{ .x1 = (a), .y1 = (b), .x2 = (c), .y2 = (d) }
#define FULL			RECT(0, 0, BT_W, BT_H)

static const struct bt_case bt_cases[] = {
	{
		.name = "XRGB8888 native, one clip",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.src = FULL, .nclips = 1, .clips = { RECT(8, 4, 24, 12) },
		.nexpect = 1, .expect = { RECT(8, 4, 24, 12) },
	}, {
		.name = "XRGB8888 imported, many clips",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT }, .src = FULL, .nclips = 3,
		.clips = { RECT(0, 0, 4, 4), RECT(30, 10, 40, 11),
			   RECT(63, 31, 64, 32) },
		.nexpect = 3,
		.expect = { RECT(0, 0, 4, 4), RECT(30, 10, 40, 11),
			    RECT(63, 31, 64, 32) },
	}, {
		.name = "XRGB8888 imported, exporter without vmap_local",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT_NO_LOCAL }, .src = FULL, .nclips = 1,
		.clips = { RECT(1, 2, 33, 20) },
		.nexpect = 1, .expect = { RECT(1, 2, 33, 20) },
	}, {
		.name = "RGB565 native, offset and wide pitch, overlapping clips",
		.format = DRM_FORMAT_RGB565, .pitches = { 192 },
		.offsets = { 512 }, .src = FULL, .nclips = 2,
		.clips = { RECT(2, 2, 20, 10), RECT(10, 5, 30, 15) },
		.nexpect = 2,
		.expect = { RECT(2, 2, 20, 10), RECT(10, 5, 30, 15) },
	}, {
		.name = "NV12, both planes in one imported object",
		.format = DRM_FORMAT_NV12, .pitches = { 64, 64 },
		.offsets = { 0, 4096 }, .obj = { 0, 0 },
		.kind = { BT_IMPORT }, .src = FULL, .nclips = 1,
		.clips = { RECT(3, 3, 17, 9) },
		.nexpect = 1, .expect = { RECT(3, 3, 17, 9) },
	}, {
		.name = "NV12, native Y and imported CbCr",
		.format = DRM_FORMAT_NV12, .pitches = { 80, 96 },
		.offsets = { 256, 1024 }, .obj = { 0, 1 },
		.kind = { BT_NATIVE, BT_IMPORT }, .src = FULL, .nclips = 1,
		.clips = { RECT(0, 0, 64, 32) },
		.nexpect = 1, .expect = { RECT(0, 0, 64, 32) },
	}, {
		.name = "YUV420, three imported objects",
		.format = DRM_FORMAT_YUV420, .pitches = { 64, 32, 32 },
		.obj = { 0, 1, 2 },
		.kind = { BT_IMPORT, BT_IMPORT, BT_IMPORT_NO_LOCAL },
		.src = FULL, .nclips = 1, .clips = { RECT(5, 6, 25, 26) },
		.nexpect = 1, .expect = { RECT(5, 6, 25, 26) },
	}, {
		.name = "clips partly outside the framebuffer",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT }, .src = FULL, .nclips = 2,
		.clips = { RECT(-8, -8, 8, 8), RECT(60, 28, 100, 100) },
		.nexpect = 2, .expect = { RECT(0, 0, 8, 8), RECT(60, 28, 64, 32) },
	}, {
		.name = "clips wholly outside the framebuffer",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT }, .src = FULL, .nclips = 2,
		.clips = { RECT(64, 0, 80, 8), RECT(-20, -20, -1, -1) },
		.nexpect = 0,
	}, {
		.name = "no damage clips: full update",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT }, .src = FULL, .no_damage_blob = true,
		.nexpect = 1, .expect = { FULL },
	}, {
		.name = "clip larger than a smaller plane source",
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.src = RECT(16, 8, 48, 24), .nclips = 2,
		.clips = { FULL, RECT(0, 0, 16, 8) },
		.nexpect = 1, .expect = { RECT(16, 8, 48, 24) },
	},
};

static void bt_desc(const struct bt_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bt, bt_cases, bt_desc);

/*
 * The copied bytes are exact, the clips are the expected ones, every
 * distinct object is prepared, locked and mapped once, nothing stays pinned
 * and nothing is touched at all when there is no damage.
 */
static void drm_gem_blit_test_damage(struct kunit *test)
{
	const struct bt_case *t = test->param_value;
	struct bt_ctx *ctx = test->priv;
	unsigned int i, c;

	bt_setup(ctx, t);
	KUNIT_ASSERT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), 0);

	KUNIT_EXPECT_EQ(test, ctx->ncalls, t->nexpect);
	for (c = 0; c < min(ctx->ncalls, t->nexpect); c++)
		KUNIT_EXPECT_TRUE_MSG(test, drm_rect_equals(&ctx->seen[c],
							    &t->expect[c]),
				      "clip %u: " DRM_RECT_FMT, c,
				      DRM_RECT_ARG(&ctx->seen[c]));
	KUNIT_EXPECT_EQ(test, bt_check(ctx, t), 0);

	for (i = 0; i < ctx->nobjs; i++) {
		struct vl_exporter *exp = ctx->exp[i];
		bool no_local = t->kind[i] == BT_IMPORT_NO_LOCAL;
		unsigned int used = t->nexpect ? 1 : 0;

		if (!exp)
			continue;
		KUNIT_EXPECT_EQ(test, exp->begin_calls, used);
		KUNIT_EXPECT_EQ(test, exp->end_calls, used);
		KUNIT_EXPECT_EQ(test, exp->local_calls, no_local ? 0 : used);
		KUNIT_EXPECT_EQ(test, exp->unlocal_calls, exp->local_calls);
		KUNIT_EXPECT_EQ(test, exp->vmap_calls, no_local ? used : 0);
		KUNIT_EXPECT_EQ(test, exp->vunmap_calls, exp->vmap_calls);
		KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
		KUNIT_EXPECT_EQ(test, exp->locked_calls, 0);
		KUNIT_EXPECT_EQ(test, exp->pins, ctx->pins[i]);
		KUNIT_EXPECT_EQ(test, exp->dmabuf->vmap_local_counter, 0);
		KUNIT_EXPECT_EQ(test, exp->dmabuf->vmapping_counter, 0);
		KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(exp->dmabuf->resv));
	}
}

/* The documented order, for two imported objects. */
static void drm_gem_blit_test_order(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_NV12, .pitches = { 64, 64 },
		.obj = { 0, 1 }, .kind = { BT_IMPORT, BT_IMPORT },
		.src = FULL, .nclips = 1, .clips = { RECT(0, 0, 8, 8) },
	};
	struct bt_ctx *ctx = test->priv;

	bt_setup(ctx, &t);
	KUNIT_ASSERT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), 0);
	ctx->log.ev[ctx->log.len] = '\0';
	KUNIT_EXPECT_STREQ(test, ctx->log.ev, "B1B2M1M2U2U1E2E1");
	KUNIT_EXPECT_EQ(test, ctx->exp[0]->unlocked_calls +
			ctx->exp[1]->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, ctx->exp[0]->locked_calls +
			ctx->exp[1]->locked_calls, 0);
}

/* The pinning fallback holds its pin during the copy only. */
static void drm_gem_blit_test_fallback_pin(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT_NO_LOCAL }, .src = FULL, .nclips = 2,
		.clips = { RECT(0, 0, 8, 8), RECT(8, 8, 16, 16) },
	};
	struct bt_ctx *ctx = test->priv;

	bt_setup(ctx, &t);
	KUNIT_ASSERT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), 0);
	/* one pin held during each of the two clips, none after */
	KUNIT_EXPECT_EQ(test, ctx->pins_seen, 2);
	KUNIT_EXPECT_EQ(test, ctx->exp[0]->pins, ctx->pins[0]);
}

/* Three imported objects, for the failure cases. */
static const struct bt_case bt_three_imports = {
	.format = DRM_FORMAT_YUV420, .pitches = { 64, 32, 32 },
	.obj = { 0, 1, 2 },
	.kind = { BT_IMPORT, BT_IMPORT, BT_IMPORT },
	.src = FULL, .nclips = 1, .clips = { RECT(0, 0, 8, 8) },
};

/* begin_cpu_access failing on the second of three objects ends the first. */
static void drm_gem_blit_test_begin_fails(struct kunit *test)
{
	const struct bt_case *t = &bt_three_imports;
	struct bt_ctx *ctx = test->priv;

	bt_setup(ctx, t);
	ctx->exp[1]->fail_begin = -EIO;
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), -EIO);
	ctx->log.ev[ctx->log.len] = '\0';
	KUNIT_EXPECT_STREQ(test, ctx->log.ev, "B1B2E1");
	KUNIT_EXPECT_EQ(test, ctx->ncalls, 0);
}

/* vmap_local failing on the second object unmaps the first, unwinds all. */
static void drm_gem_blit_test_vmap_fails(struct kunit *test)
{
	const struct bt_case *t = &bt_three_imports;
	struct bt_ctx *ctx = test->priv;
	unsigned int i;

	bt_setup(ctx, t);
	ctx->exp[1]->fail_vmap_local = -ENOMEM;
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), -ENOMEM);
	ctx->log.ev[ctx->log.len] = '\0';
	KUNIT_EXPECT_STREQ(test, ctx->log.ev, "B1B2B3M1M2U1E3E2E1");
	KUNIT_EXPECT_EQ(test, ctx->ncalls, 0);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, ctx->exp[i]->dmabuf->vmap_local_counter,
				0);
		KUNIT_EXPECT_FALSE(test,
				   dma_resv_is_locked(ctx->exp[i]->dmabuf->resv));
	}
}

/* An error from the driver's callback stops the walk and unwinds. */
static void drm_gem_blit_test_blit_fails(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_IMPORT }, .src = FULL, .nclips = 3,
		.clips = { RECT(0, 0, 8, 8), RECT(8, 8, 16, 16),
			   RECT(16, 16, 24, 24) },
	};
	struct bt_ctx *ctx = test->priv;

	bt_setup(ctx, &t);
	ctx->fail_blit = -ENOSPC;
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ctx->ncalls, 1);
	ctx->log.ev[ctx->log.len] = '\0';
	KUNIT_EXPECT_STREQ(test, ctx->log.ev, "B1M1U1E1");
}

struct bt_rival {
	struct dma_resv *resv;
	struct completion held, done;
	bool released;
	int ret;
};

/*
 * Another ww context, older than the helper's, holds one of the
 * reservations for a while. dma_resv locks are wait-die: the younger helper
 * gets -EDEADLK on it, must drop what it holds, wait for the lock and start
 * over.
 */
static int bt_rival_fn(void *data)
{
	struct bt_rival *r = data;
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &reservation_ww_class);
	r->ret = dma_resv_lock(r->resv, &ctx);
	complete(&r->held);
	if (!r->ret) {
		msleep(200);
		WRITE_ONCE(r->released, true);
		dma_resv_unlock(r->resv);
	}
	ww_acquire_fini(&ctx);
	complete(&r->done);
	return 0;
}

static int bt_blit_after_rival(void *priv, struct drm_framebuffer *fb,
			       const struct iosys_map *src,
			       const struct drm_rect *clip)
{
	struct bt_ctx *ctx = priv;

	ctx->rival_gone = READ_ONCE(ctx->rival->released);
	return bt_blit(priv, fb, src, clip);
}

/* A contended reservation is handled by backing off, not by failing. */
static void drm_gem_blit_test_contended(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_NV12, .pitches = { 64, 64 },
		.obj = { 0, 1 }, .kind = { BT_NATIVE, BT_NATIVE },
		.src = FULL, .nclips = 1, .clips = { RECT(0, 0, 16, 16) },
		.nexpect = 1, .expect = { RECT(0, 0, 16, 16) },
	};
	struct bt_ctx *ctx = test->priv;
	struct task_struct *task;
	struct bt_rival r = { };

	bt_setup(ctx, &t);
	/* The helper locks the Y object first; the rival has the other. */
	r.resv = ctx->fb.obj[1]->resv;
	init_completion(&r.held);
	init_completion(&r.done);
	ctx->rival = &r;

	task = kthread_run(bt_rival_fn, &r, "drm_gem_blit_rival");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&r.held);
	KUNIT_ASSERT_EQ(test, r.ret, 0);

	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit_after_rival, ctx),
			0);
	wait_for_completion(&r.done);

	/* The copy ran once, only after the rival let go, and is exact. */
	KUNIT_EXPECT_EQ(test, ctx->ncalls, 1);
	KUNIT_EXPECT_TRUE(test, ctx->rival_gone);
	KUNIT_EXPECT_EQ(test, bt_check(ctx, &t), 0);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(ctx->fb.obj[0]->resv));
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(ctx->fb.obj[1]->resv));
}

/* The plane's atomic state, just enough for drm_atomic_get_old_plane_state(). */
struct bt_commit {
	struct drm_atomic_state state;
	struct __drm_planes_state plane;
};

/* Duplicate the plane's state for a commit of @t's framebuffer and damage. */
static struct drm_gem_blit_plane_state *bt_new_state(struct bt_ctx *ctx,
						     struct bt_commit *commit)
{
	struct drm_plane *plane = &ctx->pipe.plane;
	struct drm_plane_state *state;

	state = drm_gem_blit_duplicate_plane_state(plane);
	KUNIT_ASSERT_NOT_NULL(ctx->test, state);
	state->fb = ctx->new_state.fb;
	state->crtc = ctx->new_state.crtc;
	state->visible = true;
	state->src = ctx->new_state.src;
	state->src_x = ctx->new_state.src_x;
	state->src_y = ctx->new_state.src_y;
	state->src_w = ctx->new_state.src_w;
	state->src_h = ctx->new_state.src_h;
	state->fb_damage_clips = ctx->new_state.fb_damage_clips;

	memset(commit, 0, sizeof(*commit));
	commit->state.planes = &commit->plane;
	commit->plane.ptr = plane;
	commit->plane.old_state = plane->state;
	commit->plane.new_state = state;
	state->state = &commit->state;

	return to_drm_gem_blit_plane_state(state);
}

/*
 * Free a state; its framebuffer is the test's, which holds no reference
 * for it.
 */
static void bt_destroy(struct drm_plane *plane, struct drm_plane_state *state)
{
	state->fb = NULL;
	state->fb_damage_clips = NULL;
	drm_gem_blit_destroy_plane_state(plane, state);
}

/* Make @new the plane's current state, as a commit's swap would. */
static void bt_swap(struct bt_ctx *ctx, struct drm_gem_blit_plane_state *new)
{
	struct drm_plane_state *old = ctx->pipe.plane.state;

	new->base.base.state = NULL;
	ctx->pipe.plane.state = &new->base.base;
	bt_destroy(&ctx->pipe.plane, old);
}

static void bt_plane_fini(void *data)
{
	struct drm_plane *plane = data;

	if (plane->state)
		bt_destroy(plane, plane->state);
	plane->state = NULL;
}

static bool bt_in(const struct drm_rect *r, unsigned int x, unsigned int y)
{
	return x >= r->x1 && x < r->x2 && y >= r->y1 && y < r->y2;
}

/*
 * What an XRGB8888 plane shows, pixel by pixel: the seed of the exporter
 * content each pixel was last copied from. Pixel (x, y) of seed s is
 * bt_byte(s, y * 256 + x * 4 + b): all staging framebuffers below have
 * pitch 256 and no offset.
 */
struct bt_shown {
	u8 seed[BT_H][BT_W];
};

static void bt_show(struct bt_shown *shown, const struct drm_rect *r,
		    unsigned int seed)
{
	unsigned int x, y;

	for (y = 0; y < BT_H; y++)
		for (x = 0; x < BT_W; x++)
			if (bt_in(r, x, y))
				shown->seed[y][x] = seed;
}

/* Pixels of the source rectangle @src whose staged bytes are wrong. */
static unsigned int bt_staged_bad(const struct drm_gem_blit_plane_state *s,
				  const struct bt_shown *shown,
				  const struct drm_rect *src)
{
	const u8 *data = s->base.data[0].vaddr;
	unsigned int x, y, b, bad = 0;

	for (y = src->y1; y < src->y2; y++) {
		for (x = src->x1; x < src->x2; x++) {
			size_t k = y * 256 + x * 4;

			for (b = 0; b < 4; b++) {
				if (data[k + b] !=
				    bt_byte(shown->seed[y][x], k + b)) {
					bad++;
					break;
				}
			}
		}
	}

	return bad;
}

/* Run begin_fb_access for @s as the prepare phase of a commit would. */
static int bt_begin(struct bt_ctx *ctx, struct drm_gem_blit_plane_state *s)
{
	return drm_gem_blit_begin_fb_access(&ctx->pipe.plane, &s->base.base);
}

/* A second framebuffer like ctx->fb, on an imported object of its own. */
static struct drm_framebuffer *bt_fb2(struct bt_ctx *ctx,
				      struct vl_exporter **exp)
{
	struct drm_framebuffer *fb;

	fb = kunit_kzalloc(ctx->test, sizeof(*fb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(ctx->test, fb);
	*fb = ctx->fb;
	*exp = vl_export(ctx->test, &vl_ops);
	(*exp)->log = &ctx->log;
	fb->obj[0] = vl_import(ctx->test, ctx->drm, *exp);

	return fb;
}

static void bt_damage(struct bt_ctx *ctx, const struct drm_mode_rect *clips,
		      unsigned int n)
{
	ctx->damage.data = (void *)clips;
	ctx->damage.length = n * sizeof(*clips);
	ctx->new_state.fb_damage_clips = &ctx->damage;
}

/* Staging cases: XRGB8888, pitch 256, one imported object, full updates. */
static const struct bt_case bt_staging_xrgb = {
	.format = DRM_FORMAT_XRGB8888, .pitches = { 256 },
	.obj = { 0 }, .kind = { BT_IMPORT }, .src = FULL,
	.no_damage_blob = true,
};

/*
 * The staging step: begin_fb_access keeps one staging buffer per plane up
 * to date with what the plane shows, and points the shadow plane's data at
 * it. Content changed outside the declared damage shows what each commit
 * copies:
 * (1) the first commit: the whole source rectangle;
 * (2) damage on the same framebuffer: the damage only, into the same buffer;
 * (3) a flip to another framebuffer with damage: the damage only, as
 *     damage is relative to what the plane shows;
 * (4) no damage: nothing locked, mapped or copied; the buffer is shared;
 * (5) a source rectangle of a quarter: a new, smaller buffer, all of it;
 * (6) plane disabled: no buffer; the old one goes with the old state.
 * The byte counts are exact.
 */
static void drm_gem_blit_test_staging(struct kunit *test)
{
	const struct bt_case t = bt_staging_xrgb;
	static const struct drm_mode_rect clip2 = RECT(4, 2, 20, 10);
	static const struct drm_mode_rect clip3 = RECT(30, 20, 34, 22);
	static const struct drm_rect r2 = RECT(4, 2, 20, 10);
	static const struct drm_rect r3 = RECT(30, 20, 34, 22);
	static const struct drm_rect full = FULL;
	static const struct drm_rect quarter = RECT(0, 0, BT_W, BT_H / 4);
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_blit_plane_state *s[7];
	struct vl_exporter *exp, *exp2;
	struct bt_commit c[7];
	struct drm_framebuffer *fb2;
	struct bt_shown *shown;
	unsigned int calls, calls2;

	shown = kunit_kzalloc(test, sizeof(*shown), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shown);
	bt_setup(ctx, &t);
	exp = ctx->exp[0];
	fb2 = bt_fb2(ctx, &exp2);
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	KUNIT_ASSERT_NOT_NULL(test, ctx->pipe.plane.state);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&ctx->pipe.plane), 0);

	/* 1: everything */
	s[1] = bt_new_state(ctx, &c[1]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[1]), 0);
	KUNIT_ASSERT_NOT_NULL(test, s[1]->buffer);
	KUNIT_ASSERT_FALSE(test, s[1]->base.data[0].is_iomem);
	bt_show(shown, &full, 0);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(s[1], shown, &full), 0);
	KUNIT_EXPECT_EQ(test, s[1]->copied, BT_W * BT_H * 4);
	KUNIT_EXPECT_EQ(test, exp->local_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->pins, ctx->pins[0]);
	bt_swap(ctx, s[1]);

	/* 2: damage only, same buffer */
	bt_fill(exp->local_mem, 7);
	bt_damage(ctx, &clip2, 1);
	s[2] = bt_new_state(ctx, &c[2]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[2]), 0);
	KUNIT_EXPECT_PTR_EQ(test, s[2]->buffer, s[1]->buffer);
	bt_show(shown, &r2, 7);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(s[2], shown, &full), 0);
	KUNIT_EXPECT_EQ(test, s[2]->copied, 16 * 8 * 4);
	bt_swap(ctx, s[2]);

	/* 3: a flip to fb2 with a small clip copies that clip */
	bt_fill(exp2->local_mem, 9);
	ctx->new_state.fb = fb2;
	bt_damage(ctx, &clip3, 1);
	s[3] = bt_new_state(ctx, &c[3]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[3]), 0);
	KUNIT_EXPECT_PTR_EQ(test, s[3]->buffer, s[2]->buffer);
	bt_show(shown, &r3, 9);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(s[3], shown, &full), 0);
	KUNIT_EXPECT_EQ(test, s[3]->copied, 4 * 2 * 4);
	KUNIT_EXPECT_EQ(test, exp2->local_calls, 1);
	bt_swap(ctx, s[3]);

	/* 4: no damage: shared, nothing touched */
	calls = exp->begin_calls;
	calls2 = exp2->begin_calls;
	bt_damage(ctx, &clip3, 0);
	s[4] = bt_new_state(ctx, &c[4]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[4]), 0);
	KUNIT_EXPECT_EQ(test, exp->begin_calls, calls);
	KUNIT_EXPECT_EQ(test, exp2->begin_calls, calls2);
	KUNIT_EXPECT_PTR_EQ(test, s[4]->buffer, s[3]->buffer);
	KUNIT_EXPECT_EQ(test, s[4]->seq, s[3]->seq);
	KUNIT_EXPECT_EQ(test, s[4]->copied, 0);
	KUNIT_EXPECT_EQ(test, s[4]->total,
			(u64)BT_W * BT_H * 4 + 16 * 8 * 4 + 4 * 2 * 4);
	bt_swap(ctx, s[4]);

	/* 5: a quarter of the source: a smaller buffer, all of it copied */
	ctx->new_state.src.y2 = (BT_H / 4) << 16;
	ctx->new_state.src_h = (BT_H / 4) << 16;
	bt_damage(ctx, &clip3, 1);
	s[5] = bt_new_state(ctx, &c[5]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[5]), 0);
	KUNIT_EXPECT_PTR_NE(test, s[5]->buffer, s[4]->buffer);
	bt_show(shown, &quarter, 9);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(s[5], shown, &quarter), 0);
	KUNIT_EXPECT_EQ(test, s[5]->copied, BT_W * BT_H / 4 * 4);
	bt_swap(ctx, s[5]);

	/* 6: disabled: no buffer */
	ctx->new_state.fb = NULL;
	s[6] = bt_new_state(ctx, &c[6]);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s[6]), 0);
	KUNIT_EXPECT_NULL(test, s[6]->buffer);
	KUNIT_EXPECT_NULL(test, s[6]->base.data[0].vaddr);
	bt_swap(ctx, s[6]);
}

/*
 * A commit that fails after begin_fb_access wrote into the buffer leaves
 * the plane showing the old state, whose content the buffer no longer
 * holds: the next commit copies the whole plane, even without damage.
 */
static void drm_gem_blit_test_staging_failed_commit(struct kunit *test)
{
	const struct bt_case t = bt_staging_xrgb;
	static const struct drm_mode_rect clip = RECT(4, 2, 20, 10);
	static const struct drm_rect full = FULL;
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_blit_plane_state *s1, *s2, *s3;
	struct bt_commit c1, c2, c3;
	struct bt_shown *shown;

	shown = kunit_kzalloc(test, sizeof(*shown), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shown);
	bt_setup(ctx, &t);
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&ctx->pipe.plane), 0);
	s1 = bt_new_state(ctx, &c1);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s1), 0);
	bt_swap(ctx, s1);

	/* Commit 2 stages its clip, then fails: its state is dropped. */
	bt_fill(ctx->exp[0]->local_mem, 5);
	bt_damage(ctx, &clip, 1);
	s2 = bt_new_state(ctx, &c2);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s2), 0);
	bt_destroy(&ctx->pipe.plane, &s2->base.base);

	/* Commit 3 without damage must not trust the buffer. */
	bt_fill(ctx->exp[0]->local_mem, 6);
	bt_damage(ctx, &clip, 0);
	s3 = bt_new_state(ctx, &c3);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s3), 0);
	bt_show(shown, &full, 6);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(s3, shown, &full), 0);
	KUNIT_EXPECT_EQ(test, s3->copied, BT_W * BT_H * 4);
	bt_swap(ctx, s3);
}

/*
 * A plane reset between duplicating a state and committing it, as
 * drm_atomic_helper_resume() does with the state saved at suspend: the
 * commit's old state, the reset one, decides; the saved state's buffer is
 * dropped, not mixed with the new state.
 */
static void drm_gem_blit_test_staging_reset(struct kunit *test)
{
	const struct bt_case t = bt_staging_xrgb;
	static const struct drm_mode_rect clip = RECT(4, 2, 20, 10);
	static const struct drm_rect full = FULL;
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_blit_plane_state *s1, *saved;
	struct drm_gem_blit_buffer *before;
	struct bt_commit c1, c2;
	struct bt_shown *shown;

	shown = kunit_kzalloc(test, sizeof(*shown), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shown);
	bt_setup(ctx, &t);
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&ctx->pipe.plane), 0);
	s1 = bt_new_state(ctx, &c1);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s1), 0);
	bt_swap(ctx, s1);
	before = s1->buffer;

	/* suspend: duplicate; resume: reset, then commit the duplicate */
	bt_damage(ctx, &clip, 1);
	saved = bt_new_state(ctx, &c2);
	KUNIT_EXPECT_PTR_EQ(test, saved->buffer, before);
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	c2.plane.old_state = ctx->pipe.plane.state;

	bt_fill(ctx->exp[0]->local_mem, 3);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, saved), 0);
	bt_show(shown, &full, 3);
	KUNIT_EXPECT_EQ(test, bt_staged_bad(saved, shown, &full), 0);
	KUNIT_EXPECT_EQ(test, saved->copied, BT_W * BT_H * 4);
	bt_swap(ctx, saved);
}

/*
 * Formats with less than a byte per pixel (cpp 0): C1 has 8 pixels a byte.
 * Columns 3 to 13 touch bytes 0 and 1 of each row.
 */
static void drm_gem_blit_test_staging_c1(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_C1, .pitches = { 16 },
		.obj = { 0 }, .kind = { BT_IMPORT }, .src = FULL,
		.nclips = 1, .clips = { RECT(3, 1, 13, 4) },
	};
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_blit_plane_state *s1, *s2;
	struct bt_commit c1, c2;
	unsigned int y, k, bad = 0;
	const u8 *data;

	bt_setup(ctx, &t);
	ctx->new_state.fb_damage_clips = NULL;
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&ctx->pipe.plane), 0);
	s1 = bt_new_state(ctx, &c1);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s1), 0);
	KUNIT_EXPECT_EQ(test, s1->copied, BT_W / 8 * BT_H);
	bt_swap(ctx, s1);

	bt_fill(ctx->exp[0]->local_mem, 4);
	bt_damage(ctx, t.clips, 1);
	s2 = bt_new_state(ctx, &c2);
	KUNIT_ASSERT_EQ(test, bt_begin(ctx, s2), 0);
	KUNIT_EXPECT_EQ(test, s2->copied, 2 * 3);
	data = s2->base.data[0].vaddr;
	for (y = 0; y < BT_H; y++) {
		for (k = 0; k < BT_W / 8; k++) {
			bool in = y >= 1 && y < 4 && k < 2;

			if (data[y * 16 + k] != bt_byte(in ? 4 : 0, y * 16 + k))
				bad++;
		}
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	bt_swap(ctx, s2);
}

/*
 * A staging buffer larger than INT_MAX bytes is refused with an error,
 * before anything is allocated, locked or mapped, and without a warning.
 */
static void drm_gem_blit_test_staging_huge(struct kunit *test)
{
	const struct bt_case t = bt_staging_xrgb;
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_blit_plane_state *s1;
	struct bt_commit c1;

	bt_setup(ctx, &t);
	ctx->fb.pitches[0] = SZ_128M;	/* 32 rows: 4 GiB */
	drm_gem_blit_reset_plane(&ctx->pipe.plane);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&ctx->pipe.plane), 0);
	s1 = bt_new_state(ctx, &c1);
	KUNIT_EXPECT_EQ(test, bt_begin(ctx, s1), -E2BIG);
	KUNIT_EXPECT_NULL(test, s1->buffer);
	KUNIT_EXPECT_EQ(test, ctx->exp[0]->begin_calls, 0);
	bt_destroy(&ctx->pipe.plane, &s1->base.base);
}

/*
 * Two objects that share one reservation (as the objects of one VM do in
 * some drivers) are locked once, and the copy works.
 */
static void drm_gem_blit_test_shared_resv(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_NV12, .pitches = { 64, 64 },
		.obj = { 0, 1 }, .kind = { BT_NATIVE, BT_NATIVE },
		.src = FULL, .nclips = 1, .clips = { RECT(0, 0, 16, 16) },
		.nexpect = 1, .expect = { RECT(0, 0, 16, 16) },
	};
	struct bt_ctx *ctx = test->priv;
	struct drm_gem_object *obj1;
	struct dma_resv *own;

	bt_setup(ctx, &t);
	obj1 = ctx->fb.obj[1];
	own = obj1->resv;
	obj1->resv = ctx->fb.obj[0]->resv;
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit, ctx), 0);
	obj1->resv = own;
	KUNIT_EXPECT_EQ(test, ctx->ncalls, 1);
	KUNIT_EXPECT_EQ(test, bt_check(ctx, &t), 0);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(ctx->fb.obj[0]->resv));
}

/*
 * A fence of the test's own, signalled by a kthread after a delay. It is
 * the first member, so that the fence's release frees it all.
 */
static const char *bt_fence_name(struct dma_fence *f)
{
	return "drm_gem_blit_test";
}

static const struct dma_fence_ops bt_fence_ops = {
	.get_driver_name = bt_fence_name,
	.get_timeline_name = bt_fence_name,
};

struct bt_signaller {
	struct dma_fence fence;
	spinlock_t lock;	/* the fence's */
	unsigned int delay_ms;
	bool signalled;		/* set just before the signal */
	struct completion done;
};

static int bt_signal_fn(void *data)
{
	struct bt_signaller *sig = data;

	msleep(sig->delay_ms);
	WRITE_ONCE(sig->signalled, true);
	dma_fence_signal(&sig->fence);
	complete(&sig->done);
	dma_fence_put(&sig->fence);
	return 0;
}

static struct bt_signaller *bt_signal_later(struct kunit *test,
					    unsigned int delay_ms)
{
	struct bt_signaller *sig;
	struct task_struct *task;

	sig = kzalloc(sizeof(*sig), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sig);
	spin_lock_init(&sig->lock);
	dma_fence_init(&sig->fence, &bt_fence_ops, &sig->lock,
		       dma_fence_context_alloc(1), 1);
	sig->delay_ms = delay_ms;
	init_completion(&sig->done);
	dma_fence_get(&sig->fence);	/* the kthread's */
	task = kthread_run(bt_signal_fn, sig, "drm_gem_blit_fence");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));

	return sig;
}

static int bt_blit_after_fence(void *priv, struct drm_framebuffer *fb,
			       const struct iosys_map *src,
			       const struct drm_rect *clip)
{
	struct bt_ctx *ctx = priv;

	ctx->rival_gone = READ_ONCE(ctx->signaller->signalled);
	return bt_blit(priv, fb, src, clip);
}

/*
 * The plane state's fence (prepare_fb's: an IN_FENCE_FD, or the implicit
 * fences) is waited for before the copy.
 */
static void drm_gem_blit_test_state_fence(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_NATIVE }, .src = FULL, .nclips = 1,
		.clips = { RECT(0, 0, 8, 8) },
		.nexpect = 1, .expect = { RECT(0, 0, 8, 8) },
	};
	struct bt_ctx *ctx = test->priv;
	struct bt_signaller *sig;

	bt_setup(ctx, &t);
	sig = bt_signal_later(test, 100);
	ctx->signaller = sig;
	ctx->new_state.fence = &sig->fence;
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit_after_fence, ctx),
			0);
	wait_for_completion(&sig->done);
	KUNIT_EXPECT_TRUE(test, ctx->rival_gone);
	KUNIT_EXPECT_EQ(test, bt_check(ctx, &t), 0);
	ctx->new_state.fence = NULL;
	ctx->signaller = NULL;
	dma_fence_put(&sig->fence);
}

/*
 * An explicit fence overrides the implicit ones, as in
 * drm_gem_plane_helper_prepare_fb(): with a signalled plane fence, an
 * unsignalled implicit write fence of a native object is not waited for.
 */
static void drm_gem_blit_test_explicit_fence(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_XRGB8888, .pitches = { BT_W * 4 },
		.kind = { BT_NATIVE }, .src = FULL, .nclips = 1,
		.clips = { RECT(0, 0, 8, 8) },
		.nexpect = 1, .expect = { RECT(0, 0, 8, 8) },
	};
	struct bt_ctx *ctx = test->priv;
	struct bt_signaller *sig;
	struct dma_resv *resv;

	bt_setup(ctx, &t);
	resv = ctx->fb.obj[0]->resv;
	sig = bt_signal_later(test, 500);
	ctx->signaller = sig;
	dma_resv_lock(resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_resv_reserve_fences(resv, 1), 0);
	dma_resv_add_fence(resv, &sig->fence, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(resv);

	ctx->new_state.fence = dma_fence_get_stub();
	KUNIT_EXPECT_EQ(test, drm_gem_fb_blit_damage(&ctx->old_state,
						     &ctx->new_state,
						     bt_blit_after_fence, ctx),
			0);
	KUNIT_EXPECT_FALSE(test, ctx->rival_gone);
	KUNIT_EXPECT_EQ(test, bt_check(ctx, &t), 0);
	dma_fence_put(ctx->new_state.fence);
	ctx->new_state.fence = NULL;
	wait_for_completion(&sig->done);
	ctx->signaller = NULL;
	dma_fence_put(&sig->fence);
}

/*
 * The simple display pipe glue: the same staging step, reached through
 * &struct drm_simple_display_pipe. A duplicated state shares the current
 * state's buffer; begin_fb_access fills one with the whole plane.
 */
static void drm_gem_blit_test_simple_kms(struct kunit *test)
{
	static const struct bt_case t = {
		.format = DRM_FORMAT_XRGB8888, .pitches = { 256 },
		.obj = { 0 }, .kind = { BT_IMPORT }, .src = FULL,
		.no_damage_blob = true, .nexpect = 1, .expect = { FULL },
	};
	struct bt_ctx *ctx = test->priv;
	struct drm_simple_display_pipe *pipe = &ctx->pipe;
	struct drm_gem_blit_plane_state *cur, *new;
	struct drm_plane_state *state;
	struct bt_commit c;

	bt_setup(ctx, &t);
	drm_gem_blit_simple_kms_reset_plane(pipe);
	KUNIT_ASSERT_NOT_NULL(test, pipe->plane.state);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bt_plane_fini,
							&pipe->plane), 0);
	cur = to_drm_gem_blit_plane_state(pipe->plane.state);
	KUNIT_EXPECT_NULL(test, cur->buffer);

	new = bt_new_state(ctx, &c);
	KUNIT_ASSERT_EQ(test,
			drm_gem_blit_simple_kms_begin_fb_access(pipe,
								&new->base.base),
			0);
	memcpy(ctx->dst[0], new->base.data[0].vaddr,
	       drm_gem_blit_test_plane_size(&ctx->fb, 0));
	KUNIT_EXPECT_EQ(test, bt_check(ctx, &t), 0);
	KUNIT_EXPECT_EQ(test, ctx->exp[0]->local_calls, 1);
	bt_swap(ctx, new);

	state = drm_gem_blit_simple_kms_duplicate_plane_state(pipe);
	KUNIT_ASSERT_NOT_NULL(test, state);
	cur = to_drm_gem_blit_plane_state(pipe->plane.state);
	KUNIT_EXPECT_PTR_EQ(test, to_drm_gem_blit_plane_state(state)->buffer,
			    cur->buffer);
	drm_gem_blit_simple_kms_destroy_plane_state(pipe, state);
}

static struct kunit_case drm_gem_blit_cases[] = {
	KUNIT_CASE_PARAM(drm_gem_blit_test_damage, bt_gen_params),
	KUNIT_CASE(drm_gem_blit_test_order),
	KUNIT_CASE(drm_gem_blit_test_fallback_pin),
	KUNIT_CASE(drm_gem_blit_test_begin_fails),
	KUNIT_CASE(drm_gem_blit_test_vmap_fails),
	KUNIT_CASE(drm_gem_blit_test_blit_fails),
	KUNIT_CASE(drm_gem_blit_test_contended),
	KUNIT_CASE(drm_gem_blit_test_shared_resv),
	KUNIT_CASE(drm_gem_blit_test_state_fence),
	KUNIT_CASE(drm_gem_blit_test_explicit_fence),
	KUNIT_CASE(drm_gem_blit_test_staging),
	KUNIT_CASE(drm_gem_blit_test_staging_failed_commit),
	KUNIT_CASE(drm_gem_blit_test_staging_reset),
	KUNIT_CASE(drm_gem_blit_test_staging_c1),
	KUNIT_CASE(drm_gem_blit_test_staging_huge),
	KUNIT_CASE(drm_gem_blit_test_simple_kms),
	{}
};

static struct kunit_suite drm_gem_blit_suite = {
	.name = "drm_gem_blit_helper",
	.init = bt_init,
	.test_cases = drm_gem_blit_cases,
};

/*
 * Whole atomic commits through the DRM core, on a device whose commit tail
 * is annotated as a dma-fence signalling critical section, as the tail of a
 * nonblocking commit is: no reservation lock may be taken and no fence
 * waited for inside it. With lockdep, dma_resv_lockdep() has recorded at
 * boot that fences are waited for under reservation locks, so a helper that
 * locked a reservation inside the tail would close a cycle and lockdep
 * would report it (and turn itself off, which the test checks).
 */
struct bc_ctx {
	struct kunit *test;
	struct drm_device *drm;
	struct drm_plane *plane;
	struct drm_crtc *crtc;
	struct drm_encoder encoder;
	struct drm_connector connector;
	struct drm_display_mode mode;
	struct vl_exporter *exp;
	struct vl_log log;
	u32 *device;		/* what atomic_update sent to the "device" */
	unsigned int updates;	/* atomic_update calls that sent a clip */
	bool in_tail;
	unsigned int slow_ms;	/* atomic_update sleeps halfway through */
	unsigned int torn;	/* updates whose rows came from two copies */
	int shown[8];		/* the content each slow update sent */
};

#define BC_W	64
#define BC_H	32

static void bc_mark(struct bc_ctx *ctx, char what)
{
	if (ctx->log.len + 2 < sizeof(ctx->log.ev)) {
		ctx->log.ev[ctx->log.len++] = what;
		ctx->log.ev[ctx->log.len++] = '-';
	}
}

/* The running case's context, also for commit tails in a worker. */
static struct bc_ctx *bc_current;

static struct bc_ctx *bc_of(struct drm_device *drm)
{
	return bc_current;
}

static void bc_commit_tail(struct drm_atomic_state *state)
{
	struct bc_ctx *ctx = bc_of(state->dev);
	bool cookie = dma_fence_begin_signalling();

	ctx->in_tail = true;
	bc_mark(ctx, 'T');
	drm_atomic_helper_commit_tail(state);
	bc_mark(ctx, 't');
	ctx->in_tail = false;
	dma_fence_end_signalling(cookie);
}

static const struct drm_mode_config_helper_funcs bc_mode_config_helpers = {
	.atomic_commit_tail = bc_commit_tail,
};

static const struct drm_mode_config_funcs bc_mode_config_funcs = {
	.atomic_check = drm_atomic_helper_check,
	.atomic_commit = drm_atomic_helper_commit,
};

static int bc_plane_atomic_check(struct drm_plane *plane,
				 struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_crtc_state *crtc_state = NULL;

	if (new->crtc)
		crtc_state = drm_atomic_get_new_crtc_state(state, new->crtc);

	return drm_atomic_helper_check_plane_state(new, crtc_state,
						   DRM_PLANE_NO_SCALING,
						   DRM_PLANE_NO_SCALING,
						   false, false);
}

/*
 * The seed of the content that the rows of @clip on the device came from,
 * or -1 if they came from more than one.
 */
static int bc_seed(struct bc_ctx *ctx, const struct drm_rect *clip)
{
	const u8 *first = (const u8 *)&ctx->device[clip->y1 * BC_W + clip->x1];
	unsigned int seed, y;

	/* bt_byte() differs by 101 per seed: find the first pixel's seed. */
	for (seed = 0; seed < 256; seed++)
		if (first[0] == bt_byte(seed, (clip->y1 * BC_W + clip->x1) * 4))
			break;
	for (y = clip->y1; y < clip->y2; y++) {
		const u8 *px = (const u8 *)&ctx->device[y * BC_W + clip->x1];

		if (px[0] != bt_byte(seed, (y * BC_W + clip->x1) * 4))
			return -1;
	}

	return seed;
}

/* What a driver's update does: send the staged damage to the device. */
static void bc_plane_atomic_update(struct drm_plane *plane,
				   struct drm_atomic_state *state)
{
	struct drm_plane_state *old = drm_atomic_get_old_plane_state(state,
								     plane);
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state,
								     plane);
	struct drm_shadow_plane_state *shadow = to_drm_shadow_plane_state(new);
	struct bc_ctx *ctx = bc_of(plane->dev);
	struct drm_atomic_helper_damage_iter iter;
	struct drm_rect clip;
	unsigned int y;

	bc_mark(ctx, 'A');
	drm_atomic_helper_damage_iter_init(&iter, old, new);
	drm_atomic_for_each_plane_damage(&iter, &clip) {
		for (y = clip.y1; y < clip.y2; y++) {
			/* a slow device: the next commit may run meanwhile */
			if (ctx->slow_ms && y == (clip.y1 + clip.y2) / 2)
				msleep(ctx->slow_ms);
			memcpy(ctx->device + y * BC_W + clip.x1,
			       shadow->data[0].vaddr +
			       y * new->fb->pitches[0] + clip.x1 * 4,
			       drm_rect_width(&clip) * 4);
		}
		if (ctx->slow_ms && ctx->updates < ARRAY_SIZE(ctx->shown)) {
			ctx->shown[ctx->updates] = bc_seed(ctx, &clip);
			if (ctx->shown[ctx->updates] < 0)
				ctx->torn++;
		}
		ctx->updates++;
	}
}

static const struct drm_plane_helper_funcs bc_plane_helpers = {
	DRM_GEM_BLIT_PLANE_HELPER_FUNCS,
	.atomic_check = bc_plane_atomic_check,
	.atomic_update = bc_plane_atomic_update,
};

static const struct drm_plane_funcs bc_plane_funcs = {
	.update_plane = drm_atomic_helper_update_plane,
	.disable_plane = drm_atomic_helper_disable_plane,
	DRM_GEM_BLIT_PLANE_FUNCS,
};

static const struct drm_encoder_helper_funcs bc_encoder_helpers;
static const struct drm_connector_helper_funcs bc_connector_helpers;

static const struct drm_connector_funcs bc_connector_funcs = {
	.reset = drm_atomic_helper_connector_reset,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

static int bc_init(struct kunit *test)
{
	static const struct drm_driver driver = {
		.driver_features = DRIVER_GEM | DRIVER_MODESET | DRIVER_ATOMIC,
		.fops = &vl_fops,
		.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	};
	static const u32 formats[] = { DRM_FORMAT_XRGB8888 };
	static const struct drm_display_mode mode = {
		DRM_SIMPLE_MODE(BC_W, BC_H, 0, 0),
	};
	struct bc_ctx *ctx;
	struct drm_device *drm;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->test = test;
	test->priv = ctx;
	bc_current = ctx;
	ctx->device = kunit_kzalloc(test, BC_W * BC_H * 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->device);
	ctx->mode = mode;

	drm = vl_alloc_drm(test, &driver);
	ctx->drm = drm;
	drm->mode_config.funcs = &bc_mode_config_funcs;
	drm->mode_config.helper_private = &bc_mode_config_helpers;
	drm->mode_config.max_width = 4096;
	drm->mode_config.max_height = 4096;

	ctx->plane = drm_kunit_helper_create_primary_plane(test, drm,
							   &bc_plane_funcs,
							   &bc_plane_helpers,
							   formats, 1, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->plane);
	drm_plane_enable_fb_damage_clips(ctx->plane);
	ctx->crtc = drm_kunit_helper_create_crtc(test, drm, ctx->plane, NULL,
						 NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->crtc);

	KUNIT_ASSERT_EQ(test, drmm_encoder_init(drm, &ctx->encoder, NULL,
						DRM_MODE_ENCODER_VIRTUAL,
						NULL), 0);
	drm_encoder_helper_add(&ctx->encoder, &bc_encoder_helpers);
	ctx->encoder.possible_crtcs = drm_crtc_mask(ctx->crtc);
	KUNIT_ASSERT_EQ(test, drmm_connector_init(drm, &ctx->connector,
						  &bc_connector_funcs,
						  DRM_MODE_CONNECTOR_VIRTUAL,
						  NULL), 0);
	drm_connector_helper_add(&ctx->connector, &bc_connector_helpers);
	KUNIT_ASSERT_EQ(test, drm_connector_attach_encoder(&ctx->connector,
							   &ctx->encoder), 0);
	drm_mode_config_reset(drm);

	return 0;
}

static void bc_fb_put(void *fb)
{
	drm_framebuffer_put(fb);
}

/* An XRGB8888 framebuffer on a buffer imported from the test exporter. */
static struct drm_framebuffer *bc_fb(struct bc_ctx *ctx)
{
	static const struct drm_mode_fb_cmd2 cmd = {
		.width = BC_W, .height = BC_H,
		.pixel_format = DRM_FORMAT_XRGB8888,
		.pitches = { BC_W * 4 },
	};
	static const struct drm_framebuffer_funcs funcs = {
		.destroy = drm_gem_fb_destroy,
	};
	struct kunit *test = ctx->test;
	struct drm_framebuffer *fb;
	struct drm_gem_object *obj;

	ctx->exp = vl_export(test, &vl_ops);
	ctx->exp->log = &ctx->log;
	ctx->exp->id = '1';
	obj = vl_import(test, ctx->drm, ctx->exp);

	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fb);
	drm_gem_object_get(obj);	/* the framebuffer's reference */
	fb->obj[0] = obj;
	drm_helper_mode_fill_fb_struct(ctx->drm, fb, &cmd);
	KUNIT_ASSERT_EQ(test, drm_framebuffer_init(ctx->drm, fb, &funcs), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bc_fb_put, fb),
			0);

	return fb;
}

static void bc_shutdown(void *drm)
{
	drm_atomic_helper_shutdown(drm);
}

/* Commit @fb on the pipe, with @nclips damage clips (0: none given). */
static int __bc_commit(struct bc_ctx *ctx, struct drm_framebuffer *fb,
		       const struct drm_mode_rect *clips, unsigned int nclips,
		       bool nonblock)
{
	struct drm_modeset_acquire_ctx acquire;
	struct drm_atomic_state *state;
	struct drm_crtc_state *crtc_state;
	struct drm_plane_state *plane_state;
	struct drm_connector_state *conn_state;
	struct drm_property_blob *damage = NULL;
	int ret;

	if (nclips) {
		damage = drm_property_create_blob(ctx->drm,
						  nclips * sizeof(*clips),
						  clips);
		if (IS_ERR(damage))
			return PTR_ERR(damage);
	}

	DRM_MODESET_LOCK_ALL_BEGIN(ctx->drm, acquire, 0, ret);
	state = drm_atomic_state_alloc(ctx->drm);
	if (!state) {
		ret = -ENOMEM;
		goto unlock;
	}
	state->acquire_ctx = &acquire;

	crtc_state = drm_atomic_get_crtc_state(state, ctx->crtc);
	conn_state = drm_atomic_get_connector_state(state, &ctx->connector);
	plane_state = drm_atomic_get_plane_state(state, ctx->plane);
	if (IS_ERR(crtc_state) || IS_ERR(conn_state) || IS_ERR(plane_state)) {
		ret = -EDEADLK;	/* the only error with nothing allocated */
		goto put;
	}
	ret = drm_atomic_set_mode_for_crtc(crtc_state, &ctx->mode);
	if (ret)
		goto put;
	crtc_state->active = true;
	ret = drm_atomic_set_crtc_for_connector(conn_state, ctx->crtc);
	if (ret)
		goto put;
	ret = drm_atomic_set_crtc_for_plane(plane_state, ctx->crtc);
	if (ret)
		goto put;
	drm_atomic_set_fb_for_plane(plane_state, fb);
	plane_state->crtc_w = BC_W;
	plane_state->crtc_h = BC_H;
	plane_state->src_w = BC_W << 16;
	plane_state->src_h = BC_H << 16;
	drm_property_replace_blob(&plane_state->fb_damage_clips, damage);

	if (nonblock)
		ret = drm_atomic_nonblocking_commit(state);
	else
		ret = drm_atomic_commit(state);
put:
	drm_atomic_state_put(state);
unlock:
	DRM_MODESET_LOCK_ALL_END(ctx->drm, acquire, ret);
	drm_property_blob_put(damage);

	return ret;
}

static int bc_commit(struct bc_ctx *ctx, struct drm_framebuffer *fb,
		     const struct drm_mode_rect *clips, unsigned int nclips)
{
	return __bc_commit(ctx, fb, clips, nclips, false);
}

static unsigned int bc_compare(struct bc_ctx *ctx, const struct drm_rect *r,
			       unsigned int seed_in, unsigned int seed_out)
{
	unsigned int x, y, bad = 0;

	for (y = 0; y < BC_H; y++) {
		for (x = 0; x < BC_W; x++) {
			bool in = x >= r->x1 && x < r->x2 &&
				  y >= r->y1 && y < r->y2;
			const u8 *px = (const u8 *)&ctx->device[y * BC_W + x];
			size_t k = (y * BC_W + x) * 4;
			unsigned int b;

			for (b = 0; b < 4; b++)
				if (px[b] != bt_byte(in ? seed_in : seed_out,
						     k + b))
					bad++;
		}
	}

	return bad;
}

/*
 * Two commits of an imported framebuffer (a modeset with a full update,
 * then one damage clip), each through the staging step: the copy runs in
 * the prepare phase, before the annotated tail, which then only sends the
 * staging copy; lockdep stays quiet and nothing is left pinned or mapped.
 */
static void drm_gem_blit_test_commit_tail(struct kunit *test)
{
	static const struct drm_mode_rect clip = { 8, 4, 40, 20 };
	static const struct drm_rect whole = { 0, 0, BC_W, BC_H };
	static const struct drm_rect clipped = { 8, 4, 40, 20 };
	struct bc_ctx *ctx = test->priv;
	struct drm_framebuffer *fb;
	unsigned int pins;

	fb = bc_fb(ctx);
	pins = ctx->exp->pins;
	/* Switch the pipe off before the framebuffer's last reference goes. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bc_shutdown,
							ctx->drm), 0);

	bt_fill(ctx->exp->local_mem, 1);
	KUNIT_ASSERT_EQ(test, bc_commit(ctx, fb, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, bc_compare(ctx, &whole, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->updates, 1);

	bt_fill(ctx->exp->local_mem, 2);
	KUNIT_ASSERT_EQ(test, bc_commit(ctx, fb, &clip, 1), 0);
	KUNIT_EXPECT_EQ(test, bc_compare(ctx, &clipped, 2, 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->updates, 2);

	/* Each copy is done before the tail starts, and none inside it. */
	ctx->log.ev[ctx->log.len] = '\0';
	KUNIT_EXPECT_STREQ(test, ctx->log.ev,
			   "B1M1U1E1T-A-t-B1M1U1E1T-A-t-");
	KUNIT_EXPECT_EQ(test, ctx->exp->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, ctx->exp->vmap_calls, 0);
	KUNIT_EXPECT_EQ(test, ctx->exp->pins, pins);
	KUNIT_EXPECT_EQ(test, ctx->exp->dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_FALSE(test, dma_resv_is_locked(ctx->exp->dmabuf->resv));
	/* A lockdep report turns lockdep off: it must still be on. */
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		KUNIT_EXPECT_TRUE(test, debug_locks);
}

/*
 * The reader rule with a slow reader: the device's atomic_update reads the
 * staging copy slowly, in the tail of a nonblocking commit, while the next
 * commit runs its prepare phase. That commit must not write the staging
 * buffer before the reader is done: every update the device gets is one
 * commit's content, and the last one shows.
 */
static void drm_gem_blit_test_slow_reader(struct kunit *test)
{
	static const struct drm_rect whole = { 0, 0, BC_W, BC_H };
	struct bc_ctx *ctx = test->priv;
	struct drm_framebuffer *fb;
	unsigned int seed;

	BUILD_BUG_ON(ARRAY_SIZE(ctx->shown) < 8);
	fb = bc_fb(ctx);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bc_shutdown,
							ctx->drm), 0);
	bt_fill(ctx->exp->local_mem, 1);
	KUNIT_ASSERT_EQ(test, bc_commit(ctx, fb, NULL, 0), 0);

	ctx->slow_ms = 50;
	for (seed = 2; seed < 8; seed += 2) {
		/* a full update, whose tail reads slowly ... */
		bt_fill(ctx->exp->local_mem, seed);
		KUNIT_ASSERT_EQ(test, __bc_commit(ctx, fb, NULL, 0, true), 0);
		/* ... while the next commit stages other content */
		msleep(ctx->slow_ms / 5);
		bt_fill(ctx->exp->local_mem, seed + 1);
		KUNIT_ASSERT_EQ(test, bc_commit(ctx, fb, NULL, 0), 0);
	}
	ctx->slow_ms = 0;

	KUNIT_EXPECT_EQ(test, ctx->updates, 7);
	KUNIT_EXPECT_EQ(test, ctx->torn, 0);
	/* each update sent its own commit's content, in order */
	for (seed = 2; seed < 8; seed++)
		KUNIT_EXPECT_EQ_MSG(test, ctx->shown[seed - 1], seed,
				    "update %u", seed - 1);
	KUNIT_EXPECT_EQ(test, bc_compare(ctx, &whole, 7, 7), 0);
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		KUNIT_EXPECT_TRUE(test, debug_locks);
}

static struct kunit_case drm_gem_blit_commit_cases[] = {
	KUNIT_CASE(drm_gem_blit_test_commit_tail),
	KUNIT_CASE(drm_gem_blit_test_slow_reader),
	{}
};

static struct kunit_suite drm_gem_blit_commit_suite = {
	.name = "drm_gem_blit_commit",
	.init = bc_init,
	.test_cases = drm_gem_blit_commit_cases,
};

kunit_test_suites(&drm_gem_blit_suite, &drm_gem_blit_commit_suite);

MODULE_DESCRIPTION("KUnit tests for the GEM damage-blit helper");
MODULE_LICENSE("GPL");
