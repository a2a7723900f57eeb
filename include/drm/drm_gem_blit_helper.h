/* SPDX-License-Identifier: GPL-2.0-or-later */

#ifndef __DRM_GEM_BLIT_HELPER_H__
#define __DRM_GEM_BLIT_HELPER_H__

#include <linux/iosys-map.h>

#include <drm/drm_fourcc.h>

struct drm_framebuffer;
struct drm_plane_state;
struct drm_rect;

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

#endif /* __DRM_GEM_BLIT_HELPER_H__ */
