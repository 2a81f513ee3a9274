/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RP2040 registers this firmware touches (RP2040 datasheet, chapter 2 and 4). Every peripheral on
 * the APB/AHB has atomic aliases: +0x1000 XOR, +0x2000 SET bits, +0x3000 CLEAR bits.
 */
#ifndef TF_RP2040_REGS_H
#define TF_RP2040_REGS_H

#include <stdint.h>

#define REG32(address) (*(volatile uint32_t *)(address))
#define ALIAS_SET 0x2000u
#define ALIAS_CLR 0x3000u

/* RESETS: a peripheral held in reset reads as zero and ignores writes. */
/*
 * TF_RP2350: the same blocks at the RP2350's addresses (RP2350 datasheet, address map and RESETS:
 * IO_BANK0 bit 6, PADS_BANK0 9, PLL_SYS 14, UART0 26), for the Pico 2's board_init
 * (firmware/cortex-m/chips/rp2350.c), which reuses clocks.c.
 */
#ifdef TF_RP2350
#define RESETS_BASE 0x40020000u
#else
#define RESETS_BASE 0x4000c000u
#endif
#define RESETS_RESET REG32(RESETS_BASE + 0x0u)
#define RESETS_RESET_CLR REG32(RESETS_BASE + ALIAS_CLR + 0x0u)
#define RESETS_RESET_SET REG32(RESETS_BASE + ALIAS_SET + 0x0u)
#define RESETS_RESET_DONE REG32(RESETS_BASE + 0x8u)
#ifdef TF_RP2350
#define RESET_IO_BANK0 (1u << 6)
#define RESET_PADS_BANK0 (1u << 9)
#define RESET_PLL_SYS (1u << 14)
#define RESET_UART0 (1u << 26)
#define XOSC_BASE 0x40048000u
#define PLL_SYS_BASE 0x40050000u
#define CLOCKS_BASE 0x40010000u
#define CLK_SYS_RESUS_OFFSET 0x84u
#define IO_BANK0_BASE 0x40028000u
#define PADS_BANK0_BASE 0x40038000u
#define UART0_BASE 0x40070000u
#else
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_UART0 (1u << 22)
#define XOSC_BASE 0x40024000u
#define PLL_SYS_BASE 0x40028000u
#define CLOCKS_BASE 0x40008000u
#define CLK_SYS_RESUS_OFFSET 0x78u
#define IO_BANK0_BASE 0x40014000u
#define PADS_BANK0_BASE 0x4001c000u
#define UART0_BASE 0x40034000u
#endif

/* Crystal oscillator: 12 MHz on the Raspberry Pi Pico and Pico 2. */
#define XOSC_CTRL REG32(XOSC_BASE + 0x00u)
#define XOSC_STATUS REG32(XOSC_BASE + 0x04u)
#define XOSC_STARTUP REG32(XOSC_BASE + 0x0cu)
#define XOSC_CTRL_FREQ_RANGE_1_15MHZ 0xaa0u
#define XOSC_CTRL_ENABLE (0xfabu << 12)
#define XOSC_STATUS_STABLE (1u << 31)

/* System PLL: f_out = f_ref / REFDIV * FBDIV / (POSTDIV1 * POSTDIV2). */
#define PLL_SYS_CS REG32(PLL_SYS_BASE + 0x0u)
#define PLL_SYS_PWR_CLR REG32(PLL_SYS_BASE + ALIAS_CLR + 0x4u)
#define PLL_SYS_FBDIV_INT REG32(PLL_SYS_BASE + 0x8u)
#define PLL_SYS_PRIM REG32(PLL_SYS_BASE + 0xcu)
#define PLL_CS_LOCK (1u << 31)
#define PLL_PWR_PD (1u << 0)
#define PLL_PWR_POSTDIVPD (1u << 3)
#define PLL_PWR_VCOPD (1u << 5)
#define PLL_PRIM_POSTDIV1_SHIFT 16
#define PLL_PRIM_POSTDIV2_SHIFT 12

/* Clock generators. */
#define CLK_REF_CTRL REG32(CLOCKS_BASE + 0x30u)
#define CLK_REF_SELECTED REG32(CLOCKS_BASE + 0x38u)
#define CLK_SYS_CTRL REG32(CLOCKS_BASE + 0x3cu)
#define CLK_SYS_DIV REG32(CLOCKS_BASE + 0x40u)
#define CLK_SYS_SELECTED REG32(CLOCKS_BASE + 0x44u)
#define CLK_PERI_CTRL REG32(CLOCKS_BASE + 0x48u)
#define CLK_SYS_RESUS_CTRL REG32(CLOCKS_BASE + CLK_SYS_RESUS_OFFSET)
#define CLK_REF_SRC_XOSC 0x2u
#define CLK_SYS_SRC_AUX 0x1u
#define CLK_SYS_AUXSRC_PLL_SYS (0x0u << 5)
#define CLK_PERI_ENABLE (1u << 11)
#define CLK_PERI_AUXSRC_CLK_SYS (0x0u << 5)
#define CLK_DIV_ONE (1u << 8)

/* GPIO function select: GPIOn_CTRL at IO_BANK0 + 8n + 4, FUNCSEL in bits 4:0. */
#define GPIO_CTRL(n) REG32(IO_BANK0_BASE + 8u * (n) + 4u)
#define GPIO_FUNC_UART 2u

/* UART0: an Arm PL011. */
#define UART_DR(base) REG32((base) + 0x00u)
#define UART_FR(base) REG32((base) + 0x18u)
#define UART_IBRD(base) REG32((base) + 0x24u)
#define UART_FBRD(base) REG32((base) + 0x28u)
#define UART_LCR_H(base) REG32((base) + 0x2cu)
#define UART_CR(base) REG32((base) + 0x30u)
#define UART_IMSC(base) REG32((base) + 0x38u)
#define UART_ICR(base) REG32((base) + 0x44u)
#define UART_FR_TXFF (1u << 5)
#define UART_FR_RXFE (1u << 4)
#define UART_FR_BUSY (1u << 3)
#define UART_LCR_H_WLEN_8 (3u << 5)
#define UART_LCR_H_FEN (1u << 4)
#define UART_CR_UARTEN (1u << 0)
#define UART_CR_TXE (1u << 8)
#define UART_CR_RXE (1u << 9)
#define UART_INT_RX (1u << 4)
#define UART_INT_RT (1u << 6)
#define UART0_IRQ 20u

/* Cortex-M0+ system control space. */
#define SCB_VTOR REG32(0xe000ed08u)
#define NVIC_ISER REG32(0xe000e100u)

#endif
