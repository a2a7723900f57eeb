/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A dma-buf exporter for KUnit tests of importers: it counts every callback,
 * records whether the reservation lock was held at each one and, across
 * several exporters, the order of the calls; it returns distinct addresses
 * for vmap and vmap_local, and can be told to fail begin_cpu_access or
 * vmap_local, and counts sg table mappings and pins, with variants without
 * pin (not dynamic) and with a cached sg table. Shared by the vmap_local and
 * blit-helper tests.
 */

#ifndef DRM_TEST_EXPORTER_H
#define DRM_TEST_EXPORTER_H

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <kunit/test.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_prime.h>

#define VL_SIZE		SZ_64K
#define VL_BYTE		0x5c

/* --- a test exporter ------------------------------------------------- */

/**
 * struct vl_log - the order of callbacks across several test exporters
 * @ev: two characters per event: what ('B'egin/'E'nd cpu access,
 *      vmap_local 'M'/'U', vmap 'P'/'Q') and the exporter's id
 * @len: used length of @ev
 */
struct vl_log {
	char ev[128];
	unsigned int len;
};

struct vl_exporter {
	void *vmap_mem;			/* what vmap returns */
	void *local_mem;		/* what vmap_local returns */
	unsigned int vmap_calls, vunmap_calls;
	unsigned int local_calls, unlocal_calls;
	unsigned int begin_calls, end_calls;
	unsigned int pins;		/* pin minus unpin, plus live vmaps */
	unsigned int pin_calls, unpin_calls;	/* &dma_buf_ops.pin, unpin */
	unsigned int map_calls, unmap_calls;	/* map_dma_buf, unmap_dma_buf */
	unsigned int unlocked_calls;	/* callbacks without the resv held */
	unsigned int locked_calls;	/* cpu access with the resv held */
	int fail_begin, fail_vmap_local;	/* errors to inject */
	struct vl_log *log;
	char id;
	struct dma_buf *dmabuf;
};

static inline void vl_log(struct vl_exporter *exp, char what)
{
	struct vl_log *log = exp->log;

	if (log && log->len + 2 < sizeof(log->ev)) {
		log->ev[log->len++] = what;
		log->ev[log->len++] = exp->id;
	}
}

static inline void vl_check_locked(struct vl_exporter *exp, struct dma_buf *dmabuf)
{
	if (!dma_resv_is_locked(dmabuf->resv))
		exp->unlocked_calls++;
}

static inline struct sg_table *
vl_map_dma_buf(struct dma_buf_attachment *attach, enum dma_data_direction dir)
{
	struct vl_exporter *exp = attach->dmabuf->priv;
	struct sg_table *sgt;

	vl_check_locked(exp, attach->dmabuf);
	exp->map_calls++;
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	if (sg_alloc_table(sgt, 1, GFP_KERNEL)) {
		kfree(sgt);
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * Importers here never access memory through the DMA addresses; the
	 * DMA helper only checks that the buffer is contiguous.
	 */
	sg_init_one(sgt->sgl, exp->local_mem, VL_SIZE);
	sg_dma_address(sgt->sgl) = virt_to_phys(exp->local_mem);
	sg_dma_len(sgt->sgl) = VL_SIZE;
	sgt->nents = 1;

	return sgt;
}

static inline void vl_unmap_dma_buf(struct dma_buf_attachment *attach,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	struct vl_exporter *exp = attach->dmabuf->priv;

	vl_check_locked(exp, attach->dmabuf);
	exp->unmap_calls++;
	sg_free_table(sgt);
	kfree(sgt);
}

static inline int vl_pin(struct dma_buf_attachment *attach)
{
	struct vl_exporter *exp = attach->dmabuf->priv;

	vl_check_locked(exp, attach->dmabuf);
	exp->pin_calls++;
	exp->pins++;
	return 0;
}

static inline void vl_unpin(struct dma_buf_attachment *attach)
{
	struct vl_exporter *exp = attach->dmabuf->priv;

	vl_check_locked(exp, attach->dmabuf);
	exp->unpin_calls++;
	exp->pins--;
}

/* The exporter's memory belongs to the test: nothing to free. */
static inline void vl_release(struct dma_buf *dmabuf)
{
}

static inline int vl_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vl_exporter *exp = dmabuf->priv;

	vl_check_locked(exp, dmabuf);
	vl_log(exp, 'P');
	exp->vmap_calls++;
	exp->pins++;
	iosys_map_set_vaddr(map, exp->vmap_mem);
	return 0;
}

static inline void vl_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vl_exporter *exp = dmabuf->priv;

	vl_check_locked(exp, dmabuf);
	vl_log(exp, 'Q');
	exp->vunmap_calls++;
	exp->pins--;
}

static inline int vl_vmap_local(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vl_exporter *exp = dmabuf->priv;

	vl_check_locked(exp, dmabuf);
	vl_log(exp, 'M');
	exp->local_calls++;
	if (exp->fail_vmap_local)
		return exp->fail_vmap_local;
	iosys_map_set_vaddr(map, exp->local_mem);
	return 0;
}

static inline void vl_vunmap_local(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vl_exporter *exp = dmabuf->priv;

	vl_check_locked(exp, dmabuf);
	vl_log(exp, 'U');
	exp->unlocal_calls++;
}

/* CPU access is prepared and finished without the reservation lock. */
static inline int vl_begin_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	struct vl_exporter *exp = dmabuf->priv;

	if (dma_resv_is_locked(dmabuf->resv))
		exp->locked_calls++;
	vl_log(exp, 'B');
	exp->begin_calls++;
	return exp->fail_begin;
}

static inline int vl_end_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	struct vl_exporter *exp = dmabuf->priv;

	if (dma_resv_is_locked(dmabuf->resv))
		exp->locked_calls++;
	vl_log(exp, 'E');
	exp->end_calls++;
	return 0;
}

static const struct dma_buf_ops vl_ops = {
	.map_dma_buf = vl_map_dma_buf,
	.unmap_dma_buf = vl_unmap_dma_buf,
	.pin = vl_pin,
	.unpin = vl_unpin,
	.release = vl_release,
	.begin_cpu_access = vl_begin_cpu_access,
	.end_cpu_access = vl_end_cpu_access,
	.vmap = vl_vmap,
	.vunmap = vl_vunmap,
	.vmap_local = vl_vmap_local,
	.vunmap_local = vl_vunmap_local,
};

static const struct dma_buf_ops vl_ops_no_local = {
	.map_dma_buf = vl_map_dma_buf,
	.unmap_dma_buf = vl_unmap_dma_buf,
	.pin = vl_pin,
	.unpin = vl_unpin,
	.release = vl_release,
	.begin_cpu_access = vl_begin_cpu_access,
	.end_cpu_access = vl_end_cpu_access,
	.vmap = vl_vmap,
	.vunmap = vl_vunmap,
};

/* A non-dynamic exporter (no pin), as vgem's GEM PRIME export. */
static const struct dma_buf_ops vl_ops_static = {
	.map_dma_buf = vl_map_dma_buf,
	.unmap_dma_buf = vl_unmap_dma_buf,
	.release = vl_release,
	.begin_cpu_access = vl_begin_cpu_access,
	.end_cpu_access = vl_end_cpu_access,
	.vmap = vl_vmap,
	.vunmap = vl_vunmap,
	.vmap_local = vl_vmap_local,
	.vunmap_local = vl_vunmap_local,
};

/* ... whose first sg table mapping the dma-buf core caches. */
static const struct dma_buf_ops vl_ops_static_cached = {
	.cache_sgt_mapping = true,
	.map_dma_buf = vl_map_dma_buf,
	.unmap_dma_buf = vl_unmap_dma_buf,
	.release = vl_release,
	.vmap = vl_vmap,
	.vunmap = vl_vunmap,
};

static inline void vl_dma_buf_put(void *data)
{
	dma_buf_put(data);
	/* Run the release now, while the test's memory still exists. */
	flush_delayed_fput();
}

static inline struct vl_exporter *vl_export(struct kunit *test,
					    const struct dma_buf_ops *ops)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct vl_exporter *exp;
	int ret;

	exp = kunit_kzalloc(test, sizeof(*exp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, exp);
	exp->vmap_mem = kunit_kzalloc(test, VL_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, exp->vmap_mem);
	exp->local_mem = kunit_kzalloc(test, VL_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, exp->local_mem);

	info.ops = ops;
	info.size = VL_SIZE;
	info.flags = O_RDWR;
	info.priv = exp;
	exp->dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, exp->dmabuf);

	ret = kunit_add_action_or_reset(test, vl_dma_buf_put, exp->dmabuf);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return exp;
}

/* For test drivers: drm_gem_prime_export() takes the owner from the fops. */
static const struct file_operations vl_fops = {
	.owner = THIS_MODULE,
};

/* A DRM device of @driver, with a 64-bit DMA mask, for the test's life. */
static inline struct drm_device *vl_alloc_drm(struct kunit *test,
					      const struct drm_driver *driver)
{
	struct drm_device *drm;
	struct device *dev;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev,
							      sizeof(*drm), 0,
							      driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);

	return drm;
}

/* Import the exporter's buffer into @drm; released at the end of the test. */
KUNIT_DEFINE_ACTION_WRAPPER(vl_gem_put, drm_gem_object_put,
			    struct drm_gem_object *);

static inline struct drm_gem_object *vl_import(struct kunit *test,
					       struct drm_device *drm,
					       struct vl_exporter *exp)
{
	struct drm_gem_object *obj;
	int ret;

	obj = drm_gem_prime_import(drm, exp->dmabuf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	ret = kunit_add_action_or_reset(test, vl_gem_put, obj);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_PTR_EQ(test, obj->resv, exp->dmabuf->resv);

	return obj;
}

#endif /* DRM_TEST_EXPORTER_H */
