/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the STM32 chip files (stm32l4r5.c, stm32h7a3.c, stm32u575.c) share: register access, waiting
 * for a ready flag, and a pin handed to an alternate function. The GPIO port is the same block on
 * the three families (RM0432, RM0455, RM0456): MODER +0x00 (2 bits a pin, 0b10 = alternate
 * function), OSPEEDR +0x08, PUPDR +0x0C (0b01 = pull-up), AFRL +0x20 / AFRH +0x24 (4 bits a pin, for
 * pins 0-7 / 8-15).
 */
#ifndef TF_CHIPS_STM32_H
#define TF_CHIPS_STM32_H

#include <stdint.h>

#define STM32_REG(address) (*(volatile uint32_t *)(address))

static inline void stm32_wait_set(volatile uint32_t *reg, uint32_t mask) {
  while ((*reg & mask) != mask) {
  }
}

/* Sets a field of `width` bits at `shift` to `value`, leaving the rest of the register as it is. */
static inline void stm32_set_field(volatile uint32_t *reg, uint32_t shift, uint32_t width, uint32_t value) {
  const uint32_t mask = ((1u << width) - 1u) << shift;
  *reg = (*reg & ~mask) | ((value << shift) & mask);
}

/* A pin to alternate function `af`, medium speed, pulled up (an idle UART line is high). */
static inline void stm32_gpio_alternate(uint32_t port, uint32_t pin, uint32_t af) {
  stm32_set_field(&STM32_REG(port + 0x20u + 4u * (pin / 8u)), 4u * (pin % 8u), 4u, af);
  stm32_set_field(&STM32_REG(port + 0x08u), 2u * pin, 2u, 1u);
  stm32_set_field(&STM32_REG(port + 0x0Cu), 2u * pin, 2u, 1u);
  stm32_set_field(&STM32_REG(port + 0x00u), 2u * pin, 2u, 2u);
}

/* A few microseconds at any clock up to 280 MHz, for the settling times the manuals ask for. */
static inline void stm32_settle(void) {
  for (volatile uint32_t i = 0; i < 1000u; i++) {
  }
}

#endif
