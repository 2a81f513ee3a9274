/* SPDX-License-Identifier: Apache-2.0 */
/*
 * setjmp for the Xtensa firmware. A C library without an Xtensa port (newlib 3.3.0 built for the
 * ESP32 cores) has no setjmp: restoring a stack pointer is not enough under the windowed ABI, whose
 * callers' registers may still sit in the register file. GCC's own __builtin_setjmp/__builtin_longjmp
 * spill the windows first. This header shadows the C library's (the family folder comes first on
 * the include path); the harness only ever jumps with the value 1, all __builtin_longjmp can pass.
 */
#ifndef TF_XTENSA_SETJMP_H
#define TF_XTENSA_SETJMP_H

typedef void *jmp_buf[5];

#define setjmp(env) __builtin_setjmp(env)
#define longjmp(env, value) __builtin_longjmp(env, value)

#endif
