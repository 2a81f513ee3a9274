/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32H7A3 (NUCLEO-H7A3ZI-Q) at 280 MHz, voltage scale 0 (RM0455):
 * - supply: the -Q part's core is fed by its SMPS on this board (ST's NUCLEO-H7A3ZI-Q projects
 *   build with the direct SMPS supply). The chip leaves reset with both SMPS and LDO enabled and
 *   will not change voltage scale until one supply is chosen: LDOEN (PWR_CR3 bit 1) is cleared,
 *   SMPSEN (bit 2) kept, and PWR_CSR1.ACTVOSRDY (bit 13) awaited. PWR_CR3 takes one such write per
 *   reset;
 * - voltage scale (PWR_SRDCR.VOS, bits 15:14; 3 = VOS0, 2 = VOS1 on this part; VOSRDY bit 13):
 *   VOS0 is only reached from VOS1, so VOS1 first;
 * - 6 flash wait states at 280 MHz in VOS0 (FLASH_ACR.LATENCY, bits 3:0; ST's example for this
 *   board uses the same);
 * - PLL1 from HSI (64 MHz from reset): DIVM1 = 32 (2 MHz in, PLL1RGE = 1 for 2-4 MHz, wide VCO),
 *   N = 280 (VCO 560 MHz), P = 2: 280 MHz; AHB undivided, the four APB buses divided by 2 (140 MHz,
 *   their maximum);
 * - Cortex-M7 caches on: the instruction cache invalidated and enabled, the data cache invalidated
 *   set by set and way (CCSIDR) and enabled. The harness has no DMA, so nothing else shares memory.
 * Console: USART3 on PD8 (TX) and PD9 (RX), alternate function 7, reaching the ST-LINK's virtual
 * COM port (ST's BSP for the board names them COM1). Its kernel clock is PCLK1 after reset
 * (RCC_CDCCIP2R.USART234578SEL = 0), so TF_UART_CLOCK_HZ is 140 MHz.
 *
 * Registers: RCC 0x58024400 (CR +0x00: PLL1ON 24, PLL1RDY 25; CFGR +0x10: SW 2:0, SWS 5:3;
 * CDCFGR1 +0x18: CDPPRE 6:4, HPRE 3:0, CDCPRE 11:8; CDCFGR2 +0x1C: CDPPRE1 6:4, CDPPRE2 10:8;
 * SRDCFGR +0x20: SRDPPRE 6:4; PLLCKSELR +0x28: PLLSRC 1:0 (0 = HSI), DIVM1 9:4 (M itself); PLLCFGR
 * +0x2C: PLL1FRACEN 0, PLL1VCOSEL 1, PLL1RGE 3:2, DIVP1EN 16; PLL1DIVR +0x30: N1 8:0, P1 15:9,
 * Q1 22:16, R1 30:24, each the divider minus one; AHB4ENR +0x140: GPIODEN 3; APB1LENR +0x148:
 * USART3EN 18); PWR 0x58024800 (CSR1 +0x04, CR3 +0x0C, SRDCR +0x18); FLASH 0x52002000 (ACR +0x00);
 * GPIOD 0x58020C00; SCB CCR 0xE000ED14 (DC 16, IC 17), CCSIDR 0xE000ED80, CSSELR 0xE000ED84,
 * ICIALLU 0xE000EF50, DCISW 0xE000EF60.
 */
#include "board.h"
#include "stm32.h"

#define RCC 0x58024400u
#define RCC_CR STM32_REG(RCC + 0x00u)
#define RCC_CFGR STM32_REG(RCC + 0x10u)
#define RCC_CDCFGR1 STM32_REG(RCC + 0x18u)
#define RCC_CDCFGR2 STM32_REG(RCC + 0x1Cu)
#define RCC_SRDCFGR STM32_REG(RCC + 0x20u)
#define RCC_PLLCKSELR STM32_REG(RCC + 0x28u)
#define RCC_PLLCFGR STM32_REG(RCC + 0x2Cu)
#define RCC_PLL1DIVR STM32_REG(RCC + 0x30u)
#define RCC_AHB4ENR STM32_REG(RCC + 0x140u)
#define RCC_APB1LENR STM32_REG(RCC + 0x148u)
#define PWR 0x58024800u
#define PWR_CSR1 STM32_REG(PWR + 0x04u)
#define PWR_CR3 STM32_REG(PWR + 0x0Cu)
#define PWR_SRDCR STM32_REG(PWR + 0x18u)
#define FLASH_ACR STM32_REG(0x52002000u)
#define GPIOD 0x58020C00u
#define SCB_CCR STM32_REG(0xE000ED14u)
#define SCB_CCSIDR STM32_REG(0xE000ED80u)
#define SCB_CSSELR STM32_REG(0xE000ED84u)
#define SCB_ICIALLU STM32_REG(0xE000EF50u)
#define SCB_DCISW STM32_REG(0xE000EF60u)

#define CR3_LDOEN (1u << 1)
#define CSR1_ACTVOSRDY (1u << 13)
#define SRDCR_VOSRDY (1u << 13)
#define VOS1 2u
#define VOS0 3u
#define ACR_LATENCY_6WS 6u
#define CR_PLL1ON (1u << 24)
#define CR_PLL1RDY (1u << 25)
#define CFGR_SW_PLL1 3u
#define APB_DIV2 4u
#define PLL1_DIVM 32u
#define PLL1_RGE_2_4MHZ 1u
#define PLL1DIVR_280MHZ ((280u - 1u) | ((2u - 1u) << 9) | ((4u - 1u) << 16) | ((2u - 1u) << 24))
#define PLLCFGR_DIVP1EN (1u << 16)
#define AHB4ENR_GPIODEN (1u << 3)
#define APB1LENR_USART3EN (1u << 18)
#define CCR_DC (1u << 16)
#define CCR_IC (1u << 17)
#define USART3_AF 7u

static void barrier(void) { __asm__ volatile("dsb\n\tisb" ::: "memory"); }

static void set_voltage_scale(uint32_t vos) {
  stm32_set_field(&PWR_SRDCR, 14u, 2u, vos);
  (void)PWR_SRDCR;
  stm32_wait_set(&PWR_SRDCR, SRDCR_VOSRDY);
}

static void caches_on(void) {
  barrier();
  SCB_ICIALLU = 0;
  barrier();
  SCB_CSSELR = 0; /* level 1 data cache */
  barrier();
  const uint32_t ccsidr = SCB_CCSIDR;
  const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
  const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
  /* 32-byte lines: the set index at bit 5; 4 ways: the way index at bits 31:30 */
  for (uint32_t set = 0; set < sets; set++) {
    for (uint32_t way = 0; way < ways; way++) SCB_DCISW = (set << 5) | (way << 30);
  }
  barrier();
  SCB_CCR |= CCR_IC | CCR_DC;
  barrier();
}

void board_init(void) {
  PWR_CR3 &= ~CR3_LDOEN; /* direct SMPS supply */
  stm32_wait_set(&PWR_CSR1, CSR1_ACTVOSRDY);
  set_voltage_scale(VOS1);
  set_voltage_scale(VOS0);
  stm32_set_field(&FLASH_ACR, 0u, 4u, ACR_LATENCY_6WS);
  while ((FLASH_ACR & 0xFu) != ACR_LATENCY_6WS) {
  }

  stm32_set_field(&RCC_PLLCKSELR, 0u, 2u, 0u); /* HSI */
  stm32_set_field(&RCC_PLLCKSELR, 4u, 6u, PLL1_DIVM);
  stm32_set_field(&RCC_PLLCFGR, 0u, 4u, PLL1_RGE_2_4MHZ << 2); /* no fraction, wide VCO, 2-4 MHz in */
  RCC_PLLCFGR |= PLLCFGR_DIVP1EN;
  RCC_PLL1DIVR = PLL1DIVR_280MHZ;
  RCC_CR |= CR_PLL1ON;
  stm32_wait_set(&RCC_CR, CR_PLL1RDY);

  stm32_set_field(&RCC_CDCFGR1, 0u, 4u, 0u); /* AHB undivided */
  stm32_set_field(&RCC_CDCFGR1, 8u, 4u, 0u); /* CPU undivided */
  stm32_set_field(&RCC_CDCFGR1, 4u, 3u, APB_DIV2);
  stm32_set_field(&RCC_CDCFGR2, 4u, 3u, APB_DIV2);
  stm32_set_field(&RCC_CDCFGR2, 8u, 3u, APB_DIV2);
  stm32_set_field(&RCC_SRDCFGR, 4u, 3u, APB_DIV2);
  stm32_set_field(&RCC_CFGR, 0u, 3u, CFGR_SW_PLL1);
  while (((RCC_CFGR >> 3) & 7u) != CFGR_SW_PLL1) {
  }
  caches_on();

  RCC_AHB4ENR |= AHB4ENR_GPIODEN;
  RCC_APB1LENR |= APB1LENR_USART3EN;
  (void)RCC_APB1LENR;
  stm32_gpio_alternate(GPIOD, 8u, USART3_AF);
  stm32_gpio_alternate(GPIOD, 9u, USART3_AF);
}
