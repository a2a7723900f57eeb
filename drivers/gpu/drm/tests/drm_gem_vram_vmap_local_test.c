// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for short-term mappings (vmap_local) of GEM VRAM objects.
 *
 * The VRAM is emulated: on UML, a logic_iomem region backed by ordinary
 * memory stands in for the video memory BAR, so TTM ioremaps it, copies in
 * and out of it on moves, and the tests can check what landed where. BOs
 * are moved and evicted between two mappings, and every mapping must show
 * the BO's content at its current location, with the TTM pin count never
 * touched.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/ioport.h>
#include <linux/iosys-map.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include <kunit/device.h>
#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem_vram_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_prime.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_resource.h>
#include <drm/ttm/ttm_tt.h>

#if IS_ENABLED(CONFIG_INDIRECT_IOMEM)
#include <linux/logic_iomem.h>

/* An address range nothing else uses on UML. */
#define VL_VRAM_BASE	0x1000000000ULL
#define VL_VRAM_SIZE	SZ_4M
#define VL_BO_SIZE	SZ_64K

/*
 * logic_iomem regions cannot be removed, so the emulated VRAM is set up on
 * first use and stays for the rest of the boot.
 */
static u8 *vl_vram;

static unsigned long vl_read(void *priv, unsigned int offset, int size)
{
	u8 *p = (u8 *)priv + offset;

	switch (size) {
	case 1:
		return *p;
	case 2:
		return *(u16 *)p;
	case 4:
		return *(u32 *)p;
	default:
		return *(u64 *)p;
	}
}

static void vl_write(void *priv, unsigned int offset, int size,
		     unsigned long val)
{
	u8 *p = (u8 *)priv + offset;

	switch (size) {
	case 1:
		*p = val;
		break;
	case 2:
		*(u16 *)p = val;
		break;
	case 4:
		*(u32 *)p = val;
		break;
	default:
		*(u64 *)p = val;
		break;
	}
}

static void vl_set(void *priv, unsigned int offset, u8 value, int size)
{
	memset((u8 *)priv + offset, value, size);
}

static void vl_copy_from(void *priv, void *buffer, unsigned int offset,
			 int size)
{
	memcpy(buffer, (u8 *)priv + offset, size);
}

static void vl_copy_to(void *priv, unsigned int offset, const void *buffer,
		       int size)
{
	memcpy((u8 *)priv + offset, buffer, size);
}

static const struct logic_iomem_ops vl_vram_ops = {
	.read = vl_read,
	.write = vl_write,
	.set = vl_set,
	.copy_from = vl_copy_from,
	.copy_to = vl_copy_to,
};

static long vl_vram_map(unsigned long offset, size_t size,
			const struct logic_iomem_ops **ops, void **priv)
{
	*ops = &vl_vram_ops;
	*priv = vl_vram + offset;
	return 0;
}

static const struct logic_iomem_region_ops vl_vram_region_ops = {
	.map = vl_vram_map,
};

static struct resource vl_vram_res = {
	.name = "drm_gem_vram_vmap_local_test VRAM",
	.start = VL_VRAM_BASE,
	.end = VL_VRAM_BASE + VL_VRAM_SIZE - 1,
	.flags = IORESOURCE_MEM,
};

static int vl_vram_setup(struct kunit *test)
{
	static DEFINE_MUTEX(lock);
	int ret = 0;

	mutex_lock(&lock);
	if (!vl_vram) {
		vl_vram = vzalloc(VL_VRAM_SIZE);
		if (!vl_vram)
			ret = -ENOMEM;
		else
			ret = logic_iomem_add_region(&vl_vram_res,
						     &vl_vram_region_ops);
		if (ret) {
			vfree(vl_vram);
			vl_vram = NULL;
		}
	}
	mutex_unlock(&lock);

	return ret;
}

static const struct file_operations vl_fops = {
	.owner = THIS_MODULE,
};

static const struct drm_driver vl_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &vl_fops,
	DRM_GEM_VRAM_DRIVER,
};

static int vl_vram_init(struct kunit *test)
{
	struct drm_device *drm;
	struct device *dev;

	KUNIT_ASSERT_EQ(test, vl_vram_setup(test), 0);

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev,
							      sizeof(*drm), 0,
							      &vl_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);
	KUNIT_ASSERT_EQ(test, drmm_vram_helper_init(drm, VL_VRAM_BASE,
						    VL_VRAM_SIZE), 0);
	test->priv = drm;

	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(vl_gbo_put, drm_gem_vram_put,
			    struct drm_gem_vram_object *);

static struct drm_gem_vram_object *vl_gbo_create(struct kunit *test)
{
	struct drm_gem_vram_object *gbo;
	int ret;

	gbo = drm_gem_vram_create(test->priv, VL_BO_SIZE, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gbo);
	ret = kunit_add_action_or_reset(test, vl_gbo_put, gbo);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return gbo;
}

/* Move the BO with a pin/unpin pair: it ends up unpinned where asked. */
static void vl_move(struct kunit *test, struct drm_gem_vram_object *gbo,
		    unsigned long pl_flag, u32 mem_type)
{
	KUNIT_ASSERT_EQ(test, drm_gem_vram_pin(gbo, pl_flag), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_vram_unpin(gbo), 0);
	KUNIT_ASSERT_EQ(test, gbo->bo.resource->mem_type, mem_type);
	KUNIT_ASSERT_EQ(test, gbo->bo.pin_count, 0);
}

static void vl_evict_vram(struct kunit *test)
{
	struct drm_device *drm = test->priv;
	struct ttm_device *bdev = &drm->vram_mm->bdev;
	struct ttm_resource_manager *man = ttm_manager_type(bdev, TTM_PL_VRAM);

	KUNIT_ASSERT_EQ(test, ttm_resource_manager_evict_all(bdev, man), 0);
}

/*
 * Memory pressure as a scanout would cause it: pin a BO as large as the
 * VRAM into VRAM, which must evict every other BO. Eviction skips pinned
 * BOs, so this fails while another BO is pinned in VRAM. (Unlike
 * ttm_resource_manager_evict_all(), which in 6.12 also evicts a BO pinned
 * since its last LRU update.)
 */
static int vl_pressure(struct kunit *test)
{
	struct drm_gem_vram_object *big;
	int ret;

	big = drm_gem_vram_create(test->priv, VL_VRAM_SIZE, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, big);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vl_gbo_put, big),
			0);
	ret = drm_gem_vram_pin(big, DRM_GEM_VRAM_PL_FLAG_VRAM);
	if (!ret)
		KUNIT_EXPECT_EQ(test, drm_gem_vram_unpin(big), 0);

	return ret;
}

/* Write @seed's pattern through a short-term mapping. */
static void vl_fill(struct kunit *test, struct drm_gem_vram_object *gbo,
		    u32 seed, bool iomem)
{
	struct iosys_map map;
	unsigned int i;

	dma_resv_lock(gbo->bo.base.resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(&gbo->bo.base, &map), 0);
	KUNIT_EXPECT_EQ(test, map.is_iomem, iomem);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	for (i = 0; i < VL_BO_SIZE / 4; i++)
		iosys_map_wr(&map, i * 4, u32, seed + i);
	drm_gem_vunmap_local(&gbo->bo.base, &map);
	dma_resv_unlock(gbo->bo.base.resv);
}

/* Check @seed's pattern through a short-term mapping; count mismatches. */
static unsigned int vl_check(struct kunit *test,
			     struct drm_gem_vram_object *gbo, u32 seed,
			     bool iomem)
{
	unsigned int i, bad = 0;
	struct iosys_map map;

	dma_resv_lock(gbo->bo.base.resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(&gbo->bo.base, &map), 0);
	KUNIT_EXPECT_EQ(test, map.is_iomem, iomem);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	for (i = 0; i < VL_BO_SIZE / 4; i++)
		if (iosys_map_rd(&map, i * 4, u32) != seed + i)
			bad++;
	drm_gem_vunmap_local(&gbo->bo.base, &map);
	dma_resv_unlock(gbo->bo.base.resv);

	return bad;
}

/* A mapping of a BO in VRAM is the VRAM itself, and pins nothing. */
static void drm_gem_vram_test_vmap_local_vram(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	u32 *vram;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	vl_fill(test, gbo, 0x1000, true);

	vram = (u32 *)(vl_vram + (gbo->bo.resource->start << PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, vram[0], 0x1000);
	KUNIT_EXPECT_EQ(test, vram[VL_BO_SIZE / 4 - 1],
			0x1000 + VL_BO_SIZE / 4 - 1);
	KUNIT_EXPECT_EQ(test, gbo->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/*
 * Between two short-term mappings the BO moves from VRAM to system memory
 * and back; each mapping maps it where it is, with its content.
 */
static void drm_gem_vram_test_vmap_local_moved(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	vl_fill(test, gbo, 0x2000, true);

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, vl_check(test, gbo, 0x2000, false), 0);
	vl_fill(test, gbo, 0x3000, false);

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, vl_check(test, gbo, 0x3000, true), 0);
}

/* Between two short-term mappings the BO can be evicted. */
static void drm_gem_vram_test_vmap_local_evicted(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	vl_fill(test, gbo, 0x4000, true);

	vl_evict_vram(test);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, vl_check(test, gbo, 0x4000, false), 0);
}

/* The pinning vmap and vmap_local on one BO, nested both ways. */
static void drm_gem_vram_test_vmap_local_mixed(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct drm_gem_object *obj = &gbo->bo.base;
	struct iosys_map vmap, local;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);

	dma_resv_lock(obj->resv, NULL);
	KUNIT_ASSERT_EQ(test, drm_gem_vram_vmap(gbo, &vmap), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &local), 0);
	iosys_map_wr(&local, 0, u32, 0xfeedf00d);
	KUNIT_EXPECT_EQ(test, iosys_map_rd(&vmap, 0, u32), 0xfeedf00d);
	drm_gem_vram_vunmap(gbo, &vmap);
	KUNIT_EXPECT_EQ(test, gbo->vmap_local_use_count, 1);
	drm_gem_vunmap_local(obj, &local);

	KUNIT_ASSERT_EQ(test, drm_gem_vmap_local(obj, &local), 0);
	KUNIT_ASSERT_EQ(test, drm_gem_vram_vmap(gbo, &vmap), 0);
	KUNIT_EXPECT_EQ(test, iosys_map_rd(&local, 0, u32), 0xfeedf00d);
	drm_gem_vunmap_local(obj, &local);
	KUNIT_EXPECT_EQ(test, gbo->vmap_use_count, 1);
	drm_gem_vram_vunmap(gbo, &vmap);
	dma_resv_unlock(obj->resv);

	KUNIT_EXPECT_EQ(test, gbo->vmap_use_count, 0);
	KUNIT_EXPECT_EQ(test, gbo->vmap_local_use_count, 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);

	/* No mapping is in use, so the BO can still move. */
	vl_evict_vram(test);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
}

/* An unmap without a map warns and changes nothing. */
static void drm_gem_vram_test_vunmap_local_unbalanced(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct iosys_map map;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	iosys_map_clear(&map);
	dma_resv_lock(gbo->bo.base.resv, NULL);
	drm_gem_vram_vunmap_local(gbo, &map);
	dma_resv_unlock(gbo->bo.base.resv);
	KUNIT_EXPECT_EQ(test, gbo->vmap_local_use_count, 0);
}

static struct kunit_case drm_gem_vram_vmap_local_cases[] = {
	KUNIT_CASE(drm_gem_vram_test_vmap_local_vram),
	KUNIT_CASE(drm_gem_vram_test_vmap_local_moved),
	KUNIT_CASE(drm_gem_vram_test_vmap_local_evicted),
	KUNIT_CASE(drm_gem_vram_test_vmap_local_mixed),
	KUNIT_CASE(drm_gem_vram_test_vunmap_local_unbalanced),
	{}
};

static struct kunit_suite drm_gem_vram_vmap_local_suite = {
	.name = "drm_gem_vram_vmap_local",
	.init = vl_vram_init,
	.test_cases = drm_gem_vram_vmap_local_cases,
};

/*
 * PRIME export of GEM VRAM objects: a dynamic exporter whose BOs TTM moves
 * while they are exported. The TTM pin count before the export is the
 * baseline: nothing but a pinning call changes it.
 */

static void vl_dmabuf_unexport(void *ptr)
{
	struct drm_gem_object *obj = ptr;
	struct dma_buf *dma_buf = obj->dma_buf;

	obj->dma_buf = NULL;
	dma_buf_put(dma_buf);
}

/* Export as drm_gem_prime_handle_to_fd() does: obj->dma_buf holds a ref. */
static struct dma_buf *vl_export(struct kunit *test,
				 struct drm_gem_vram_object *gbo)
{
	struct drm_gem_object *obj = &gbo->bo.base;
	struct dma_buf *dma_buf;

	KUNIT_ASSERT_NOT_NULL(test, obj->funcs->export);
	dma_buf = obj->funcs->export(obj, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dma_buf);
	obj->dma_buf = dma_buf;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							vl_dmabuf_unexport,
							obj), 0);

	return dma_buf;
}

struct vl_importer {
	struct kunit *test;
	unsigned int moves;
};

/* Attachments outlive the test case's stack: the importer lives longer. */
static struct vl_importer *vl_importer(struct kunit *test)
{
	struct vl_importer *imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, imp);
	imp->test = test;

	return imp;
}

static void vl_move_notify(struct dma_buf_attachment *attach)
{
	struct vl_importer *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->moves++;
}

static const struct dma_buf_attach_ops vl_importer_ops = {
	.move_notify = vl_move_notify,
};

static void vl_detach(void *ptr)
{
	struct dma_buf_attachment *attach = ptr;

	dma_buf_detach(attach->dmabuf, attach);
}

static struct dma_buf_attachment *vl_attach(struct kunit *test,
					    struct dma_buf *dma_buf,
					    struct vl_importer *imp)
{
	struct drm_device *drm = test->priv;
	struct dma_buf_attachment *attach;

	if (imp)
		attach = dma_buf_dynamic_attach(dma_buf, drm->dev,
						&vl_importer_ops, imp);
	else
		attach = dma_buf_attach(dma_buf, drm->dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vl_detach,
							attach), 0);

	return attach;
}

/* The export is dynamic and serves both kinds of kernel mapping. */
static void drm_gem_vram_test_export_dynamic(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct dma_buf *dma_buf;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	dma_buf = vl_export(test, gbo);

	KUNIT_EXPECT_TRUE(test, dma_buf_is_dynamic(dma_buf));
	KUNIT_EXPECT_NOT_NULL(test, dma_buf->ops->vmap);
	KUNIT_EXPECT_NOT_NULL(test, dma_buf->ops->vmap_local);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/*
 * A dynamic importer's attachment is notified of every move of the BO, in
 * both directions and by eviction, and only while it is attached. Neither
 * the export nor the attachment pins.
 */
static void drm_gem_vram_test_export_move_notify(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct vl_importer *imp = vl_importer(test);
	struct dma_buf_attachment *attach;
	struct dma_buf *dma_buf;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	KUNIT_ASSERT_EQ(test, gbo->bo.pin_count, 0);
	dma_buf = vl_export(test, gbo);
	attach = vl_attach(test, dma_buf, imp);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	KUNIT_EXPECT_EQ(test, imp->moves, 0);

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, imp->moves, 1);
	/* Pinning where it already is does not move it. */
	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, imp->moves, 1);
	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, imp->moves, 2);
	vl_evict_vram(test);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, imp->moves, 3);

	kunit_release_action(test, vl_detach, attach);
	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, imp->moves, 3);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/*
 * dma_buf_vmap() pins the BO for as long as its mapping exists: eviction
 * leaves it in place. After the unmap it moves again.
 */
static void drm_gem_vram_test_export_vmap_pins(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct dma_buf *dma_buf;
	struct iosys_map map;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	vl_fill(test, gbo, 0x5000, true);
	dma_buf = vl_export(test, gbo);

	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dma_buf, &map), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 1);
	KUNIT_EXPECT_NE(test, vl_pressure(test), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, iosys_map_rd(&map, 0, u32), 0x5000);
	dma_buf_vunmap_unlocked(dma_buf, &map);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);

	KUNIT_EXPECT_EQ(test, vl_pressure(test), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, vl_check(test, gbo, 0x5000, false), 0);
}

/*
 * dma_buf_vmap_local() pins nothing: between two mappings the BO is
 * evicted, and the next mapping maps it in system memory, with its content.
 */
static void drm_gem_vram_test_export_vmap_local(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct vl_importer *imp = vl_importer(test);
	struct dma_buf *dma_buf;
	struct iosys_map map;
	unsigned int i, bad;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	vl_fill(test, gbo, 0x6000, true);
	dma_buf = vl_export(test, gbo);
	vl_attach(test, dma_buf, imp);

	dma_resv_lock(dma_buf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_local(dma_buf, &map), 0);
	KUNIT_EXPECT_TRUE(test, map.is_iomem);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	KUNIT_EXPECT_EQ(test, iosys_map_rd(&map, 0, u32), 0x6000);
	dma_buf_vunmap_local(dma_buf, &map);
	dma_resv_unlock(dma_buf->resv);

	vl_evict_vram(test);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, imp->moves, 1);

	dma_resv_lock(dma_buf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_local(dma_buf, &map), 0);
	KUNIT_EXPECT_FALSE(test, map.is_iomem);
	for (i = 0, bad = 0; i < VL_BO_SIZE / 4; i++)
		if (iosys_map_rd(&map, i * 4, u32) != 0x6000 + i)
			bad++;
	KUNIT_EXPECT_EQ(test, bad, 0);
	dma_buf_vunmap_local(dma_buf, &map);
	dma_resv_unlock(dma_buf->resv);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/*
 * An importer without move_notify attaches without a pin. Mapping its
 * attachment fails, as there is no sg table, and leaves no pin behind.
 */
static void drm_gem_vram_test_export_static_importer(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct dma_buf_attachment *attach;
	struct dma_buf *dma_buf;
	struct sg_table *sgt;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	dma_buf = vl_export(test, gbo);
	attach = vl_attach(test, dma_buf, NULL);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);

	sgt = dma_buf_map_attachment_unlocked(attach, DMA_TO_DEVICE);
	/* drm_gem_map_dma_buf() fails for want of get_sg_table. */
	KUNIT_EXPECT_TRUE(test, IS_ERR(sgt));
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);

	kunit_release_action(test, vl_detach, attach);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/* dma_buf_pin() pins the BO where it is, until dma_buf_unpin(). */
static void drm_gem_vram_test_export_pin(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct vl_importer *imp = vl_importer(test);
	struct dma_buf_attachment *attach;
	struct dma_buf *dma_buf;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
	dma_buf = vl_export(test, gbo);
	attach = vl_attach(test, dma_buf, imp);

	dma_resv_lock(dma_buf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_pin(attach), 0);
	dma_resv_unlock(dma_buf->resv);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 1);
	KUNIT_EXPECT_NE(test, vl_pressure(test), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, imp->moves, 0);

	dma_resv_lock(dma_buf->resv, NULL);
	dma_buf_unpin(attach);
	dma_resv_unlock(dma_buf->resv);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	KUNIT_EXPECT_EQ(test, vl_pressure(test), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.resource->mem_type, TTM_PL_SYSTEM);
	KUNIT_EXPECT_EQ(test, imp->moves, 1);
}

/*
 * The exporting device imports its own export as the GEM object itself;
 * another device without an sg-table import is refused, as before.
 */
static void drm_gem_vram_test_export_self_import(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct drm_gem_object *obj = &gbo->bo.base;
	struct drm_device *drm = test->priv, *other;
	struct drm_gem_object *imported;
	struct dma_buf *dma_buf;
	unsigned int refs;
	struct device *dev;

	dma_buf = vl_export(test, gbo);
	refs = kref_read(&obj->refcount);

	/* What DRM_GEM_VRAM_DRIVER puts into the driver. */
	KUNIT_ASSERT_NOT_NULL(test, drm->driver->gem_prime_import);
	imported = drm->driver->gem_prime_import(drm, dma_buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, imported);
	KUNIT_EXPECT_PTR_EQ(test, imported, obj);
	KUNIT_EXPECT_EQ(test, kref_read(&obj->refcount), refs + 1);
	drm_gem_object_put(imported);

	dev = kunit_device_register(test, "drm-vram-other-device");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	other = __drm_kunit_helper_alloc_drm_device(test, dev, sizeof(*other),
						    0, DRIVER_GEM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
	imported = drm_gem_vram_driver_gem_prime_import(other, dma_buf);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(imported), -EINVAL);
	KUNIT_EXPECT_EQ(test, kref_read(&obj->refcount), refs);
}

/*
 * TTM swaps a BO in system memory out: the cached kernel mapping of its
 * pages goes, a dynamic importer is notified, and the next mapping maps
 * the swapped-in pages, with the content.
 */
static void drm_gem_vram_test_export_swapout(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct vl_importer *imp = vl_importer(test);
	struct drm_device *drm = test->priv;
	struct ttm_operation_ctx ctx = { };
	struct dma_buf *dma_buf;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM, TTM_PL_SYSTEM);
	vl_fill(test, gbo, 0x7000, false);
	KUNIT_ASSERT_FALSE(test, iosys_map_is_null(&gbo->map));
	dma_buf = vl_export(test, gbo);
	vl_attach(test, dma_buf, imp);

	while (ttm_tt_is_populated(gbo->bo.ttm) &&
	       ttm_device_swapout(&drm->vram_mm->bdev, &ctx, GFP_KERNEL) > 0)
		;
	KUNIT_ASSERT_FALSE(test, ttm_tt_is_populated(gbo->bo.ttm));
	KUNIT_EXPECT_TRUE(test, iosys_map_is_null(&gbo->map));
	KUNIT_EXPECT_EQ(test, imp->moves, 1);
	KUNIT_EXPECT_EQ(test, vl_check(test, gbo, 0x7000, false), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
}

/*
 * A BO pinned where it is, in system memory (as dma_buf_vmap() pins an
 * export), cannot also be pinned to VRAM for scanout: -EBUSY, not a pin
 * in the wrong place.
 */
static void drm_gem_vram_test_export_pin_elsewhere(struct kunit *test)
{
	struct drm_gem_vram_object *gbo = vl_gbo_create(test);
	struct dma_buf *dma_buf;
	struct iosys_map map;

	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM, TTM_PL_SYSTEM);
	dma_buf = vl_export(test, gbo);
	KUNIT_ASSERT_EQ(test, dma_buf_vmap_unlocked(dma_buf, &map), 0);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 1);

	KUNIT_EXPECT_EQ(test, drm_gem_vram_pin(gbo, DRM_GEM_VRAM_PL_FLAG_VRAM),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 1);
	/* Where it is, it can be pinned again. */
	KUNIT_EXPECT_EQ(test, drm_gem_vram_pin(gbo, 0), 0);
	KUNIT_EXPECT_EQ(test, drm_gem_vram_unpin(gbo), 0);

	dma_buf_vunmap_unlocked(dma_buf, &map);
	KUNIT_EXPECT_EQ(test, gbo->bo.pin_count, 0);
	vl_move(test, gbo, DRM_GEM_VRAM_PL_FLAG_VRAM, TTM_PL_VRAM);
}

static struct kunit_case drm_gem_vram_prime_cases[] = {
	KUNIT_CASE(drm_gem_vram_test_export_dynamic),
	KUNIT_CASE(drm_gem_vram_test_export_move_notify),
	KUNIT_CASE(drm_gem_vram_test_export_vmap_pins),
	KUNIT_CASE(drm_gem_vram_test_export_vmap_local),
	KUNIT_CASE(drm_gem_vram_test_export_static_importer),
	KUNIT_CASE(drm_gem_vram_test_export_pin),
	KUNIT_CASE(drm_gem_vram_test_export_swapout),
	KUNIT_CASE(drm_gem_vram_test_export_pin_elsewhere),
	KUNIT_CASE(drm_gem_vram_test_export_self_import),
	{}
};

static struct kunit_suite drm_gem_vram_prime_suite = {
	.name = "drm_gem_vram_prime",
	.init = vl_vram_init,
	.test_cases = drm_gem_vram_prime_cases,
};

kunit_test_suites(&drm_gem_vram_vmap_local_suite, &drm_gem_vram_prime_suite);

#endif /* CONFIG_INDIRECT_IOMEM */

MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("KUnit tests for short-term GEM VRAM mappings");
MODULE_LICENSE("GPL");
