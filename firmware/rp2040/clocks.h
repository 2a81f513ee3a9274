/* SPDX-License-Identifier: Apache-2.0 */
/* Brings the RP2040's clocks up: crystal, system PLL, clk_ref, clk_sys and clk_peri. */
#ifndef TF_RP2040_CLOCKS_H
#define TF_RP2040_CLOCKS_H

#include <stdint.h>

/*
 * clk_sys (and clk_peri, which follows it) = 12 MHz crystal x FBDIV / (POSTDIV1 x POSTDIV2).
 * 125 MHz = 12 MHz x 125 / (6 x 2), VCO at 1500 MHz (in its 750-1600 MHz range): the Pico's usual
 * clock, and a whole 8 ns per cycle for the emulator's clock.
 */
#define TF_XOSC_HZ 12000000u
#define TF_PLL_SYS_FBDIV 125u
#ifdef TF_RP2350
/* the RP2350 (Pico 2) at its rated 150 MHz = 12 MHz x 125 / (5 x 2), the same 1500 MHz VCO */
#define TF_PLL_SYS_POSTDIV1 5u
#else
#define TF_PLL_SYS_POSTDIV1 6u
#endif
#define TF_PLL_SYS_POSTDIV2 2u
#define TF_CLK_SYS_HZ (TF_XOSC_HZ / 1u * TF_PLL_SYS_FBDIV / (TF_PLL_SYS_POSTDIV1 * TF_PLL_SYS_POSTDIV2))

void rp2040_clocks_init(void);

#endif
