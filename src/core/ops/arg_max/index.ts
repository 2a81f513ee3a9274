// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MAX along one constant axis: TFLite Micro's ArgMinMax with std::greater, i.e. the first index
 * of the largest raw value (ties keep the earlier index). Inputs int8 and float32 (as TFLite Micro),
 * int16 or int32; outputs int32 (TFLite Micro's only output type) or int64 (desktop TFLite's default).
 */
import type { OpDef } from '../op.ts';
import { type ArgMinMaxParams, checkArgMinMax, emitArgMinMax, evaluateArgMinMax, prepareArgMinMax } from '../common/families/arg_min_max.ts';

const argMax: OpDef<ArgMinMaxParams> = {
  kind: 'ARG_MAX',
  dir: import.meta.dirname,
  // float32 inputs compare as C floats (std::greater<float>): the same loops
  floatKernel: true,

  check: checkArgMinMax,
  prepare: prepareArgMinMax,

  macs: () => 0,

  evaluate(p, inputs, outputs) {
    evaluateArgMinMax(p, inputs[0] as Int8Array | Int16Array | Int32Array | Float32Array, outputs[0] as Int32Array | BigInt64Array, (v, best) => v > best);
  },

  emitC: (p, ctx) => emitArgMinMax('arg_max.c.hbs', p, ctx),
};

export default argMax;
