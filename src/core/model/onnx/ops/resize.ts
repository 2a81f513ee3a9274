// SPDX-License-Identifier: Apache-2.0
/**
 * Resize of the spatial axes of an NCHW value -> RESIZE_NEAREST_NEIGHBOR or RESIZE_BILINEAR on NHWC,
 * as far as TFLite's two flags (alignCorners, halfPixelCenters) express ONNX's coordinate modes.
 * Nearest: ONNX's index of every output row and column (its coordinate transformation and rounding
 * mode) is computed here and the TFLite flags chosen whose indices are the same, so the copy is
 * exact; none matching is refused. Linear: half_pixel (and pytorch_half_pixel for outputs larger than
 * 1) is halfPixelCenters, align_corners alignCorners, asymmetric neither.
 */
import type { OnnxOpLowering } from './registry.ts';
import { nearestIndex } from '../../../ir/tflite_geometry.ts';
import { outputWithQuant } from './outputs.ts';
import { channelsLastPerm } from '../values.ts';

/** ONNX Resize's input coordinate of output coordinate `o` (scale = out / in). */
function onnxCoordinate(mode: string, o: number, inSize: number, outSize: number): number {
  const scale = outSize / inSize;
  if (mode === 'half_pixel') return (o + 0.5) / scale - 0.5;
  if (mode === 'pytorch_half_pixel') return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
  if (mode === 'align_corners') return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
  if (mode === 'asymmetric') return o / scale;
  if (mode === 'tf_half_pixel_for_nn') return (o + 0.5) / scale;
  throw new Error(`coordinate_transformation_mode ${mode}`);
}

function onnxNearest(rounding: string, x: number): number {
  const f = Math.floor(x);
  if (rounding === 'floor') return f;
  if (rounding === 'ceil') return Math.ceil(x);
  if (x - f === 0.5) return rounding === 'round_prefer_ceil' ? f + 1 : f;
  return Math.round(x);
}

const MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];

export const resize: OnnxOpLowering = {
  minOpset: 11,
  lower(ctx, node) {
    const x0 = ctx.activation(node, 0, 'the input');
    const shape = ctx.onnxShape(x0);
    if (shape.length !== 4) throw ctx.fail(node, `input of rank ${shape.length}: tinyforge resizes the H and W of 4-D values`);
    const quantized = ctx.quantizedInputs(node, [x0]);
    const mode = ctx.attrString(node, 'mode', 'nearest');
    const coordinates = ctx.attrString(node, 'coordinate_transformation_mode', 'half_pixel');
    if (!MODES.includes(coordinates)) throw ctx.fail(node, `coordinate_transformation_mode ${coordinates} is not supported`);
    if (ctx.attrInt(node, 'antialias', 0) !== 0) throw ctx.fail(node, 'antialias is not supported');
    if (ctx.attr(node, 'axes')) throw ctx.fail(node, 'the axes attribute is not supported');
    const sizes = ctx.optionalConstant(node, 3, 'sizes')?.values;
    const scales = ctx.optionalConstant(node, 2, 'scales')?.values;
    let outShape: number[];
    if (sizes && sizes.length > 0) outShape = sizes;
    else if (scales && scales.length === 4) outShape = shape.map((d, i) => Math.floor(d * scales[i]!));
    else throw ctx.fail(node, 'needs constant scales or sizes for the 4 axes');
    if (outShape.length !== 4 || outShape[0] !== shape[0] || outShape[1] !== shape[1])
      throw ctx.fail(node, 'resizes the batch or channel axis; only H and W may change');
    const [inH, inW] = [shape[2]!, shape[3]!];
    const [outH, outW] = [outShape[2]!, outShape[3]!];
    if ([inH, inW, outH, outW].some((d) => !(d > 0))) throw ctx.fail(node, 'an empty input or output');
    let alignCorners = false;
    let halfPixelCenters = false;
    if (mode === 'nearest') {
      const rounding = ctx.attrString(node, 'nearest_mode', 'round_prefer_floor');
      const indices = (inSize: number, outSize: number) =>
        Array.from({ length: outSize }, (_, o) => Math.min(inSize - 1, Math.max(0, onnxNearest(rounding, onnxCoordinate(coordinates, o, inSize, outSize)))));
      const wanted = [indices(inH, outH), indices(inW, outW)];
      const flags = [
        [false, false],
        [false, true],
        [true, false],
      ].find(([align, half]) =>
        [
          [inH, outH],
          [inW, outW],
        ].every(([inSize, outSize], axis) => wanted[axis]!.every((v, o) => v === nearestIndex(o, inSize!, outSize!, align!, half!))),
      );
      if (!flags) throw ctx.fail(node, `nearest resize with ${coordinates} / ${rounding} picks other pixels than any TFLite resize for these sizes`);
      [alignCorners, halfPixelCenters] = flags as [boolean, boolean];
    } else if (mode === 'linear') {
      alignCorners = coordinates === 'align_corners';
      halfPixelCenters = coordinates === 'half_pixel' || (coordinates === 'pytorch_half_pixel' && outH > 1 && outW > 1);
      if (coordinates === 'tf_half_pixel_for_nn' || (coordinates === 'pytorch_half_pixel' && !halfPixelCenters))
        throw ctx.fail(node, `linear resize with ${coordinates} is not supported`);
    } else {
      throw ctx.fail(node, `mode ${mode} is not supported (nearest or linear)`);
    }
    const x = ctx.inLayout(x0, channelsLastPerm(4));
    const t = ctx.tensor(x);
    const size = ctx.addConstant(`${t.name}_size`, 'int32', [2], [outH, outW]);
    const out = outputWithQuant(ctx, node, outShape, channelsLastPerm(4), { quantized, wanted: t.quant });
    ctx.addQuantizedOp(
      mode === 'nearest' ? 'RESIZE_NEAREST_NEIGHBOR' : 'RESIZE_BILINEAR',
      [x.index, size],
      [out.index],
      { alignCorners, halfPixelCenters },
      quantized,
    );
    out.finish();
  },
};
