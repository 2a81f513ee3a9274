// SPDX-License-Identifier: Apache-2.0
/**
 * RELU6 16x8: TFLite Micro's Relu6Quantized<int16_t>: a clamp of the raw input between 0 (the zero
 * point) and the input's quantized 6.0 (FloatToQuantizedType: float32 division, round half away,
 * saturated to int16). As for int8, TFLite Micro does not requantize: the output is read with the
 * input's scale whatever the output tensor says.
 */
import { clamp, f32, roundHalfAway } from '../common/numerics/fixedpoint.ts';
import { unaryInt16 } from '../common/families/unary_int16.ts';

export const relu6Int16 = unaryInt16<{ upper: number }>({
  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    return { upper: clamp(roundHalfAway(f32(6 / f32(input.quant!.scale[0]!))), -32768, 32767) };
  },
  value: (x, q) => (x > q.upper ? q.upper : x < 0 ? 0 : x),
  cExpr: (q) => `tf_clamp(x, 0, ${q.upper})`,
  describe: (q) => `clamp to [0, ${q.upper}] (6.0 at the input scale)`,
});
