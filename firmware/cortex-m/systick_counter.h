/* A 64-bit tick counter built from SysTick (24 bits) and its wrap interrupt. */
#ifndef TF_SYSTICK_COUNTER_H
#define TF_SYSTICK_COUNTER_H

#include <stdint.h>

/* The reload value; tests build with a small one to exercise the wrap path in a short run. */
#ifndef TF_SYSTICK_RELOAD
#define TF_SYSTICK_RELOAD 0x00FFFFFFu
#endif

void systick_counter_start(void);
uint64_t systick_counter_now(void);
/* Called by the SysTick exception handler (counter.c) on every wrap. */
void systick_counter_count_wrap(void);

#endif
