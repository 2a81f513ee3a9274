/*
 * The platform of the Arm MPS2 FPGA images (AN385 Cortex-M3, AN386 Cortex-M4, AN500 Cortex-M7) as
 * QEMU models them: console on CMSDK UART0, SysTick counter, painted stack, semihosting exit.
 * The build passes the board's facts as -D flags taken from the target descriptor.
 */
#include <stddef.h>
#include <stdint.h>

#include "cmsdk_uart.h"
#include "platform.h"
#include "semihosting.h"
#include "stack_paint.h"
#include "systick_counter.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_PERIPHERAL_CLOCK_HZ
#error "TF_PERIPHERAL_CLOCK_HZ must come from the board descriptor"
#endif
#define CONSOLE_BAUD 115200u

extern uint32_t __stack_limit[], __stack_top[];

const char tf_counter_name[] = "systick";

void tf_platform_init(void) {
  cmsdk_uart_init(TF_UART_BASE, TF_PERIPHERAL_CLOCK_HZ, CONSOLE_BAUD);
  systick_counter_start();
}

void tf_platform_write(const char *text, size_t length) { cmsdk_uart_write(TF_UART_BASE, text, length); }

uint64_t tf_counter_now(void) { return systick_counter_now(); }

void tf_platform_exit(int status) { semihosting_exit(status); }

/* The lowest word that no longer holds the pattern, or the top if none was touched. */
static const uint32_t *lowest_touched(void) {
  const uint32_t *word = __stack_limit;
  while (word < __stack_top && *word == TF_STACK_PATTERN) word++;
  return word;
}

size_t tf_stack_high_water(void) { return (size_t)((uintptr_t)__stack_top - (uintptr_t)lowest_touched()); }

size_t tf_stack_capacity(void) { return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit); }

size_t tf_stack_used_below(uintptr_t mark) {
  uintptr_t lowest = (uintptr_t)lowest_touched();
  return lowest < mark ? (size_t)(mark - lowest) : 0u;
}

uintptr_t __attribute__((naked)) tf_stack_pointer(void) {
  __asm__ volatile("mov r0, sp\n\tbx lr\n");
}

/* Naked and frameless, so it paints exactly up to the caller's stack pointer. */
void __attribute__((naked)) tf_stack_repaint_free(void) {
  __asm__ volatile(
      "ldr r0, =__stack_limit\n\t"
      "ldr r1, =" TF_STACK_PATTERN_TEXT "\n\t"
      "mov r2, sp\n"
      "1:\n\t"
      "cmp r0, r2\n\t"
      "bhs 2f\n\t"
      "str r1, [r0], #4\n\t"
      "b 1b\n"
      "2:\n\t"
      "bx lr\n\t"
      ".ltorg\n");
}

static void put_hex32(uint32_t value) {
  char text[10] = {'0', 'x'};
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xfu];
  cmsdk_uart_write(TF_UART_BASE, text, sizeof text);
}

/* Called from Default_Handler with the stacked frame (r0-r3, r12, lr, pc, xpsr) and IPSR. */
void tf_report_fault(const uint32_t *frame, uint32_t exception);
void tf_report_fault(const uint32_t *frame, uint32_t exception) {
  static const char prefix[] = "\nTF ERROR fault exception=";
  cmsdk_uart_init(TF_UART_BASE, TF_PERIPHERAL_CLOCK_HZ, CONSOLE_BAUD);
  cmsdk_uart_write(TF_UART_BASE, prefix, sizeof prefix - 1);
  put_hex32(exception & 0x1ffu);
  cmsdk_uart_write(TF_UART_BASE, " pc=", 4);
  put_hex32(frame[6]);
  cmsdk_uart_write(TF_UART_BASE, "\n", 1);
  semihosting_exit(2);
}
