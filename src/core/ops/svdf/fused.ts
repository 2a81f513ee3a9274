// SPDX-License-Identifier: Apache-2.0
/**
 * What SVDF's target variants share: one pass per filter. The portable kernel (TFLite Micro's
 * order) shifts the whole state left by one, writes every filter's new feature value into its row's
 * last slot, then computes the time dot products. Each filter's row depends only on its own old row
 * and its new value, so the variants do it row by row: the feature dot product, its requantization
 * to the state, then one walk of the row that moves each old value one slot left while summing it
 * against weights_time, the new value last. No memmove, and each unit's output right after its
 * filters. The zero points fold into compile-time starts: sum w (x - z) = sum w x - z sum w, the same
 * int32 modulo 2^32, so the dot products are of raw values (a per-unit start holds the bias minus the
 * state zero point times the unit's time weights). Every requantization is an exact form of the
 * family for the compile-time bound of its operand (or for any int32, where sums may wrap).
 */
import type { LayerEmitContext } from '../op.ts';
import { tensorBuffer } from '../../ir/buffers.ts';
import type { SvdfParams } from './index.ts';
import { wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { optionalInput } from '../common/families/weighted.ts';

/** the layer's constant tensors */
export function svdfConsts(ctx: LayerEmitContext): { wf: Int8Array; wt: Int8Array | Int16Array; bias?: Int32Array } {
  const t = (i: number) => ctx.graph.tensors[ctx.op.inputs[i]!]!;
  const bias = optionalInput(ctx.graph, ctx.op, 3);
  return {
    wf: tensorBuffer(t(1)) as Int8Array,
    wt: tensorBuffer(t(2)) as Int8Array | Int16Array,
    bias: bias ? (tensorBuffer(bias) as Int32Array) : undefined,
  };
}

/** the state's range */
export function stateRange(p: SvdfParams): [number, number] {
  return p.stateBits === 16 ? [-32768, 32767] : [-128, 127];
}

/** |x - z| at most, for an int8 input of zero point z */
const maxOffsetInput = (z: number) => Math.max(127 - z, z + 128);

/** the largest |feature dot product| over the filters: sum |w| * max |x - z| (not wrapped) */
export function featureBound(p: SvdfParams, wf: Int8Array): number {
  let bound = 0;
  for (let f = 0; f < p.filters; f++) {
    let s = 0;
    for (let k = 0; k < p.inputSize; k++) s += Math.abs(wf[f * p.inputSize + k]!);
    bound = Math.max(bound, s * maxOffsetInput(p.inputZeroPoint));
  }
  return bound;
}

/** the largest |bias + time dot products| over the units (not wrapped; past int32 the sums wrap) */
export function outputBound(p: SvdfParams, wt: Int8Array | Int16Array, bias: Int32Array | undefined): number {
  const [lo, hi] = stateRange(p);
  const maxState = Math.max(hi - p.stateZeroPoint, p.stateZeroPoint - lo);
  let bound = 0;
  for (let u = 0; u < p.units; u++) {
    let s = 0;
    for (let i = u * p.rank * p.memory; i < (u + 1) * p.rank * p.memory; i++) s += Math.abs(wt[i]!);
    bound = Math.max(bound, Math.abs(bias?.[u] ?? 0) + s * maxState);
  }
  return bound;
}

/** bound for the requantization emitters: Infinity where the sum may wrap */
export const emitterBound = (b: number) => (b >= 2 ** 31 - 1 ? Infinity : b);

/** per filter -z_in * sum w (int32, wrapped), or undefined when the input zero point is 0 */
export function featureStarts(p: SvdfParams, wf: Int8Array): number[] | undefined {
  if (p.inputZeroPoint === 0) return undefined;
  return Array.from({ length: p.filters }, (_, f) => {
    let s = 0;
    for (let k = 0; k < p.inputSize; k++) s += wf[f * p.inputSize + k]!;
    return wrapInt32(-p.inputZeroPoint * s);
  });
}

/** per unit bias - z_state * sum of its filters' time weights (int32, wrapped), or undefined when all 0 */
export function outputStarts(p: SvdfParams, wt: Int8Array | Int16Array, bias: Int32Array | undefined): number[] | undefined {
  const starts = Array.from({ length: p.units }, (_, u) => {
    let s = 0;
    for (let i = u * p.rank * p.memory; i < (u + 1) * p.rank * p.memory; i++) s += wt[i]!;
    return wrapInt32((bias?.[u] ?? 0) - p.stateZeroPoint * s);
  });
  return starts.some((v) => v !== 0) ? starts : undefined;
}

/** the view every fused template reads: starts as const tables, the requantization helpers' names */
export function fusedView(p: SvdfParams, ctx: LayerEmitContext, foldInput: boolean) {
  const { wf, wt, bias } = svdfConsts(ctx);
  const fs = foldInput ? featureStarts(p, wf) : undefined;
  const os = outputStarts(p, wt, bias);
  return {
    featureStart: fs ? ctx.addConst('feature_start', 'int32_t', fs) : undefined,
    outputStart: os ? ctx.addConst('output_start', 'int32_t', os) : undefined,
    rqState: `${ctx.fnName}_rq_state`,
    rqOut: `${ctx.fnName}_rq_out`,
    featureBound: featureBound(p, wf),
    outputBound: outputBound(p, wt, bias),
  };
}

/**
 * MultiplyByQuantizedMultiplier(acc, multiplier, shift) + zp clamped to [lo, hi] as the reference
 * computes it (the sum exact, then the clamp), with no signed overflow: TFLite's form in 64 bits.
 */
export function wideRequantFn(name: string, multiplier: number, shift: number, zp: number, lo: number, hi: number): string {
  return (
    `/* MultiplyByQuantizedMultiplier(acc, ${multiplier}, ${shift}) + ${zp}, clamped to [${lo}, ${hi}]: TFLite Micro's steps, the zero point\n` +
    ` * added in 64 bits (a left shift lets the product reach the int32 limits) */\n` +
    `static inline int32_t ${name}(int32_t acc) {\n  const int64_t q = (int64_t)tf_mbqm(acc, ${multiplier}, ${shift}) + ${zp};\n  return (int32_t)(q < ${lo} ? ${lo} : (q > ${hi} ? ${hi} : q));\n}\n`
  );
}
