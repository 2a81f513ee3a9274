/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board's counter: the DWT cycle counter where the core has one and it runs (real Cortex-M3,
 * M4, M7, M33), else SysTick (Cortex-M0/M0+, which have no CYCCNT, and QEMU, which does not emulate
 * the DWT). The choice is made on the device at start-up and reported by name.
 */
#ifndef TF_COUNTER_H
#define TF_COUNTER_H

#include <stdint.h>

/* Picks and starts the counter; SysTick runs in both cases (it also extends the DWT to 64 bits). */
void counter_start(void);

/* Ticks since counter_start, exact across wraps of the hardware counter. */
uint64_t counter_now(void);

/* "dwt" or "systick": which one counter_start picked. */
const char *counter_name(void);

void SysTick_Handler(void);

#endif
