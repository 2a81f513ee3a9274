// SPDX-License-Identifier: Apache-2.0
/** What RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR share: NHWC shapes, the constant size, the options. */
import { OpError } from '../../../errors.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import { constIndexValues, requireSameDtype, requireShape, shapeText } from './shape_ops.ts';
import { requireInput, requireOutput, requireRank, tensorLabel } from './weighted.ts';

export interface ResizeGeometry {
  batches: number;
  inH: number;
  inW: number;
  depth: number;
  outH: number;
  outW: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

export function resizeGeometry(graph: Graph, op: Op): ResizeGeometry {
  const input = requireInput(graph, op, 0, 'input');
  const sizeTensor = requireInput(graph, op, 1, 'size');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  requireRank(op, input, 'input', 4);
  if (sizeTensor.dtype !== 'int32') throw new OpError(op.index, op.kind, `size ${tensorLabel(sizeTensor)} is ${sizeTensor.dtype}; expected int32`);
  const size = constIndexValues(op, sizeTensor, 'size');
  if (size.length !== 2 || size.some((s) => s < 1))
    throw new OpError(op.index, op.kind, `size ${tensorLabel(sizeTensor)} = ${shapeText(size)}; expected [height, width], both positive`);
  const [batches, inH, inW, depth] = input.shape as [number, number, number, number];
  requireShape(op, output, 'output', [batches, size[0]!, size[1]!, depth]);
  return {
    batches,
    inH,
    inW,
    depth,
    outH: size[0]!,
    outW: size[1]!,
    alignCorners: op.attrs.alignCorners === true,
    halfPixelCenters: op.attrs.halfPixelCenters === true,
  };
}
