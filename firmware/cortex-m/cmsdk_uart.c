/*
 * CMSDK APB UART: DATA at +0x00, STATE at +0x04 (bit 0 = TX buffer full), CTRL at +0x08 (bit 0 =
 * TX enable, bit 1 = RX enable), BAUDDIV at +0x10 (peripheral clock / baud, at least 16).
 * Under QEMU 7.2 a byte written while TX is disabled is never sent and STATE.TX-full stays set, so
 * the next write would wait forever: CTRL must enable TX before the first write (checked: a build
 * without it prints nothing and hangs).
 */
#include "cmsdk_uart.h"

#define UART_DATA(base) (*(volatile uint32_t *)((base) + 0x00u))
#define UART_STATE(base) (*(volatile uint32_t *)((base) + 0x04u))
#define UART_CTRL(base) (*(volatile uint32_t *)((base) + 0x08u))
#define UART_BAUDDIV(base) (*(volatile uint32_t *)((base) + 0x10u))

#define STATE_TX_FULL 0x1u
#define CTRL_TX_ENABLE 0x1u
#define CTRL_RX_ENABLE 0x2u
#define BAUDDIV_MIN 16u

void cmsdk_uart_init(uintptr_t base, uint32_t peripheral_clock_hz, uint32_t baud) {
  uint32_t divisor = peripheral_clock_hz / baud;
  if (divisor < BAUDDIV_MIN) divisor = BAUDDIV_MIN;
  UART_CTRL(base) = 0;
  UART_BAUDDIV(base) = divisor;
  UART_CTRL(base) = CTRL_TX_ENABLE | CTRL_RX_ENABLE;
}

void cmsdk_uart_write(uintptr_t base, const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (UART_STATE(base) & STATE_TX_FULL) {
    }
    UART_DATA(base) = (uint8_t)text[i];
  }
}
