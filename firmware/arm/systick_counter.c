/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SysTick counts down from RELOAD to 0 on the processor clock (CLKSOURCE = 1; clk_sys on the RP2040)
 * and raises its exception on the 1 -> 0 step; the handler counts those wraps. A read combines the
 * wrap count with the current value. A wrap that has happened but whose exception is still pending
 * (we read with interrupts masked) shows as ICSR.PENDSTSET: it is counted here and the value is
 * re-read, since the first read may predate the wrap.
 *
 * Under QEMU with `-icount shift=0` every instruction advances virtual time by 1 ns, so one tick
 * is (1e9 / processor clock) instructions: 40 on the 25 MHz MPS2 AN385/AN386/AN500, 50 on the
 * 20 MHz AN505, 62.5 on the 16 MHz micro:bit (checked by test/device, which times a loop of known
 * length on each board). The RP2040 (Armv6-M) has no DWT cycle counter, so there this is the cycle
 * count.
 */
#include "systick_counter.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

#define CSR_ENABLE 0x1u
#define CSR_TICKINT 0x2u
#define CSR_CLKSOURCE_PROCESSOR 0x4u
#define ICSR_PENDSTSET (1u << 26)
#define TICKS_PER_WRAP ((uint64_t)TF_SYSTICK_RELOAD + 1u)

static volatile uint32_t wraps;

void systick_counter_count_wrap(void) { wraps = wraps + 1u; }

/*
 * Weak so that a family whose handler has more to do (cortex-m/counter.c also extends the DWT cycle
 * count) defines its own; here the increment is inlined, keeping the interrupt as short as it can be.
 */
__attribute__((weak)) void SysTick_Handler(void) { systick_counter_count_wrap(); }

void systick_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = TF_SYSTICK_RELOAD;
  SYST_CVR = 0; /* any write clears it; the first clock edge then loads RELOAD */
  wraps = 0;
  SYST_CSR = CSR_CLKSOURCE_PROCESSOR | CSR_TICKINT | CSR_ENABLE;
}

uint64_t systick_counter_now(void) {
  uint32_t primask;
  __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
  uint32_t wrap_count = wraps;
  uint32_t value = SYST_CVR;
  if (SCB_ICSR & ICSR_PENDSTSET) {
    value = SYST_CVR;
    wrap_count++;
  }
  __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
  /* Position within the period: 0 at the wrap (value 0), then 1 at RELOAD, up to RELOAD at 1. */
  uint64_t position = value == 0u ? 0u : TICKS_PER_WRAP - value;
  return (uint64_t)wrap_count * TICKS_PER_WRAP + position;
}
