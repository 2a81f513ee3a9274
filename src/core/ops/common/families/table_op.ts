// SPDX-License-Identifier: Apache-2.0
/**
 * The shape of every unary int8 op that is lowered to a lookup table (see lookup_table.ts): the op
 * supplies its checks, its TFLite Micro Prepare (`quantize`) and its reference function for one input
 * value; prepare tabulates that function, evaluate and the emitted C look the table up. The C
 * template lives in the op's folder and receives `fnName`, `input`, `output`, `size`, `table` (the
 * const table's symbol), `shape`, and `note` when the table is ONNX Runtime's (what it holds).
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import { elementCount } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { applyInt8Table, int8Table } from '../numerics/lookup_table.ts';

export interface TableParams<Q> {
  /** elements per evaluation */
  size: number;
  /** the op's quantization parameters, as TFLite Micro's Prepare computes them */
  quant: Q;
  /** output for the input byte i (q = (int8)i) */
  table: number[];
  /** the table is ONNX Runtime's (a layer lowered from ONNX computing as ORT does) */
  onnxRuntime?: true;
  /** what the emitted C's comment says the table holds, when not the op's TFLite Micro algorithm */
  note?: string;
}

export interface TableOpSpec<Q> {
  kind: string;
  dir: string;
  /** the C template beside the op */
  template: string;
  check(graph: Graph, op: Op): void;
  quantize(graph: Graph, op: Op): Q;
  /** the bit-exact reference: the output for one int8 input value */
  value(q: number, quant: Q): number;
  /** for a table that is ONNX Runtime's rather than TFLite Micro's: what the C's comment says it holds */
  ortNote?(quant: Q): string | undefined;
}

export function tableOp<Q>(spec: TableOpSpec<Q>): OpDef<TableParams<Q>> {
  return {
    kind: spec.kind,
    dir: spec.dir,
    check: spec.check,

    prepare(graph, op) {
      const quant = spec.quantize(graph, op);
      const note = spec.ortNote?.(quant);
      return {
        size: elementCount(graph.tensors[op.inputs[0]!]!.shape),
        quant,
        table: int8Table((q) => spec.value(q, quant)),
        ...(note === undefined ? {} : { onnxRuntime: true as const, note }),
      };
    },

    macs(graph, op) {
      return elementCount(graph.tensors[op.inputs[0]!]!.shape);
    },

    // out[i] depends on in[i] alone and is written after it is read: safe in place
    overlap: () => ({ input: 0, gap: 0 }),

    evaluate(p, inputs, outputs) {
      applyInt8Table(p.table, inputs[0] as Int8Array, outputs[0] as Int8Array);
    },

    emitC(p, ctx) {
      return ctx.render(spec.template, {
        fnName: ctx.fnName,
        input: ctx.input(0),
        output: ctx.output(0),
        size: p.size,
        table: ctx.addConst('lut', 'int8_t', p.table),
        shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
        note: p.note,
      });
    },
  };
}
