// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type SliceParams, emitSlice, evaluateSlice, sliceParams } from '../common/families/slice.ts';
import { constIndexValues, requireSameDtype, shapeText } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

/** begin and size per axis (size -1: to the end), checked against the input. */
function resolve(graph: Graph, op: Op): { begin: number[]; size: number[] } {
  const input = requireInput(graph, op, 0, 'input');
  const rank = input.shape.length;
  const [begin, size] = (['begin', 'size'] as const).map((role, k) => {
    const t = requireInput(graph, op, k + 1, role);
    const v = constIndexValues(op, t, role);
    if (v.length !== rank) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} holds ${v.length} values; expected ${rank} (the input rank)`);
    return v;
  }) as [number[], number[]];
  const resolved = size.map((s, k) => (s === -1 ? input.shape[k]! - begin[k]! : s));
  resolved.forEach((s, k) => {
    if (begin[k]! < 0 || s < 0 || begin[k]! + s > input.shape[k]!) {
      throw new OpError(op.index, op.kind, `axis ${k}: begin ${begin[k]} size ${size[k]} lies outside the input's ${input.shape[k]} elements`);
    }
  });
  return { begin, size: resolved };
}

/**
 * SLICE (TFLite Micro's reference Slice): output = input[begin : begin + size] per axis, size -1
 * meaning to the end. Shares STRIDED_SLICE's kernel (steps of 1) and template.
 */
const slice: OpDef<SliceParams> = {
  kind: 'SLICE',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    requireSameDtype(op, input, output);
    const { size } = resolve(graph, op);
    if (output.shape.length !== size.length || output.shape.some((d, k) => d !== size[k])) {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape ${shapeText(output.shape)}; the slice gives ${shapeText(size)}`);
    }
  },

  prepare(graph, op) {
    const { begin, size } = resolve(graph, op);
    return sliceParams(
      graph,
      op,
      begin.map((b, k) => (size[k]! > 0 ? b : 0)),
      begin.map(() => 1),
      size,
    );
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateSlice(p, inputs[0]! as unknown as unknown[], outputs[0]! as unknown as unknown[]);
  },

  emitC(p, ctx) {
    return emitSlice(p, ctx, p.starts.map((s, k) => `${s}:${p.counts[k]}`).join(', '));
  },
};

export default slice;
