// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import { DTYPE_C, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from '../common/families/strided_copy.ts';
import { constIndexValues, flatOffset, forEachCoordinate, isPermutation, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface TransposeParams extends MovementParams {
  inShape: number[];
  outShape: number[];
  perm: number[];
}

/**
 * TRANSPOSE (TFLite Micro's reference Transpose): output dimension k is input dimension perm[k].
 * Pure data movement in any dtype. The C copies into a separate buffer (a transpose cannot run in
 * place); the graph passes fold it away where they can (a permutation of size-1 dimensions only is
 * an alias, a TRANSPOSE feeding PAD is read through by the PAD, two TRANSPOSEs compose).
 */
const transpose: OpDef<TransposeParams> = {
  kind: 'TRANSPOSE',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const permTensor = requireInput(graph, op, 1, 'perm');
    const output = requireOutput(graph, op);
    requireSameDtype(op, input, output);
    const rank = input.shape.length;
    const perm = constIndexValues(op, permTensor, 'perm').map((p) => (p < 0 ? p + rank : p));
    if (!isPermutation(perm, rank)) {
      throw new OpError(
        op.index,
        op.kind,
        `perm ${tensorLabel(permTensor)} = [${constIndexValues(op, permTensor, 'perm').join(',')}] is not a permutation of rank ${rank}`,
      );
    }
    requireShape(
      op,
      output,
      'output',
      perm.map((p) => input.shape[p]!),
    );
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const rank = input.shape.length;
    const perm = constIndexValues(op, graph.tensors[op.inputs[1]!]!, 'perm').map((p) => (p < 0 ? p + rank : p));
    const inStrides = denseStrides(input.shape);
    const outShape = [...output.shape];
    return {
      dtype: input.dtype,
      ctype: DTYPE_C[input.dtype],
      inShape: [...input.shape],
      outShape,
      perm,
      moves: [
        {
          input: 0,
          output: 0,
          copy: stridedCopy(
            outShape,
            perm.map((p) => inStrides[p]!),
            denseStrides(outShape),
          ),
        },
      ],
      outputElements: [elementCount(outShape)],
    };
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0]! as unknown as unknown[];
    const output = outputs[0]! as unknown as unknown[];
    const inCoord = new Array<number>(p.inShape.length).fill(0);
    forEachCoordinate(p.outShape, (coord, flat) => {
      p.perm.forEach((axis, k) => {
        inCoord[axis] = coord[k]!;
      });
      output[flat] = input[flatOffset(p.inShape, inCoord)];
    });
  },

  emitC(p, ctx) {
    return ctx.render('transpose.c.hbs', {
      fnName: ctx.fnName,
      dtype: p.dtype,
      inShape: shapeComment(p.inShape),
      outShape: shapeComment(p.outShape),
      perm: p.perm.join(', '),
      copy: renderCopy(p.moves[0]!.copy, p.ctype, ctx.input(0), ctx.output(0)),
    });
  },
};

export default transpose;
