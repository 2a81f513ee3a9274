/* Arm CMSDK APB UART (the MPS2 FPGA images' console), transmit side only. */
#ifndef TF_CMSDK_UART_H
#define TF_CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

void cmsdk_uart_init(uintptr_t base, uint32_t peripheral_clock_hz, uint32_t baud);
void cmsdk_uart_write(uintptr_t base, const char *text, size_t length);

#endif
