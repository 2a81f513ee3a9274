// SPDX-License-Identifier: Apache-2.0
/**
 * Clip. To [0, 6], [0, inf) or [-1, 1]: the fused activation of the op before it, or RELU6 / RELU /
 * RELU_N1_TO_1. Other constant bounds on a quantized tensor: a clamp of the stored integers. ONNX
 * Runtime computes QuantizeLinear(Clip(DequantizeLinear(q))), or drops the Clip where the
 * QuantizeLinear saturates anyway; quantizing is monotone, so both are the input requantized to the
 * output's parameters (when they differ) and clamped to [Q(min), Q(max)], with Q rounding
 * min / scale half to even as QuantizeLinear does. The clamp is a MAXIMUM and a MINIMUM with
 * constants, each left out where the int8 range already holds the bound.
 */
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import type { OnnxOpLowering } from './registry.ts';
import { lowerActivation } from './activation.ts';
import { aliasOutput, requantized } from './outputs.ts';
import { roundHalfEven } from './common.ts';
import type { ActivationValue } from '../values.ts';

export const clip: OnnxOpLowering = {
  minOpset: 11,
  lower(ctx, node) {
    const activation = ctx.fusableActivation(node);
    if (activation) {
      lowerActivation(ctx, node, activation);
      return;
    }
    const x = ctx.activation(node, 0, 'the input');
    if (!ctx.quantizedInputs(node, [x])) throw ctx.fail(node, 'a float Clip is supported only to [0, 6], [0, inf) or [-1, 1] (a fused activation)');
    const [lo, hi] = clipBounds(ctx, node);
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    const q = ctx.soleConsumer(name);
    if (!q || q.node.opType !== 'QuantizeLinear')
      throw ctx.fail(node, `its output '${name}' is not quantized by one QuantizeLinear: tinyforge clamps quantized tensors only`);
    const { quant } = ctx.quantizeParams(q.node);
    const scale = Math.fround(quant.scale[0]!);
    const zero = quant.zeroPoint[0]!;
    const stored = (bound: number) => Math.min(127, Math.max(-128, roundHalfEven(Math.fround(Math.fround(bound) / scale)) + zero));
    const qlo = lo === -Infinity ? -128 : stored(lo);
    const qhi = hi === Infinity ? 127 : stored(hi);
    const moved = requantized(ctx, x, quant);
    const t = ctx.tensor(moved);
    let y: ActivationValue = moved;
    const bounded = (kind: 'MAXIMUM' | 'MINIMUM', bound: number, last: boolean) => {
      const value = ctx.addConstant(`${t.name}_${kind === 'MAXIMUM' ? 'min' : 'max'}`, 'int8', [], [bound], {
        ...quant,
        scale: [...quant.scale],
        zeroPoint: [...quant.zeroPoint],
      });
      const out = last
        ? ctx.output(node, 0, ctx.onnxShape(x), x.perm, { quantized: true }).index
        : ctx.addTensor(`${t.name}_clipped`, 'int8', [...t.shape], { ...quant, scale: [...quant.scale], zeroPoint: [...quant.zeroPoint] });
      ctx.addQuantizedOp(kind, [y.index, value], [out], {}, true);
      y = { kind: 'tensor', index: out, perm: x.perm, dequantized: true };
    };
    if (qlo > qhi) throw ctx.fail(node, `min ${lo} is above max ${hi}`);
    if (qlo > -128) bounded('MAXIMUM', qlo, qhi >= 127);
    if (qhi < 127) bounded('MINIMUM', qhi, true);
    if (qlo <= -128 && qhi >= 127) {
      // the int8 range holds both bounds: the requantized input is the answer
      aliasOutput(ctx, node, moved, x.perm, true);
      ctx.note('no clamp: the output type holds both bounds');
    }
  },
};

/** The bounds of a Clip: attributes before opset 11, constant inputs after (absent: unbounded). */
function clipBounds(ctx: Lowering, node: OnnxNodeProto): [number, number] {
  const bound = (i: number, attr: string, fallback: number): number => {
    if (ctx.opset < 11) return ctx.attrFloat(node, attr, fallback);
    if (!node.input?.[i]) return fallback;
    const v = ctx.constant(node, i, attr);
    if (v.values.length !== 1) throw ctx.fail(node, `${attr} holds ${v.values.length} values; Clip's bounds are scalars`);
    return v.values[0]!;
  };
  return [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
}
