// SPDX-License-Identifier: Apache-2.0
/**
 * Pruned CONV_2D weights stored as tap groups of nonzero channel entries (common/codecs/sparse_taps.ts), one
 * kernel variant per ISA family and the portable C; the cost model (encoding_choice.ts) decides per
 * layer whether this storage or the dense one runs.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { type SparseOffsets, type SparseTaps, allowedSparseForms, encodeOffsets, encodeConvTaps, sparseTapVariants } from '../common/codecs/sparse_taps.ts';
import type { KernelChoices } from '../op.ts';
import type { Conv2DParams } from './contract.ts';
import type { ConvWindowParams } from '../common/families/conv_geometry.ts';

/** The sparse encoding of an int8 CONV_2D's filter, when enough of it is zero. */
export function convSparseTaps(
  graph: Graph,
  op: Op,
  w: ConvWindowParams,
  filterInC: number,
  kernels: KernelChoices = {},
): { sparse?: SparseTaps; sparseOffsets?: SparseOffsets } {
  const filter = constInt8(graph.tensors[op.inputs[1]!]!);
  const sparse = encodeConvTaps(filter, w.outC, w.kH * w.kW, filterInC, kernels);
  const sparseOffsets = sparse && encodeOffsets(filter, w, filterInC, kernels);
  return allowedSparseForms({ sparse, sparseOffsets }, kernels);
}

export const convSparseVariants = sparseTapVariants<Conv2DParams>((p, ctx, family) => {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const filtersPerGroup = p.outC / p.groups;
  return {
    opName: 'CONV_2D',
    label: `[${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.filterInC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW}`,
    channelBase: p.groups > 1 ? `(oc / ${filtersPerGroup}) * ${p.filterInC}` : '0',
    foldRows: filter,
    bias: p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined,
    family,
  };
});
