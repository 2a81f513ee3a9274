// SPDX-License-Identifier: Apache-2.0
/**
 * GELU, int8, both settings of `approximate`: TFLite's lookup table built in float at Prepare
 * (LUTPopulate: dequantize in float32, transform, times the float32 1/s_out, roundf, + z_out, clamp;
 * common/numerics/float_table.ts), looked up per element.
 *   exact:        0.5f·x·erfcf(x·(−1/√2))                        (TFLite's erfc form of 0.5·x·(1 + erf(x/√2)))
 *   approximate:  0.5f·x·(1 + tanhf(√(2/π)·(x + 0.044715f·x·x·x)))  (float32, left to right)
 *
 * The oracle: TFLite Micro at the project's commit has no GELU kernel (tflm-ref rejects the op), so
 * this follows desktop TFLite's gelu.cc, which builds the same kind of table as TFLM's other
 * float-built tables, and the tests check it against desktop TFLite (tfjs-tflite) on every input.
 * erfcf and tanhf are libm's float functions: here the double functions rounded to float32, which
 * can differ from a libm in the last bit; that flips a table entry only when the scaled value falls
 * within one float ulp of a rounding boundary.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { OpError } from '../../errors.ts';
import { f32 } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { type FloatTableQuant, floatTableQuant, floatTableValue } from '../common/numerics/float_table.ts';
import { tableOp } from '../common/families/table_op.ts';

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** erfc in double precision: positive-term series for erf below 2.5, a continued fraction above. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π · e^(−x²) · Σ 2^n x^(2n+1) / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified Lentz method
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return ((TWO_OVER_SQRT_PI / 2) * Math.exp(-x * x)) / f;
}

const MINUS_SQRT1_2 = f32(-Math.SQRT1_2);
/** float(M_2_SQRTPI · M_SQRT1_2): √(2/π) */
const SQRT_2_OVER_PI = f32(TWO_OVER_SQRT_PI * Math.SQRT1_2);
const C3 = f32(0.044715);

export const geluF32 = (x: number): number => f32(f32(0.5 * x) * f32(erfc(f32(x * MINUS_SQRT1_2))));

export const geluApproximateF32 = (x: number): number => {
  const cube = f32(f32(f32(C3 * x) * x) * x);
  const t = f32(Math.tanh(f32(SQRT_2_OVER_PI * f32(x + cube))));
  return f32(f32(0.5 * x) * f32(1 + t));
};

export interface GeluQuant extends FloatTableQuant {
  approximate: boolean;
}

export default tableOp<GeluQuant>({
  kind: 'GELU',
  dir: import.meta.dirname,
  template: 'gelu.c.hbs',
  check(graph: Graph, op: Op) {
    int8UnaryTensors(graph, op);
    const a = op.attrs.approximate;
    if (a !== undefined && typeof a !== 'boolean') throw new OpError(op.index, op.kind, `attribute approximate is ${JSON.stringify(a)}; expected a boolean`);
  },
  quantize: (graph, op) => ({ ...floatTableQuant(graph, op), approximate: op.attrs.approximate === true }),
  value: (q, p) => floatTableValue(q, p, p.approximate ? geluApproximateF32 : geluF32),
});
