/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Arm PL011 UART (the RP2350's UART0 on the Pico 2), polled, 8N1 with its 32-byte FIFOs on:
 * UARTDR +0x00, UARTFR +0x18 (RXFE bit 4, TXFF bit 5), UARTIBRD +0x24, UARTFBRD +0x28, UARTLCR_H
 * +0x2C (FEN bit 4, WLEN bits 6:5 = 3 for 8 bits; writing it latches the divisor), UARTCR +0x30
 * (UARTEN bit 0, TXE 8, RXE 9). The host sends one frame and waits, so the 32-byte receive FIFO and
 * polling keep up. The pins and the UART's reset are the chip's board_init's (chips/rp2350.c).
 *
 * Board facts: TF_UART_BASE and TF_UART_CLOCK_HZ (clk_peri).
 */
#include "console.h"
#include "pl011_baud.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_UART_CLOCK_HZ
#error "TF_UART_CLOCK_HZ must come from the board descriptor"
#endif
/* the console's rate: --baud on run/profile/validate/flash builds the harness with another */
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200u
#endif

#define UART_REG(offset) (*(volatile uint32_t *)(TF_UART_BASE + (offset)))
#define UARTDR UART_REG(0x00u)
#define UARTFR UART_REG(0x18u)
#define UARTIBRD UART_REG(0x24u)
#define UARTFBRD UART_REG(0x28u)
#define UARTLCR_H UART_REG(0x2Cu)
#define UARTCR UART_REG(0x30u)

#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN_8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)

void console_init(void) {
  const pl011_baud_t divisor = pl011_baud(TF_UART_CLOCK_HZ, TF_CONSOLE_BAUD);
  UARTCR = 0;
  UARTIBRD = divisor.ibrd;
  UARTFBRD = divisor.fbrd;
  UARTLCR_H = LCR_H_WLEN_8 | LCR_H_FEN;
  UARTCR = CR_UARTEN | CR_TXE | CR_RXE;
}

void console_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (UARTFR & FR_TXFF) {
    }
    UARTDR = (uint8_t)text[i];
  }
}

int console_poll_byte(uint8_t *out) {
  if (UARTFR & FR_RXFE) return 0;
  *out = (uint8_t)UARTDR;
  return 1;
}

uint8_t console_read_byte(void) {
  uint8_t byte;
  while (!console_poll_byte(&byte)) {
  }
  return byte;
}
