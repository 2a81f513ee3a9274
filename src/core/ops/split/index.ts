// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { constIndexValues, normalizeAxis } from '../common/families/shape_ops.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';
import { type SplitParams, emitSplit, evaluateSplit, splitParams } from '../common/families/split.ts';

/**
 * SPLIT (TFLite Micro's reference Split): input 0 is the constant axis, input 1 the data, cut into
 * num_splits equal pieces, one per output. Pure data movement in any dtype.
 */
const split: OpDef<SplitParams> = {
  kind: 'SPLIT',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    split.prepare(graph, op);
  },

  prepare(graph, op) {
    const axisTensor = requireInput(graph, op, 0, 'axis');
    const input = requireInput(graph, op, 1, 'input');
    const axisValues = constIndexValues(op, axisTensor, 'axis');
    if (axisValues.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} holds ${axisValues.length} values; expected one`);
    const axis = normalizeAxis(op, axisValues[0], input.shape.length);
    const n = op.outputs.length;
    const numSplits = op.attrs.numSplits;
    if (typeof numSplits === 'number' && numSplits !== 0 && numSplits !== n) {
      throw new OpError(op.index, op.kind, `num_splits ${numSplits} but ${n} outputs`);
    }
    if (n === 0 || input.shape[axis]! % n !== 0) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} axis ${axis} (${input.shape[axis]} elements) does not split into ${n} equal pieces`);
    }
    return splitParams(graph, op, 1, axis, new Array<number>(n).fill(input.shape[axis]! / n), true);
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

export default split;
