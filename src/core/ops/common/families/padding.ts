// SPDX-License-Identifier: Apache-2.0
import type { Padding } from '../../../ir/graph.ts';

/** Output size of a windowed op along one axis (TFLite's ComputeOutSize). */
export function outputSize(padding: Padding, inSize: number, filter: number, stride: number, dilation = 1): number {
  const effective = (filter - 1) * dilation + 1;
  return padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize - effective + stride) / stride);
}

/** Padding before the first element along one axis (TFLite's ComputePaddingHeightWidth). */
export function paddingBefore(padding: Padding, inSize: number, filter: number, stride: number, dilation: number, outSize: number): number {
  if (padding === 'VALID') return 0;
  const effective = (filter - 1) * dilation + 1;
  const total = Math.max((outSize - 1) * stride + effective - inSize, 0);
  return Math.floor(total / 2);
}
