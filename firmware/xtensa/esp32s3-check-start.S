/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Start of the ESP32-S3 kernel checks on Espressif's QEMU `esp32s3` machine (esp32s3-pie-check.ld):
 * the C is compiled for the CALL0 ABI (no register windows, no window exception vectors needed), so
 * start-up only sets the stack, enables the coprocessors (the PIE instructions need theirs) and calls
 * main; its return value is the exit status, over semihosting SYS_exit.
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
