// SPDX-License-Identifier: Apache-2.0
/**
 * `.npy` arrays for datasets: numpy's own format (versions 1-3, C order, little-endian), read into
 * numbers whatever the element type (float64 and int64 included, numpy's defaults), and written
 * (float32 / int32 / uint8 / int8) for tools that make data sets.
 */
import { TinyforgeError } from '../../core/errors.ts';
import { NPY_MAGIC, readNpyHeader } from '../../core/model/npy.ts';

export interface NumericArray {
  shape: number[];
  /** the values in C order */
  values: Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array;
  /** the values are integers (an integer or boolean dtype) */
  integer: boolean;
}

export function parseNpyArray(bytes: Uint8Array, source: string): NumericArray {
  const { descr, shape, start } = readNpyHeader(bytes, source);
  const count = shape.reduce((n, d) => n * d, 1);
  const kind = descr.slice(1);
  const itemBytes = Number(descr.slice(2));
  if (descr[0] === '>' && itemBytes > 1) throw new TinyforgeError(`${source}: big-endian .npy data (${descr}) is not supported`);
  if (start + count * itemBytes > bytes.length) throw new TinyforgeError(`${source}: truncated .npy data (expected ${count * itemBytes} bytes)`);
  // a copy (Buffer.slice would share the file buffer) so that typed arrays start aligned
  const data = new Uint8Array(bytes.subarray(start, start + count * itemBytes)).buffer;
  switch (kind) {
    case 'f4':
      return { shape, values: new Float32Array(data), integer: false };
    case 'f8':
      return { shape, values: new Float64Array(data), integer: false };
    case 'i1':
      return { shape, values: new Int8Array(data), integer: true };
    case 'u1':
    case 'b1':
      return { shape, values: new Uint8Array(data), integer: true };
    case 'i2':
      return { shape, values: new Int16Array(data), integer: true };
    case 'u2':
      return { shape, values: new Uint16Array(data), integer: true };
    case 'i4':
      return { shape, values: new Int32Array(data), integer: true };
    case 'u4':
      return { shape, values: new Uint32Array(data), integer: true };
    case 'i8':
    case 'u8': {
      const wide = kind === 'i8' ? new BigInt64Array(data) : new BigUint64Array(data);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(wide[i]!);
      return { shape, values: out, integer: true };
    }
    default:
      throw new TinyforgeError(`${source}: .npy dtype ${descr} is not supported (float16/32/64, int8-64, uint8-64, bool)`);
  }
}

const DESCR: Record<string, string> = { Float32Array: '<f4', Int32Array: '<i4', Uint8Array: '|u1', Int8Array: '|i1' };

/** A version 1.0 `.npy` file holding `values` with `shape`. */
export function npyBytes(values: Float32Array | Int32Array | Uint8Array | Int8Array, shape: readonly number[]): Uint8Array {
  const descr = DESCR[values.constructor.name]!;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic + version + length + header + newline, padded to a multiple of 64 bytes
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}
