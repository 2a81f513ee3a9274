// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE folding. Models exported from PyTorch (through ONNX) take NCHW input and transpose it
 * to NHWC before the first layer, often followed by an explicit PAD. A TRANSPOSE is a full copy
 * into a second buffer; here it disappears where the next op can read through it instead:
 * - TRANSPOSE → TRANSPOSE composes into one TRANSPOSE (an identity then becomes an alias, see
 *   alias_noops.ts);
 * - TRANSPOSE → PAD / PADV2 becomes one PAD that reads its input through the permutation (the
 *   tinyforge-internal attribute `inputPermutation`): one pass over the data, no intermediate buffer.
 * - TRANSPOSE → (RESHAPE / SQUEEZE / EXPAND_DIMS)* → FULLY_CONNECTED of a single row (PyTorch's
 *   flatten of an NCHW tensor before a classifier) becomes an alias: the weights' columns are
 *   permuted at compile time instead. The int32 sum visits the same products in another order,
 *   so the result is bit-exact.
 * A TRANSPOSE feeding anything else (CONV_2D directly) stays an explicit copy kernel, run into a
 * separate buffer (never in place). Only a TRANSPOSE whose output feeds exactly that one op (and is
 * not a model output) is folded, and only when its perm is constant.
 */
import { type Graph, type Op, elementCount } from '../ir/graph.ts';
import { allocBuffer, fromBytes } from '../ir/buffers.ts';
import { flatOffset, forEachCoordinate, isPermutation } from '../ops/common/families/shape_ops.ts';
import { appendConstant, consumersOf, isFixedConstant, producersOf } from './graph_edit.ts';

const READ_THROUGH = new Set(['PAD', 'PADV2']);

export function foldTransposes(graph: Graph): Graph {
  let g = graph;
  for (;;) {
    const next = foldOne(g);
    if (!next) return g;
    g = next;
  }
}

/** The constant permutation of a TRANSPOSE (negative entries made positive), if valid. */
function permutationOf(graph: Graph, op: Op): number[] | undefined {
  const permTensor = graph.tensors[op.inputs[1] ?? -1];
  const input = graph.tensors[op.inputs[0] ?? -1];
  if (!permTensor || !input || !isFixedConstant(permTensor)) return undefined;
  if (permTensor.dtype !== 'int32' && permTensor.dtype !== 'int64') return undefined;
  const raw = Array.from(fromBytes(permTensor.dtype, permTensor.data!) as ArrayLike<number | bigint>, Number);
  const rank = input.shape.length;
  const perm = raw.map((p) => (p < 0 ? p + rank : p));
  return isPermutation(perm, rank) ? perm : undefined;
}

/** Applies the first possible fold, or returns undefined when none is left. */
function foldOne(graph: Graph): Graph | undefined {
  const consumers = consumersOf(graph);
  const producers = producersOf(graph);
  const modelOutputs = new Set(graph.outputs);
  for (const op of graph.ops) {
    if (op.kind === 'TRANSPOSE') {
      const folded = foldIntoFullyConnected(graph, op, consumers, modelOutputs);
      if (folded) return folded;
    }
    const source = producers.get(op.inputs[0] ?? -1);
    if (!source || source.kind !== 'TRANSPOSE') continue;
    const between = source.outputs[0]!;
    if (modelOutputs.has(between) || consumers.get(between)?.length !== 1) continue;
    const first = permutationOf(graph, source);
    if (!first) continue;
    if (op.kind === 'TRANSPOSE') {
      const second = permutationOf(graph, op);
      if (!second) continue;
      // out[k] = mid[second[k]] = in[first[second[k]]]
      const composed = second.map((s) => first[s]!);
      const added = appendConstant(graph.tensors, `${graph.tensors[op.inputs[1]!]!.name}/composed`, 'int32', [composed.length], Int32Array.from(composed));
      const merged: Op = { ...op, inputs: [source.inputs[0]!, added.index] };
      return replace({ ...graph, tensors: added.tensors }, source, op, merged);
    }
    // (not with a negative padding: TFLite Micro's PAD then reads its input in memory order, which a
    // permuted read cannot reproduce)
    if (READ_THROUGH.has(op.kind) && !hasNegativePadding(graph, op)) {
      const existing = op.attrs.inputPermutation as number[] | undefined;
      const composed = existing ? existing.map((s) => first[s]!) : first;
      const merged: Op = { ...op, inputs: [source.inputs[0]!, ...op.inputs.slice(1)], attrs: { ...op.attrs, inputPermutation: composed } };
      return replace(graph, source, op, merged);
    }
  }
  return undefined;
}

function hasNegativePadding(graph: Graph, op: Op): boolean {
  const paddings = graph.tensors[op.inputs[1] ?? -1];
  if (!paddings?.data || (paddings.dtype !== 'int32' && paddings.dtype !== 'int64')) return true;
  return Array.from(fromBytes(paddings.dtype, paddings.data) as ArrayLike<number | bigint>, Number).some((v) => v < 0);
}

const RENAMES = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS']);

/** TRANSPOSE → renames → FULLY_CONNECTED (one row, constant weights): permute the weight columns instead. */
function foldIntoFullyConnected(graph: Graph, transpose: Op, consumers: Map<number, Op[]>, modelOutputs: Set<number>): Graph | undefined {
  const perm = permutationOf(graph, transpose);
  const input = graph.tensors[transpose.inputs[0]!]!;
  if (!perm) return undefined;
  let current = transpose.outputs[0]!;
  for (;;) {
    const readers = consumers.get(current) ?? [];
    if (modelOutputs.has(current) || readers.length !== 1) return undefined;
    const next = readers[0]!;
    if (RENAMES.has(next.kind) && next.inputs[0] === current) {
      current = next.outputs[0]!;
      continue;
    }
    if (next.kind !== 'FULLY_CONNECTED' || next.inputs[0] !== current) return undefined;
    const weights = graph.tensors[next.inputs[1] ?? -1];
    const n = elementCount(input.shape);
    if (!weights || !isFixedConstant(weights) || weights.shape.length !== 2 || weights.shape[1] !== n) return undefined;
    // flat element j of the input is element sigma[j] of the transposed tensor
    const transposedShape = perm.map((p) => input.shape[p]!);
    const sigma = new Array<number>(n);
    const at = new Array<number>(input.shape.length).fill(0);
    forEachCoordinate(transposedShape, (coord, i) => {
      perm.forEach((p, k) => {
        at[p] = coord[k]!;
      });
      sigma[flatOffset(input.shape, at)] = i;
    });
    const rows = weights.shape[0]!;
    const from = fromBytes(weights.dtype, weights.data!) as unknown as unknown[];
    const permuted = allocBuffer(weights.dtype, rows * n);
    const to = permuted as unknown as unknown[];
    for (let o = 0; o < rows; o++) for (let j = 0; j < n; j++) to[o * n + j] = from[o * n + sigma[j]!];
    const added = appendConstant(graph.tensors, `${weights.name}/columns_permuted`, weights.dtype, [...weights.shape], permuted);
    added.tensors[added.index] = { ...added.tensors[added.index]!, ...(weights.quant ? { quant: weights.quant } : {}) };
    const alias: Op = { index: transpose.index, kind: 'RESHAPE', inputs: [transpose.inputs[0]!], outputs: [transpose.outputs[0]!], attrs: {} };
    const fc: Op = { ...next, inputs: next.inputs.map((i, k) => (k === 1 ? added.index : i)) };
    return { ...graph, tensors: added.tensors, ops: graph.ops.map((o) => (o === transpose ? alias : o === next ? fc : o)) };
  }
}

/** Drops `removed` and puts `merged` in place of `target`. */
function replace(graph: Graph, removed: Op, target: Op, merged: Op): Graph {
  return { ...graph, ops: graph.ops.filter((o) => o !== removed).map((o) => (o === target ? merged : o)) };
}
