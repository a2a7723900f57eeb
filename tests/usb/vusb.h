/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vusb: emulate a USB device in userspace on /dev/raw-gadget.
 *
 * In the guest, dummy_hcd provides a virtual host controller and a virtual
 * device controller ("dummy_udc", instance "dummy_udc.N") wired to each
 * other; raw_gadget lets a program be the device on that controller.  This
 * library does the USB part, so that an emulated display only describes
 * itself and handles its own requests and data:
 *
 *   struct vusb_dev dev = {
 *           .vendor = 0x17e9, .product = 0x1234,
 *           .manufacturer = "...", .product_name = "...",
 *           .intf_class = 0xff,
 *           .eps = my_eps, .neps = 1,       // addresses the host will see
 *           .control = my_control,          // vendor/class/other requests
 *           .priv = my_state,
 *   };
 *   vusb_start(&dev, "dummy_udc.0");      // plug in
 *   ...                                   // host probes, sends data
 *   vusb_stop(&dev);                      // unplug: host sees a disconnect
 *
 * Threads: vusb_start() spawns one thread running the ep0 event loop
 * (CONNECT, CONTROL, RESET, DISCONNECT).  It answers the standard requests
 * itself: GET_DESCRIPTOR for the device, configuration (one configuration
 * with one interface, alternate setting 0, holding every endpoint in @eps),
 * device qualifier and string descriptors; SET_CONFIGURATION (VBUS_DRAW,
 * CONFIGURE, then EP_ENABLE of every endpoint); SET_INTERFACE(0, 0);
 * GET_STATUS, GET_CONFIGURATION, GET_INTERFACE.  Everything else, including
 * GET_DESCRIPTOR of other types (e.g. DisplayLink's vendor descriptor
 * 0x5f), goes to @control.  Once configured, every OUT endpoint gets a
 * reader thread that loops on EP_READ of @read_size bytes and hands each
 * completed transfer to the endpoint's @out callback.  Callbacks run in
 * these threads, so the device must lock its own state.
 *
 * Endpoints: the device declares fixed endpoint addresses (e.g. 0x01 bulk
 * OUT, or 1-4 for gm12u320).  At CONNECT the library checks with
 * USB_RAW_IOCTL_EPS_INFO that the controller has, for each, an endpoint of
 * the right type and direction that is either fixed to that number
 * ("ep1out-bulk") or takes any number ("ep-aout"); raw_gadget then picks it
 * when the endpoint is enabled.  A declared endpoint that cannot be served
 * is reported and fails vusb_start() / shows up in @error.
 *
 * Transfers: an OUT transfer ends with a short packet or when @read_size
 * bytes have arrived.  A host URB whose length is a multiple of the packet
 * size (512 at high speed) does not end a read by itself, so consecutive
 * URBs may arrive merged in one callback, and one URB may be split over
 * several callbacks; @short_xfer tells the device that the transfer ended
 * before the buffer was full, i.e. the host has stopped sending for now.
 *
 * Errors: anything unexpected (an ioctl failing while running, an endpoint
 * that cannot be served) is counted in @errors and the first message kept
 * in @error; a test must check vusb_failed() at the end.
 */
#ifndef TESTS_USB_VUSB_H
#define TESTS_USB_VUSB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/usb/ch9.h>

#define VUSB_MAX_EPS		8
#define VUSB_MAX_CTRL_DATA	4096	/* largest ep0 data stage handled */

struct vusb_dev;

struct vusb_ep {
	/* Declared by the device. */
	uint8_t addr;		/* USB_DIR_IN/OUT | number (1..15) */
	uint8_t type;		/* USB_ENDPOINT_XFER_BULK or _INT */
	uint16_t maxpacket;	/* 512 for high-speed bulk */
	uint32_t read_size;	/* OUT: bytes per EP_READ (default 64 KiB) */
	/* OUT: one completed transfer; @short_xfer: ended by a short packet */
	void (*out)(struct vusb_dev *dev, int ep_index, const uint8_t *data,
		    size_t len, bool short_xfer);

	/* Library state. */
	struct vusb_dev *owner;
	int handle;		/* raw_gadget endpoint handle, -1 if disabled */
	pthread_t thread;
	bool thread_running;
	volatile bool stop;
	uint64_t out_bytes;	/* OUT: bytes received, across restarts */
};

struct vusb_dev {
	/* Declared by the device. */
	uint16_t vendor, product, bcd_device;
	const char *manufacturer, *product_name, *serial;	/* may be NULL */
	uint8_t intf_class, intf_subclass, intf_protocol;
	uint8_t max_power_2ma;	/* bMaxPower, default 250 (500 mA) */
	struct vusb_ep *eps;
	int neps;
	/*
	 * Requests the library does not answer itself.  For an IN request,
	 * fill @buf (room for req->wLength bytes, at most VUSB_MAX_CTRL_DATA)
	 * and return the length; for an OUT request, @buf holds the
	 * req->wLength bytes of the data stage; return 0 to accept.  Return
	 * a negative value to stall.  NULL: stall everything.
	 */
	int (*control)(struct vusb_dev *dev,
		       const struct usb_ctrlrequest *req, uint8_t *buf);
	/* Called (ep0 thread) after SET_CONFIGURATION enabled the endpoints. */
	void (*configured)(struct vusb_dev *dev);
	/*
	 * Called by vusb_stop() once the endpoint readers have stopped and
	 * before the gadget goes: stop the device's own threads that write
	 * to endpoints (a write the host never reads blocks until
	 * vusb_stop_thread() interrupts it).  May be NULL.
	 */
	void (*quiesce)(struct vusb_dev *dev);
	void *priv;

	/* Library state (read-only for the device). */
	int fd;
	pthread_t ep0_thread;
	bool ep0_running;
	volatile bool stopping;
	volatile bool configured_now;
	pthread_mutex_t lock;	/* protects the counters and @error */
	unsigned long ctrl_requests, stalls, resets, disconnects, configs;
	unsigned long errors;
	char error[256];
};

/*
 * Bind @dev to the UDC instance @udc (e.g. "dummy_udc.0") and start the ep0
 * thread; the host sees the device plugged in.  Returns 0 or -errno (and
 * prints why).
 */
int vusb_start(struct vusb_dev *dev, const char *udc);

/*
 * Unplug: stop every thread, disable the endpoints and close the
 * raw-gadget fd, so the host sees a disconnect.  The same @dev can then be
 * started again (plugged in as a new device).
 */
void vusb_stop(struct vusb_dev *dev);

/*
 * Join a thread of the device, interrupting its blocking raw-gadget call
 * with SIGUSR1 until it returns; 0 or -ETIMEDOUT.
 */
int vusb_stop_thread(pthread_t thread);

/* Bytes received on all OUT endpoints since the device was set up. */
uint64_t vusb_out_bytes(struct vusb_dev *dev);

/* Send @len bytes on IN endpoint @ep_index; blocks until the host reads. */
int vusb_ep_write(struct vusb_dev *dev, int ep_index, const void *data,
		  size_t len);

/* Record a device or library error (printf-style); first message kept. */
void vusb_error(struct vusb_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True if any error was recorded; prints the first one. */
bool vusb_failed(struct vusb_dev *dev);

/* ------------------------------------------------------------------------ */
/*
 * vdisp: what an emulated display shows.  The device model decodes its
 * protocol into its own memory and, whenever it considers a frame complete
 * (udl: the host stopped sending; gm12u320: the last block of a frame; gud:
 * a flush), publishes it with vdisp_publish().  A test waits for a new frame
 * with vdisp_wait(), takes a copy with vdisp_snapshot() and compares it.
 * A protocol error recorded with vdisp_error() makes vdisp_wait() return
 * -EPROTO at once, so a malformed stream fails the test instead of being
 * ignored.
 */
struct vdisp_check;

struct vdisp {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int width, height;	/* of the published image; 0: none */
	uint32_t *px;			/* XRGB8888, pitch width * 4 */
	unsigned long frames;		/* frames published so far */
	long long published_us;		/* when the last was (CLOCK_MONOTONIC) */
	unsigned long errors;		/* protocol errors */
	char error[256];		/* the first one */
	struct vdisp_check *check;	/* the frame check, NULL: off */
};

int vdisp_init(struct vdisp *d);
void vdisp_fini(struct vdisp *d);

/*
 * Publish a frame: with d->lock held, the caller has resized with
 * vdisp_resize_locked() and written d->px; this counts the frame, checks
 * it if the frame check is on, and wakes waiters.
 */
int vdisp_resize_locked(struct vdisp *d, unsigned int w, unsigned int h);
void vdisp_publish_locked(struct vdisp *d);

void vdisp_error(struct vdisp *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, with d->lock held (e.g. from a decoder). */
void vdisp_error_locked(struct vdisp *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Wait until more than @after frames were published.  Returns the frame
 * count (> @after), -ETIMEDOUT after @timeout_ms, or -EPROTO if a protocol
 * error was recorded (the message is printed).
 */
long vdisp_wait(struct vdisp *d, unsigned long after, int timeout_ms);

/* Frames published so far. */
unsigned long vdisp_frames(struct vdisp *d);

/*
 * Copy the published image into a new malloc()ed buffer (pitch w * 4);
 * *w and *h get its size.  Returns NULL if nothing was published.
 */
uint32_t *vdisp_snapshot(struct vdisp *d, unsigned int *w, unsigned int *h);

/*
 * Frame check: is every frame the device published one of the images the
 * test committed?  The test starts the check, declares each image with
 * vdisp_check_expect() before it commits it, and stops the check at the
 * end.  Meanwhile every published frame is hashed (vdisp_hash()) and
 * looked up among the declared images; a frame that is none of them, e.g.
 * a torn frame made of parts of two commits, is counted as torn and the
 * first one is kept.  This means something for a device that publishes
 * once per complete frame it received (gm12u320: at the draw command
 * after all 20 blocks of a frame), not for one that publishes whenever
 * the host pauses (udl).
 */
struct vdisp_check {
	uint64_t *want;			/* hashes of the declared images */
	size_t nwant, cap;
	unsigned long frames;		/* published while checking */
	unsigned long matched, torn;	/* of them: declared images, others */
	long last;			/* image of the last frame, -1: torn */
	unsigned long first_torn;	/* vdisp.frames of the first torn */
	unsigned int torn_w, torn_h;
	uint32_t *torn_px;		/* a copy of it, NULL: none */
};

/*
 * 64-bit FNV-1a of the 24 colour bits of every pixel of a w x h image,
 * with the size; the same on the device and test side.
 */
uint64_t vdisp_hash(const uint32_t *px, unsigned int w, unsigned int h,
		    unsigned int pitch_bytes);

/* Start checking (no image declared yet); 0 or -ENOMEM. */
int vdisp_check_start(struct vdisp *d);

/*
 * Declare the next image the test commits (w x h XRGB8888); returns its
 * index (0, 1, ...) or -ENOMEM / -EINVAL (not checking).
 */
long vdisp_check_expect(struct vdisp *d, const uint32_t *img, unsigned int w,
			unsigned int h, unsigned int pitch_bytes);

/* A snapshot of the counters (torn_px not copied: NULL); false if off. */
bool vdisp_check_peek(struct vdisp *d, struct vdisp_check *out);

/* Stop checking; the result is the caller's (vdisp_check_free()). */
struct vdisp_check *vdisp_check_stop(struct vdisp *d);
void vdisp_check_free(struct vdisp_check *c);

/* ------------------------------------------------------------------------ */
/* Images. */

/*
 * Reduce an XRGB8888 pixel to RGB565 the way the drivers do (drop the low
 * bits) and expand it back (replicate the high bits into the low ones).
 * Comparing rgb565_expand(reduce(expected)) with a display that stores
 * RGB565 and shows it through rgb565_expand() is exact in RGB565 space.
 */
static inline uint16_t xrgb_to_rgb565(uint32_t p)
{
	return ((p >> 8) & 0xf800) | ((p >> 5) & 0x07e0) | ((p >> 3) & 0x001f);
}

static inline uint32_t rgb565_to_xrgb(uint16_t v)
{
	uint32_t r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;

	r = (r << 3) | (r >> 2);
	g = (g << 2) | (g >> 4);
	b = (b << 3) | (b >> 2);
	return r << 16 | g << 8 | b;
}

/* In place: every pixel of a w x h image becomes rgb565_to_xrgb(reduce). */
void image_reduce_565(uint32_t *px, unsigned int w, unsigned int h,
		      unsigned int pitch_bytes);

/*
 * Write an XRGB8888 image as an 8-bit RGB PNG (zlib stream of stored
 * deflate blocks; no compression library needed).  Returns 0 or -1.
 */
int png_write(const char *path, const uint32_t *px, unsigned int w,
	      unsigned int h, unsigned int pitch_bytes);

#endif /* TESTS_USB_VUSB_H */
