// SPDX-License-Identifier: Apache-2.0
/**
 * MUL, int8 with broadcasting: TFLite Micro's MulElementwise / BroadcastMul6DSlow. The product of
 * the zero-point-corrected inputs is requantized once by s1·s2/s_out (the float32 scales widened to
 * double before multiplying), then the fused activation clamps. Bit-exact with tflm-ref on random
 * broadcasts, quantizations and activations; a multiplier of 2^31 or more is refused (TFLite Micro's
 * left shift is undefined in C there, see common/numerics/multiplier_fits.ts).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatArithmetic, outputIsFloat } from '../common/families/float_arithmetic.ts';
import type { OpDef } from '../op.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { anyOperandInt16, withInt16Variant } from '../common/families/int16_variant.ts';
import { mulInt16 } from './mul_int16.ts';
import { mulInt16Variants } from './mul_int16_variants.ts';
import { mulM0plus } from './m0plus.ts';
import { mulDsp } from './dsp.ts';
import { mulMve } from './mve.ts';
import { mulRv32 } from './rv32.ts';
import { clamp, mbqm, quantizeMultiplier, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from '../common/families/elementwise.ts';
import {
  type BinaryZeroPoints,
  binaryZeroPoints,
  float32Scales,
  forEachPair,
  fusedActivationBounds,
  inPlaceOverlap,
  int8BinaryTensors,
  outputElementCount,
  zeroPointsView,
} from '../common/families/binary_elementwise.ts';
import { withInt32Arithmetic } from '../common/families/int32_arithmetic.ts';
import { ortBinaryKernel, withOrtArithmetic } from '../common/families/ort_kernels.ts';

export interface MulParams extends BinaryLayout, BinaryZeroPoints {
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

const mul: OpDef<MulParams> = {
  kind: 'MUL',
  dir: import.meta.dirname,

  check(graph, op) {
    int8BinaryTensors(graph, op);
    fusedActivationBounds(graph, op);
    const { s1, s2, so } = float32Scales(graph, op);
    requireLeftShiftFits(op, quantizeMultiplierUnchecked((s1 * s2) / so).shift, 's1·s2/s_out');
  },

  prepare(graph, op) {
    const { s1, s2, so } = float32Scales(graph, op);
    const m = quantizeMultiplier((s1 * s2) / so);
    return {
      ...binaryLayout(graph, op),
      ...binaryZeroPoints(graph, op),
      multiplier: m.multiplier,
      shift: m.shift,
      ...fusedActivationBounds(graph, op),
    };
  },

  macs: outputElementCount,
  overlap: inPlaceOverlap,

  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => {
      const product = (q1 + p.input1Offset) * (q2 + p.input2Offset);
      return clamp(mbqm(product, p.multiplier, p.shift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  emitC(p, ctx) {
    return ctx.render('mul.c.hbs', {
      ...binaryEmitView(p, ctx),
      ...zeroPointsView(p),
      multiplier: p.multiplier,
      shift: p.shift,
      actMin: p.actMin,
      actMax: p.actMax,
    });
  },

  // MVE: the DSP plan four int32 lanes at a time (mve.ts); Arm DSP: four elements per word, one
  // SMMLAR requantization (dsp.ts); Armv6-M: SRDHM from three 32-bit products instead of a 64-bit
  // multiply (m0plus.ts)
  variants: [mulMve, mulDsp, mulM0plus, mulRv32],
};

// int16 activations (16x8) go to their own kernel in mul_int16.ts
// int32 tensors (signal front-ends' output scaling): plain integer arithmetic, common/families/int32_arithmetic.ts
// layers imported from ONNX: QLinearMul's float32 arithmetic (common/families/ort_kernels.ts)
// float32 tensors: TFLite Micro's float MUL, common/families/float_arithmetic.ts
export default withFloatVariant(
  withOrtArithmetic(withInt32Arithmetic(withInt16Variant(mul, { ...mulInt16, variants: mulInt16Variants }, anyOperandInt16), 'MUL'), ortBinaryKernel('mul')),
  floatArithmetic('MUL'),
  outputIsFloat,
);
