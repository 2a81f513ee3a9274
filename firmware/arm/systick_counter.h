/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A 64-bit tick counter built from SysTick (24 bits, on the processor clock) and its wrap
 * interrupt: the same peripheral on every Armv6-M and Armv7-M/Armv8-M core, so the Cortex-M and
 * RP2040 firmware share it.
 */
#ifndef TF_SYSTICK_COUNTER_H
#define TF_SYSTICK_COUNTER_H

#include <stdint.h>

/* The reload value; tests build with a small one to exercise the wrap path in a short run. */
#ifndef TF_SYSTICK_RELOAD
#define TF_SYSTICK_RELOAD 0x00FFFFFFu
#endif

void systick_counter_start(void);
uint64_t systick_counter_now(void);
/* Counts one wrap; a SysTick exception handler that does more (cortex-m/counter.c) calls it. */
void systick_counter_count_wrap(void);
/* The default SysTick exception handler (weak): it only counts the wrap. */
void SysTick_Handler(void);

#endif
