/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CRC a platform that knows its image reports in HELLO (platform.h's tf_platform_image):
 * CRC-32/MPEG-2 (polynomial 0x04c11db7, not reflected, initial 0xffffffff, no final xor: the RP2040
 * boot ROM's checksum, src/lab/toolchain/rp2040/boot2.ts) a nibble at a time, with a 16-entry table.
 */
#ifndef TF_IMAGE_CRC_H
#define TF_IMAGE_CRC_H
#include <stdint.h>

static inline uint32_t tf_image_crc32(const uint8_t *bytes, uint32_t length) {
  static const uint32_t nibble[16] = {
      0x00000000u, 0x04c11db7u, 0x09823b6eu, 0x0d4326d9u, 0x130476dcu, 0x17c56b6bu, 0x1a864db2u, 0x1e475005u,
      0x2608edb8u, 0x22c9f00fu, 0x2f8ad6d6u, 0x2b4bcb61u, 0x350c9b64u, 0x31cd86d3u, 0x3c8ea00au, 0x384fbdbdu,
  };
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < length; i++) {
    crc = (crc << 4) ^ nibble[(crc >> 28) ^ (uint32_t)(bytes[i] >> 4)];
    crc = (crc << 4) ^ nibble[(crc >> 28) ^ (uint32_t)(bytes[i] & 0x0fu)];
  }
  return crc;
}

/*
 * tf_platform_image for an image whose linker script puts .data's initial values last in flash (the
 * RP2040's rp2040.ld, the Cortex-M sections.ld): from `first` (the image's first byte in flash) to
 * the end of those values, and its CRC.
 */
extern uint32_t __data_load[], __data_start[], __data_end[];

static inline int tf_image_through_data(const uint8_t *first, const uint8_t **start, uint32_t *bytes, uint32_t *crc) {
  *start = first;
  *bytes = (uint32_t)((uintptr_t)__data_load + ((uintptr_t)__data_end - (uintptr_t)__data_start) - (uintptr_t)first);
  *crc = tf_image_crc32(first, *bytes);
  return 1;
}

#endif
