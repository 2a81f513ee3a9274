// SPDX-License-Identifier: Apache-2.0
/**
 * MaxPool and AveragePool (2-D) -> MAX_POOL_2D / AVERAGE_POOL_2D on NHWC. TFLite's SAME padding
 * leaves padded cells out of both (a max over real cells, an average over them: count_include_pad
 * 0). Other pads: an explicit PAD first (the int8 minimum for a max pool, the zero point for an
 * average pool counting padded cells). Where padded cells are left out (a max, an average with
 * count_include_pad 0), only the windows' places matter, not the pads: windows that begin where
 * SAME's (or VALID's) do and are as many are that padding, whatever the end pads or ceil_mode say.
 * A quantized average leaving out pads of any other geometry is ONNX Runtime's own average pool
 * with explicit pads (Pool2DAttrs.explicitPads: TFLite's pool cannot place its windows elsewhere,
 * and padding would count the padded cells); a float one is refused. MaxPool with ceil_mode 1 gets
 * the end pads its partial last windows need, and so do explicit pads.
 */
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import type { OnnxOpLowering } from './registry.ts';
import { type Window, padNhwc, tflitePadding, windowOf } from './common.ts';
import type { Padding } from '../../../ir/graph.ts';
import { outputWithQuant } from './outputs.ts';
import { type ActivationValue, channelsLastPerm } from '../values.ts';

function lowerPool(ctx: Lowering, node: OnnxNodeProto, kind: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D'): void {
  // QOperator models max-pool the stored integers themselves
  const x0 = kind === 'MAX_POOL_2D' ? ctx.storedIntegers(node, 0, 'the input') : ctx.activation(node, 0, 'the input');
  const stored = !x0.dequantized && ctx.tensor(x0).dtype !== 'float32';
  const shape = ctx.onnxShape(x0);
  if (shape.length !== 4) throw ctx.fail(node, `input of rank ${shape.length}: tinyforge lowers 2-D pools`);
  const quantized = ctx.quantizedInputs(node, [x0]);
  const kernel = ctx.attrInts(node, 'kernel_shape');
  if (!kernel) throw ctx.fail(node, 'kernel_shape is missing');
  if (ctx.attrInt(node, 'storage_order', 0) !== 0) throw ctx.fail(node, 'storage_order 1 is not supported');
  const spatial = shape.slice(2);
  const ceil = ctx.attrInt(node, 'ceil_mode', 0) !== 0;
  const win = windowOf(ctx, node, spatial, kernel, ceil);
  if (win.dilations.some((d) => d !== 1)) throw ctx.fail(node, 'dilated pools are not supported');
  const countsPads = kind === 'AVERAGE_POOL_2D' && ctx.attrInt(node, 'count_include_pad', 0) !== 0;
  if (ceil && countsPads && !samePoolSize(win, spatial))
    throw ctx.fail(node, 'ceil_mode 1 with a partial last window and count_include_pad 1 is not supported');
  let x: ActivationValue = ctx.inLayout(x0, channelsLastPerm(4));
  let padding = tflitePadding(spatial, win);
  if (!padding && !countsPads) padding = samePlaces(spatial, win);
  let explicitPads: number[] | undefined;
  if (!padding && kind === 'AVERAGE_POOL_2D' && !countsPads && quantized) {
    // ONNX Runtime's average pool itself, windows placed by the pads
    explicitPads = validPads(spatial, win);
    padding = 'VALID';
  }
  if (!padding) {
    if (kind === 'MAX_POOL_2D') {
      x = padWithMinimum(ctx, x, validPads(spatial, win));
    } else {
      if (!countsPads)
        throw ctx.fail(
          node,
          `pads [${win.pads.join(',')}] with count_include_pad 0 place the windows where neither TFLite's SAME nor VALID does; a float average leaving out the padded cells is supported only there`,
        );
      x = padNhwc(ctx, x, win.pads);
    }
    padding = 'VALID';
  } else if (padding === 'SAME' && kind === 'AVERAGE_POOL_2D' && ctx.attrInt(node, 'count_include_pad', 0) !== 0) {
    x = padNhwc(ctx, x, win.pads);
    padding = 'VALID';
  }
  const t = ctx.tensor(x);
  const outShape = [shape[0]!, shape[1]!, ...win.out];
  const attrs = {
    padding,
    strideH: win.strides[0]!,
    strideW: win.strides[1]!,
    filterH: kernel[0]!,
    filterW: kernel[1]!,
    activation: 'NONE',
    ...(explicitPads ? { explicitPads } : {}),
  };
  if (kind === 'AVERAGE_POOL_2D') {
    // ONNX Runtime's average pool rounds once, to the output's own parameters: a pool at the input's
    // parameters and a QUANTIZE after it would round twice (2 LSB off). Under --onnx-requant fixed,
    // passes/onnx_requant.ts splits it again, as TFLite's pool keeps its input's parameters.
    const out = ctx.output(node, 0, outShape, channelsLastPerm(4), { quantized, ...(t.quant ? { inherit: t.quant } : {}) });
    ctx.addQuantizedOp(kind, [x.index], [out.index], attrs, quantized);
    return;
  }
  const out = outputWithQuant(ctx, node, outShape, channelsLastPerm(4), { quantized, wanted: t.quant, stored });
  ctx.addQuantizedOp(kind, [x.index], [out.index], attrs, quantized);
  out.finish();
}

function samePoolSize(win: { out: number[]; pads: number[]; kernel: number[]; strides: number[] }, spatial: number[]): boolean {
  const n = spatial.length;
  return spatial.every((size, i) => Math.floor((size + win.pads[i]! + win.pads[i + n]! - win.kernel[i]!) / win.strides[i]!) + 1 === win.out[i]);
}

/**
 * The TFLite padding whose windows begin at the same places as `win`'s and are as many, on every
 * axis (a pool leaving padded cells out then computes the same), or undefined.
 */
function samePlaces(spatial: number[], win: Window): Padding | undefined {
  const places = (padding: Padding, i: number) => {
    const size = spatial[i]!;
    const k = win.kernel[i]!;
    const s = win.strides[i]!;
    if (padding === 'VALID') return { out: Math.floor((size - k) / s) + 1, before: 0 };
    const out = Math.ceil(size / s);
    return { out, before: Math.floor(Math.max((out - 1) * s + k - size, 0) / 2) };
  };
  return (['SAME', 'VALID'] as const).find((padding) =>
    spatial.every((_, i) => {
      const p = places(padding, i);
      return p.out === win.out[i] && p.before === win.pads[i];
    }),
  );
}

/** `win`'s pads with the end pads a VALID pool needs for exactly `win.out` windows (ceil_mode's partial ones). */
function validPads(spatial: number[], win: Window): number[] {
  const n = spatial.length;
  const pads = [...win.pads];
  for (let i = 0; i < n; i++) pads[i + n] = Math.max(win.pads[i + n]!, (win.out[i]! - 1) * win.strides[i]! + win.kernel[i]! - spatial[i]! - win.pads[i]!);
  return pads;
}

/** PADV2 with the smallest value, so that padded cells never win a max. */
function padWithMinimum(ctx: Lowering, x: ActivationValue, pads: number[]): ActivationValue {
  const t = ctx.tensor(x);
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const [top, left, bottom, right] = pads as [number, number, number, number];
  const paddings = ctx.addConstant(`${t.name}_paddings`, 'int32', [4, 2], [0, 0, top, bottom, left, right, 0, 0]);
  const float = t.dtype === 'float32';
  const value = ctx.addConstant(`${t.name}_pad_value`, t.dtype, [], [float ? -3.4e38 : -128], t.quant && { ...t.quant });
  const out = ctx.addTensor(`${t.name}_padded`, t.dtype, [n, h + top + bottom, w + left + right, c], t.quant && { ...t.quant });
  ctx.addOp('PADV2', [x.index, paddings, value], [out]);
  return { ...x, index: out };
}

export const maxPool: OnnxOpLowering = {
  minOpset: 1,
  lower: (ctx, node) => {
    if ((node.output ?? []).filter(Boolean).length > 1) throw ctx.fail(node, 'the Indices output is not supported');
    lowerPool(ctx, node, 'MAX_POOL_2D');
  },
};

export const averagePool: OnnxOpLowering = {
  minOpset: 7,
  lower: (ctx, node) => lowerPool(ctx, node, 'AVERAGE_POOL_2D'),
};
