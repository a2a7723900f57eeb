/* SPDX-License-Identifier: GPL-2.0-or-later */

#ifndef __DRM_GEM_BLIT_HELPER_H__
#define __DRM_GEM_BLIT_HELPER_H__

#include <linux/iosys-map.h>

#include <drm/drm_fourcc.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_rect.h>

struct drm_device;
struct drm_framebuffer;
struct drm_plane;
struct drm_plane_state;
struct drm_simple_display_pipe;

/**
 * typedef drm_gem_blit_clip_func - copy one damage clip out of a framebuffer
 * @priv: the caller's data, as passed to drm_gem_fb_blit_damage()
 * @fb: the framebuffer
 * @src: one mapping per color plane of @fb, each already advanced by the
 *       plane's offset (&drm_framebuffer.offsets), so that the pixel at
 *       (x, y) of color plane i is at x * cpp + y * &drm_framebuffer.pitches
 *       bytes from @src[i], as the drm_format_helper functions expect
 * @clip: the damaged rectangle, in framebuffer coordinates, within the
 *        framebuffer and the plane's source rectangle
 *
 * Called with the reservations of all of @fb's GEM objects held. Must not
 * sleep on anything that may wait for a dma-fence, and must not keep @src
 * beyond its return.
 *
 * Returns:
 * 0 on success, or a negative errno code, which stops the walk over the
 * remaining clips and is returned to the caller.
 */
typedef int (*drm_gem_blit_clip_func)(void *priv, struct drm_framebuffer *fb,
				      const struct iosys_map *src,
				      const struct drm_rect *clip);

int drm_gem_fb_blit_damage(struct drm_plane_state *old_state,
			   struct drm_plane_state *new_state,
			   drm_gem_blit_clip_func blit, void *priv);

struct drm_gem_blit_buffer;

/**
 * struct drm_gem_blit_plane_state - plane state with a staging copy
 *
 * A &drm_shadow_plane_state whose &drm_shadow_plane_state.data does not map
 * the framebuffer, but a staging copy of the plane's source rectangle in
 * system memory, brought up to date in the prepare phase by
 * drm_gem_blit_begin_fb_access(). The staging copy has the framebuffer's
 * format and pitches, so that the driver's
 * &drm_plane_helper_funcs.atomic_update converts from @base.data, clip by
 * clip of the damage iterator or any other part of the plane's source
 * rectangle, as with shadow planes, without any locking, but nothing
 * outside the source rectangle. It may be read until the commit signals
 * hw_done, and not later; see DOC: staging.
 */
struct drm_gem_blit_plane_state {
	/** @base: shadow plane state; its data points into the staging copy */
	struct drm_shadow_plane_state base;

	/** @buffer: the staging buffer this state reads, or NULL */
	struct drm_gem_blit_buffer *buffer;

	/** @seq: number of the copy in @buffer that this state reads */
	u64 seq;

	/** @copied: bytes this state's commit copied into @buffer */
	size_t copied;

	/** @total: bytes copied into the plane's staging buffers since reset */
	u64 total;
};

static inline struct drm_gem_blit_plane_state *
to_drm_gem_blit_plane_state(struct drm_plane_state *state)
{
	return container_of(to_drm_shadow_plane_state(state),
			    struct drm_gem_blit_plane_state, base);
}

void drm_gem_blit_reset_plane(struct drm_plane *plane);
struct drm_plane_state *drm_gem_blit_duplicate_plane_state(struct drm_plane *plane);
void drm_gem_blit_destroy_plane_state(struct drm_plane *plane,
				      struct drm_plane_state *state);
int drm_gem_blit_begin_fb_access(struct drm_plane *plane,
				 struct drm_plane_state *state);
void drm_gem_blit_debugfs_init(struct drm_device *dev);

/**
 * DRM_GEM_BLIT_PLANE_FUNCS - plane functions for staging-copy planes
 *
 * Initializes &struct drm_plane_funcs to use &struct drm_gem_blit_plane_state.
 */
#define DRM_GEM_BLIT_PLANE_FUNCS \
	.reset = drm_gem_blit_reset_plane, \
	.atomic_duplicate_state = drm_gem_blit_duplicate_plane_state, \
	.atomic_destroy_state = drm_gem_blit_destroy_plane_state

/**
 * DRM_GEM_BLIT_PLANE_HELPER_FUNCS - plane helpers for staging-copy planes
 *
 * Initializes &struct drm_plane_helper_funcs to copy the damage into the
 * staging buffer in &drm_plane_helper_funcs.begin_fb_access. There is
 * nothing to release in end_fb_access: the staging buffer stays with the
 * plane's states.
 */
#define DRM_GEM_BLIT_PLANE_HELPER_FUNCS \
	.begin_fb_access = drm_gem_blit_begin_fb_access

int drm_gem_blit_simple_kms_begin_fb_access(struct drm_simple_display_pipe *pipe,
					    struct drm_plane_state *plane_state);
void drm_gem_blit_simple_kms_reset_plane(struct drm_simple_display_pipe *pipe);
struct drm_plane_state *
drm_gem_blit_simple_kms_duplicate_plane_state(struct drm_simple_display_pipe *pipe);
void drm_gem_blit_simple_kms_destroy_plane_state(struct drm_simple_display_pipe *pipe,
						 struct drm_plane_state *plane_state);

/**
 * DRM_GEM_BLIT_SIMPLE_DISPLAY_PIPE_FUNCS - pipe functions for staging copies
 *
 * Initializes &struct drm_simple_display_pipe_funcs for a pipe whose plane
 * uses &struct drm_gem_blit_plane_state: the damage is copied into the
 * staging buffer in begin_fb_access, and the pipe's update callback reads
 * &drm_shadow_plane_state.data.
 */
#define DRM_GEM_BLIT_SIMPLE_DISPLAY_PIPE_FUNCS \
	.begin_fb_access = drm_gem_blit_simple_kms_begin_fb_access, \
	.reset_plane = drm_gem_blit_simple_kms_reset_plane, \
	.duplicate_plane_state = drm_gem_blit_simple_kms_duplicate_plane_state, \
	.destroy_plane_state = drm_gem_blit_simple_kms_destroy_plane_state

#endif /* __DRM_GEM_BLIT_HELPER_H__ */
