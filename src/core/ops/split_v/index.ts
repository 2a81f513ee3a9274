// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type SplitParams, emitSplit, evaluateSplit, splitParams } from '../common/families/split.ts';
import { constIndexValues, normalizeAxis } from '../common/families/shape_ops.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

/**
 * SPLIT_V (TFLite Micro's reference SplitV): input 0 the data, input 1 the constant size of each
 * piece (one may be -1: the rest), input 2 the constant axis. Shares SPLIT's kernel and template.
 */
const splitV: OpDef<SplitParams> = {
  kind: 'SPLIT_V',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    splitV.prepare(graph, op);
  },

  prepare(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const sizesTensor = requireInput(graph, op, 1, 'size_splits');
    const axisTensor = requireInput(graph, op, 2, 'axis');
    const axisValues = constIndexValues(op, axisTensor, 'axis');
    if (axisValues.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} holds ${axisValues.length} values; expected one`);
    const axis = normalizeAxis(op, axisValues[0], input.shape.length);
    const sizes = constIndexValues(op, sizesTensor, 'size_splits');
    const dim = input.shape[axis]!;
    const unknown = sizes.filter((s) => s === -1).length;
    const known = sizes.filter((s) => s !== -1).reduce((a, b) => a + b, 0);
    if (unknown > 1 || sizes.some((s) => s < -1) || known > dim || (unknown === 0 && known !== dim)) {
      throw new OpError(op.index, op.kind, `size_splits [${sizes.join(',')}] do not split axis ${axis} of ${dim} elements`);
    }
    return splitParams(
      graph,
      op,
      0,
      axis,
      sizes.map((s) => (s === -1 ? dim - known : s)),
      true,
    );
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateSplit(p, inputs[p.dataInput]! as unknown as unknown[], outputs as unknown as unknown[][]);
  },

  emitC(p, ctx) {
    return emitSplit(p, ctx);
  },
};

export default splitV;
