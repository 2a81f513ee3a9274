/**
 * RELU, int8: TFLite Micro's ReluQuantized. The input is requantized to the output's scale
 * (multiplier s_in/s_out, the scales widened to double before dividing) and clamped at the output's
 * zero point; tabulated at compile time for the 256 input values.
 */
import { withInt16Variant } from '../common/int16_variant.ts';
import { reluInt16 } from './relu_int16.ts';
import { f32, quantizeMultiplier } from '../common/fixedpoint.ts';
import { requireLeftShiftFits } from '../common/multiplier_fits.ts';
import { activationRange } from '../common/activation.ts';
import { rejectInt16, unaryTensors } from '../common/elementwise.ts';
import { type RequantizeClamp, requantizeClamp } from '../common/requantize.ts';
import { tableOp } from '../common/table_op.ts';
import { requireInt8Activation } from '../common/weighted.ts';

const relu = tableOp<RequantizeClamp>({
  kind: 'RELU',
  dir: import.meta.dirname,
  template: 'relu.c.hbs',

  check(graph, op) {
    const { input, output } = unaryTensors(graph, op);
    rejectInt16(op, input, 'input');
    requireInt8Activation(op, input, 'input');
    requireInt8Activation(op, output, 'output');
    requireLeftShiftFits(op, quantizeMultiplier(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!)).shift, 's_in/s_out');
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const m = quantizeMultiplier(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!));
    const range = activationRange('RELU', output);
    return {
      inputZeroPoint: input.quant!.zeroPoint[0]!,
      outputZeroPoint: output.quant!.zeroPoint[0]!,
      multiplier: m.multiplier,
      shift: m.shift,
      actMin: range.min,
      actMax: range.max,
    };
  },

  value: requantizeClamp,
});

// int16 activations (16x8) go to their own kernel in relu_int16.ts
export default withInt16Variant(relu, reluInt16);
