/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm CMSDK APB UART, the console of the MPS2 FPGA images (AN385, AN386, AN500, AN505): DATA at
 * +0x00, STATE at +0x04 (bit 0 = TX buffer full, bit 1 = RX buffer full), CTRL at +0x08 (bit 0 =
 * TX enable, bit 1 = RX enable), BAUDDIV at +0x10 (peripheral clock / baud, at least 16).
 * Under QEMU 7.2 a byte written while TX is disabled is never sent and STATE.TX-full stays set, so
 * the next write would wait forever: CTRL must enable TX before the first write (checked: a build
 * without it prints nothing and hangs). Reading DATA empties the one-byte receive buffer.
 *
 * Board facts: TF_UART_BASE (UART0: 0x40004000 on AN385/386/500; 0x50200000, its Secure alias, on
 * AN505) and TF_PERIPHERAL_CLOCK_HZ.
 */
#include "console.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_PERIPHERAL_CLOCK_HZ
#error "TF_PERIPHERAL_CLOCK_HZ must come from the board descriptor"
#endif

#define UART_DATA (*(volatile uint32_t *)(TF_UART_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(TF_UART_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(TF_UART_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(TF_UART_BASE + 0x10u))

#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_ENABLE 0x1u
#define CTRL_RX_ENABLE 0x2u
#define BAUDDIV_MIN 16u
/* the console's rate: --baud on run/profile/validate/flash builds the harness with another */
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200u
#endif

void console_init(void) {
  uint32_t divisor = TF_PERIPHERAL_CLOCK_HZ / TF_CONSOLE_BAUD;
  if (divisor < BAUDDIV_MIN) divisor = BAUDDIV_MIN;
  UART_CTRL = 0;
  UART_BAUDDIV = divisor;
  UART_CTRL = CTRL_TX_ENABLE | CTRL_RX_ENABLE;
}

void console_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = (uint8_t)text[i];
  }
}

int console_poll_byte(uint8_t *out) {
  if ((UART_STATE & STATE_RX_FULL) == 0u) return 0;
  *out = (uint8_t)UART_DATA;
  return 1;
}

uint8_t console_read_byte(void) {
  uint8_t byte;
  while (!console_poll_byte(&byte)) {
  }
  return byte;
}
