// SPDX-License-Identifier: Apache-2.0
/** What the elementwise activations share: the input's layout, a quantized output from the QuantizeLinear after. */
import type { OpAttrs, Quantization } from '../../../ir/graph.ts';
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { outputWithQuant } from './outputs.ts';

export function lowerUnary(ctx: Lowering, node: OnnxNodeProto, kind: string, attrs: OpAttrs = {}, fixedQuant?: Quantization): void {
  const x = ctx.activation(node, 0, 'the input');
  const quantized = ctx.quantizedInputs(node, [x]);
  if (fixedQuant && quantized) {
    const out = outputWithQuant(ctx, node, ctx.onnxShape(x), x.perm, { quantized, wanted: fixedQuant });
    ctx.addQuantizedOp(kind, [x.index], [out.index], attrs, quantized);
    out.finish();
    return;
  }
  const out = ctx.output(node, 0, ctx.onnxShape(x), x.perm, { quantized });
  ctx.addQuantizedOp(kind, [x.index], [out.index], attrs, quantized);
}
