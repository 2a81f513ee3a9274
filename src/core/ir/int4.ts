// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite's INT4 packing (TensorType INT4 = 17; TFLite's tensor_utils unpacks it the same way): the
 * values of the whole tensor in order, two a byte, element 2i in the LOW nibble of byte i and
 * element 2i+1 in the high nibble; an odd count takes ceil(n/2) bytes and the last high nibble is
 * padding (written 0, ignored on read).
 */

export const INT4_MIN = -8;
export const INT4_MAX = 7;

/** Whether every value fits a signed nibble. */
export function fitsInt4(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < INT4_MIN || v > INT4_MAX) return false;
  }
  return true;
}

/** int8 bytes (one value each, as `Tensor.data`) of `count` values -> TFLite's packed INT4 bytes. */
export function packInt4(data: Uint8Array | Int8Array, count = data.length): Uint8Array {
  const values = new Int8Array(data.buffer, data.byteOffset, count);
  if (!fitsInt4(values)) throw new RangeError('packInt4: a value lies outside [-8, 7]');
  const packed = new Uint8Array(Math.ceil(count / 2));
  for (let i = 0; i < count; i++) packed[i >> 1]! |= (values[i]! & 0x0f) << ((i & 1) * 4);
  return packed;
}

/** TFLite's packed INT4 bytes -> `count` int8 values, one byte each (the IR's `Tensor.data`). */
export function unpackInt4(packed: Uint8Array, count: number): Uint8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1]! >> ((i & 1) * 4)) & 0x0f;
    out[i] = nibble >= 8 ? nibble - 16 : nibble;
  }
  return new Uint8Array(out.buffer);
}
