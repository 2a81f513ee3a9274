/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32U575 (NUCLEO-U575ZI-Q) at 160 MHz, voltage range 1 (RM0456), the sequence OpenOCD's
 * stm32u5x.cfg also runs on this chip in its reset-init:
 * - the chip starts on MSIS at 4 MHz, range 4, LDO regulator (kept: it serves range 1 too);
 * - PWR's bus clock on (RCC_AHB3ENR.PWREN), range 1 (PWR_VOSR.VOS, bits 17:16 = 3; VOSRDY bit 15);
 * - 4 flash wait states for 160 MHz in range 1, prefetch on (FLASH_ACR: LATENCY 3:0, PRFTEN 8);
 * - PLL1 from MSIS: M = 1 (4 MHz in, PLL1RGE = 2 for 4-8 MHz), the EPOD booster on (PWR_VOSR.BOOSTEN
 *   bit 18, BOOSTRDY 14; its input MSIS / PLL1MBOOST = 4 MHz), N = 80 (VCO 320 MHz), R = 2: 160 MHz;
 *   AHB and APB undivided (160 MHz is their maximum); the AHB divided by 2 across the switch from
 *   below 80 MHz, as ST's HAL does;
 * - the instruction cache (ICACHE, 2-way from reset) enabled: ICACHE_CR.EN, bit 0.
 * Console: USART1 on PA9 (TX) and PA10 (RX), alternate function 7, reaching the ST-LINK's virtual
 * COM port. Its kernel clock is PCLK2 after reset (RCC_CCIPR1.USART1SEL = 0), so TF_UART_CLOCK_HZ
 * is 160 MHz.
 *
 * Registers (Non-secure aliases; TrustZone is off as the board ships): RCC 0x46020C00 (CR +0x00:
 * PLL1ON 24, PLL1RDY 25; CFGR1 +0x1C: SW 1:0, SWS 3:2; CFGR2 +0x20: HPRE 3:0; PLL1CFGR +0x28:
 * PLL1SRC 1:0 (1 = MSIS), PLL1RGE 3:2, PLL1M 11:8, PLL1MBOOST 15:12, PLL1REN 18; PLL1DIVR +0x34:
 * N 8:0, P 15:9, Q 22:16, R 30:24, each minus one; AHB2ENR1 +0x8C: GPIOAEN 0; AHB3ENR +0x94: PWREN
 * 2; APB2ENR +0xA4: USART1EN 14); PWR 0x46020800 (VOSR +0x0C); FLASH 0x40022000 (ACR +0x00);
 * ICACHE 0x40030400 (CR +0x00); GPIOA 0x42020000.
 */
#include "board.h"
#include "stm32.h"

#define RCC 0x46020C00u
#define RCC_CR STM32_REG(RCC + 0x00u)
#define RCC_CFGR1 STM32_REG(RCC + 0x1Cu)
#define RCC_CFGR2 STM32_REG(RCC + 0x20u)
#define RCC_PLL1CFGR STM32_REG(RCC + 0x28u)
#define RCC_PLL1DIVR STM32_REG(RCC + 0x34u)
#define RCC_AHB2ENR1 STM32_REG(RCC + 0x8Cu)
#define RCC_AHB3ENR STM32_REG(RCC + 0x94u)
#define RCC_APB2ENR STM32_REG(RCC + 0xA4u)
#define PWR_VOSR STM32_REG(0x46020800u + 0x0Cu)
#define FLASH_ACR STM32_REG(0x40022000u)
#define ICACHE_CR STM32_REG(0x40030400u)
#define GPIOA 0x42020000u

#define AHB3ENR_PWREN (1u << 2)
#define VOS_RANGE1 3u
#define VOSR_VOSRDY (1u << 15)
#define VOSR_BOOSTEN (1u << 18)
#define VOSR_BOOSTRDY (1u << 14)
#define ACR_LATENCY_4WS 4u
#define ACR_PRFTEN (1u << 8)
#define PLL1CFGR_MSIS_4_8MHZ ((1u << 0) | (2u << 2) | (0u << 8) | (0u << 12) | (1u << 18))
#define PLL1DIVR_160MHZ ((80u - 1u) | ((2u - 1u) << 9) | ((2u - 1u) << 16) | ((2u - 1u) << 24))
#define CR_PLL1ON (1u << 24)
#define CR_PLL1RDY (1u << 25)
#define CFGR1_SW_PLL1 3u
#define HPRE_DIV2 0x8u
#define ICACHE_EN (1u << 0)
#define AHB2ENR1_GPIOAEN (1u << 0)
#define APB2ENR_USART1EN (1u << 14)
#define USART1_AF 7u

void board_init(void) {
  RCC_AHB3ENR |= AHB3ENR_PWREN;
  (void)RCC_AHB3ENR;
  stm32_set_field(&PWR_VOSR, 16u, 2u, VOS_RANGE1);
  stm32_wait_set(&PWR_VOSR, VOSR_VOSRDY);
  FLASH_ACR = ACR_LATENCY_4WS | ACR_PRFTEN;
  while ((FLASH_ACR & 0xFu) != ACR_LATENCY_4WS) {
  }
  RCC_PLL1CFGR = PLL1CFGR_MSIS_4_8MHZ;
  PWR_VOSR |= VOSR_BOOSTEN;
  stm32_wait_set(&PWR_VOSR, VOSR_BOOSTRDY);
  RCC_PLL1DIVR = PLL1DIVR_160MHZ;
  RCC_CR |= CR_PLL1ON;
  stm32_wait_set(&RCC_CR, CR_PLL1RDY);
  stm32_set_field(&RCC_CFGR2, 0u, 4u, HPRE_DIV2);
  stm32_set_field(&RCC_CFGR1, 0u, 2u, CFGR1_SW_PLL1);
  while (((RCC_CFGR1 >> 2) & 3u) != CFGR1_SW_PLL1) {
  }
  stm32_settle(); /* at least 1 us at HCLK / 2 before the AHB runs undivided */
  stm32_set_field(&RCC_CFGR2, 0u, 4u, 0u);
  ICACHE_CR |= ICACHE_EN;

  RCC_AHB2ENR1 |= AHB2ENR1_GPIOAEN;
  RCC_APB2ENR |= APB2ENR_USART1EN;
  (void)RCC_APB2ENR;
  stm32_gpio_alternate(GPIOA, 9u, USART1_AF);
  stm32_gpio_alternate(GPIOA, 10u, USART1_AF);
}
