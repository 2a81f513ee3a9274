// SPDX-License-Identifier: Apache-2.0
/**
 * Random one-op cases of EMBEDDING_LOOKUP, GATHER_ND, REVERSE_V2, DYNAMIC_UPDATE_SLICE,
 * BROADCAST_ARGS and FILL over their shapes, dtypes and options (constant and run-time index
 * tensors), for the op tests, the emulated runs and the fuzzer's generators.
 */
import type { DType } from '../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import type { CCase, TensorSpec } from './op_harness.ts';
import { randomInt, randomInt16, randomInt8, singleOpGraph } from './op_harness.ts';
import { randomFloats } from './float_cases.ts';

export type OpCase = Omit<CCase, 'def'>;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Random stored values of `dtype` (floats of mixed sign and magnitude, zeros and -0 among them). */
export function randomValues(rand: () => number, dtype: DType, n: number): TensorBuffer {
  switch (dtype) {
    case 'float32':
      return randomFloats(rand, n);
    case 'int8':
      return randomInt8(rand, n);
    case 'uint8':
      return Uint8Array.from({ length: n }, () => randomInt(rand, 0, 255));
    case 'bool':
      return Uint8Array.from({ length: n }, () => randomInt(rand, 0, 1));
    case 'int16':
      return randomInt16(rand, n);
    case 'int32':
      return Int32Array.from({ length: n }, () => randomInt(rand, -2e9, 2e9));
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(randomInt(rand, -2e9, 2e9)) * BigInt(randomInt(rand, -3, 3)));
    default:
      throw new Error(`no random values of ${dtype}`);
  }
}

/** A tensor spec of `dtype`, quantized when int8/int16 (the ops move stored values: any scale). */
export function spec(shape: number[], dtype: DType, extra: Partial<TensorSpec> = {}): TensorSpec {
  const q = dtype === 'int8' || dtype === 'int16' ? { scale: 0.05, zeroPoint: dtype === 'int8' ? -3 : 0 } : {};
  return { shape, dtype, ...q, ...extra };
}

const randomShape = (rand: () => number, rank: number, hi = 4) => Array.from({ length: rank }, () => randomInt(rand, 1, hi));

/** One case: the graph and the values of its non-constant inputs. */
function make(kind: string, inputs: { spec: TensorSpec; values: TensorBuffer; constant: boolean }[], outputs: TensorSpec[]): OpCase {
  const g = singleOpGraph(
    kind,
    inputs.map((i) => (i.constant ? { ...i.spec, data: i.values } : i.spec)),
    outputs,
  );
  return { ...g, inputs: inputs.filter((i) => !i.constant).map((i) => i.values) };
}

export type EmbeddingForm = 'float32' | 'int8' | 'hybrid';

/** EMBEDDING_LOOKUP: float32 rows, int8 rows, or int8 values into float32 rows (hybrid); ids constant or not. */
export function embeddingLookupCase(rand: () => number, form: EmbeddingForm, constantIds: boolean, constantValue = !constantIds && rand() < 0.5): OpCase {
  const rank = randomInt(rand, 2, 4);
  const valueShape = [randomInt(rand, 1, 6), ...randomShape(rand, rank - 1)];
  const n = randomInt(rand, 1, 5);
  const ids = Int32Array.from({ length: n }, () => randomInt(rand, 0, valueShape[0]! - 1));
  const vtype: DType = form === 'float32' ? 'float32' : 'int8';
  const vspec = form === 'hybrid' ? { shape: valueShape, dtype: 'int8' as DType, scale: 0.0371, zeroPoint: 0 } : spec(valueShape, vtype);
  const out = [n, ...valueShape.slice(1)];
  return make(
    'EMBEDDING_LOOKUP',
    [
      { spec: { shape: [n], dtype: 'int32' }, values: ids, constant: constantIds },
      { spec: vspec, values: randomValues(rand, vtype, count(valueShape)), constant: constantValue },
    ],
    [form === 'int8' ? spec(out, 'int8') : { shape: out, dtype: 'float32' }],
  );
}

/** GATHER_ND: int8 or float32 params of rank 1-4, index rows of 1..rank coordinates, in range. */
export function gatherNdCase(rand: () => number, dtype: 'int8' | 'float32', constantIndices: boolean): OpCase {
  const rank = randomInt(rand, 1, 4);
  const shape = randomShape(rand, rank);
  const nd = randomInt(rand, 1, rank);
  const lead = randomShape(rand, randomInt(rand, 0, 2), 3);
  const rows = count(lead);
  const idx = new Int32Array(rows * nd);
  for (let r = 0; r < rows; r++) for (let j = 0; j < nd; j++) idx[r * nd + j] = randomInt(rand, 0, shape[j]! - 1);
  return make(
    'GATHER_ND',
    [
      { spec: spec(shape, dtype), values: randomValues(rand, dtype, count(shape)), constant: false },
      { spec: { shape: [...lead, nd], dtype: 'int32' }, values: idx, constant: constantIndices },
    ],
    [spec([...lead, ...shape.slice(nd)], dtype)],
  );
}

export const REVERSE_DTYPES: DType[] = ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];

/** REVERSE_V2 over 1..rank contiguous axes (some negative, in any order). */
export function reverseV2Case(rand: () => number, dtype: DType): OpCase {
  const rank = randomInt(rand, 1, 5);
  const shape = randomShape(rand, rank);
  const lo = randomInt(rand, 0, rank - 1);
  const hi = randomInt(rand, lo, rank - 1);
  const axes = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k).map((a) => (rand() < 0.3 ? a - rank : a));
  if (rand() < 0.5) axes.reverse();
  return make(
    'REVERSE_V2',
    [
      { spec: spec(shape, dtype), values: randomValues(rand, dtype, count(shape)), constant: false },
      { spec: { shape: [axes.length], dtype: 'int32' }, values: Int32Array.from(axes), constant: true },
    ],
    [spec(shape, dtype)],
  );
}

export const DUS_DTYPES: DType[] = ['float32', 'int8', 'int16', 'int32'];

/** DYNAMIC_UPDATE_SLICE: starts anywhere in [-3, dim + 2] (clamped), int32 or int64, constant or not. */
export function dynamicUpdateSliceCase(rand: () => number, dtype: DType, indexType: 'int32' | 'int64', constantStart: boolean): OpCase {
  const rank = randomInt(rand, 1, 4);
  const shape = randomShape(rand, rank, 5);
  const upd = shape.map((d) => randomInt(rand, 1, d));
  const starts = shape.map((d) => randomInt(rand, -3, d + 2));
  return make(
    'DYNAMIC_UPDATE_SLICE',
    [
      { spec: spec(shape, dtype), values: randomValues(rand, dtype, count(shape)), constant: false },
      { spec: spec(upd, dtype), values: randomValues(rand, dtype, count(upd)), constant: rand() < 0.3 },
      {
        spec: { shape: [rank], dtype: indexType },
        values: indexType === 'int32' ? Int32Array.from(starts) : BigInt64Array.from(starts, BigInt),
        constant: constantStart,
      },
    ],
    [spec(shape, dtype)],
  );
}

/** BROADCAST_ARGS on two shapes that broadcast, int32 or int64, run-time (or constant: folded). */
export function broadcastArgsCase(rand: () => number, dtype: 'int32' | 'int64', constant = false): OpCase {
  const outLen = randomInt(rand, 1, 5);
  const full = randomShape(rand, outLen, 6);
  const side = () => {
    const len = randomInt(rand, 1, outLen);
    return full.slice(outLen - len).map((d) => (rand() < 0.4 ? 1 : d));
  };
  const a = side();
  const b = side();
  // the longer side decides the length; TFLite Micro writes the model's output length
  const len = Math.max(a.length, b.length);
  const t = (v: number[]) => (dtype === 'int32' ? Int32Array.from(v) : BigInt64Array.from(v, BigInt));
  return make(
    'BROADCAST_ARGS',
    [
      { spec: { shape: [a.length], dtype }, values: t(a), constant },
      { spec: { shape: [b.length], dtype }, values: t(b), constant },
    ],
    [{ shape: [len], dtype }],
  );
}

export const FILL_DTYPES: DType[] = ['float32', 'int32', 'int8'];

/** FILL with constant dims (any integer type TFLite Micro compares) and a run-time scalar value. */
export function fillCase(rand: () => number, dtype: DType, dimsType: DType = (['int32', 'int64', 'int16', 'int8'] as DType[])[randomInt(rand, 0, 3)]!): OpCase {
  const shape = randomShape(rand, randomInt(rand, 1, 4), 5);
  const dims: TensorBuffer =
    dimsType === 'int64'
      ? BigInt64Array.from(shape, BigInt)
      : dimsType === 'int16'
        ? Int16Array.from(shape)
        : dimsType === 'int8'
          ? Int8Array.from(shape)
          : Int32Array.from(shape);
  return make(
    'FILL',
    [
      { spec: { shape: [shape.length], dtype: dimsType }, values: dims, constant: true },
      { spec: spec([], dtype), values: randomValues(rand, dtype, 1), constant: false },
    ],
    [spec(shape, dtype)],
  );
}
