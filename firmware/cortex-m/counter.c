/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counter selection. Armv7-M and Armv8-M Mainline cores may have the DWT's 32-bit cycle counter
 * CYCCNT: DEMCR.TRCENA (0xE000EDFC bit 24) powers the DWT, DWT_CTRL (0xE0001000) bit 25 NOCYCCNT
 * says it is absent, bit 0 CYCCNTENA starts it, CYCCNT is at 0xE0001004. Some cores lock the DWT
 * (Cortex-M7: the lock access register at 0xE0001FB0 takes the key 0xC5ACCE55; elsewhere it is
 * ignored). Whether it really counts is checked by running a short loop: QEMU 7.2 reads the DWT
 * as zeros, so there CYCCNT stays 0 and SysTick is used instead. Armv6-M (Cortex-M0/M0+) has no
 * CYCCNT at all: SysTick directly.
 *
 * CYCCNT wraps every 2^32 cycles. SysTick keeps running with its wrap interrupt even when the DWT is
 * used, and its handler samples CYCCNT, so a wrap of CYCCNT is always seen (SysTick wraps every
 * 2^24 cycles at most) and the 64-bit count stays exact.
 */
#include "counter.h"

#include "systick_counter.h"

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
#define HAS_DWT_CYCCNT 1
#else
#define HAS_DWT_CYCCNT 0
#endif

#if HAS_DWT_CYCCNT
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL_NOCYCCNT (1u << 25)
#define DWT_CTRL_CYCCNTENA 1u
#define DWT_UNLOCK_KEY 0xC5ACCE55u
/* Enough work that a running counter must have moved, short enough to be free at start-up. */
#define PROBE_LOOPS 64u

static int use_dwt;
static uint32_t dwt_last;
static uint32_t dwt_wraps;

static int dwt_cycle_counter_runs(void) {
  DEMCR |= DEMCR_TRCENA;
  DWT_LAR = DWT_UNLOCK_KEY;
  if (DWT_CTRL & DWT_CTRL_NOCYCCNT) return 0;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  for (volatile uint32_t i = 0; i < PROBE_LOOPS; i++) {
  }
  return DWT_CYCCNT != 0u;
}

/* With interrupts masked or from the SysTick handler: folds a CYCCNT wrap into the count. */
static uint64_t dwt_extend(void) {
  uint32_t now = DWT_CYCCNT;
  if (now < dwt_last) dwt_wraps++;
  dwt_last = now;
  return ((uint64_t)dwt_wraps << 32) | now;
}
#endif

void SysTick_Handler(void) {
  systick_counter_count_wrap();
#if HAS_DWT_CYCCNT
  if (use_dwt) (void)dwt_extend();
#endif
}

void counter_start(void) {
#if HAS_DWT_CYCCNT
  use_dwt = dwt_cycle_counter_runs();
  if (use_dwt) {
    DWT_CYCCNT = 0;
    dwt_last = 0;
    dwt_wraps = 0;
  }
#endif
  systick_counter_start();
}

uint64_t counter_now(void) {
#if HAS_DWT_CYCCNT
  if (use_dwt) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    uint64_t now = dwt_extend();
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
    return now;
  }
#endif
  return systick_counter_now();
}

const char *counter_name(void) {
#if HAS_DWT_CYCCNT
  if (use_dwt) return "dwt";
#endif
  return "systick";
}
