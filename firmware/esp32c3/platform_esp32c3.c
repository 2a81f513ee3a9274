/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device harness's platform on the ESP32-C3 booted by its own ROM from flash (no ESP-IDF):
 * console on UART0 (0x60000000, left at 115200 baud by the ROM), the machine-mode retired-instruction
 * counter minstret (what Espressif's QEMU counts; the chip's own counters are its custom mpccr), painted
 * stack (firmware/common/stack_paint.c; firmware/riscv/startup.c paints it and installs the trap vector).
 * No exit device: an ended session or a trap parks the core after its line on the console.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "stack_paint.h"

#define UART0_FIFO (*(volatile uint32_t *)0x60000000u)
#define UART0_STATUS (*(volatile uint32_t *)0x6000001Cu)
#define RXFIFO_CNT(s) ((s)&0x3FFu)
#define TXFIFO_CNT(s) (((s) >> 16) & 0x3FFu)
#define TX_FIFO_BYTES 128u

const char tf_counter_name[] = "minstret";

void tf_platform_init(void) {}

static void put(uint8_t byte) {
  while (TXFIFO_CNT(UART0_STATUS) >= TX_FIFO_BYTES - 1u) {
  }
  UART0_FIFO = byte;
}

void tf_platform_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) put((uint8_t)text[i]);
}

uint8_t tf_platform_read_byte(void) {
  while (RXFIFO_CNT(UART0_STATUS) == 0u) {
  }
  return (uint8_t)(UART0_FIFO & 0xFFu);
}

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
  (void)status;
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
  tf_platform_write(text, sizeof text);
}

/* Called from the trap vector (firmware/riscv/startup.c). */
void tf_report_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval);
void tf_report_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  static const char prefix[] = "\nTF ERROR trap mcause=";
  tf_platform_write(prefix, sizeof prefix - 1);
  put_hex32(mcause);
  tf_platform_write(" pc=", 4);
  put_hex32(mepc);
  tf_platform_write(" mtval=", 7);
  put_hex32(mtval);
  tf_platform_write("\n", 1);
  tf_platform_exit(2);
}
