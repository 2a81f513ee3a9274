/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform (firmware/common/platform.h) of every Cortex-M board: the chip brought up by its
 * board_init (chips/, real boards only), console on the board's UART driver (uart/), the counter
 * picked on the device (counter.c), the painted stack, the exit. Board facts come as -D flags from
 * the board's entry in its target descriptor.
 *
 * The exit: on an emulated board through semihosting (QEMU ends with the status). A real board has
 * no debugger to take the semihosting breakpoint (a `bkpt` with none attached is a HardFault), so
 * with TF_EXIT_PARK (its descriptor's defines) the core parks instead: the host has read the result,
 * or the TF ERROR line, from the UART by then.
 *
 * The console: the board's UART, or on an emulated board built with TF_SEMIHOSTING_CONSOLE the
 * semihosting console when the emulator's command line asks for it (the host's stdio link: see
 * semihosting.c for why). One firmware serves both links; the choice is made once at start.
 *
 * The inline assembly is Thumb-1 (16-bit encodings, unified syntax), so the same code runs on
 * Armv6-M (Cortex-M0) and on Armv7-M/Armv8-M.
 */
#include <stddef.h>
#include <stdint.h>
#include "tf_bytes.h"

#include "board.h"
#include "console.h"
#include "counter.h"
#include "platform.h"
#include "semihosting.h"
#include "stack_paint.h"

extern uint32_t __stack_limit[], __stack_top[];

/*
 * The harness reads the counter's name as `const char tf_counter_name[]`, but the name is only known
 * after the device has probed its counter: the const name is an alias of a buffer written once in
 * tf_platform_init, before the harness reads it.
 */
#define COUNTER_NAME_BYTES 8u
static char counter_name_buffer[COUNTER_NAME_BYTES] = "systick";
extern const char tf_counter_name[COUNTER_NAME_BYTES] __attribute__((alias("counter_name_buffer")));

/* Emulated boards: the emulator starts them at the clock the descriptor names, with nothing to set up. */
__attribute__((weak)) void board_init(void) {}

#ifdef TF_SEMIHOSTING_CONSOLE
static int semihosted_console;
#endif

static void platform_console_write(const char *text, size_t length) {
#ifdef TF_SEMIHOSTING_CONSOLE
  if (semihosted_console) {
    semihosting_console_write(text, length);
    return;
  }
#endif
  console_write(text, length);
}

void tf_platform_init(void) {
  board_init();
  console_init();
#ifdef TF_SEMIHOSTING_CONSOLE
  semihosted_console = semihosting_console_requested();
#endif
  counter_start();
  const char *name = counter_name();
  const size_t length = tf_text_length(name, COUNTER_NAME_BYTES - 1u);
  tf_copy_bytes(counter_name_buffer, name, length);
  counter_name_buffer[length] = '\0';
}

void tf_platform_write(const char *text, size_t length) { platform_console_write(text, length); }

uint8_t tf_platform_read_byte(void) {
#ifdef TF_SEMIHOSTING_CONSOLE
  if (semihosted_console) return semihosting_console_read_byte();
#endif
  return console_read_byte();
}

uint64_t tf_counter_now(void) { return counter_now(); }

void tf_platform_exit(int status) {
#ifdef TF_EXIT_PARK
  (void)status;
  __asm__ volatile("cpsid i" ::: "memory");
  for (;;) {
    __asm__ volatile("wfi");
  }
#else
  semihosting_exit(status);
#endif
}

uintptr_t __attribute__((naked)) tf_stack_pointer(void) {
  __asm__ volatile(".syntax unified\n\t"
                   "mov r0, sp\n\t"
                   "bx lr\n");
}

/* Naked and frameless, so it paints exactly up to the caller's stack pointer. */
void __attribute__((naked)) tf_stack_repaint_free(void) {
  __asm__ volatile(".syntax unified\n\t"
                   "ldr r0, =__stack_limit\n\t"
                   "ldr r1, =" TF_STACK_PATTERN_TEXT "\n\t"
                   "mov r2, sp\n"
                   "1:\n\t"
                   "cmp r0, r2\n\t"
                   "bhs 2f\n\t"
                   "str r1, [r0]\n\t"
                   "adds r0, r0, #4\n\t"
                   "b 1b\n"
                   "2:\n\t"
                   "bx lr\n\t"
                   ".ltorg\n");
}

static void put_hex32(uint32_t value) {
  char text[10] = {'0', 'x'};
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xfu];
  platform_console_write(text, sizeof text);
}

/* Called from Default_Handler with the stacked frame (r0-r3, r12, lr, pc, xpsr) and IPSR. */
void tf_report_fault(const uint32_t *frame, uint32_t exception);
void tf_report_fault(const uint32_t *frame, uint32_t exception) {
  static const char prefix[] = "\nTF ERROR fault exception=";
  console_init();
  platform_console_write(prefix, sizeof prefix - 1);
  put_hex32(exception & 0x1ffu);
  platform_console_write(" pc=", 4);
  put_hex32(frame[6]);
  platform_console_write("\n", 1);
  tf_platform_exit(2);
}
