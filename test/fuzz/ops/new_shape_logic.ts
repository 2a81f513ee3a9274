// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the batch/space, gather, cast, comparison, selection, scan and resource-variable
 * ops: BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, GATHER, CAST, ZEROS_LIKE, SELECT_V2, EQUAL,
 * NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, CUMSUM, a streaming state (READ_VARIABLE,
 * CONCATENATION, SLICE, ASSIGN_VARIABLE), MIRROR_PAD, BROADCAST_TO, ARG_MIN and REDUCE_MIN. Channel
 * counts 1, 2, 3, 5, 7, 12, 17, 1x1 images, scales over decades and zero points at both ends; every
 * component stays well under 4 KB of activations.
 *
 * Not here: SELECT (v1), which TFLite Micro does not register, so the oracle cannot run it; ADD_N,
 * whose generator lives in new_math.ts. The streaming-state component batches fine: each inference
 * starts from reset state on both sides (tflm-ref --reset-each resets resource variables to their
 * zero point, as tf_model_reset does), and each component's variable gets its own shared name.
 * GATHER positions are constants in range: a run-time position out of range fails TFLite Micro's
 * Invoke, and the fuzzer's random int32 inputs would be.
 */
import type { DType } from '../../../src/core/ir/graph.ts';
import { type Rand, CHANNELS, chance, count, int, int16Q, int8Q, pick, reducedShape, zeroPoint } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzDType, FuzzGenerator } from './types.ts';
import type { GraphBuilder, Q } from '../../helpers/graph_builder.ts';
import { randomBatchSpace } from '../../helpers/batch_space_cases.ts';
import { addStreamingState } from '../../helpers/variable_cases.ts';

function q(rand: Rand, dtype: FuzzDType, hi = 0): Q {
  return dtype === 'int16' ? int16Q(rand, -5, Math.min(hi, -1)) : int8Q(rand, -4, hi);
}

/** A small shape of rank 1-4 ending in an edge channel count, 1x1 spatially a fifth of the time, at most `max` elements. */
function shapeOf(rand: Rand, rank = int(rand, 1, 4), max = 384): number[] {
  const c = pick(rand, CHANNELS);
  const s = [...Array.from({ length: rank - 1 }, () => (chance(rand, 0.2) ? 1 : int(rand, 1, 4))), c];
  // shrink the largest leading dimension until the tensor fits
  while (count(s) > max) {
    const k = s.slice(0, -1).reduce((best, d, i) => (d > s[best]! ? i : best), 0);
    if (s.length === 1 || s[k]! === 1) break;
    s[k] = Math.ceil(s[k]! / 2);
  }
  return s;
}

/** A shape of rank 1-4 that broadcasts against `out` (dimensions dropped or set to 1). */
function broadcastable(rand: Rand, out: number[]): number[] {
  const rank = int(rand, 1, out.length);
  return out.slice(out.length - rank).map((d) => (chance(rand, 0.3) ? 1 : d));
}

function comparison(kind: string, dtypes: FuzzDType[]): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes,
    generate({ b, rand, dtype }: FuzzContext) {
      const out = shapeOf(rand);
      const [sa, sb] = chance(rand, 0.5) ? [out, out] : chance(rand, 0.5) ? [out, broadcastable(rand, out)] : [broadcastable(rand, out), out];
      // int8 scales below 1 (TFLite Micro aborts otherwise); the same quantization on both sides a third of the time
      const qa = q(rand, dtype, -0.01);
      const qb = chance(rand, 0.33) ? qa : q(rand, dtype, -0.01);
      const a = b.input({ shape: sa!, dtype, q: qa });
      const c = b.input({ shape: sb!, dtype, q: qb });
      emit(b, kind, [a, c], [{ shape: out, dtype: 'bool' }]);
    },
  };
}

function batchSpace(kind: 'SPACE_TO_BATCH_ND' | 'BATCH_TO_SPACE_ND'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      let s = randomBatchSpace(rand, kind === 'SPACE_TO_BATCH_ND', CHANNELS);
      while (count(s.inShape) + count(s.outShape) > 3000) s = randomBatchSpace(rand, kind === 'SPACE_TO_BATCH_ND', CHANNELS);
      const qq = q(rand, 'int8');
      const x = b.input({ shape: s.inShape, q: qq });
      emit(b, kind, [x, b.ints(s.block), b.ints(s.pads, [s.block.length, 2])], [{ shape: s.outShape, q: qq }]);
    },
  };
}

/** REDUCE_MIN over random axes; the output shares the input's quantization, as TFLite Micro requires. */
function reduceMin(b: GraphBuilder, rand: Rand): void {
  const shape = shapeOf(rand, int(rand, 2, 4));
  const axes = shape.map((_, i) => i).filter(() => chance(rand, 0.5));
  if (axes.length === 0) axes.push(shape.length - 1);
  const keep = chance(rand, 0.5);
  const out = reducedShape(shape, axes, keep);
  const qq = q(rand, 'int8');
  const x = b.input({ shape, q: qq });
  emit(b, 'REDUCE_MIN', [x, b.ints(axes)], [{ shape: out, q: qq }], { keepDims: keep });
}

export const generators: FuzzGenerator[] = [
  batchSpace('SPACE_TO_BATCH_ND'),
  batchSpace('BATCH_TO_SPACE_ND'),
  {
    name: 'GATHER',
    ops: ['GATHER'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4), 256);
      const rank = shape.length;
      const axis = int(rand, 0, rank - 1);
      const batchDims = axis > 0 && chance(rand, 0.25) ? int(rand, 1, axis) : 0;
      const posShape = [...shape.slice(0, batchDims), ...Array.from({ length: int(rand, 0, 2) }, () => int(rand, 1, 4))];
      const positions = Array.from({ length: count(posShape) }, () => int(rand, 0, shape[axis]! - 1));
      const qq = q(rand, 'int8');
      const x = b.input({ shape, q: qq });
      const pos = b.ints(positions, posShape);
      const out = [...shape.slice(0, axis), ...posShape.slice(batchDims), ...shape.slice(axis + 1)];
      emit(b, 'GATHER', [x, pos], [{ shape: out, q: qq }], { axis: chance(rand, 0.3) ? axis - rank : axis, batchDims });
    },
  },
  {
    name: 'CAST',
    ops: ['CAST'],
    dtypes: ['int8', 'int16'],
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand);
      const from = pick<DType>(rand, [dtype, 'int32', 'bool', 'float32']);
      const to = pick<DType>(rand, ['int8', 'int16', 'int32', 'float32'].filter((t) => t !== from) as DType[]);
      const x = b.input({ shape, dtype: from });
      emit(b, 'CAST', [x], [{ shape, dtype: to }], { inDataType: from.toUpperCase(), outDataType: to.toUpperCase() });
    },
  },
  {
    name: 'ZEROS_LIKE',
    ops: ['ZEROS_LIKE'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand);
      const dtype = pick<DType>(rand, ['int8', 'int32']);
      const qq = dtype === 'int8' ? q(rand, 'int8') : undefined;
      const x = b.input({ shape, dtype, ...(qq ? { q: qq } : {}) });
      emit(b, 'ZEROS_LIKE', [x], [{ shape, dtype, ...(qq ? { q: qq } : {}) }]);
    },
  },
  {
    name: 'SELECT_V2',
    ops: ['SELECT_V2'],
    dtypes: ['int8', 'int16'],
    generate({ b, rand, dtype }: FuzzContext) {
      const out = shapeOf(rand);
      const shapes = [0, 1, 2].map(() => (chance(rand, 0.4) ? out : broadcastable(rand, out)));
      shapes[int(rand, 0, 2)] = out; // the three broadcast to `out`
      const qq = q(rand, dtype);
      const c = b.input({ shape: shapes[0]!, dtype: 'bool' });
      const x = b.input({ shape: shapes[1]!, dtype, q: qq });
      const z = b.input({ shape: shapes[2]!, dtype, q: qq });
      emit(b, 'SELECT_V2', [c, x, z], [{ shape: out, dtype, q: qq }]);
    },
  },
  comparison('EQUAL', ['int8']),
  comparison('NOT_EQUAL', ['int8']),
  comparison('LESS', ['int8']),
  comparison('LESS_EQUAL', ['int8']),
  comparison('GREATER', ['int8', 'int16']),
  comparison('GREATER_EQUAL', ['int8']),
  {
    name: 'CUMSUM',
    ops: ['CUMSUM'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      // a long scan over few channels a fifth of the time
      const shape = chance(rand, 0.2) ? [int(rand, 8, 40), pick(rand, CHANNELS)] : shapeOf(rand);
      const axis = int(rand, -shape.length, shape.length - 1);
      const qi = q(rand, 'int8', -0.5);
      const qo = { scale: qi.scale * 10 ** (rand() * 2), zeroPoint: zeroPoint(rand) };
      const x = b.input({ shape, q: qi });
      emit(b, 'CUMSUM', [x, b.ints([axis])], [{ shape, q: qo }], { exclusive: chance(rand, 0.5), reverse: chance(rand, 0.5) });
    },
  },
  {
    name: 'STREAMING_STATE',
    ops: ['READ_VARIABLE', 'CONCATENATION', 'SLICE', 'ASSIGN_VARIABLE'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const qq = q(rand, 'int8');
      const withAdd = chance(rand, 0.5);
      addStreamingState(b, {
        frames: int(rand, 1, 4),
        channels: pick(rand, CHANNELS),
        q: qq,
        ...(withAdd ? { add: { q: q(rand, 'int8', -1), out: { scale: qq.scale * 2, zeroPoint: zeroPoint(rand) } } } : {}),
      });
    },
  },
  {
    name: 'MIRROR_PAD',
    ops: ['MIRROR_PAD'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4), 160);
      const mode = pick(rand, ['REFLECT', 'SYMMETRIC'] as const);
      const limit = (d: number) => (mode === 'REFLECT' ? d - 1 : d);
      const pads = shape.flatMap((d) => [int(rand, 0, Math.min(2, limit(d))), int(rand, 0, Math.min(2, limit(d)))]);
      const qq = q(rand, 'int8');
      const x = b.input({ shape, q: qq });
      const out = shape.map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!);
      emit(b, 'MIRROR_PAD', [x, b.ints(pads, [shape.length, 2])], [{ shape: out, q: qq }], { mode });
    },
  },
  {
    name: 'BROADCAST_TO',
    ops: ['BROADCAST_TO'],
    dtypes: ['int8', 'int16'],
    generate({ b, rand, dtype }: FuzzContext) {
      const out = shapeOf(rand, int(rand, 1, 5), 640);
      const shape = broadcastable(rand, out);
      const qq = q(rand, dtype);
      const x = b.input({ shape, dtype, q: qq });
      emit(b, 'BROADCAST_TO', [x, b.ints(out)], [{ shape: out, dtype, q: qq }]);
    },
  },
  {
    name: 'ARG_MIN',
    ops: ['ARG_MIN'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand);
      const axis = int(rand, 0, shape.length - 1);
      const x = b.input({ shape, q: q(rand, 'int8') });
      emit(b, 'ARG_MIN', [x, b.ints([axis])], [{ shape: shape.filter((_, i) => i !== axis), dtype: 'int32' }], { outputType: 'INT32' });
    },
  },
  {
    name: 'REDUCE_MIN',
    ops: ['REDUCE_MIN'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      reduceMin(b, rand);
    },
  },
];
