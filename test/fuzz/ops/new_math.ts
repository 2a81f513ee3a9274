// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the elementwise math ops: ABS and RSQRT (int8 and int16), ELU, GELU (both
 * settings), DIV (broadcasts, fused activations), LOG_SOFTMAX. Random shapes of rank 1 to 4 (a few KB at most),
 * scales over decades and zero points at the int8 extremes.
 *
 * TFLite Micro aborts on some inputs of two of them, so the components keep their inputs valid by
 * construction: RSQRT reads an ABS output (never below its zero point: TFLM fails on negative
 * inputs), and DIV divides by a constant that is never at its zero point, with an output multiplier
 * s1/(s2·s_out) in [2^6, 2^23) (below 2^6 TFLM asserts on small dividends over large divisors).
 *
 * GELU's generator is written but left out of `generators`: TFLite Micro (tflm-ref) has no GELU
 * kernel, so every GELU component would be a "tflm-refused" finding. Its bit-exactness is checked
 * against desktop TFLite in src/core/ops/gelu/gelu.test.ts; add `geluGenerator` to the list once the
 * oracle runs GELU.
 */
import type { GraphBuilder, Q } from '../../helpers/graph_builder.ts';
import { type Rand, activation, chance, channels, count, int, int16Q as drawInt16Q, int8Q as drawInt8Q, int8s, pick, side, zeroPoint } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzDType, FuzzGenerator } from './types.ts';

/** A small activation shape: rank 1 to 4, at most `max` elements. */
function shapeOf(rand: Rand, max = 2048): number[] {
  for (;;) {
    const rank = int(rand, 1, 4);
    const shape =
      rank === 1
        ? [chance(rand, 0.2) ? pick(rand, [1, 256]) : int(rand, 1, 300)]
        : rank === 2
          ? [int(rand, 1, 4), channels(rand, 64)]
          : rank === 3
            ? [int(rand, 1, 3), side(rand, 8), channels(rand, 16)]
            : [1, side(rand, 8), side(rand, 8), channels(rand, 16)];
    if (count(shape) <= max) return shape;
  }
}

const int8Q = (rand: Rand, lo = -4, hi = 0.5): Q => drawInt8Q(rand, lo, hi);
const int16Q = (rand: Rand, lo = -5, hi = -1): Q => drawInt16Q(rand, lo, hi);

function unaryInput(b: GraphBuilder, rand: Rand, dtype: FuzzContext['dtype'], q: Q): { index: number; shape: number[] } {
  const shape = shapeOf(rand, dtype === 'int16' ? 1024 : 2048);
  return { index: b.input({ shape, dtype, q }), shape };
}

const absGen: FuzzGenerator = {
  name: 'ABS',
  ops: ['ABS'],
  dtypes: ['int8', 'int16'],
  generate({ b, rand, dtype }: FuzzContext) {
    const qi = dtype === 'int16' ? int16Q(rand) : int8Q(rand);
    // equal scales (no rescale) a third of the time; else the output scale around half the input's
    const qo = chance(rand, 0.33)
      ? { scale: qi.scale, zeroPoint: dtype === 'int16' ? 0 : zeroPoint(rand) }
      : dtype === 'int16'
        ? { scale: qi.scale * 10 ** (-0.5 + rand() * 1.5), zeroPoint: 0 }
        : { scale: qi.scale * 10 ** (-0.7 + rand() * 1.4), zeroPoint: zeroPoint(rand) };
    const x = unaryInput(b, rand, dtype, qi);
    emit(b, 'ABS', [x.index], [{ shape: x.shape, dtype, q: qo }]);
  },
};

const rsqrtGen: FuzzGenerator = {
  name: 'RSQRT',
  ops: ['ABS', 'RSQRT'],
  dtypes: ['int8', 'int16'],
  generate({ b, rand, dtype }: FuzzContext) {
    const qi = dtype === 'int16' ? int16Q(rand, -4, -1) : int8Q(rand, -3, 0.5);
    const qa =
      dtype === 'int16'
        ? { scale: qi.scale * 10 ** (rand() * 0.5), zeroPoint: 0 }
        : { scale: qi.scale * 10 ** (-0.3 + rand() * 0.6), zeroPoint: zeroPoint(rand) };
    const x = unaryInput(b, rand, dtype, qi);
    const [a] = b.op('ABS', [x.index], [{ shape: x.shape, dtype, q: qa }]);
    // the largest output, 1/sqrt(one step), lands between a tenth and ten times the output range
    const top = 1 / Math.sqrt(qa.scale);
    const range = dtype === 'int16' ? 32767 : 255;
    const qo = { scale: (top / range) * 10 ** (-1 + 2 * rand()), zeroPoint: dtype === 'int16' ? 0 : zeroPoint(rand) };
    emit(b, 'RSQRT', [a!], [{ shape: x.shape, dtype, q: qo }]);
  },
};

const eluGen: FuzzGenerator = {
  name: 'ELU',
  ops: ['ELU'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const qi = int8Q(rand, -3, 0);
    const qo = chance(rand, 0.3) ? { ...qi } : int8Q(rand, -3, 0);
    const x = unaryInput(b, rand, 'int8', qi);
    emit(b, 'ELU', [x.index], [{ shape: x.shape, q: qo }]);
  },
};

export const geluGenerator: FuzzGenerator = {
  name: 'GELU',
  ops: ['GELU'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const qi = int8Q(rand, -3, -0.5);
    const qo = chance(rand, 0.3) ? { ...qi } : int8Q(rand, -3, -0.5);
    const x = unaryInput(b, rand, 'int8', qi);
    emit(b, 'GELU', [x.index], [{ shape: x.shape, q: qo }], { approximate: chance(rand, 0.5) });
  },
};

const divGen: FuzzGenerator = {
  name: 'DIV',
  ops: ['DIV'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = shapeOf(rand, 1536);
    // the divisor: same shape, the last axis only, or a scalar
    const form = pick(rand, ['same', 'channel', 'scalar'] as const);
    const dShape = form === 'same' ? shape : form === 'channel' ? [shape[shape.length - 1]!] : [1];
    const q1 = int8Q(rand, -3, 0);
    const q2 = int8Q(rand, -3, 0);
    const log2m = 6 + rand() * 16;
    const qo = { scale: q1.scale / (q2.scale * 2 ** log2m), zeroPoint: zeroPoint(rand) };
    const n = count(dShape);
    // divisor values anywhere except the zero point
    const values = int8s(rand, n);
    for (let i = 0; i < n; i++) if (values[i] === q2.zeroPoint) values[i] = q2.zeroPoint === 127 ? 126 : q2.zeroPoint + 1;
    const x = b.input({ shape, q: q1 });
    const d = b.constant({ shape: dShape, q: q2 }, values);
    // RELU6 / RELU_N1_TO_1 bounds must quantize within int32 (TFLM fails Prepare otherwise)
    const act = activation(rand, qo.scale > 1e-8 ? ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] : ['NONE', 'RELU']);
    emit(b, 'DIV', [x, d], [{ shape, q: qo }], { activation: act });
  },
};

const logSoftmaxGen: FuzzGenerator = {
  name: 'LOG_SOFTMAX',
  ops: ['LOG_SOFTMAX'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = shapeOf(rand, 2048);
    // the output quantization is fixed by TFLite: 16/256, zero point 127
    const x = b.input({ shape, q: int8Q(rand, -5, 0.5) });
    emit(b, 'LOG_SOFTMAX', [x], [{ shape, q: { scale: 16 / 256, zeroPoint: 127 } }]);
  },
};

export const generators: FuzzGenerator[] = [absGen, rsqrtGen, eluGen, divGen, logSoftmaxGen];
