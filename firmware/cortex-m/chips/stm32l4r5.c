/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32L4R5 (NUCLEO-L4R5ZI) at 120 MHz, Range 1 boost mode (RM0432):
 * - the chip starts on MSI at 4 MHz with the regulator in Range 1 normal mode (PWR_CR1.VOS = 01,
 *   PWR_CR5.R1MODE = 1); 120 MHz needs boost mode (R1MODE = 0) and 5 flash wait states;
 * - leaving a clock below 80 MHz for one above it, the AHB runs divided by 2 across the switch and
 *   for at least 1 us after it;
 * - PLL from HSI16: M = 2 (8 MHz into the VCO, within 2.66-16 MHz), N = 30 (VCO 240 MHz), R = 2:
 *   120 MHz, with the APB buses undivided (120 MHz is their maximum too);
 * - the ART accelerator: FLASH_ACR prefetch (PRFTEN, bit 8), instruction cache (ICEN, 9), data
 *   cache (DCEN, 10), LATENCY in bits 3:0.
 * Console: LPUART1 on PG7 (TX) and PG8 (RX), alternate function 8, reaching the ST-LINK's virtual
 * COM port. Port G above PG1 is powered from VDDIO2, which must be declared valid first
 * (PWR_CR2.IOSV, bit 9). LPUART1's kernel clock is PCLK1 after reset (RCC_CCIPR.LPUART1SEL = 00),
 * so TF_UART_CLOCK_HZ is 120 MHz.
 *
 * Registers: RCC 0x40021000 (CR +0x00: HSION 8, HSIRDY 10, PLLON 24, PLLRDY 25; CFGR +0x08: SW 1:0,
 * SWS 3:2, HPRE 7:4; PLLCFGR +0x0C: PLLSRC 1:0 (2 = HSI16), PLLM 7:4 (M - 1), PLLN 14:8, PLLREN 24,
 * PLLR 26:25 (0 = /2); AHB2ENR +0x4C: GPIOGEN 6; APB1ENR1 +0x58: PWREN 28; APB1ENR2 +0x5C:
 * LPUART1EN 0); PWR 0x40007000 (CR1 +0x00: VOS 10:9; CR2 +0x04: IOSV 9; SR2 +0x14: VOSF 10; CR5
 * +0x80: R1MODE 8); FLASH 0x40022000 (ACR +0x00); GPIOG 0x48001800.
 */
#include "board.h"
#include "stm32.h"

#define RCC 0x40021000u
#define RCC_CR STM32_REG(RCC + 0x00u)
#define RCC_CFGR STM32_REG(RCC + 0x08u)
#define RCC_PLLCFGR STM32_REG(RCC + 0x0Cu)
#define RCC_AHB2ENR STM32_REG(RCC + 0x4Cu)
#define RCC_APB1ENR1 STM32_REG(RCC + 0x58u)
#define RCC_APB1ENR2 STM32_REG(RCC + 0x5Cu)
#define PWR 0x40007000u
#define PWR_CR1 STM32_REG(PWR + 0x00u)
#define PWR_CR2 STM32_REG(PWR + 0x04u)
#define PWR_SR2 STM32_REG(PWR + 0x14u)
#define PWR_CR5 STM32_REG(PWR + 0x80u)
#define FLASH_ACR STM32_REG(0x40022000u)
#define GPIOG 0x48001800u

#define CR_HSION (1u << 8)
#define CR_HSIRDY (1u << 10)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define CFGR_SW_PLL 3u
#define HPRE_DIV2 0x8u
#define PLLCFGR_120MHZ ((2u << 0) | ((2u - 1u) << 4) | (30u << 8) | (1u << 24) | (0u << 25))
#define APB1ENR1_PWREN (1u << 28)
#define APB1ENR2_LPUART1EN (1u << 0)
#define AHB2ENR_GPIOGEN (1u << 6)
#define VOS_RANGE1 1u
#define SR2_VOSF (1u << 10)
#define CR2_IOSV (1u << 9)
#define CR5_R1MODE (1u << 8)
#define ACR_LATENCY_5WS 5u
#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)
#define LPUART1_AF 8u

void board_init(void) {
  RCC_APB1ENR1 |= APB1ENR1_PWREN;
  (void)RCC_APB1ENR1; /* the read-back lets the enable take effect before PWR is written */
  stm32_set_field(&PWR_CR1, 9u, 2u, VOS_RANGE1);
  while (PWR_SR2 & SR2_VOSF) {
  }
  stm32_set_field(&RCC_CFGR, 4u, 4u, HPRE_DIV2);
  PWR_CR5 &= ~CR5_R1MODE; /* boost mode */
  FLASH_ACR = ACR_LATENCY_5WS | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
  while ((FLASH_ACR & 0xFu) != ACR_LATENCY_5WS) {
  }
  RCC_CR |= CR_HSION;
  stm32_wait_set(&RCC_CR, CR_HSIRDY);
  RCC_PLLCFGR = PLLCFGR_120MHZ;
  RCC_CR |= CR_PLLON;
  stm32_wait_set(&RCC_CR, CR_PLLRDY);
  stm32_set_field(&RCC_CFGR, 0u, 2u, CFGR_SW_PLL);
  while (((RCC_CFGR >> 2) & 3u) != CFGR_SW_PLL) {
  }
  stm32_settle(); /* at least 1 us at HCLK / 2 before the AHB runs undivided */
  stm32_set_field(&RCC_CFGR, 4u, 4u, 0u);

  PWR_CR2 |= CR2_IOSV;
  RCC_AHB2ENR |= AHB2ENR_GPIOGEN;
  RCC_APB1ENR2 |= APB1ENR2_LPUART1EN;
  (void)RCC_APB1ENR2;
  stm32_gpio_alternate(GPIOG, 7u, LPUART1_AF);
  stm32_gpio_alternate(GPIOG, 8u, LPUART1_AF);
}
