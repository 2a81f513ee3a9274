/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Baud-rate divisors of the STM32 USART and LPUART (RM0432 L4+, RM0455 H7A3, RM0456 U5: the same
 * block), pure arithmetic so the host tests compile this header too (test/build/real-boards.test.ts).
 *
 * The kernel clock first goes through PRESC (0..11: divide by 1, 2, 4, 6, 8, 10, 12, 16, 32, 64,
 * 128, 256); then
 * - USART, 16x oversampling: BRR = ck / baud, 16 <= BRR <= 0xFFFF;
 * - LPUART: BRR = 256 * ck / baud, 0x300 <= BRR <= 0xFFFFF, and ck within [3, 4096] x baud.
 * The smallest prescaler that fits is taken (the finest divisor), the division rounded to nearest.
 * A brr of 0 means the rate cannot be made from this clock.
 */
#ifndef TF_STM32_BAUD_H
#define TF_STM32_BAUD_H

#include <stdint.h>

typedef struct {
  uint32_t presc; /* the PRESC field value */
  uint32_t brr;   /* the BRR value, 0 when no prescaler fits */
} stm32_baud_t;

static inline uint32_t stm32_presc_divider(uint32_t presc) {
  static const uint16_t dividers[12] = {1u, 2u, 4u, 6u, 8u, 10u, 12u, 16u, 32u, 64u, 128u, 256u};
  return presc < 12u ? dividers[presc] : 0u;
}

static inline stm32_baud_t stm32_baud(uint32_t kernel_hz, uint32_t baud, int lpuart) {
  stm32_baud_t out = {0u, 0u};
  if (baud == 0u) return out;
  for (uint32_t presc = 0; presc < 12u; presc++) {
    const uint64_t divided = (uint64_t)baud * stm32_presc_divider(presc); /* the divisor's denominator */
    if (lpuart) {
      const uint64_t ck = kernel_hz / stm32_presc_divider(presc);
      if (ck < 3u * (uint64_t)baud || ck > 4096u * (uint64_t)baud) continue;
      const uint64_t brr = ((uint64_t)kernel_hz * 256u + divided / 2u) / divided;
      if (brr < 0x300u || brr > 0xFFFFFu) continue;
      out.presc = presc;
      out.brr = (uint32_t)brr;
      return out;
    }
    const uint64_t brr = ((uint64_t)kernel_hz + divided / 2u) / divided;
    if (brr < 16u || brr > 0xFFFFu) continue;
    out.presc = presc;
    out.brr = (uint32_t)brr;
    return out;
  }
  return out;
}

#endif
