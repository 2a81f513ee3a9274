// SPDX-License-Identifier: Apache-2.0
/**
 * L2_NORMALIZATION, int8, along the last axis: TFLite Micro's reference_integer_ops::L2Normalization.
 * Per row, the sum of squares of (q - z_in) in int32 gives 1/sqrt as a multiplier and shift
 * (GetInvSqrtQuantizedMultiplierExp, at run time since it depends on the data); each element is
 * rescaled by it to the fixed output scale 1/128 with zero point 0 and clamped. Only activation NONE.
 *
 * The sum of squares is at most depth·max (q - z_in)², up to depth·255² (z_in -128 or 127): below 2^31
 * up to depth 33,025, the bound said in the C's comment. Past it TFLite Micro's int32 sum wraps (its
 * comment counts on 2^16 steps) and its inverse square root takes what it wraps to (a negative sum as
 * 0 or 1: the largest multiplier, in a release build; a debug build's DCHECK_GE(input, 0) aborts, as
 * tflm-ref does); the C sums in uint32_t and reads that int32 back, the reference wraps the same
 * (wrapInt32).
 */
import { OpError } from '../../errors.ts';
import { elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { clamp, mbqm, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { invSqrtQuantizedMultiplierExp } from '../common/numerics/inv_sqrt.ts';
import { int8UnaryTensors, requireOutputQuantization } from '../common/families/elementwise.ts';
import { cTerm, tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { l2NormalizationFloat } from './l2_normalization_float.ts';
import { type AccumulatorView, accumulatorC, int32Accumulator, sumBound } from '../common/numerics/accumulator_bound.ts';

/** The output is Q0.7: 1/128 per step */
const OUTPUT_SCALE_BITS = 7;
/** TFLite's kReverseShift: the right shift of the inverse square root becomes a left shift */
const REVERSE_SHIFT = -1;

export interface L2NormalizationParams extends Partial<AccumulatorView> {
  rows: number;
  depth: number;
  inputZeroPoint: number;
}

const l2Normalization: OpDef<L2NormalizationParams> = {
  kind: 'L2_NORMALIZATION',
  dir: import.meta.dirname,

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    requireOutputQuantization(op, output, 1 / 128, 0, '1/128');
    if (input.shape.length < 1 || input.shape.length > 4)
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has rank ${input.shape.length}; TFLite supports rank 1 to 4`);
    const activation = (op.attrs as { activation?: unknown }).activation ?? 'NONE';
    if (activation !== 'NONE')
      throw new OpError(op.index, op.kind, `fused activation ${String(activation)} is not supported (TFLite's L2_NORMALIZATION takes none)`);
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const depth = input.shape[input.shape.length - 1]!;
    const inputZeroPoint = input.quant!.zeroPoint[0]!;
    const maxAbs = Math.max(Math.abs(-128 - inputZeroPoint), Math.abs(127 - inputZeroPoint));
    return {
      rows: depth === 0 ? 0 : elementCount(input.shape) / depth,
      depth,
      inputZeroPoint,
      ...int32Accumulator(sumBound(depth, maxAbs * maxAbs), 'sum (x - z_in)^2'),
    };
  },

  macs(graph, op) {
    return 2 * elementCount(graph.tensors[op.inputs[0]!]!.shape);
  },

  // each row is read whole (sum of squares) before its first output element is written
  overlap: () => ({ input: 0, gap: 0 }),

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let r = 0; r < p.rows; r++) {
      const base = r * p.depth;
      let acc = 0;
      for (let c = 0; c < p.depth; c++) {
        const v = x[base + c]! - p.inputZeroPoint;
        acc = wrapInt32(acc + v * v);
      }
      const { multiplier, shift } = invSqrtQuantizedMultiplierExp(acc, REVERSE_SHIFT);
      for (let c = 0; c < p.depth; c++) {
        out[base + c] = clamp(mbqm(x[base + c]! - p.inputZeroPoint, multiplier, shift + OUTPUT_SCALE_BITS), -128, 127);
      }
    }
  },

  emitC(p, ctx) {
    return ctx.render('l2_normalization.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
      inputOffset: cTerm(-p.inputZeroPoint),
      reverseShift: REVERSE_SHIFT,
      outputScaleBits: OUTPUT_SCALE_BITS,
      ...accumulatorC({ accWraps: p.accWraps ?? false, accBound: p.accBound ?? '' }),
    });
  },
};

// float32: TFLite's reference L2Normalization (float), its bits (l2_normalization_float.ts)
export default withFloatVariant(l2Normalization, l2NormalizationFloat);
