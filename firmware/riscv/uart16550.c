/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550 registers, one byte apart: RBR/THR at +0, IER +1, FCR +2, LCR +3, LSR +5 (bit 0 data ready,
 * bit 5 transmit holding register empty). QEMU's model sends instantly and ignores the baud divisor,
 * and holds bytes back from the guest until it reads (no overrun), so polling is enough here.
 */
#include "uart16550.h"

#define REG(base, offset) (*(volatile uint8_t *)((base) + (offset)))
#define UART_RBR_THR 0u
#define UART_IER 1u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_LSR 5u
#define LSR_DATA_READY 0x01u
#define LSR_THR_EMPTY 0x20u
#define LCR_8N1 0x03u
#define FCR_ENABLE_AND_CLEAR 0x07u

void uart16550_init(uintptr_t base) {
  REG(base, UART_IER) = 0; /* polled: no interrupts */
  REG(base, UART_LCR) = LCR_8N1;
  REG(base, UART_FCR) = FCR_ENABLE_AND_CLEAR;
}

void uart16550_write(uintptr_t base, const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (!(REG(base, UART_LSR) & LSR_THR_EMPTY)) {
    }
    REG(base, UART_RBR_THR) = (uint8_t)text[i];
  }
}

uint8_t uart16550_read_byte(uintptr_t base) {
  while (!(REG(base, UART_LSR) & LSR_DATA_READY)) {
  }
  return REG(base, UART_RBR_THR);
}
