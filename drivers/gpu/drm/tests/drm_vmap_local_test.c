// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for short-term kernel mappings (vmap_local) in dma-buf, GEM,
 * PRIME and the GEM SHMEM and DMA helpers, and for who pins an exported
 * buffer when: attachments, the PRIME export helpers and the SHMEM helper's
 * CPU-only import.
 *
 * A test exporter counts every call of its dma-buf callbacks, records
 * whether the reservation lock was held at each one, and returns distinct
 * addresses for vmap and vmap_local, so that a mapping handed out from the
 * wrong refcount shows.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_dma_helper.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_prime.h>

MODULE_IMPORT_NS(DMA_BUF);

#include "drm_test_exporter.h"

/* --- dma-buf core ---------------------------------------------------- */

/* Nested short-term mappings share one exporter mapping and one refcount. */
static void dma_buf_test_vmap_local_nesting(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct iosys_map a, b;

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &a), 0);
	KUNIT_EXPECT_PTR_EQ(test, a.vaddr, exp->local_mem);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &b), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&a, &b));
	KUNIT_EXPECT_EQ(test, exp->local_calls, 1);
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 2);

	dma_buf_vunmap_local(dmabuf, &b);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 0);
	dma_buf_vunmap_local(dmabuf, &a);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 1);
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&dmabuf->vmap_local_ptr));

	/* Mapping again after the last unmap asks the exporter again. */
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &a), 0);
	KUNIT_EXPECT_EQ(test, exp->local_calls, 2);
	dma_buf_vunmap_local(dmabuf, &a);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 2);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, 0);
}

/*
 * vmap and vmap_local on one buffer, in every order: each call gets its own
 * kind of mapping and the two refcounts never mix.
 */
enum vl_step { VMAP, VUNMAP, LMAP, LUNMAP };

struct vl_order_case {
	const char *name;
	enum vl_step steps[4];
};

static const struct vl_order_case vl_order_cases[] = {
	{ "vmap inside vmap_local", { LMAP, VMAP, VUNMAP, LUNMAP } },
	{ "vmap_local inside vmap", { VMAP, LMAP, LUNMAP, VUNMAP } },
	{ "vmap_local released first", { LMAP, VMAP, LUNMAP, VUNMAP } },
	{ "vmap released first", { VMAP, LMAP, VUNMAP, LUNMAP } },
};

static void vl_order_desc(const struct vl_order_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vl_order, vl_order_cases, vl_order_desc);

static void dma_buf_test_vmap_local_mixed(struct kunit *test)
{
	const struct vl_order_case *t = test->param_value;
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct iosys_map vmap, local;
	int i;

	dma_resv_lock(dmabuf->resv, NULL);
	for (i = 0; i < ARRAY_SIZE(t->steps); i++) {
		switch (t->steps[i]) {
		case VMAP:
			KUNIT_EXPECT_EQ(test, dma_buf_vmap(dmabuf, &vmap), 0);
			KUNIT_EXPECT_PTR_EQ(test, vmap.vaddr, exp->vmap_mem);
			break;
		case VUNMAP:
			dma_buf_vunmap(dmabuf, &vmap);
			break;
		case LMAP:
			KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &local),
					0);
			KUNIT_EXPECT_PTR_EQ(test, local.vaddr, exp->local_mem);
			break;
		case LUNMAP:
			dma_buf_vunmap_local(dmabuf, &local);
			break;
		}
	}
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->vunmap_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->local_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 1);
	KUNIT_EXPECT_EQ(test, dmabuf->vmapping_counter, 0);
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, 0);
}

/* An exporter without vmap_local gives -EOPNOTSUPP and no mapping. */
static void dma_buf_test_vmap_local_unsupported(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops_no_local);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct iosys_map map;

	iosys_map_set_vaddr(&map, exp->vmap_mem);
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &map), -EOPNOTSUPP);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 0);
}

/* An unmap without a map warns and changes nothing. */
static void dma_buf_test_vunmap_local_unbalanced(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct iosys_map map;

	iosys_map_set_vaddr(&map, exp->local_mem);
	dma_resv_lock(dmabuf->resv, NULL);
	dma_buf_vunmap_local(dmabuf, &map);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 0);
}

/* Unmapping a mapping that is not the buffer's warns and keeps it mapped. */
static void dma_buf_test_vunmap_local_mismatch(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct iosys_map map, wrong;

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_local(dmabuf, &map), 0);
	iosys_map_set_vaddr(&wrong, exp->vmap_mem);
	dma_buf_vunmap_local(dmabuf, &wrong);
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 1);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&dmabuf->vmap_local_ptr,
						   &map));

	dma_buf_vunmap_local(dmabuf, &map);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_EQ(test, dmabuf->vmap_local_counter, 0);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 1);
}

/* A NULL buffer warns and fails with -EINVAL. */
static void dma_buf_test_vmap_local_null(struct kunit *test)
{
	struct iosys_map map;

	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(NULL, &map), -EINVAL);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
}

static struct kunit_case dma_buf_vmap_local_cases[] = {
	KUNIT_CASE(dma_buf_test_vmap_local_nesting),
	KUNIT_CASE_PARAM(dma_buf_test_vmap_local_mixed, vl_order_gen_params),
	KUNIT_CASE(dma_buf_test_vmap_local_unsupported),
	KUNIT_CASE(dma_buf_test_vunmap_local_unbalanced),
	KUNIT_CASE(dma_buf_test_vunmap_local_mismatch),
	KUNIT_CASE(dma_buf_test_vmap_local_null),
	{}
};

static struct kunit_suite dma_buf_vmap_local_suite = {
	.name = "dma_buf_vmap_local",
	.test_cases = dma_buf_vmap_local_cases,
};

/* --- GEM, PRIME and the SHMEM helper ----------------------------------- */

static const struct drm_driver vl_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &vl_fops,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
};

static int vl_gem_init(struct kunit *test)
{
	test->priv = vl_alloc_drm(test, &vl_driver);
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(vl_shmem_free, drm_gem_shmem_free,
			    struct drm_gem_shmem_object *);

static struct drm_gem_shmem_object *vl_shmem_create(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	int ret;

	shmem = drm_gem_shmem_create(test->priv, VL_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	ret = kunit_add_action_or_reset(test, vl_shmem_free, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return shmem;
}

/*
 * A native shmem object maps through the GEM callback; the page use count is
 * back where it was after the unmap, and with nothing else holding the pages
 * no mapping is kept.
 */
static void drm_gem_shmem_test_vmap_local(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	struct iosys_map map, map2;

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	KUNIT_EXPECT_FALSE(test, map.is_iomem);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, shmem->vaddr_local);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 1);
	KUNIT_EXPECT_EQ(test, shmem->vmap_use_count, 0);
	iosys_map_memset(&map, 0, VL_BYTE, VL_SIZE);

	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map2), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&map, &map2));
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 2);
	drm_gem_vunmap_local(obj, &map2);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map2));
	drm_gem_vunmap_local(obj, &map);

	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_NULL(test, shmem->vaddr_local);

	/* The content is the object's: the pinning vmap sees it. */
	KUNIT_ASSERT_EQ(test, drm_gem_shmem_vmap(shmem, &map), 0);
	KUNIT_EXPECT_EQ(test, iosys_map_rd(&map, VL_SIZE - 1, u8), VL_BYTE);
	drm_gem_shmem_vunmap(shmem, &map);
	dma_resv_unlock(obj->resv);
}

/*
 * With the pages held by someone else (here a pin), a short-term mapping
 * leaves the use count unchanged between calls and is cached; releasing
 * the pages unmaps it.
 */
static void drm_gem_shmem_test_vmap_local_cached(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	struct iosys_map map;
	void *vaddr;

	KUNIT_ASSERT_EQ(test, drm_gem_shmem_pin(shmem), 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	vaddr = map.vaddr;
	drm_gem_vunmap_local(obj, &map);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->vaddr_local, vaddr);

	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, vaddr);
	drm_gem_vunmap_local(obj, &map);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	dma_resv_unlock(obj->resv);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	KUNIT_EXPECT_NULL(test, shmem->vaddr_local);
}

/* The pinning vmap and vmap_local on one object, in every order. */
static void drm_gem_shmem_test_vmap_local_mixed(struct kunit *test)
{
	const struct vl_order_case *t = test->param_value;
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	struct iosys_map vmap, local;
	int i;

	dma_resv_lock(obj->resv, NULL);
	for (i = 0; i < ARRAY_SIZE(t->steps); i++) {
		switch (t->steps[i]) {
		case VMAP:
			KUNIT_ASSERT_EQ(test, drm_gem_shmem_vmap(shmem, &vmap),
					0);
			iosys_map_wr(&vmap, 0, u32, 0xc0ffee00 + i);
			break;
		case VUNMAP:
			drm_gem_shmem_vunmap(shmem, &vmap);
			break;
		case LMAP:
			KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &local),
					0);
			iosys_map_wr(&local, 4, u32, 0xbeef0000 + i);
			break;
		case LUNMAP:
			drm_gem_vunmap_local(obj, &local);
			break;
		}
		/* While both exist, both show the same memory. */
		if (shmem->vmap_use_count && shmem->vmap_local_use_count) {
			KUNIT_EXPECT_EQ(test, iosys_map_rd(&vmap, 4, u32),
					iosys_map_rd(&local, 4, u32));
			KUNIT_EXPECT_EQ(test, iosys_map_rd(&local, 0, u32),
					iosys_map_rd(&vmap, 0, u32));
		}
	}
	KUNIT_EXPECT_EQ(test, shmem->vmap_use_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	KUNIT_EXPECT_NULL(test, shmem->vaddr);
	KUNIT_EXPECT_NULL(test, shmem->vaddr_local);
	dma_resv_unlock(obj->resv);
}

/* An unmap without a map warns and changes nothing. */
static void drm_gem_shmem_test_vunmap_local_unbalanced(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct iosys_map map;

	KUNIT_ASSERT_EQ(test, drm_gem_shmem_pin(shmem), 0);
	iosys_map_set_vaddr(&map, shmem);
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_local(shmem, &map);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 1);
	dma_resv_unlock(shmem->base.resv);
	drm_gem_shmem_unpin(shmem);
}

/* Unmapping the pinning vmap's address as a short-term one is refused. */
static void drm_gem_shmem_test_vunmap_local_mismatch(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	struct iosys_map vmap, local;

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_shmem_vmap(shmem, &vmap), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_shmem_vmap_local(shmem, &local), 0);
	drm_gem_shmem_vunmap_local(shmem, &vmap);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 1);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 2);

	drm_gem_shmem_vunmap_local(shmem, &local);
	drm_gem_shmem_vunmap(shmem, &vmap);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	dma_resv_unlock(obj->resv);
}

/* A GEM object without vmap_local gives -EOPNOTSUPP. */
static const struct drm_gem_object_funcs vl_funcs_no_local = {
	.free = drm_gem_shmem_object_free,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
};

static void drm_gem_test_vmap_local_unsupported(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	const struct drm_gem_object_funcs *funcs = shmem->base.funcs;
	struct iosys_map map;

	shmem->base.funcs = &vl_funcs_no_local;
	dma_resv_lock(shmem->base.resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_gem_vmap_local(&shmem->base, &map),
			-EOPNOTSUPP);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	shmem->base.funcs = funcs;
}

/*
 * A shmem object exported with the PRIME helpers serves dma_buf_vmap_local()
 * through its GEM callback, without pinning.
 */
static void drm_gem_prime_test_export_vmap_local(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	struct dma_buf *dmabuf;
	struct iosys_map map;

	dmabuf = drm_gem_prime_export(obj, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, dmabuf->resv, obj->resv);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, shmem->vaddr_local);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 1);
	KUNIT_EXPECT_EQ(test, shmem->vmap_use_count, 0);
	dma_buf_vunmap_local(dmabuf, &map);
	KUNIT_EXPECT_EQ(test, shmem->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	dma_resv_unlock(dmabuf->resv);

	dma_buf_put(dmabuf);
	flush_delayed_fput();
}

/*
 * An imported shmem object maps through the exporter's vmap_local, with the
 * reservation held at each call, and does not change the exporter's pins.
 */
static void drm_gem_shmem_test_import_vmap_local(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	unsigned int pins = exp->pins;	/* before the import */
	struct drm_gem_object *obj;
	struct iosys_map map;

	/* drm_gem_prime_import() maps the sg table, which pins. */
	obj = vl_import(test, test->priv, exp);
	KUNIT_ASSERT_EQ(test, exp->pins, pins + 1);
	pins = exp->pins;

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, exp->local_mem);
	KUNIT_EXPECT_EQ(test, exp->local_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	drm_gem_vunmap_local(obj, &map);
	dma_resv_unlock(obj->resv);

	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	KUNIT_EXPECT_EQ(test, exp->dmabuf->vmap_local_counter, 0);
}

/* Importing from an exporter without vmap_local: -EOPNOTSUPP, no pin. */
static void drm_gem_shmem_test_import_vmap_local_unsupported(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops_no_local);
	unsigned int pins = exp->pins;	/* before the import */
	struct drm_gem_object *obj = vl_import(test, test->priv, exp);
	struct iosys_map map;

	KUNIT_ASSERT_EQ(test, exp->pins, pins + 1);	/* the sg table's */
	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_gem_vmap_local(obj, &map), -EOPNOTSUPP);
	dma_resv_unlock(obj->resv);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, pins + 1);
}

static struct kunit_case drm_gem_vmap_local_cases[] = {
	KUNIT_CASE(drm_gem_shmem_test_vmap_local),
	KUNIT_CASE(drm_gem_shmem_test_vmap_local_cached),
	KUNIT_CASE_PARAM(drm_gem_shmem_test_vmap_local_mixed,
			 vl_order_gen_params),
	KUNIT_CASE(drm_gem_shmem_test_vunmap_local_unbalanced),
	KUNIT_CASE(drm_gem_shmem_test_vunmap_local_mismatch),
	KUNIT_CASE(drm_gem_test_vmap_local_unsupported),
	KUNIT_CASE(drm_gem_prime_test_export_vmap_local),
	KUNIT_CASE(drm_gem_shmem_test_import_vmap_local),
	KUNIT_CASE(drm_gem_shmem_test_import_vmap_local_unsupported),
	{}
};

static struct kunit_suite drm_gem_vmap_local_suite = {
	.name = "drm_gem_vmap_local",
	.init = vl_gem_init,
	.test_cases = drm_gem_vmap_local_cases,
};

/* --- attachments, PRIME export and CPU-only import: who pins when ------ */

static unsigned int vl_pinned(const struct vl_exporter *exp)
{
	return exp->pin_calls - exp->unpin_calls;
}

static void vl_move_notify(struct dma_buf_attachment *attach)
{
}

static const struct dma_buf_attach_ops vl_importer_ops = {
	.move_notify = vl_move_notify,
};

struct vl_attach_case {
	const char *name;
	const struct dma_buf_ops *ops;
	bool dynamic_importer;
};

static const struct vl_attach_case vl_attach_cases[] = {
	{ "dynamic exporter, static importer", &vl_ops, false },
	{ "dynamic exporter, dynamic importer", &vl_ops, true },
	{ "static exporter, static importer", &vl_ops_static, false },
	{ "static exporter, dynamic importer", &vl_ops_static, true },
};

static void vl_attach_desc(const struct vl_attach_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vl_attach, vl_attach_cases, vl_attach_desc);

static struct dma_buf_attachment *vl_attach(struct kunit *test,
					    struct dma_buf *dmabuf,
					    bool dynamic)
{
	struct drm_device *drm = test->priv;
	struct dma_buf_attachment *attach;

	attach = dma_buf_dynamic_attach(dmabuf, drm->dev,
					dynamic ? &vl_importer_ops : NULL,
					NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	return attach;
}

/*
 * Attaching neither maps nor pins, whoever is dynamic; mapping pins a
 * dynamic exporter's buffer for a static importer (and, without
 * CONFIG_DMABUF_MOVE_NOTIFY, for a dynamic one) until the unmap.
 */
static void dma_buf_test_attach_maps_on_demand(struct kunit *test)
{
	const struct vl_attach_case *t = test->param_value;
	struct vl_exporter *exp = vl_export(test, t->ops);
	struct dma_buf *dmabuf = exp->dmabuf;
	unsigned int pinned = 0;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;

	attach = vl_attach(test, dmabuf, t->dynamic_importer);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pin_calls, 0);
	KUNIT_EXPECT_NULL(test, attach->sgt);

	if (t->ops->pin &&
	    (!t->dynamic_importer || !IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)))
		pinned = 1;

	dma_resv_lock(dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 1);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), pinned);
	dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), 0);

	/* A second mapping pins again. */
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), pinned);
	dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(dmabuf->resv);

	dma_buf_detach(dmabuf, attach);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 2);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 2);
	KUNIT_EXPECT_EQ(test, exp->pin_calls, 2 * pinned);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), 0);
	KUNIT_EXPECT_EQ(test, exp->pins, 0);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
}

/* An attachment that is never mapped: nothing mapped, pinned or unmapped. */
static void dma_buf_test_attach_detach_unmapped(struct kunit *test)
{
	const struct vl_attach_case *t = test->param_value;
	struct vl_exporter *exp = vl_export(test, t->ops);
	struct dma_buf_attachment *attach;

	attach = vl_attach(test, exp->dmabuf, t->dynamic_importer);
	dma_buf_detach(exp->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pin_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->unpin_calls, 0);
}

/*
 * An exporter that asks for cached mappings still gets one map_dma_buf per
 * attachment, made on the first map and released at detach.
 */
static void dma_buf_test_attach_cached_sgt(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops_static_cached);
	struct dma_buf *dmabuf = exp->dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *a, *b;

	attach = vl_attach(test, dmabuf, false);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 0);

	dma_resv_lock(dmabuf->resv, NULL);
	a = dma_buf_map_attachment(attach, DMA_TO_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	dma_buf_unmap_attachment(attach, a, DMA_TO_DEVICE);
	b = dma_buf_map_attachment(attach, DMA_TO_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_PTR_EQ(test, dma_buf_map_attachment(attach,
							 DMA_FROM_DEVICE),
			    ERR_PTR(-EBUSY));
	dma_buf_unmap_attachment(attach, b, DMA_TO_DEVICE);
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 0);

	dma_buf_detach(dmabuf, attach);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 1);
}

/*
 * A shmem object exported with the PRIME helpers is pinned (its page use
 * count raised) while an importer has its sg table mapped (cached until the
 * detach) or a vmap, not while it is merely attached.
 */
static void drm_gem_prime_test_export_pins_while_mapped(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj = &shmem->base;
	unsigned int base = shmem->pages_use_count;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	struct iosys_map map;

	dmabuf = drm_gem_prime_export(obj, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base);

	attach = vl_attach(test, dmabuf, false);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_local(dmabuf, &map), 0);
	dma_buf_vunmap_local(dmabuf, &map);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base);

	KUNIT_ASSERT_EQ(test, dma_buf_vmap(dmabuf, &map), 0);
	KUNIT_EXPECT_GT(test, shmem->pages_use_count, base);
	dma_buf_vunmap(dmabuf, &map);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base);

	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base + 1);
	/*
	 * The PRIME helpers ask the core to cache the mapping: it, and its
	 * pin, live until the detach.
	 */
	dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_PTR_EQ(test, attach->sgt, sgt);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base + 1);
	dma_resv_unlock(dmabuf->resv);

	dma_buf_detach(dmabuf, attach);
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, base);
	dma_buf_put(dmabuf);
	flush_delayed_fput();
}

/* Without get_sg_table, attaching works and mapping fails, without a WARN. */
static const struct drm_gem_object_funcs vl_funcs_no_sgt = {
	.free = drm_gem_shmem_object_free,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.vmap_local = drm_gem_shmem_object_vmap_local,
	.vunmap_local = drm_gem_shmem_object_vunmap_local,
};

static void drm_gem_prime_test_export_no_sg_table(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	const struct drm_gem_object_funcs *funcs = shmem->base.funcs;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct iosys_map map;

	shmem->base.funcs = &vl_funcs_no_sgt;
	dmabuf = drm_gem_prime_export(&shmem->base, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);

	attach = dma_buf_attach(dmabuf, ((struct drm_device *)test->priv)->dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);

	dma_resv_lock(dmabuf->resv, NULL);
	/* drm_gem_map_dma_buf() fails (-ENOSYS) instead of the attach. */
	KUNIT_EXPECT_TRUE(test,
			  IS_ERR(dma_buf_map_attachment(attach,
							DMA_BIDIRECTIONAL)));
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	/* CPU access through the attachment's buffer still works. */
	KUNIT_EXPECT_EQ(test, dma_buf_vmap_local(dmabuf, &map), 0);
	dma_buf_vunmap_local(dmabuf, &map);
	dma_resv_unlock(dmabuf->resv);

	dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, shmem->pages_use_count, 0);
	shmem->base.funcs = funcs;
}

static struct drm_gem_object *vl_import_no_map(struct kunit *test,
					       struct vl_exporter *exp)
{
	struct drm_gem_object *obj;

	obj = drm_gem_shmem_prime_import_no_map(test->priv, exp->dmabuf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_ASSERT_PTR_EQ(test, obj->resv, exp->dmabuf->resv);
	return obj;
}

/*
 * A CPU-only import attaches dynamically to the DRM device itself and never
 * calls the exporter's pin or map_dma_buf: not at import, not for a
 * short-term mapping, not when freed.
 */
static const struct vl_attach_case vl_no_map_cases[] = {
	{ "dynamic exporter", &vl_ops, true },
	{ "static exporter", &vl_ops_static, true },
};

KUNIT_ARRAY_PARAM(vl_no_map, vl_no_map_cases, vl_attach_desc);

static void drm_gem_shmem_test_import_no_map(struct kunit *test)
{
	const struct vl_attach_case *t = test->param_value;
	struct drm_device *drm = test->priv;
	struct vl_exporter *exp = vl_export(test, t->ops);
	unsigned int pins = exp->pins;	/* before the import */
	struct dma_buf_attachment *attach;
	struct drm_gem_object *obj;
	struct iosys_map map;

	obj = vl_import_no_map(test, exp);
	attach = obj->import_attach;
	KUNIT_ASSERT_NOT_NULL(test, attach);
	KUNIT_EXPECT_PTR_EQ(test, attach->dev, drm->dev);
	KUNIT_EXPECT_TRUE(test, dma_buf_attachment_is_dynamic(attach));
	KUNIT_EXPECT_NULL(test, attach->sgt);
	KUNIT_EXPECT_NULL(test, to_drm_gem_shmem_obj(obj)->sgt);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, exp->local_mem);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	drm_gem_vunmap_local(obj, &map);
	/* The exporter moving the buffer needs nothing from the importer. */
	dma_buf_move_notify(exp->dmabuf);
	dma_resv_unlock(obj->resv);

	drm_gem_object_put(obj);
	KUNIT_EXPECT_TRUE(test, list_empty(&exp->dmabuf->attachments));
	KUNIT_EXPECT_EQ(test, exp->map_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pin_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->unpin_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
}

/*
 * Without vmap_local at the exporter, vmap forwards to dma_buf_vmap(). The
 * first vmap pins the attachment, once, until the object is freed (as an
 * import that maps its sg table pins from import to close), not per map.
 */
static void drm_gem_shmem_test_import_no_map_vmap(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops_no_local);
	struct drm_gem_object *obj = vl_import_no_map(test, exp);
	struct iosys_map map;
	unsigned int round;

	KUNIT_EXPECT_EQ(test, vl_pinned(exp), 0);
	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_gem_vmap_local(obj, &map), -EOPNOTSUPP);
	for (round = 1; round <= 2; round++) {
		KUNIT_ASSERT_EQ(test, drm_gem_vmap(obj, &map), 0);
		KUNIT_EXPECT_PTR_EQ(test, map.vaddr, exp->vmap_mem);
		KUNIT_EXPECT_EQ(test, exp->vmap_calls, round);
		KUNIT_EXPECT_EQ(test, vl_pinned(exp), 1);
		drm_gem_vunmap(obj, &map);
		KUNIT_EXPECT_EQ(test, exp->vunmap_calls, round);
		KUNIT_EXPECT_EQ(test, vl_pinned(exp), 1);
	}
	KUNIT_EXPECT_EQ(test, exp->pin_calls, 1);
	dma_resv_unlock(obj->resv);

	drm_gem_object_put(obj);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->unpin_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->pins, 0);
}

/* Importing a buffer of the device's own returns that object. */
static void drm_gem_shmem_test_import_no_map_self(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem = vl_shmem_create(test);
	struct drm_gem_object *obj;
	struct dma_buf *dmabuf;

	dmabuf = drm_gem_prime_export(&shmem->base, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	obj = drm_gem_shmem_prime_import_no_map(test->priv, dmabuf);
	KUNIT_EXPECT_PTR_EQ(test, obj, &shmem->base);
	if (!IS_ERR(obj))
		drm_gem_object_put(obj);
	KUNIT_EXPECT_TRUE(test, list_empty(&dmabuf->attachments));
	dma_buf_put(dmabuf);
	flush_delayed_fput();
}

/*
 * The mapping import, drm_gem_prime_import(), pins the exporter's buffer
 * for as long as it keeps the sg table mapped (from import to free) and
 * unpins when it unmaps it.
 */
static void drm_gem_test_import_map_pins(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	unsigned int pins = exp->pins;	/* before the import */
	struct drm_gem_object *obj;

	obj = drm_gem_prime_import(test->priv, exp->dmabuf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, exp->map_calls, 1);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), 1);
	KUNIT_EXPECT_EQ(test, exp->pins, pins + 1);

	drm_gem_object_put(obj);
	KUNIT_EXPECT_EQ(test, exp->unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, vl_pinned(exp), 0);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
}

static struct kunit_case drm_prime_pin_cases[] = {
	KUNIT_CASE_PARAM(dma_buf_test_attach_maps_on_demand,
			 vl_attach_gen_params),
	KUNIT_CASE_PARAM(dma_buf_test_attach_detach_unmapped,
			 vl_attach_gen_params),
	KUNIT_CASE(dma_buf_test_attach_cached_sgt),
	KUNIT_CASE(drm_gem_prime_test_export_pins_while_mapped),
	KUNIT_CASE(drm_gem_prime_test_export_no_sg_table),
	KUNIT_CASE_PARAM(drm_gem_shmem_test_import_no_map,
			 vl_no_map_gen_params),
	KUNIT_CASE(drm_gem_shmem_test_import_no_map_vmap),
	KUNIT_CASE(drm_gem_shmem_test_import_no_map_self),
	KUNIT_CASE(drm_gem_test_import_map_pins),
	{}
};

static struct kunit_suite drm_prime_pin_suite = {
	.name = "drm_prime_pin",
	.init = vl_gem_init,
	.test_cases = drm_prime_pin_cases,
};

/* --- the DMA helper ---------------------------------------------------- */

static const struct drm_driver vl_dma_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &vl_fops,
	.gem_prime_import_sg_table = drm_gem_dma_prime_import_sg_table,
};

static int vl_dma_init(struct kunit *test)
{
	test->priv = vl_alloc_drm(test, &vl_dma_driver);
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(vl_dma_free, drm_gem_dma_free,
			    struct drm_gem_dma_object *);

/* A native DMA object's short-term mapping is its kernel mapping. */
static void drm_gem_dma_test_vmap_local(struct kunit *test)
{
	struct drm_gem_dma_object *dma_obj;
	struct iosys_map map, map2;
	int ret;

	dma_obj = drm_gem_dma_create(test->priv, VL_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dma_obj);
	ret = kunit_add_action_or_reset(test, vl_dma_free, dma_obj);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, dma_obj->vaddr);

	dma_resv_lock(dma_obj->base.resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(&dma_obj->base, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, dma_obj->vaddr);
	KUNIT_EXPECT_FALSE(test, map.is_iomem);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(&dma_obj->base, &map2), 0);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_equal(&map, &map2));
	iosys_map_memset(&map, 0, VL_BYTE, VL_SIZE);
	drm_gem_vunmap_local(&dma_obj->base, &map2);
	drm_gem_vunmap_local(&dma_obj->base, &map);
	dma_resv_unlock(dma_obj->base.resv);

	KUNIT_EXPECT_EQ(test, ((u8 *)dma_obj->vaddr)[VL_SIZE - 1], VL_BYTE);
}

/*
 * An imported DMA object without a kernel mapping of its own maps through
 * the exporter's vmap_local, under the reservation, without pinning.
 */
static void drm_gem_dma_test_import_vmap_local(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops);
	struct drm_gem_object *obj = vl_import(test, test->priv, exp);
	unsigned int pins = exp->pins;
	struct iosys_map map;

	KUNIT_ASSERT_NULL(test, to_drm_gem_dma_obj(obj)->vaddr);

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, exp->local_mem);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	drm_gem_vunmap_local(obj, &map);
	dma_resv_unlock(obj->resv);

	KUNIT_EXPECT_EQ(test, exp->local_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->unlocal_calls, 1);
	KUNIT_EXPECT_EQ(test, exp->unlocked_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 0);
	KUNIT_EXPECT_EQ(test, exp->pins, pins);
	KUNIT_EXPECT_EQ(test, exp->dmabuf->vmap_local_counter, 0);
}

/* ... and gives -EOPNOTSUPP when the exporter has no vmap_local. */
static void drm_gem_dma_test_import_vmap_local_unsupported(struct kunit *test)
{
	struct vl_exporter *exp = vl_export(test, &vl_ops_no_local);
	struct drm_gem_object *obj = vl_import(test, test->priv, exp);
	struct iosys_map map;

	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_gem_vmap_local(obj, &map), -EOPNOTSUPP);
	dma_resv_unlock(obj->resv);
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, exp->vmap_calls, 0);
}

static struct kunit_case drm_gem_dma_vmap_local_cases[] = {
	KUNIT_CASE(drm_gem_dma_test_vmap_local),
	KUNIT_CASE(drm_gem_dma_test_import_vmap_local),
	KUNIT_CASE(drm_gem_dma_test_import_vmap_local_unsupported),
	{}
};

static struct kunit_suite drm_gem_dma_vmap_local_suite = {
	.name = "drm_gem_dma_vmap_local",
	.init = vl_dma_init,
	.test_cases = drm_gem_dma_vmap_local_cases,
};

kunit_test_suites(&dma_buf_vmap_local_suite, &drm_gem_vmap_local_suite,
		  &drm_prime_pin_suite, &drm_gem_dma_vmap_local_suite);

MODULE_DESCRIPTION("KUnit tests for short-term GEM and dma-buf mappings");
MODULE_LICENSE("GPL");
