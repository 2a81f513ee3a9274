// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type SplitParams, emitSplit, evaluateSplit, splitParams } from '../common/families/split.ts';
import { normalizeAxis } from '../common/families/shape_ops.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

/**
 * UNPACK (TFLite Micro's reference Unpack): the input cut along `axis` into its `num` slices, each
 * output dropping that axis. SPLIT's kernel with pieces of one and the axis removed.
 */
const unpack: OpDef<SplitParams> = {
  kind: 'UNPACK',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    unpack.prepare(graph, op);
  },

  prepare(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const axis = normalizeAxis(op, op.attrs.axis ?? 0, input.shape.length);
    const dim = input.shape[axis]!;
    const num = op.attrs.num;
    if ((typeof num === 'number' && num !== 0 && num !== dim) || op.outputs.length !== dim) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} has ${dim} slices along axis ${axis}, but num is ${String(num)} and there are ${op.outputs.length} outputs`,
      );
    }
    return splitParams(graph, op, 0, axis, new Array<number>(dim).fill(1), false);
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateSplit(p, inputs[0]! as unknown as unknown[], outputs as unknown as unknown[][]);
  },

  emitC(p, ctx) {
    return emitSplit(p, ctx);
  },
};

export default unpack;
