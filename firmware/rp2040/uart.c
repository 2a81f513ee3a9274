/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PL011 on UART0. The baud rate divisor is clk_peri / (16 x baud) as a 16.6 fixed-point number
 * (IBRD integer part, FBRD 6-bit fraction, rounded); LCR_H must be written after IBRD/FBRD, since
 * that write latches them.
 *
 * Receive is interrupt-driven: the PL011's FIFO holds only 32 bytes, and a frame of the device
 * protocol is longer, so the RX interrupt (and the receive timeout interrupt, for the last bytes
 * below the FIFO trigger level) moves bytes into a ring buffer as they arrive. A reader with nothing
 * to read sleeps in WFI: PRIMASK is set around the check so that a byte arriving between the check
 * and the WFI still wakes it (a pending interrupt ends WFI even while PRIMASK masks it).
 */
#include "uart.h"

#include "rp2040_regs.h"

#define UART_TX_PIN 0u
#define UART_RX_PIN 1u
#define RX_BUFFER_BYTES 1024u /* a power of two: indices wrap with a mask */

static volatile uint8_t rx_buffer[RX_BUFFER_BYTES];
static volatile uint32_t rx_head; /* written by the interrupt only */
static volatile uint32_t rx_tail; /* written by the reader only */
static volatile uint32_t rx_dropped;

void rp2040_uart_init(uint32_t clk_peri_hz, uint32_t baud) {
  const uint32_t bits = RESET_UART0 | RESET_IO_BANK0 | RESET_PADS_BANK0;
  RESETS_RESET_CLR = bits;
  while ((RESETS_RESET_DONE & bits) != bits) {
  }

  /* divisor x 64, rounded: 8 x clk / baud = 64 x clk / (16 x baud) */
  uint32_t divisor64 = (8u * clk_peri_hz / baud + 1u) / 2u;
  UART_CR(UART0_BASE) = 0;
  UART_IBRD(UART0_BASE) = divisor64 >> 6;
  UART_FBRD(UART0_BASE) = divisor64 & 0x3fu;
  UART_LCR_H(UART0_BASE) = UART_LCR_H_WLEN_8 | UART_LCR_H_FEN;
  UART_CR(UART0_BASE) = UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE;

  GPIO_CTRL(UART_TX_PIN) = GPIO_FUNC_UART;
  GPIO_CTRL(UART_RX_PIN) = GPIO_FUNC_UART;

  rx_head = rx_tail = rx_dropped = 0;
  UART_ICR(UART0_BASE) = UART_INT_RX | UART_INT_RT;
  UART_IMSC(UART0_BASE) = UART_INT_RX | UART_INT_RT;
  NVIC_ISER = 1u << UART0_IRQ;
  /* Bytes that arrived before the interrupt was on raise no new one: take them now. */
  __asm__ volatile("cpsid i" ::: "memory");
  UART0_IRQ_Handler();
  __asm__ volatile("cpsie i" ::: "memory");
}

void UART0_IRQ_Handler(void) {
  while (!(UART_FR(UART0_BASE) & UART_FR_RXFE)) {
    uint8_t byte = (uint8_t)UART_DR(UART0_BASE);
    uint32_t head = rx_head;
    if (head - rx_tail < RX_BUFFER_BYTES) {
      rx_buffer[head & (RX_BUFFER_BYTES - 1u)] = byte;
      rx_head = head + 1u;
    } else {
      rx_dropped = rx_dropped + 1u;
    }
  }
}

void rp2040_uart_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (UART_FR(UART0_BASE) & UART_FR_TXFF) {
    }
    UART_DR(UART0_BASE) = (uint8_t)text[i];
  }
}

void rp2040_uart_flush(void) {
  while (UART_FR(UART0_BASE) & UART_FR_BUSY) {
  }
}

uint8_t rp2040_uart_read_byte(void) {
  for (;;) {
    __asm__ volatile("cpsid i" ::: "memory");
    uint32_t tail = rx_tail;
    if (rx_head != tail) {
      uint8_t byte = rx_buffer[tail & (RX_BUFFER_BYTES - 1u)];
      rx_tail = tail + 1u;
      __asm__ volatile("cpsie i" ::: "memory");
      return byte;
    }
    __asm__ volatile("wfi\n\tcpsie i" ::: "memory");
  }
}

uint32_t rp2040_uart_rx_dropped(void) { return rx_dropped; }
