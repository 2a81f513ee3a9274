// SPDX-License-Identifier: Apache-2.0
/**
 * Constant folding: every op whose inputs are all known at compile time runs here, once, with its
 * own reference kernel, and its outputs become constant tensors (TFLite's converter leaves such
 * subgraphs behind, e.g. a TRANSPOSE of a weight, or the SHAPE → STRIDED_SLICE → PACK chains that
 * compute a RESHAPE's target shape). SHAPE itself needs no kernel: shapes are static, so its value
 * is the input's shape whatever the input's contents. Ops that produce a model output, read a
 * variable tensor, or are refused by their own checks are left to run (and to report) as usual.
 */
import { TinyforgeError } from '../errors.ts';
import { type Graph, type Op, type Tensor, elementCount } from '../ir/graph.ts';
import { allocBuffer, fromBytes, toBytes } from '../ir/buffers.ts';
import { opDef } from '../ops/index.ts';
import { isFixedConstant } from './graph_edit.ts';

export function foldConstants(graph: Graph): Graph {
  const tensors = [...graph.tensors];
  const working: Graph = { ...graph, tensors };
  const modelOutputs = new Set(graph.outputs);
  const ops: Op[] = [];
  for (const op of graph.ops) {
    const values = op.outputs.some((o) => modelOutputs.has(o) || tensors[o]!.isVariable) ? undefined : evaluateAtCompileTime(working, op);
    if (!values) {
      ops.push(op);
      continue;
    }
    op.outputs.forEach((o, k) => {
      tensors[o] = { ...tensors[o]!, data: values[k]! };
    });
  }
  return { ...graph, tensors, ops };
}

/** The op's output bytes if it can be computed now, else undefined. */
function evaluateAtCompileTime(graph: Graph, op: Op): Uint8Array[] | undefined {
  if (op.kind === 'SHAPE') return foldShape(graph, op);
  const def = opDef(op.kind);
  const inputs = op.inputs.filter((i) => i >= 0).map((i) => graph.tensors[i]!);
  // an op with state of its own answers differently each time: it runs on the board
  if (!def || def.state || inputs.length === 0 || !inputs.every(isFixedConstant)) return undefined;
  try {
    def.check(graph, op);
    const params = def.prepare(graph, op);
    const ins = op.inputs.map((i) => (i >= 0 ? fromBytes(graph.tensors[i]!.dtype, graph.tensors[i]!.data!) : undefined));
    const outs = op.outputs.map((o) => allocBuffer(graph.tensors[o]!.dtype, elementCount(graph.tensors[o]!.shape)));
    def.evaluate(params, ins, outs);
    return outs.map((b) => new Uint8Array(toBytes(b)));
  } catch (e) {
    // the op's own check refused it: leave it in place so compilation reports it in context
    if (e instanceof TinyforgeError) return undefined;
    throw e;
  }
}

/** SHAPE: the input's (static) shape as int32 or int64, per the output tensor's dtype. */
function foldShape(graph: Graph, op: Op): Uint8Array[] | undefined {
  const input: Tensor | undefined = graph.tensors[op.inputs[0] ?? -1];
  const output: Tensor | undefined = graph.tensors[op.outputs[0] ?? -1];
  if (!input || !output || op.outputs.length !== 1 || input.shape.some((d) => d < 0)) return undefined;
  if (elementCount(output.shape) !== input.shape.length) return undefined;
  if (output.dtype === 'int32') return [new Uint8Array(Int32Array.from(input.shape).buffer)];
  if (output.dtype === 'int64') return [new Uint8Array(BigInt64Array.from(input.shape.map(BigInt)).buffer)];
  return undefined;
}
