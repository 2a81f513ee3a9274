// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type ConcatParams, concatParams, emitConcat, evaluateConcat } from '../common/families/concat.ts';
import { inputTensors, normalizeAxis, requireSameDtype, requireShape, shapeText } from '../common/families/shape_ops.ts';
import { requireOutput, tensorLabel } from '../common/families/weighted.ts';

/**
 * PACK (TFLite Micro's reference Pack): N inputs of one shape stacked along a new axis. The
 * concatenation kernel with each input seen as having extent 1 on that axis.
 */
const pack: OpDef<ConcatParams> = {
  kind: 'PACK',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    pack.prepare(graph, op);
  },

  prepare(graph, op) {
    const output = requireOutput(graph, op);
    const inputs = inputTensors(graph, op);
    const first = inputs[0];
    if (!first) throw new OpError(op.index, op.kind, 'has no inputs');
    const count = op.attrs.valuesCount;
    if (typeof count === 'number' && count !== 0 && count !== inputs.length) {
      throw new OpError(op.index, op.kind, `values_count ${count} but ${inputs.length} inputs`);
    }
    const axis = normalizeAxis(op, op.attrs.axis ?? 0, first.shape.length + 1);
    inputs.forEach((t, j) => {
      requireSameDtype(op, t, output);
      if (shapeText(t.shape) !== shapeText(first.shape)) {
        throw new OpError(op.index, op.kind, `input ${j} ${tensorLabel(t)} ${shapeText(t.shape)} differs from input 0 ${shapeText(first.shape)}`);
      }
    });
    const piece = [...first.shape];
    piece.splice(axis, 0, 1);
    const expected = [...first.shape];
    expected.splice(axis, 0, inputs.length);
    requireShape(op, output, 'output', expected);
    return concatParams(
      graph,
      op,
      inputs,
      output,
      axis,
      inputs.map(() => piece),
    );
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateConcat(p, inputs as unknown as unknown[][], outputs[0]! as unknown as unknown[]);
  },

  emitC(p, ctx) {
    return emitConcat(p, ctx);
  },
};

export default pack;
