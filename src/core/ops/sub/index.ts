// SPDX-License-Identifier: Apache-2.0
/**
 * SUB, int8 with broadcasting: TFLite Micro's SubElementwise / BroadcastQuantSubSlow. Like ADD, both
 * inputs are shifted left by 20 and brought to twice the larger input scale, subtracted, and
 * rescaled to the output; unlike TFLite Micro's ADD, SUB's Prepare divides the scales in float32
 * before widening (s_i / (2·max) and 2·max / (2^20·s_out) are float quotients).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatArithmetic, outputIsFloat } from '../common/families/float_arithmetic.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { anyOperandInt16, withInt16Variant } from '../common/families/int16_variant.ts';
import { subInt16 } from './sub_int16.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { type BinaryLayout, binaryLayout } from '../common/families/elementwise.ts';
import {
  type CommonScaleParams,
  type CommonScaleReals,
  commonScaleParams,
  forEachPair,
  subRealMultipliers,
  fusedActivationBounds,
  inPlaceOverlap,
  input1AtCommonScale,
  input2AtCommonScale,
  int8BinaryTensors,
  outputElementCount,
  planCommonScale,
  renderCommonScale,
  requireCommonScaleFits,
} from '../common/families/binary_elementwise.ts';
import { sumTablesVariant } from '../common/families/sum_tables.ts';
import { commonScaleMveVariant } from '../common/families/common_scale_mve.ts';
import { withInt32Arithmetic } from '../common/families/int32_arithmetic.ts';

/** TFLite's int8 SUB keeps 20 bits of headroom, as ADD does. */
const LEFT_SHIFT = 20;

export interface SubParams extends BinaryLayout, CommonScaleParams {
  actMin: number;
  actMax: number;
}

/** TFLite Micro's CalculateOpDataSub (int8). */
const realMultipliers = (graph: Graph, op: Op): CommonScaleReals => subRealMultipliers(graph, op, LEFT_SHIFT);

const sub: OpDef<SubParams> = {
  kind: 'SUB',
  dir: import.meta.dirname,

  check(graph, op) {
    const { out } = int8BinaryTensors(graph, op);
    fusedActivationBounds(graph, op);
    requireCommonScaleFits(op, out, realMultipliers(graph, op).output, LEFT_SHIFT);
  },

  prepare(graph, op) {
    return {
      ...binaryLayout(graph, op),
      ...commonScaleParams(graph, op, realMultipliers(graph, op)),
      ...fusedActivationBounds(graph, op),
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => {
      const x1 = input1AtCommonScale(p, LEFT_SHIFT, q1);
      const x2 = input2AtCommonScale(p, LEFT_SHIFT, q2);
      return clamp(mbqm(x1 - x2, p.outputMultiplier, p.outputShift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  // input 2's share enters negated (a negated table or shift), the rest is ADD's kernel
  emitC(p, ctx) {
    return renderCommonScale(planCommonScale(p, LEFT_SHIFT, -1, p.actMin, p.actMax), p.loops, 'SUB', ctx);
  },

  // MVE: the same plan four lanes at a time (common/families/common_scale_mve.ts); Armv6-M, RV32 and Xtensa: no
  // multiply at all, the output read off the sum of two tables (common/families/sum_tables.ts)
  variants: [
    commonScaleMveVariant<SubParams>('SUB', LEFT_SHIFT, -1, inPlaceOverlap),
    sumTablesVariant<SubParams>('SUB', LEFT_SHIFT, -1, inPlaceOverlap),
    sumTablesVariant<SubParams>('SUB', LEFT_SHIFT, -1, inPlaceOverlap, 'rv32'),
    sumTablesVariant<SubParams>('SUB', LEFT_SHIFT, -1, inPlaceOverlap, 'xtensa'),
  ],
};

// int16 activations (16x8) go to their own kernel in sub_int16.ts
// int32 tensors (signal front-ends' output scaling): plain integer arithmetic, common/families/int32_arithmetic.ts
// float32 tensors: TFLite Micro's float SUB, common/families/float_arithmetic.ts
export default withFloatVariant(withInt32Arithmetic(withInt16Variant(sub, subInt16, anyOperandInt16), 'SUB'), floatArithmetic('SUB'), outputIsFloat);
