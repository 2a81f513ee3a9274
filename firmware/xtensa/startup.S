/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reset, exception vectors and start of the Xtensa firmware on QEMU's `sim` machine with the ESP32
 * (LX6) or ESP32-S3 (LX7) core. QEMU resets the core after loading the ELF, so execution starts at
 * the reset vector 0x50000000 whatever the ELF entry says: the reset vector jumps to _start. The
 * windowed ABI needs the window overflow/underflow handlers, laid out at the offsets the ISA fixes
 * from VECBASE; any other exception ends the run with exit status 0x80 | EXCCAUSE (semihosting
 * SYS_exit), so a crash shows as a failed run, not a timeout. The same start serves Espressif's
 * QEMU machines, where QEMU jumps to _start (-kernel) or the chip's ROM does after loading the image
 * from flash.
 */
#include "stack_paint.h"

	.section .ResetVector.text, "ax"
	.global _ResetVector
_ResetVector:
	j	1f
	.align	4
.Lstart_address:
	.word	_start
1:	l32r	a2, .Lstart_address
	jx	a2

	.section .vectors.text, "ax"
	.begin	no-transform
	.align	4
	.global	tf_vector_table
tf_vector_table:
	.org	0x000	/* WindowOverflow4 */
	s32e	a0, a5, -16
	s32e	a1, a5, -12
	s32e	a2, a5, -8
	s32e	a3, a5, -4
	rfwo
	.org	0x040	/* WindowUnderflow4 */
	l32e	a0, a5, -16
	l32e	a1, a5, -12
	l32e	a2, a5, -8
	l32e	a3, a5, -4
	rfwu
	.org	0x080	/* WindowOverflow8 */
	s32e	a0, a9, -16
	l32e	a0, a1, -12
	s32e	a1, a9, -12
	s32e	a2, a9, -8
	s32e	a3, a9, -4
	s32e	a4, a0, -32
	s32e	a5, a0, -28
	s32e	a6, a0, -24
	s32e	a7, a0, -20
	rfwo
	.org	0x0c0	/* WindowUnderflow8 */
	l32e	a1, a9, -12
	l32e	a0, a9, -16
	l32e	a7, a1, -12
	l32e	a2, a9, -8
	l32e	a4, a7, -32
	l32e	a3, a9, -4
	l32e	a5, a7, -28
	l32e	a6, a7, -24
	l32e	a7, a7, -20
	rfwu
	.org	0x100	/* WindowOverflow12 */
	s32e	a0, a13, -16
	l32e	a0, a1, -12
	s32e	a1, a13, -12
	s32e	a2, a13, -8
	s32e	a3, a13, -4
	s32e	a4, a0, -48
	s32e	a5, a0, -44
	s32e	a6, a0, -40
	s32e	a7, a0, -36
	s32e	a8, a0, -32
	s32e	a9, a0, -28
	s32e	a10, a0, -24
	s32e	a11, a0, -20
	rfwo
	.org	0x140	/* WindowUnderflow12 */
	l32e	a1, a13, -12
	l32e	a0, a13, -16
	l32e	a11, a1, -12
	l32e	a2, a13, -8
	l32e	a4, a11, -48
	l32e	a8, a11, -32
	l32e	a3, a13, -4
	l32e	a5, a11, -44
	l32e	a6, a11, -40
	l32e	a7, a11, -36
	l32e	a9, a11, -28
	l32e	a10, a11, -24
	l32e	a11, a11, -20
	rfwu
	.org	0x300	/* KernelExceptionVector */
	j	.Lfatal_exception
	.org	0x340	/* UserExceptionVector */
.Lfatal_exception:
	rsr.exccause a3
	movi	a2, 0x80
	or	a3, a3, a2
	movi	a2, 1	/* SYS_exit */
	simcall
1:	j	1b
	.org	0x3c0	/* DoubleExceptionVector */
	movi	a3, 0xff
	movi	a2, 1
	simcall
2:	j	2b
	.end	no-transform

	.text
	.global	_start
	.align	4
_start:
	/* no interrupt source: a ROM that booted the image may have left some enabled */
	movi	a2, 0
	wsr.intenable a2
	movi	a2, tf_vector_table
	wsr.vecbase a2
	/* QEMU resets WINDOWSTART to 0: mark the current window as the live one */
	movi	a2, 0
	wsr.windowbase a2
	rsync
	movi	a2, 1
	wsr.windowstart a2
	rsync
	/* paint the stack before anything uses it (the harness reads its high-water mark) */
	movi	a1, __stack_top - 16
	movi	a2, __stack_limit
	movi	a3, TF_STACK_PATTERN
3:	bgeu	a2, a1, 4f
	s32i	a3, a2, 0
	addi	a2, a2, 4
	j	3b
4:
	/* PS: window overflow exceptions on, user vector mode, interrupt level 0 */
	movi	a2, 0x40020
	wsr.ps	a2
	rsync
	/* the FPU is coprocessor 0: enabled, or the first float instruction traps */
	movi	a2, 0xff
	wsr.cpenable a2
	rsync
	movi	a0, 0
	call4	tf_reset_continue
5:	j	5b
