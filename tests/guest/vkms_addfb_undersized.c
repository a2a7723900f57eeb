// SPDX-License-Identifier: GPL-2.0
/*
 * Check that vkms refuses a framebuffer larger than the PRIME buffer behind
 * it.  A 64x64x32bpp vgem dumb buffer (16 KiB) is exported and imported into
 * vkms; ADDFB2 claiming 1024x768 XRGB8888 with a 4096-byte pitch on that
 * handle needs 3 MiB and must fail with EINVAL.  As a control, ADDFB2 of
 * 64x64 with vgem's pitch on the same handle must succeed, so the test
 * cannot pass because the import itself is unusable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "lib/kms.h"

#define SMALL	64

int main(void)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 4096 }, offsets[4] = { 0 };
	struct kms_dumb vbuf = { .handle = 0 };
	uint32_t handle = 0, fb = 0;
	int vgem, vkms, dmabuf = -1;
	int ret = KMS_EXIT_SKIP, err;

	vgem = kms_open_driver("vgem");
	if (vgem < 0)
		return KMS_EXIT_SKIP;
	vkms = kms_open_driver("vkms");
	if (vkms < 0)
		goto out_vgem;

	ret = KMS_EXIT_FAIL;
	if (kms_dumb_create(vgem, SMALL, SMALL, 32, &vbuf))
		goto out;
	printf("vgem buffer: %ux%u pitch %u size %llu\n", SMALL, SMALL,
	       vbuf.pitch, (unsigned long long)vbuf.size);
	dmabuf = kms_prime_export(vgem, vbuf.handle);
	if (dmabuf < 0 || kms_prime_import(vkms, dmabuf, &handle))
		goto out;

	handles[0] = handle;
	if (!drmModeAddFB2(vkms, 1024, 768, DRM_FORMAT_XRGB8888, handles,
			   pitches, offsets, &fb, 0)) {
		printf("FAIL: ADDFB2 1024x768 pitch 4096 on a %llu-byte buffer succeeded (fb %u)\n",
		       (unsigned long long)vbuf.size, fb);
		drmModeRmFB(vkms, fb);
		goto out;
	}
	err = errno;
	printf("ADDFB2 1024x768 pitch 4096 on the import: %s\n",
	       strerror(err));
	if (err != EINVAL) {
		printf("FAIL: expected EINVAL\n");
		goto out;
	}

	fb = 0;
	if (kms_add_fb_xrgb(vkms, SMALL, SMALL, handle, vbuf.pitch, &fb)) {
		printf("FAIL: correctly sized ADDFB2 on the import failed\n");
		goto out;
	}
	printf("ADDFB2 %ux%u pitch %u on the import: ok (fb %u)\n",
	       SMALL, SMALL, vbuf.pitch, fb);
	drmModeRmFB(vkms, fb);
	printf("ok: undersized framebuffer rejected with EINVAL\n");
	ret = KMS_EXIT_PASS;
out:
	kms_gem_close(vkms, handle);
	if (dmabuf >= 0)
		close(dmabuf);
	kms_dumb_destroy(&vbuf);
	close(vkms);
out_vgem:
	close(vgem);
	return ret;
}
