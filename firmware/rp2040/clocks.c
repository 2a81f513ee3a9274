/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Clock bring-up in the order the RP2040 datasheet gives (section 2.15/2.18): start the crystal, move
 * clk_ref onto it and clk_sys onto clk_ref (both glitchless muxes: wait for SELECTED), lock the
 * system PLL, then move clk_sys onto the PLL and run clk_peri (the UART's clock) from clk_sys.
 */
#include "clocks.h"

#include "rp2040_regs.h"

/* XOSC start-up wait in units of 256 crystal cycles: about 1 ms at 12 MHz. */
#define XOSC_STARTUP_DELAY ((TF_XOSC_HZ / 1000u + 128u) / 256u)

static void unreset(uint32_t bits) {
  RESETS_RESET_CLR = bits;
  while ((RESETS_RESET_DONE & bits) != bits) {
  }
}

void rp2040_clocks_init(void) {
  CLK_SYS_RESUS_CTRL = 0; /* no resuscitation while clk_sys switches sources */

  XOSC_CTRL = XOSC_CTRL_FREQ_RANGE_1_15MHZ;
  XOSC_STARTUP = XOSC_STARTUP_DELAY;
  XOSC_CTRL = XOSC_CTRL_FREQ_RANGE_1_15MHZ | XOSC_CTRL_ENABLE;
  while (!(XOSC_STATUS & XOSC_STATUS_STABLE)) {
  }

  CLK_REF_CTRL = CLK_REF_SRC_XOSC;
  while (CLK_REF_SELECTED != (1u << CLK_REF_SRC_XOSC)) {
  }
  CLK_SYS_CTRL = 0; /* SRC = clk_ref */
  while (CLK_SYS_SELECTED != 1u) {
  }

  RESETS_RESET_SET = RESET_PLL_SYS;
  unreset(RESET_PLL_SYS);
  PLL_SYS_CS = 1u; /* REFDIV = 1 */
  PLL_SYS_FBDIV_INT = TF_PLL_SYS_FBDIV;
  PLL_SYS_PWR_CLR = PLL_PWR_PD | PLL_PWR_VCOPD;
  while (!(PLL_SYS_CS & PLL_CS_LOCK)) {
  }
  PLL_SYS_PRIM = (TF_PLL_SYS_POSTDIV1 << PLL_PRIM_POSTDIV1_SHIFT) | (TF_PLL_SYS_POSTDIV2 << PLL_PRIM_POSTDIV2_SHIFT);
  PLL_SYS_PWR_CLR = PLL_PWR_POSTDIVPD;

  CLK_SYS_DIV = CLK_DIV_ONE;
  CLK_SYS_CTRL = CLK_SYS_AUXSRC_PLL_SYS; /* choose the aux source while clk_ref still drives clk_sys */
  CLK_SYS_CTRL = CLK_SYS_AUXSRC_PLL_SYS | CLK_SYS_SRC_AUX;
  while (CLK_SYS_SELECTED != (1u << CLK_SYS_SRC_AUX)) {
  }

  CLK_PERI_CTRL = CLK_PERI_ENABLE | CLK_PERI_AUXSRC_CLK_SYS;
}
