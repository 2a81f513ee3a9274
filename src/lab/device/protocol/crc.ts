// SPDX-License-Identifier: Apache-2.0
/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final xor
 * (check value 0x29B1 for the ASCII bytes "123456789"). The device computes the same bit by bit
 * (firmware/common/tf_frame.c); here a table makes it byte by byte.
 */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

export const CRC16_INIT = 0xffff;

export function crc16Ccitt(bytes: Uint8Array, crc = CRC16_INIT): number {
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}
