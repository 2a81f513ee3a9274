// SPDX-License-Identifier: Apache-2.0
/** What the int8 and float32 CUMSUM kernels share: the shapes, the constant axis and the flags, checked. */
import { OpError } from '../../../errors.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import { sameShape } from './elementwise.ts';
import { constIndexValues, normalizeAxis } from './shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';

export interface CumsumGeometry {
  /** dims before the axis, along it, after it */
  outer: number;
  depth: number;
  inner: number;
  exclusive: boolean;
  reverse: boolean;
  shape: number[];
  axis: number;
}

export function cumsumGeometry(graph: Graph, op: Op): CumsumGeometry {
  const input = requireInput(graph, op, 0, 'input');
  const axisT = requireInput(graph, op, 1, 'axis');
  const output = requireOutput(graph, op);
  if (!sameShape(input.shape, output.shape))
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
    );
  if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is a scalar`);
  if (axisT.dtype !== 'int32') throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} is ${axisT.dtype}; TFLite Micro needs int32`);
  const values = constIndexValues(op, axisT, 'axis');
  if (values.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} holds ${values.length} values; expected one`);
  const axis = normalizeAxis(op, values[0], input.shape.length);
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    outer: prod(input.shape.slice(0, axis)),
    depth: input.shape[axis]!,
    inner: prod(input.shape.slice(axis + 1)),
    exclusive: op.attrs.exclusive === true,
    reverse: op.attrs.reverse === true,
    shape: [...input.shape],
    axis,
  };
}
