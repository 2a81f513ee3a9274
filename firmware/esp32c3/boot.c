/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ESP32-C3 booted by its own ROM from flash (no ESP-IDF second stage): own stack, .bss cleared,
 * a line on UART0 (the ROM left it at 115200 baud), then every byte received is sent back. Tests
 * flash it through the ROM loader and wait for the line (test/device/esp-qemu.test.ts).
 */
#include <stdint.h>

#define UART0_FIFO (*(volatile uint32_t *)0x60000000u)
#define UART0_STATUS (*(volatile uint32_t *)0x6000001Cu)
#define RXFIFO_CNT(s) ((s)&0x3FFu)
#define TXFIFO_CNT(s) (((s) >> 16) & 0x3FFu)

extern uint32_t __bss_start[], __bss_end[];
int main(void);

__attribute__((naked, section(".text.start"))) void _start(void) {
  __asm__ volatile(".option push\n.option norelax\n"
                   "la gp, __global_pointer$\n"
                   ".option pop\n"
                   "la sp, __stack_top\n"
                   "j tf_c_start\n");
}

static void put(char c) {
  while (TXFIFO_CNT(UART0_STATUS) >= 126u) {
  }
  UART0_FIFO = (uint32_t)(unsigned char)c;
}

static void puts_(const char *s) {
  while (*s) put(*s++);
}

__attribute__((noreturn, used)) void tf_c_start(void) {
  for (uint32_t *p = __bss_start; p < __bss_end; p++) *p = 0;
  (void)main();
  for (;;) {
  }
}

int main(void) {
  puts_("tinyforge: esp32c3 image booted by the ROM\r\n");
  for (;;) {
    if (RXFIFO_CNT(UART0_STATUS) > 0u) put((char)(UART0_FIFO & 0xFFu));
  }
}
