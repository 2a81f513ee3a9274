// SPDX-License-Identifier: Apache-2.0
/**
 * Dead neurons between two FULLY_CONNECTED layers. When layer A's output feeds only layer B and B's
 * weight column j is all zeros, A's output j is computed and never used: B adds w·(x_j + offset) = 0
 * for it. Row j of A (its weights, bias and per-channel scale) and column j of B are removed, and the
 * tensor between them narrows. Pruned models have many: LeNet-300-100 pruned to 98/95/80% one-shot
 * leaves 62 of fc1's 300 outputs unread by fc2. Bit-exact: B's int32 sums lose only zero terms (its
 * folded start values off·Σw + b are unchanged, the removed weights being 0), A's other rows are
 * untouched.
 *
 * A neuron whose weight row in A is all zeros (15 of that fc1's) outputs a constant c, its requantized
 * bias (the FULLY_CONNECTED op's own prepare gives the multiplier, shift and clamp), whatever the
 * input: its term w·(c + offset) in each of B's sums moves into B's int32 bias, and the neuron goes
 * too (only int8 activations with an int32 bias in B, and only while that bias cannot overflow).
 *
 * Only symmetric int8 weights (int4-stored too: one byte per value in the graph), constant, and int8
 * activations, between two FULLY_CONNECTED ops whose middle tensor is read by B alone and is not a
 * model output; at least one neuron always stays.
 */
import type { Graph, Op, Tensor } from '../ir/graph.ts';
import { elementCount } from '../ir/graph.ts';
import { consumersOf, isFixedConstant, producersOf } from './graph_edit.ts';
import { opDef } from '../ops/index.ts';
import type { FullyConnectedParams } from '../ops/fully_connected/index.ts';
import { clamp, mbqm } from '../ops/common/numerics/fixedpoint.ts';

export function removeDeadNeurons(graph: Graph): Graph {
  let g = graph;
  for (;;) {
    const next = removeOne(g);
    if (!next) return g;
    g = next;
  }
}

/** The int8 constant weights [rows, columns] of a FULLY_CONNECTED op, if it has them. */
function fcWeights(graph: Graph, op: Op): Weights | undefined {
  if (op.kind !== 'FULLY_CONNECTED') return undefined;
  const tensor = graph.tensors[op.inputs[1] ?? -1];
  if (!tensor || !isFixedConstant(tensor) || tensor.dtype !== 'int8' || tensor.shape.length !== 2) return undefined;
  const [rows, columns] = tensor.shape as [number, number];
  if (tensor.data!.length !== rows * columns) return undefined;
  // symmetric only: a zero byte is a zero weight
  if (!tensor.quant || tensor.quant.zeroPoint.some((z) => z !== 0) || (tensor.quant.scale.length > 1 && tensor.quant.axis !== 0)) return undefined;
  return { tensor, rows, columns };
}

/** Narrows the first FC → FC pair with a dead neuron, or returns undefined when there is none. */
function removeOne(graph: Graph): Graph | undefined {
  const consumers = consumersOf(graph);
  const producers = producersOf(graph);
  const modelOutputs = new Set(graph.outputs);
  for (const b of graph.ops) {
    const wb = fcWeights(graph, b);
    const between = b.inputs[0] ?? -1;
    const a = producers.get(between);
    if (!wb || !a || modelOutputs.has(between) || consumers.get(between)?.length !== 1) continue;
    const wa = fcWeights(graph, a);
    const middle = graph.tensors[between]!;
    if (!wa || a.outputs.length !== 1 || wa.rows !== wb.columns || middle.shape.at(-1) !== wa.rows) continue;
    // int8 activations only (the tested case; a float sum would also lose 0·inf = NaN)
    if (middle.dtype !== 'int8') continue;
    if (b.inputs.filter((i) => i === between).length !== 1) continue;
    const read = (j: number) => {
      for (let r = 0; r < wb.rows; r++) if (wb.tensor.data![r * wb.columns + j] !== 0) return true;
      return false;
    };
    const constants = constantNeurons(graph, a, b, wa, wb);
    const keep: number[] = [];
    for (let j = 0; j < wb.columns; j++) if (read(j) && !constants?.values.has(j)) keep.push(j);
    if (keep.length === wb.columns || (keep.length === 0 && wb.columns === 1)) continue;
    if (keep.length === 0) keep.push(0);
    const folded = constants && [...constants.values].some(([j]) => read(j) && !keep.includes(j)) ? constants : undefined;
    return narrow(graph, { a, b, wa, wb }, keep, folded);
  }
  return undefined;
}

/**
 * The outputs of A that are constants (an all-zero weight row: the output is the requantized bias,
 * whatever the input), by neuron, with B's input offset; undefined unless B has an int32 bias to fold
 * them into and the layers are int8 (the FULLY_CONNECTED op's own prepare gives A's requantization).
 */
function constantNeurons(graph: Graph, a: Op, b: Op, wa: Weights, wb: Weights): { values: Map<number, number>; inputOffset: number; bias: Tensor } | undefined {
  const bias = graph.tensors[b.inputs[2] ?? -1];
  const aBias = graph.tensors[a.inputs[2] ?? -1];
  const middle = graph.tensors[b.inputs[0]!]!;
  if (!bias?.data || bias.dtype !== 'int32' || middle.dtype !== 'int8' || (aBias && (aBias.dtype !== 'int32' || !aBias.data))) return undefined;
  const empty: number[] = [];
  for (let j = 0; j < wa.rows; j++) if (wa.tensor.data!.subarray(j * wa.columns, (j + 1) * wa.columns).every((w) => w === 0)) empty.push(j);
  if (empty.length === 0) return undefined;
  let p: FullyConnectedParams;
  let pb: FullyConnectedParams;
  try {
    p = opDef('FULLY_CONNECTED')!.prepare(graph, a) as FullyConnectedParams;
    pb = opDef('FULLY_CONNECTED')!.prepare(graph, b) as FullyConnectedParams;
  } catch {
    return undefined;
  }
  if (p.filterOffset !== 0 || pb.filterOffset !== 0) return undefined;
  const biases = aBias ? new Int32Array(aBias.data!.slice().buffer) : undefined;
  const values = new Map(empty.map((j) => [j, clamp(mbqm(biases?.[j] ?? 0, p.multiplier[j]!, p.shift[j]!) + p.outputZeroPoint, p.actMin, p.actMax)]));
  // the folded biases stay int32 whichever of the constants are folded
  const biasB = new Int32Array(bias.data.slice().buffer);
  for (let r = 0; r < wb.rows; r++) {
    let bound = Math.abs(biasB[r]!);
    for (const [j, c] of values) bound += Math.abs(weightAt(wb, r, j) * (c + pb.inputOffset));
    if (bound > 2 ** 31 - 1) return undefined;
  }
  return { values, inputOffset: pb.inputOffset, bias };
}

/** the int8 weight at row r, column j */
function weightAt(w: Weights, r: number, j: number): number {
  return (w.tensor.data![r * w.columns + j]! << 24) >> 24;
}

interface Weights {
  tensor: Tensor;
  rows: number;
  columns: number;
}

/** Two weighted ops in a row, A feeding B, with their weights. */
interface WeightedPair {
  a: Op;
  b: Op;
  wa: Weights;
  wb: Weights;
}

/** The graph with A's outputs (and B's columns) narrowed to `keep`; the constant outputs dropped, folded into B's bias. */
function narrow(graph: Graph, pair: WeightedPair, keep: number[], constants?: { values: Map<number, number>; inputOffset: number; bias: Tensor }): Graph {
  const { a, b, wa, wb } = pair;
  const tensors = [...graph.tensors];
  const append = (t: Omit<Tensor, 'index'>): number => {
    const index = tensors.length;
    tensors.push({ ...t, index });
    return index;
  };
  const n = keep.length;
  // A's rows, its bias and its per-channel scales
  const aWeights = new Uint8Array(n * wa.columns);
  keep.forEach((j, i) => aWeights.set(wa.tensor.data!.subarray(j * wa.columns, (j + 1) * wa.columns), i * wa.columns));
  const aWeightIndex = append({ ...wa.tensor, name: `${wa.tensor.name}/live`, shape: [n, wa.columns], data: aWeights, quant: pickChannels(wa.tensor, keep) });
  const aInputs = [...a.inputs];
  aInputs[1] = aWeightIndex;
  const bias = graph.tensors[a.inputs[2] ?? -1];
  if (bias?.data) {
    const size = bias.data.length / elementCount(bias.shape);
    const data = new Uint8Array(n * size);
    keep.forEach((j, i) => data.set(bias.data!.subarray(j * size, (j + 1) * size), i * size));
    aInputs[2] = append({ ...bias, name: `${bias.name}/live`, shape: [n], data, quant: pickChannels(bias, keep) });
  }
  // the tensor between them
  const middle = graph.tensors[b.inputs[0]!]!;
  const middleIndex = append({ ...middle, name: `${middle.name}/live`, shape: [...middle.shape.slice(0, -1), n], shapeSignature: undefined });
  // B's columns
  const bWeights = new Uint8Array(wb.rows * n);
  for (let r = 0; r < wb.rows; r++) keep.forEach((j, i) => (bWeights[r * n + i] = wb.tensor.data![r * wb.columns + j]!));
  const bWeightIndex = append({ ...wb.tensor, name: `${wb.tensor.name}/live`, shape: [wb.rows, n], data: bWeights });
  const bInputs = [...b.inputs];
  bInputs[0] = middleIndex;
  bInputs[1] = bWeightIndex;
  if (constants) {
    // a constant neuron's contribution w·(c + offset), the same in every sum, moves into B's bias
    const biasB = new Int32Array(constants.bias.data!.slice().buffer);
    for (let r = 0; r < wb.rows; r++) {
      let sum = biasB[r]!;
      for (const [j, c] of constants.values) if (!keep.includes(j)) sum += weightAt(wb, r, j) * (c + constants.inputOffset);
      biasB[r] = sum;
    }
    bInputs[2] = append({ ...constants.bias, name: `${constants.bias.name}/folded`, data: new Uint8Array(biasB.buffer) });
  }
  const ops = graph.ops.map((op) => (op === a ? { ...a, inputs: aInputs, outputs: [middleIndex] } : op === b ? { ...b, inputs: bInputs } : op));
  return { ...graph, tensors, ops };
}

/** `t`'s quantization with only the kept channels when it is per channel along axis 0. */
function pickChannels(t: Tensor, keep: number[]): Tensor['quant'] {
  const q = t.quant;
  if (!q || q.scale.length <= 1 || q.axis !== 0) return q;
  return { ...q, scale: keep.map((j) => q.scale[j]!), zeroPoint: keep.map((j) => q.zeroPoint[j] ?? 0) };
}
