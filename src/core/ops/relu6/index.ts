// SPDX-License-Identifier: Apache-2.0
/**
 * RELU6, int8: TFLite Micro's Relu6Quantized, a clamp of the raw input values between the input's
 * zero point and the input's quantized 6.0. TFLite Micro does not requantize: it reads the output
 * as having the input's scale and zero point (desktop TFLite requantizes to the output's scale, so
 * the two differ when a model gives RELU6 an output quantization of its own).
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatRelu } from '../common/families/float_relu.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { relu6Int16 } from './relu6_int16.ts';
import { elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { clamp, f32, roundHalfAway } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';

export interface Relu6Params {
  size: number;
  /** the input zero point (real 0) */
  lower: number;
  /** the input's quantized 6.0, saturated to int8 */
  upper: number;
}

const relu6: OpDef<Relu6Params> = {
  kind: 'RELU6',
  dir: import.meta.dirname,

  check(graph, op) {
    int8UnaryTensors(graph, op);
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const zero = input.quant!.zeroPoint[0]!;
    // FloatToQuantizedType<int8_t>(6.0f, scale, zero_point): float division, round half away
    const six = clamp(roundHalfAway(f32(6 / f32(input.quant!.scale[0]!))) + zero, -128, 127);
    return { size: elementCount(input.shape), lower: zero, upper: six };
  },

  macs(graph, op) {
    return elementCount(graph.tensors[op.inputs[0]!]!.shape);
  },

  overlap: () => ({ input: 0, gap: 0 }),

  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let i = 0; i < p.size; i++) {
      const v = x[i]!;
      out[i] = v > p.upper ? p.upper : v < p.lower ? p.lower : v;
    }
  },

  emitC(p, ctx) {
    return ctx.render('relu6.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
    });
  },
};

// int16 activations (16x8) go to their own kernel in relu6_int16.ts
// float32 tensors: TFLite Micro's Relu6Float, common/families/float_relu.ts
export default withFloatVariant(withInt16Variant(relu6, relu6Int16), floatRelu(true));
