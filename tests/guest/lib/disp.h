/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scenario tests on emulated USB displays (udl, gm12u320, gud): the part
 * that does not depend on the scenario.
 *
 * A display model (struct disp_model) says which emulator from tests/usb
 * stands for the device, which DRM driver must bind to it, the mode the
 * test expects, how an XRGB8888 framebuffer shows on the device (udl
 * keeps RGB565, the others all 24 colour bits) and how the driver turns
 * damage clips into transfers.
 *
 * struct disp is one plugged-in device: its emulator, its card and the
 * picture the device must show now ("cur").  A test draws into a
 * framebuffer with disp_draw() (which remembers what the buffer holds),
 * triggers an update, tells what the update should change with
 * disp_expect_all() / disp_expect_rects(), and then waits with
 * disp_wait() until the device shows exactly that, or checks with
 * disp_hold() that nothing else is shown for a while.  A mismatch is
 * printed and, if /out exists, written there as PNGs of the expected and
 * the shown picture.
 */
#ifndef TESTS_GUEST_DISP_H
#define TESTS_GUEST_DISP_H

#include <stdbool.h>
#include <stdint.h>

#include <drm.h>
#include <drm_mode.h>

#include "kms.h"
#include "vusb.h"

#define DISP_UDC		"dummy_udc.0"
#define DISP_PROBE_MS		20000	/* for the card to appear */
#define DISP_FRAME_MS		20000	/* for the expected picture */
#define DISP_UNPLUG_MS		10000	/* for the driver to unbind */

enum disp_depth {
	DISP_DEPTH_EXACT,	/* 8 bits per channel arrive unchanged */
	DISP_DEPTH_RGB565,	/* the device keeps RGB565 */
};

enum disp_damage {
	/* exactly the damaged clips are sent */
	DISP_DAMAGE_CLIPS,
	/*
	 * the clips, and within their bounding box any pixel may also show
	 * the framebuffer's new content: gud and gm12u320 send the merged
	 * rectangle of a commit's damage, and a driver on the blit helper's
	 * staging copy sends there what that copy holds, which may include
	 * areas refreshed for an earlier commit.  Outside the box nothing
	 * may change.
	 */
	DISP_DAMAGE_CLIPS_OR_BOX,
};

struct disp_model {
	const char *name;		/* prefix of the test names */
	const char *driver;		/* DRM and USB driver name */
	unsigned int width, height;	/* the mode the tests use: */
	bool offered_mode;		/* one offered, not the preferred */
	enum disp_depth depth;
	enum disp_damage damage;
	/*
	 * udl: the last bulk transfer of an update may be a multiple of the
	 * packet size and so not end a read on the device; a 1x1 DIRTYFB of
	 * unchanged content pushes it out.
	 */
	bool flush_fallback;
	size_t emu_size;
	int (*start)(void *emu, const char *udc);
	void (*stop)(void *emu);
	void (*stats)(void *emu);
	struct vdisp *(*vdisp)(void *emu);
	struct vusb_dev *(*usb)(void *emu);
};

/* The model whose name is @name (length @len), or NULL. */
const struct disp_model *disp_model_find(const char *name, size_t len);
extern const struct disp_model *const disp_models[];

struct disp {
	const struct disp_model *m;
	const char *test;	/* for messages and PNG names */
	const char *udc;	/* the UDC to plug into; NULL: DISP_UDC */
	void *emu;		/* m->emu_size bytes */
	bool plugged;
	int fd;			/* the card, -1 if none */
	char card[32];		/* its node */
	uint32_t conn_id, crtc_id;
	drmModeModeInfo mode;
	unsigned int w, h;	/* of the mode and of every framebuffer */
	uint32_t *cur;		/* what the device must show (XRGB8888) */
	uint32_t *alt;		/* or this, where @dc, when has_alt */
	uint8_t *dc;		/* pixels that may show @alt instead */
	bool has_alt;
	bool cur_valid;		/* something was shown */
	uint32_t *fbimg;	/* what the framebuffer holds (disp_draw) */
	uint32_t *tmp, *tmp2;	/* scratch */
	unsigned long flushes;	/* udl flush fallbacks disp_wait() made */
};

/*
 * Plug in the emulated device, wait for its driver and card and check the
 * connector and its mode.  @d->emu is allocated the first time; calling it
 * again after disp_pull() plugs a new device.  0 or KMS_EXIT_FAIL.
 */
int disp_plug(struct disp *d, const struct disp_model *m, const char *test);

/*
 * Pull the device out: print the emulator's counters, fail on a protocol
 * or USB error, stop the emulator.  The card stays open.
 */
int disp_pull(struct disp *d);

/* Wait until the driver has unbound; 0 or KMS_EXIT_FAIL. */
int disp_wait_unbound(struct disp *d);

/* Close the card, pull the device, wait for the unbind; frees nothing. */
int disp_unplug(struct disp *d);

void disp_free(struct disp *d);

/* Is an interface bound to the model's USB driver? */
bool disp_bound(const struct disp_model *m);

/* A packed w x h image of pattern frame @frame (malloc()ed) or NULL. */
uint32_t *disp_pattern(struct disp *d, unsigned int frame);

/* Copy the packed @img into @map (pitch @pitch) and remember it. */
void disp_draw(struct disp *d, void *map, unsigned int pitch,
	       const uint32_t *img);

/* SETCRTC @fb with the mode; 0 or -errno (printed). */
int disp_modeset(struct disp *d, uint32_t fb);

/* DIRTYFB @fb (all of it if @n is 0); 0 or -errno (printed if @verbose). */
int disp_dirty(struct disp *d, uint32_t fb, const struct drm_mode_rect *r,
	       unsigned int n, bool verbose);

/* The device must now show @img everywhere. */
void disp_expect_all(struct disp *d, const uint32_t *img);

/*
 * The device must now show @img inside the @n rectangles (clipped to the
 * mode) and what it showed before outside them (or, for
 * DISP_DAMAGE_CLIPS_OR_BOX, inside their bounding box).
 */
void disp_expect_rects(struct disp *d, const uint32_t *img,
		       const struct drm_mode_rect *r, unsigned int n);

/*
 * Wait until the device shows the expected picture exactly (in its depth).
 * @fb: the framebuffer on the plane, for the udl flush fallback (0: none).
 * @what names the step in messages and PNG files.  0 or KMS_EXIT_FAIL.
 */
int disp_wait(struct disp *d, uint32_t fb, const char *what);

/*
 * For @ms, every picture the device publishes, and the one it shows at
 * the end, must be the expected one.  0 or KMS_EXIT_FAIL.
 */
int disp_hold(struct disp *d, int ms, const char *what);

/* Protocol errors so far (prints the first); with the device plugged. */
bool disp_proto_failed(struct disp *d);

long disp_now_ms(void);

/* The primary plane and its FB_ID and FB_DAMAGE_CLIPS properties. */
struct disp_plane {
	uint32_t plane_id, prop_fb, prop_damage;
};

/*
 * Find the display's one plane and its properties (and set the atomic
 * client cap); 0 or KMS_EXIT_FAIL (printed).
 */
int disp_find_plane(struct disp *d, struct disp_plane *ap);

/*
 * An atomic commit of @fb on the plane with the damage clip @r (without
 * one if the plane has no FB_DAMAGE_CLIPS: ap->prop_damage 0), blocking
 * or nonblocking, quietly; 0 or -errno.
 */
int disp_flip(struct disp *d, struct disp_plane *ap, uint32_t fb,
	      const struct drm_mode_rect *r, bool nonblock);

/*
 * The blit helper's debugfs file of @d's card (converted drivers only):
 * the bytes of staging memory its plane holds and the bytes the last
 * commit copied into it.  0, or -1 (printed) without the file.
 */
int disp_staging_counts(struct disp *d, unsigned long long *held,
			unsigned long long *last);

#endif /* TESTS_GUEST_DISP_H */
