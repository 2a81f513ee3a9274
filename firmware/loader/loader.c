/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A boot loader for the emulated MPS2 boards that speaks the device side of ST's USART boot loader
 * protocol (application note AN3155) on the console UART, so that `tinyforge flash` puts an
 * application into an emulated board the way it flashes a real STM32 through its ROM boot loader.
 *
 * It runs from the start of the code memory; the application is linked TF_LOADER_APP_OFFSET bytes
 * further (src/lab/toolchain/firmware.ts `flashOffset`) and written there. QEMU models the MPS2 code
 * memory (ZBT SSRAM1) as RAM, so written bytes stick: "flash" writes are plain stores and an erase
 * fills with 0xFF, the value of erased flash.
 *
 * Commands (AN3155): GET 0x00, GET VERSION 0x01, GET ID 0x02, READ MEMORY 0x11, GO 0x21,
 * WRITE MEMORY 0x31, EXTENDED ERASE 0x44 (mass erase 0xFFFF, or a list of 2 KiB pages). The
 * product id GET ID reports is the core's CPUID part number (0xC24 on a Cortex-M4): no ST part is
 * behind this loader. Writes and erases are refused (NACK) outside the application region, so the
 * loader cannot overwrite itself; reads are allowed in the whole code and data memory.
 *
 * GO checks the application's vector table (initial SP in RAM, a Thumb reset vector in the
 * application region), points VTOR at it, loads MSP and jumps to the reset vector.
 */
#include <stdint.h>
#include <string.h>

#include "console.h"

#ifndef TF_LOADER_APP_OFFSET
#error "TF_LOADER_APP_OFFSET (the application's offset in code memory) must come from the build"
#endif

#define ACK 0x79u
#define NACK 0x1Fu
#define SYNC 0x7Fu
#define LOADER_VERSION 0x10u /* 1.0 */
#define MAX_BLOCK 256u
#define PAGE_BYTES 2048u

#define CMD_GET 0x00u
#define CMD_GET_VERSION 0x01u
#define CMD_GET_ID 0x02u
#define CMD_READ_MEMORY 0x11u
#define CMD_GO 0x21u
#define CMD_WRITE_MEMORY 0x31u
#define CMD_EXTENDED_ERASE 0x44u

#define SCB_CPUID (*(volatile uint32_t *)0xE000ED00u)
#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)

/* From the board's linker script (firmware/cortex-m/sections.ld). */
extern uint8_t __flash_region_start[], __flash_region_end[];
extern uint8_t __ram_region_start[], __ram_region_end[];

static const uint8_t commands[] = {CMD_GET, CMD_GET_VERSION, CMD_GET_ID, CMD_READ_MEMORY, CMD_GO, CMD_WRITE_MEMORY, CMD_EXTENDED_ERASE};

static uint8_t block[MAX_BLOCK];

static void send(uint8_t byte) { console_write((const char *)&byte, 1); }

static uint8_t receive(void) { return console_read_byte(); }

static uintptr_t app_start(void) { return (uintptr_t)__flash_region_start + TF_LOADER_APP_OFFSET; }

static int within(uintptr_t address, uint32_t length, uintptr_t start, uintptr_t end) {
  return address >= start && address <= end && length <= end - address;
}

static int in_app_region(uintptr_t address, uint32_t length) { return within(address, length, app_start(), (uintptr_t)__flash_region_end); }

static int readable(uintptr_t address, uint32_t length) {
  return within(address, length, (uintptr_t)__flash_region_start, (uintptr_t)__flash_region_end) ||
         within(address, length, (uintptr_t)__ram_region_start, (uintptr_t)__ram_region_end);
}

/* Four address bytes, most significant first, and their XOR; 0 when the checksum is wrong. */
static int receive_address(uintptr_t *address) {
  uint8_t bytes[4];
  uint8_t check = 0;
  for (int i = 0; i < 4; i++) {
    bytes[i] = receive();
    check ^= bytes[i];
  }
  if (receive() != check) return 0;
  *address = ((uintptr_t)bytes[0] << 24) | ((uintptr_t)bytes[1] << 16) | ((uintptr_t)bytes[2] << 8) | bytes[3];
  return 1;
}

static void get(void) {
  send(ACK);
  send((uint8_t)sizeof commands); /* N: the version byte and N command codes follow */
  send(LOADER_VERSION);
  for (unsigned i = 0; i < sizeof commands; i++) send(commands[i]);
  send(ACK);
}

static void get_version(void) {
  send(ACK);
  send(LOADER_VERSION);
  send(0); /* option bytes: none */
  send(0);
  send(ACK);
}

static void get_id(void) {
  uint32_t part = (SCB_CPUID >> 4) & 0xFFFu;
  send(ACK);
  send(1);
  send((uint8_t)(part >> 8));
  send((uint8_t)part);
  send(ACK);
}

static void read_memory(void) {
  uintptr_t address;
  send(ACK);
  if (!receive_address(&address)) {
    send(NACK);
    return;
  }
  send(ACK);
  uint8_t n = receive();
  uint8_t check = receive();
  uint32_t length = (uint32_t)n + 1u;
  if ((uint8_t)(n ^ check) != 0xFFu || !readable(address, length)) {
    send(NACK);
    return;
  }
  send(ACK);
  console_write((const char *)address, length);
}

static void write_memory(void) {
  uintptr_t address;
  send(ACK);
  if (!receive_address(&address) || !in_app_region(address, 4)) {
    send(NACK);
    return;
  }
  send(ACK);
  uint8_t n = receive();
  uint32_t length = (uint32_t)n + 1u;
  uint8_t check = n;
  for (uint32_t i = 0; i < length; i++) {
    block[i] = receive();
    check ^= block[i];
  }
  if (receive() != check || length % 4u != 0u || !in_app_region(address, length)) {
    send(NACK);
    return;
  }
  memcpy((void *)address, block, length);
  send(ACK);
}

static uint16_t receive_u16(uint8_t *check) {
  uint8_t high = receive();
  uint8_t low = receive();
  *check ^= (uint8_t)(high ^ low);
  return (uint16_t)((high << 8) | low);
}

static void extended_erase(void) {
  send(ACK);
  uint8_t check = 0;
  uint16_t n = receive_u16(&check);
  if (n == 0xFFFFu) { /* mass erase: the whole application region */
    if (receive() != check) {
      send(NACK);
      return;
    }
    memset((void *)app_start(), 0xFF, (size_t)((uintptr_t)__flash_region_end - app_start()));
    send(ACK);
    return;
  }
  if (n >= 0xFFF0u) { /* bank erases and reserved codes: this memory has no banks */
    (void)receive();
    send(NACK);
    return;
  }
  /* The page list is checked whole before anything is erased. The loader's own pages are refused. */
  static uint16_t pages[MAX_BLOCK];
  uint32_t count = (uint32_t)n + 1u;
  int ok = count <= MAX_BLOCK;
  for (uint32_t i = 0; i < count; i++) {
    uint16_t page = receive_u16(&check);
    if (i < MAX_BLOCK) pages[i] = page;
    ok = ok && in_app_region((uintptr_t)__flash_region_start + (uintptr_t)page * PAGE_BYTES, PAGE_BYTES);
  }
  if (receive() != check || !ok) {
    send(NACK);
    return;
  }
  for (uint32_t i = 0; i < count; i++)
    memset((void *)((uintptr_t)__flash_region_start + (uintptr_t)pages[i] * PAGE_BYTES), 0xFF, PAGE_BYTES);
  send(ACK);
}

static void __attribute__((noreturn)) start_application(uintptr_t base) {
  const volatile uint32_t *vectors = (const volatile uint32_t *)base;
  uint32_t stack = vectors[0];
  uint32_t reset = vectors[1];
  SCB_VTOR = (uint32_t)base;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  __asm__ volatile("msr msp, %0\n\tbx %1" ::"r"(stack), "r"(reset) : "memory");
  __builtin_unreachable();
}

static void go(void) {
  uintptr_t address;
  send(ACK);
  if (!receive_address(&address) || !in_app_region(address, 8)) {
    send(NACK);
    return;
  }
  const volatile uint32_t *vectors = (const volatile uint32_t *)address;
  uint32_t stack = vectors[0];
  uint32_t reset = vectors[1];
  int stack_ok = stack > (uintptr_t)__ram_region_start && stack <= (uintptr_t)__ram_region_end && stack % 8u == 0u;
  int reset_ok = (reset & 1u) == 1u && in_app_region(reset & ~1u, 2);
  if (!stack_ok || !reset_ok) {
    send(NACK);
    return;
  }
  send(ACK);
  start_application(address);
}

int main(void) {
  console_init();
  /* Autobaud: the first 0x7F is the host's sync; anything before it is line noise. */
  while (receive() != SYNC) {
  }
  send(ACK);
  for (;;) {
    uint8_t code = receive();
    uint8_t complement = receive();
    if ((uint8_t)(code ^ complement) != 0xFFu) {
      send(NACK);
      continue;
    }
    switch (code) {
    case CMD_GET:
      get();
      break;
    case CMD_GET_VERSION:
      get_version();
      break;
    case CMD_GET_ID:
      get_id();
      break;
    case CMD_READ_MEMORY:
      read_memory();
      break;
    case CMD_WRITE_MEMORY:
      write_memory();
      break;
    case CMD_EXTENDED_ERASE:
      extended_erase();
      break;
    case CMD_GO:
      go();
      break;
    default:
      send(NACK);
      break;
    }
  }
}
