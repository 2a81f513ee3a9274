/* SPDX-License-Identifier: Apache-2.0 */
/* Framing of the device protocol: see tf_frame.h and docs/protocol.md. */
#include "tf_frame.h"

#include "platform.h"

uint16_t tf_crc16_ccitt(uint16_t crc, const uint8_t *bytes, size_t length) {
  for (size_t i = 0; i < length; i++) {
    crc ^= (uint16_t)((uint16_t)bytes[i] << 8);
    for (int bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
  }
  return crc;
}

/* Reads one content byte, undoing the escape. Returns 0 when a raw SOF arrives: a new frame starts. */
static int read_content(uint8_t *out) {
  uint8_t byte = tf_platform_read_byte();
  if (byte == TF_FRAME_SOF) return 0;
  if (byte == TF_FRAME_ESCAPE) {
    byte = tf_platform_read_byte();
    if (byte == TF_FRAME_SOF) return 0;
    byte ^= TF_FRAME_ESCAPE_XOR;
  }
  *out = byte;
  return 1;
}

/* Reads the content after an SOF. Returns 0 if another SOF cut it short (the caller starts over). */
static int receive_content(tf_frame_t *frame, tf_frame_status_t *status) {
  uint8_t header[TF_FRAME_HEADER_BYTES];
  for (unsigned i = 0; i < TF_FRAME_HEADER_BYTES; i++) {
    if (!read_content(&header[i])) return 0;
  }
  frame->version = header[0];
  frame->command = header[1];
  frame->sequence = header[2];
  frame->length = (uint16_t)(header[3] | (header[4] << 8));
  if (frame->length > TF_FRAME_MAX_PAYLOAD) {
    *status = TF_FRAME_TOO_LONG;
    return 1;
  }
  for (unsigned i = 0; i < frame->length; i++) {
    if (!read_content(&frame->payload[i])) return 0;
  }
  uint8_t crc_bytes[2];
  for (unsigned i = 0; i < 2; i++) {
    if (!read_content(&crc_bytes[i])) return 0;
  }
  uint16_t crc = tf_crc16_ccitt(0xFFFFu, header, sizeof header);
  crc = tf_crc16_ccitt(crc, frame->payload, frame->length);
  *status = crc == (uint16_t)(crc_bytes[0] | (crc_bytes[1] << 8)) ? TF_FRAME_RECEIVED : TF_FRAME_BAD_CRC;
  return 1;
}

tf_frame_status_t tf_frame_receive(tf_frame_t *frame) {
  while (tf_platform_read_byte() != TF_FRAME_SOF) {
  }
  tf_frame_status_t status = TF_FRAME_BAD_CRC;
  while (!receive_content(frame, &status)) {
  }
  return status;
}

/* Escaped output goes through a small buffer so the console is written in runs, not byte by byte. */
typedef struct {
  char bytes[64];
  size_t used;
} out_buffer_t;

static void out_raw(out_buffer_t *out, uint8_t byte) {
  if (out->used == sizeof out->bytes) {
    tf_platform_write(out->bytes, out->used);
    out->used = 0;
  }
  out->bytes[out->used++] = (char)byte;
}

static void out_content(out_buffer_t *out, const uint8_t *bytes, size_t length) {
  for (size_t i = 0; i < length; i++) {
    if (bytes[i] == TF_FRAME_SOF || bytes[i] == TF_FRAME_ESCAPE) {
      out_raw(out, TF_FRAME_ESCAPE);
      out_raw(out, bytes[i] ^ TF_FRAME_ESCAPE_XOR);
    } else {
      out_raw(out, bytes[i]);
    }
  }
}

void tf_frame_send(uint8_t version, uint8_t command, uint8_t sequence, const uint8_t *payload, size_t length) {
  const uint8_t header[TF_FRAME_HEADER_BYTES] = {version, command, sequence, (uint8_t)(length & 0xffu), (uint8_t)(length >> 8)};
  uint16_t crc = tf_crc16_ccitt(0xFFFFu, header, sizeof header);
  crc = tf_crc16_ccitt(crc, payload, length);
  const uint8_t crc_bytes[2] = {(uint8_t)(crc & 0xffu), (uint8_t)(crc >> 8)};
  out_buffer_t out;
  out.used = 0;
  out_raw(&out, TF_FRAME_SOF);
  out_content(&out, header, sizeof header);
  out_content(&out, payload, length);
  out_content(&out, crc_bytes, sizeof crc_bytes);
  tf_platform_write(out.bytes, out.used);
}
