/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform of the Xtensa firmware on QEMU: the `sim` machine standing in for an ESP32 or
 * ESP32-S3 core, and Espressif's `esp32` / `esp32s3` machines. Exit over QEMU's Xtensa semihosting
 * (`simcall`: call number in a2, arguments in a3..a5; `-semihosting`). The console: on the sim
 * machine semihosting too (QEMU ties file descriptors 0..2 to its first serial, `-serial stdio`); on
 * Espressif's machines (TF_ESP_UART0_BASE defined by the board) the chip's UART0, its FIFO register
 * at the base and its status register at 0x1C (receive count in the low bits, transmit count from
 * bit 16, TF_ESP_UART_COUNT_MASK wide: 8 bits on the ESP32, 10 on the S3). The core's cycle counter
 * CCOUNT is the counter (under QEMU -icount shift=0 one instruction is 1 ns of virtual time, and
 * CCOUNT advances at the core's clock), painted stack.
 */
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "stack_paint.h"
#include "tf_bytes.h"

#define SIM_SYS_EXIT 1
#define SIM_SYS_READ 3
#define SIM_SYS_WRITE 4

extern uint32_t __stack_limit[], __stack_top[];
extern uint32_t __bss_start[], __bss_end[];

extern int main(void);
void tf_reset_continue(void);

const char tf_counter_name[] = "ccount";

static int32_t sim_call(int32_t call, int32_t a, int32_t b, int32_t c) {
  register int32_t a2 __asm__("a2") = call;
  register int32_t a3 __asm__("a3") = a;
  register int32_t a4 __asm__("a4") = b;
  register int32_t a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
  return a2;
}

#ifdef TF_ESP32_DROM_FLASH_PAGE
/*
 * The ESP32's weights in flash behind the data cache (esp32-qemu.ld): the PRO core's MMU entries
 * of the DROM0 window (0x3F400000, 64 KiB pages, DPORT_PRO_FLASH_MMU_TABLE at 0x3FF10000) point at
 * the flash pages from TF_ESP32_DROM_FLASH_PAGE on, written while DROM0 is masked
 * (DPORT_PRO_CACHE_CTRL1 bit 4 MASK_DROM0); then the cache is turned on and flushed
 * (DPORT_PRO_CACHE_CTRL bit 3 CACHE_ENA, bit 4 CACHE_FLUSH_ENA) and DROM0 unmasked. The code runs
 * from internal SRAM, not through the cache.
 */
#define DPORT_PRO_CACHE_CTRL (*(volatile uint32_t *)0x3FF00040u)
#define DPORT_PRO_CACHE_CTRL1 (*(volatile uint32_t *)0x3FF00044u)
#define DPORT_PRO_DROM0_MMU ((volatile uint32_t *)0x3FF10000u)
#define DROM0_PAGES 32u

static void map_weights(void) {
  DPORT_PRO_CACHE_CTRL1 |= 1u << 4;
  for (uint32_t i = 0; i < DROM0_PAGES; i++) DPORT_PRO_DROM0_MMU[i] = (uint32_t)(TF_ESP32_DROM_FLASH_PAGE) + i;
  DPORT_PRO_CACHE_CTRL |= (1u << 3) | (1u << 4);
  DPORT_PRO_CACHE_CTRL1 &= ~(1u << 4);
}
#endif

/* Called by _start once the stack is painted: .data is already in RAM (QEMU loads it there). */
void tf_reset_continue(void) {
#ifdef TF_ESP32_DROM_FLASH_PAGE
  map_weights();
#endif
  tf_fill_bytes(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));
  tf_platform_exit(main());
}

#ifdef TF_ESP_UART0_BASE
#define UART0_FIFO (*(volatile uint32_t *)(TF_ESP_UART0_BASE))
#define UART0_CLKDIV (*(volatile uint32_t *)(TF_ESP_UART0_BASE + 0x14u))
#define UART0_STATUS (*(volatile uint32_t *)(TF_ESP_UART0_BASE + 0x1Cu))
#define RXFIFO_CNT(s) ((s) & (TF_ESP_UART_COUNT_MASK))
#define TXFIFO_CNT(s) (((s) >> 16) & (TF_ESP_UART_COUNT_MASK))
#define TX_FIFO_BYTES 128u

/*
 * The emulator paces what it receives to the divider's baud rate (a FIFO's worth at a time, in
 * virtual time, which -icount ties to instructions): the smallest divider, so the host's frames
 * arrive without waiting on a 115200-baud line that is not there.
 */
void tf_platform_init(void) { UART0_CLKDIV = 1u; }

void tf_platform_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (TXFIFO_CNT(UART0_STATUS) >= TX_FIFO_BYTES - 1u) {
    }
    UART0_FIFO = (uint8_t)text[i];
  }
}

uint8_t tf_platform_read_byte(void) {
  while (RXFIFO_CNT(UART0_STATUS) == 0u) {
  }
  return (uint8_t)(UART0_FIFO & 0xFFu);
}
#else
void tf_platform_init(void) {}

void tf_platform_write(const char *text, size_t length) {
  while (length > 0) {
    int32_t written = sim_call(SIM_SYS_WRITE, 1, (int32_t)(uintptr_t)text, (int32_t)length);
    if (written <= 0) continue;
    text += written;
    length -= (size_t)written;
  }
}

/* QEMU answers a read of an empty console with -1 (EAGAIN) rather than waiting: poll. */
uint8_t tf_platform_read_byte(void) {
  uint8_t byte;
  while (sim_call(SIM_SYS_READ, 0, (int32_t)(uintptr_t)&byte, 1) != 1) {
  }
  return byte;
}
#endif

/*
 * CCOUNT is 32 bits; the harness reads the counter at least once per inference, far more often than
 * its 2^32 counts (about 18 G instructions) go round, so one wrap between two readings is the most.
 */
uint64_t tf_counter_now(void) {
  static uint32_t last;
  static uint64_t high;
  uint32_t now;
  __asm__ volatile("rsr.ccount %0" : "=r"(now));
  if (now < last) high += (uint64_t)1 << 32;
  last = now;
  return high | now;
}

void tf_platform_exit(int status) {
  sim_call(SIM_SYS_EXIT, status, 0, 0);
  for (;;) {
  }
}

/* a1 is the stack pointer of the windowed ABI; read in the caller's frame it is the caller's own */
uintptr_t tf_stack_pointer(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, a1" : "=r"(sp));
  return sp;
}

/*
 * Paints from the limit up to this function's own stack pointer: its frame (and the caller's, above
 * it) stay intact; the words below it are free.
 */
void tf_stack_repaint_free(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, a1" : "=r"(sp));
  for (volatile uint32_t *word = __stack_limit; (uintptr_t)word < sp - 64u; word++) *word = TF_STACK_PATTERN;
}
