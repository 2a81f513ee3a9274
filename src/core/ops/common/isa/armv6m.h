/* SPDX-License-Identifier: Apache-2.0 */
/* What the Armv6-M kernels (Cortex-M0/M0+, the RP2040) share between their C and their assembly:
 * whether this build runs the assembly, and the build-time check that a struct field the assembly
 * reads sits at the offset the assembly was written for. Each kernel's header defines its offsets
 * once (TF_M0_PW_K ...): the .S reads them as immediates, the C checks them against offsetof.
 * Safe to include from a .S file, which gets the function frame macros below (the C parts are hidden
 * from the assembler). */
#ifndef TF_M0PLUS_H
#define TF_M0PLUS_H

/* The assembly (.S files, assembled to nothing elsewhere) runs on Thumb-1 Armv6-M only; host tests
 * and other targets run the C twins of the same arithmetic. */
#if defined(__thumb__) && defined(__ARM_ARCH_6M__)
#define TF_M0_NATIVE 1
#else
#define TF_M0_NATIVE 0
#endif

#ifdef __ASSEMBLER__
/* assembler source, whose operands clang-format would respace as C */
/* clang-format off */
/* A global function in its own section (dropped when unused); weak: two models linked into one image
 * each ship the same file. */
        .macro tf_m0_function name
        .section .text.\name, "ax", %progbits
        .balign 4
        .weak \name
        .type \name, %function
        .thumb_func
\name:
        .endm

/* Saves r4..r11 (AAPCS callee-saved) / restores them and returns. */
        .macro tf_m0_save_r4_r11
        push {r4, r5, r6, r7, lr}
        mov r4, r8
        mov r5, r9
        mov r6, r10
        mov r7, r11
        push {r4, r5, r6, r7}
        .endm
        .macro tf_m0_restore_r4_r11_return
        pop {r4, r5, r6, r7}
        mov r8, r4
        mov r9, r5
        mov r10, r6
        mov r11, r7
        pop {r4, r5, r6, r7, pc}
        .endm
/* clang-format on */
#else
#include <stddef.h>
/* the family header of the Armv6-M targets (isa.h): Thumb-1 has none of the DSP primitives, so all
 * of them are portable.h's plain C */
#include "portable.h"
/* and TFLite's requantization from 32-bit products, which the kernels several families share take here */
#include "m0plus_rq.h"
/* A compile error (an array of size -1) unless `type`'s `field` lies at byte `offset`: C99 has no
 * _Static_assert, and a file-scope typedef compiles to nothing. */
#define TF_M0_CHECK_OFFSET(type, field, offset) \
  typedef char tf_m0_offset_check_##type##_##field[(offsetof(type, field) == (offset)) ? 1 : -1]
#define TF_M0_CHECK_SIZE(type, size) typedef char tf_m0_size_check_##type[(sizeof(type) == (size)) ? 1 : -1]
#endif

#endif
