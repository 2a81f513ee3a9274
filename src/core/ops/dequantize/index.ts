// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import { DTYPE_C, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { f32 } from '../common/numerics/fixedpoint.ts';
import { type PerChannelParams, allowsPerChannel, perChannelParams } from '../common/numerics/per_channel.ts';
import { floatLiteral } from '../common/render.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface DequantizeParams {
  count: number;
  inType: 'int8' | 'uint8' | 'int16';
  scale: number;
  zeroPoint: number;
  /** ONNX's per-axis DequantizeLinear: one scale and zero point per channel (`scale`, `zeroPoint` are channel 0's) */
  perChannel?: PerChannelParams;
}

/** DEQUANTIZE int8/uint8/int16 -> float32: s * (q - z) in float32, as TFLite's reference does. */
const dequantize: OpDef<DequantizeParams> = {
  kind: 'DEQUANTIZE',
  dir: import.meta.dirname,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    if (input.dtype !== 'int8' && input.dtype !== 'uint8' && input.dtype !== 'int16') {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; only int8, uint8 and int16 are supported`);
    }
    if (output.dtype !== 'float32') throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; only float32 is supported`);
    const q = input.quant;
    if (!q || q.scale.length === 0) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has no quantization parameters`);
    if (q.scale.length !== 1 && !allowsPerChannel(op.attrs, input))
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is quantized per channel; only per-tensor is supported`);
    if (elementCount(input.shape) !== elementCount(output.shape)) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} [${input.shape.join(',')}] and output ${tensorLabel(output)} [${output.shape.join(',')}] differ in size`,
      );
    }
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    return {
      count: elementCount(input.shape),
      inType: input.dtype as DequantizeParams['inType'],
      scale: f32(input.quant!.scale[0]!),
      zeroPoint: input.quant!.zeroPoint[0]!,
      ...(allowsPerChannel(op.attrs, input) ? { perChannel: perChannelParams(input) } : {}),
    };
  },

  macs(graph, op) {
    return elementCount(graph.tensors[op.inputs[0]!]!.shape);
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int8Array | Uint8Array | Int16Array;
    const out = outputs[0] as Float32Array;
    const pc = p.perChannel;
    for (let i = 0; i < p.count; i++) {
      const c = pc ? Math.floor(i / pc.inner) % pc.scales.length : 0;
      out[i] = pc ? f32(pc.scales[c]! * (input[i]! - pc.zeroPoints[c]!)) : f32(p.scale * (input[i]! - p.zeroPoint));
    }
  },

  emitC(p, ctx) {
    return ctx.render('dequantize.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inCType: DTYPE_C[p.inType],
      scaleLiteral: floatLiteral(p.scale),
      ...(p.perChannel
        ? {
            channelCount: p.perChannel.scales.length,
            inner: p.perChannel.inner,
            outer: p.count / (p.perChannel.inner * p.perChannel.scales.length),
            scaleList: p.perChannel.scales.map(floatLiteral).join(', '),
            zeroPointList: p.perChannel.zeroPoints.join(', '),
          }
        : {}),
      shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
    });
  },
};

export default dequantize;
