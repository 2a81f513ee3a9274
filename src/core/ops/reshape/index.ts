// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import { DTYPE_C, byteSize, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface ReshapeParams {
  bytes: number;
  inShape: number[];
  outShape: number[];
  ctype: string;
}

/**
 * RESHAPE: the same bytes under another shape. The planner gives the output the input's storage, so
 * normally no code runs; `emitC` is the plain copy for when the two cannot share (a constant input).
 * The optional second input (the requested shape) is ignored: the output tensor's shape is the answer.
 */
const reshape: OpDef<ReshapeParams> = {
  kind: 'RESHAPE',
  dir: import.meta.dirname,
  isAlias: true,
  // moves no data: float32 tensors alias like any other
  floatKernel: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    if (input.dtype !== output.dtype) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype} but output ${tensorLabel(output)} is ${output.dtype}`);
    }
    if (elementCount(input.shape) !== elementCount(output.shape)) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} [${input.shape.join(',')}] has ${elementCount(input.shape)} elements but output ${tensorLabel(output)} [${output.shape.join(',')}] has ${elementCount(output.shape)}`,
      );
    }
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    return { bytes: byteSize(output), inShape: [...input.shape], outShape: [...output.shape], ctype: DTYPE_C[output.dtype] };
  },

  macs() {
    return 0;
  },

  evaluate(_p, inputs, outputs) {
    const input = inputs[0]!;
    const output = outputs[0]!;
    if (input === output) return;
    new Uint8Array(output.buffer, output.byteOffset, output.byteLength).set(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  },

  emitC(p, ctx) {
    return ctx.render('reshape.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inShape: p.inShape.join('x'),
      outShape: p.outShape.join('x'),
    });
  },
};

export default reshape;
