// SPDX-License-Identifier: Apache-2.0
/**
 * RELU, int8: TFLite Micro's ReluQuantized. The input is requantized to the output's scale
 * (multiplier s_in/s_out, the scales widened to double before dividing) and clamped at the output's
 * zero point; tabulated at compile time for the 256 input values.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatRelu } from '../common/families/float_relu.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { reluInt16 } from './relu_int16.ts';
import { f32, quantizeMultiplierUnchecked } from '../common/numerics/fixedpoint.ts';
import { requireLeftShiftFits } from '../common/numerics/multiplier_fits.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { type RequantizeClamp, requantizeClamp, requantizeClampParams } from '../common/numerics/requantize.ts';
import { tableOp } from '../common/families/table_op.ts';

const relu = tableOp<RequantizeClamp>({
  kind: 'RELU',
  dir: import.meta.dirname,
  template: 'relu.c.hbs',

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    requireLeftShiftFits(op, quantizeMultiplierUnchecked(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!)).shift, 's_in/s_out');
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    return requantizeClampParams(input, output, f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!), 'RELU');
  },

  value: requantizeClamp,
});

// int16 activations (16x8) go to their own kernel in relu_int16.ts
// float32 tensors: TFLite Micro's ReluFloat, common/families/float_relu.ts
export default withFloatVariant(withInt16Variant(relu, reluInt16), floatRelu(false));
