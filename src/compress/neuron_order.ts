// SPDX-License-Identifier: Apache-2.0
/**
 * Neuron order before pruning in row groups (prune.ts's `groupRows`): a group of G consecutive output
 * rows of a FULLY_CONNECTED layer keeps one set of input columns, so which neurons share a group
 * decides what the sharing costs. Trained neurons come in no useful order; this puts neurons that
 * weigh the same inputs next to each other first.
 *
 * Between two FULLY_CONNECTED layers A -> B (A's output read by B alone, its activation fused or none)
 * the hidden neurons can be permuted freely: A's weight rows and biases, and B's weight columns, in the
 * same new order. Each of B's sums adds the same products in another order, so in float the model's
 * outputs are the same up to rounding, and A's groups are then formed over similar neurons.
 *
 * Similarity: the cosine of two rows' weight magnitudes (magnitude pruning keeps large weights, so
 * rows whose large weights sit on the same inputs lose least by sharing them). Groups are formed
 * greedily: the unplaced row with the largest norm opens a group, which takes the unplaced rows most
 * like its members until it holds G.
 */
import { TinyforgeError } from '../core/errors.ts';
import type { Graph, Op, Tensor } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { consumersOf } from '../core/passes/graph_edit.ts';

/**
 * `graph` (float) with the neurons of each FULLY_CONNECTED op listed in `groupRows` with G > 1
 * reordered into groups of similar neurons; an op whose output does not feed exactly one
 * FULLY_CONNECTED layer is refused (its order could not change without changing the model).
 */
export function orderNeuronsForGroups(graph: Graph, groupRows: ReadonlyMap<number, number>): Graph {
  let g = graph;
  for (const [index, group] of groupRows) {
    if (group <= 1) continue;
    const a = g.ops.find((op) => op.index === index);
    if (!a || a.kind !== 'FULLY_CONNECTED') throw new TinyforgeError(`op ${index}: neurons are ordered for row groups of FULLY_CONNECTED layers only`);
    const readers = consumersOf(g).get(a.outputs[0]!) ?? [];
    const b = readers[0];
    if (readers.length !== 1 || b!.kind !== 'FULLY_CONNECTED' || b!.inputs[0] !== a.outputs[0] || g.outputs.includes(a.outputs[0]!)) {
      throw new TinyforgeError(`op ${index} (FULLY_CONNECTED): its neurons can be reordered only when one FULLY_CONNECTED layer alone reads its output`);
    }
    const weights = floatConstant(g, a, 1);
    const [rows, columns] = weights.tensor.shape as [number, number];
    g = permuteNeurons(g, a, weights, b!, similarGroupsOrder(weights.values, rows, columns, group));
  }
  return g;
}

/** The row order that puts each group of `group` similar rows together (see the header). */
export function similarGroupsOrder(values: Float32Array, rows: number, columns: number, group: number): number[] {
  // each row's weight magnitudes over their norm (so the dot product of two is their cosine), and the norm
  const norms = new Float64Array(rows);
  const magnitudes = Array.from({ length: rows }, (_, r) => {
    const row = Float64Array.from(values.subarray(r * columns, (r + 1) * columns), Math.abs);
    norms[r] = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0));
    return row.map((v) => v / (norms[r] || 1));
  });
  const cosine = (p: number, q: number) => {
    let s = 0;
    for (let c = 0; c < columns; c++) s += magnitudes[p]![c]! * magnitudes[q]![c]!;
    return s;
  };
  const unplaced = new Set(Array.from({ length: rows }, (_, r) => r).sort((p, q) => norms[q]! - norms[p]! || p - q));
  const order: number[] = [];
  while (unplaced.size > 0) {
    const seed = unplaced.values().next().value!;
    unplaced.delete(seed);
    const members = [seed];
    // how like the group each unplaced row is: the sum of its cosines with the members so far
    const likeness = new Map([...unplaced].map((r) => [r, cosine(seed, r)]));
    while (members.length < group && unplaced.size > 0) {
      let best = -1;
      for (const r of unplaced) if (best < 0 || likeness.get(r)! > likeness.get(best)!) best = r;
      unplaced.delete(best);
      likeness.delete(best);
      members.push(best);
      for (const r of unplaced) likeness.set(r, likeness.get(r)! + cosine(best, r));
    }
    order.push(...members);
  }
  return order;
}

/** A's rows (`aWeights`) and bias and B's columns in `order` (order[k] = the old index of new neuron k). */
function permuteNeurons(graph: Graph, a: Op, aWeights: FloatConstant, b: Op, order: number[]): Graph {
  const tensors = [...graph.tensors];
  const [rows, columns] = aWeights.tensor.shape as [number, number];
  const rowsOut = new Float32Array(rows * columns);
  order.forEach((old, k) => rowsOut.set(aWeights.values.subarray(old * columns, (old + 1) * columns), k * columns));
  tensors[a.inputs[1]!] = withData(aWeights.tensor, rowsOut);
  if (a.inputs[2] !== undefined && a.inputs[2] >= 0) {
    const bias = floatConstant(graph, a, 2);
    tensors[a.inputs[2]] = withData(
      bias.tensor,
      Float32Array.from(order, (old) => bias.values[old]!),
    );
  }
  const bWeights = floatConstant(graph, b, 1);
  const [bRows, bColumns] = bWeights.tensor.shape as [number, number];
  if (bColumns !== rows) throw new TinyforgeError(`op ${b.index} (FULLY_CONNECTED): ${bColumns} inputs for the ${rows} neurons of op ${a.index}`);
  const columnsOut = new Float32Array(bRows * bColumns);
  for (let r = 0; r < bRows; r++) order.forEach((old, k) => (columnsOut[r * bColumns + k] = bWeights.values[r * bColumns + old]!));
  tensors[b.inputs[1]!] = withData(bWeights.tensor, columnsOut);
  return { ...graph, tensors };
}

interface FloatConstant {
  tensor: Tensor;
  values: Float32Array;
}

function floatConstant(graph: Graph, op: Op, input: number): FloatConstant {
  const tensor = graph.tensors[op.inputs[input] ?? -1];
  if (!tensor?.data || tensor.dtype !== 'float32') throw new TinyforgeError(`op ${op.index} (${op.kind}): input ${input} is not a float32 constant`);
  if (input === 1 && tensor.shape.length !== 2)
    throw new TinyforgeError(`op ${op.index} (${op.kind}): weights of shape [${tensor.shape.join(',')}], not [rows, columns]`);
  return { tensor, values: Float32Array.from(fromBytes('float32', tensor.data) as Float32Array) };
}

function withData(tensor: Tensor, values: Float32Array): Tensor {
  return { ...tensor, data: new Uint8Array(values.buffer) };
}
