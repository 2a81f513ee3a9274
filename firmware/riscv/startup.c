/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reset and trap entry of the RISC-V firmware (machine mode, rv32imc). _start sets the global
 * pointer and the stack, paints the stack (before anything uses it), installs the trap vector, then
 * C copies .data, zeroes .bss and calls main. A trap (illegal instruction, misaligned or faulting
 * access) prints a TF ERROR line and ends the run, so a crash shows as a clear error, not a timeout.
 */
#include <stdint.h>
#include "tf_bytes.h"

#include "platform.h"
#include "stack_paint.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

extern int main(void);
void _start(void);
void tf_trap_entry(void);
void tf_report_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval);

static void __attribute__((used, noreturn)) reset_continue(void) {
  size_t data_bytes = (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start);
  tf_copy_bytes(__data_start, __data_load, data_bytes);
  size_t bss_bytes = (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start);
  tf_fill_bytes(__bss_start, 0, bss_bytes);
  tf_platform_exit(main());
}

void __attribute__((naked, noreturn, section(".text.start"))) _start(void) {
  __asm__ volatile(".option push\n\t"
                   ".option norelax\n\t"
                   "la gp, __global_pointer$\n\t"
                   ".option pop\n\t"
                   "la sp, __stack_top\n\t"
                   "la t0, __stack_limit\n\t"
                   "li t1, " TF_STACK_PATTERN_TEXT "\n"
                   "1:\n\t"
                   "bgeu t0, sp, 2f\n\t"
                   "sw t1, 0(t0)\n\t"
                   "addi t0, t0, 4\n\t"
                   "j 1b\n"
                   "2:\n\t"
                   "la t0, tf_trap_entry\n\t"
                   "csrw mtvec, t0\n\t"
                   "j reset_continue\n");
}

/* Direct-mode trap vector (4-byte aligned): hands the cause, the faulting pc and the value to C. */
void __attribute__((naked, aligned(4))) tf_trap_entry(void) {
  __asm__ volatile("csrr a0, mcause\n\t"
                   "csrr a1, mepc\n\t"
                   "csrr a2, mtval\n\t"
                   "j tf_report_trap\n");
}
