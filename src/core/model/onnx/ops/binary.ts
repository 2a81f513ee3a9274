// SPDX-License-Identifier: Apache-2.0
/**
 * What Add and Mul share: two operands broadcast as numpy does. Activations are brought to one
 * layout; a constant operand (DequantizeLinear of an initializer, or a float initializer) is padded to
 * the activation's rank and transposed into its layout at compile time.
 */
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';
import { type ActivationValue, type Value, identityPerm, transposeValues } from '../values.ts';

export function lowerBinary(ctx: Lowering, node: OnnxNodeProto, kind: 'ADD' | 'MUL'): void {
  const a = ctx.input(node, 0);
  const b = ctx.input(node, 1);
  const activations = [a, b].filter((v): v is ActivationValue => v.kind === 'tensor');
  if (activations.length === 0) throw ctx.fail(node, 'both operands are constant (fold it before export)');
  const quantized = ctx.quantizedInputs(node, activations);
  const shapes = activations.map((v) => ctx.onnxShape(v));
  const rank = Math.max(...shapes.map((s) => s.length), ...[a, b].map((v) => (v.kind === 'tensor' ? 0 : v.dims.length)));
  // the layout of the highest-rank activation, when its rank is the result's; else ONNX's own
  const lead = activations.find((v) => v.perm.length === rank);
  const perm = lead ? lead.perm : identityPerm(rank);
  const operands = [a, b].map((v, i) => operand(ctx, node, { rank, perm, quantized }, v, i));
  const dims = [a, b].map((v) => {
    const s = v.kind === 'tensor' ? ctx.onnxShape(v) : v.dims;
    return [...new Array<number>(rank - s.length).fill(1), ...s];
  });
  const outShape = dims[0]!.map((d, i) => {
    const e = dims[1]![i]!;
    if (d !== e && d !== 1 && e !== 1) throw ctx.fail(node, `shapes [${dims[0]!.join(',')}] and [${dims[1]!.join(',')}] do not broadcast`);
    return Math.max(d, e);
  });
  const out = ctx.output(node, 0, outShape, perm, { quantized, fuse: true });
  ctx.addQuantizedOp(kind, operands, [out.index], { activation: out.activation }, quantized);
}

/** What both operands are brought to: the op's rank and layout, and whether it computes in int8. */
interface OperandTarget {
  rank: number;
  perm: number[];
  quantized: boolean;
}

/** The IR tensor of operand `i`, `v`: an activation in the op's layout, or a constant added broadcast to its rank. */
function operand(ctx: Lowering, node: OnnxNodeProto, target: OperandTarget, v: Value, i: number): number {
  const { rank, perm, quantized } = target;
  if (v.kind === 'tensor') {
    if (v.perm.length === rank) return ctx.inLayout(v, perm).index;
    return ctx.inLayout(v, identityPerm(v.perm.length)).index;
  }
  const dims = [...new Array<number>(rank - v.dims.length).fill(1), ...v.dims];
  const shape = perm.map((p) => dims[p]!);
  const name = node.input![i]!;
  if (!quantized) {
    if (v.kind !== 'const' || v.dtype !== 'float32') throw ctx.fail(node, `operand ${i} is a quantized constant in a float op`);
    return ctx.addConstant(name, 'float32', shape, transposeValues(v.values, dims, perm));
  }
  if (v.kind !== 'qconst') throw ctx.fail(node, `operand ${i} is a float constant; a quantized op needs DequantizeLinear of an int8 constant`);
  if (v.scale.length !== 1) throw ctx.fail(node, `operand ${i} is quantized per channel; elementwise ops take one scale`);
  const { values, zeroPoint } = ctx.int8Values(node, v, `operand ${i}`);
  return ctx.addConstant(name, 'int8', shape, transposeValues(values, dims, perm), { scale: [...v.scale], zeroPoint, axis: 0 });
}
