// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type AliasParams, aliasParams, copyBytes, emitAliasCopy } from '../common/families/alias_copy.ts';
import { constIndexValues, normalizeAxis, requireSameDtype, requireShape } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

/**
 * EXPAND_DIMS: inserts a dimension of extent 1 at the constant `axis` (input 1). The bytes do not
 * move: an alias, planned as one buffer with its input, no code.
 */
const expandDims: OpDef<AliasParams> = {
  kind: 'EXPAND_DIMS',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,
  isAlias: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const axisTensor = requireInput(graph, op, 1, 'axis');
    const output = requireOutput(graph, op);
    requireSameDtype(op, input, output);
    const values = constIndexValues(op, axisTensor, 'axis');
    if (values.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} holds ${values.length} values; expected one`);
    const axis = normalizeAxis(op, values[0], input.shape.length + 1);
    const expected = [...input.shape];
    expected.splice(axis, 0, 1);
    requireShape(op, output, 'output', expected);
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

export default expandDims;
