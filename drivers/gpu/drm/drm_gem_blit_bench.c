// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark of the GEM damage-blit helper.
 *
 * Times one plane update's worth of work on a buffer that userspace
 * imports through PRIME, three ways, in the same kernel:
 *
 * new:    drm_gem_fb_blit_damage(), as a converted driver's prepare phase
 *         does it: CPU access, reservation locks, vmap_local, copy, undo;
 * old:    the shadow-plane path of the stock drivers: drm_gem_fb_vmap() (a
 *         pinning vmap of the whole buffer), drm_gem_fb_begin_cpu_access(),
 *         copy, drm_gem_fb_end_cpu_access(), drm_gem_fb_vunmap();
 * memcpy: the copy alone, from a mapping made beforehand, with the same
 *         copy function (a plain memcpy() of each line for XRGB8888).
 *
 * Userspace writes one line to <debugfs>/drm_gem_blit_bench/run:
 *
 *   FD PATH FORMAT WIDTH HEIGHT PITCH NCLIPS CLIP_W CLIP_H ITERATIONS
 *
 * FD is a dma-buf of at least PITCH * HEIGHT bytes holding an XRGB8888
 * image; PATH is new, old or memcpy; FORMAT is the destination format,
 * xrgb8888 or rgb565; the NCLIPS clips of CLIP_W x CLIP_H pixels are laid
 * out left to right, top to bottom from the origin. Reading the file
 * returns the result of the last run as "key=value" pairs, among them the
 * median and the minimum time per update in nanoseconds.
 */

#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <drm/drm_damage_helper.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_format_helper.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_blit_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_plane.h>
#include <drm/drm_prime.h>
#include <drm/drm_property.h>
#include <drm/drm_rect.h>

#define BENCH_MAX_CLIPS		256
#define BENCH_MAX_ITERS		1000
#define BENCH_MAX_DIM		8192

enum bench_path { BENCH_NEW, BENCH_OLD, BENCH_MEMCPY };

struct bench_run {
	struct drm_framebuffer fb;
	struct drm_plane_state old_state, new_state;
	struct drm_property_blob damage;
	struct drm_mode_rect clips[BENCH_MAX_CLIPS];
	const struct drm_format_info *dst_format;
	struct iosys_map dst;
	unsigned int dst_pitch;
	struct drm_format_conv_state conv;
	u64 bytes;		/* source bytes copied per update */
};

static struct {
	struct mutex lock;	/* one run at a time; protects result */
	struct platform_device *pdev;
	struct drm_device *drm;
	struct dentry *dir;
	char result[256];

	/* just enough of a plane and a device for the damage iterator */
	struct drm_device mock_dev;
	struct drm_driver mock_driver;
	struct drm_object_properties obj_props;
	struct drm_property prop;
	struct drm_plane plane;
} bench;

static const struct drm_driver bench_driver = {
	.driver_features = DRIVER_GEM,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	.name = "drm_gem_blit_bench",
	.desc = "GEM damage-blit benchmark",
	.date = "20261126",
};

/* Copy one clip into the destination image, converting if asked. */
static int bench_blit(void *priv, struct drm_framebuffer *fb,
		      const struct iosys_map *src, const struct drm_rect *clip)
{
	struct bench_run *run = priv;
	struct iosys_map dst = run->dst;
	unsigned int y, len = drm_rect_width(clip) * 4;

	if (run->dst_format->format == DRM_FORMAT_RGB565) {
		iosys_map_incr(&dst, drm_fb_clip_offset(run->dst_pitch,
							run->dst_format,
							clip));
		drm_fb_xrgb8888_to_rgb565(&dst, &run->dst_pitch, src, fb,
					  clip, &run->conv, false);
		return 0;
	}

	for (y = clip->y1; y < clip->y2; y++) {
		size_t off = (size_t)y * fb->pitches[0] + clip->x1 * 4;

		iosys_map_memcpy_from(dst.vaddr + (size_t)y * run->dst_pitch +
				      clip->x1 * 4, src, off, len);
	}

	return 0;
}

/* The damage of @run, as the driver's update would walk it. */
static int bench_walk(struct bench_run *run, const struct iosys_map *src)
{
	struct drm_atomic_helper_damage_iter iter;
	struct drm_rect clip;
	int ret;

	drm_atomic_helper_damage_iter_init(&iter, &run->old_state,
					   &run->new_state);
	drm_atomic_for_each_plane_damage(&iter, &clip) {
		ret = bench_blit(run, &run->fb, src, &clip);
		if (ret)
			return ret;
	}

	return 0;
}

/* 6.12's shadow-plane path: begin_fb_access, atomic_update, end_fb_access. */
static int bench_old(struct bench_run *run)
{
	struct iosys_map map[DRM_FORMAT_MAX_PLANES];
	struct iosys_map data[DRM_FORMAT_MAX_PLANES];
	int ret;

	ret = drm_gem_fb_vmap(&run->fb, map, data);
	if (ret)
		return ret;
	ret = drm_gem_fb_begin_cpu_access(&run->fb, DMA_FROM_DEVICE);
	if (!ret) {
		ret = bench_walk(run, data);
		drm_gem_fb_end_cpu_access(&run->fb, DMA_FROM_DEVICE);
	}
	drm_gem_fb_vunmap(&run->fb, map);

	return ret;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int bench_measure(struct bench_run *run, enum bench_path path,
			 unsigned int iters, u64 *times)
{
	struct iosys_map map[DRM_FORMAT_MAX_PLANES];
	struct iosys_map data[DRM_FORMAT_MAX_PLANES];
	unsigned int i;
	int ret = 0;

	/* The copy alone reads through a mapping made outside the timing. */
	if (path == BENCH_MEMCPY) {
		ret = drm_gem_fb_vmap(&run->fb, map, data);
		if (ret)
			return ret;
	}

	for (i = 0; i < iters && !ret; i++) {
		u64 t0 = ktime_get_ns();

		switch (path) {
		case BENCH_NEW:
			ret = drm_gem_fb_blit_damage(&run->old_state,
						     &run->new_state,
						     bench_blit, run);
			break;
		case BENCH_OLD:
			ret = bench_old(run);
			break;
		case BENCH_MEMCPY:
			ret = bench_walk(run, data);
			break;
		}
		times[i] = ktime_get_ns() - t0;
		cond_resched();
	}

	if (path == BENCH_MEMCPY)
		drm_gem_fb_vunmap(&run->fb, map);

	return ret;
}

/* A result is only worth printing if the clips were copied, exactly. */
static int bench_verify(struct bench_run *run, unsigned int nclips)
{
	struct iosys_map map[DRM_FORMAT_MAX_PLANES];
	struct iosys_map data[DRM_FORMAT_MAX_PLANES];
	unsigned int i, x, y, bad = 0;
	int ret;

	ret = drm_gem_fb_vmap(&run->fb, map, data);
	if (ret)
		return ret;
	for (i = 0; i < nclips; i++) {
		const struct drm_mode_rect *c = &run->clips[i];

		for (y = c->y1; y < c->y2; y++) {
			const u32 *src = data[0].vaddr +
					 (size_t)y * run->fb.pitches[0];
			const void *dst = run->dst.vaddr +
					  (size_t)y * run->dst_pitch;

			for (x = c->x1; x < c->x2; x++) {
				u32 p = src[x];
				u16 rgb565 = ((p >> 8) & 0xf800) |
					     ((p >> 5) & 0x07e0) |
					     ((p >> 3) & 0x001f);

				if (run->dst_format->cpp[0] == 2)
					bad += ((const u16 *)dst)[x] != rgb565;
				else
					bad += ((const u32 *)dst)[x] != p;
			}
		}
	}
	drm_gem_fb_vunmap(&run->fb, map);

	if (bad) {
		pr_err("drm_gem_blit_bench: %u pixels not copied right\n", bad);
		return -EIO;
	}

	return 0;
}

/* Lay @n clips of @cw x @ch out over the framebuffer; returns how many fit. */
static unsigned int bench_layout(struct bench_run *run, unsigned int n,
				 unsigned int cw, unsigned int ch)
{
	unsigned int i, x = 0, y = 0;

	for (i = 0; i < n; i++) {
		if (x + cw > run->fb.width) {
			x = 0;
			y += ch;
		}
		if (y + ch > run->fb.height)
			break;
		run->clips[i].x1 = x;
		run->clips[i].y1 = y;
		run->clips[i].x2 = x + cw;
		run->clips[i].y2 = y + ch;
		run->bytes += (u64)cw * ch * 4;
		x += cw;
	}

	return i;
}

static int bench_run(const char *line)
{
	unsigned int w, h, pitch, nclips, cw, ch, iters;
	char path_name[16], fmt_name[16];
	struct drm_gem_object *obj;
	struct dma_buf *dmabuf;
	enum bench_path path;
	struct bench_run *run;
	u64 *times = NULL;
	void *dst = NULL;
	int fd, ret;

	if (sscanf(line, "%d %15s %15s %u %u %u %u %u %u %u", &fd, path_name,
		   fmt_name, &w, &h, &pitch, &nclips, &cw, &ch, &iters) != 10)
		return -EINVAL;
	if (!strcmp(path_name, "new"))
		path = BENCH_NEW;
	else if (!strcmp(path_name, "old"))
		path = BENCH_OLD;
	else if (!strcmp(path_name, "memcpy"))
		path = BENCH_MEMCPY;
	else
		return -EINVAL;
	if (!w || !h || w > BENCH_MAX_DIM || h > BENCH_MAX_DIM ||
	    pitch < w * 4 || !nclips || nclips > BENCH_MAX_CLIPS || !cw ||
	    !ch || !iters || iters > BENCH_MAX_ITERS)
		return -EINVAL;

	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return -ENOMEM;
	if (!strcmp(fmt_name, "xrgb8888")) {
		run->dst_format = drm_format_info(DRM_FORMAT_XRGB8888);
	} else if (!strcmp(fmt_name, "rgb565")) {
		run->dst_format = drm_format_info(DRM_FORMAT_RGB565);
	} else {
		ret = -EINVAL;
		goto out_free;
	}
	run->dst_pitch = w * run->dst_format->cpp[0];
	drm_format_conv_state_init(&run->conv);

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out_free;
	}
	if (dmabuf->size < (size_t)pitch * h) {
		dma_buf_put(dmabuf);
		ret = -EINVAL;
		goto out_free;
	}
	obj = drm_gem_prime_import(bench.drm, dmabuf);
	dma_buf_put(dmabuf);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_free;
	}

	run->fb.dev = bench.drm;
	run->fb.format = drm_format_info(DRM_FORMAT_XRGB8888);
	run->fb.width = w;
	run->fb.height = h;
	run->fb.pitches[0] = pitch;
	run->fb.obj[0] = obj;
	nclips = bench_layout(run, nclips, cw, ch);

	/* The same framebuffer and source: the clips are the damage. */
	run->old_state.plane = &bench.plane;
	run->new_state.plane = &bench.plane;
	run->old_state.fb = &run->fb;
	run->new_state.fb = &run->fb;
	run->new_state.crtc = ZERO_SIZE_PTR;	/* never dereferenced */
	run->new_state.visible = true;
	drm_rect_init(&run->new_state.src, 0, 0, w << 16, h << 16);
	run->new_state.src_w = w << 16;
	run->new_state.src_h = h << 16;
	run->old_state.src = run->new_state.src;
	run->damage.data = run->clips;
	run->damage.length = nclips * sizeof(run->clips[0]);
	run->new_state.fb_damage_clips = &run->damage;

	dst = vzalloc((size_t)run->dst_pitch * h);
	times = kcalloc(iters, sizeof(*times), GFP_KERNEL);
	if (!dst || !times) {
		ret = -ENOMEM;
		goto out_put;
	}
	iosys_map_set_vaddr(&run->dst, dst);

	ret = bench_measure(run, path, iters, times);
	if (!ret)
		ret = bench_verify(run, nclips);
	if (ret)
		goto out_put;

	sort(times, iters, sizeof(*times), bench_cmp_u64, NULL);
	scnprintf(bench.result, sizeof(bench.result),
		  "path=%s format=%s width=%u height=%u clips=%u clip_w=%u clip_h=%u bytes=%llu iterations=%u median_ns=%llu min_ns=%llu\n",
		  path_name, fmt_name, w, h, nclips, cw, ch, run->bytes, iters,
		  times[iters / 2], times[0]);

out_put:
	drm_gem_object_put(obj);
out_free:
	kfree(times);
	vfree(dst);
	drm_format_conv_state_release(&run->conv);
	kfree(run);

	return ret;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char line[128];
	int ret;

	if (len >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, len))
		return -EFAULT;
	line[len] = '\0';

	mutex_lock(&bench.lock);
	bench.result[0] = '\0';
	ret = bench_run(line);
	mutex_unlock(&bench.lock);

	return ret ? ret : len;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t len,
			  loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bench.lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, bench.result,
				      strlen(bench.result));
	mutex_unlock(&bench.lock);

	return ret;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.write = bench_write,
	.read = bench_read,
	.llseek = default_llseek,
};

static int __init bench_init(void)
{
	int ret;

	mutex_init(&bench.lock);
	bench.pdev = platform_device_register_simple("drm_gem_blit_bench", -1,
						     NULL, 0);
	if (IS_ERR(bench.pdev))
		return PTR_ERR(bench.pdev);
	ret = dma_coerce_mask_and_coherent(&bench.pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_pdev;
	bench.drm = drm_dev_alloc(&bench_driver, &bench.pdev->dev);
	if (IS_ERR(bench.drm)) {
		ret = PTR_ERR(bench.drm);
		goto err_pdev;
	}

	bench.mock_dev.driver = &bench.mock_driver;
	bench.mock_dev.mode_config.prop_fb_damage_clips = &bench.prop;
	bench.prop.base.id = 1;
	bench.prop.dev = &bench.mock_dev;
	bench.plane.dev = &bench.mock_dev;
	bench.plane.base.properties = &bench.obj_props;
	drm_plane_enable_fb_damage_clips(&bench.plane);

	bench.dir = debugfs_create_dir("drm_gem_blit_bench", NULL);
	debugfs_create_file("run", 0600, bench.dir, NULL, &bench_fops);

	return 0;

err_pdev:
	platform_device_unregister(bench.pdev);
	return ret;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench.dir);
	drm_dev_put(bench.drm);
	platform_device_unregister(bench.pdev);
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_DESCRIPTION("Benchmark of the GEM damage-blit helper");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL");
