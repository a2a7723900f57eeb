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

/* A CRTC driving the vkms "Virtual" connector and its writeback connector. */
struct kms_wb {
	int fd;
	uint32_t crtc_id, conn_id, wb_conn_id, plane_id;
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
};

/* Returns an O_RDWR fd on /dev/dri/cardN driven by @name, or -1. */
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
void kms_gem_close(int fd, uint32_t handle);

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

#endif /* TESTS_GUEST_KMS_H */
