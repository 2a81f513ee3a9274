/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The UART of the Nordic nRF51 (the BBC micro:bit's nRF51822) and nRF52 (its legacy UART0, same
 * registers), polled. Tasks are triggered by
 * writing 1 (STARTRX +0x000, STARTTX +0x008); events are flags the driver clears (RXDRDY +0x108,
 * TXDRDY +0x11C); ENABLE (+0x500) = 4 turns the UART on; PSELTXD/PSELRXD (+0x50C/+0x514) route it
 * to pins; RXD/TXD at +0x518/+0x51C; BAUDRATE at +0x524 (nrf_baud.h: 0x01D7E000 = 115200 baud). On the
 * nRF52 a PSEL value is the pin number with CONNECT (bit 31) clear; the chip's board_init sets the
 * TX pin high as an output first (chips/nrf52840.c).
 * The order on receive is the reference manual's: clear RXDRDY, then read RXD (QEMU 7.2 raises
 * RXDRDY again on that read when more bytes wait in its FIFO). TXDRDY rises once a byte has gone,
 * so the driver waits for it after each write.
 *
 * Board facts: TF_UART_BASE (0x40002000) and the USB-serial pins TF_UART_TX_PIN and TF_UART_RX_PIN
 * (micro:bit: 24 and 25; nRF52840 DK: P0.06 and P0.08).
 */
#include "console.h"
#include "nrf_baud.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_UART_TX_PIN
#error "TF_UART_TX_PIN must come from the board descriptor"
#endif
#ifndef TF_UART_RX_PIN
#error "TF_UART_RX_PIN must come from the board descriptor"
#endif

#define UART_REG(offset) (*(volatile uint32_t *)(TF_UART_BASE + (offset)))
#define TASKS_STARTRX UART_REG(0x000u)
#define TASKS_STARTTX UART_REG(0x008u)
#define EVENTS_RXDRDY UART_REG(0x108u)
#define EVENTS_TXDRDY UART_REG(0x11Cu)
#define ENABLE UART_REG(0x500u)
#define PSELTXD UART_REG(0x50Cu)
#define PSELRXD UART_REG(0x514u)
#define RXD UART_REG(0x518u)
#define TXD UART_REG(0x51Cu)
#define BAUDRATE UART_REG(0x524u)

#define ENABLE_UART 4u
/* the console's rate: --baud on run/profile/validate/flash builds the harness with another */
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200u
#endif

void console_init(void) {
  ENABLE = 0;
  PSELTXD = TF_UART_TX_PIN;
  PSELRXD = TF_UART_RX_PIN;
  BAUDRATE = nrf_uart_baudrate(TF_CONSOLE_BAUD);
  ENABLE = ENABLE_UART;
  EVENTS_TXDRDY = 0;
  EVENTS_RXDRDY = 0;
  TASKS_STARTTX = 1;
  TASKS_STARTRX = 1;
}

void console_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    TXD = (uint8_t)text[i];
    while (EVENTS_TXDRDY == 0u) {
    }
    EVENTS_TXDRDY = 0;
  }
}

int console_poll_byte(uint8_t *out) {
  if (EVENTS_RXDRDY == 0u) return 0;
  EVENTS_RXDRDY = 0;
  *out = (uint8_t)RXD;
  return 1;
}

uint8_t console_read_byte(void) {
  uint8_t byte;
  while (!console_poll_byte(&byte)) {
  }
  return byte;
}
