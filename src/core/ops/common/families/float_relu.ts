// SPDX-License-Identifier: Apache-2.0
/**
 * RELU and RELU6 on float32: TFLite Micro's ReluFloat (val < 0.0f ? 0.0f : val) and Relu6Float
 * (val > 6.0f ? 6.0f : val < 0.0f ? 0.0f : val). Comparisons only, so -0 and NaN pass through
 * unchanged as in TFLite Micro.
 */
import { elementCount } from '../../../ir/graph.ts';
import { unaryTensors } from './elementwise.ts';
import { type FloatKernel, type FloatTagged, requireFloat } from './float_variant.ts';

export interface FloatReluParams extends FloatTagged {
  size: number;
  six: boolean;
}

export function floatRelu(six: boolean): FloatKernel<FloatReluParams> {
  return {
    check(graph, op) {
      const { input, output } = unaryTensors(graph, op);
      requireFloat(op, [
        [input, 'input'],
        [output, 'output'],
      ]);
    },
    prepare: (graph, op) => ({ float32: true, size: elementCount(graph.tensors[op.inputs[0]!]!.shape), six }),
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      // through the bits: a NaN keeps its payload, which a JS number would not
      const xu = new Uint32Array(x.buffer, x.byteOffset, p.size);
      const yu = new Uint32Array(y.buffer, y.byteOffset, p.size);
      for (let i = 0; i < p.size; i++) {
        const v = x[i]!;
        yu[i] = p.six && v > 6 ? 0x40c00000 : v < 0 ? 0 : xu[i]!;
      }
    },
    emitC(p, ctx) {
      const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
      const expr = p.six ? 'v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v' : 'v < 0.0f ? 0.0f : v';
      return [
        `/* ${p.six ? 'RELU6' : 'RELU'} float32 [${shape}]: ${expr}, as TFLite Micro's ${p.six ? 'Relu6Float' : 'ReluFloat'} (portable C) */`,
        `static void ${ctx.fnName}(void) {`,
        `  const float *in = ${ctx.input(0)};`,
        `  float *out = ${ctx.output(0)};`,
        `  for (int i = 0; i < ${p.size}; ++i) {`,
        `    const float v = in[i];`,
        `    out[i] = ${expr};`,
        `  }`,
        `}`,
        '',
      ].join('\n');
    },
  };
}
