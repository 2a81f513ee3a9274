// SPDX-License-Identifier: Apache-2.0
/**
 * Pruned CONV_2D weights stored as tap groups of nonzero channel entries (common/sparse_taps.ts), one
 * kernel variant per ISA family and the portable C; the cost model (encoding_choice.ts) decides per
 * layer whether this storage or the dense one runs.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import type { IsaFamily, KernelVariant } from '../op.ts';
import { constInt32, constInt8 } from '../common/weighted.ts';
import { type SparseTaps, emitSparseTaps, encodeConvTaps, sparseTapsCost } from '../common/sparse_taps.ts';
import type { Conv2DParams } from './index.ts';

/** The sparse encoding of an int8 CONV_2D's filter, when enough of it is zero. */
export function convSparseTaps(graph: Graph, op: Op, outC: number, taps: number, filterInC: number): { sparse?: SparseTaps } {
  const sparse = encodeConvTaps(constInt8(graph.tensors[op.inputs[1]!]!), outC, taps, filterInC);
  return sparse ? { sparse } : {};
}

function sparseVariant(family: IsaFamily): KernelVariant<Conv2DParams> {
  return {
    name: family === 'portable' ? 'sparse' : `${family} sparse`,
    family,
    storage: 'sparse',
    applies: (p) => p.sparse !== undefined,
    cost: (p, isa) => sparseTapsCost(p, p.sparse!, isa),
    emit: (p, ctx) => {
      const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
      const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
      const filtersPerGroup = p.outC / p.groups;
      return emitSparseTaps(p, p.sparse!, ctx, {
        opName: 'CONV_2D',
        label: `[${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.filterInC}] stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW}`,
        channelBase: p.groups > 1 ? `(oc / ${filtersPerGroup}) * ${p.filterInC}` : '0',
        foldRows: filter,
        bias,
        family,
      });
    },
  };
}

export const convSparseVariants: readonly KernelVariant<Conv2DParams>[] = (['arm-dsp', 'armv6m', 'rv32', 'portable'] as const).map(sparseVariant);
