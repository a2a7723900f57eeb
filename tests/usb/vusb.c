// SPDX-License-Identifier: GPL-2.0
/*
 * vusb: a USB device in userspace on /dev/raw-gadget, plus the display
 * state and image helpers shared by the emulated USB displays.  See vusb.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/usb/raw_gadget.h>

#include "vusb.h"

#define RAW_GADGET_PATH		"/dev/raw-gadget"
#define UDC_DRIVER		"dummy_udc"
#define DEFAULT_READ_SIZE	(64 * 1024)
#define STOP_TRIES		200	/* x 50 ms to stop a thread */

/*
 * Event types added to raw_gadget after Linux 6.1, whose uAPI headers the
 * build host may have; the guest kernel (6.12) sends them.
 */
enum {
	VUSB_EVENT_SUSPEND = 3,
	VUSB_EVENT_RESUME = 4,
	VUSB_EVENT_RESET = 5,
	VUSB_EVENT_DISCONNECT = 6,
};

/* String descriptor indexes. */
enum { STR_LANGS, STR_MANUFACTURER, STR_PRODUCT, STR_SERIAL };

struct ep0_event {
	struct usb_raw_event ev;
	struct usb_ctrlrequest req;
};

struct ep0_io {
	struct usb_raw_ep_io io;
	uint8_t data[VUSB_MAX_CTRL_DATA];
};

/* ---------------------------------------------------------------------- */
/* Errors */

/* @lock NULL: the caller holds it. */
static void record_error(pthread_mutex_t *lock, unsigned long *count,
			 char *msg, size_t size, const char *who,
			 const char *fmt, va_list ap)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("%s: error: %s\n", who, buf);
	fflush(stdout);
	if (lock)
		pthread_mutex_lock(lock);
	if (!(*count)++)
		snprintf(msg, size, "%s", buf);
	if (lock)
		pthread_mutex_unlock(lock);
}

void vusb_error(struct vusb_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(&dev->lock, &dev->errors, dev->error, sizeof(dev->error),
		     "vusb", fmt, ap);
	va_end(ap);
}

bool vusb_failed(struct vusb_dev *dev)
{
	bool failed;

	pthread_mutex_lock(&dev->lock);
	failed = dev->errors != 0;
	if (failed)
		printf("vusb: %lu error(s), first: %s\n", dev->errors,
		       dev->error);
	pthread_mutex_unlock(&dev->lock);
	return failed;
}

/* ---------------------------------------------------------------------- */
/* Threads: a blocking raw-gadget ioctl is ended with SIGUSR1 (-EINTR). */

static void wake_handler(int sig)
{
	(void)sig;
}

static void install_wake_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler;	/* no SA_RESTART: ioctls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* The thread must already see its stop flag; returns 0 once joined. */
int vusb_stop_thread(pthread_t thread)
{
	struct timespec ts;
	int i;

	install_wake_handler();

	for (i = 0; i < STOP_TRIES; i++) {
		pthread_kill(thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(thread, NULL, &ts))
			return 0;
	}
	return -ETIMEDOUT;
}

/* ---------------------------------------------------------------------- */
/* Descriptors */

static bool ep_is_in(const struct vusb_ep *ep)
{
	return ep->addr & USB_DIR_IN;
}

static void fill_ep_desc(const struct vusb_ep *ep,
			 struct usb_endpoint_descriptor *d)
{
	memset(d, 0, sizeof(*d));
	d->bLength = USB_DT_ENDPOINT_SIZE;
	d->bDescriptorType = USB_DT_ENDPOINT;
	d->bEndpointAddress = ep->addr;
	d->bmAttributes = ep->type;
	d->wMaxPacketSize = __cpu_to_le16(ep->maxpacket);
	d->bInterval = ep->type == USB_ENDPOINT_XFER_INT ? 4 : 0;
}

static int device_desc(struct vusb_dev *dev, uint8_t *buf)
{
	struct usb_device_descriptor d = {
		.bLength = USB_DT_DEVICE_SIZE,
		.bDescriptorType = USB_DT_DEVICE,
		.bcdUSB = __cpu_to_le16(0x0200),
		.bMaxPacketSize0 = 64,
		.idVendor = __cpu_to_le16(dev->vendor),
		.idProduct = __cpu_to_le16(dev->product),
		.bcdDevice = __cpu_to_le16(dev->bcd_device),
		.iManufacturer = dev->manufacturer ? STR_MANUFACTURER : 0,
		.iProduct = dev->product_name ? STR_PRODUCT : 0,
		.iSerialNumber = dev->serial ? STR_SERIAL : 0,
		.bNumConfigurations = 1,
	};

	memcpy(buf, &d, sizeof(d));
	return sizeof(d);
}

static int qualifier_desc(uint8_t *buf)
{
	struct usb_qualifier_descriptor d = {
		.bLength = sizeof(d),
		.bDescriptorType = USB_DT_DEVICE_QUALIFIER,
		.bcdUSB = __cpu_to_le16(0x0200),
		.bMaxPacketSize0 = 64,
		.bNumConfigurations = 1,
	};

	memcpy(buf, &d, sizeof(d));
	return sizeof(d);
}

static int config_desc(struct vusb_dev *dev, uint8_t *buf)
{
	struct usb_config_descriptor c = {
		.bLength = USB_DT_CONFIG_SIZE,
		.bDescriptorType = USB_DT_CONFIG,
		.bNumInterfaces = 1,
		.bConfigurationValue = 1,
		.bmAttributes = USB_CONFIG_ATT_ONE | USB_CONFIG_ATT_SELFPOWER,
		.bMaxPower = dev->max_power_2ma ? dev->max_power_2ma : 250,
	};
	struct usb_interface_descriptor i = {
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bNumEndpoints = dev->neps,
		.bInterfaceClass = dev->intf_class,
		.bInterfaceSubClass = dev->intf_subclass,
		.bInterfaceProtocol = dev->intf_protocol,
	};
	size_t len = USB_DT_CONFIG_SIZE;
	int n;

	memcpy(buf + len, &i, USB_DT_INTERFACE_SIZE);
	len += USB_DT_INTERFACE_SIZE;
	for (n = 0; n < dev->neps; n++) {
		struct usb_endpoint_descriptor e;

		fill_ep_desc(&dev->eps[n], &e);
		memcpy(buf + len, &e, USB_DT_ENDPOINT_SIZE);
		len += USB_DT_ENDPOINT_SIZE;
	}
	c.wTotalLength = __cpu_to_le16(len);
	memcpy(buf, &c, USB_DT_CONFIG_SIZE);
	return len;
}

static int string_desc(struct vusb_dev *dev, unsigned int index,
		       uint8_t *buf)
{
	const char *s;
	int len, i;

	if (index == STR_LANGS) {
		buf[0] = 4;
		buf[1] = USB_DT_STRING;
		buf[2] = 0x09;	/* 0x0409, US English */
		buf[3] = 0x04;
		return 4;
	}
	s = index == STR_MANUFACTURER ? dev->manufacturer :
	    index == STR_PRODUCT ? dev->product_name :
	    index == STR_SERIAL ? dev->serial : NULL;
	if (!s)
		return -1;
	len = strlen(s);
	if (len > 126)
		len = 126;
	buf[0] = 2 + 2 * len;
	buf[1] = USB_DT_STRING;
	for (i = 0; i < len; i++) {	/* ASCII to UTF-16LE */
		buf[2 + 2 * i] = s[i];
		buf[3 + 2 * i] = 0;
	}
	return buf[0];
}

/* ---------------------------------------------------------------------- */
/* Endpoints */

/* Is there a UDC endpoint raw_gadget can use for @ep? */
static bool ep_available(const struct usb_raw_eps_info *info, int n,
			 const struct vusb_ep *ep)
{
	unsigned int num = ep->addr & USB_ENDPOINT_NUMBER_MASK;
	int i;

	for (i = 0; i < n; i++) {
		const struct usb_raw_ep_info *e = &info->eps[i];

		if (e->addr != USB_RAW_EP_ADDR_ANY && e->addr != num)
			continue;
		if (ep_is_in(ep) ? !e->caps.dir_in : !e->caps.dir_out)
			continue;
		if (ep->type == USB_ENDPOINT_XFER_BULK && !e->caps.type_bulk)
			continue;
		if (ep->type == USB_ENDPOINT_XFER_INT && !e->caps.type_int)
			continue;
		if (e->limits.maxpacket_limit < ep->maxpacket)
			continue;
		return true;
	}
	return false;
}

static void check_eps(struct vusb_dev *dev)
{
	struct usb_raw_eps_info info;
	int n, i;

	memset(&info, 0, sizeof(info));
	n = ioctl(dev->fd, USB_RAW_IOCTL_EPS_INFO, &info);
	if (n < 0) {
		vusb_error(dev, "EPS_INFO: %s", strerror(errno));
		return;
	}
	for (i = 0; i < dev->neps; i++)
		if (!ep_available(&info, n, &dev->eps[i]))
			vusb_error(dev, "no UDC endpoint for address 0x%02x",
				   dev->eps[i].addr);
}

static void *ep_reader(void *arg)
{
	struct vusb_ep *ep = arg;
	struct vusb_dev *dev = ep->owner;
	struct usb_raw_ep_io *io;
	int idx = ep - dev->eps;

	io = malloc(sizeof(*io) + ep->read_size);
	if (!io) {
		vusb_error(dev, "ep 0x%02x: out of memory", ep->addr);
		return NULL;
	}
	while (!ep->stop && !dev->stopping) {
		int ret;

		io->ep = ep->handle;
		io->flags = 0;
		io->length = ep->read_size;
		ret = ioctl(dev->fd, USB_RAW_IOCTL_EP_READ, io);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			/* disconnect or reset: the ep0 thread takes over */
			if (!ep->stop && !dev->stopping)
				printf("vusb: ep 0x%02x read ended: %s\n",
				       ep->addr, strerror(errno));
			break;
		}
		__atomic_add_fetch(&ep->out_bytes, ret, __ATOMIC_RELAXED);
		if (ep->out)
			ep->out(dev, idx, io->data, ret,
				(uint32_t)ret < ep->read_size);
	}
	free(io);
	return NULL;
}

uint64_t vusb_out_bytes(struct vusb_dev *dev)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < dev->neps; i++)
		if (!(dev->eps[i].addr & USB_DIR_IN))
			n += __atomic_load_n(&dev->eps[i].out_bytes,
					     __ATOMIC_RELAXED);
	return n;
}

static void disable_eps(struct vusb_dev *dev)
{
	int i;

	for (i = 0; i < dev->neps; i++) {
		struct vusb_ep *ep = &dev->eps[i];

		if (ep->thread_running) {
			ep->stop = true;
			if (vusb_stop_thread(ep->thread))
				vusb_error(dev, "ep 0x%02x thread does not stop",
					   ep->addr);
			ep->thread_running = false;
		}
		if (ep->handle >= 0 && !dev->stopping &&
		    ioctl(dev->fd, USB_RAW_IOCTL_EP_DISABLE, ep->handle) < 0)
			printf("vusb: EP_DISABLE 0x%02x: %s\n", ep->addr,
			       strerror(errno));
		ep->handle = -1;
	}
	dev->configured_now = false;
}

static int enable_eps(struct vusb_dev *dev)
{
	int i;

	for (i = 0; i < dev->neps; i++) {
		struct vusb_ep *ep = &dev->eps[i];
		struct usb_endpoint_descriptor d;
		int h;

		fill_ep_desc(ep, &d);
		h = ioctl(dev->fd, USB_RAW_IOCTL_EP_ENABLE, &d);
		if (h < 0) {
			vusb_error(dev, "EP_ENABLE 0x%02x: %s", ep->addr,
				   strerror(errno));
			return -1;
		}
		ep->handle = h;
		if (ep_is_in(ep))
			continue;
		ep->stop = false;
		if (pthread_create(&ep->thread, NULL, ep_reader, ep)) {
			vusb_error(dev, "cannot start ep 0x%02x thread",
				   ep->addr);
			return -1;
		}
		ep->thread_running = true;
	}
	dev->configured_now = true;
	return 0;
}

int vusb_ep_write(struct vusb_dev *dev, int ep_index, const void *data,
		  size_t len)
{
	struct vusb_ep *ep = &dev->eps[ep_index];
	struct usb_raw_ep_io *io;
	int ret;

	if (ep->handle < 0 || !ep_is_in(ep))
		return -EINVAL;
	io = malloc(sizeof(*io) + len);
	if (!io)
		return -ENOMEM;
	io->ep = ep->handle;
	io->flags = 0;
	io->length = len;
	memcpy(io->data, data, len);
	ret = ioctl(dev->fd, USB_RAW_IOCTL_EP_WRITE, io);
	if (ret < 0)
		ret = -errno;
	free(io);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* ep0 */

static int ep0_stall(struct vusb_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	dev->stalls++;
	pthread_mutex_unlock(&dev->lock);
	if (ioctl(dev->fd, USB_RAW_IOCTL_EP0_STALL, 0) < 0 && !dev->stopping)
		printf("vusb: EP0_STALL: %s\n", strerror(errno));
	return 0;
}

/*
 * Answer a standard request.  Returns the IN length (>= 0), -1 to stall,
 * or -2 if it is not one we handle.  OUT requests return 0 when accepted.
 */
static int standard_request(struct vusb_dev *dev,
			    const struct usb_ctrlrequest *req, uint8_t *buf)
{
	unsigned int value = __le16_to_cpu(req->wValue);

	switch (req->bRequest) {
	case USB_REQ_GET_DESCRIPTOR:
		switch (value >> 8) {
		case USB_DT_DEVICE:
			return device_desc(dev, buf);
		case USB_DT_CONFIG:
			return (value & 0xff) ? -1 : config_desc(dev, buf);
		case USB_DT_STRING:
			return string_desc(dev, value & 0xff, buf);
		case USB_DT_DEVICE_QUALIFIER:
			return qualifier_desc(buf);
		}
		return -2;
	case USB_REQ_SET_CONFIGURATION:
		disable_eps(dev);
		if (value == 0)
			return 0;
		if (value != 1)
			return -1;
		if (ioctl(dev->fd, USB_RAW_IOCTL_VBUS_DRAW,
			  dev->max_power_2ma ? dev->max_power_2ma : 250) < 0)
			printf("vusb: VBUS_DRAW: %s\n", strerror(errno));
		if (ioctl(dev->fd, USB_RAW_IOCTL_CONFIGURE, 0) < 0) {
			vusb_error(dev, "CONFIGURE: %s", strerror(errno));
			return -1;
		}
		if (enable_eps(dev))
			return -1;
		pthread_mutex_lock(&dev->lock);
		dev->configs++;
		pthread_mutex_unlock(&dev->lock);
		return 0;
	case USB_REQ_SET_INTERFACE:
		return value == 0 && req->wIndex == 0 ? 0 : -1;
	case USB_REQ_GET_CONFIGURATION:
		buf[0] = dev->configured_now ? 1 : 0;
		return 1;
	case USB_REQ_GET_INTERFACE:
		buf[0] = 0;
		return 1;
	case USB_REQ_GET_STATUS:
		buf[0] = 1;	/* self-powered */
		buf[1] = 0;
		return 2;
	}
	return -2;
}

static void handle_control(struct vusb_dev *dev, struct ep0_io *e,
			   const struct usb_ctrlrequest *req)
{
	unsigned int len = __le16_to_cpu(req->wLength);
	bool in = req->bRequestType & USB_DIR_IN;
	int ret = -2;

	pthread_mutex_lock(&dev->lock);
	dev->ctrl_requests++;
	pthread_mutex_unlock(&dev->lock);
	if (len > VUSB_MAX_CTRL_DATA) {
		vusb_error(dev, "control request 0x%02x/0x%02x: wLength %u too big",
			   req->bRequestType, req->bRequest, len);
		ep0_stall(dev);
		return;
	}
	memset(e->data, 0, len);

	if (!in && len) {
		/* Fetch the data stage first; this also acks the request. */
		e->io.ep = 0;
		e->io.flags = 0;
		e->io.length = len;
		ret = ioctl(dev->fd, USB_RAW_IOCTL_EP0_READ, &e->io);
		if (ret < 0) {
			if (!dev->stopping)
				printf("vusb: EP0_READ: %s\n", strerror(errno));
			return;
		}
		ret = -2;
		if ((req->bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD)
			ret = standard_request(dev, req, e->data);
		if (ret == -2)
			ret = dev->control ? dev->control(dev, req, e->data)
					   : -1;
		if (ret < 0)	/* too late to stall: the data was acked */
			vusb_error(dev, "rejected OUT control request 0x%02x/0x%02x",
				   req->bRequestType, req->bRequest);
		return;
	}

	if ((req->bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD)
		ret = standard_request(dev, req, e->data);
	if (ret == -2)
		ret = dev->control ? dev->control(dev, req, e->data) : -1;
	if (ret < 0) {
		ep0_stall(dev);
		return;
	}

	e->io.ep = 0;
	e->io.flags = 0;
	if (in) {
		e->io.length = (unsigned int)ret < len ? (unsigned int)ret : len;
		/*
		 * A shorter answer than asked for that is a whole number of
		 * packets must end with a zero-length packet, or the host
		 * waits for more until its control timeout (USB 2.0, 5.5.3).
		 * The flag asks for one; the UDC sends it only when the data
		 * ends on a packet boundary.
		 */
		if (e->io.length < len)
			e->io.flags = USB_RAW_IO_FLAGS_ZERO;
		ret = ioctl(dev->fd, USB_RAW_IOCTL_EP0_WRITE, &e->io);
	} else {
		e->io.length = 0;	/* status stage of a no-data request */
		ret = ioctl(dev->fd, USB_RAW_IOCTL_EP0_READ, &e->io);
	}
	if (ret < 0 && !dev->stopping)
		printf("vusb: ep0 %s for 0x%02x/0x%02x: %s\n",
		       in ? "write" : "ack", req->bRequestType, req->bRequest,
		       strerror(errno));
	if (!in && req->bRequest == USB_REQ_SET_CONFIGURATION &&
	    (req->bRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD &&
	    dev->configured_now && dev->configured)
		dev->configured(dev);
}

static void *ep0_loop(void *arg)
{
	struct vusb_dev *dev = arg;
	struct ep0_event ev;
	struct ep0_io *e;

	e = malloc(sizeof(*e));
	if (!e) {
		vusb_error(dev, "out of memory");
		return NULL;
	}
	while (!dev->stopping) {
		memset(&ev, 0, sizeof(ev));
		ev.ev.type = 0;
		ev.ev.length = sizeof(ev.req);
		if (ioctl(dev->fd, USB_RAW_IOCTL_EVENT_FETCH, &ev) < 0) {
			if (errno == EINTR)
				continue;
			if (!dev->stopping)
				vusb_error(dev, "EVENT_FETCH: %s",
					   strerror(errno));
			break;
		}
		switch (ev.ev.type) {
		case USB_RAW_EVENT_CONNECT:
			check_eps(dev);
			break;
		case USB_RAW_EVENT_CONTROL:
			handle_control(dev, e, &ev.req);
			break;
		case VUSB_EVENT_RESET:
		case VUSB_EVENT_DISCONNECT:
			pthread_mutex_lock(&dev->lock);
			if (ev.ev.type == VUSB_EVENT_RESET)
				dev->resets++;
			else
				dev->disconnects++;
			pthread_mutex_unlock(&dev->lock);
			disable_eps(dev);
			break;
		default:	/* suspend, resume */
			break;
		}
	}
	free(e);
	return NULL;
}

int vusb_start(struct vusb_dev *dev, const char *udc)
{
	struct usb_raw_init init;
	int i;

	install_wake_handler();
	pthread_mutex_init(&dev->lock, NULL);
	dev->stopping = false;
	dev->configured_now = false;
	dev->ep0_running = false;
	dev->errors = 0;
	dev->error[0] = '\0';
	for (i = 0; i < dev->neps; i++) {
		struct vusb_ep *ep = &dev->eps[i];

		ep->owner = dev;
		ep->handle = -1;
		ep->thread_running = false;
		if (!ep->read_size)
			ep->read_size = DEFAULT_READ_SIZE;
	}
	if (dev->neps > VUSB_MAX_EPS) {
		printf("vusb: too many endpoints\n");
		return -EINVAL;
	}

	dev->fd = open(RAW_GADGET_PATH, O_RDWR);
	if (dev->fd < 0) {
		printf("vusb: open %s: %s\n", RAW_GADGET_PATH, strerror(errno));
		return -errno;
	}
	memset(&init, 0, sizeof(init));
	snprintf((char *)init.driver_name, sizeof(init.driver_name), "%s",
		 UDC_DRIVER);
	snprintf((char *)init.device_name, sizeof(init.device_name), "%s",
		 udc);
	init.speed = USB_SPEED_HIGH;
	if (ioctl(dev->fd, USB_RAW_IOCTL_INIT, &init) < 0 ||
	    ioctl(dev->fd, USB_RAW_IOCTL_RUN, 0) < 0) {
		int err = -errno;

		printf("vusb: raw-gadget INIT/RUN on %s: %s\n", udc,
		       strerror(errno));
		close(dev->fd);
		dev->fd = -1;
		return err;
	}
	if (pthread_create(&dev->ep0_thread, NULL, ep0_loop, dev)) {
		printf("vusb: cannot start the ep0 thread\n");
		close(dev->fd);
		dev->fd = -1;
		return -EAGAIN;
	}
	dev->ep0_running = true;
	return 0;
}

void vusb_stop(struct vusb_dev *dev)
{
	if (dev->fd < 0)
		return;
	dev->stopping = true;
	disable_eps(dev);
	if (dev->ep0_running && vusb_stop_thread(dev->ep0_thread))
		vusb_error(dev, "ep0 thread does not stop");
	dev->ep0_running = false;
	if (dev->quiesce)
		dev->quiesce(dev);
	close(dev->fd);		/* unbinds the gadget: the host sees unplug */
	dev->fd = -1;
}

/* ---------------------------------------------------------------------- */
/* Display state */

int vdisp_init(struct vdisp *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	return 0;
}

void vdisp_fini(struct vdisp *d)
{
	vdisp_check_free(d->check);
	d->check = NULL;
	free(d->px);
	d->px = NULL;
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
}

int vdisp_resize_locked(struct vdisp *d, unsigned int w, unsigned int h)
{
	uint32_t *px;

	if (w == d->width && h == d->height && d->px)
		return 0;
	px = calloc((size_t)w * h + 1, sizeof(*px));
	if (!px)
		return -ENOMEM;
	free(d->px);
	d->px = px;
	d->width = w;
	d->height = h;
	return 0;
}

/* The frame check of a published frame, with d->lock held. */
static void check_frame_locked(struct vdisp *d)
{
	struct vdisp_check *c = d->check;
	uint64_t hash = vdisp_hash(d->px, d->width, d->height, d->width * 4);
	size_t i = c->nwant;

	c->frames++;
	while (i-- > 0)		/* newest first: the likely one */
		if (c->want[i] == hash) {
			c->matched++;
			c->last = i;
			return;
		}
	c->torn++;
	c->last = -1;
	if (c->torn_px)
		return;
	c->torn_px = malloc((size_t)d->width * d->height * 4);
	if (!c->torn_px)
		return;
	memcpy(c->torn_px, d->px, (size_t)d->width * d->height * 4);
	c->torn_w = d->width;
	c->torn_h = d->height;
	c->first_torn = d->frames;
}

void vdisp_publish_locked(struct vdisp *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	d->published_us = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	d->frames++;
	if (d->check)
		check_frame_locked(d);
	pthread_cond_broadcast(&d->cond);
}

uint64_t vdisp_hash(const uint32_t *px, unsigned int w, unsigned int h,
		    unsigned int pitch_bytes)
{
	const uint64_t prime = 0x100000001b3ULL;
	uint64_t hash = 0xcbf29ce484222325ULL;
	unsigned int x, y;

	hash = (hash ^ w) * prime;
	hash = (hash ^ h) * prime;
	for (y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)
				      ((const char *)px +
				       (size_t)y * pitch_bytes);

		for (x = 0; x < w; x++)
			hash = (hash ^ (row[x] & 0x00ffffff)) * prime;
	}
	return hash;
}

int vdisp_check_start(struct vdisp *d)
{
	struct vdisp_check *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->last = -1;
	pthread_mutex_lock(&d->lock);
	vdisp_check_free(d->check);
	d->check = c;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

long vdisp_check_expect(struct vdisp *d, const uint32_t *img, unsigned int w,
			unsigned int h, unsigned int pitch_bytes)
{
	uint64_t hash = vdisp_hash(img, w, h, pitch_bytes);
	struct vdisp_check *c;
	long ret = -EINVAL;

	pthread_mutex_lock(&d->lock);
	c = d->check;
	if (c && c->nwant == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		uint64_t *want = realloc(c->want, cap * sizeof(*want));

		ret = -ENOMEM;
		if (want) {
			c->want = want;
			c->cap = cap;
		}
	}
	if (c && c->nwant < c->cap) {
		c->want[c->nwant] = hash;
		ret = c->nwant++;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

bool vdisp_check_peek(struct vdisp *d, struct vdisp_check *out)
{
	bool on;

	pthread_mutex_lock(&d->lock);
	on = d->check;
	if (on) {
		*out = *d->check;
		out->want = NULL;
		out->torn_px = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	return on;
}

struct vdisp_check *vdisp_check_stop(struct vdisp *d)
{
	struct vdisp_check *c;

	pthread_mutex_lock(&d->lock);
	c = d->check;
	d->check = NULL;
	pthread_mutex_unlock(&d->lock);
	return c;
}

void vdisp_check_free(struct vdisp_check *c)
{
	if (!c)
		return;
	free(c->want);
	free(c->torn_px);
	free(c);
}

void vdisp_error(struct vdisp *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(&d->lock, &d->errors, d->error, sizeof(d->error),
		     "vdisp", fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void vdisp_error_locked(struct vdisp *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_error(NULL, &d->errors, d->error, sizeof(d->error), "vdisp",
		     fmt, ap);
	va_end(ap);
	pthread_cond_broadcast(&d->cond);
}

long vdisp_wait(struct vdisp *d, unsigned long after, int timeout_ms)
{
	struct timespec ts;
	long ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&d->lock);
	while (!d->errors && d->frames <= after)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) ==
		    ETIMEDOUT)
			break;
	if (d->errors) {
		printf("vdisp: protocol error: %s\n", d->error);
		ret = -EPROTO;
	} else if (d->frames <= after) {
		ret = -ETIMEDOUT;
	} else {
		ret = d->frames;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

unsigned long vdisp_frames(struct vdisp *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->lock);
	n = d->frames;
	pthread_mutex_unlock(&d->lock);
	return n;
}

uint32_t *vdisp_snapshot(struct vdisp *d, unsigned int *w, unsigned int *h)
{
	uint32_t *copy = NULL;

	pthread_mutex_lock(&d->lock);
	*w = d->width;
	*h = d->height;
	if (d->px && d->width && d->height) {
		size_t size = (size_t)d->width * d->height * sizeof(*copy);

		copy = malloc(size);
		if (copy)
			memcpy(copy, d->px, size);
	}
	pthread_mutex_unlock(&d->lock);
	return copy;
}

/* ---------------------------------------------------------------------- */
/* Images */

void image_reduce_565(uint32_t *px, unsigned int w, unsigned int h,
		      unsigned int pitch_bytes)
{
	unsigned int x, y;

	for (y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)((char *)px + (size_t)y *
					     pitch_bytes);

		for (x = 0; x < w; x++)
			row[x] = rgb565_to_xrgb(xrgb_to_rgb565(row[x]));
	}
}

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	int n, k;

	if (crc_table[1])
		return;
	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)	/* reflected CRC-32, poly 0x04c11db7 */
			c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* One chunk: length, type, data, CRC over type and data. */
static int png_chunk(FILE *f, const char *type, const uint8_t *data,
		     size_t len)
{
	uint8_t hdr[8], crc[4];
	uint32_t c;

	put_be32(hdr, len);
	memcpy(hdr + 4, type, 4);
	c = crc_update(0xffffffff, hdr + 4, 4);
	c = crc_update(c, data, len) ^ 0xffffffff;
	put_be32(crc, c);
	if (fwrite(hdr, 1, 8, f) != 8 || fwrite(data, 1, len, f) != len ||
	    fwrite(crc, 1, 4, f) != 4)
		return -1;
	return 0;
}

int png_write(const char *path, const uint32_t *px, unsigned int w,
	      unsigned int h, unsigned int pitch_bytes)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
					0x1a, '\n' };
	size_t raw_len = (size_t)h * (1 + 3 * (size_t)w);
	size_t nblocks = raw_len / 65535 + 1;
	size_t z_len = 2 + raw_len + 5 * nblocks + 4;
	uint8_t ihdr[13], *raw, *z, *q;
	uint32_t a = 1, b = 0;
	size_t i, left, off;
	unsigned int x, y;
	FILE *f;
	int ret = -1;

	crc_init();
	raw = malloc(raw_len);
	z = malloc(z_len);
	if (!raw || !z)
		goto out_free;
	/* Scanlines: filter type 0, then R, G, B. */
	q = raw;
	for (y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)((const char *)px +
					(size_t)y * pitch_bytes);

		*q++ = 0;
		for (x = 0; x < w; x++) {
			*q++ = row[x] >> 16;
			*q++ = row[x] >> 8;
			*q++ = row[x];
		}
	}
	/* zlib: CMF/FLG (deflate, 32K window, check bits), stored blocks. */
	q = z;
	*q++ = 0x78;
	*q++ = 0x01;
	for (off = 0, left = raw_len; ; ) {
		size_t n = left < 65535 ? left : 65535;

		*q++ = n == left ? 1 : 0;	/* BFINAL, BTYPE = 00 */
		*q++ = n & 0xff;
		*q++ = n >> 8;
		*q++ = ~n & 0xff;
		*q++ = (~n >> 8) & 0xff;
		memcpy(q, raw + off, n);
		q += n;
		off += n;
		left -= n;
		if (!left)
			break;
	}
	for (i = 0; i < raw_len; i++) {	/* Adler-32 of the raw data */
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	put_be32(q, b << 16 | a);
	q += 4;

	put_be32(ihdr, w);
	put_be32(ihdr + 4, h);
	ihdr[8] = 8;	/* bit depth */
	ihdr[9] = 2;	/* colour type: RGB */
	ihdr[10] = 0;	/* deflate */
	ihdr[11] = 0;	/* adaptive filtering */
	ihdr[12] = 0;	/* no interlace */

	f = fopen(path, "wb");
	if (!f) {
		printf("png: cannot create %s: %s\n", path, strerror(errno));
		goto out_free;
	}
	if (fwrite(sig, 1, 8, f) == 8 && !png_chunk(f, "IHDR", ihdr, 13) &&
	    !png_chunk(f, "IDAT", z, q - z) && !png_chunk(f, "IEND", NULL, 0))
		ret = 0;
	if (fclose(f))
		ret = -1;
	if (ret)
		printf("png: error writing %s\n", path);
out_free:
	free(raw);
	free(z);
	return ret;
}
