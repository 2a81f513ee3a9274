// SPDX-License-Identifier: Apache-2.0
/**
 * TANH, int8: TFLite Micro's reference_integer_ops::Tanh (the input rescaled to Q4.27,
 * gemmlowp's fixed-point tanh, rounded to the output's fixed scale 1/128 with zero point 0),
 * tabulated at compile time for the 256 input values. Int16 (16x8) layers go to the int16 variant
 * (common/families/sigmoid_int16_op.ts) through withInt16Variant.
 */
import { OpError } from '../../errors.ts';
import { type Int8SigmoidScaling, int8SigmoidScaling, tanhInt8 } from '../common/numerics/gemmlowp_activations.ts';
import { int8UnaryTensors, requireOutputQuantization } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { sigmoidInt16Variant } from '../common/families/sigmoid_int16_op.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { TANH_KERNEL } from '../common/families/float_libm.ts';

const tanh = tableOp<Int8SigmoidScaling>({
  kind: 'TANH',
  dir: import.meta.dirname,
  template: 'tanh.c.hbs',

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    requireOutputQuantization(op, output, 1 / 128, 0, '1/128');
    if (!int8SigmoidScaling(input.quant!.scale[0]!, input.quant!.zeroPoint[0]!)) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} is too small (below 2^-28) for TFLite's int8 tanh`);
    }
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    return int8SigmoidScaling(input.quant!.scale[0]!, input.quant!.zeroPoint[0]!)!;
  },

  value: tanhInt8,
});

// int16 activations (16x8): TFLite's int16 table kernel, common/families/sigmoid_int16_op.ts;
// float32: libm's tanhf (common/families/float_libm.ts)
export default withFloatVariant(withInt16Variant(tanh, sigmoidInt16Variant('TANH', 'tanh_int16.c.hbs')), TANH_KERNEL);
