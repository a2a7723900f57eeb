// SPDX-License-Identifier: GPL-2.0
/*
 * vkms scans out live: a write into the displayed buffer reaches the
 * composed output at the next vblank, without a commit.
 *
 * Twice, with a native vkms dumb buffer and with a vgem dumb buffer
 * imported through PRIME: the buffer with pattern frame 0 is shown
 * (captured by writeback and checked). The CRC of the composed output
 * (debugfs, one entry per vblank) is read, pattern frame 5 is written into
 * the buffer's mmap with no commit at all, and the CRC of the frames
 * composed after the write must differ. Then a writeback-only commit (no
 * plane property in it) captures the output, which must be frame 5
 * exactly, and the CRC after that commit must equal the one the write
 * produced without a commit: the live output was frame 5 exactly too.
 *
 * A writeback capture alone cannot tell live scanout from a copy taken at
 * commit time: vkms's CRTC check adds every plane of the CRTC to each
 * commit, so a commit-time copy (vkms on the damage-blit helper, patch
 * 0012) is refreshed by the capture's own commit. The CRC needs no commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/kms.h"

#define W		640
#define H		480
#define CRC_TIMEOUT_MS	2000
#define WAIT_FRAMES	30	/* CRC entries to wait for the write to show */

/* One round on the framebuffer @fb whose memory is mapped at @map. */
static int round_trip(struct kms_wb *wb, const char *what, uint32_t fb,
		      void *map, unsigned int pitch, uint32_t *expect)
{
	struct kms_crc crc = { .data = -1 };
	uint32_t crc0, crc_live, crc_after, f, v, frame;
	int i, ret = -1;
	long bad;

	printf("%s:\n", what);
	bad = kms_wb_check_frame(wb, fb, map, pitch, 0);
	if (bad) {
		printf("FAIL: %s: the frame 0 shown is wrong\n", what);
		return -1;
	}
	printf("frame 0 shown and captured exactly\n");

	if (kms_crc_open(&crc, "vkms", wb->crtc_index) ||
	    kms_crc_next(&crc, wb, &crc0, &frame))
		goto out;
	wb->crc = &crc;
	printf("CRC of frame 0: 0x%08x (vblank %u)\n", crc0, frame);

	/* the new content, into the displayed buffer, without a commit */
	pattern_fill(map, W, H, pitch, 5);
	__sync_synchronize();
	/* frames composed after the write (see kms_crc_next()) */
	for (i = 0; i < WAIT_FRAMES; i++) {
		if (i ? kms_crc_read(&crc, &f, &v, CRC_TIMEOUT_MS) :
			kms_crc_next(&crc, wb, &v, &f))
			goto out;
		if (v != crc0)
			break;
	}
	if (i == WAIT_FRAMES) {
		printf("FAIL: %s: %d frames composed after frame 5 was written into the displayed buffer still have frame 0's CRC 0x%08x: vkms does not scan out live\n",
		       what, WAIT_FRAMES, crc0);
		goto out;
	}
	crc_live = v;
	printf("without a commit: CRC 0x%08x at vblank %u (%d frames after the write)\n",
	       crc_live, f, i + 1);

	/* what does the output show: capture without touching the plane */
	if (kms_wb_capture(wb))
		goto out;
	pattern_fill(expect, W, H, W * 4, 5);
	bad = image_compare(expect, W * 4, wb->buf.map, wb->buf.pitch, W, H);
	if (bad) {
		printf("FAIL: %s: the writeback-only capture is not frame 5: %ld pixels differ\n",
		       what, bad);
		goto out;
	}
	printf("writeback-only capture: frame 5 exactly\n");
	if (kms_crc_next(&crc, wb, &crc_after, &frame))
		goto out;
	if (crc_after != crc_live) {
		printf("FAIL: %s: the CRC without a commit (0x%08x) is not frame 5's (0x%08x, after the capture's commit)\n",
		       what, crc_live, crc_after);
		goto out;
	}
	printf("ok: the write showed without a commit, CRC 0x%08x = frame 5's\n",
	       crc_live);
	ret = 0;
out:
	if (crc.restarts)
		printf("(%u CRC captures restarted)\n", crc.restarts);
	wb->crc = NULL;
	kms_crc_close(&crc);
	return ret;
}

static double t_start;

int main(void)
{
	struct kms_prime_fb pf = { .dmabuf = -1 };
	struct kms_dumb buf = { .handle = 0 };
	struct kms_wb wb = { .fd = -1 };
	uint32_t fb = 0, *expect = NULL;
	int vkms, vgem = -1, ret, failed = 0;

	t_start = kms_time();
	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		return KMS_EXIT_SKIP;
	ret = kms_wb_init(&wb, vkms, W, H);
	if (ret)
		goto out;
	ret = KMS_EXIT_FAIL;
	expect = malloc((size_t)W * H * 4);
	if (!expect ||
	    kms_dumb_create(vkms, W, H, 32, &buf) || kms_dumb_map(&buf) ||
	    kms_add_fb_xrgb(vkms, W, H, buf.handle, buf.pitch, &fb))
		goto out;
	if (round_trip(&wb, "vkms dumb buffer", fb, buf.map, buf.pitch,
		       expect))
		failed++;

	vgem = kms_open_driver("vgem");
	if (vgem < 0 || kms_prime_fb_create(vgem, vkms, W, H, &pf))
		goto out;
	if (round_trip(&wb, "vgem buffer imported through PRIME", pf.fb,
		       pf.buf.map, pf.buf.pitch, expect))
		failed++;
	if (failed) {
		printf("FAIL: %d of 2 buffers not scanned out live\n", failed);
		goto out;
	}
	ret = KMS_EXIT_PASS;
out:
	if (wb.kicks)
		printf("(%u stalled writeback jobs restarted)\n", wb.kicks);
	free(expect);
	if (fb)
		drmModeRmFB(vkms, fb);
	kms_dumb_destroy(&buf);
	kms_prime_fb_destroy(&pf);
	if (vgem >= 0)
		close(vgem);
	kms_wb_fini(&wb);
	close(vkms);
	printf("%s: %.1f s\n", "vkms_frontbuffer", kms_time() - t_start);
	return ret;
}
