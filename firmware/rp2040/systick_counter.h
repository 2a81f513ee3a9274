/* A 64-bit count of core clock cycles built from SysTick (24 bits, clk_sys) and its wrap interrupt. */
#ifndef TF_SYSTICK_COUNTER_H
#define TF_SYSTICK_COUNTER_H

#include <stdint.h>

/* The reload value; tests build with a small one to exercise the wrap path in a short run. */
#ifndef TF_SYSTICK_RELOAD
#define TF_SYSTICK_RELOAD 0x00FFFFFFu
#endif

void systick_counter_start(void);
uint64_t systick_counter_now(void);
void SysTick_Handler(void);

#endif
