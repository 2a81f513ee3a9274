/* SPDX-License-Identifier: Apache-2.0 */
/* Arm semihosting calls of emulated runs (QEMU: -semihosting-config enable=on): the exit, and the
 * console the stdio link carries the device protocol on. */
#ifndef TF_SEMIHOSTING_H
#define TF_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

/* Ends the emulated run with `status` as the emulator's exit status (0 = success). */
void semihosting_exit(int status) __attribute__((noreturn));

/* 1 when the emulator's semihosting command line holds SEMIHOSTING_CONSOLE_ARG (the host's stdio
 * link asks for the console so), else 0. */
#define SEMIHOSTING_CONSOLE_ARG "tinyforge-console=semihosting"
int semihosting_console_requested(void);

/* The console on the emulator's standard input and output (the ":tt" handles). */
void semihosting_console_write(const char *text, size_t length);
uint8_t semihosting_console_read_byte(void);

#endif
