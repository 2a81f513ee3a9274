/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform of the RP2040 (Raspberry Pi Pico, and the rp2040js emulator that models the same
 * chip): clocks at 125 MHz, console on UART0 (GP0 TX, GP1 RX), SysTick cycle counter, painted stack.
 *
 * The end of a run: with TF_EXIT_BREAKPOINT (the emulated board) `bkpt #0` with the status in r0,
 * which the emulator reports to its host; on a real board the console is flushed and the core parks
 * (the host has read the result from the UART by then).
 */
#include <stddef.h>
#include <stdint.h>

#include "clocks.h"
#include "platform.h"
#include "tf_image_crc.h"
#include "stack_paint.h"
#include "systick_counter.h"
#include "uart.h"

/* the console's rate: --baud on run/profile/validate/flash builds the harness with another */
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200u
#endif

extern uint32_t __stack_limit[], __stack_top[];
extern const uint8_t __boot2_start[];

/* The image as the UF2 wrote it: boot2 at the start of flash to the end of .data's initial values. */
int tf_platform_image(const uint8_t **start, uint32_t *bytes, uint32_t *crc) {
  return tf_image_through_data(__boot2_start, start, bytes, crc);
}

const char tf_counter_name[] = "systick";

void tf_platform_init(void) {
  rp2040_clocks_init();
  rp2040_uart_init(TF_CLK_SYS_HZ, TF_CONSOLE_BAUD);
  systick_counter_start();
}

void tf_platform_write(const char *text, size_t length) { rp2040_uart_write(text, length); }

uint8_t tf_platform_read_byte(void) { return rp2040_uart_read_byte(); }

uint64_t tf_counter_now(void) { return systick_counter_now(); }

void tf_platform_exit(int status) {
  rp2040_uart_flush();
#ifdef TF_EXIT_BREAKPOINT
  register int r0 __asm__("r0") = status;
  __asm__ volatile("bkpt #0" ::"r"(r0) : "memory");
#else
  (void)status;
#endif
  __asm__ volatile("cpsid i" ::: "memory");
  for (;;) {
    __asm__ volatile("wfi");
  }
}

uintptr_t __attribute__((naked)) tf_stack_pointer(void) { __asm__ volatile("mov r0, sp\n\tbx lr\n"); }

/* Naked and frameless, so it paints exactly up to the caller's stack pointer. */
void __attribute__((naked)) tf_stack_repaint_free(void) {
  __asm__ volatile("ldr r0, =__stack_limit\n\t"
                   "ldr r1, =" TF_STACK_PATTERN_TEXT "\n\t"
                   "mov r2, sp\n"
                   "1:\n\t"
                   "cmp r0, r2\n\t"
                   "bhs 2f\n\t"
                   "stmia r0!, {r1}\n\t"
                   "b 1b\n"
                   "2:\n\t"
                   "bx lr\n\t"
                   ".ltorg\n");
}

static void put_hex32(uint32_t value) {
  char text[10] = {'0', 'x'};
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xfu];
  rp2040_uart_write(text, sizeof text);
}

/* Called from Default_Handler with the stacked frame (r0-r3, r12, lr, pc, xpsr) and IPSR. */
void tf_report_fault(const uint32_t *frame, uint32_t exception);
void tf_report_fault(const uint32_t *frame, uint32_t exception) {
  static const char prefix[] = "\nTF ERROR fault exception=";
  rp2040_uart_write(prefix, sizeof prefix - 1);
  put_hex32(exception & 0x3fu);
  rp2040_uart_write(" pc=", 4);
  put_hex32(frame[6]);
  rp2040_uart_write("\n", 1);
  tf_platform_exit(2);
}
