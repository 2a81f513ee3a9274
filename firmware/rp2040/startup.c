/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reset and exception vectors of the RP2040 firmware (Cortex-M0+, Armv6-M: Thumb-1 only, no FPU).
 * The second stage (boot2.c) enters Reset_Handler with VTOR and the stack pointer set from this
 * table. Reset paints the stack (before anything uses it), copies .data, zeroes .bss and calls main.
 * Faults print a TF ERROR line and end the run, so a crash in generated code shows up as a clear
 * error instead of a timeout.
 */
#include <stdint.h>
#include "tf_bytes.h"

#include "platform.h"
#include "stack_paint.h"
#include "systick_counter.h"
#include "uart.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

extern int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void tf_report_fault(const uint32_t *frame, uint32_t exception);

static void __attribute__((used, noreturn)) reset_continue(void) {
  size_t data_bytes = (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start);
  tf_copy_bytes(__data_start, __data_load, data_bytes);
  size_t bss_bytes = (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start);
  tf_fill_bytes(__bss_start, 0, bss_bytes);
  tf_platform_exit(main());
}

/* Naked so that it touches no stack before the paint: every word from __stack_limit to the SP. */
void __attribute__((naked, noreturn)) Reset_Handler(void) {
  __asm__ volatile("ldr r0, =__stack_limit\n\t"
                   "ldr r1, =" TF_STACK_PATTERN_TEXT "\n\t"
                   "mov r2, sp\n"
                   "1:\n\t"
                   "cmp r0, r2\n\t"
                   "bhs 2f\n\t"
                   "stmia r0!, {r1}\n\t"
                   "b 1b\n"
                   "2:\n\t"
                   "ldr r0, =reset_continue\n\t"
                   "bx r0\n\t"
                   ".ltorg\n");
}

/* Every other exception: report which one and where it happened (the stacked PC). */
void __attribute__((naked)) Default_Handler(void) {
  __asm__ volatile("mov r0, lr\n\t"
                   "movs r1, #4\n\t"
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

#define NUM_EXTERNAL_IRQS 32
#define UART0_IRQ_NUMBER 20

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vector_table[16 + NUM_EXTERNAL_IRQS] = {
    [0] = (vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,  /* NMI */
    [3] = Default_Handler,  /* HardFault (Armv6-M has no other fault exceptions) */
    [11] = Default_Handler, /* SVCall */
    [14] = Default_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 ... 16 + UART0_IRQ_NUMBER - 1] = Default_Handler,
    [16 + UART0_IRQ_NUMBER] = UART0_IRQ_Handler,
    [16 + UART0_IRQ_NUMBER + 1 ... 16 + NUM_EXTERNAL_IRQS - 1] = Default_Handler,
};
