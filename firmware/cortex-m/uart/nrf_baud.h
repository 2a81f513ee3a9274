/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BAUDRATE register value of the Nordic nRF51/nRF52 UART: the rate as a fraction of the 16 MHz
 * peripheral clock in 32-bit fixed point, rounded to the register's 4096 steps. It gives every value
 * of the Product Specification's table (0x01D7E000 for 115200, 0x00275000 for 9600, ...) but 921600,
 * where the nRF52 table truncates (0x0EBED000) and this rounds (0x0EBEE000; the nRF51 Reference
 * Manual gives the unrounded 0x0EBEDFA4). Pure arithmetic: the host tests compile this header too.
 */
#ifndef TF_NRF_BAUD_H
#define TF_NRF_BAUD_H

#include <stdint.h>

static inline uint32_t nrf_uart_baudrate(uint32_t baud) {
  const uint64_t fraction = ((uint64_t)baud << 32) / 16000000u;
  return (uint32_t)((fraction + 0x800u) & 0xFFFFF000u);
}

#endif
