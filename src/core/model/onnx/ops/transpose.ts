// SPDX-License-Identifier: Apache-2.0
/**
 * Transpose -> nothing: the output is the input tensor with another relation between ONNX's axes
 * and the IR's (a TRANSPOSE appears only where a later op needs the data in another order).
 */
import type { OnnxOpLowering } from './registry.ts';
import { aliasOutput } from './outputs.ts';

export const transpose: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const x = ctx.storedIntegers(node, 0, 'the input');
    const rank = x.perm.length;
    const perm = ctx.attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
      throw ctx.fail(node, `perm [${perm.join(',')}] is not a permutation of rank ${rank}`);
    // output ONNX axis j is input ONNX axis perm[j]: the IR axis holding input axis a holds output axis perm.indexOf(a)
    aliasOutput(
      ctx,
      node,
      x,
      x.perm.map((a) => perm.indexOf(a)),
      ctx.quantizedInputs(node, [x]),
    );
    ctx.note('absorbed: the layout is tracked, no data moves here');
  },
};
