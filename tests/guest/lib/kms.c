// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the guest DRM/KMS tests, see kms.h.  The writeback path drives
 * vkms with the atomic API: one CRTC, its primary plane, the "Virtual"
 * connector and the writeback connector.  Each commit points the writeback
 * connector at a vkms-owned XRGB8888 dumb buffer and asks for an out-fence,
 * which is waited for with poll() so that a stuck writeback job turns into a
 * failure instead of a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <linux/sync_file.h>
#include <drm_fourcc.h>

#include "kms.h"

#define MAX_CARDS		32
#define MAX_PRINTED_MISMATCHES	8
#define PLANE_TYPE_PRIMARY	1	/* value of the plane "type" property */

int kms_find_driver(const char *name)
{
	char path[64];
	int i;

	for (i = 0; i < MAX_CARDS; i++) {
		drmVersionPtr ver;
		bool match;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		match = ver && !strcmp(ver->name, name);
		drmFreeVersion(ver);
		if (match) {
			printf("using %s (%s)\n", path, name);
			return fd;
		}
		close(fd);
	}
	return -1;
}

int kms_open_driver(const char *name)
{
	int fd = kms_find_driver(name);

	if (fd < 0)
		printf("no /dev/dri/card* node driven by \"%s\"\n", name);
	return fd;
}

int kms_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t bpp,
		    struct kms_dumb *buf)
{
	struct drm_mode_create_dumb req = {
		.width = width, .height = height, .bpp = bpp,
	};

	memset(buf, 0, sizeof(*buf));
	buf->fd = fd;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &req)) {
		printf("CREATE_DUMB %ux%ux%u failed: %s\n",
		       width, height, bpp, strerror(errno));
		return -1;
	}
	buf->handle = req.handle;
	buf->width = width;
	buf->height = height;
	buf->bpp = bpp;
	buf->pitch = req.pitch;
	buf->size = req.size;
	return 0;
}

int kms_dumb_map(struct kms_dumb *buf)
{
	struct drm_mode_map_dumb req = { .handle = buf->handle };
	void *map;

	if (drmIoctl(buf->fd, DRM_IOCTL_MODE_MAP_DUMB, &req)) {
		printf("MAP_DUMB failed: %s\n", strerror(errno));
		return -1;
	}
	map = mmap(NULL, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   buf->fd, req.offset);
	if (map == MAP_FAILED) {
		printf("mmap of dumb buffer failed: %s\n", strerror(errno));
		return -1;
	}
	buf->map = map;
	return 0;
}

void kms_dumb_destroy(struct kms_dumb *buf)
{
	struct drm_mode_destroy_dumb req = { .handle = buf->handle };

	if (buf->map)
		munmap(buf->map, buf->size);
	if (buf->handle && drmIoctl(buf->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &req))
		printf("DESTROY_DUMB failed: %s\n", strerror(errno));
	buf->map = NULL;
	buf->handle = 0;
}

int kms_prime_export(int fd, uint32_t handle)
{
	int dmabuf;

	if (drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf)) {
		printf("PRIME export of handle %u failed: %s\n",
		       handle, strerror(errno));
		return -1;
	}
	return dmabuf;
}

int kms_prime_import(int fd, int dmabuf_fd, uint32_t *handle)
{
	if (drmPrimeFDToHandle(fd, dmabuf_fd, handle)) {
		printf("PRIME import of dma-buf fd %d failed: %s\n",
		       dmabuf_fd, strerror(errno));
		return -1;
	}
	return 0;
}

void kms_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close req = { .handle = handle };

	if (handle && drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &req))
		printf("GEM_CLOSE of handle %u failed: %s\n",
		       handle, strerror(errno));
}

/* The length of the connector's EDID property, 0 if none, -1 on error. */
long kms_connector_edid_len(int fd, uint32_t conn_id)
{
	drmModeObjectPropertiesPtr props;
	long len = -1;
	uint32_t i;

	props = drmModeObjectGetProperties(fd, conn_id,
					   DRM_MODE_OBJECT_CONNECTOR);
	if (!props)
		return -1;
	for (i = 0; i < props->count_props && len < 0; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd,
							  props->props[i]);
		drmModePropertyBlobPtr b;

		if (p && !strcmp(p->name, "EDID")) {
			b = props->prop_values[i] ?
			    drmModeGetPropertyBlob(fd,
						   props->prop_values[i]) : NULL;
			len = b ? (long)b->length : 0;
			drmModeFreePropertyBlob(b);
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return len;
}

int kms_add_fb_xrgb(int fd, uint32_t width, uint32_t height, uint32_t handle,
		    uint32_t pitch, uint32_t *fb_id)
{
	uint32_t handles[4] = { handle }, pitches[4] = { pitch };
	uint32_t offsets[4] = { 0 };
	int err;

	if (drmModeAddFB2(fd, width, height, DRM_FORMAT_XRGB8888, handles,
			  pitches, offsets, fb_id, 0)) {
		err = errno;
		printf("ADDFB2 %ux%u XRGB8888 pitch %u failed: %s\n",
		       width, height, pitch, strerror(err));
		return -err;
	}
	return 0;
}

void pattern_fill(uint32_t *px, unsigned int w, unsigned int h,
		  unsigned int pitch_bytes, unsigned int frame)
{
	unsigned int bw = w / 8 ? w / 8 : 1, bh = h / 8 ? h / 8 : 1;
	unsigned int bx = (frame * 29) % (w - bw + 1);
	unsigned int by = (frame * 17) % (h - bh + 1);
	unsigned int x, y;

	for (y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)((char *)px + y * pitch_bytes);

		for (x = 0; x < w; x++) {
			/* low 8 bits of x/y in red/green, the rest in blue */
			uint32_t r = x & 0xff, g = y & 0xff;
			uint32_t b = ((x >> 8) & 3) | ((y >> 8) & 3) << 2 |
				     (frame & 7) << 4;

			if (x >= bx && x < bx + bw && y >= by && y < by + bh) {
				r ^= 0xff;
				g ^= 0xff;
				b |= 0x80;
			}
			row[x] = 0xff000000 | r << 16 | g << 8 | b;
		}
	}
}

unsigned long image_compare(const uint32_t *expect, unsigned int expect_pitch,
			    const uint32_t *got, unsigned int got_pitch,
			    unsigned int w, unsigned int h)
{
	unsigned long bad = 0;
	unsigned int x, y;

	for (y = 0; y < h; y++) {
		const uint32_t *e = (const uint32_t *)
				    ((const char *)expect + y * expect_pitch);
		const uint32_t *g = (const uint32_t *)
				    ((const char *)got + y * got_pitch);

		for (x = 0; x < w; x++) {
			if (!((e[x] ^ g[x]) & 0x00ffffff))
				continue;
			if (bad < MAX_PRINTED_MISMATCHES)
				printf("  mismatch at x=%u y=%u: expected 0x%06x got 0x%06x\n",
				       x, y, e[x] & 0x00ffffff,
				       g[x] & 0x00ffffff);
			bad++;
		}
	}
	if (bad)
		printf("  %lu of %lu pixels differ\n", bad, (unsigned long)w * h);
	return bad;
}

int ppm_write(const char *path, const uint32_t *px, unsigned int w,
	      unsigned int h, unsigned int pitch_bytes)
{
	unsigned char *line;
	unsigned int x, y;
	FILE *f;
	int ret = -1;

	line = malloc((size_t)w * 3);
	f = fopen(path, "wb");
	if (!line || !f) {
		printf("cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(line);
		return -1;
	}
	fprintf(f, "P6\n%u %u\n255\n", w, h);
	for (y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)
				      ((const char *)px + y * pitch_bytes);

		for (x = 0; x < w; x++) {
			line[3 * x + 0] = row[x] >> 16;
			line[3 * x + 1] = row[x] >> 8;
			line[3 * x + 2] = row[x];
		}
		if (fwrite(line, 3, w, f) != w)
			break;
	}
	if (y == h && !ferror(f))
		ret = 0;
	if (fclose(f))
		ret = -1;
	if (ret)
		printf("error writing %s: %s\n", path, strerror(errno));
	free(line);
	return ret;
}

/* Id (and current value) of the property @name of an object, or 0. */
static uint32_t find_prop(int fd, uint32_t obj_id, uint32_t obj_type,
			  const char *name, uint64_t *value)
{
	drmModeObjectPropertiesPtr props;
	uint32_t id = 0;
	unsigned int i;

	props = drmModeObjectGetProperties(fd, obj_id, obj_type);
	for (i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, name)) {
			id = p->prop_id;
			if (value)
				*value = props->prop_values[i];
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

/* Look up property ids of one object by name; all of them must exist. */
static int lookup_props(int fd, uint32_t obj_id, uint32_t obj_type,
			const char *const *names, uint32_t *ids, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		ids[i] = find_prop(fd, obj_id, obj_type, names[i], NULL);
		if (!ids[i]) {
			printf("object %u has no \"%s\" property\n",
			       obj_id, names[i]);
			ret = -1;
		}
	}
	return ret;
}

/* Preferred non-interlaced mode of @w x @h, else the first such one. */
static bool pick_mode(drmModeConnectorPtr conn, unsigned int w,
		      unsigned int h, drmModeModeInfo *mode)
{
	bool found = false;
	int i;

	for (i = 0; i < conn->count_modes; i++) {
		drmModeModeInfo *m = &conn->modes[i];

		if (m->hdisplay != w || m->vdisplay != h ||
		    (m->flags & DRM_MODE_FLAG_INTERLACE))
			continue;
		if (!found || (m->type & DRM_MODE_TYPE_PREFERRED))
			*mode = *m;
		found = true;
		if (m->type & DRM_MODE_TYPE_PREFERRED)
			break;
	}
	return found;
}

/* Index (in res->crtcs) of the first CRTC any encoder of @conn can drive. */
static int conn_crtc_index(int fd, drmModeResPtr res, drmModeConnectorPtr conn)
{
	int i, j;

	for (i = 0; i < conn->count_encoders; i++) {
		drmModeEncoderPtr enc = drmModeGetEncoder(fd, conn->encoders[i]);
		uint32_t mask = enc ? enc->possible_crtcs : 0;

		drmModeFreeEncoder(enc);
		for (j = 0; j < res->count_crtcs; j++)
			if (mask & (1u << j))
				return j;
	}
	return -1;
}

static int find_objects(struct kms_wb *wb, unsigned int w, unsigned int h)
{
	drmModePlaneResPtr pres = NULL;
	drmModeResPtr res;
	int i, crtc_idx = -1, ret = KMS_EXIT_SKIP;
	unsigned int j;

	res = drmModeGetResources(wb->fd);
	if (!res) {
		printf("GETRESOURCES failed: %s\n", strerror(errno));
		return KMS_EXIT_FAIL;
	}
	for (i = 0; i < res->count_connectors; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(wb->fd,
							    res->connectors[i]);

		if (!c)
			continue;
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK &&
		    !wb->wb_conn_id) {
			wb->wb_conn_id = c->connector_id;
		} else if (c->connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
			   !wb->conn_id && pick_mode(c, w, h, &wb->mode)) {
			wb->conn_id = c->connector_id;
			crtc_idx = conn_crtc_index(wb->fd, res, c);
		}
		drmModeFreeConnector(c);
	}
	if (!wb->conn_id || crtc_idx < 0) {
		printf("no Virtual connector with a %ux%u mode and a CRTC\n",
		       w, h);
		goto out;
	}
	if (!wb->wb_conn_id) {
		printf("no writeback connector\n");
		goto out;
	}
	wb->crtc_id = res->crtcs[crtc_idx];
	wb->crtc_index = crtc_idx;

	pres = drmModeGetPlaneResources(wb->fd);
	for (j = 0; pres && j < pres->count_planes && !wb->plane_id; j++) {
		drmModePlanePtr p = drmModeGetPlane(wb->fd, pres->planes[j]);

		uint64_t type = ~0ull;

		if (p && (p->possible_crtcs & (1u << crtc_idx)) &&
		    find_prop(wb->fd, p->plane_id, DRM_MODE_OBJECT_PLANE,
			      "type", &type) && type == PLANE_TYPE_PRIMARY)
			wb->plane_id = p->plane_id;
		drmModeFreePlane(p);
	}
	if (!wb->plane_id) {
		printf("no primary plane for CRTC %u\n", wb->crtc_id);
		goto out;
	}
	printf("crtc %u, connector %u, writeback connector %u, plane %u, mode %s@%u\n",
	       wb->crtc_id, wb->conn_id, wb->wb_conn_id, wb->plane_id,
	       wb->mode.name, wb->mode.vrefresh);
	ret = 0;
out:
	drmModeFreePlaneResources(pres);
	drmModeFreeResources(res);
	return ret;
}

int kms_wb_init(struct kms_wb *wb, int fd, unsigned int w, unsigned int h)
{
	static const char *const crtc_names[KMS_CRTC_NPROPS] = {
		"ACTIVE", "MODE_ID",
	};
	static const char *const conn_names[KMS_CONN_NPROPS] = { "CRTC_ID" };
	static const char *const wb_names[KMS_WB_NPROPS] = {
		"CRTC_ID", "WRITEBACK_FB_ID", "WRITEBACK_OUT_FENCE_PTR",
	};
	static const char *const plane_names[KMS_PLANE_NPROPS] = {
		"FB_ID", "CRTC_ID", "SRC_X", "SRC_Y", "SRC_W", "SRC_H",
		"CRTC_X", "CRTC_Y", "CRTC_W", "CRTC_H",
	};
	int ret;

	memset(wb, 0, sizeof(*wb));
	wb->fd = fd;
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1)) {
		printf("cannot enable atomic/writeback client caps: %s\n",
		       strerror(errno));
		return KMS_EXIT_SKIP;
	}
	ret = find_objects(wb, w, h);
	if (ret)
		return ret;
	if (lookup_props(fd, wb->crtc_id, DRM_MODE_OBJECT_CRTC,
			 crtc_names, wb->crtc_prop, KMS_CRTC_NPROPS) ||
	    lookup_props(fd, wb->conn_id, DRM_MODE_OBJECT_CONNECTOR,
			 conn_names, wb->conn_prop, KMS_CONN_NPROPS) ||
	    lookup_props(fd, wb->wb_conn_id, DRM_MODE_OBJECT_CONNECTOR,
			 wb_names, wb->wb_prop, KMS_WB_NPROPS) ||
	    lookup_props(fd, wb->plane_id, DRM_MODE_OBJECT_PLANE,
			 plane_names, wb->plane_prop, KMS_PLANE_NPROPS))
		return KMS_EXIT_SKIP;
	/* optional: a gamma LUT left behind by fbdev would alter the output */
	wb->gamma_lut_prop = find_prop(fd, wb->crtc_id, DRM_MODE_OBJECT_CRTC,
				       "GAMMA_LUT", NULL);

	if (drmModeCreatePropertyBlob(fd, &wb->mode, sizeof(wb->mode),
				      &wb->mode_blob)) {
		printf("CREATEPROPBLOB for the mode failed: %s\n",
		       strerror(errno));
		return KMS_EXIT_FAIL;
	}
	/* The writeback target must be owned by vkms itself. */
	if (kms_dumb_create(fd, wb->mode.hdisplay, wb->mode.vdisplay, 32,
			    &wb->buf) ||
	    kms_dumb_map(&wb->buf) ||
	    kms_add_fb_xrgb(fd, wb->mode.hdisplay, wb->mode.vdisplay,
			    wb->buf.handle, wb->buf.pitch, &wb->wb_fb))
		return KMS_EXIT_FAIL;
	return 0;
}

int kms_wait_fence(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sync_file_info info;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		printf("poll on writeback fence failed: %s\n", strerror(errno));
		return -1;
	}
	if (ret == 0) {
		printf("writeback fence not signalled after %d ms\n",
		       timeout_ms);
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info)) {
		printf("SYNC_IOC_FILE_INFO failed: %s\n", strerror(errno));
		return -1;
	}
	if (info.status < 0) {
		printf("writeback fence signalled with error: %s\n",
		       strerror(-info.status));
		return -1;
	}
	return 0;
}

void kms_atomic_add(drmModeAtomicReqPtr req, uint32_t obj, uint32_t prop,
		    uint64_t value, int *err)
{
	if (drmModeAtomicAddProperty(req, obj, prop, value) < 0)
		*err = -1;
}

void kms_atomic_add_modeset(drmModeAtomicReqPtr req, struct kms_wb *wb,
			    int *err)
{
	kms_atomic_add(req, wb->crtc_id, wb->crtc_prop[KMS_CRTC_ACTIVE], 1,
		       err);
	kms_atomic_add(req, wb->crtc_id, wb->crtc_prop[KMS_CRTC_MODE_ID],
		       wb->mode_blob, err);
	if (wb->gamma_lut_prop)
		kms_atomic_add(req, wb->crtc_id, wb->gamma_lut_prop, 0, err);
	/*
	 * vkms (6.12) does not let its Virtual and writeback encoders be
	 * clones: the writeback connector drives the CRTC alone.
	 */
	kms_atomic_add(req, wb->conn_id, wb->conn_prop[KMS_CONN_CRTC_ID], 0,
		       err);
	kms_atomic_add(req, wb->wb_conn_id, wb->wb_prop[KMS_WB_CRTC_ID],
		       wb->crtc_id, err);
}

void kms_atomic_add_plane(drmModeAtomicReqPtr req, struct kms_wb *wb,
			  uint32_t plane_id, const uint32_t *pp,
			  uint32_t fb_id, uint32_t src_x, uint32_t src_y,
			  uint32_t src_w, uint32_t src_h, int32_t crtc_x,
			  int32_t crtc_y, int *err)
{
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_FB_ID], fb_id, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_CRTC_ID],
		       fb_id ? wb->crtc_id : 0, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_SRC_X],
		       (uint64_t)src_x << 16, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_SRC_Y],
		       (uint64_t)src_y << 16, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_SRC_W],
		       (uint64_t)src_w << 16, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_SRC_H],
		       (uint64_t)src_h << 16, err);
	/* signed properties: the 64-bit value is the sign-extended int */
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_CRTC_X],
		       (uint64_t)(int64_t)crtc_x, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_CRTC_Y],
		       (uint64_t)(int64_t)crtc_y, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_CRTC_W], src_w, err);
	kms_atomic_add(req, plane_id, pp[KMS_PLANE_CRTC_H], src_h, err);
}

void kms_atomic_add_wb_job(drmModeAtomicReqPtr req, struct kms_wb *wb,
			   uint32_t wb_fb, int32_t *out_fence, int *err)
{
	*out_fence = -1;
	kms_atomic_add(req, wb->wb_conn_id, wb->wb_prop[KMS_WB_FB_ID], wb_fb,
		       err);
	kms_atomic_add(req, wb->wb_conn_id, wb->wb_prop[KMS_WB_OUT_FENCE_PTR],
		       (uint64_t)(uintptr_t)out_fence, err);
}

/*
 * Commit @req (blocking) and free it, then wait for the writeback
 * out-fence. *@committed tells whether the commit itself succeeded.
 */
static int commit_and_wait(struct kms_wb *wb, drmModeAtomicReqPtr req,
			   uint32_t flags, int32_t *out_fence, const char *what,
			   bool *committed)
{
	int ret, err;

	ret = drmModeAtomicCommit(wb->fd, req, flags, NULL);
	err = errno;
	drmModeAtomicFree(req);
	*committed = !ret;
	if (ret) {
		printf("atomic commit%s %s failed: %s\n",
		       flags & DRM_MODE_ATOMIC_ALLOW_MODESET ? " (modeset)" : "",
		       what, strerror(err));
		if (*out_fence >= 0)
			close(*out_fence);
		return -1;
	}
	if (*out_fence < 0) {
		printf("atomic commit returned no writeback out-fence\n");
		return -1;
	}
	ret = kms_wb_wait(wb, *out_fence);
	close(*out_fence);
	return ret;
}

int kms_wb_commit(struct kms_wb *wb, uint32_t fb_id)
{
	uint32_t w = wb->mode.hdisplay, h = wb->mode.vdisplay;
	uint32_t flags = 0;
	int32_t out_fence = -1;
	drmModeAtomicReqPtr req;
	bool committed;
	char what[32];
	int ret, err = 0;

	/* Poison the target so that pixels not written by the job show. */
	memset(wb->buf.map, 0x5a, wb->buf.size);

	req = drmModeAtomicAlloc();
	if (!req) {
		printf("drmModeAtomicAlloc failed\n");
		return -1;
	}
	if (!wb->modeset_done) {
		kms_atomic_add_modeset(req, wb, &err);
		flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	kms_atomic_add_plane(req, wb, wb->plane_id, wb->plane_prop, fb_id,
			     0, 0, w, h, 0, 0, &err);
	/* The writeback job is consumed by each commit: set it every time. */
	kms_atomic_add_wb_job(req, wb, wb->wb_fb, &out_fence, &err);
	if (err) {
		printf("drmModeAtomicAddProperty failed\n");
		drmModeAtomicFree(req);
		return -1;
	}
	snprintf(what, sizeof(what), "of fb %u", fb_id);
	ret = commit_and_wait(wb, req, flags, &out_fence, what, &committed);
	if (committed)
		wb->modeset_done = true;
	return ret;
}

int kms_wb_capture(struct kms_wb *wb)
{
	int32_t out_fence = -1;
	drmModeAtomicReqPtr req;
	bool committed;
	int err = 0;

	memset(wb->buf.map, 0x5a, wb->buf.size);
	req = drmModeAtomicAlloc();
	if (!req) {
		printf("drmModeAtomicAlloc failed\n");
		return -1;
	}
	kms_atomic_add_wb_job(req, wb, wb->wb_fb, &out_fence, &err);
	if (err) {
		printf("drmModeAtomicAddProperty failed\n");
		drmModeAtomicFree(req);
		return -1;
	}
	return commit_and_wait(wb, req, 0, &out_fence, "(writeback only)",
			       &committed);
}

void kms_wb_fini(struct kms_wb *wb)
{
	if (wb->wb_fb)
		drmModeRmFB(wb->fd, wb->wb_fb);
	if (wb->mode_blob)
		drmModeDestroyPropertyBlob(wb->fd, wb->mode_blob);
	kms_dumb_destroy(&wb->buf);
	wb->wb_fb = 0;
	wb->mode_blob = 0;
}

long kms_wb_check_frame(struct kms_wb *wb, uint32_t fb_id, void *map,
			unsigned int pitch, unsigned int frame)
{
	unsigned int w = wb->mode.hdisplay, h = wb->mode.vdisplay;
	uint32_t *expect;
	long bad;

	expect = malloc((size_t)w * h * 4);
	if (!expect) {
		printf("out of memory\n");
		return -1;
	}
	pattern_fill(map, w, h, pitch, frame);
	__sync_synchronize();	/* flush (write-combined) CPU writes */
	if (kms_wb_commit(wb, fb_id)) {
		free(expect);
		return -1;
	}
	pattern_fill(expect, w, h, w * 4, frame);
	bad = image_compare(expect, w * 4, wb->buf.map, wb->buf.pitch, w, h);
	free(expect);
	return bad;
}

int kms_prime_fb_create(int exporter, int importer, uint32_t width,
			uint32_t height, struct kms_prime_fb *pf)
{
	memset(pf, 0, sizeof(*pf));
	pf->dmabuf = -1;
	pf->importer = importer;
	if (kms_dumb_create(exporter, width, height, 32, &pf->buf) ||
	    kms_dumb_map(&pf->buf))
		return -1;
	printf("exported buffer: %ux%u pitch %u size %llu\n", width, height,
	       pf->buf.pitch, (unsigned long long)pf->buf.size);
	pf->dmabuf = kms_prime_export(exporter, pf->buf.handle);
	if (pf->dmabuf < 0 ||
	    kms_prime_import(importer, pf->dmabuf, &pf->handle) ||
	    kms_add_fb_xrgb(importer, width, height, pf->handle, pf->buf.pitch,
			    &pf->fb))
		return -1;
	return 0;
}

void kms_prime_fb_destroy(struct kms_prime_fb *pf)
{
	if (pf->fb)
		drmModeRmFB(pf->importer, pf->fb);
	kms_gem_close(pf->importer, pf->handle);
	if (pf->dmabuf >= 0)
		close(pf->dmabuf);
	kms_dumb_destroy(&pf->buf);
	memset(pf, 0, sizeof(*pf));
	pf->dmabuf = -1;
}

long kms_wb_check_frames(struct kms_wb *wb, uint32_t fb, void *map,
			 unsigned int pitch, unsigned int nframes)
{
	unsigned int frame;
	long checked = 0;

	for (frame = 0; frame < nframes; frame++) {
		long bad = kms_wb_check_frame(wb, fb, map, pitch, frame);

		if (bad > 0)
			printf("FAIL: frame %u: %ld mismatching pixels\n",
			       frame, bad);
		else if (bad < 0)
			printf("FAIL: frame %u: no capture\n", frame);
		if (bad)
			return -1;
		checked += (long)wb->mode.hdisplay * wb->mode.vdisplay;
	}
	return checked;
}

double kms_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint32_t kms_find_plane(struct kms_wb *wb, unsigned int type)
{
	drmModePlaneResPtr pres = drmModeGetPlaneResources(wb->fd);
	uint32_t id = 0;
	unsigned int j;

	for (j = 0; pres && j < pres->count_planes && !id; j++) {
		drmModePlanePtr p = drmModeGetPlane(wb->fd, pres->planes[j]);
		uint64_t t = ~0ull;

		if (p && (p->possible_crtcs & (1u << wb->crtc_index)) &&
		    find_prop(wb->fd, p->plane_id, DRM_MODE_OBJECT_PLANE,
			      "type", &t) && t == type)
			id = p->plane_id;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pres);
	if (!id)
		printf("no plane of type %u for CRTC %u\n", type, wb->crtc_id);
	return id;
}

int kms_plane_props(int fd, uint32_t plane_id, uint32_t *props)
{
	static const char *const names[KMS_PLANE_NPROPS] = {
		"FB_ID", "CRTC_ID", "SRC_X", "SRC_Y", "SRC_W", "SRC_H",
		"CRTC_X", "CRTC_Y", "CRTC_W", "CRTC_H",
	};

	return lookup_props(fd, plane_id, DRM_MODE_OBJECT_PLANE, names, props,
			    KMS_PLANE_NPROPS);
}

int kms_wb_target_init(struct kms_wb *wb, struct kms_wb_target *t)
{
	t->fb = 0;
	if (kms_dumb_create(wb->fd, wb->mode.hdisplay, wb->mode.vdisplay, 32,
			    &t->buf) ||
	    kms_dumb_map(&t->buf) ||
	    kms_add_fb_xrgb(wb->fd, wb->mode.hdisplay, wb->mode.vdisplay,
			    t->buf.handle, t->buf.pitch, &t->fb))
		return -1;
	return 0;
}

void kms_wb_target_fini(struct kms_wb *wb, struct kms_wb_target *t)
{
	if (t->fb)
		drmModeRmFB(wb->fd, t->fb);
	t->fb = 0;
	kms_dumb_destroy(&t->buf);
}

#define DEBUGFS_DRI	"/sys/kernel/debug/dri"

/* debugfs directory of the DRM device driven by @driver, e.g. ".../dri/0" */
static int debugfs_dir(const char *driver, char *dir, size_t len)
{
	size_t n = strlen(driver);
	char path[96], name[128];
	int i;

	for (i = 0; i < 64; i++) {
		FILE *f;
		bool match;

		snprintf(path, sizeof(path), DEBUGFS_DRI "/%d/name", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* "vkms dev=... unique=..." */
		match = fgets(name, sizeof(name), f) &&
			!strncmp(name, driver, n) &&
			(name[n] == ' ' || name[n] == '\n' || !name[n]);
		fclose(f);
		if (match) {
			snprintf(dir, len, DEBUGFS_DRI "/%d", i);
			return 0;
		}
	}
	printf("no %s/N/name naming \"%s\" (is debugfs mounted?)\n",
	       DEBUGFS_DRI, driver);
	return -1;
}

/* (Re)start the capture: select the source, open the data file. */
static int crc_start(struct kms_crc *crc)
{
	int fd;

	fd = open(crc->control, O_WRONLY);
	if (fd < 0 || write(fd, "auto", 4) != 4) {
		printf("%s: %s\n", crc->control, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	crc->data = open(crc->path, O_RDONLY | O_NONBLOCK);
	if (crc->data < 0) {
		printf("%s: %s\n", crc->path, strerror(errno));
		return -1;
	}
	return 0;
}

int kms_crc_open(struct kms_crc *crc, const char *driver, int crtc_index)
{
	char dir[64];

	memset(crc, 0, sizeof(*crc));
	crc->data = -1;
	if (debugfs_dir(driver, dir, sizeof(dir)))
		return -1;
	snprintf(crc->control, sizeof(crc->control), "%s/crtc-%d/crc/control",
		 dir, crtc_index);
	snprintf(crc->path, sizeof(crc->path), "%s/crtc-%d/crc/data", dir,
		 crtc_index);
	return crc_start(crc);
}

long kms_vblank_now(struct kms_wb *wb)
{
	drmVBlank vbl = { .request = { .type = DRM_VBLANK_RELATIVE } };

	if (wb->crtc_index > 1)
		vbl.request.type |= (wb->crtc_index <<
				     DRM_VBLANK_HIGH_CRTC_SHIFT) &
				    DRM_VBLANK_HIGH_CRTC_MASK;
	else if (wb->crtc_index == 1)
		vbl.request.type |= DRM_VBLANK_SECONDARY;
	if (drmWaitVBlank(wb->fd, &vbl)) {
		printf("WAIT_VBLANK: %s\n", strerror(errno));
		return -1;
	}
	return vbl.reply.sequence;
}

int kms_crc_next(struct kms_crc *crc, struct kms_wb *wb, uint32_t *value,
		 uint32_t *frame)
{
	long now = kms_vblank_now(wb);
	uint32_t f, v;

	if (now < 0)
		return -1;
	do {
		if (kms_crc_read(crc, &f, &v, 3 * KMS_CRC_STALL_MS))
			return -1;
	} while ((int32_t)(f - (uint32_t)now) <= 0);
	*value = v;
	if (frame)
		*frame = f;
	return 0;
}

int kms_crc_restart(struct kms_crc *crc)
{
	if (crc->data >= 0)
		close(crc->data);
	crc->data = -1;
	crc->restarts++;
	return crc_start(crc);
}

int kms_crc_read(struct kms_crc *crc, uint32_t *frame, uint32_t *value,
		 int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int waited = 0, ret;

	for (;;) {
		ret = kms_crc_try_read(crc, frame, value);
		if (ret <= 0)
			return ret;
		if (waited >= timeout_ms) {
			printf("no CRC entry within %d ms\n", timeout_ms);
			return -1;
		}
		pfd.fd = crc->data;
		ret = poll(&pfd, 1, KMS_CRC_STALL_MS);
		if (ret < 0 && errno != EINTR) {
			printf("poll on CRC data: %s\n", strerror(errno));
			return -1;
		}
		if (ret > 0)
			continue;
		waited += KMS_CRC_STALL_MS;
		/*
		 * A writeback job's cleanup may have switched the composer
		 * off (see kms_wb_wait()): switch it on again.
		 */
		printf("no CRC entry for %d ms: restarting the CRC capture\n",
		       KMS_CRC_STALL_MS);
		if (kms_crc_restart(crc))
			return -1;
	}
}

int kms_crc_try_read(struct kms_crc *crc, uint32_t *frame, uint32_t *value)
{
	char line[64];
	ssize_t n;

	n = read(crc->data, line, sizeof(line) - 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {
		printf("reading CRC data: %s\n", n ? strerror(errno) : "EOF");
		return -1;
	}
	line[n] = '\0';
	if (sscanf(line, "%x %x", frame, value) != 2) {
		printf("unexpected CRC entry \"%s\"\n", line);
		return -1;
	}
	return 0;
}

void kms_crc_close(struct kms_crc *crc)
{
	if (crc->data >= 0)
		close(crc->data);
	crc->data = -1;
}

int kms_wb_wait(struct kms_wb *wb, int fence)
{
	struct kms_crc own = { .data = -1 }, *crc = wb->crc;
	struct pollfd pfd = { .fd = fence, .events = POLLIN };
	int waited = 0, ret;
	drmVersionPtr ver;

	for (;;) {
		do {
			ret = poll(&pfd, 1, KMS_WB_STALL_MS);
		} while (ret < 0 && errno == EINTR);
		if (ret)
			break;
		waited += KMS_WB_STALL_MS;
		if (waited >= KMS_WB_TIMEOUT_MS) {
			printf("writeback fence not signalled after %d ms\n",
			       waited);
			kms_crc_close(&own);
			return -1;
		}
		/* switch the composer on again: (re)start a CRC capture */
		wb->kicks++;
		printf("writeback job not done after %d ms: switching the composer on (CRC capture)\n",
		       waited);
		if (crc && crc->data >= 0) {
			if (kms_crc_restart(crc))
				break;
			continue;
		}
		kms_crc_close(&own);
		ver = drmGetVersion(wb->fd);
		ret = ver ? kms_crc_open(&own, ver->name, wb->crtc_index) : -1;
		drmFreeVersion(ver);
		if (ret)
			break;
	}
	/* signalled (or a poll error): check the status */
	ret = kms_wait_fence(fence, 0);
	kms_crc_close(&own);
	return ret;
}

int kms_dmabuf_copy_write_fence(int from, int to)
{
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_WRITE,
					       .fd = -1 };
	struct dma_buf_import_sync_file im = { .flags = DMA_BUF_SYNC_WRITE };
	int ret = -1;

	if (ioctl(from, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex)) {
		printf("DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s\n", strerror(errno));
		return -1;
	}
	im.fd = ex.fd;
	if (ioctl(to, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &im))
		printf("DMA_BUF_IOCTL_IMPORT_SYNC_FILE: %s\n", strerror(errno));
	else
		ret = 0;
	close(ex.fd);
	return ret;
}
