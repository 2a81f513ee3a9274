// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for EMBEDDING_LOOKUP, GATHER_ND, REVERSE_V2, DYNAMIC_UPDATE_SLICE, BROADCAST_ARGS and
 * FILL. Their float32 and hybrid forms are these int8 generators run through float.ts's float view.
 *
 * Index tensors the fuzzer would fill with random int32s that TFLite Micro fails on (EMBEDDING_LOOKUP
 * ids, GATHER_ND indices) are constants in range; DYNAMIC_UPDATE_SLICE's start indices are also run-
 * time inputs (any int32 is clamped). BROADCAST_ARGS's first shape is a run-time input beside a
 * constant shape of ones (random extents never disagree with a 1).
 */
import type { DType } from '../../../src/core/ir/graph.ts';
import { type Rand, CHANNELS, chance, count, int, int16Q, int8Q, int8s, pick } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzDType, FuzzGenerator } from './types.ts';
import type { Q } from '../../helpers/graph_builder.ts';

function q(rand: Rand, dtype: FuzzDType): Q {
  return dtype === 'int16' ? int16Q(rand, -5, -1) : int8Q(rand, -4, 0);
}

/** A small shape of rank `rank` ending in an edge channel count. */
function shapeOf(rand: Rand, rank: number): number[] {
  return [...Array.from({ length: rank - 1 }, () => (chance(rand, 0.2) ? 1 : int(rand, 1, 4))), pick(rand, CHANNELS)];
}

export const generators: FuzzGenerator[] = [
  {
    name: 'EMBEDDING_LOOKUP',
    ops: ['EMBEDDING_LOOKUP'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const valueShape = [int(rand, 1, 9), ...shapeOf(rand, int(rand, 1, 3))];
      const n = int(rand, 1, 6);
      const ids = Array.from({ length: n }, () => int(rand, 0, valueShape[0]! - 1));
      // a fifth of the time int8 values into float32 rows (the hybrid kernel: zero point 0)
      const hybrid = chance(rand, 0.2);
      const qv = hybrid ? { scale: q(rand, 'int8').scale, zeroPoint: 0 } : q(rand, 'int8');
      const value = chance(rand, 0.5) ? b.input({ shape: valueShape, q: qv }) : b.constant({ shape: valueShape, q: qv }, int8s(rand, count(valueShape)));
      const out = [n, ...valueShape.slice(1)];
      emit(b, 'EMBEDDING_LOOKUP', [b.ints(ids), value], [hybrid ? { shape: out, dtype: 'float32' } : { shape: out, q: qv }]);
    },
  },
  {
    name: 'GATHER_ND',
    ops: ['GATHER_ND'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4));
      const nd = int(rand, 1, shape.length);
      const lead = Array.from({ length: int(rand, 0, 2) }, () => int(rand, 1, 4));
      const idx: number[] = [];
      for (let r = 0; r < count(lead); r++) for (let j = 0; j < nd; j++) idx.push(int(rand, 0, shape[j]! - 1));
      const qq = q(rand, 'int8');
      const x = b.input({ shape, q: qq });
      emit(b, 'GATHER_ND', [x, b.ints(idx, [...lead, nd])], [{ shape: [...lead, ...shape.slice(nd)], q: qq }]);
    },
  },
  {
    name: 'REVERSE_V2',
    ops: ['REVERSE_V2'],
    dtypes: ['int8', 'int16'],
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 5));
      const rank = shape.length;
      const lo = int(rand, 0, rank - 1);
      const hi = int(rand, lo, rank - 1);
      const axes = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k).map((a) => (chance(rand, 0.3) ? a - rank : a));
      if (chance(rand, 0.5)) axes.reverse();
      // the int8 form draws the other element types TFLite Micro reverses now and then
      const t: DType = dtype === 'int16' ? 'int16' : pick<DType>(rand, ['int8', 'int8', 'int8', 'int32', 'bool', 'uint8']);
      const spec = t === 'int8' || t === 'int16' ? { shape, dtype: t, q: q(rand, dtype) } : { shape, dtype: t };
      const x = b.input(spec);
      emit(b, 'REVERSE_V2', [x, b.ints(axes)], [spec]);
    },
  },
  {
    name: 'DYNAMIC_UPDATE_SLICE',
    ops: ['DYNAMIC_UPDATE_SLICE'],
    dtypes: ['int8', 'int16'],
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4));
      const upd = shape.map((d) => int(rand, 1, d));
      const qq = q(rand, dtype);
      const x = b.input({ shape, dtype, q: qq });
      const u = chance(rand, 0.5)
        ? b.input({ shape: upd, dtype, q: qq })
        : b.constant(
            { shape: upd, dtype, q: qq },
            dtype === 'int16' ? Int16Array.from({ length: count(upd) }, () => int(rand, -32768, 32767)) : int8s(rand, count(upd)),
          );
      const starts = shape.map((d) => int(rand, -2, d + 1));
      const start = chance(rand, 0.4)
        ? b.input({ shape: [shape.length], dtype: 'int32' })
        : chance(rand, 0.5)
          ? b.ints(starts)
          : b.constant({ shape: [shape.length], dtype: 'int64' }, BigInt64Array.from(starts, BigInt));
      emit(b, 'DYNAMIC_UPDATE_SLICE', [x, u, start], [{ shape, dtype, q: qq }]);
    },
  },
  {
    name: 'BROADCAST_ARGS',
    ops: ['BROADCAST_ARGS'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const t = pick(rand, ['int32', 'int64'] as const);
      const len1 = int(rand, 1, 5);
      const len2 = int(rand, 1, 5);
      const s1 = b.input({ shape: [len1], dtype: t });
      const ones = t === 'int32' ? new Int32Array(len2).fill(1) : new BigInt64Array(len2).fill(1n);
      const s2 = b.constant({ shape: [len2], dtype: t }, ones);
      const [a, c] = chance(rand, 0.5) ? [s1, s2] : [s2, s1];
      emit(b, 'BROADCAST_ARGS', [a, c], [{ shape: [Math.max(len1, len2)], dtype: t }]);
    },
  },
  {
    name: 'FILL',
    ops: ['FILL'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4));
      const dims = pick<DType>(rand, ['int32', 'int64', 'int16', 'int8']);
      const values =
        dims === 'int64'
          ? BigInt64Array.from(shape, BigInt)
          : dims === 'int16'
            ? Int16Array.from(shape)
            : dims === 'int8'
              ? Int8Array.from(shape)
              : Int32Array.from(shape);
      const d = b.constant({ shape: [shape.length], dtype: dims }, values);
      const spec = chance(rand, 0.25) ? { dtype: 'int32' as DType } : { q: q(rand, 'int8') };
      const v = b.input({ shape: [], ...spec });
      emit(b, 'FILL', [d, v], [{ shape, ...spec }]);
    },
  },
];
