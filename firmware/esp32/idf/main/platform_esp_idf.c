/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform (platform.h) of tinyforge's device harness on ESP-IDF: console on UART0 through the
 * UART driver, the CPU's cycle counter (CCOUNT on Xtensa, the performance counter on RISC-V, both
 * read by esp_cpu_get_cycle_count), the main task's stack painted and scanned.
 *
 * The cycle counter is 32 bits wide: it wraps every 2^32 cycles (17.9 s at 240 MHz). The 64-bit count
 * below extends it on every read, so it stays exact as long as two reads are less than a wrap apart
 * (every inference of the models tinyforge targets on these chips takes far less).
 *
 * Built by ESP-IDF only (idf.py); it is not compiled by tinyforge's own checks.
 */
#include <stddef.h>
#include <stdint.h>

#include "driver/uart.h"
#include "esp_cpu.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#include "platform.h"

#define TF_UART UART_NUM_0
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200
#endif
#define TF_UART_RX_BUFFER 2048
#define STACK_PATTERN 0xC0FFEE55u
/* words left unpainted below the painting function's own frame */
#define PAINT_MARGIN_WORDS 32u

const char tf_counter_name[] = "cpu_cycles";

static uint32_t *stack_low;
static uint32_t *stack_high;
static uint32_t last_cycles;
static uint64_t cycle_wraps;

static void paint_below(uintptr_t limit) {
  for (uint32_t *word = stack_low; (uintptr_t)(word + PAINT_MARGIN_WORDS) < limit; word++) *word = STACK_PATTERN;
}

void tf_platform_init(void) {
  const uart_config_t config = {
      .baud_rate = TF_CONSOLE_BAUD,
      .data_bits = UART_DATA_8_BITS,
      .parity = UART_PARITY_DISABLE,
      .stop_bits = UART_STOP_BITS_1,
      .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
      .source_clk = UART_SCLK_DEFAULT,
  };
  uart_driver_install(TF_UART, TF_UART_RX_BUFFER, 0, 0, NULL, 0);
  uart_param_config(TF_UART, &config);
  stack_low = (uint32_t *)pxTaskGetStackStart(NULL);
  stack_high = stack_low + CONFIG_ESP_MAIN_TASK_STACK_SIZE / sizeof(uint32_t);
  paint_below((uintptr_t)__builtin_frame_address(0));
  last_cycles = esp_cpu_get_cycle_count();
}

void tf_platform_write(const char *text, size_t length) { uart_write_bytes(TF_UART, text, length); }

uint8_t tf_platform_read_byte(void) {
  uint8_t byte;
  while (uart_read_bytes(TF_UART, &byte, 1, portMAX_DELAY) != 1) {
  }
  return byte;
}

uint64_t tf_counter_now(void) {
  uint32_t now = esp_cpu_get_cycle_count();
  if (now < last_cycles) cycle_wraps++;
  last_cycles = now;
  return (cycle_wraps << 32) | now;
}

static const uint32_t *lowest_touched(void) {
  const uint32_t *word = stack_low;
  while (word < stack_high && *word == STACK_PATTERN) word++;
  return word;
}

size_t tf_stack_high_water(void) { return (size_t)((uintptr_t)stack_high - (uintptr_t)lowest_touched()); }

size_t tf_stack_capacity(void) { return (size_t)((uintptr_t)stack_high - (uintptr_t)stack_low); }

void tf_stack_repaint_free(void) { paint_below((uintptr_t)__builtin_frame_address(0)); }

size_t tf_stack_used_below(uintptr_t mark) {
  uintptr_t lowest = (uintptr_t)lowest_touched();
  return lowest < mark ? (size_t)(mark - lowest) : 0u;
}

uintptr_t tf_stack_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }

void tf_platform_exit(int status) {
  (void)status;
  uart_wait_tx_done(TF_UART, portMAX_DELAY);
  for (;;) vTaskDelay(portMAX_DELAY);
}
