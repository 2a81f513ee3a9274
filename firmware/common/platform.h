/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the device harness (harness.c, tf_frame.c) needs from a board. Each firmware family (firmware/cortex-m, ...) implements
 * these; firmware/common/harness.c uses nothing else, so one harness serves every emulated and real
 * board.
 */
#ifndef TF_PLATFORM_H
#define TF_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Brings up the console (UART) and the counter. Called once, first thing in main. */
void tf_platform_init(void);

/* Writes bytes to the console, blocking until they are accepted. */
void tf_platform_write(const char *text, size_t length);

/*
 * Reads one byte from the console, blocking until one arrives (the device protocol polls with it).
 * A UART with a small receive FIFO is fine: the host sends one frame of at most 264 bytes and then
 * waits for the answer, and the harness drains the UART while a frame arrives.
 */
uint8_t tf_platform_read_byte(void);

/* The free-running counter, in ticks since tf_platform_init. Must be exact across hardware wraps. */
uint64_t tf_counter_now(void);

/* Short name of the counter reported by HELLO (e.g. "systick", "dwt"). */
extern const char tf_counter_name[];

/* Stack bytes ever used since reset, found by scanning the pattern painted at reset. */
size_t tf_stack_high_water(void);

/* Bytes reserved for the stack; a high-water mark that reaches it means the stack overflowed. */
size_t tf_stack_capacity(void);

/*
 * Repaints the free stack below the caller's frame; tf_stack_used_below() then tells how deep
 * anything called after it went below `mark` (an address taken in the caller before the call).
 */
void tf_stack_repaint_free(void);
size_t tf_stack_used_below(uintptr_t mark);

/* Reads the current stack pointer (for the mark above). */
uintptr_t tf_stack_pointer(void);

/*
 * Where the firmware's own image lies in flash, as the flasher wrote it (from the start of flash to
 * the end of the last loaded byte): 1 with `start`, `bytes` and `crc` set (`crc`: tf_image_crc.h's
 * CRC-32/MPEG-2 of that range), or 0 when the platform cannot tell (the default, a weak definition in
 * harness.c). HELLO then reports them, so a host that flashed without read-back (UF2) can check what
 * the board runs. Only builds with TF_PLATFORM_IMAGE defined (a board define in the target files: the
 * RP2040 boards and the Pico 2) ask; the others carry none of it (~250 B of code flash). The CRC is
 * the platform's to compute, so only a platform that knows its image links the CRC code.
 */
int tf_platform_image(const uint8_t **start, uint32_t *bytes, uint32_t *crc);

/* Stops the board and reports `status` (0 = success) to whoever runs it; never returns. */
void tf_platform_exit(int status) __attribute__((noreturn));

#endif
