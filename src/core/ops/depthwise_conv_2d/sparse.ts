// SPDX-License-Identifier: Apache-2.0
/**
 * Pruned DEPTHWISE_CONV_2D weights stored as one (tap, weight) entry per nonzero weight and channel
 * (common/codecs/sparse_taps.ts), one kernel variant per ISA family and the portable C; the cost model
 * (encoding_choice.ts) decides per layer whether this storage or the dense one runs.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import {
  type SparseOffsets,
  type SparseTaps,
  allowedSparseForms,
  encodeOffsets,
  depthwiseRows,
  encodeDepthwiseTaps,
  sparseTapVariants,
} from '../common/codecs/sparse_taps.ts';
import type { KernelChoices } from '../op.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import type { ConvWindowParams } from '../common/families/conv_geometry.ts';

/** The sparse encoding of an int8 DEPTHWISE_CONV_2D's filter, when enough of it is zero. */
export function depthwiseSparseTaps(
  graph: Graph,
  op: Op,
  w: ConvWindowParams,
  kernels: KernelChoices = {},
): { sparse?: SparseTaps; sparseOffsets?: SparseOffsets } {
  const filter = constInt8(graph.tensors[op.inputs[1]!]!);
  const sparse = encodeDepthwiseTaps(filter, w.outC, w.kH * w.kW, kernels);
  const sparseOffsets = sparse && encodeOffsets(depthwiseRows(filter, w.outC, w.kH * w.kW), w, 1, kernels);
  return allowedSparseForms({ sparse, sparseOffsets }, kernels);
}

export const depthwiseSparseVariants = sparseTapVariants<DepthwiseConv2DParams>((p, ctx, family) => ({
  opName: 'DEPTHWISE_CONV_2D',
  label: `[${p.batches},${p.inH},${p.inW},${p.inC}] * [1,${p.kH},${p.kW},${p.outC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW}`,
  channelBase: p.depthMultiplier > 1 ? `oc / ${p.depthMultiplier}` : 'oc',
  foldRows: depthwiseRows(constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!), p.outC, p.kH * p.kW),
  bias: p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined,
  family,
}));
