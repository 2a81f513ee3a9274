// SPDX-License-Identifier: Apache-2.0
/**
 * A custom op's options: the bytes of `Operator.custom_options`, a FlexBuffers map (the format
 * TFLite's converter and TFLite Micro's signal library use for every custom op's parameters). Read
 * and written with the flatbuffers package's FlexBuffers codec; integers come out as numbers.
 */
import { encode, toObject } from 'flatbuffers/js/flexbuffers.js';

export type CustomOptionValue = number | boolean | string | CustomOptionValue[] | { [key: string]: CustomOptionValue };

function plain(v: unknown): CustomOptionValue {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Array.from(v);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v as CustomOptionValue;
}

/** The options map, or a thrown Error with one line saying why the bytes are not a FlexBuffers map. */
export function decodeCustomOptions(bytes: Uint8Array): Record<string, CustomOptionValue> {
  let value: unknown;
  try {
    value = toObject(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new Error(`custom options are not a FlexBuffers map (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('custom options are not a FlexBuffers map');
  return plain(value) as Record<string, CustomOptionValue>;
}

/** The FlexBuffers bytes of an options map, as TFLite's converter writes them (keys sorted). */
export function encodeCustomOptions(options: Record<string, CustomOptionValue>): Uint8Array {
  return encode(options);
}
