// SPDX-License-Identifier: Apache-2.0
/**
 * What ADD_N and CUMSUM share (TFLite Micro's int8 AddN and CumSum): every input has one scale s and
 * zero point z (ADD_N requires all inputs alike), each element is brought to a common fixed-point
 * form u(q) = MBQM((q − z)·2^20, m_in, sh_in) with m_in from s / (2s) = 0.5, the u's are summed,
 * and the sum is rescaled by (2s) / (2^20·s_out) (double arithmetic on the float32 scales).
 *
 * Surprise kept: the sum does not start at 0 but at u of the input offset itself, i.e.
 * MBQM(−z·2^20, m_in, sh_in) (TFLite Micro's comment says "x = 0" over `x = input1_offset`), so for
 * z ≠ 0 every output carries one extra −z·s. Both reference kernels do it; so do ours.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import { f32, mbqm, quantizeMultiplier } from '../numerics/fixedpoint.ts';
import { tensorLabel } from './weighted.ts';

export const ADD_SCAN_LEFT_SHIFT = 20;

export interface AddScanParams {
  inputOffset: number;
  inputMultiplier: number;
  inputShift: number;
  outputMultiplier: number;
  outputShift: number;
  outputZeroPoint: number;
  /** u(0): the sum's starting value (see above) */
  start: number;
}

function requirePerTensor(op: Op, t: Tensor, role: string): { scale: number; zeroPoint: number } {
  if (t.dtype !== 'int8')
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; TFLite Micro's int8 ${op.kind} needs int8 (its other type is float32)`);
  if (!t.quant || t.quant.scale.length !== 1) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} needs one scale and zero point`);
  return { scale: f32(t.quant.scale[0]!), zeroPoint: t.quant.zeroPoint[0]! };
}

/** Checks the quantizations and computes the parameters; `inputs` all share input 0's quantization. */
export function addScanParams(graph: Graph, op: Op, inputs: Tensor[], output: Tensor): AddScanParams {
  const first = requirePerTensor(op, inputs[0]!, 'input 0');
  inputs.forEach((t, i) => {
    const q = requirePerTensor(op, t, `input ${i}`);
    if (q.scale !== first.scale || q.zeroPoint !== first.zeroPoint) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${i} ${tensorLabel(t)} has scale ${t.quant!.scale[0]} and zero point ${q.zeroPoint}; TFLite Micro needs every input quantized like input 0 (${inputs[0]!.quant!.scale[0]}, ${first.zeroPoint})`,
      );
    }
  });
  const out = requirePerTensor(op, output, 'output');
  const twice = 2 * first.scale;
  const realInput = first.scale / twice;
  const realOutput = twice / ((1 << ADD_SCAN_LEFT_SHIFT) * out.scale);
  const mi = quantizeMultiplier(realInput);
  const mo = quantizeMultiplier(realOutput);
  if (!(realOutput > 0 && realOutput < 1) || mo.shift > 0) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} scale ${output.quant!.scale[0]} is too small for the input scale (TFLite Micro needs 2·s_in / (2^20·s_out) < 1)`,
    );
  }
  const inputOffset = -first.zeroPoint;
  return {
    inputOffset,
    inputMultiplier: mi.multiplier,
    inputShift: mi.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
    outputZeroPoint: out.zeroPoint,
    start: mbqm(inputOffset * (1 << ADD_SCAN_LEFT_SHIFT), mi.multiplier, mi.shift),
  };
}

export function scaledInput(p: AddScanParams, q: number): number {
  return mbqm((q + p.inputOffset) * (1 << ADD_SCAN_LEFT_SHIFT), p.inputMultiplier, p.inputShift);
}

export function scaledOutput(p: AddScanParams, sum: number): number {
  const v = mbqm(sum, p.outputMultiplier, p.outputShift) + p.outputZeroPoint;
  return v < -128 ? -128 : v > 127 ? 127 : v;
}

/** The C helpers of one layer: `<fn>_in(q)` and `<fn>_out(sum)`. */
export function addScanCHelpers(p: AddScanParams, fnName: string): string {
  return `static inline int32_t ${fnName}_in(int8_t q) { return tf_mbqm(((int32_t)q + ${p.inputOffset}) * (1 << ${ADD_SCAN_LEFT_SHIFT}), ${p.inputMultiplier}, ${p.inputShift}); }
static inline int8_t ${fnName}_out(int32_t s) { return (int8_t)tf_clamp(tf_mbqm(s, ${p.outputMultiplier}, ${p.outputShift}) + ${p.outputZeroPoint}, -128, 127); }
`;
}
