/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform of QEMU's RISC-V `virt` machine standing in for an ESP32-C3: console on the 16550
 * UART, the machine-mode retired-instruction counter (minstret; exact under QEMU -icount shift=0),
 * painted stack, exit through the SiFive test device (0x5555 = pass, status << 16 | 0x3333 = fail,
 * which QEMU turns into its own exit status).
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "stack_paint.h"
#include "uart16550.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_TEST_DEVICE_BASE
#error "TF_TEST_DEVICE_BASE must come from the board descriptor"
#endif
#define TEST_DEVICE (*(volatile uint32_t *)(TF_TEST_DEVICE_BASE))
#define TEST_PASS 0x5555u
#define TEST_FAIL 0x3333u

extern uint32_t __stack_limit[], __stack_top[];

const char tf_counter_name[] = "minstret";

void tf_platform_init(void) { uart16550_init(TF_UART_BASE); }

void tf_platform_write(const char *text, size_t length) { uart16550_write(TF_UART_BASE, text, length); }

uint8_t tf_platform_read_byte(void) { return uart16550_read_byte(TF_UART_BASE); }

/* minstreth, minstret, minstreth again: a carry between the two halves shows as a changed high word. */
uint64_t tf_counter_now(void) {
  uint32_t high, low, again;
  do {
    __asm__ volatile("csrr %0, minstreth" : "=r"(high));
    __asm__ volatile("csrr %0, minstret" : "=r"(low));
    __asm__ volatile("csrr %0, minstreth" : "=r"(again));
  } while (high != again);
  return ((uint64_t)high << 32) | low;
}

void tf_platform_exit(int status) {
  TEST_DEVICE = status == 0 ? TEST_PASS : (((uint32_t)status & 0xffffu) << 16) | TEST_FAIL;
  for (;;) {
    __asm__ volatile("wfi");
  }
}

uintptr_t __attribute__((naked)) tf_stack_pointer(void) {
  __asm__ volatile("mv a0, sp\n\t"
                   "ret\n");
}

/* Naked and frameless, so it paints exactly up to the caller's stack pointer. */
void __attribute__((naked)) tf_stack_repaint_free(void) {
  __asm__ volatile("la t0, __stack_limit\n\t"
                   "li t1, " TF_STACK_PATTERN_TEXT "\n"
                   "1:\n\t"
                   "bgeu t0, sp, 2f\n\t"
                   "sw t1, 0(t0)\n\t"
                   "addi t0, t0, 4\n\t"
                   "j 1b\n"
                   "2:\n\t"
                   "ret\n");
}

static void put_hex32(uint32_t value) {
  char text[10] = {'0', 'x'};
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xfu];
  uart16550_write(TF_UART_BASE, text, sizeof text);
}

/* Called from the trap vector. */
void tf_report_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval);
void tf_report_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  static const char prefix[] = "\nTF ERROR trap mcause=";
  uart16550_init(TF_UART_BASE);
  uart16550_write(TF_UART_BASE, prefix, sizeof prefix - 1);
  put_hex32(mcause);
  uart16550_write(TF_UART_BASE, " pc=", 4);
  put_hex32(mepc);
  uart16550_write(TF_UART_BASE, " mtval=", 7);
  put_hex32(mtval);
  uart16550_write(TF_UART_BASE, "\n", 1);
  tf_platform_exit(2);
}
