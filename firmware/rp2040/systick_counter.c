/*
 * SysTick counts down from RELOAD to 0 on the processor clock (CLKSOURCE = 1, clk_sys) and raises
 * its exception on the 1 -> 0 step; the handler counts those wraps. A read combines the wrap count
 * with the current value. A wrap that has happened but whose exception is still pending (we read
 * with interrupts masked) shows as ICSR.PENDSTSET: it is counted here and the value re-read, since
 * the first read may predate the wrap. Armv6-M has no DWT cycle counter, so this is the cycle count.
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

void SysTick_Handler(void) { wraps = wraps + 1u; }

void systick_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = TF_SYSTICK_RELOAD;
  SYST_CVR = 0; /* any write clears it; the next clock edge loads RELOAD */
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
  uint64_t position = value == 0u ? 0u : TICKS_PER_WRAP - value;
  return (uint64_t)wrap_count * TICKS_PER_WRAP + position;
}
