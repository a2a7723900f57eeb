/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An emulated Grain Media GM12U320 projector for the gm12u320 DRM driver,
 * on vusb.
 *
 * USB: 1de1:c102, one interface (number 0; the real device shows two
 * mass-storage interfaces, the driver only takes number 0 and matches the
 * ids alone, so the emulation declares class 0xff to keep usb-storage off
 * it) with four bulk endpoints at the fixed numbers the driver uses:
 *
 *   0x81 IN   misc replies          0x03 OUT  frame data commands + blocks
 *   0x82 IN   frame data status     0x04 OUT  misc commands
 *
 * Commands are 31-byte blocks shaped like USB mass-storage CBWs: "USBC",
 * a zero tag (bytes 4-7), the length of the data phase (8-11, little
 * endian), a direction flag (12), a LUN (13), a command length of 16 (14)
 * and 16 command bytes (15-30) whose first byte is a vendor opcode.  Every
 * exchange ends with a 13-byte status read by the host, which the emulation
 * answers with a CSW ("USBS", the tag, zero residue, status 0); the driver
 * does not look at its content.
 *
 * Misc (endpoint 4 then 1): a command with data length 4, flag 0x80, LUN 1,
 * opcode 0xfd, byte 19 = 0xc0, a request pair in bytes 20-21 and four
 * arguments in 22-25, the rest zero.  The host then reads a 4-byte value
 * and the status.  Linux 6.12 only sends "set eco mode" (request ff 35,
 * arguments 01, 0 or 1, 00, 01), at probe and resume; any other misc
 * request is a protocol error.  The value returned is the eco setting.
 *
 * Frame (endpoint 3, statuses on 2): twenty blocks, then a draw command.
 * Block N (0..19) is announced by a command with data length = block size,
 * flag 0, LUN 0, opcode 0xff, byte 20 = 0xfc - 4 * N, byte 21 = N with bit 7
 * holding a frame parity bit, byte 22 = 0x80, the rest zero; then the block
 * itself follows as one transfer, then the host reads a status.  A block is
 * an 84-byte header, pixel bytes and a 20-byte footer; blocks 0-18 carry
 * 64512 pixel bytes (64616 in all), block 19 carries 4032 (4136 in all).
 * The header is 64 zero bytes then 20 fixed bytes, which differ for the last
 * block (it states its own, smaller size); the footer is the same for all.
 * The pixel bytes of the twenty blocks concatenated are the whole panel,
 * 854 x 480 pixels of 3 bytes (blue, green, red), 2562 bytes a line, top to
 * bottom with no gaps (block boundaries fall on pixel boundaries but
 * anywhere in a line).  The host only addresses the middle 848 columns
 * (3..850); the three columns on either side are never written and stay
 * black.  The draw command (opcode 0xfe, fixed bytes, data length 0) then
 * makes the panel show the frame; the host reads a status (it allows 2 s
 * for the first frame) and flips the parity bit for the next frame.  The
 * driver repeats the whole frame every 2 s even without changes, or the
 * projector would fall back to its logo.
 *
 * The emulation checks every byte of every command, header and footer, the
 * block order (a frame starts at block 0 and ends with the draw command
 * after block 19), the block sizes, that the parity bit is the same in all
 * blocks of a frame and alternates between frames (starting at 0: a frame
 * that keeps the bit after a draw status the host seemed to read is only
 * counted, since under software emulation that read may have timed out on
 * the host's side all the same), and that the side columns are black.  Anything else is a protocol error, recorded
 * with vdisp_error(), which fails the waiting test; after it the data
 * stream is ignored (statuses are still sent so the host does not stall).
 *
 * Frames: at each draw command the 848 x 480 visible columns are published
 * on @disp as XRGB8888 (exact: the wire format has 8 bits per channel).
 * A frame is published only once all twenty blocks of it and the draw
 * command arrived, so with vdisp's frame check on (vdisp_check_start())
 * every frame the device received is compared with the images the test
 * committed: a frame whose blocks come from different commits is counted
 * as torn.
 */
#ifndef TESTS_USB_GM12U320_H
#define TESTS_USB_GM12U320_H

#include <stdint.h>

#include "vusb.h"

#define GM12U320_EMU_VENDOR		0x1de1
#define GM12U320_EMU_PRODUCT		0xc102
#define GM12U320_EMU_WIDTH		848	/* the mode the host uses */
#define GM12U320_EMU_PANEL_WIDTH	854	/* what the host sends */
#define GM12U320_EMU_HEIGHT		480
#define GM12U320_EMU_XOFF	((GM12U320_EMU_PANEL_WIDTH - \
				  GM12U320_EMU_WIDTH) / 2)
#define GM12U320_EMU_BLOCKS		20
#define GM12U320_EMU_HDR_SIZE		84
#define GM12U320_EMU_FTR_SIZE		20
#define GM12U320_EMU_CONTENT		64512
#define GM12U320_EMU_LAST_CONTENT	4032
#define GM12U320_EMU_FRAME_BYTES	(GM12U320_EMU_PANEL_WIDTH * \
					 GM12U320_EMU_HEIGHT * 3)
#define GM12U320_EMU_CMD_SIZE		31
#define GM12U320_EMU_STATUS_SIZE	13

/* Indices into ep[]. */
enum {
	GM12U320_EP_MISC_IN,	/* 0x81 */
	GM12U320_EP_DATA_IN,	/* 0x82 */
	GM12U320_EP_DATA_OUT,	/* 0x03 */
	GM12U320_EP_MISC_OUT,	/* 0x04 */
	GM12U320_EP_COUNT
};

#define GM12U320_EMU_STATUS_QUEUE	64
/* A status sent within this of its command: the host surely waited. */
#define GM12U320_EMU_STATUS_PROMPT_MS	100

struct gm12u320_emu {
	struct vusb_dev usb;
	struct vusb_ep ep[GM12U320_EP_COUNT];
	struct vdisp disp;

	/* Device state, protected by disp.lock. */
	uint8_t *panel;		/* GM12U320_EMU_FRAME_BYTES, as received */
	uint8_t *block;		/* the block being received */
	size_t block_len, block_size;	/* received / announced; 0: none */
	int next_block;		/* expected next; BLOCKS: expect draw */
	int parity;		/* of the frame being received */
	int last_parity;	/* of the last drawn frame, -1 before */
	bool broken;		/* a protocol error: ignore the data stream */
	int eco;		/* last eco mode set, -1 before */
	unsigned long misc_reqs, data_cmds, blocks, draws, statuses;
	unsigned long restarts;	/* frames begun again at block 0 */
	unsigned long redraws;	/* frames that kept the parity bit */
	unsigned long parity_kept;	/* ... after a draw status sent promptly */
	bool draw_read;		/* the host read the last draw's status */
	bool must_flip;		/* ... before this frame began */
	unsigned long long data_bytes;

	/*
	 * A stall a test asks for: once the command of block @stall_block
	 * has come, the data endpoint reads nothing for @stall_ms, as a
	 * device that is slow to take a block; then @stall_ms goes back to
	 * 0 and @stalls counts it.  Set both under disp.lock.
	 */
	int stall_block;
	unsigned int stall_ms;
	unsigned long stalls;

	/*
	 * Statuses of the data endpoint, sent by a thread of their own so
	 * that, as on a device with endpoint FIFOs, a status the host has
	 * not read yet (its read timed out) does not stop the data endpoint
	 * from taking the next command.  Protected by st_lock.
	 */
	pthread_mutex_t st_lock;
	pthread_cond_t st_cond;
	pthread_t st_thread;
	bool st_running, st_stop;
	uint8_t st_tag[GM12U320_EMU_STATUS_QUEUE][4];
	bool st_draw[GM12U320_EMU_STATUS_QUEUE];	/* of a draw */
	long st_ms[GM12U320_EMU_STATUS_QUEUE];	/* when queued */
	unsigned int st_head, st_tail;	/* queued: tail - head */
	unsigned long st_dropped;	/* the queue was full */
};

/* Start the device on @udc (e.g. "dummy_udc.0"); 0 or -errno. */
int gm12u320_emu_start(struct gm12u320_emu *g, const char *udc);

/* Unplug and free everything. */
void gm12u320_emu_stop(struct gm12u320_emu *g);

/* Print the counters (requests, blocks, frames) to stdout. */
void gm12u320_emu_stats(struct gm12u320_emu *g);

#endif /* TESTS_USB_GM12U320_H */
