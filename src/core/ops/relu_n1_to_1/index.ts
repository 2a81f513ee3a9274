// SPDX-License-Identifier: Apache-2.0
/**
 * RELU_N1_TO_1, int8: the input requantized to the output's scale and clamped to [-1, 1] in real
 * terms. TFLite Micro registers no kernel for it; this follows desktop TFLite's reference
 * (ReluPrepare + QuantizedReluX), whose multiplier divides the float32 scales in float before
 * widening. Tabulated at compile time for the 256 input values.
 */
import { f32 } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { type RequantizeClamp, requantizeClamp, requantizeClampParams } from '../common/numerics/requantize.ts';
import { tableOp } from '../common/families/table_op.ts';

const reluN1To1 = tableOp<RequantizeClamp>({
  kind: 'RELU_N1_TO_1',
  dir: import.meta.dirname,
  template: 'relu_n1_to_1.c.hbs',

  check(graph, op) {
    int8UnaryTensors(graph, op);
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    return requantizeClampParams(input, output, f32(f32(input.quant!.scale[0]!) / f32(output.quant!.scale[0]!)), 'RELU_N1_TO_1');
  },

  value: requantizeClamp,
});

export default reluN1To1;
