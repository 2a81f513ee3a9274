// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type AliasParams, aliasParams, copyBytes, emitAliasCopy } from '../common/families/alias_copy.ts';
import { normalizeAxis, requireSameDtype, requireShape } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

/**
 * SQUEEZE: drops the listed dimensions of extent 1 (all of them when `squeezeDims` is empty). The
 * bytes do not move: an alias, planned as one buffer with its input, no code.
 */
const squeeze: OpDef<AliasParams> = {
  kind: 'SQUEEZE',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,
  isAlias: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    requireSameDtype(op, input, output);
    const rank = input.shape.length;
    const listed = (op.attrs.squeezeDims as number[] | undefined) ?? [];
    const dims =
      listed.length === 0
        ? input.shape.map((d, k) => (d === 1 ? k : -1)).filter((k) => k >= 0)
        : listed.map((d) => normalizeAxis(op, d, rank, 'squeeze dimension'));
    for (const k of dims) {
      if (input.shape[k] !== 1) throw new OpError(op.index, op.kind, `dimension ${k} of input ${tensorLabel(input)} has extent ${input.shape[k]}, not 1`);
    }
    requireShape(
      op,
      output,
      'output',
      input.shape.filter((_, k) => !dims.includes(k)),
    );
  },

  prepare: aliasParams,

  macs() {
    return 0;
  },

  evaluate(_p, inputs, outputs) {
    copyBytes(inputs[0]!, outputs[0]!);
  },

  emitC: emitAliasCopy,
};

export default squeeze;
