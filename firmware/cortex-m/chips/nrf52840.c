/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nRF52840 (nRF52840 DK). The CPU always runs at 64 MHz; what board_init chooses is the source of
 * HFCLK, and the flash cache (nRF52840 Product Specification):
 * - the 32 MHz crystal (HFXO) started for an accurate UART clock: CLOCK 0x40000000,
 *   TASKS_HFCLKSTART +0x000, EVENTS_HFCLKSTARTED +0x100;
 * - the instruction cache on: NVMC 0x4001E000, ICACHECNF +0x540, CACHEEN bit 0;
 * - the console's TX pin driven high as an output before the UART takes it, RX an input with its
 *   buffer connected: GPIO P0 0x50000000, OUTSET +0x508, PIN_CNF[n] +0x700 + 4n (DIR bit 0,
 *   INPUT bit 1: 1 = buffer disconnected).
 * Console: UART0 (uart/nrf_uart.c) on P0.06 (TX) and P0.08 (RX), the J-Link OB's virtual COM port.
 */
#include <stdint.h>

#include "board.h"

#define REG(address) (*(volatile uint32_t *)(address))
#define CLOCK_TASKS_HFCLKSTART REG(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(0x40000100u)
#define NVMC_ICACHECNF REG(0x4001E540u)
#define GPIO_OUTSET REG(0x50000508u)
#define GPIO_PIN_CNF(pin) REG(0x50000700u + 4u * (pin))

#define ICACHECNF_CACHEEN 1u
#define PIN_CNF_OUTPUT_NO_INPUT 3u
#define PIN_CNF_INPUT 0u

/* TF_UART_TX_PIN and TF_UART_RX_PIN come from the board descriptor (uart/nrf_uart.c checks them). */

void board_init(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (CLOCK_EVENTS_HFCLKSTARTED == 0u) {
  }
  NVMC_ICACHECNF |= ICACHECNF_CACHEEN;
  GPIO_OUTSET = 1u << TF_UART_TX_PIN;
  GPIO_PIN_CNF(TF_UART_TX_PIN) = PIN_CNF_OUTPUT_NO_INPUT;
  GPIO_PIN_CNF(TF_UART_RX_PIN) = PIN_CNF_INPUT;
}
