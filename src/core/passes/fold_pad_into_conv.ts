// SPDX-License-Identifier: Apache-2.0
/**
 * PAD → CONV_2D / DEPTHWISE_CONV_2D (padding VALID) becomes the convolution with padding SAME on the
 * unpadded input, where the two are the same layer. Converters write Keras' ZeroPadding2D before a
 * stride-2 convolution (MobileNet, FOMO and their kin: one row at the bottom and one column at the
 * right) as an explicit PAD; its output is a second, slightly larger copy of the activation, alive
 * beside the input, and often the arena's peak. SAME padding computes the same outputs without it:
 * TFLite skips the padding taps, and a tap on the zero point contributes (zp - zp) * w = 0.
 *
 * Folded only when exact: a PAD (or PADV2 filling with the input's zero point) of rows and columns
 * alone (batch and channels unpadded, no read-through permutation), whose output only that
 * convolution reads, on the input's own scale and zero point; and where SAME on the unpadded input
 * gives the convolution's output size with the PAD's top and left amounts as its padding before
 * (TFLite's SAME puts the odd row or column after), so every output reads the same taps.
 */
import type { Graph, Op, Tensor } from '../ir/graph.ts';
import { fromBytes } from '../ir/buffers.ts';
import { outputSize, paddingBefore } from '../ops/common/families/padding.ts';
import { consumersOf, isFixedConstant } from './graph_edit.ts';

const CONVS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D']);

interface ConvAttrs {
  padding?: string;
  strideH?: number;
  strideW?: number;
  dilationH?: number;
  dilationW?: number;
}

export function foldPadIntoConv(graph: Graph): Graph {
  const consumers = consumersOf(graph);
  let ops = graph.ops;
  let changed = false;
  for (const pad of graph.ops) {
    if (pad.kind !== 'PAD' && pad.kind !== 'PADV2') continue;
    const readers = consumers.get(pad.outputs[0]!) ?? [];
    const conv = readers.length === 1 ? readers[0]! : undefined;
    if (!conv || !CONVS.has(conv.kind) || conv.inputs[0] !== pad.outputs[0] || graph.outputs.includes(pad.outputs[0]!)) continue;
    if (!foldable(graph, pad, conv)) continue;
    const folded: Op = { ...conv, inputs: [pad.inputs[0]!, ...conv.inputs.slice(1)], attrs: { ...conv.attrs, padding: 'SAME' } };
    ops = ops.map((op) => (op === conv ? folded : op));
    changed = true;
  }
  // the PAD, read by nobody now, goes with removeDeadOps
  return changed ? { ...graph, ops } : graph;
}

function foldable(graph: Graph, pad: Op, conv: Op): boolean {
  if ((pad.attrs as { inputPermutation?: unknown }).inputPermutation !== undefined) return false;
  const input = graph.tensors[pad.inputs[0]!]!;
  const padded = graph.tensors[pad.outputs[0]!]!;
  const output = graph.tensors[conv.outputs[0]!]!;
  const a = conv.attrs as ConvAttrs;
  if (a.padding !== 'VALID' || input.shape.length !== 4 || output.shape.length !== 4) return false;
  if ((input.dtype !== 'int8' && input.dtype !== 'int16') || padded.dtype !== input.dtype || !sameQuant(input, padded)) return false;
  const amounts = constantInts(graph.tensors[pad.inputs[1] ?? -1]);
  if (!amounts || amounts.length !== 8 || amounts.some((v) => v < 0)) return false;
  const [nBefore, nAfter, top, bottom, left, right, cBefore, cAfter] = amounts as [number, number, number, number, number, number, number, number];
  if (nBefore + nAfter + cBefore + cAfter !== 0) return false;
  if (pad.kind === 'PADV2') {
    const fill = constantInts(graph.tensors[pad.inputs[2] ?? -1]);
    if (!fill || fill.length !== 1 || fill[0] !== input.quant!.zeroPoint[0]) return false;
  }
  const filter = graph.tensors[conv.inputs[1]!]!;
  const [kH, kW] = [filter.shape[1]!, filter.shape[2]!];
  // one spatial axis: VALID over the padded input is SAME over the input, with SAME's padding before
  const axis = ({ inSize, before, after, k, stride, dilation, outSize }: PaddedAxis) =>
    outputSize('VALID', inSize + before + after, k, stride, dilation) === outSize &&
    outputSize('SAME', inSize, k, stride, dilation) === outSize &&
    paddingBefore('SAME', inSize, k, stride, dilation, outSize) === before;
  return (
    axis({ inSize: input.shape[1]!, before: top, after: bottom, k: kH, stride: a.strideH ?? 1, dilation: a.dilationH ?? 1, outSize: output.shape[1]! }) &&
    axis({ inSize: input.shape[2]!, before: left, after: right, k: kW, stride: a.strideW ?? 1, dilation: a.dilationW ?? 1, outSize: output.shape[2]! })
  );
}

/** One spatial axis of a PAD then a VALID convolution: sizes, the padding on each side, the kernel's extent and steps. */
interface PaddedAxis {
  inSize: number;
  before: number;
  after: number;
  k: number;
  stride: number;
  dilation: number;
  outSize: number;
}

function sameQuant(a: Tensor, b: Tensor): boolean {
  const qa = a.quant;
  const qb = b.quant;
  if (!qa || !qb || qa.scale.length !== 1 || qb.scale.length !== 1) return false;
  return Math.fround(qa.scale[0]!) === Math.fround(qb.scale[0]!) && qa.zeroPoint[0] === qb.zeroPoint[0];
}

function constantInts(t: Tensor | undefined): number[] | undefined {
  if (!t || !isFixedConstant(t) || (t.dtype !== 'int32' && t.dtype !== 'int64' && t.dtype !== 'int8' && t.dtype !== 'int16')) return undefined;
  return Array.from(fromBytes(t.dtype, t.data!) as ArrayLike<number | bigint>, Number);
}
