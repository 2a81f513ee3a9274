// SPDX-License-Identifier: Apache-2.0
/**
 * float32 and hybrid components over every op with a float kernel, and float32 ones over the ops
 * whose float kernel calls libm (held to their ULP bounds). Each generator here is an int8 generator of another file run through a float view of the
 * graph builder: every int8 tensor it draws (activations, weights, constants; an int32 bias with a
 * scale) becomes a float32 tensor, constants their dequantized values times a random factor in
 * [0.9, 1.1) (so products and sums round at every step), int32 indices, perms, shapes and bools
 * unchanged.
 *
 * - `float32`: the component as a float model draws it (float inputs, float outputs).
 * - `hybrid`: each float input is an int8 model input on the int8 generator's quantization followed
 *   by a DEQUANTIZE, and each float output goes through a QUANTIZE to an int8 output on the
 *   quantization the generator drew for it: int8 -> DEQUANTIZE -> float ops -> QUANTIZE.
 *
 * Every float op in a component runs TFLite Micro's float kernel on both sides (tflm-ref): the
 * comparison is byte for byte, as for the integer generators, but for the float32 outputs of the
 * libm ops (within FLOAT_LIBM_ULP).
 */
import type { Quantization } from '../../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../../src/core/ir/buffers.ts';
import type { GraphBuilder, Spec } from '../../helpers/graph_builder.ts';
import { type Rand, chance, count, int, pick } from '../draw.ts';
import { emit } from './common.ts';
import { generators as core } from './core.ts';
import { generators as elementwise } from './elementwise_reduce.ts';
import { generators as newMath } from './new_math.ts';
import { generators as shapeLogic } from './new_shape_logic.ts';
import { generators as nn } from './nn.ts';
import { generators as logical } from './logical.ts';
import { generators as shape } from './shape.ts';
import { generators as tensor } from './tensor.ts';
import type { FloatForm, FuzzContext, FuzzGenerator } from './types.ts';

/** A tensor the float view turns into float32: int8/int16/uint8 with a quantization, or a scaled int32 (a bias). */
function becomesFloat(spec: Spec): boolean {
  const dtype = spec.dtype ?? 'int8';
  const quant = spec.quant ?? (spec.q ? { scale: [spec.q.scale], zeroPoint: [spec.q.zeroPoint], axis: 0 } : undefined);
  if (!quant) return false;
  return dtype === 'int8' || dtype === 'int16' || dtype === 'uint8' || dtype === 'int32';
}

function quantOf(spec: Spec): Quantization {
  return spec.quant ?? { scale: [spec.q!.scale], zeroPoint: [spec.q!.zeroPoint], axis: 0 };
}

/** The dequantized values of an integer constant, each times a factor in [0.9, 1.1). */
function dequantized(spec: Spec, data: TensorBuffer, rand: Rand): Float32Array {
  const q = quantOf(spec);
  const n = count(spec.shape);
  const values = data as unknown as ArrayLike<number | bigint>;
  const axis = q.axis ?? 0;
  const inner = spec.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const extent = spec.shape[axis] ?? 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = q.scale.length > 1 ? Math.floor(i / inner) % extent : 0;
    const v = (Number(values[i]!) - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
    out[i] = Math.fround(v * (0.9 + 0.2 * rand()));
  }
  return out;
}

/** A builder that adds to `b` what the int8 generator draws, in float32 (see the header). */
function floatView(b: GraphBuilder, rand: Rand, mode: FloatForm): GraphBuilder {
  const quants = new Map<number, Quantization>();
  const toFloat = (spec: Spec): Spec => ({ shape: spec.shape, dtype: 'float32', ...(spec.name ? { name: spec.name } : {}) });
  const outSpec = (spec: Spec): Spec => (becomesFloat(spec) ? toFloat(spec) : spec);
  const view = {
    tensor(spec: Spec, data?: TensorBuffer): number {
      if (!becomesFloat(spec)) return b.tensor(spec, data);
      return b.tensor(toFloat(spec), data ? dequantized(spec, data, rand) : undefined);
    },
    input(spec: Spec): number {
      if (!becomesFloat(spec)) return b.input(spec);
      if (mode === 'float32' || spec.variable) return b.input(toFloat(spec));
      const q = quantOf(spec);
      const raw = b.input({ shape: spec.shape, q: { scale: q.scale[0]!, zeroPoint: clampInt8(q.zeroPoint[0]!) } });
      return b.op('DEQUANTIZE', [raw], [{ shape: spec.shape, dtype: 'float32' }])[0]!;
    },
    ints(values: number[], shape?: number[]): number {
      return b.ints(values, shape);
    },
    constant(spec: Spec, data: TensorBuffer): number {
      return view.tensor(spec, data);
    },
    op(kind: string, inputs: number[], outputs: Spec[], attrs = {}): number[] {
      const outs = b.op(kind, inputs, outputs.map(outSpec), attrs);
      outputs.forEach((s, k) => {
        if (becomesFloat(s)) quants.set(outs[k]!, quantOf(s));
      });
      return outs;
    },
    output(...indices: number[]): void {
      for (const i of indices) {
        const q = quants.get(i);
        const t = b.build().tensors[i]!;
        if (mode === 'float32' || t.dtype !== 'float32') {
          b.output(i);
          continue;
        }
        const scale = q?.scale[0] ?? 0.05;
        const zeroPoint = clampInt8(q?.zeroPoint[0] ?? 0);
        b.output(b.op('QUANTIZE', [i], [{ shape: t.shape, q: { scale, zeroPoint } }])[0]!);
      }
    },
    build: () => b.build(),
  };
  return view as unknown as GraphBuilder;
}

const clampInt8 = (z: number): number => Math.max(-128, Math.min(127, z));

/** The int8 generator `name` of the other files, run in float32 or hybrid form. */
export function floatOf(name: string): FuzzGenerator {
  const all = [...core, ...elementwise, ...newMath, ...shapeLogic, ...nn, ...shape, ...logical, ...tensor];
  const base = all.find((g) => g.name === name && g.dtypes.includes('int8'));
  if (!base) throw new Error(`fuzz: no int8 generator ${name} to run in float32`);
  return {
    name: base.name,
    ops: [...base.ops],
    dtypes: ['float32', 'hybrid'],
    generate({ b, rand, floatForm }: FuzzContext) {
      return base.generate({ b: floatView(b, rand, floatForm ?? 'float32'), rand, dtype: 'int8' });
    },
  };
}

/** ADD_N: two to five float operands of one shape (no int8 generator draws it). */
const addN: FuzzGenerator = {
  name: 'ADD_N',
  ops: ['ADD_N'],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const v = floatView(b, rand, floatForm ?? 'float32');
    const shapeOfN = [int(rand, 1, 3), int(rand, 1, 6), pick(rand, [1, 2, 3, 5, 7, 12, 17])];
    const n = int(rand, 2, 5);
    const q = { scale: 10 ** (-2 + 2 * rand()), zeroPoint: chance(rand, 0.5) ? 0 : int(rand, -128, 127) };
    const xs = Array.from({ length: n }, () => v.input({ shape: shapeOfN, q }));
    const outQ = { scale: q.scale * n, zeroPoint: 0 };
    emit(v, 'ADD_N', xs, [{ shape: shapeOfN, q: outQ }]);
  },
};

/** PRELU of rank 1 to 4 (TFLite Micro's float PRELU is 4D at most): alpha per channel, scalar or full. */
const prelu: FuzzGenerator = {
  name: 'PRELU',
  ops: ['PRELU'],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const v = floatView(b, rand, floatForm ?? 'float32');
    const full = [int(rand, 1, 2), int(rand, 1, 6), int(rand, 1, 6), pick(rand, [1, 2, 3, 5, 7, 12, 17])];
    const shape = full.slice(4 - int(rand, 1, 4));
    const c = shape[shape.length - 1]!;
    const alphaShape = pick(rand, [[c], [1], shape, shape.map((d) => (chance(rand, 0.5) ? 1 : d))]);
    const q = { scale: 10 ** (-2 + 2 * rand()), zeroPoint: int(rand, -128, 127) };
    const x = v.input({ shape, q });
    const qa = { scale: 10 ** (-3 + 2 * rand()), zeroPoint: 0 };
    const values = Int8Array.from({ length: count(alphaShape) }, () => int(rand, -128, 127));
    const alpha = chance(rand, 0.75) ? v.constant({ shape: alphaShape, q: qa }, values) : v.input({ shape: alphaShape, q: qa });
    emit(v, 'PRELU', [x, alpha], [{ shape, q: { scale: q.scale, zeroPoint: int(rand, -128, 127) } }]);
  },
};

/** The ops with a float kernel that calls no libm function, as the int8 generators draw them. */
export const FLOAT_GENERATOR_NAMES = [
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'FULLY_CONNECTED',
  'ADD',
  'SUB',
  'MUL',
  'DIV',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'RELU',
  'RELU6',
  'chain-residual',
  // data movement: the integer kernels' copies, float32 admitted
  'TRANSPOSE',
  'SLICE',
  'STRIDED_SLICE',
  'SPLIT',
  'SPLIT_V',
  'PACK',
  'UNPACK',
  'SQUEEZE',
  'EXPAND_DIMS',
  'SPACE_TO_DEPTH',
  'DEPTH_TO_SPACE',
  'RESIZE_NEAREST_NEIGHBOR',
  'CONCATENATION',
  'PAD',
  'MIRROR_PAD',
  'GATHER',
  'SPACE_TO_BATCH_ND',
  'BATCH_TO_SPACE_ND',
  'ZEROS_LIKE',
  'SELECT_V2',
  'BROADCAST_TO',
  // comparisons: float32 compared as C floats
  'EQUAL',
  'NOT_EQUAL',
  'LESS',
  'LESS_EQUAL',
  'GREATER',
  'GREATER_EQUAL',
  'MAXIMUM',
  'MINIMUM',
  'SUM',
  'MEAN',
  'REDUCE_MAX',
  'REDUCE_MIN',
  'ARG_MAX',
  'ARG_MIN',
  'ABS',
  'LEAKY_RELU',
  'SQUARED_DIFFERENCE',
  'CUMSUM',
  'L2_NORMALIZATION',
  'BATCH_MATMUL',
  'TRANSPOSE_CONV',
  'RESIZE_BILINEAR',
  // logical ops on bools from float32 comparisons
  'LOGICAL_AND',
  'LOGICAL_OR',
  'LOGICAL_NOT',
  'REDUCE_ALL',
  // lookups and index-driven updates: stored values moved (EMBEDDING_LOOKUP's int8 -> float32 rows: one product)
  'EMBEDDING_LOOKUP',
  'GATHER_ND',
  'REVERSE_V2',
  'DYNAMIC_UPDATE_SLICE',
  'FILL',
] as const;

/**
 * The ops whose float kernel calls libm (expf, tanhf, expm1f, logf): float32 form only, each output
 * held to the op's ULP bound of TFLite Micro's (FLOAT_LIBM_ULP, docs/kernels.md; the campaign compares
 * as `run` does). Not in hybrid form: a QUANTIZE after them turns a one-ULP difference into an int8
 * step now and then, which no bound on the float output covers.
 */
export const FLOAT_LIBM_GENERATOR_NAMES = ['LOGISTIC', 'TANH', 'ELU', 'SOFTMAX', 'LOG_SOFTMAX'] as const;

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM in float32 (TFLite Micro's float LSTM: float weights, biases and
 * variable states), float32 form only like the other libm ops, its state carried over the frames.
 * The weights spread as c / sqrt(units), c up to 3: a recurrence that does not amplify a one-ULP
 * gate difference step by step, where the op's ULP bound holds (docs/kernels.md).
 */
const floatLstm: FuzzGenerator = {
  name: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  ops: ['UNIDIRECTIONAL_SEQUENCE_LSTM'],
  dtypes: ['float32'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const batches = chance(rand, 0.7) ? 1 : 2;
    const steps = pick(rand, [1, 2, 3, 5, 8]);
    const inputSize = pick(rand, [1, 2, 3, 4, 7, 8, 12, 17, 28]);
    const units = pick(rand, [1, 2, 3, 4, 5, 8, 12, 16, 20]);
    const timeMajor = chance(rand, 0.3);
    const spread = (0.3 + 2.7 * rand()) / Math.sqrt(units);
    const values = (n: number, s: number) => Float32Array.from({ length: n }, () => Math.fround((2 * rand() - 1) * s));
    const f = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    const x = b.input(f(timeMajor ? [steps, batches, inputSize] : [batches, steps, inputSize]));
    const inputWeights = [0, 1, 2, 3].map(() => b.constant(f([units, inputSize]), values(units * inputSize, spread)));
    const recurrentWeights = [0, 1, 2, 3].map(() => b.constant(f([units, units]), values(units * units, spread)));
    const biases = [0, 1, 2, 3].map(() => b.constant(f([units]), values(units, 1)));
    const hidden = b.tensor({ ...f([batches, units]), variable: true });
    const cell = b.tensor({ ...f([batches, units]), variable: true });
    const none = -1;
    const [y] = b.op(
      'UNIDIRECTIONAL_SEQUENCE_LSTM',
      [x, ...inputWeights, ...recurrentWeights, none, none, none, ...biases, none, none, hidden, cell, none, none, none, none],
      [f(timeMajor ? [steps, batches, units] : [batches, steps, units])],
      { activation: 'TANH', cellClip: chance(rand, 0.3) ? pick(rand, [0.5, 1, 4]) : 0, projClip: 0, timeMajor, asymmetricQuantizeInputs: false },
    );
    b.output(y!);
  },
};

/** SVDF in float32 (TFLite Micro's float SVDF: float weights, bias and variable state), the state carried over the frames. */
const floatSvdf: FuzzGenerator = {
  name: 'SVDF',
  ops: ['SVDF'],
  dtypes: ['float32'],
  stateful: true,
  generate({ b, rand }: FuzzContext) {
    const batches = chance(rand, 0.7) ? 1 : 2;
    const inputSize = pick(rand, [1, 2, 3, 5, 8, 12, 17, 40]);
    const rank = pick(rand, [1, 1, 2]);
    const units = pick(rand, [1, 2, 3, 4, 8, 12]);
    const memory = pick(rand, [1, 2, 4, 8, 10]);
    const filters = units * rank;
    const values = (n: number) => Float32Array.from({ length: n }, () => Math.fround(2 * rand() - 1));
    const f = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    const x = b.input(f([batches, inputSize]));
    const wf = b.constant(f([filters, inputSize]), values(filters * inputSize));
    const wt = b.constant(f([filters, memory]), values(filters * memory));
    // TFLite Micro's SVDF aborts without a bias
    const bias = b.constant(f([units]), values(units));
    const state = b.tensor({ ...f([batches, memory * filters]), variable: true });
    const [y] = b.op('SVDF', [x, wf, wt, bias, state], [f([batches, units])], {
      rank,
      activation: pick(rand, ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']),
      asymmetricQuantizeInputs: false,
    });
    b.output(y!);
  },
};

function floatOnlyOf(name: string): FuzzGenerator {
  return { ...floatOf(name), dtypes: ['float32'] };
}

export const generators: FuzzGenerator[] = [
  ...FLOAT_GENERATOR_NAMES.map(floatOf),
  addN,
  prelu,
  ...FLOAT_LIBM_GENERATOR_NAMES.map(floatOnlyOf),
  floatLstm,
  floatSvdf,
];
