/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board's console UART, as the platform layer uses it. Each board compiles exactly one driver
 * from uart/ (named by `sources` in its target descriptor); the driver takes its base address and
 * clock from the board's -D flags.
 */
#ifndef TF_CONSOLE_H
#define TF_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* Enables transmit and receive. Safe to call again (the fault reporter does, from any state). */
void console_init(void);

/* Sends bytes, blocking until the UART has taken each one. */
void console_write(const char *text, size_t length);

/* Waits for the next received byte. */
uint8_t console_read_byte(void);

/* Takes a received byte if one is waiting: 1 and the byte in *out, else 0 at once. */
int console_poll_byte(uint8_t *out);

#endif
