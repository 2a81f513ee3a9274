// SPDX-License-Identifier: Apache-2.0
/**
 * Index arithmetic of TFLite ops that both an importer (deciding whether an ONNX op lowers onto a
 * TFLite one exactly) and the op itself (preparing its layer) need. It lives below both: the model
 * layer may not import the ops.
 */
import type { Padding } from './graph.ts';

/**
 * TFLite's ComputePaddingHeightWidth on a transposed convolution's output size (C integer division):
 * the padding before the first element along one axis.
 */
export function transposePadding(padding: Padding, outSize: number, filter: number, stride: number): number {
  const virtualIn = padding === 'SAME' ? Math.trunc((outSize + stride - 1) / stride) : Math.trunc((outSize + stride - filter) / stride);
  const total = Math.max((virtualIn - 1) * stride + filter - outSize, 0);
  return Math.floor(total / 2);
}

/**
 * TFLite's GetNearestNeighbor, in float32 as TFLite Micro computes it: scale = in/out (or
 * (in-1)/(out-1) with align_corners), position = (v + 0.5 if half-pixel) · scale, floored (rounded
 * half away with align_corners), clamped to the input.
 */
export function nearestIndex(v: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const f32 = Math.fround;
  const scale = alignCorners && outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize);
  const position = f32(f32(v + (halfPixel ? 0.5 : 0)) * scale);
  const roundedHalfAway = position < 0 ? -Math.round(-position) : Math.round(position);
  let index = Math.min(alignCorners ? roundedHalfAway : Math.floor(position), inSize - 1);
  if (halfPixel) index = Math.max(0, index);
  return index;
}
