/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reset and exception vectors for the Cortex-M firmware. Reset runs, in order: FPU access on (before
 * any code the compiler may have given floating-point instructions), stack painting (before anything
 * uses the stack), every external interrupt disabled, .data copy, .bss zeroing, then main. Faults print a TF ERROR line and end the run,
 * so a crash in generated code shows up as a clear error instead of a timeout. Cortex-M0 (the
 * micro:bit) has no VTOR, and an image for it must be linked at address 0.
 */
#include <stdint.h>
#include "tf_bytes.h"

#include "platform.h"
#include "stack_paint.h"
#include "counter.h"

/* Symbols of the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[], __arena_start[], __arena_end[];
extern uint32_t __stack_limit[], __stack_top[];

extern int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void tf_report_fault(const uint32_t *frame, uint32_t exception);

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__)
#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define HAS_VTOR 1
#endif

/*
 * The table holds the 16 system exceptions only: this firmware enables no external interrupt (the
 * consoles are polled), and reset_continue disables every one a boot loader may have left enabled,
 * so no external vector is ever fetched (a table of 48 entries would cost 128 more bytes of flash).
 * NVIC_ICER0 (0xE000E180) and on: a 1 clears an interrupt's enable; registers past the implemented
 * interrupts read as zero and ignore writes (Armv7-M/Armv8-M: 8 resp. 16 of them; Armv6-M: one).
 */
#define NVIC_ICER ((volatile uint32_t *)0xE000E180u)
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8M_BASE__)
#define NVIC_ICER_COUNT 16
#elif defined(HAS_VTOR)
#define NVIC_ICER_COUNT 8
#else
#define NVIC_ICER_COUNT 1
#endif

typedef void (*vector_t)(void);
static const vector_t vector_table[16];

/*
 * Reached from Reset_Handler with FPU on and the stack painted; plain C from here. The vector table
 * is made current first: an image linked above address 0 (behind a boot loader, which jumps to our
 * reset handler with its own table still in VTOR) must take its exceptions itself.
 */
static void __attribute__((used, noreturn)) reset_continue(void) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1 /* a loop: GCC would unroll the stores (32 bytes against 12) */
#endif
  for (int i = 0; i < NVIC_ICER_COUNT; i++) NVIC_ICER[i] = 0xFFFFFFFFu;
#ifdef HAS_VTOR
  SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  size_t data_bytes = (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start);
  tf_copy_bytes(__data_start, __data_load, data_bytes);
  size_t bss_bytes = (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start);
  tf_fill_bytes(__bss_start, 0, bss_bytes);
  tf_fill_bytes(__arena_start, 0, (size_t)((uintptr_t)__arena_end - (uintptr_t)__arena_start));
  tf_platform_exit(main());
}

/*
 * Naked so that it touches no stack before the paint: CPACR (0xE000ED88) grants CP10/CP11 full
 * access when the core has an FPU, then every word from __stack_limit up to the initial SP gets
 * the pattern. Thumb-1 instructions only, so it also runs on Armv6-M.
 */
void __attribute__((naked, noreturn)) Reset_Handler(void) {
  __asm__ volatile(".syntax unified\n\t"
#if defined(__ARM_FP)
                   "ldr r0, =0xE000ED88\n\t"
                   "ldr r1, [r0]\n\t"
                   "ldr r2, =0x00F00000\n\t"
                   "orrs r1, r1, r2\n\t"
                   "str r1, [r0]\n\t"
                   "dsb\n\t"
                   "isb\n\t"
#endif
                   "ldr r0, =__stack_limit\n\t"
                   "ldr r1, =" TF_STACK_PATTERN_TEXT "\n\t"
                   "mov r2, sp\n"
                   "1:\n\t"
                   "cmp r0, r2\n\t"
                   "bhs 2f\n\t"
                   "str r1, [r0]\n\t"
                   "adds r0, r0, #4\n\t"
                   "b 1b\n"
                   "2:\n\t"
                   "bl reset_continue\n\t"
                   ".ltorg\n");
}

/* Every other exception: report which one and where it happened (the stacked PC). */
void __attribute__((naked)) Default_Handler(void) {
  __asm__ volatile(".syntax unified\n\t"
                   "movs r0, #4\n\t"
                   "mov r1, lr\n\t"
                   "tst r0, r1\n\t"
                   "beq 1f\n\t"
                   "mrs r0, psp\n\t"
                   "b 2f\n"
                   "1:\n\t"
                   "mrs r0, msp\n"
                   "2:\n\t"
                   "mrs r1, ipsr\n\t"
                   "ldr r2, =tf_report_fault\n\t"
                   "bx r2\n\t"
                   ".ltorg\n");
}

__attribute__((section(".vectors"), used)) static const vector_t vector_table[16] = {
    [0] = (vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,  /* NMI */
    [3] = Default_Handler,  /* HardFault */
    [4] = Default_Handler,  /* MemManage */
    [5] = Default_Handler,  /* BusFault */
    [6] = Default_Handler,  /* UsageFault */
    [11] = Default_Handler, /* SVCall */
    [12] = Default_Handler, /* DebugMonitor */
    [14] = Default_Handler, /* PendSV */
    [15] = SysTick_Handler,
};
