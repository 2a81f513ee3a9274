/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Start of the ESP32-S3 kernel checks on Espressif's QEMU `esp32s3` machine (esp32s3-pie-check.ld):
 * the C is compiled for the CALL0 ABI (no register windows, no window exception vectors needed), so
 * start-up only sets the stack, enables the coprocessors (the PIE instructions need theirs) and calls
 * main; its return value is the exit status, over semihosting SYS_exit. The 32-bit divisions the
 * compiler calls and the two single-precision helpers its libgcc lacks are the core's divide and
 * floating-point instructions, in the CALL0 ABI (float arguments and results in address registers).
 */
	.text
	.global	_start
	.align	4
_start:
	movi	a1, __stack_top
	movi	a2, 0xff
	wsr	a2, cpenable
	rsync
	call0	main
	mov	a3, a2
	movi	a2, 1
	simcall
1:	j	1b

	.global	__divsi3
	.align	4
__divsi3:
	quos	a2, a2, a3
	ret
	.global	__udivsi3
	.align	4
__udivsi3:
	quou	a2, a2, a3
	ret
	.global	__modsi3
	.align	4
__modsi3:
	rems	a2, a2, a3
	ret
	.global	__umodsi3
	.align	4
__umodsi3:
	remu	a2, a2, a3
	ret

	.global	__floatsisf
	.align	4
__floatsisf:
	float.s	f0, a2, 0
	rfr	a2, f0
	ret
	.global	__mulsf3
	.align	4
__mulsf3:
	wfr	f0, a2
	wfr	f1, a3
	mul.s	f0, f0, f1
	rfr	a2, f0
	ret
