// SPDX-License-Identifier: GPL-2.0-or-later

#include <linux/completion.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/once_lite.h>
#include <linux/seq_file.h>

#include <drm/drm_atomic.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_debugfs.h>
#include <drm/drm_device.h>
#include <drm/drm_exec.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_blit_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_modeset_lock.h>
#include <drm/drm_plane.h>
#include <drm/drm_print.h>
#include <drm/drm_rect.h>
#include <drm/drm_simple_kms_helper.h>

/**
 * DOC: overview
 *
 * Display drivers without a scanout engine that can read the framebuffer
 * (USB displays) copy each damaged rectangle of it with the CPU.
 * drm_gem_fb_blit_damage() does the work around that copy for every GEM
 * object of a framebuffer, whether native or imported through PRIME,
 * without pinning anything where the memory manager or the exporter
 * provides a short-term mapping:
 *
 * 1. dma_buf_begin_cpu_access() for each imported object, without the
 *    reservation lock (the exporter may take it);
 * 2. lock all reservations together with &drm_exec, backing off on
 *    contention; an object used by several color planes is locked and
 *    mapped once, and objects that share one reservation lock it once;
 * 3. wait for the native objects' implicit write fences, so that the copy
 *    never shows a frame the producer has not finished (for imported
 *    objects, dma_buf_begin_cpu_access() in step 1 has waited for them);
 *    if the plane state has a fence (&drm_plane_state.fence, which
 *    prepare_fb sets from an explicit IN_FENCE_FD or from the implicit
 *    fences, see drm_gem_plane_helper_prepare_fb()), it is waited for
 *    before step 1 instead;
 * 4. map each object with drm_gem_vmap_local(); an object whose memory
 *    manager or exporter has no short-term mapping falls back to
 *    drm_gem_vmap(), which may pin; for imported objects, wait for the
 *    kernel fences of a move that preparing or mapping them started;
 * 5. call the driver for each damage clip, clipped to the framebuffer and
 *    the plane's source rectangle, with the mapping of each color plane;
 * 6. undo 4, 2 and 1 in reverse order, on success and on every error.
 *
 * Where in the commit to call it: in the prepare phase, from
 * &drm_plane_helper_funcs.begin_fb_access, into a staging buffer (see DOC:
 * staging for the one this helper provides), and not from
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
	const struct drm_rect *bounds;	/* NULL: the framebuffer's */
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
	if (walk->bounds && !drm_rect_intersect(&fb_rect, walk->bounds))
		return 0;

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
static int drm_gem_blit_fb(struct drm_framebuffer *fb, struct dma_fence *fence,
			   const struct drm_gem_blit_walk *walk)
{
	struct drm_gem_blit_obj objs[DRM_FORMAT_MAX_PLANES] = { };
	struct iosys_map src[DRM_FORMAT_MAX_PLANES] = { };
	unsigned int index[DRM_FORMAT_MAX_PLANES];
	struct drm_exec exec;
	unsigned int i, n;
	long lret;
	int ret;

	/* The plane's fences from prepare_fb, explicit or implicit, come first. */
	if (fence) {
		lret = dma_fence_wait(fence, true);
		if (lret)
			return lret;
	}

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

	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT |
		      DRM_EXEC_IGNORE_DUPLICATES, n);
	drm_exec_until_all_locked(&exec) {
		for (i = 0; i < n; i++) {
			ret = drm_exec_lock_obj(&exec, objs[i].obj);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto out_unlock;
		}
	}

	for (i = 0; i < n && !fence; i++) {
		if (objs[i].obj->import_attach)
			continue;
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

	/*
	 * An exporter may have moved an imported buffer to map it, in
	 * begin_cpu_access or in its vmap: wait for the move's kernel fences.
	 */
	for (i = 0; i < n; i++) {
		if (!objs[i].obj->import_attach)
			continue;
		lret = dma_resv_wait_timeout(objs[i].obj->resv,
					     DMA_RESV_USAGE_KERNEL, true,
					     MAX_SCHEDULE_TIMEOUT);
		if (lret < 0) {
			ret = lret;
			goto out_vunmap;
		}
	}

	for (i = 0; i < fb->format->num_planes; i++) {
		src[i] = objs[index[i]].map;
		iosys_map_incr(&src[i], fb->offsets[i]);
	}
	ret = drm_gem_blit_walk(walk, fb, src);

out_vunmap:
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
 * &drm_gem_object_funcs.vmap_local are mapped with drm_gem_vmap() instead,
 * which may pin, for the duration of the call; the memory manager may keep
 * such a pin longer.
 *
 * Call it from the prepare phase of a commit, typically from
 * &drm_plane_helper_funcs.begin_fb_access, never from the commit tail: it
 * takes reservation locks and waits for the framebuffer's fences, or for
 * &drm_plane_state.fence if prepare_fb set one. Without damage, it returns
 * 0 without locking or mapping anything.
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

	return drm_gem_blit_fb(new_state->fb, new_state->fence, &walk);
}
EXPORT_SYMBOL(drm_gem_fb_blit_damage);

/**
 * DOC: staging
 *
 * For drivers that send the damaged areas to their device in
 * &drm_plane_helper_funcs.atomic_update, &struct drm_gem_blit_plane_state
 * provides the staging step: DRM_GEM_BLIT_PLANE_FUNCS and
 * DRM_GEM_BLIT_PLANE_HELPER_FUNCS make the plane copy its damage out of the
 * framebuffer in begin_fb_access, as drm_gem_fb_blit_damage() does, into a
 * staging buffer in system memory, and point &drm_shadow_plane_state.data
 * at it. A driver converting from shadow planes changes its plane funcs
 * and helper funcs; its atomic_update reads &drm_shadow_plane_state.data as
 * before, as long as it reads only within the plane's source rectangle.
 *
 * The staging buffer mirrors what the plane shows: the rows of the plane's
 * source rectangle (&drm_plane_state.src_x and friends, before clipping,
 * rounded out to whole pixels), with the framebuffer's format and
 * pitches, so that color plane i's row y starts y * pitch bytes from
 * &drm_shadow_plane_state.data[i], as in a mapping of the framebuffer.
 * Rows outside the source rectangle have no memory; within a row, only the
 * source rectangle's columns are kept up to date.
 *
 * Damage is relative to what the plane shows, whichever framebuffer that
 * came from (see drm_atomic_helper_damage_iter_init()). So a commit copies
 * what the damage iterator returns and nothing else, also when it flips to
 * another framebuffer: its damage clips, or the whole source rectangle for
 * a full update (no FB_DAMAGE_CLIPS, a modeset, a changed source). It also
 * copies the whole source rectangle when the buffer does not hold what the
 * plane shows: on the first commit, after a failed commit, or when the
 * format or the pitches change. A commit without damage copies nothing and
 * shares the buffer. An invisible plane holds no buffer.
 *
 * The reader rule. Each plane has one staging buffer. Its content is read
 * by the driver's atomic_update, and by nothing after
 * drm_atomic_helper_commit_hw_done() for that commit: a driver that sends
 * the data later, from a worker, copies what it needs in atomic_update
 * (gud's asynchronous flush and gm12u320's data blocks do that). Before it
 * writes into the buffer, begin_fb_access waits, interruptibly, until the
 * commit that installed the plane's current state has signalled hw_done,
 * which drm_atomic_helper_swap_state() waits for in the same ioctl anyway.
 * That rule holds for drivers that commit with drm_atomic_helper_commit()
 * and have no &drm_plane_helper_funcs.atomic_async_update. It does not fit
 * drivers that read the framebuffer after hw_done, such as vkms, whose
 * composer reads the planes at every vblank, and which show writes into a
 * displayed buffer without a commit (live scanout): they keep a mapping of
 * the framebuffer from prepare_fb to cleanup_fb.
 *
 * Memory: the buffer takes the source rectangle's rows times the pitch of
 * each color plane, zeroed and charged to the caller's memory cgroup. The
 * pitch is the framebuffer's, chosen by userspace, so a framebuffer with a
 * large pitch costs a large buffer. A commit that needs a larger buffer,
 * or one less than half the size, allocates a new one; the old one is freed
 * with the last state that reads it. A disabled plane holds no buffer. A
 * buffer larger than INT_MAX bytes is refused with -E2BIG, and the commit
 * fails.
 *
 * Where a nonblocking commit waits: begin_fb_access runs in the ioctl, with
 * the plane's modeset locks held. It waits for the plane's fences
 * (&drm_plane_state.fence, from an IN_FENCE_FD or, by default, the
 * implicit fences that drm_gem_plane_helper_prepare_fb() collects), for
 * imported framebuffers also in dma_buf_begin_cpu_access(), then for
 * hw_done of the previous commit as described above, and copies the
 * damage. A nonblocking commit on a framebuffer that is still being
 * rendered therefore returns only when rendering is done; the shadow-plane
 * helpers waited for the same fences in the commit tail instead.
 */

struct drm_gem_blit_buffer {
	struct kref ref;
	void *vaddr;
	size_t size;
	/* What the content is a copy of; compared with each new state. */
	const struct drm_format_info *format;
	unsigned int pitches[DRM_FORMAT_MAX_PLANES];
	struct drm_rect rect;		/* source rectangle, whole pixels */
	size_t offsets[DRM_FORMAT_MAX_PLANES];	/* of each color plane */
	/* The content is what the state numbered @seq shows (0: nothing). */
	u64 seq;
	u64 next;
};

static void drm_gem_blit_buffer_release(struct kref *ref)
{
	struct drm_gem_blit_buffer *buf =
		container_of(ref, struct drm_gem_blit_buffer, ref);

	kvfree(buf->vaddr);
	kfree(buf);
}

static void drm_gem_blit_buffer_put(struct drm_gem_blit_buffer *buf)
{
	if (buf)
		kref_put(&buf->ref, drm_gem_blit_buffer_release);
}

static struct drm_gem_blit_buffer *
drm_gem_blit_buffer_get(struct drm_gem_blit_buffer *buf)
{
	if (buf)
		kref_get(&buf->ref);
	return buf;
}

/* The rows of color plane @i that @rect covers. */
static void drm_gem_blit_rows(const struct drm_format_info *format,
			      unsigned int i, const struct drm_rect *rect,
			      unsigned int *y1, unsigned int *y2)
{
	unsigned int vsub = i ? format->vsub : 1;

	*y1 = rect->y1 / vsub;
	*y2 = DIV_ROUND_UP(rect->y2, vsub);
}

/*
 * The bytes of a row of color plane @i that columns @x1 to @x2 cover, in
 * whole blocks (formats with less than a byte per pixel have several
 * pixels a block).
 */
static void drm_gem_blit_cols(const struct drm_format_info *format,
			      unsigned int i, unsigned int x1, unsigned int x2,
			      size_t *start, size_t *end)
{
	unsigned int hsub = i ? format->hsub : 1;
	unsigned int bw = drm_format_info_block_width(format, i);
	unsigned int cpb = format->char_per_block[i];

	*start = (size_t)(x1 / hsub / bw) * cpb;
	*end = (size_t)DIV_ROUND_UP(DIV_ROUND_UP(x2, hsub), bw) * cpb;
}

/*
 * The layout a state's staging copy takes: the source rectangle in whole
 * pixels, and where each color plane starts. Returns the bytes it needs,
 * or 0 if it cannot be staged.
 */
static u64 drm_gem_blit_layout(const struct drm_plane_state *state,
			       struct drm_rect *rect, size_t *offsets)
{
	const struct drm_framebuffer *fb = state->fb;
	const struct drm_format_info *format = fb->format;
	struct drm_rect src = drm_plane_state_src(state);
	unsigned int i, y1, y2;
	u64 size = 0;

	/*
	 * The damage iterator's plane_src: the source rectangle before
	 * clipping, rounded out to whole pixels. Every clip lies within it.
	 */
	rect->x1 = src.x1 >> 16;
	rect->y1 = src.y1 >> 16;
	rect->x2 = (src.x2 >> 16) + !!(src.x2 & 0xffff);
	rect->y2 = (src.y2 >> 16) + !!(src.y2 & 0xffff);

	for (i = 0; i < format->num_planes; i++) {
		/* Rows of blocks taller than a pixel are not laid out so. */
		if (drm_format_info_block_height(format, i) != 1)
			return 0;
		drm_gem_blit_rows(format, i, rect, &y1, &y2);
		offsets[i] = size;
		size += (u64)(y2 - y1) * fb->pitches[i];
		if (size > INT_MAX)	/* and no further, nor wrapped */
			return size;
	}

	return size;
}

/* Point the state's data at color plane @i's pixel (0, 0), as for a map. */
static void drm_gem_blit_set_data(struct drm_gem_blit_plane_state *state)
{
	struct drm_gem_blit_buffer *buf = state->buffer;
	unsigned int i, y1, y2;

	for (i = 0; i < DRM_FORMAT_MAX_PLANES; i++) {
		iosys_map_clear(&state->base.data[i]);
		if (buf && i < buf->format->num_planes) {
			drm_gem_blit_rows(buf->format, i, &buf->rect, &y1, &y2);
			/*
			 * Rows before the source rectangle have no memory;
			 * only the source rectangle is ever accessed.
			 */
			iosys_map_set_vaddr(&state->base.data[i],
					    buf->vaddr + buf->offsets[i] -
					    (size_t)y1 * buf->pitches[i]);
		}
		state->base.map[i] = state->base.data[i];
	}
}

/* Copy one clip, line by line, into the staging buffer. */
static int drm_gem_blit_stage_clip(void *priv, struct drm_framebuffer *fb,
				   const struct iosys_map *src,
				   const struct drm_rect *clip)
{
	struct drm_gem_blit_plane_state *state = priv;
	const struct drm_format_info *format = fb->format;
	unsigned int i, y, y1, y2;
	size_t start, end;

	for (i = 0; i < format->num_planes; i++) {
		struct iosys_map *dst = &state->base.data[i];

		drm_gem_blit_rows(format, i, clip, &y1, &y2);
		drm_gem_blit_cols(format, i, clip->x1, clip->x2, &start, &end);
		for (y = y1; y < y2; y++) {
			size_t off = (size_t)y * fb->pitches[i] + start;

			iosys_map_memcpy_from(dst->vaddr + off, &src[i], off,
					      end - start);
		}
		state->copied += (size_t)(y2 - y1) * (end - start);
	}

	return 0;
}

/* Does @buf hold what @old shows, in the layout @fb and @rect give? */
static bool drm_gem_blit_buffer_holds(const struct drm_gem_blit_buffer *buf,
				      const struct drm_gem_blit_plane_state *old,
				      const struct drm_framebuffer *fb,
				      const struct drm_rect *rect)
{
	return buf && buf->seq && buf->seq == old->seq &&
	       buf->format == fb->format &&
	       !memcmp(buf->pitches, fb->pitches, sizeof(buf->pitches)) &&
	       drm_rect_equals(&buf->rect, rect);
}

/*
 * A buffer to write @size bytes into: the old state's, once the commit
 * that installed the old state has stopped reading it, or a new one if it
 * does not fit.
 */
static struct drm_gem_blit_buffer *
drm_gem_blit_buffer_for_write(struct drm_plane_state *old_state, size_t size)
{
	struct drm_gem_blit_plane_state *old =
		to_drm_gem_blit_plane_state(old_state);
	struct drm_gem_blit_buffer *buf = old->buffer;
	int ret;

	if (buf && buf->size >= size && buf->size / 2 <= size) {
		/*
		 * Its last reader is the atomic_update of the commit that
		 * installed the old state: wait for its hw_done, as
		 * drm_atomic_helper_swap_state() does.
		 */
		if (old_state->commit) {
			ret = wait_for_completion_interruptible(&old_state->commit->hw_done);
			if (ret)
				return ERR_PTR(ret);
		}
		return drm_gem_blit_buffer_get(buf);
	}

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	kref_init(&buf->ref);
	buf->vaddr = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf->vaddr) {
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}
	buf->size = size;

	return buf;
}

/**
 * drm_gem_blit_begin_fb_access - copy a plane's damage into staging
 * @plane: the plane
 * @state: the new plane state, a &struct drm_gem_blit_plane_state
 *
 * Implements &drm_plane_helper_funcs.begin_fb_access: brings the plane's
 * staging buffer up to date with the framebuffer's source rectangle and
 * points &drm_shadow_plane_state.data at it, locking and mapping the
 * framebuffer's objects as drm_gem_fb_blit_damage() does; see DOC: staging
 * for what is copied, and for the wait before the buffer is written.
 * Without damage, and with a staging buffer that holds what the plane
 * shows, nothing is locked, mapped, copied or waited for. A state without
 * framebuffer, or an invisible one, holds no buffer.
 *
 * Returns:
 * 0 on success, -EINVAL for a format whose pixels cannot be staged,
 * -E2BIG for a staging buffer larger than INT_MAX bytes, -ENOMEM if the
 * buffer cannot be allocated, -ERESTARTSYS if the wait for the previous
 * commit is interrupted, or an error from waiting, locking, mapping or
 * copying as for drm_gem_fb_blit_damage().
 */
int drm_gem_blit_begin_fb_access(struct drm_plane *plane,
				 struct drm_plane_state *state)
{
	struct drm_gem_blit_plane_state *blit = to_drm_gem_blit_plane_state(state);
	struct drm_gem_blit_walk walk = {
		.new_state = state,
		.blit = drm_gem_blit_stage_clip,
		.priv = blit,
	};
	size_t offsets[DRM_FORMAT_MAX_PLANES];
	struct drm_framebuffer *fb = state->fb;
	struct drm_gem_blit_plane_state *old;
	struct drm_plane_state *old_state;
	struct drm_gem_blit_buffer *buf;
	struct drm_rect rect;
	u64 size;
	bool holds;
	int ret;

	old_state = drm_atomic_get_old_plane_state(state->state, plane);
	if (drm_WARN_ON_ONCE(plane->dev, !old_state))
		return -EINVAL;
	old = to_drm_gem_blit_plane_state(old_state);

	/*
	 * Whatever the state was duplicated from (a state saved before a
	 * plane reset, say), the old state of this commit decides.
	 */
	drm_gem_blit_buffer_put(blit->buffer);
	blit->buffer = NULL;
	blit->seq = 0;
	blit->copied = 0;
	blit->total = old->total;
	drm_gem_blit_set_data(blit);
	if (!fb || !state->visible)
		return 0;

	size = drm_gem_blit_layout(state, &rect, offsets);
	if (!size) {
		drm_dbg_kms(plane->dev, "[PLANE:%d:%s] cannot stage format %p4cc\n",
			    plane->base.id, plane->name, &fb->format->format);
		return -EINVAL;
	}
	if (size > INT_MAX) {
		drm_dbg_kms(plane->dev, "[PLANE:%d:%s] staging needs %llu bytes\n",
			    plane->base.id, plane->name, size);
		return -E2BIG;
	}

	holds = drm_gem_blit_buffer_holds(old->buffer, old, fb, &rect);
	if (holds && !drm_gem_blit_has_damage(old_state, state)) {
		/* It shows what the old state shows: share the buffer. */
		blit->buffer = drm_gem_blit_buffer_get(old->buffer);
		blit->seq = old->seq;
		drm_gem_blit_set_data(blit);
		return 0;
	}

	buf = drm_gem_blit_buffer_for_write(old_state, size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (buf != old->buffer)
		holds = false;
	/* Until the copy is complete, the content is nobody's. */
	buf->seq = 0;
	buf->format = fb->format;
	memcpy(buf->pitches, fb->pitches, sizeof(buf->pitches));
	buf->rect = rect;
	memcpy(buf->offsets, offsets, sizeof(buf->offsets));
	blit->buffer = buf;
	drm_gem_blit_set_data(blit);

	walk.old_state = old_state;
	walk.bounds = &buf->rect;
	if (holds)
		walk.damage = true;	/* relative to what the plane shows */
	else
		walk.extra = &buf->rect;

	ret = drm_gem_blit_fb(fb, state->fence, &walk);
	blit->total += blit->copied;
	if (ret)
		return ret;
	blit->seq = ++buf->next;
	buf->seq = blit->seq;

	return 0;
}
EXPORT_SYMBOL(drm_gem_blit_begin_fb_access);

/**
 * __drm_gem_blit_duplicate_plane_state - duplicate a staging-copy plane state
 * @plane: the plane
 * @new: the new state, allocated by the caller
 *
 * Duplicates the plane's current state into @new, which
 * shares the current state's staging buffer until begin_fb_access decides
 * what it reads.
 */
static void __drm_gem_blit_duplicate_plane_state(struct drm_plane *plane,
						 struct drm_gem_blit_plane_state *new)
{
	struct drm_gem_blit_plane_state *old =
		to_drm_gem_blit_plane_state(plane->state);

	__drm_gem_duplicate_shadow_plane_state(plane, &new->base);
	new->buffer = drm_gem_blit_buffer_get(old->buffer);
	new->seq = old->seq;
	new->copied = 0;
	new->total = old->total;
	drm_gem_blit_set_data(new);
}

/**
 * drm_gem_blit_duplicate_plane_state - duplicate a staging-copy plane state
 * @plane: the plane
 *
 * Implements &drm_plane_funcs.atomic_duplicate_state.
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
 * Releases what the state holds; a staging buffer goes with the last state that reads
 * it. The caller frees @state.
 */
static void __drm_gem_blit_destroy_plane_state(struct drm_gem_blit_plane_state *state)
{
	drm_gem_blit_buffer_put(state->buffer);
	state->buffer = NULL;
	__drm_gem_destroy_shadow_plane_state(&state->base);
}

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
 * @state: the new state, allocated and zeroed by the caller, or NULL
 *
 * Makes @state the plane's state. It holds no staging buffer; the next commit that shows a
 * framebuffer allocates one.
 */
static void __drm_gem_blit_reset_plane(struct drm_plane *plane,
				       struct drm_gem_blit_plane_state *state)
{
	__drm_gem_reset_shadow_plane(plane, state ? &state->base : NULL);
}

/**
 * drm_gem_blit_reset_plane - reset a staging-copy plane
 * @plane: the plane
 *
 * Implements &drm_plane_funcs.reset: frees the plane's state and installs a
 * new one, without a staging buffer.
 */
void drm_gem_blit_reset_plane(struct drm_plane *plane)
{
	struct drm_gem_blit_plane_state *blit;

	if (plane->state) {
		drm_gem_blit_destroy_plane_state(plane, plane->state);
		plane->state = NULL; /* must be set to NULL here */
	}

	blit = kzalloc(sizeof(*blit), GFP_KERNEL);
	__drm_gem_blit_reset_plane(plane, blit);
}
EXPORT_SYMBOL(drm_gem_blit_reset_plane);

#if defined(CONFIG_DEBUG_FS)
static int drm_gem_blit_debugfs_show(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct drm_device *dev = entry->dev;
	struct drm_plane *plane;

	drm_for_each_plane(plane, dev) {
		struct drm_gem_blit_plane_state *state;
		size_t held = 0;

		drm_modeset_lock(&plane->mutex, NULL);
		if (plane->state) {
			state = to_drm_gem_blit_plane_state(plane->state);
			if (state->buffer)
				held = state->buffer->size;
			seq_printf(m, "plane[%u] %s: staging %zu bytes, last commit copied %zu bytes, total %llu bytes\n",
				   plane->base.id, plane->name, held,
				   state->copied, state->total);
		}
		drm_modeset_unlock(&plane->mutex);
	}

	return 0;
}

/**
 * drm_gem_blit_debugfs_init - show the staging copies in debugfs
 * @dev: the device, all of whose planes use &struct drm_gem_blit_plane_state
 *
 * Adds the file "gem_blit_staging" to the device's debugfs directory: per
 * plane, the bytes of staging memory its current state reads, the bytes its
 * last commit copied into it and the bytes copied since the plane was
 * reset. Call it before drm_dev_register().
 */
void drm_gem_blit_debugfs_init(struct drm_device *dev)
{
	drm_debugfs_add_file(dev, "gem_blit_staging",
			     drm_gem_blit_debugfs_show, NULL);
}
#else
void drm_gem_blit_debugfs_init(struct drm_device *dev)
{
}
#endif
EXPORT_SYMBOL(drm_gem_blit_debugfs_init);

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
