// SPDX-License-Identifier: Apache-2.0
/**
 * What Reshape, Flatten, Squeeze and Unsqueeze share: a RESHAPE of the activation in ONNX's own axis
 * order (a TRANSPOSE back from NHWC first when axes of size > 1 move; a TRANSPOSE before a flatten
 * feeding a FULLY_CONNECTED is absorbed into its weights at compile time, passes/fold_transposes.ts).
 */
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { outputWithQuant } from './outputs.ts';
import { identityPerm } from '../values.ts';

export function lowerReshape(ctx: Lowering, node: OnnxNodeProto, newShape: number[]): void {
  // QOperator models reshape the stored integers themselves
  const x0 = ctx.storedIntegers(node, 0, 'the input');
  const stored = !x0.dequantized && ctx.tensor(x0).dtype !== 'float32';
  const quantized = ctx.quantizedInputs(node, [x0]);
  const count = ctx.onnxShape(x0).reduce((n, d) => n * d, 1);
  if (newShape.reduce((n, d) => n * d, 1) !== count) throw ctx.fail(node, `cannot reshape ${count} elements into [${newShape.join(',')}]`);
  const x = ctx.inLayout(x0, identityPerm(x0.perm.length));
  const t = ctx.tensor(x);
  const out = outputWithQuant(ctx, node, newShape, identityPerm(newShape.length), { quantized, wanted: t.quant, stored });
  const shapeTensor = ctx.addConstant(`${t.name}_new_shape`, 'int32', [newShape.length], newShape);
  ctx.addOp('RESHAPE', [x.index, shapeTensor], [out.index], { newShape });
  out.finish();
}

/** Axes made non-negative for a rank, checked. */
export function normalizeAxes(ctx: Lowering, node: OnnxNodeProto, axes: number[], rank: number): number[] {
  const result = axes.map((a) => (a < 0 ? a + rank : a));
  if (result.some((a) => a < 0 || a >= rank)) throw ctx.fail(node, `axes [${axes.join(',')}] out of range for rank ${rank}`);
  return result;
}

/** Axes from the `axes` input (opset 13 on) or attribute (before). */
export function axesOf(ctx: Lowering, node: OnnxNodeProto): number[] | undefined {
  if (node.input?.[1]) return ctx.constant(node, 1, 'axes').values;
  return ctx.attrInts(node, 'axes');
}
