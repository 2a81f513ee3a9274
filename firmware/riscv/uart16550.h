/* SPDX-License-Identifier: Apache-2.0 */
/* A 16550-compatible UART with byte-spaced registers (QEMU virt's console at 0x10000000). */
#ifndef TF_UART16550_H
#define TF_UART16550_H

#include <stddef.h>
#include <stdint.h>

void uart16550_init(uintptr_t base);
void uart16550_write(uintptr_t base, const char *text, size_t length);
uint8_t uart16550_read_byte(uintptr_t base);

#endif
