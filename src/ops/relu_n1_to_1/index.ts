/**
 * RELU_N1_TO_1, int8: the input requantized to the output's scale and clamped to [-1, 1] in real
 * terms. TFLite Micro registers no kernel for it; this follows desktop TFLite's reference
 * (ReluPrepare + QuantizedReluX), whose multiplier divides the float32 scales in float before
 * widening. Tabulated at compile time for the 256 input values.
 */
import { f32, quantizeMultiplier } from '../common/fixedpoint.ts';
import { activationRange } from '../common/activation.ts';
import { rejectInt16, unaryTensors } from '../common/elementwise.ts';
import { type RequantizeClamp, requantizeClamp } from '../common/requantize.ts';
import { tableOp } from '../common/table_op.ts';
import { requireInt8Activation } from '../common/weighted.ts';

const reluN1To1 = tableOp<RequantizeClamp>({
  kind: 'RELU_N1_TO_1',
  dir: import.meta.dirname,
  template: 'relu_n1_to_1.c.hbs',

  check(graph, op) {
    const { input, output } = unaryTensors(graph, op);
    rejectInt16(op, input, 'input');
    requireInt8Activation(op, input, 'input');
    requireInt8Activation(op, output, 'output');
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const m = quantizeMultiplier(f32(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!)));
    const range = activationRange('RELU_N1_TO_1', output);
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

export default reluN1To1;
