// SPDX-License-Identifier: Apache-2.0
import { DType, Tensor, elementCount } from './graph.ts';

export type TensorBuffer = Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array;

/** A zero-filled typed array for `count` elements of `dtype`. */
export function allocBuffer(dtype: DType, count: number): TensorBuffer {
  switch (dtype) {
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'uint64':
      return new BigUint64Array(count);
    case 'float32':
      return new Float32Array(count);
  }
}

/**
 * A typed array over little-endian raw bytes, copied so that the result is aligned whatever the
 * source offset (flatbuffer buffers are not always aligned for the element size).
 */
export function fromBytes(dtype: DType, bytes: Uint8Array): TensorBuffer {
  const copy = new Uint8Array(bytes);
  switch (dtype) {
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
    case 'bool':
      return copy;
    case 'int16':
      return new Int16Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    case 'uint32':
      return new Uint32Array(copy.buffer);
    case 'int64':
      return new BigInt64Array(copy.buffer);
    case 'uint64':
      return new BigUint64Array(copy.buffer);
    case 'float32':
      return new Float32Array(copy.buffer);
  }
}

export function toBytes(buf: TensorBuffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The constant contents of a tensor as a typed array, or a zeroed buffer for an activation. */
export function tensorBuffer(t: Tensor): TensorBuffer {
  return t.data ? fromBytes(t.dtype, t.data) : allocBuffer(t.dtype, elementCount(t.shape));
}

/**
 * The byte a variable tensor (recurrent state) is reset to: TFLite Micro resets int8 state to its
 * zero point and every other type to zero.
 */
export function variableResetByte(t: Tensor): number {
  return t.dtype === 'int8' ? (t.quant?.zeroPoint[0] ?? 0) & 0xff : 0;
}

/** A variable tensor's value right after a reset. */
export function resetVariable(t: Tensor): TensorBuffer {
  const buf = allocBuffer(t.dtype, elementCount(t.shape));
  toBytes(buf).fill(variableResetByte(t));
  return buf;
}
