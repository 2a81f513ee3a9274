/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one hook a real chip adds to the Cortex-M platform: board_init() brings the chip to the clock
 * its descriptor names (PLL, voltage range, flash wait states, caches) and routes the console UART
 * to its pins, before the console and the counter start. Each real board compiles exactly one file
 * from chips/ (named by `sources` in its target descriptor) that defines it; the emulated boards
 * define none and get the empty default of platform.c.
 */
#ifndef TF_BOARD_H
#define TF_BOARD_H

void board_init(void);

#endif
