// SPDX-License-Identifier: Apache-2.0
/**
 * Conv (1-D and 2-D) -> CONV_2D, or DEPTHWISE_CONV_2D when every group is one input channel. The
 * activation is kept NHWC (a 1-D conv runs as a 2-D one of height 1); weights OIHW become OHWI
 * (1HWO for depthwise) at compile time. Pads TFLite's SAME cannot express become a PAD before it.
 * Other groups (1 < group < C_in) stay one CONV_2D: its filters of C_in / group channels say the
 * group count, as in TFLite, and each output channel already carries its own requantization.
 * A pointwise (1x1, stride 1, unpadded) conv whose weights keep a zero point becomes FULLY_CONNECTED.
 */
import type { OnnxOpLowering } from './registry.ts';
import { accumulatorScales, addWeights, biasOf, padNhwc, tflitePadding, weightsOf, windowOf } from './common.ts';
import { type ActivationValue, channelsLastPerm } from '../values.ts';

export const conv: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const x0 = ctx.activation(node, 0, 'the input');
    const xShape = ctx.onnxShape(x0);
    const rank = xShape.length;
    if (rank !== 3 && rank !== 4) throw ctx.fail(node, `input of rank ${rank}: tinyforge lowers 1-D and 2-D convolutions`);
    const quantized = ctx.quantizedInputs(node, [x0]);
    const wValue = ctx.input(node, 1, 'the weights');
    if (wValue.kind === 'tensor') throw ctx.fail(node, 'the weights are not constant');
    const wDims = wValue.dims;
    if (wDims.length !== rank) throw ctx.fail(node, `weights of rank ${wDims.length} for an input of rank ${rank}`);
    const [n, cIn] = xShape as [number, number];
    const [cOut, cPerGroup] = wDims as [number, number];
    const group = ctx.attrInt(node, 'group', 1);
    if (cPerGroup * group !== cIn) throw ctx.fail(node, `weights for ${cPerGroup * group} input channels (group ${group}), input has ${cIn}`);
    if (cOut % group !== 0) throw ctx.fail(node, `${cOut} output channels do not divide into ${group} groups`);
    const depthwise = group === cIn && group > 1;
    const spatial = xShape.slice(2);
    const kernel = ctx.attrInts(node, 'kernel_shape') ?? wDims.slice(2);
    const w2 = windowOf(ctx, node, spatial, kernel);

    // 1-D as 2-D of height 1: every spatial list gains a leading 1
    const oneD = rank === 3;
    const win = oneD
      ? { kernel: [1, ...w2.kernel], strides: [1, ...w2.strides], dilations: [1, ...w2.dilations], pads: [0, w2.pads[0]!, 0, w2.pads[1]!], out: [1, ...w2.out] }
      : w2;
    const spatial2 = oneD ? [1, ...spatial] : spatial;
    let x: ActivationValue = ctx.inLayout(x0, channelsLastPerm(rank));
    if (oneD) {
      const t = ctx.tensor(x);
      const shape = [n, 1, spatial[0]!, cIn];
      const out = ctx.addTensor(`${t.name}_2d`, t.dtype, shape, t.quant && { ...t.quant });
      ctx.addOp('RESHAPE', [x.index, ctx.addConstant(`${t.name}_2d_shape`, 'int32', [4], shape)], [out], { newShape: shape });
      x = { kind: 'tensor', index: out, perm: [0, 2, 3, 1], ...(x.dequantized ? { dequantized: true } : {}) };
    }
    let padding = tflitePadding(spatial2, win);
    if (!padding) {
      x = padNhwc(ctx, x, win.pads);
      padding = 'VALID';
    }
    // OIHW -> OHWI, or [O,1,H,W] -> [1,H,W,O]
    const wPerm = oneD ? (depthwise ? [1, 2, 0] : [0, 2, 1]) : depthwise ? [1, 2, 3, 0] : [0, 2, 3, 1];
    // a pointwise conv is a fully connected layer over the pixels, which can keep a weight zero point
    const pointwise = !oneD && group === 1 && win.kernel.every((k) => k === 1) && win.strides.every((k) => k === 1) && win.pads.every((p) => p === 0);
    const w = weightsOf(ctx, node, 1, wPerm, quantized, { tensorZeroPoint: pointwise });
    const accumulatorScale = quantized ? accumulatorScales(ctx, x, w) : undefined;
    if (w.quant?.zeroPoint.some((z) => z !== 0)) {
      w.shape = [cOut, cIn];
      const weights = addWeights(ctx, node, 1, w);
      const bias = biasOf(ctx, node, { index: 2, channels: cOut, input: x, weights: w, quantized });
      const out = ctx.output(node, 0, [n, cOut, ...win.out], [0, 2, 3, 1], { quantized, fuse: true, ...(accumulatorScale ? { accumulatorScale } : {}) });
      ctx.addQuantizedOp('FULLY_CONNECTED', [x.index, weights, bias], [out.index], { activation: out.activation, keepNumDims: true }, quantized);
      return;
    }
    if (oneD) {
      // [O,L,I] -> [O,1,L,I]; [1,L,O] -> [1,1,L,O]
      w.shape = [w.shape[0]!, 1, ...w.shape.slice(1)];
      if (w.quant && w.quant.scale.length > 1) w.quant.axis = depthwise ? 3 : 0;
    }
    const weights = addWeights(ctx, node, 1, w);
    const bias = biasOf(ctx, node, { index: 2, channels: cOut, input: x, weights: w, quantized });
    const onnxOut = oneD ? [n, cOut, 1, win.out[1]!] : [n, cOut, ...win.out];
    // DEPTHWISE_CONV_2D has no int32-output form
    const out = ctx.output(node, 0, onnxOut, [0, 2, 3, 1], { quantized, fuse: true, ...(accumulatorScale && !depthwise ? { accumulatorScale } : {}) });
    const attrs = {
      padding,
      strideH: win.strides[0]!,
      strideW: win.strides[1]!,
      dilationH: win.dilations[0]!,
      dilationW: win.dilations[1]!,
      activation: out.activation,
      ...(depthwise ? { depthMultiplier: cOut / cIn } : {}),
    };
    ctx.addQuantizedOp(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [x.index, weights, bias], [out.index], attrs, quantized);
    if (oneD) {
      // back to the 1-D value [N, O, L], kept [N, L, O]
      const t = ctx.tensors[out.index]!;
      const shape = [n, win.out[1]!, cOut];
      const flat = ctx.addTensor(`${t.name}_1d`, t.dtype, shape, t.quant && { ...t.quant });
      ctx.addOp('RESHAPE', [out.index, ctx.addConstant(`${t.name}_1d_shape`, 'int32', [3], shape)], [flat], { newShape: shape });
      const prior = ctx.values.get(out.name) as ActivationValue;
      ctx.values.set(out.name, { ...prior, index: flat, perm: [0, 2, 1] });
    }
  },
};
