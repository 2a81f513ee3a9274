// SPDX-License-Identifier: Apache-2.0
/**
 * SHAPE: the input's dimensions as an int32 vector (TFLite Micro's shape.cc). Any input type (its
 * values are not read); TFLite Micro writes an int32 output only, whatever out_type says, and
 * refuses another output type when it runs. Shapes are static here, so the layer stores constants.
 */
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface ShapeParams {
  dims: number[];
}

const shape: OpDef<ShapeParams> = {
  kind: 'SHAPE',
  dir: import.meta.dirname,
  // the input's values are never read: a float32 input needs no float kernel
  floatKernel: true,
  check(graph, op) {
    if (op.inputs.length !== 1) throw new OpError(op.index, op.kind, `has ${op.inputs.length} inputs; SHAPE takes 1`);
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    if (output.dtype !== 'int32')
      throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; TFLite Micro's SHAPE writes int32 only`);
    if (output.shape.reduce((n, d) => n * d, 1) !== input.shape.length) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; input ${tensorLabel(input)} has rank ${input.shape.length}`,
      );
    }
  },
  prepare: (graph, op) => ({ dims: [...graph.tensors[op.inputs[0]!]!.shape] }),
  macs: () => 0,
  evaluate(p, _inputs, outputs) {
    (outputs[0] as Int32Array).set(p.dims);
  },
  emitC(p, ctx) {
    const stores = p.dims.map((d, i) => `  out[${i}] = ${d};`);
    return [
      `/* SHAPE: the input's dimensions [${p.dims.join(', ')}] as int32 */`,
      `static void ${ctx.fnName}(void) {`,
      ...(p.dims.length > 0 ? [`  int32_t *out = ${ctx.output(0)};`, ...stores] : []),
      '}',
      '',
    ].join('\n');
  },
};

export default shape;
