// SPDX-License-Identifier: Apache-2.0
/**
 * float32 layers as a separate kernel of a quantized op. The op's integer definition stays as it is;
 * `withFloatVariant` puts a dispatcher in front of it that sends layers whose first input is float32
 * to the float kernel (picked in check/prepare by dtype) and their prepared parameters (tagged
 * `float32: true`) to the float kernel's evaluate and emitC. The dispatcher says `floatKernel: true`,
 * which is what lets a float op through passes/validate.ts (rejectFloatOps).
 *
 * The float kernels follow TFLite Micro's reference kernels (tensorflow/lite/kernels/internal/
 * reference/*.h): the same loop order, one float32 accumulator per output started at 0.0f, the bias
 * added after the sum, the activation clamp as std::min(std::max(x, lo), hi). Each step is one IEEE
 * float32 operation, so the C (compiled in ISO C mode, where GCC contracts no a*b+c into an FMA:
 * -ffp-contract=off) and the TypeScript reference (Math.fround after every operation) give TFLite
 * Micro's bits on every target, FPU or soft-float.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../../op.ts';
import { tensorLabel } from './weighted.ts';
import { chooseStorage } from '../../variant.ts';

/** Prepared parameters of a float kernel carry this tag. */
export interface FloatTagged {
  readonly float32: true;
}

export interface FloatKernel<P extends FloatTagged> {
  check(graph: Graph, op: Op): void;
  prepare(graph: Graph, op: Op): P;
  /** default: the integer definition's count */
  macs?(graph: Graph, op: Op): number;
  /** scratch the kernel's C takes (default none) */
  scratchBytes?(p: P): number;
  evaluate(p: P, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void;
  emitC(p: P, ctx: LayerEmitContext): string;
}

export function isFloatParams(p: unknown): p is FloatTagged {
  return typeof p === 'object' && p !== null && (p as { float32?: unknown }).float32 === true;
}

/** Whether the op's first input is a float32 tensor (how a float layer is recognised). */
export function firstInputIsFloat(graph: Graph, op: Op): boolean {
  const index = op.inputs[0];
  return index !== undefined && index >= 0 && graph.tensors[index]?.dtype === 'float32';
}

/**
 * The integer definition with the float kernel in front, typed as the integer definition (code
 * written against its parameters keeps its types): `prepare` returns the float kernel's tagged
 * parameters only for float layers, which only the dispatcher consumes.
 */
export function withFloatVariant<P, PF extends FloatTagged>(
  base: OpDef<P>,
  kernel: FloatKernel<PF>,
  selects: (graph: Graph, op: Op) => boolean = firstInputIsFloat,
): OpDef<P> {
  const portable: KernelVariant<PF> = {
    name: 'portable float32',
    family: 'portable',
    applies: () => true,
    ...(kernel.scratchBytes ? { scratchBytes: (p: PF) => kernel.scratchBytes!(p) } : {}),
    emit: (p, ctx) => kernel.emitC(p, ctx),
  };
  const dispatcher: OpDef<P | PF> = {
    ...(base as OpDef<P | PF>),
    floatKernel: true,
    check: (graph, op) => (selects(graph, op) ? kernel.check(graph, op) : base.check(graph, op)),
    prepare: (graph, op, kernels, facts) => (selects(graph, op) ? kernel.prepare(graph, op) : base.prepare(graph, op, kernels, facts)),
    macs: (graph, op) => (selects(graph, op) && kernel.macs ? kernel.macs(graph, op) : base.macs(graph, op)),
    // the float kernel is portable C with no overlap (and its own scratch, if any); integer layers choose as before,
    // among the variants of the definition it is called on (a copy with its own variants, in tests, keeps them)
    selectVariant(this: OpDef<P | PF> | undefined, p, isa, prefer, kernels) {
      if (isFloatParams(p)) return portable as KernelVariant<P | PF>;
      if (base.selectVariant) return base.selectVariant(p as P, isa, prefer, kernels) as KernelVariant<P | PF>;
      return chooseStorage((this ?? base) as OpDef<P>, p as P, isa, prefer, kernels) as KernelVariant<P | PF>;
    },
    // the integer dense price is not the float kernel's: a float layer is priced by its MACs
    ...(base.denseCost ? { denseCost: (p, isa, prefer) => (isFloatParams(p) ? undefined : base.denseCost!(p as P, isa, prefer)) } : {}),
    evaluate: (p, inputs, outputs) => (isFloatParams(p) ? kernel.evaluate(p as PF, inputs, outputs) : base.evaluate(p as P, inputs, outputs)),
    emitC: (p, ctx) => (isFloatParams(p) ? kernel.emitC(p as PF, ctx) : base.emitC(p as P, ctx)),
  };
  return dispatcher as OpDef<P>;
}

/** Every listed tensor is float32 (a float layer computes in float32 throughout), else one OpError. */
export function requireFloat(op: Op, tensors: readonly [Tensor | undefined, string][]): void {
  for (const [t, role] of tensors) {
    if (t && t.dtype !== 'float32') {
      throw new OpError(
        op.index,
        op.kind,
        `${role} ${tensorLabel(t)} is ${t.dtype}; a float32 layer of ${op.kind} takes float32 ${role === 'output' ? 'outputs' : 'inputs'} only`,
      );
    }
  }
}

/** The check of an op TFLite Micro runs on float32 only (it has no quantized kernel). */
export function requireFloat32Only(op: Op, tensors: readonly [Tensor, string][]): void {
  for (const [t, role] of tensors) {
    if (t.dtype !== 'float32') {
      throw new OpError(
        op.index,
        op.kind,
        `${role} ${tensorLabel(t)} is ${t.dtype}; TFLite Micro's ${op.kind} is float32 only (it has no quantized kernel), so only float32 is supported`,
      );
    }
  }
}

/** The fused activation's float bounds, as TFLite's CalculateActivationRange<float>. */
export function floatActivationRange(activation: string | undefined): [number, number] {
  switch (activation ?? 'NONE') {
    case 'RELU':
      return [0, FLOAT_MAX];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-FLOAT_MAX, FLOAT_MAX];
  }
}

/** The largest finite float32. */
export const FLOAT_MAX = 3.4028234663852886e38;

/** A C float literal that reads back as exactly `v` (a float32); FLT_MAX's own spelling for the bounds. */
export function cFloatLiteral(v: number): string {
  if (v === FLOAT_MAX) return '3.40282347e+38f';
  if (v === -FLOAT_MAX) return '-3.40282347e+38f';
  if (Object.is(v, -0)) return '-0.0f';
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0f`;
  return `${Math.fround(v).toPrecision(9)}f`;
}

const F = Math.fround;

/** TFLite's ActivationFunctionWithMinMax on float32: std::min(std::max(x, lo), hi), NaN kept. */
export function clampF(x: number, lo: number, hi: number): number {
  const a = x < lo ? lo : x; // std::max(x, lo) = (x < lo) ? lo : x
  return hi < a ? hi : a; // std::min(a, hi) = (hi < a) ? hi : a
}

/**
 * The C of the same clamp, as a macro every float layer shares (defined once per model): the
 * operand order of std::max and std::min, so a NaN passes through as in TFLite Micro.
 */
export const C_CLAMP = 'static inline float tf_fclamp(float x, float lo, float hi) {\n  float a = (x < lo) ? lo : x;\n  return (hi < a) ? hi : a;\n}\n';

export { F as fround };
