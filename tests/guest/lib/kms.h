/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the guest DRM/KMS test programs: finding a DRM
 * card node by driver name, dumb buffers, PRIME export/import, a
 * deterministic XRGB8888 test pattern, an atomic modeset + writeback capture
 * path for vkms, an RGB image comparison and a PPM writer.  Every helper
 * prints what went wrong on stdout so a failing test explains itself.
 */
#ifndef TESTS_GUEST_KMS_H
#define TESTS_GUEST_KMS_H

#include <stdbool.h>
#include <stdint.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

/* Exit codes understood by the test harness. */
#define KMS_EXIT_PASS	0
#define KMS_EXIT_FAIL	1
#define KMS_EXIT_SKIP	77	/* cannot run; counted as a failure */

/* Time allowed for a writeback job to complete. */
#define KMS_WB_TIMEOUT_MS	10000
/* ... after which the composer is switched on again, see kms_wb_wait() */
#define KMS_WB_STALL_MS		500
/* Time without a CRC entry after which the capture is restarted. */
#define KMS_CRC_STALL_MS	1000

struct kms_dumb {
	int fd;			/* device the buffer belongs to */
	uint32_t handle;	/* 0 when not allocated */
	uint32_t width, height, bpp;
	uint32_t pitch;		/* bytes per line, as chosen by the driver */
	uint64_t size;
	void *map;		/* NULL until kms_dumb_map() */
};

enum { KMS_CRTC_ACTIVE, KMS_CRTC_MODE_ID, KMS_CRTC_NPROPS };
enum { KMS_CONN_CRTC_ID, KMS_CONN_NPROPS };
enum {
	KMS_WB_CRTC_ID, KMS_WB_FB_ID, KMS_WB_OUT_FENCE_PTR, KMS_WB_NPROPS
};
enum {
	KMS_PLANE_FB_ID, KMS_PLANE_CRTC_ID,
	KMS_PLANE_SRC_X, KMS_PLANE_SRC_Y, KMS_PLANE_SRC_W, KMS_PLANE_SRC_H,
	KMS_PLANE_CRTC_X, KMS_PLANE_CRTC_Y, KMS_PLANE_CRTC_W, KMS_PLANE_CRTC_H,
	KMS_PLANE_NPROPS
};

/*
 * CRCs of the composed output of a CRTC, from debugfs
 * (/sys/kernel/debug/dri/N/crtc-I/crc/): the "auto" source is selected and
 * the data file opened, which starts the capture (and switches vkms's
 * composer on); each vblank then yields one entry.
 */
struct kms_crc {
	int data;	/* -1 when closed */
	char control[96], path[96];
	unsigned int restarts;
};

/* A CRTC driving the vkms "Virtual" connector and its writeback connector. */
struct kms_wb {
	int fd;
	uint32_t crtc_id, conn_id, wb_conn_id, plane_id;
	int crtc_index;		/* of crtc_id in the resources' CRTC list */
	drmModeModeInfo mode;
	uint32_t mode_blob;
	uint32_t crtc_prop[KMS_CRTC_NPROPS];
	uint32_t conn_prop[KMS_CONN_NPROPS];
	uint32_t wb_prop[KMS_WB_NPROPS];
	uint32_t plane_prop[KMS_PLANE_NPROPS];
	uint32_t gamma_lut_prop;	/* 0 if the CRTC has none */
	struct kms_dumb buf;	/* writeback target, mapped */
	uint32_t wb_fb;
	bool modeset_done;
	struct kms_crc *crc;	/* the caller's open CRC capture, or NULL */
	unsigned int kicks;	/* stalled writeback jobs restarted */
};

/* Returns an O_RDWR fd on /dev/dri/cardN driven by @name, or -1. */
/* vgem's fence ioctls (uapi drm/vgem_drm.h; libdrm has no header). */
struct vgem_fence_attach {
	uint32_t handle;	/* GEM handle on the vgem fd */
	uint32_t flags;		/* VGEM_WRITE_FENCE: exclusive */
	uint32_t out_fence;	/* returned id */
	uint32_t pad;
};

struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_WRITE_FENCE	0x1
#define VGEM_IOCTL_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

int kms_open_driver(const char *name);
/* The same, without a message when there is none (for polling). */
int kms_find_driver(const char *name);

int kms_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t bpp,
		    struct kms_dumb *buf);
int kms_dumb_map(struct kms_dumb *buf);
void kms_dumb_destroy(struct kms_dumb *buf);

/* Returns a dma-buf fd (CLOEXEC, RDWR) or -1. */
int kms_prime_export(int fd, uint32_t handle);
int kms_prime_import(int fd, int dmabuf_fd, uint32_t *handle);
/*
 * Make the write fences of dma-buf @from a write fence of dma-buf @to
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE, then DMA_BUF_IOCTL_IMPORT_SYNC_FILE), for
 * exporters without fences of their own. 0 or -1 (printed).
 */
int kms_dmabuf_copy_write_fence(int from, int to);
void kms_gem_close(int fd, uint32_t handle);

/* The length of a connector's EDID property: 0 if none, -1 on error. */
long kms_connector_edid_len(int fd, uint32_t conn_id);

/* Single-plane XRGB8888 framebuffer; returns 0 or -errno. */
int kms_add_fb_xrgb(int fd, uint32_t width, uint32_t height, uint32_t handle,
		    uint32_t pitch, uint32_t *fb_id);

/*
 * Deterministic XRGB8888 pattern: every pixel of an image up to 1024x1024
 * gets a distinct RGB value, and every pixel changes from one frame to the
 * next (frame & 7 is encoded in blue, plus a moving inverted box).
 */
void pattern_fill(uint32_t *px, unsigned int w, unsigned int h,
		  unsigned int pitch_bytes, unsigned int frame);

/*
 * A buffer allocated on one device (e.g. vgem), drawn through its mmap,
 * exported as a dma-buf and imported into another (e.g. vkms) as an
 * XRGB8888 framebuffer.
 */
struct kms_prime_fb {
	struct kms_dumb buf;	/* on the exporting device */
	int dmabuf;		/* -1 when not exported */
	int importer;		/* importing device */
	uint32_t handle;	/* import's GEM handle, 0 when none */
	uint32_t fb;		/* framebuffer id, 0 when none */
};

int kms_prime_fb_create(int exporter, int importer, uint32_t width,
			uint32_t height, struct kms_prime_fb *pf);
void kms_prime_fb_destroy(struct kms_prime_fb *pf);

/*
 * Draw frames 0..nframes-1 into @map, show each on @fb and check each
 * capture (see kms_wb_check_frame()); prints what failed. Returns the
 * number of pixels checked, or -1 on failure.
 */
long kms_wb_check_frames(struct kms_wb *wb, uint32_t fb, void *map,
			 unsigned int pitch, unsigned int nframes);

/*
 * Compare the RGB part of two XRGB8888 images.  Prints the first few
 * mismatches and the total; returns the number of mismatching pixels.
 */
unsigned long image_compare(const uint32_t *expect, unsigned int expect_pitch,
			    const uint32_t *got, unsigned int got_pitch,
			    unsigned int w, unsigned int h);

/* Write an XRGB8888 image as binary PPM (P6); returns 0 or -1. */
int ppm_write(const char *path, const uint32_t *px, unsigned int w,
	      unsigned int h, unsigned int pitch_bytes);

/*
 * Set up writeback capture on a vkms fd for a @w x @h mode.  Returns 0,
 * KMS_EXIT_SKIP when the device lacks what is needed, or KMS_EXIT_FAIL.
 */
int kms_wb_init(struct kms_wb *wb, int fd, unsigned int w, unsigned int h);

/*
 * Show @fb_id full screen on the primary plane in one atomic commit (the
 * first one is a modeset), capture the composed output by writeback and wait
 * for the out-fence.  On success (0) the image is in wb->buf.map.
 */
int kms_wb_commit(struct kms_wb *wb, uint32_t fb_id);
void kms_wb_fini(struct kms_wb *wb);

/*
 * Draw @frame of the pattern into @map (the memory behind @fb_id), commit,
 * capture and compare.  Returns the number of mismatching pixels, or -1 if
 * the commit or capture failed.
 */
long kms_wb_check_frame(struct kms_wb *wb, uint32_t fb_id, void *map,
			unsigned int pitch, unsigned int frame);

/*
 * Building blocks for tests that assemble their own atomic commits on the
 * objects kms_wb_init() found.  The kms_atomic_* functions set *err to -1
 * when a property cannot be added and leave it alone otherwise.
 */
void kms_atomic_add(drmModeAtomicReqPtr req, uint32_t obj, uint32_t prop,
		    uint64_t value, int *err);
/* The modeset part of the first commit (see kms_wb_commit()). */
void kms_atomic_add_modeset(drmModeAtomicReqPtr req, struct kms_wb *wb,
			    int *err);
/*
 * Plane @plane_id (properties @props, see kms_plane_props()) shows the
 * @src_w x @src_h rectangle at (@src_x, @src_y) of @fb_id at (@crtc_x,
 * @crtc_y) on the CRTC, unscaled; @fb_id 0 disables the plane.
 */
void kms_atomic_add_plane(drmModeAtomicReqPtr req, struct kms_wb *wb,
			  uint32_t plane_id, const uint32_t *props,
			  uint32_t fb_id, uint32_t src_x, uint32_t src_y,
			  uint32_t src_w, uint32_t src_h, int32_t crtc_x,
			  int32_t crtc_y, int *err);
/* A writeback job into @wb_fb; the out-fence fd lands in *@out_fence. */
void kms_atomic_add_wb_job(drmModeAtomicReqPtr req, struct kms_wb *wb,
			   uint32_t wb_fb, int32_t *out_fence, int *err);

/*
 * Id of the first plane of type @type (DRM_PLANE_TYPE_*) that can drive
 * wb->crtc_id, or 0; and the ids of its KMS_PLANE_* properties (0 or -1).
 */
uint32_t kms_find_plane(struct kms_wb *wb, unsigned int type);
int kms_plane_props(int fd, uint32_t plane_id, uint32_t *props);

/* CLOCK_MONOTONIC in seconds. */
double kms_time(void);

/* Wait for a sync_file to signal without error; 0 or -1 (printed). */
int kms_wait_fence(int fence_fd, int timeout_ms);

/*
 * A writeback target like wb->buf and wb->wb_fb: a mode-sized XRGB8888
 * vkms dumb buffer, mapped, and its framebuffer.
 */
struct kms_wb_target {
	struct kms_dumb buf;
	uint32_t fb;
};

int kms_wb_target_init(struct kms_wb *wb, struct kms_wb_target *t);
void kms_wb_target_fini(struct kms_wb *wb, struct kms_wb_target *t);

/*
 * A writeback-only commit: the writeback job into wb->buf (poisoned first)
 * and nothing else, no plane and no CRTC property; waits for the out-fence.
 * The CRTC must be active with the writeback connector already on it.
 * (vkms's CRTC check still pulls every plane of the CRTC into the commit.)
 */
int kms_wb_capture(struct kms_wb *wb);

/* Start capturing on CRTC @crtc_index of the device driven by @driver. */
int kms_crc_open(struct kms_crc *crc, const char *driver,
		 int crtc_index);
/*
 * Next entry: its frame number and CRC; waits up to @timeout_ms. When no
 * entry came for KMS_CRC_STALL_MS, the capture is restarted (see
 * kms_wb_wait()). Returns 0, or -1 (printed).
 */
int kms_crc_read(struct kms_crc *crc, uint32_t *frame, uint32_t *value,
		 int timeout_ms);
/* The next entry if there is one: 0; none: 1; an error: -1 (printed). */
int kms_crc_try_read(struct kms_crc *crc, uint32_t *frame, uint32_t *value);
void kms_crc_close(struct kms_crc *crc);
/* The current vblank count of wb->crtc_id, or -1 (printed). */
long kms_vblank_now(struct kms_wb *wb);
/*
 * The CRC of the first frame after the current vblank, i.e. of a frame
 * whose composition started after the call: an entry for frame N is only
 * composed by a composer run that started after vblank N. 0 or -1.
 */
int kms_crc_next(struct kms_crc *crc, struct kms_wb *wb, uint32_t *value,
		 uint32_t *frame);
/* Close and open the data file again (switches the composer on). */
int kms_crc_restart(struct kms_crc *crc);

/*
 * Wait for a writeback job's out-fence, up to KMS_WB_TIMEOUT_MS; 0 or -1
 * (printed). 6.12 vkms switches its composer off in every writeback job's
 * cleanup, which runs in a worker after the job signalled: when that comes
 * after the next job's commit switched the composer on, the next job is
 * never composed. So when the fence has not signalled after
 * KMS_WB_STALL_MS, the composer is switched on again by (re)starting a CRC
 * capture (wb->crc if set and open, else a temporary one); wb->kicks
 * counts that. The job is the only one queued, the CRTC's state is the
 * job's commit's: the capture is what that commit shows.
 */
int kms_wb_wait(struct kms_wb *wb, int fence);

#endif /* TESTS_GUEST_KMS_H */
