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
 * Only int8 weights (int4-stored too: one byte per value in the graph), constant, between two
 * FULLY_CONNECTED ops whose middle tensor is read by B alone and is not a model output; at least one
 * neuron always stays.
 */
import type { Graph, Op, Tensor } from '../ir/graph.ts';
import { elementCount } from '../ir/graph.ts';
import { consumersOf, isFixedConstant, producersOf } from './graph_edit.ts';

export function removeDeadNeurons(graph: Graph): Graph {
  let g = graph;
  for (;;) {
    const next = removeOne(g);
    if (!next) return g;
    g = next;
  }
}

/** The int8 constant weights [rows, columns] of a FULLY_CONNECTED op, if it has them. */
function fcWeights(graph: Graph, op: Op): { tensor: Tensor; rows: number; columns: number } | undefined {
  if (op.kind !== 'FULLY_CONNECTED') return undefined;
  const tensor = graph.tensors[op.inputs[1] ?? -1];
  if (!tensor || !isFixedConstant(tensor) || tensor.dtype !== 'int8' || tensor.shape.length !== 2) return undefined;
  const [rows, columns] = tensor.shape as [number, number];
  if (tensor.data!.length !== rows * columns) return undefined;
  if (tensor.quant && tensor.quant.scale.length > 1 && tensor.quant.axis !== 0) return undefined;
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
    if (b.inputs.filter((i) => i === between).length !== 1) continue;
    const keep: number[] = [];
    for (let j = 0; j < wb.columns; j++) {
      for (let r = 0; r < wb.rows; r++) {
        if (wb.tensor.data![r * wb.columns + j] !== 0) {
          keep.push(j);
          break;
        }
      }
    }
    if (keep.length === wb.columns || (keep.length === 0 && wb.columns === 1)) continue;
    if (keep.length === 0) keep.push(0);
    return narrow(graph, a, b, keep, wa, wb);
  }
  return undefined;
}

function narrow(
  graph: Graph,
  a: Op,
  b: Op,
  keep: number[],
  wa: { tensor: Tensor; rows: number; columns: number },
  wb: { tensor: Tensor; rows: number; columns: number },
): Graph {
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
  const ops = graph.ops.map((op) => (op === a ? { ...a, inputs: aInputs, outputs: [middleIndex] } : op === b ? { ...b, inputs: bInputs } : op));
  return { ...graph, tensors, ops };
}

/** `t`'s quantization with only the kept channels when it is per channel along axis 0. */
function pickChannels(t: Tensor, keep: number[]): Tensor['quant'] {
  const q = t.quant;
  if (!q || q.scale.length <= 1 || q.axis !== 0) return q;
  return { ...q, scale: keep.map((j) => q.scale[j]!), zeroPoint: keep.map((j) => q.zeroPoint[j] ?? 0) };
}
