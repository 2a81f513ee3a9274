// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MIN along one constant axis: TFLite Micro's ArgMinMax with std::less, the first index of the
 * smallest raw value (ties keep the earlier index). int8 or float32 input (uint8 aside), int32 or int64 output. The rules and layout are ARG_MAX's.
 */
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { type ArgMinMaxParams, checkArgMinMax, emitArgMinMax, evaluateArgMinMax, prepareArgMinMax } from '../common/families/arg_min_max.ts';

const argMin: OpDef<ArgMinMaxParams> = {
  kind: 'ARG_MIN',
  dir: import.meta.dirname,
  // float32 inputs compare as C floats (std::less<float>): the same loops
  floatKernel: true,

  check(graph, op) {
    checkArgMinMax(graph, op);
    const input = graph.tensors[op.inputs[0]!]!;
    if (input.dtype !== 'int8' && input.dtype !== 'float32')
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's ARG_MIN supports int8 and float32 (and uint8)`);
  },

  prepare: prepareArgMinMax,
  macs: () => 0,

  evaluate(p, inputs, outputs) {
    evaluateArgMinMax(p, inputs[0] as Int8Array | Float32Array, outputs[0] as Int32Array | BigInt64Array, (v, best) => v < best);
  },

  emitC: (p, ctx) => emitArgMinMax('arg_min.c.hbs', p, ctx),
};

export default argMin;
