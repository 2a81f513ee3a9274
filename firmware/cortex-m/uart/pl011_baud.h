/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baud divisor of the Arm PL011 UART (the RP2040's and RP2350's): clock / (16 x baud) as a 16-bit
 * integer part (UARTIBRD) and a 6-bit fraction (UARTFBRD, 64ths), rounded to the nearest 64th and
 * clamped to the divisor's range (1 .. 65535 + 0/64). Pure arithmetic: the host tests compile it.
 */
#ifndef TF_PL011_BAUD_H
#define TF_PL011_BAUD_H

#include <stdint.h>

typedef struct {
  uint32_t ibrd;
  uint32_t fbrd;
} pl011_baud_t;

static inline pl011_baud_t pl011_baud(uint32_t clock_hz, uint32_t baud) {
  /* 64 x clock / (16 x baud) = 4 x clock / baud */
  const uint64_t sixty_fourths = ((uint64_t)clock_hz * 4u + baud / 2u) / baud;
  pl011_baud_t out = {(uint32_t)(sixty_fourths >> 6), (uint32_t)(sixty_fourths & 63u)};
  if (out.ibrd == 0u) {
    out.ibrd = 1u;
    out.fbrd = 0u;
  } else if (out.ibrd > 0xFFFFu) {
    out.ibrd = 0xFFFFu;
    out.fbrd = 0u;
  }
  return out;
}

#endif
