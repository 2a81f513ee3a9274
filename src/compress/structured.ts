// SPDX-License-Identifier: Apache-2.0
/**
 * Structured pruning: removes whole output channels (filters of CONV_2D, neurons of a hidden
 * FULLY_CONNECTED) with the smallest L2 norms, and rewrites everything their values flowed into, so
 * that the model really shrinks in weights, MACs and activations:
 * - ops that move channels unchanged (pools, PAD, RELU, RELU6) shrink their tensors;
 * - a DEPTHWISE_CONV_2D loses the matching filters and biases (channel c feeds c·m .. c·m+m−1);
 * - a flattening RESHAPE maps channel c to positions p·C + c;
 * - the CONV_2D or FULLY_CONNECTED reading them loses the matching input weights.
 * A channel that reaches anything else (ADD, SOFTMAX, a graph output, ...) cannot go; such a layer
 * is left whole.
 */
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, type Op, type Tensor, elementCount } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';

/** What removing some output channels of one layer changes elsewhere. */
interface Edit {
  /** constant tensor -> (axis -> positions removed along it) */
  constants: Map<number, Map<number, Set<number>>>;
  /** activation tensor -> positions removed along its last axis */
  activations: Map<number, Set<number>>;
}

const PASS_THROUGH = new Set(['AVERAGE_POOL_2D', 'MAX_POOL_2D', 'PAD', 'RELU', 'RELU6']);

export interface ChannelPruneResult {
  graph: Graph;
  /** layer (output tensor name) -> [channels before, after] */
  layers: Map<string, [number, number]>;
}

/**
 * Channel counts a pruned layer keeps are multiples of this: the fast kernels of every family take
 * channels four at a time (the Arm DSP depthwise loops widen four channels a word, the SIMD and
 * MVE kernels fill their lanes so), and a layer left with 6 or 11 channels falls to their slower
 * tail paths: MNIST's 14x14 depthwise layer at 6 channels took twice the instructions it takes at 8,
 * so the pruned model ran slower than its dense twin.
 */
export const CHANNEL_MULTIPLE = 4;

/**
 * The channels a layer of `channels` output channels keeps when `ratio` of them go: the rest,
 * rounded to the nearest multiple of `multiple` (at least one multiple; a layer of no more than
 * `multiple` channels keeps the rest as it falls, at least one).
 */
export function keptChannels(channels: number, ratio: number, multiple = 1): number {
  const rest = channels * (1 - ratio);
  if (multiple <= 1 || channels <= multiple) return Math.max(1, Math.round(rest));
  return Math.min(channels, Math.max(multiple, Math.round(rest / multiple) * multiple));
}

/**
 * Removes `ratio` of the output channels of every CONV_2D and hidden FULLY_CONNECTED whose channels
 * can be traced to their consumers, each layer keeping a multiple of CHANNEL_MULTIPLE (keptChannels).
 * `keep`, when given, chooses instead how many channels each layer keeps (its output tensor's name
 * and its channel count; the count is clamped to [1, channels]).
 */
export function pruneChannels(graph: Graph, ratio: number, keep?: (layer: string, channels: number) => number): ChannelPruneResult {
  if (!(ratio > 0 && ratio < 1)) throw new TinyforgeError(`channel pruning ratio ${ratio} is out of range (0, 1)`);
  let g = cloneGraph(graph);
  const layers = new Map<string, [number, number]>();
  for (const opIndex of graph.ops.map((_, i) => i)) {
    const op = g.ops[opIndex]!;
    if (op.kind !== 'CONV_2D' && op.kind !== 'FULLY_CONNECTED') continue;
    const filter = g.tensors[op.inputs[1]!]!;
    if (!filter.data || filter.dtype !== 'float32') continue;
    const channels = filter.shape[0]!;
    const kept = keep
      ? Math.max(1, Math.min(channels, Math.round(keep(g.tensors[op.outputs[0]!]!.name, channels))))
      : keptChannels(channels, ratio, CHANNEL_MULTIPLE);
    const drop = Math.min(channels - 1, channels - kept);
    if (drop <= 0) continue;
    const removed = weakestChannels(filter, drop);
    const edit = traceChannels(g, op, removed);
    if (!edit) continue;
    g = applyEdit(g, edit);
    layers.set(g.tensors[op.outputs[0]!]!.name, [channels, channels - drop]);
  }
  if (layers.size === 0) throw new TinyforgeError(`${graph.name}: no layer's channels can be removed (each feeds an ADD, a SOFTMAX or a graph output)`);
  return { graph: g, layers };
}

/** The `drop` output channels (axis 0) with the smallest L2 norms. */
function weakestChannels(filter: Tensor, drop: number): Set<number> {
  const values = fromBytes('float32', filter.data!) as Float32Array;
  const channels = filter.shape[0]!;
  const inner = values.length / channels;
  const norms = Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let i = c * inner; i < (c + 1) * inner; i++) s += values[i]! * values[i]!;
    return s;
  });
  return new Set(
    norms
      .map((n, c) => [n, c] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, drop)
      .map(([, c]) => c),
  );
}

function addConstantEdit(edit: Edit, tensor: number, axis: number, positions: Set<number>): void {
  if (tensor < 0) return;
  const byAxis = edit.constants.get(tensor) ?? new Map<number, Set<number>>();
  byAxis.set(axis, positions);
  edit.constants.set(tensor, byAxis);
}

/** Follows the removed channels of `producer`'s output to every op they reach; null if one cannot absorb them. */
function traceChannels(graph: Graph, producer: Op, removed: Set<number>): Edit | null {
  const edit: Edit = { constants: new Map(), activations: new Map() };
  addConstantEdit(edit, producer.inputs[1]!, 0, removed);
  if (producer.inputs[2] !== undefined) addConstantEdit(edit, producer.inputs[2], 0, removed);
  const outputs = new Set(graph.outputs);
  const follow = (tensor: number, positions: Set<number>): boolean => {
    if (outputs.has(tensor)) return false;
    edit.activations.set(tensor, positions);
    const readers = graph.ops.filter((op) => op.inputs.includes(tensor));
    for (const op of readers) {
      if (op.inputs.indexOf(tensor) !== 0 || op.inputs.lastIndexOf(tensor) !== 0) return false;
      const t = graph.tensors[tensor]!;
      const lastDim = t.shape[t.shape.length - 1]!;
      switch (op.kind) {
        case 'CONV_2D':
          addConstantEdit(edit, op.inputs[1]!, 3, positions);
          break;
        case 'FULLY_CONNECTED': {
          // FC reads its input flattened to rows of `in` values: position p of the last axis is column p
          // when the last axis is the whole row (rank-2 input); a rank-4 input flattens HWC
          const inFeatures = graph.tensors[op.inputs[1]!]!.shape[1]!;
          const columns = lastDim === inFeatures ? positions : flattenPositions(t.shape, positions);
          if (!columns) return false;
          addConstantEdit(edit, op.inputs[1]!, 1, columns);
          break;
        }
        case 'DEPTHWISE_CONV_2D': {
          const mult = (op.attrs.depthMultiplier as number | undefined) ?? graph.tensors[op.outputs[0]!]!.shape[3]! / lastDim;
          const out = new Set<number>();
          for (const c of positions) for (let m = 0; m < mult; m++) out.add(c * mult + m);
          addConstantEdit(edit, op.inputs[1]!, 3, out);
          if (op.inputs[2] !== undefined) addConstantEdit(edit, op.inputs[2], 0, out);
          if (!follow(op.outputs[0]!, out)) return false;
          break;
        }
        case 'RESHAPE': {
          const outShape = graph.tensors[op.outputs[0]!]!.shape;
          let next: Set<number> | null;
          if (outShape[outShape.length - 1] === lastDim) next = positions;
          else if (outShape.length === 2) next = flattenPositions(t.shape, positions);
          else next = null;
          if (!next || !follow(op.outputs[0]!, next)) return false;
          break;
        }
        default:
          if (!PASS_THROUGH.has(op.kind)) return false;
          if (!follow(op.outputs[0]!, positions)) return false;
      }
    }
    return true;
  };
  return follow(producer.outputs[0]!, removed) ? edit : null;
}

/** Channel positions of a [1, ..., C] tensor as positions in its row-major flattening. */
function flattenPositions(shape: readonly number[], channels: Set<number>): Set<number> | null {
  if (shape[0] !== 1 && shape[0] !== -1) return null;
  const c = shape[shape.length - 1]!;
  const pixels = elementCount(shape.slice(1)) / c;
  const out = new Set<number>();
  for (let p = 0; p < pixels; p++) for (const ch of channels) out.add(p * c + ch);
  return out;
}

function applyEdit(graph: Graph, edit: Edit): Graph {
  for (const [index, byAxis] of edit.constants) {
    const t = graph.tensors[index]!;
    let values = fromBytes('float32', t.data!) as Float32Array;
    let shape = [...t.shape];
    for (const [axis, positions] of byAxis) ({ values, shape } = removeAlongAxis(values, shape, axis, positions));
    graph.tensors[index] = { ...t, shape, data: new Uint8Array(values.buffer) };
  }
  for (const [index, positions] of edit.activations) {
    const t = graph.tensors[index]!;
    const shape = [...t.shape];
    shape[shape.length - 1]! -= positions.size;
    graph.tensors[index] = { ...t, shape };
  }
  // a RESHAPE's requested shape (attribute and shape tensor) follows its output
  for (const op of graph.ops) {
    if (op.kind !== 'RESHAPE' || !edit.activations.has(op.outputs[0]!)) continue;
    const shape = graph.tensors[op.outputs[0]!]!.shape;
    op.attrs = { ...op.attrs, newShape: [...shape] };
    const shapeTensor = op.inputs[1];
    if (shapeTensor !== undefined && shapeTensor >= 0 && graph.tensors[shapeTensor]!.data) {
      graph.tensors[shapeTensor] = { ...graph.tensors[shapeTensor]!, data: new Uint8Array(Int32Array.from(shape).buffer) };
    }
  }
  return graph;
}

export function removeAlongAxis(values: Float32Array, shape: number[], axis: number, positions: Set<number>): { values: Float32Array; shape: number[] } {
  const outer = elementCount(shape.slice(0, axis));
  const dim = shape[axis]!;
  const inner = elementCount(shape.slice(axis + 1));
  const keep = Array.from({ length: dim }, (_, i) => i).filter((i) => !positions.has(i));
  const out = new Float32Array(outer * keep.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      out.set(values.subarray((o * dim + k) * inner, (o * dim + k + 1) * inner), at);
      at += inner;
    }
  }
  const newShape = [...shape];
  newShape[axis] = keep.length;
  return { values: out, shape: newShape };
}

function cloneGraph(graph: Graph): Graph {
  return {
    ...graph,
    tensors: graph.tensors.map((t) => ({ ...t, shape: [...t.shape] })),
    ops: graph.ops.map((op) => ({ ...op, inputs: [...op.inputs], outputs: [...op.outputs], attrs: { ...op.attrs } })),
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
  };
}
