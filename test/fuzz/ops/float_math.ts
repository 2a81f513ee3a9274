// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the float32-only math ops CEIL, ROUND, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D, SIN and COS
 * (TFLite Micro has no integer kernel for them), the first five in both float forms: `float32` (a float model) and
 * `hybrid` (int8 -> DEQUANTIZE -> op -> QUANTIZE). The hybrid inputs' scales are often 1/2 or 1/4,
 * so CEIL and ROUND meet exact halves and integers. Divisors are constants without a zero in the
 * hybrid form (a 0.0 divisor fails TFLite Micro's FLOOR_DIV at Invoke, and FLOOR_MOD's NaN would
 * meet QUANTIZE); in the float32 form FLOOR_MOD's divisor may be a model input.
 */
import type { GraphBuilder, Spec } from '../../helpers/graph_builder.ts';
import { type Rand, chance, count, int, pick } from '../draw.ts';
import type { FloatForm, FuzzContext, FuzzGenerator } from './types.ts';

const F = 'float32' as const;

/** a float input: a model input (float32), or an int8 input and a DEQUANTIZE (hybrid) */
export function floatInput(b: GraphBuilder, rand: Rand, form: FloatForm, shape: number[]): number {
  if (form === 'float32') return b.input({ shape, dtype: F });
  const scale = chance(rand, 0.6) ? pick(rand, [0.5, 0.25, 1]) : 10 ** (-2 + 2 * rand());
  const raw = b.input({ shape, q: { scale, zeroPoint: int(rand, -20, 20) } });
  return b.op('DEQUANTIZE', [raw], [{ shape, dtype: F }])[0]!;
}

/** the op's float output as a model output: itself (float32), or through a QUANTIZE (hybrid) */
export function floatOutput(b: GraphBuilder, rand: Rand, form: FloatForm, t: number, shape: number[], range: number): void {
  if (form === 'float32') {
    b.output(t);
    return;
  }
  const spec: Spec = { shape, q: { scale: (range / 200) * (0.5 + rand()), zeroPoint: int(rand, -30, 30) } };
  b.output(b.op('QUANTIZE', [t], [spec])[0]!);
}

const SHAPES = [[7], [1, 5, 6], [2, 3, 4, 5], [1, 1, 1, 17], [3, 33]];

function unary(kind: 'CEIL' | 'ROUND'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['float32', 'hybrid'],
    generate({ b, rand, floatForm }: FuzzContext) {
      const form = floatForm ?? 'float32';
      const shape = pick(rand, SHAPES);
      const x = floatInput(b, rand, form, shape);
      const [y] = b.op(kind, [x], [{ shape, dtype: F }]);
      floatOutput(b, rand, form, y!, shape, 100);
    },
  };
}

function floorBinary(kind: 'FLOOR_DIV' | 'FLOOR_MOD'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['float32', 'hybrid'],
    generate({ b, rand, floatForm }: FuzzContext) {
      const form = floatForm ?? 'float32';
      const full = [int(rand, 1, 2), int(rand, 1, 5), int(rand, 1, 5), pick(rand, [1, 2, 3, 5, 7, 12])];
      const shape = full.slice(4 - int(rand, 1, 4));
      // the divisor's shape: the same, the last dimension, a scalar, or some dimensions broadcast
      const dShape = pick(rand, [shape, [shape[shape.length - 1]!], [1], shape.map((d) => (chance(rand, 0.5) ? 1 : d))]);
      const swap = kind === 'FLOOR_MOD' && form === 'float32' && chance(rand, 0.25);
      const x = floatInput(b, rand, form, shape);
      const magnitude = pick(rand, [0.3, 1, 4, 30]);
      const constant = () =>
        b.constant(
          { shape: dShape, dtype: F },
          Float32Array.from({ length: count(dShape) }, () => Math.fround((chance(rand, 0.5) ? -1 : 1) * magnitude * (0.1 + rand()))),
        );
      const d = kind === 'FLOOR_MOD' && form === 'float32' && chance(rand, 0.4) ? b.input({ shape: dShape, dtype: F }) : constant();
      // the input as the divisor only where a zero divisor cannot fail (FLOOR_MOD, float32)
      const operands = swap ? [d, x] : [x, d];
      const out = broadcast(shape, dShape);
      const [y] = b.op(kind, operands, [{ shape: out, dtype: F }]);
      floatOutput(b, rand, form, y!, out, kind === 'FLOOR_DIV' ? 400 : 60);
    },
  };
}

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

const l2Pool: FuzzGenerator = {
  name: 'L2_POOL_2D',
  ops: ['L2_POOL_2D'],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const form = floatForm ?? 'float32';
    const inH = int(rand, 1, 9);
    const inW = int(rand, 1, 9);
    const filterH = Math.min(inH, int(rand, 1, 3));
    const filterW = Math.min(inW, int(rand, 1, 4));
    const strideH = int(rand, 1, 2);
    const strideW = int(rand, 1, 3);
    const padding = pick(rand, ['SAME', 'VALID']);
    const depth = pick(rand, [1, 2, 3, 5, 8, 12]);
    const batches = chance(rand, 0.2) ? 2 : 1;
    const size = (n: number, f: number, s: number) => (padding === 'SAME' ? Math.ceil(n / s) : Math.ceil((n - f + 1) / s));
    const shape = [batches, inH, inW, depth];
    const out = [batches, size(inH, filterH, strideH), size(inW, filterW, strideW), depth];
    const x = floatInput(b, rand, form, shape);
    const activation = pick(rand, ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);
    const [y] = b.op('L2_POOL_2D', [x], [{ shape: out, dtype: F }], { padding, strideH, strideW, filterH, filterW, activation });
    floatOutput(b, rand, form, y!, out, 100);
  },
};

/**
 * SIN and COS, float32 form only like the other ops TFLite Micro runs through libm: their outputs are
 * within SINCOS_ULP of TFLite Micro's glibc (the campaign compares as `run` does), and a QUANTIZE
 * after them would turn a one-ULP difference into an int8 step now and then. Half the components
 * scale the input by a constant first (MUL, up to 2^20), so the reduction meets large arguments.
 */
function trig(kind: 'SIN' | 'COS'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['float32'],
    generate({ b, rand }: FuzzContext) {
      const shape = pick(rand, SHAPES);
      let x = b.input({ shape, dtype: F });
      if (chance(rand, 0.5)) {
        const c = b.constant({ shape: [1], dtype: F }, Float32Array.of(Math.fround(2 ** int(rand, 2, 20) * (0.5 + rand()))));
        x = b.op('MUL', [x, c], [{ shape, dtype: F }], { activation: 'NONE' })[0]!;
      }
      b.output(b.op(kind, [x], [{ shape, dtype: F }])[0]!);
    },
  };
}

export const generators: FuzzGenerator[] = [
  unary('CEIL'),
  unary('ROUND'),
  floorBinary('FLOOR_DIV'),
  floorBinary('FLOOR_MOD'),
  l2Pool,
  trig('SIN'),
  trig('COS'),
];
