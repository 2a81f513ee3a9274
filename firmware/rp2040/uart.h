/* SPDX-License-Identifier: Apache-2.0 */
/* UART0 of the RP2040 (an Arm PL011) on GP0 (TX) and GP1 (RX), 8N1, FIFOs on, interrupt-driven RX. */
#ifndef TF_RP2040_UART_H
#define TF_RP2040_UART_H

#include <stddef.h>
#include <stdint.h>

void rp2040_uart_init(uint32_t clk_peri_hz, uint32_t baud);
void rp2040_uart_write(const char *text, size_t length);
/* Waits until the transmitter has sent everything (before a stop). */
void rp2040_uart_flush(void);
/* Waits (asleep) for the next received byte. */
uint8_t rp2040_uart_read_byte(void);
/* Bytes lost because the receive buffer was full (the protocol's CRC catches them; kept for tests). */
uint32_t rp2040_uart_rx_dropped(void);
void UART0_IRQ_Handler(void);

#endif
