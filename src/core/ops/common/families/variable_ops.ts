// SPDX-License-Identifier: Apache-2.0
/**
 * READ_VARIABLE and ASSIGN_VARIABLE on the IR's lowered resource variables (see
 * src/core/model/tflite/resource_variables.ts): input 0 is the variable tensor itself (persistent,
 * reset at init like LSTM state). READ_VARIABLE copies it into its output; ASSIGN_VARIABLE copies
 * its input 1 into it and has no output. TFLite Micro memcpys the bytes (no requantization: the
 * value must have the variable's dtype and size), and so do these. Order matters and is kept: a
 * read before the assign in the same inference sees the previous inference's value.
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type Graph, type Op, byteSize, isConstant } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { shapeComment } from './shape_ops.ts';
import { requireInput, tensorLabel } from './weighted.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';

export interface VariableCopyParams {
  dtype: string;
  ctype: string;
  bytes: number;
  shape: number[];
  variable: string;
}

function prepareCopy(graph: Graph, op: Op, assign: boolean): VariableCopyParams {
  const variable = requireInput(graph, op, 0, 'variable');
  if (!variable.isVariable || isConstant(variable)) {
    throw new OpError(op.index, op.kind, `input 0 ${tensorLabel(variable)} is not a variable tensor (a resource variable lowered by the reader)`);
  }
  const expectedOutputs = assign ? 0 : 1;
  if (op.outputs.length !== expectedOutputs) throw new OpError(op.index, op.kind, `expected ${expectedOutputs} outputs, got ${op.outputs.length}`);
  const value = assign ? requireInput(graph, op, 1, 'value') : graph.tensors[op.outputs[0]!];
  if (!value) throw new OpError(op.index, op.kind, 'missing output 0');
  if (value.dtype !== variable.dtype || byteSize(value) !== byteSize(variable)) {
    throw new OpError(
      op.index,
      op.kind,
      `${assign ? 'value' : 'output'} ${tensorLabel(value)} is ${value.dtype}[${value.shape.join(',')}]; the variable ${tensorLabel(variable)} is ${variable.dtype}[${variable.shape.join(',')}]`,
    );
  }
  if (!(variable.dtype in DTYPE_C)) throw new OpError(op.index, op.kind, `dtype ${variable.dtype} is not supported`);
  return { dtype: variable.dtype, ctype: DTYPE_C[variable.dtype], bytes: byteSize(variable), shape: [...variable.shape], variable: variable.name };
}

const copyBytes = (src: TensorBuffer, dst: TensorBuffer) =>
  new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));

export function variableOp(kind: 'READ_VARIABLE' | 'ASSIGN_VARIABLE', dir: string): OpDef<VariableCopyParams> {
  const assign = kind === 'ASSIGN_VARIABLE';
  return {
    kind,
    dir,
    // a byte copy whatever the dtype: float32 variables as TFLite Micro's memcpy moves them
    floatKernel: true,
    check(graph, op) {
      prepareCopy(graph, op, assign);
    },
    prepare: (graph, op) => prepareCopy(graph, op, assign),
    macs: () => 0,
    evaluate(_p, inputs, outputs) {
      if (assign) copyBytes(inputs[1]!, inputs[0]!);
      else copyBytes(inputs[0]!, outputs[0]!);
    },
    emitC(p, ctx) {
      const [dst, src] = assign ? [ctx.input(0), ctx.input(1)] : [ctx.output(0), ctx.input(0)];
      return (
        `/* ${kind} ${p.dtype} [${shapeComment(p.shape)}] variable "${p.variable.replace(/\*\//g, '* /')}": ${p.bytes} bytes copied ${assign ? 'in' : 'out'} */\n` +
        `static void ${ctx.fnName}(void) {\n  memcpy(${dst}, ${src}, ${p.bytes});\n}\n`
      );
    },
  };
}
