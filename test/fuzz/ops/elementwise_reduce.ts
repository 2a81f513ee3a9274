// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the elementwise and reduction ops checked bit-exact against TFLite Micro in their
 * tests: MEAN, SUM, REDUCE_MAX (global H,W pooling of 1x1 to 14x14 images, any axes of ranks 1..5,
 * keep_dims both ways, repeated and negative axes), MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM
 * (broadcasting of every kind, a constant operand now and then), PRELU (alpha per channel, scalar or
 * full, constant or not), LEAKY_RELU (alphas of every sign and size), RELU, RELU6, HARD_SWISH and
 * ARG_MAX (int32 output, ties). Channel counts 1, 2, 3, 5, 7, 12, 17; scales over decades; zero
 * points at the int8 ends; components under ~4 KB of activations.
 *
 * Quantizations stay inside what TFLite Micro handles the same on every CPU: every requantizing
 * multiplier below 2^31 (see src/core/ops/common/numerics/multiplier_fits.ts), HARD_SWISH with s_in/(128·s_out) < 1,
 * REDUCE_MAX with the output sharing the input's quantization (TFLite Micro refuses anything else).
 *
 * RELU_N1_TO_1's generator is written but left out of `generators`: TFLite Micro (tflm-ref)
 * registers no RELU_N1_TO_1 kernel, so every component would be a "tflm-refused" finding. Its
 * bit-exactness is checked against desktop TFLite in src/core/ops/relu_n1_to_1/relu_n1_to_1.test.ts.
 */
import type { FusedActivation } from '../../../src/core/ir/graph.ts';
import type { GraphBuilder, Q } from '../../helpers/graph_builder.ts';
import { randomBroadcast, randomReduction, randomShape } from '../../helpers/random_cases.ts';
import { type Rand, activation, chance, count, int, int8Q, int8s, pick, scale, zeroPoint } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

const q8 = (rand: Rand, lo = -3.5, hi = 0.5): Q => int8Q(rand, lo, hi);

/** An operand: a model input, or (a quarter of the time) a constant as converters write them. */
function operand(b: GraphBuilder, rand: Rand, shape: number[], q: Q): number {
  return chance(rand, 0.25) ? b.constant({ shape, q }, int8s(rand, count(shape))) : b.input({ shape, q });
}

function reduction(kind: 'MEAN' | 'SUM' | 'REDUCE_MAX'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const r = randomReduction(rand, 1024);
      const qi = q8(rand);
      let qo = qi;
      if (kind === 'MEAN' && chance(rand, 0.6)) qo = q8(rand);
      if (kind === 'SUM') {
        // the sum of n steps lands between a tenth and ten times the output range, sometimes anywhere
        const n = count(r.in) / Math.max(1, count(r.out));
        qo = chance(rand, 0.8) ? { scale: qi.scale * Math.sqrt(n) * 16 * 10 ** (-1 + 2 * rand()), zeroPoint: zeroPoint(rand) } : q8(rand);
      }
      const x = b.input({ shape: r.in, q: qi });
      emit(b, kind, [x, b.ints(r.axes)], [{ shape: r.out, q: qo }], { keepDims: r.keepDims });
    },
  };
}

function binary(kind: 'MUL' | 'SQUARED_DIFFERENCE' | 'MAXIMUM' | 'MINIMUM'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const { a, b: bs, out } = randomBroadcast(rand, 1024);
      const minMax = kind === 'MAXIMUM' || kind === 'MINIMUM';
      const qa = q8(rand);
      // MAXIMUM/MINIMUM compare stored values: the converter gives all three one quantization
      const qb = minMax ? (chance(rand, 0.8) ? qa : q8(rand)) : chance(rand, 0.2) ? qa : q8(rand);
      const qo = minMax ? (chance(rand, 0.8) ? qa : q8(rand)) : q8(rand, -4, 1);
      const x = b.input({ shape: a, q: qa });
      const y = operand(b, rand, bs, qb);
      const attrs = kind === 'MUL' ? { activation: activation(rand) as FusedActivation } : {};
      // swapping the operands swaps their shapes and quantizations too: the output shape is the same
      emit(b, kind, chance(rand, 0.5) ? [x, y] : [y, x], [{ shape: out, q: qo }], attrs);
    },
  };
}

const prelu: FuzzGenerator = {
  name: 'PRELU',
  ops: ['PRELU'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = randomShape(rand, 1024);
    const c = shape[shape.length - 1]!;
    const alphaShape = pick(rand, [[c], [c], [1], shape, shape.map((d) => (chance(rand, 0.5) ? 1 : d))]);
    const qx = q8(rand);
    const qa = q8(rand, -3, 0);
    const x = b.input({ shape, q: qx });
    const alpha = chance(rand, 0.75) ? b.constant({ shape: alphaShape, q: qa }, int8s(rand, count(alphaShape))) : b.input({ shape: alphaShape, q: qa });
    emit(b, 'PRELU', [x, alpha], [{ shape, q: q8(rand) }]);
  },
};

function unary(kind: string, draw: (rand: Rand, qi: Q) => { qo: Q; attrs?: Record<string, unknown> }): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = randomShape(rand, 1024);
      const qi = q8(rand);
      const { qo, attrs } = draw(rand, qi);
      const x = b.input({ shape, q: qi });
      emit(b, kind, [x], [{ shape, q: qo }], attrs ?? {});
    },
  };
}

/** An output quantization near the input's (shared a third of the time), or anywhere. */
const nearQ = (rand: Rand, qi: Q): Q =>
  chance(rand, 0.33) ? qi : chance(rand, 0.7) ? { scale: qi.scale * 10 ** (-1 + 2 * rand()), zeroPoint: zeroPoint(rand) } : q8(rand);

const leakyRelu = unary('LEAKY_RELU', (rand, qi) => ({
  qo: nearQ(rand, qi),
  attrs: { alpha: chance(rand, 0.6) ? pick(rand, [0.01, 0.1, 0.2, 0.3, 0, 1, 1.5, -0.5]) : Math.fround(rand() * 4 - 2) },
}));
const relu = unary('RELU', (rand, qi) => ({ qo: nearQ(rand, qi) }));
const relu6 = unary('RELU6', (rand, qi) => ({ qo: chance(rand, 0.8) ? qi : nearQ(rand, qi) }));
// s_in/(128·s_out) < 1 always: the output scale at least s_in/100
const hardSwish = unary('HARD_SWISH', (rand, qi) => ({ qo: { scale: qi.scale * 10 ** (-2 + 2.5 * rand()), zeroPoint: zeroPoint(rand) } }));

/** Not in `generators`: TFLite Micro has no RELU_N1_TO_1 kernel (see the header). */
export const reluN1To1Generator = unary('RELU_N1_TO_1', (rand, qi) => ({
  qo: { scale: scale(rand, -3, -1.5), zeroPoint: chance(rand, 0.5) ? int(rand, -10, 10) : zeroPoint(rand) },
}));

const argMax: FuzzGenerator = {
  name: 'ARG_MAX',
  ops: ['ARG_MAX'],
  dtypes: ['int8'],
  generate({ b, rand }: FuzzContext) {
    const shape = randomShape(rand, 1024);
    const axis = int(rand, 0, shape.length - 1) - (chance(rand, 0.3) ? shape.length : 0);
    const resolved = axis < 0 ? axis + shape.length : axis;
    const x = b.input({ shape, q: q8(rand) });
    emit(b, 'ARG_MAX', [x, b.ints([axis])], [{ shape: shape.filter((_, i) => i !== resolved), dtype: 'int32' }], { outputType: 'INT32' });
  },
};

export const generators: FuzzGenerator[] = [
  reduction('MEAN'),
  reduction('SUM'),
  reduction('REDUCE_MAX'),
  binary('MUL'),
  binary('SQUARED_DIFFERENCE'),
  binary('MAXIMUM'),
  binary('MINIMUM'),
  prelu,
  leakyRelu,
  relu,
  relu6,
  hardSwish,
  argMax,
];
