// SPDX-License-Identifier: Apache-2.0
/**
 * CUMSUM, int8 (TFLite Micro's CumSum quantized path; its other type is float32): running sums along
 * one constant axis, `exclusive` (each output the sum before its element) and `reverse` (summing from
 * the end), in the common fixed-point form of common/families/add_scan.ts, including TFLite Micro's running
 * sum starting at the scaled input offset rather than 0 (so an exclusive scan's first output is
 * that offset term, not the real 0). The int32 running sum wraps like ADD_N's.
 */
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatCumsum } from '../common/families/float_elementwise.ts';
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type AddScanParams, addScanCHelpers, addScanParams, scaledInput, scaledOutput } from '../common/families/add_scan.ts';
import { sameShape } from '../common/families/elementwise.ts';
import { checkedByPrepare, constIndexValues, normalizeAxis, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface CumsumParams extends AddScanParams {
  /** dims before the axis, along it, after it */
  outer: number;
  depth: number;
  inner: number;
  exclusive: boolean;
  reverse: boolean;
  shape: number[];
  axis: number;
}

function prepareCumsum(graph: Graph, op: Op): CumsumParams {
  const input = requireInput(graph, op, 0, 'input');
  const axisT = requireInput(graph, op, 1, 'axis');
  const output = requireOutput(graph, op);
  if (!sameShape(input.shape, output.shape))
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
    );
  if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is a scalar`);
  if (axisT.dtype !== 'int32') throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} is ${axisT.dtype}; TFLite Micro needs int32`);
  const values = constIndexValues(op, axisT, 'axis');
  if (values.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} holds ${values.length} values; expected one`);
  const axis = normalizeAxis(op, values[0], input.shape.length);
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    ...addScanParams(graph, op, [input], output),
    outer: prod(input.shape.slice(0, axis)),
    depth: input.shape[axis]!,
    inner: prod(input.shape.slice(axis + 1)),
    exclusive: op.attrs.exclusive === true,
    reverse: op.attrs.reverse === true,
    shape: [...input.shape],
    axis,
  };
}

const cumsum: OpDef<CumsumParams> = {
  kind: 'CUMSUM',
  dir: import.meta.dirname,
  ...checkedByPrepare(prepareCumsum),
  macs: (graph, op) => graph.tensors[op.outputs[0]!]!.shape.reduce((a, b) => a * b, 1),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let o = 0; o < p.outer; o++) {
      for (let i = 0; i < p.inner; i++) {
        let acc = p.start;
        for (let d = 0; d < p.depth; d++) {
          const k = (o * p.depth + (p.reverse ? p.depth - 1 - d : d)) * p.inner + i;
          const before = acc;
          acc = (acc + scaledInput(p, x[k]!)) | 0;
          out[k] = scaledOutput(p, p.exclusive ? before : acc);
        }
      }
    }
  },
  emitC(p, ctx) {
    const k = p.reverse ? `(o * ${p.depth} + ${p.depth - 1} - d) * ${p.inner} + i` : `(o * ${p.depth} + d) * ${p.inner} + i`;
    const body = p.exclusive
      ? `      out[k] = ${ctx.fnName}_out((int32_t)acc);\n      acc += (uint32_t)${ctx.fnName}_in(in[k]);`
      : `      acc += (uint32_t)${ctx.fnName}_in(in[k]);\n      out[k] = ${ctx.fnName}_out((int32_t)acc);`;
    return `/* CUMSUM int8 [${shapeComment(p.shape)}] axis ${p.axis}${p.exclusive ? ', exclusive' : ''}${p.reverse ? ', reverse' : ''}: common scale 2^20, running sum from the offset term, as TFLite Micro */
${addScanCHelpers(p, ctx.fnName)}static void ${ctx.fnName}(void) {
  const int8_t *in = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  int o, i, d;
  for (o = 0; o < ${p.outer}; ++o) {
    for (i = 0; i < ${p.inner}; ++i) {
      uint32_t acc = (uint32_t)${p.start};
      for (d = 0; d < ${p.depth}; ++d) {
        const int k = ${k};
${body}
      }
    }
  }
}
`;
  },
};

// float32 layers: running float sums from 0 (common/families/float_elementwise.ts)
export default withFloatVariant(cumsum, floatCumsum);
