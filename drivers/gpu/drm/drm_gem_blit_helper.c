// SPDX-License-Identifier: GPL-2.0-or-later

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/once_lite.h>

#include <drm/drm_atomic.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_exec.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_blit_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_plane.h>
#include <drm/drm_print.h>
#include <drm/drm_rect.h>
#include <drm/drm_simple_kms_helper.h>

/**
 * DOC: overview
 *
 * Display drivers without a scanout engine that can read the framebuffer
 * (USB displays, virtual displays) copy each damaged rectangle of it with
 * the CPU. drm_gem_fb_blit_damage() does the work around that copy for
 * every GEM object of a framebuffer, whether native or imported through
 * PRIME, without pinning anything:
 *
 * 1. dma_buf_begin_cpu_access() for each imported object, without the
 *    reservation lock (the exporter may take it);
 * 2. lock all reservations together with &drm_exec, backing off on
 *    contention; an object used by several color planes is locked and
 *    mapped once;
 * 3. wait for the objects' implicit write fences, so that the copy never
 *    shows a frame the producer has not finished;
 * 4. map each object with drm_gem_vmap_local(); an object whose memory
 *    manager or exporter has no short-term mapping falls back to the
 *    pinning drm_gem_vmap() for the duration of the copy;
 * 5. call the driver for each damage clip, clipped to the framebuffer and
 *    the plane's source rectangle, with the mapping of each color plane;
 * 6. undo 4, 2 and 1 in reverse order, on success and on every error.
 *
 * Where in the commit to call it: in the prepare phase, from
 * &drm_plane_helper_funcs.begin_fb_access, into a staging buffer that the
 * driver owns per plane state, and not from
 * &drm_plane_helper_funcs.atomic_update. Step 2 takes dma_resv locks and
 * step 3 waits for fences. In the commit tail of a nonblocking commit, the
 * commit's own fences are already published, and a thread holding one of
 * these reservation locks may be waiting for them: taking the lock there
 * can deadlock, which is why the dma-fence signalling annotations forbid
 * it. In the prepare phase nothing has been published yet, so locking and
 * waiting are allowed, and an interrupted wait returns to userspace. The
 * commit tail then only sends the staging buffer to the device. The price:
 * a nonblocking commit whose framebuffer still has unsignalled write
 * fences waits for them in the ioctl, where the shadow-plane path waited
 * in the commit tail.
 *
 * If no clip is damaged, drm_gem_fb_blit_damage() returns at once, without
 * locking or mapping anything.
 */

struct drm_gem_blit_obj {
	struct drm_gem_object *obj;
	struct iosys_map map;
	bool cpu_access;	/* dma_buf_begin_cpu_access() succeeded */
	bool pinned_vmap;	/* mapped by the drm_gem_vmap() fallback */
};

static bool drm_gem_blit_has_damage(struct drm_plane_state *old_state,
				    struct drm_plane_state *new_state)
{
	struct drm_atomic_helper_damage_iter iter;
	struct drm_rect clip;

	drm_atomic_helper_damage_iter_init(&iter, old_state, new_state);
	drm_atomic_for_each_plane_damage(&iter, &clip)
		return true;

	return false;
}

/* Collect the framebuffer's distinct GEM objects; @index maps planes. */
static unsigned int drm_gem_blit_collect(struct drm_framebuffer *fb,
					 struct drm_gem_blit_obj *objs,
					 unsigned int *index)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < fb->format->num_planes; i++) {
		struct drm_gem_object *obj = drm_gem_fb_get_obj(fb, i);

		for (j = 0; j < n; j++)
			if (objs[j].obj == obj)
				break;
		if (j == n)
			objs[n++].obj = obj;
		index[i] = j;
	}

	return n;
}

static void drm_gem_blit_end_cpu_access(struct drm_gem_blit_obj *objs,
					unsigned int n)
{
	while (n--) {
		struct drm_gem_object *obj = objs[n].obj;

		if (!objs[n].cpu_access)
			continue;
		dma_buf_end_cpu_access(obj->import_attach->dmabuf,
				       DMA_FROM_DEVICE);
		objs[n].cpu_access = false;
	}
}

static void drm_gem_blit_vunmap(struct drm_gem_blit_obj *objs, unsigned int n)
{
	while (n--) {
		if (iosys_map_is_null(&objs[n].map))
			continue;
		if (objs[n].pinned_vmap)
			drm_gem_vunmap(objs[n].obj, &objs[n].map);
		else
			drm_gem_vunmap_local(objs[n].obj, &objs[n].map);
	}
}

static int drm_gem_blit_vmap(struct drm_gem_blit_obj *objs, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct drm_gem_object *obj = objs[i].obj;

		ret = drm_gem_vmap_local(obj, &objs[i].map);
		if (ret == -EOPNOTSUPP) {
			DO_ONCE_LITE(drm_dbg_kms, obj->dev,
				     "no vmap_local, falling back to pinning vmap\n");
			objs[i].pinned_vmap = true;
			ret = drm_gem_vmap(obj, &objs[i].map);
		}
		if (ret) {
			iosys_map_clear(&objs[i].map);
			drm_gem_blit_vunmap(objs, i);
			return ret;
		}
	}

	return 0;
}

/*
 * What to copy: the damage of @new_state against @old_state, or, for the
 * staging step, @extra as well, or only @extra.
 */
struct drm_gem_blit_walk {
	struct drm_plane_state *old_state, *new_state;
	bool damage;
	const struct drm_rect *extra;	/* NULL: none */
	drm_gem_blit_clip_func blit;
	void *priv;
};

static int drm_gem_blit_walk(const struct drm_gem_blit_walk *walk,
			     struct drm_framebuffer *fb,
			     const struct iosys_map *src)
{
	struct drm_atomic_helper_damage_iter iter;
	struct drm_rect fb_rect, clip;
	int ret;

	drm_rect_init(&fb_rect, 0, 0, fb->width, fb->height);

	if (walk->damage) {
		drm_atomic_helper_damage_iter_init(&iter, walk->old_state,
						   walk->new_state);
		drm_atomic_for_each_plane_damage(&iter, &clip) {
			if (!drm_rect_intersect(&clip, &fb_rect))
				continue;
			ret = walk->blit(walk->priv, fb, src, &clip);
			if (ret)
				return ret;
		}
	}

	if (walk->extra) {
		clip = *walk->extra;
		if (drm_rect_intersect(&clip, &fb_rect))
			return walk->blit(walk->priv, fb, src, &clip);
	}

	return 0;
}

/* Steps 1-4 and 6 of the overview, around @walk. */
static int drm_gem_blit_fb(struct drm_framebuffer *fb,
			   const struct drm_gem_blit_walk *walk)
{
	struct drm_gem_blit_obj objs[DRM_FORMAT_MAX_PLANES] = { };
	struct iosys_map src[DRM_FORMAT_MAX_PLANES] = { };
	unsigned int index[DRM_FORMAT_MAX_PLANES];
	struct drm_exec exec;
	unsigned int i, n;
	long lret;
	int ret;

	n = drm_gem_blit_collect(fb, objs, index);

	for (i = 0; i < n; i++) {
		struct drm_gem_object *obj = objs[i].obj;

		if (!obj->import_attach)
			continue;
		ret = dma_buf_begin_cpu_access(obj->import_attach->dmabuf,
					       DMA_FROM_DEVICE);
		if (ret)
			goto out_end_cpu_access;
		objs[i].cpu_access = true;
	}

	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, n);
	drm_exec_until_all_locked(&exec) {
		for (i = 0; i < n; i++) {
			ret = drm_exec_lock_obj(&exec, objs[i].obj);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto out_unlock;
		}
	}

	for (i = 0; i < n; i++) {
		lret = dma_resv_wait_timeout(objs[i].obj->resv,
					     DMA_RESV_USAGE_WRITE, true,
					     MAX_SCHEDULE_TIMEOUT);
		if (lret < 0) {
			ret = lret;
			goto out_unlock;
		}
	}

	ret = drm_gem_blit_vmap(objs, n);
	if (ret)
		goto out_unlock;

	for (i = 0; i < fb->format->num_planes; i++) {
		src[i] = objs[index[i]].map;
		iosys_map_incr(&src[i], fb->offsets[i]);
	}
	ret = drm_gem_blit_walk(walk, fb, src);

	drm_gem_blit_vunmap(objs, n);
out_unlock:
	drm_exec_fini(&exec);
out_end_cpu_access:
	drm_gem_blit_end_cpu_access(objs, n);

	return ret;
}

/**
 * drm_gem_fb_blit_damage - copy a plane's damage out of its framebuffer
 * @old_state: the plane's old state, for the damage iterator
 * @new_state: the plane's new state, with the framebuffer to copy from
 * @blit: called for each damage clip with the mappings of the color planes
 * @priv: passed to @blit
 *
 * Prepares CPU access to every GEM object of @new_state's framebuffer, locks
 * and maps them all without pinning, calls @blit for each damage clip and
 * undoes everything in reverse order; see the overview in
 * Documentation/gpu/drm-kms-helpers.rst for the steps and their order.
 * Imported objects are bracketed by dma_buf_begin_cpu_access() and
 * dma_buf_end_cpu_access() for %DMA_FROM_DEVICE, called without the
 * reservation lock. Objects whose memory manager has no
 * &drm_gem_object_funcs.vmap_local are mapped with the pinning
 * drm_gem_vmap() instead, for the duration of the call only.
 *
 * Call it from the prepare phase of a commit, typically from
 * &drm_plane_helper_funcs.begin_fb_access, never from the commit tail: it
 * takes reservation locks and waits for the framebuffer's fences. Without
 * damage, it returns 0 without locking or mapping anything.
 *
 * Returns:
 * 0 on success, or a negative errno code: from dma_buf_begin_cpu_access(),
 * from locking (-EINTR or -ERESTARTSYS if interrupted), from waiting for
 * fences, from mapping, or from @blit.
 */
int drm_gem_fb_blit_damage(struct drm_plane_state *old_state,
			   struct drm_plane_state *new_state,
			   drm_gem_blit_clip_func blit, void *priv)
{
	const struct drm_gem_blit_walk walk = {
		.old_state = old_state,
		.new_state = new_state,
		.damage = true,
		.blit = blit,
		.priv = priv,
	};

	if (!new_state->fb || !drm_gem_blit_has_damage(old_state, new_state))
		return 0;

	return drm_gem_blit_fb(new_state->fb, &walk);
}
EXPORT_SYMBOL(drm_gem_fb_blit_damage);

/**
 * DOC: staging
 *
 * For drivers that send the damaged areas to their device in
 * &drm_plane_helper_funcs.atomic_update, &struct drm_gem_blit_plane_state
 * provides the staging step: DRM_GEM_BLIT_PLANE_FUNCS and
 * DRM_GEM_BLIT_PLANE_HELPER_FUNCS make the plane copy its damage out of the
 * framebuffer in begin_fb_access, with drm_gem_fb_blit_damage(), into a
 * staging buffer laid out like the framebuffer, and point
 * &drm_shadow_plane_state.data at it. A driver converting from shadow
 * planes changes its plane funcs and helper funcs and nothing in
 * atomic_update.
 *
 * The staging buffer of a state holds the whole visible part of the
 * framebuffer (the plane's source rectangle), not only the damage, so that
 * the driver may read any of it: a merged damage rectangle, or the whole
 * plane for a device that needs full updates. To keep that cheap, a commit
 * copies its own damage and the previous commit's damage, which the buffer
 * missed, and the whole plane only when the buffer's content cannot be
 * trusted (a new framebuffer, a failed or skipped commit, a grown buffer).
 * A commit without damage copies nothing and shares the current state's
 * buffer.
 *
 * Each plane has two staging buffers, used alternately: a commit copies into
 * the buffer that the plane's current state does not use. That buffer was
 * last read by the commit before the current one, whose atomic_update has
 * completed: the current commit's swap waited for its hw_done, and a new
 * commit cannot reach its prepare phase before that swap, as both hold the
 * plane's modeset lock. The buffers grow with the framebuffer and are freed
 * with the last plane state.
 */

struct drm_gem_blit_staging {
	struct kref ref;
	void *vaddr[2][DRM_FORMAT_MAX_PLANES];
	size_t size[2][DRM_FORMAT_MAX_PLANES];
	/*
	 * Each buffer mirrors the framebuffer @fb[b] as of the copy numbered
	 * @seq[b] (0: nothing trustworthy); copies are numbered from @next.
	 * Only compared, never dereferenced: @fb[b] holds no reference.
	 */
	const struct drm_framebuffer *fb[2];
	u64 seq[2];
	u64 next;
};

static void drm_gem_blit_staging_release(struct kref *ref)
{
	struct drm_gem_blit_staging *staging =
		container_of(ref, struct drm_gem_blit_staging, ref);
	unsigned int b, i;

	for (b = 0; b < 2; b++)
		for (i = 0; i < DRM_FORMAT_MAX_PLANES; i++)
			kvfree(staging->vaddr[b][i]);
	kfree(staging);
}

static void drm_gem_blit_staging_put(struct drm_gem_blit_staging *staging)
{
	if (staging)
		kref_put(&staging->ref, drm_gem_blit_staging_release);
}

/* Bytes of color plane @i of @fb, without its offset. */
static size_t drm_gem_blit_plane_size(const struct drm_framebuffer *fb,
				      unsigned int i)
{
	unsigned int vsub = i ? fb->format->vsub : 1;

	return (size_t)fb->pitches[i] * DIV_ROUND_UP(fb->height, vsub);
}

/* Copy one clip, line by line, into the staging buffers. */
static int drm_gem_blit_stage_clip(void *priv, struct drm_framebuffer *fb,
				   const struct iosys_map *src,
				   const struct drm_rect *clip)
{
	struct drm_gem_blit_plane_state *state = priv;
	struct iosys_map *dst = state->base.data;
	unsigned int i, y;

	for (i = 0; i < fb->format->num_planes; i++) {
		unsigned int hsub = i ? fb->format->hsub : 1;
		unsigned int vsub = i ? fb->format->vsub : 1;
		unsigned int cpp = fb->format->cpp[i];
		size_t x1 = clip->x1 / hsub * cpp;
		size_t len = DIV_ROUND_UP(clip->x2, hsub) * cpp - x1;
		unsigned int y2 = DIV_ROUND_UP(clip->y2, vsub);

		for (y = clip->y1 / vsub; y < y2; y++) {
			size_t off = (size_t)y * fb->pitches[i] + x1;

			iosys_map_memcpy_from(dst[i].vaddr + off, &src[i], off,
					      len);
		}
	}

	return 0;
}

/**
 * drm_gem_blit_begin_fb_access - copy a plane's damage into staging
 * @plane: the plane
 * @state: the new plane state, a &struct drm_gem_blit_plane_state
 *
 * Implements &drm_plane_helper_funcs.begin_fb_access: picks the staging
 * buffer that the plane's current state does not use, grows it to the
 * framebuffer's size if needed, points &drm_shadow_plane_state.data at it
 * and brings it up to date with the framebuffer's visible area, as
 * drm_gem_fb_blit_damage() does (see DOC: staging for what is copied).
 * Without damage, nothing is locked, mapped or copied, and the state reads
 * the current state's buffer.
 *
 * Returns:
 * 0 on success, or a negative errno code from allocating the staging
 * buffer, or from locking, waiting, mapping or copying as for
 * drm_gem_fb_blit_damage().
 */
int drm_gem_blit_begin_fb_access(struct drm_plane *plane,
				 struct drm_plane_state *state)
{
	struct drm_gem_blit_plane_state *blit = to_drm_gem_blit_plane_state(state);
	struct drm_gem_blit_staging *staging = blit->staging;
	struct drm_gem_blit_walk walk = {
		.new_state = state,
		.blit = drm_gem_blit_stage_clip,
		.priv = blit,
	};
	struct drm_framebuffer *fb = state->fb;
	struct drm_gem_blit_plane_state *old;
	struct drm_plane_state *old_state;
	struct drm_rect full;
	bool fits = true;
	unsigned int i, b;
	int ret;

	if (!fb)
		return 0;
	if (drm_WARN_ON_ONCE(plane->dev, !staging))
		return -EINVAL;

	old_state = drm_atomic_get_old_plane_state(state->state, plane);
	if (drm_WARN_ON_ONCE(plane->dev, !old_state))
		return -EINVAL;
	old = to_drm_gem_blit_plane_state(old_state);
	walk.old_state = old_state;

	/* Nothing changed: read the current state's buffer, write nothing. */
	if (!drm_atomic_helper_damage_merged(old_state, state, &blit->copied)) {
		b = old->buf;
		for (i = 0; i < fb->format->num_planes; i++)
			if (staging->size[b][i] < drm_gem_blit_plane_size(fb, i))
				fits = false;
		blit->buf = b;
		blit->seq = old->seq;
		blit->copied = old->copied;
		for (i = 0; i < fb->format->num_planes; i++) {
			if (fits)
				iosys_map_set_vaddr(&blit->base.data[i],
						    staging->vaddr[b][i]);
			else
				iosys_map_clear(&blit->base.data[i]);
			blit->base.map[i] = blit->base.data[i];
		}
		return 0;
	}

	b = old->buf ^ 1;
	blit->buf = b;
	for (i = 0; i < fb->format->num_planes; i++) {
		size_t size = drm_gem_blit_plane_size(fb, i);

		if (staging->size[b][i] < size) {
			staging->seq[b] = 0;
			kvfree(staging->vaddr[b][i]);
			staging->size[b][i] = 0;
			staging->vaddr[b][i] = kvzalloc(size, GFP_KERNEL);
			if (!staging->vaddr[b][i])
				return -ENOMEM;
			staging->size[b][i] = size;
		}
		iosys_map_set_vaddr(&blit->base.data[i], staging->vaddr[b][i]);
		blit->base.map[i] = blit->base.data[i];
	}

	/*
	 * The buffer missed the previous commit's damage if it holds the copy
	 * before that one, of this framebuffer; otherwise copy the plane.
	 */
	if (staging->seq[b] && staging->seq[b] + 1 == old->seq &&
	    staging->fb[b] == fb && old_state->fb == fb) {
		walk.damage = true;
		if (drm_rect_visible(&old->copied))
			walk.extra = &old->copied;
	} else {
		full.x1 = state->src.x1 >> 16;
		full.y1 = state->src.y1 >> 16;
		full.x2 = DIV_ROUND_UP(state->src.x2, 1 << 16);
		full.y2 = DIV_ROUND_UP(state->src.y2, 1 << 16);
		walk.extra = &full;
	}

	staging->seq[b] = 0;
	blit->seq = ++staging->next;
	ret = drm_gem_blit_fb(fb, &walk);
	if (ret)
		return ret;
	staging->seq[b] = blit->seq;
	staging->fb[b] = fb;

	return 0;
}
EXPORT_SYMBOL(drm_gem_blit_begin_fb_access);

/**
 * __drm_gem_blit_duplicate_plane_state - duplicate a staging-copy plane state
 * @plane: the plane
 * @new: the new state, allocated by the caller
 *
 * For drivers that embed &struct drm_gem_blit_plane_state in a plane state
 * of their own: duplicates the plane's current state into @new, which then
 * shares the plane's staging buffers.
 */
void __drm_gem_blit_duplicate_plane_state(struct drm_plane *plane,
					  struct drm_gem_blit_plane_state *new)
{
	struct drm_gem_blit_plane_state *old =
		to_drm_gem_blit_plane_state(plane->state);

	__drm_gem_duplicate_shadow_plane_state(plane, &new->base);
	new->staging = old->staging;
	if (new->staging)
		kref_get(&new->staging->ref);
	new->buf = old->buf;
	new->seq = old->seq;
	new->copied = old->copied;
}
EXPORT_SYMBOL(__drm_gem_blit_duplicate_plane_state);

/**
 * drm_gem_blit_duplicate_plane_state - duplicate a staging-copy plane state
 * @plane: the plane
 *
 * Implements &drm_plane_funcs.atomic_duplicate_state. The new state shares
 * the plane's staging buffers.
 *
 * Returns:
 * The new state, or NULL on allocation failure.
 */
struct drm_plane_state *drm_gem_blit_duplicate_plane_state(struct drm_plane *plane)
{
	struct drm_gem_blit_plane_state *new;

	if (!plane->state)
		return NULL;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return NULL;
	__drm_gem_blit_duplicate_plane_state(plane, new);

	return &new->base.base;
}
EXPORT_SYMBOL(drm_gem_blit_duplicate_plane_state);

/**
 * __drm_gem_blit_destroy_plane_state - release a staging-copy plane state
 * @state: the state
 *
 * For drivers that embed &struct drm_gem_blit_plane_state: releases what
 * the state holds; the staging buffers go with the plane's last state. The
 * caller frees @state.
 */
void __drm_gem_blit_destroy_plane_state(struct drm_gem_blit_plane_state *state)
{
	drm_gem_blit_staging_put(state->staging);
	state->staging = NULL;
	__drm_gem_destroy_shadow_plane_state(&state->base);
}
EXPORT_SYMBOL(__drm_gem_blit_destroy_plane_state);

/**
 * drm_gem_blit_destroy_plane_state - free a staging-copy plane state
 * @plane: the plane
 * @state: the state, a &struct drm_gem_blit_plane_state
 *
 * Implements &drm_plane_funcs.atomic_destroy_state.
 */
void drm_gem_blit_destroy_plane_state(struct drm_plane *plane,
				      struct drm_plane_state *state)
{
	struct drm_gem_blit_plane_state *blit = to_drm_gem_blit_plane_state(state);

	__drm_gem_blit_destroy_plane_state(blit);
	kfree(blit);
}
EXPORT_SYMBOL(drm_gem_blit_destroy_plane_state);

/**
 * __drm_gem_blit_reset_plane - install a new staging-copy plane state
 * @plane: the plane, whose old state the caller has freed
 * @state: the new state, allocated and zeroed by the caller
 *
 * For drivers that embed &struct drm_gem_blit_plane_state: gives @state new,
 * still empty, staging buffers and makes it the plane's state.
 *
 * Returns:
 * 0 on success, or -ENOMEM, in which case the plane has no state.
 */
int __drm_gem_blit_reset_plane(struct drm_plane *plane,
			       struct drm_gem_blit_plane_state *state)
{
	state->staging = kzalloc(sizeof(*state->staging), GFP_KERNEL);
	if (!state->staging)
		return -ENOMEM;
	kref_init(&state->staging->ref);
	__drm_gem_reset_shadow_plane(plane, &state->base);

	return 0;
}
EXPORT_SYMBOL(__drm_gem_blit_reset_plane);

/**
 * drm_gem_blit_reset_plane - reset a staging-copy plane
 * @plane: the plane
 *
 * Implements &drm_plane_funcs.reset: frees the plane's state and installs a
 * new one, with new, still empty, staging buffers.
 */
void drm_gem_blit_reset_plane(struct drm_plane *plane)
{
	struct drm_gem_blit_plane_state *blit;

	if (plane->state) {
		drm_gem_blit_destroy_plane_state(plane, plane->state);
		plane->state = NULL; /* must be set to NULL here */
	}

	blit = kzalloc(sizeof(*blit), GFP_KERNEL);
	if (!blit)
		return;
	if (__drm_gem_blit_reset_plane(plane, blit))
		kfree(blit);
}
EXPORT_SYMBOL(drm_gem_blit_reset_plane);

/*
 * Simple display pipe glue: the same functions, for drivers built on
 * &struct drm_simple_display_pipe.
 */

/**
 * drm_gem_blit_simple_kms_begin_fb_access - copy a pipe's damage into staging
 * @pipe: the simple display pipe
 * @plane_state: the new plane state, a &struct drm_gem_blit_plane_state
 *
 * Implements &drm_simple_display_pipe_funcs.begin_fb_access with
 * drm_gem_blit_begin_fb_access().
 *
 * Returns:
 * 0 on success, or a negative errno code.
 */
int drm_gem_blit_simple_kms_begin_fb_access(struct drm_simple_display_pipe *pipe,
					    struct drm_plane_state *plane_state)
{
	return drm_gem_blit_begin_fb_access(&pipe->plane, plane_state);
}
EXPORT_SYMBOL(drm_gem_blit_simple_kms_begin_fb_access);

/**
 * drm_gem_blit_simple_kms_reset_plane - reset a pipe's staging-copy plane
 * @pipe: the simple display pipe
 *
 * Implements &drm_simple_display_pipe_funcs.reset_plane with
 * drm_gem_blit_reset_plane().
 */
void drm_gem_blit_simple_kms_reset_plane(struct drm_simple_display_pipe *pipe)
{
	drm_gem_blit_reset_plane(&pipe->plane);
}
EXPORT_SYMBOL(drm_gem_blit_simple_kms_reset_plane);

/**
 * drm_gem_blit_simple_kms_duplicate_plane_state - duplicate a pipe's plane state
 * @pipe: the simple display pipe
 *
 * Implements &drm_simple_display_pipe_funcs.duplicate_plane_state with
 * drm_gem_blit_duplicate_plane_state().
 *
 * Returns:
 * The new state, or NULL on allocation failure.
 */
struct drm_plane_state *
drm_gem_blit_simple_kms_duplicate_plane_state(struct drm_simple_display_pipe *pipe)
{
	return drm_gem_blit_duplicate_plane_state(&pipe->plane);
}
EXPORT_SYMBOL(drm_gem_blit_simple_kms_duplicate_plane_state);

/**
 * drm_gem_blit_simple_kms_destroy_plane_state - free a pipe's plane state
 * @pipe: the simple display pipe
 * @plane_state: the state, a &struct drm_gem_blit_plane_state
 *
 * Implements &drm_simple_display_pipe_funcs.destroy_plane_state with
 * drm_gem_blit_destroy_plane_state().
 */
void drm_gem_blit_simple_kms_destroy_plane_state(struct drm_simple_display_pipe *pipe,
						 struct drm_plane_state *plane_state)
{
	drm_gem_blit_destroy_plane_state(&pipe->plane, plane_state);
}
EXPORT_SYMBOL(drm_gem_blit_simple_kms_destroy_plane_state);

MODULE_DESCRIPTION("DRM helper to copy damage out of GEM framebuffers");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
