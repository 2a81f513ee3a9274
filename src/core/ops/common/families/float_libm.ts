// SPDX-License-Identifier: Apache-2.0
/**
 * float32 kernels of the ops whose TFLite Micro float kernel calls libm (expf, tanhf, logf, expm1f): the reference kernel's formula, in its order, with the C library's float function
 * where TFLite Micro calls it. Each C library rounds these functions its own way (glibc on the host
 * TFLite Micro is built for, newlib on the Arm targets, soft-float or FPU), so the outputs are not
 * bit-exact: each op has a bound in ULPs (`FLOAT_LIBM_ULP`, measured on sweeps with extreme inputs
 * against tflm-ref on the host, on the emulated Cortex-M4 and Cortex-M0, docs/kernels.md) within which
 * every target's C, the TypeScript reference and TFLite Micro agree.
 *
 * The TypeScript reference evaluates each libm call as the double-precision function rounded to
 * float32 (`Math.exp` etc., then `Math.fround`), every other step as one float32 operation.
 */
import { type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import type { LayerEmitContext, OpDef } from '../../op.ts';
import { OpError } from '../../../errors.ts';
import { type FloatKernel, type FloatTagged, requireFloat, requireFloat32Only } from './float_variant.ts';
import { tensorLabel } from './weighted.ts';

const F = Math.fround;

/**
 * The largest ULP distance, per op, between any two of: TFLite Micro (tflm-ref, glibc), the
 * TypeScript reference, and the compiled C on the host (glibc), the Cortex-M4 (newlib, FPU) and the
 * Cortex-M0 (newlib, soft-float), over the sweeps of float_libm.test.ts and float_libm_emulated.test.ts.
 * LOG_SOFTMAX's counts in ULPs of max(|y|, 1) (FLOAT_LIBM_FLOOR).
 */
export const FLOAT_LIBM_ULP: Readonly<Record<string, number>> = {
  LOGISTIC: 2,
  TANH: 2,
  ELU: 1,
  EXP: 1,
  LOG: 1,
  SOFTMAX: 3,
  LOG_SOFTMAX: 4,
  UNIDIRECTIONAL_SEQUENCE_LSTM: 16,
  // the kernel's own sinf / cosf (sin/sincos.ts: SINCOS_ULP), the same bits on every target
  SIN: 1,
  COS: 1,
};

/**
 * Ops whose bound counts in ULPs of max(|y|, floor) (ulpDistanceFloored): LOG_SOFTMAX's output for a
 * row's largest values is -logf(sum) with sum just above 1, where one ULP of the sum is thousands of
 * ULPs of the (tiny) output.
 */
export const FLOAT_LIBM_FLOOR: Readonly<Record<string, number>> = { LOG_SOFTMAX: 1, UNIDIRECTIONAL_SEQUENCE_LSTM: 1 };

/** The floor of `kind`'s ULP bound (0: plain ULPs), see FLOAT_LIBM_FLOOR. */
export function floatUlpFloor(kind: string): number {
  return FLOAT_LIBM_FLOOR[kind] ?? 0;
}

/** The ULP bound of a float32 layer of `kind` (0: no libm call, bit-exact), see FLOAT_LIBM_ULP. */
export function floatUlpBound(kind: string): number {
  return FLOAT_LIBM_ULP[kind] ?? 0;
}

export interface LibmUnaryParams extends FloatTagged {
  size: number;
}

export interface LibmUnarySpec {
  kind: string;
  /** the TS reference of one element (a float32 in, a float32 out) */
  ref(x: number): number;
  /** C statements that set `r` (float) from `x` (const float) */
  cBody: string;
  /** one line for the layer comment */
  what: string;
}

/**
 * An elementwise float32 kernel of TFLite Micro's formula: with libm calls (LOGISTIC, TANH, ELU, EXP,
 * LOG), or exactly rounded operations only (HARD_SWISH, RSQRT: bit-exact).
 */
export function libmUnaryKernel(spec: LibmUnarySpec): FloatKernel<LibmUnaryParams> {
  return {
    check(graph, op) {
      const input = graph.tensors[op.inputs[0]!];
      const output = graph.tensors[op.outputs[0]!];
      requireFloat(op, [
        [input, 'input'],
        [output, 'output'],
      ]);
      if (elementCount(input!.shape) !== elementCount(output!.shape)) {
        throw new OpError(
          op.index,
          op.kind,
          `output ${tensorLabel(output!)} has ${elementCount(output!.shape)} elements, input ${tensorLabel(input!)} ${elementCount(input!.shape)}`,
        );
      }
    },
    prepare(graph, op) {
      return { float32: true, size: elementCount(graph.tensors[op.inputs[0]!]!.shape) };
    },
    macs(graph, op) {
      return elementCount(graph.tensors[op.inputs[0]!]!.shape);
    },
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      for (let i = 0; i < p.size; i++) y[i] = spec.ref(x[i]!);
    },
    emitC(p, ctx) {
      const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
      const bound = floatUlpBound(spec.kind);
      const how = bound > 0 ? `libm; within ${bound} ULP of TFLite Micro` : "TFLite Micro's float operations in its order: its bits";
      return `/* ${spec.kind} float32 [${shape}], ${p.size} elements: ${spec.what} (${how}) */
#include <math.h>
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.size}; ++i) {
    const float x = in[i];
    float r;
${indent(spec.cBody, 4)}
    out[i] = r;
  }
}
`;
    },
  };
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .trim()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** expf, tanhf, ... as the double function rounded to float32 */
export const expF = (x: number): number => F(Math.exp(x));

/** TFLite's reference Logistic<float>: 1 above 16.619047f, expf(x) below -9, else 1 / (1 + expf(-x)). */
export const LOGISTIC_UPPER = F(16.619047164916992188);
export function logisticF(x: number): number {
  if (x > LOGISTIC_UPPER) return 1;
  if (x < -9) return expF(x);
  return F(1 / F(1 + expF(-x)));
}

export const LOGISTIC_KERNEL = libmUnaryKernel({
  kind: 'LOGISTIC',
  what: 'x > 16.619047f ? 1 : x < -9 ? expf(x) : 1 / (1 + expf(-x))',
  ref: logisticF,
  cBody: `if (x > 16.619047164916992188f) {
  r = 1.0f;
} else if (x < -9.0f) {
  r = expf(x);
} else {
  r = 1.0f / (1.0f + expf(-x));
}`,
});

export const TANH_KERNEL = libmUnaryKernel({ kind: 'TANH', what: 'tanhf(x)', ref: (x) => F(Math.tanh(x)), cBody: 'r = tanhf(x);' });

/** TFLite's reference Elu: x < 0 ? expm1f(x) : x. */
export const ELU_KERNEL = libmUnaryKernel({
  kind: 'ELU',
  what: 'x < 0 ? expm1f(x) : x',
  ref: (x) => (x < 0 ? F(Math.expm1(x)) : x),
  cBody: 'r = x < 0.0f ? expm1f(x) : x;',
});

export const EXP_KERNEL = libmUnaryKernel({ kind: 'EXP', what: 'expf(x)', ref: expF, cBody: 'r = expf(x);' });
export const LOG_KERNEL = libmUnaryKernel({ kind: 'LOG', what: 'logf(x)', ref: (x) => F(Math.log(x)), cBody: 'r = logf(x);' });

/**
 * An op TFLite Micro runs in float32 only (EXP, LOG): the float kernel as the whole op,
 * any other dtype refused in one line.
 */
export function floatOnlyOp(kind: string, dir: string, kernel: FloatKernel<LibmUnaryParams>): OpDef<LibmUnaryParams> {
  return {
    kind,
    dir,
    floatKernel: true,
    check(graph: Graph, op: Op) {
      for (const [index, role] of [
        [op.inputs[0], 'input'],
        [op.outputs[0], 'output'],
      ] as const) {
        const t = index === undefined ? undefined : graph.tensors[index];
        if (!t) throw new OpError(op.index, op.kind, `has no ${role}`);
        requireFloat32Only(op, [[t, role]]);
      }
      kernel.check(graph, op);
    },
    prepare: (graph, op) => kernel.prepare(graph, op),
    macs: (graph, op) => kernel.macs!(graph, op),
    evaluate: (p: LibmUnaryParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]) => kernel.evaluate(p, inputs, outputs),
    emitC: (p: LibmUnaryParams, ctx: LayerEmitContext) => kernel.emitC(p, ctx),
  };
}

/** A row op (SOFTMAX, LOG_SOFTMAX) over the last dimension: float32 in and out, one shape. */
export function rowTensorsFloat(graph: Graph, op: Op): void {
  const input = graph.tensors[op.inputs[0]!];
  const output = graph.tensors[op.outputs[0]!];
  requireFloat(op, [
    [input, 'input'],
    [output, 'output'],
  ]);
  if (input!.shape.length === 0) throw new OpError(op.index, op.kind, `input ${tensorLabel(input!)} is a scalar; the op works on its last dimension`);
  if (input!.shape.join('x') !== output!.shape.join('x')) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output!)} has shape [${output!.shape.join(', ')}], input [${input!.shape.join(', ')}]`);
  }
}

/** rows (every dimension but the last) and their length (the last dimension) */
export function rowShape(graph: Graph, op: Op): { outer: number; depth: number } {
  const shape = graph.tensors[op.inputs[0]!]!.shape;
  const depth = shape[shape.length - 1] ?? 1;
  return { outer: depth === 0 ? 0 : elementCount(shape) / depth, depth };
}
