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
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type AddScanParams, addScanCHelpers, addScanParams, scaledInput, scaledOutput } from '../common/families/add_scan.ts';
import { checkedByPrepare, shapeComment } from '../common/families/shape_ops.ts';
import { type CumsumGeometry, cumsumGeometry } from '../common/families/cumsum_geometry.ts';

export interface CumsumParams extends AddScanParams, CumsumGeometry {}

function prepareCumsum(graph: Graph, op: Op): CumsumParams {
  const g = cumsumGeometry(graph, op);
  return { ...addScanParams(graph, op, [graph.tensors[op.inputs[0]!]!], graph.tensors[op.outputs[0]!]!), ...g };
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
