/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing of the tinyforge device protocol (docs/protocol.md), device side.
 *
 * On the wire a frame is SOF (0x7E) followed by the escaped content
 *   version u8 | command u8 | sequence u8 | length u16 LE | payload[length] | crc u16 LE
 * where crc is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over
 * version..payload. Inside the content 0x7E and 0x7D are sent as 0x7D followed by the byte xor 0x20,
 * so a raw 0x7E always starts a frame: a receiver that lost its place (garbage, a dropped byte)
 * finds the next frame at the next 0x7E.
 */
#ifndef TF_FRAME_H
#define TF_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define TF_FRAME_SOF 0x7Eu
#define TF_FRAME_ESCAPE 0x7Du
#define TF_FRAME_ESCAPE_XOR 0x20u
#define TF_FRAME_HEADER_BYTES 5u
/* Small enough for a 32-byte UART FIFO drained by polling and for small RAM; the host never sends
 * more than one frame before the answer to the previous one. */
#define TF_FRAME_MAX_PAYLOAD 256u

typedef struct {
  uint8_t version;
  uint8_t command;
  uint8_t sequence;
  uint16_t length;
  uint8_t payload[TF_FRAME_MAX_PAYLOAD];
} tf_frame_t;

typedef enum {
  TF_FRAME_RECEIVED = 0,
  /* the content arrived whole but its CRC did not match (header fields may be wrong too) */
  TF_FRAME_BAD_CRC = 1,
  /* the length field exceeds TF_FRAME_MAX_PAYLOAD; the rest of the frame is skipped */
  TF_FRAME_TOO_LONG = 2,
} tf_frame_status_t;

uint16_t tf_crc16_ccitt(uint16_t crc, const uint8_t *bytes, size_t length);

/* Blocks until a frame arrives (bytes before its SOF are skipped). */
tf_frame_status_t tf_frame_receive(tf_frame_t *frame);

/* Sends one frame with the given header fields and payload. */
void tf_frame_send(uint8_t version, uint8_t command, uint8_t sequence, const uint8_t *payload, size_t length);

#endif
