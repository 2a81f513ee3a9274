// SPDX-License-Identifier: Apache-2.0
/**
 * Sparse FULLY_CONNECTED weights (pruned models): when most weights of a layer are zero, the
 * compiler stores only the nonzero ones (common/codecs/sparse_rows.ts) and the kernel skips the zeros.
 *
 * Only the folded form (symmetric weights: Σ w·(x + off) + b = Σ w·x + (b + off·Σw)) is encoded;
 * integer sums do not depend on their order, so the result is bit-exact with the dense kernel.
 */
import type { Graph, Op } from '../../ir/graph.ts';
import {
  type EncodingCost,
  type IsaFamily,
  type KernelIsa,
  type KernelVariant,
  type LayerEmitContext,
  type PricedFamily,
  isaFamily,
  pricingFamily,
} from '../op.ts';
import type { FullyConnectedParams } from './contract.ts';
import { type TableCType, cTerm, constInt32, constInt8, foldedInitExpr, requantExprs } from '../common/families/weighted.ts';
import type { ChannelMultipliers } from '../common/families/weighted.ts';
import { rv32RightOnly } from '../common/isa/rv32_matmul.ts';
import type { SparseRows } from '../common/codecs/sparse_rows.ts';

/** What the sparse template needs from FULLY_CONNECTED's prepared parameters. */
export interface SparseFcParams extends ChannelMultipliers {
  batches: number;
  inFeatures: number;
  outFeatures: number;
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
}

/**
 * The C of a sparse FULLY_CONNECTED layer (the dense weights are never emitted): the portable loop, or
 * with `rv32` the RV32IMC one (four entries a pass; MUL + MULH requantization for right shifts).
 */
export function emitSparseFullyConnected(p: SparseFcParams, sparse: SparseRows, ctx: LayerEmitContext, rv32 = false): string {
  const graph: Graph = ctx.graph;
  const op: Op = ctx.op;
  const row = 'o';
  const addConst = (s: string, t: TableCType, v: ArrayLike<number>) => ctx.addConst(s, t, v);
  const { mult, shift } = requantExprs(p, row, addConst);
  const biasTensor = p.hasBias ? graph.tensors[op.inputs[2]!]! : undefined;
  const accInit = foldedInitExpr({
    weights: constInt8(graph.tensors[op.inputs[1]!]!),
    rows: p.outFeatures,
    rowLength: p.inFeatures,
    inputOffset: p.inputOffset,
    bias: biasTensor && constInt32(biasTensor),
    biasPointer: () => ctx.input(2),
    addConst,
    rowVar: row,
  });
  const rightOnly = rv32 && rv32RightOnly(p);
  return ctx.render(rv32 ? 'fully_connected_sparse_rv32.c.hbs' : 'fully_connected_sparse.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary:
      `FULLY_CONNECTED [${p.batches},${p.inFeatures}] * [${p.outFeatures},${p.inFeatures}]^T -> [${p.batches},${p.outFeatures}], ` +
      `sparse: ${(sparse.zeros * 100).toFixed(1)}% zeros, ${sparse.values.length} entries (${sparse.bytes} bytes for ${p.outFeatures * p.inFeatures} dense), ` +
      `${p.batches * sparse.values.length} MACs`,
    input: ctx.input(0),
    output: ctx.output(0),
    values: ctx.addConst('sparse_values', 'int8_t', sparse.values),
    deltas: ctx.addConst('sparse_deltas', 'uint8_t', sparse.deltas),
    counts: ctx.addConst('sparse_counts', 'int16_t', sparse.counts),
    accInit,
    outputZeroPointTerm: cTerm(p.outputZeroPoint),
    mult,
    shift,
    rightOnly,
    // tf_rv32_mbqm_right takes e = -shift
    rightShift: /^-?\d+$/.test(shift) ? String(-Number(shift)) : `-${shift}`,
  });
}

/** The kernel multiplies every stored entry (the nonzero weights and the gap fillers), once per batch row. */
function sparseMacs(p: FullyConnectedParams): number {
  return p.batches * (p.sparse?.values.length ?? p.outFeatures * p.inFeatures);
}

/**
 * Measured costs of the sparse FC kernels: instructions (RP2040: cycles) per stored entry and per
 * output value, on each family's emulated target (the portable loop on the Arm ones, the unrolled one
 * on RV32), from `npx tsx bench/sparse_costs.ts` (docs/kernels.md, "Sparse weights").
 */
export const SPARSE_FC_COSTS: Record<PricedFamily, { entry: number; output: number }> = {
  // FC 512 -> 64 at 70% and 90% (M4) or 95% zeros: M4 7.0 an entry and 52 a row, RP2040 12.5 and 164
  // cycles, ESP32-C3 (the unrolled loop) 6.75 and 40; the M4 again (256 -> 64, one and four rows, 90 to
  // 98 % zeros, the FAST requantization records): 7.2 an entry and 55-67 a row
  'arm-dsp': { entry: 7.2, output: 60 },
  // RP2040 again (256 -> 64, 70 to 98 %): 12.0 an entry and 203 a row
  armv6m: { entry: 12, output: 203 },
  rv32: { entry: 6.75, output: 40 },
  portable: { entry: 7, output: 52 },
};

/** Flash bytes of the encoding and estimated instructions per inference on `isa`'s family. */
export function sparseFcCost(p: FullyConnectedParams, isa: KernelIsa | undefined): EncodingCost {
  const c = SPARSE_FC_COSTS[pricingFamily(isaFamily(isa))];
  const s = p.sparse!;
  return { flashBytes: s.bytes, instructions: Math.round(p.batches * (s.values.length * c.entry + p.outFeatures * c.output)) };
}

/** Pruned weights (FullyConnectedParams.sparse): the portable kernel on the Arm targets. */
export const fcSparseVariant: KernelVariant<FullyConnectedParams> = {
  name: 'sparse',
  family: 'portable',
  storage: 'sparse',
  applies: (p) => p.sparse !== undefined,
  macs: sparseMacs,
  cost: sparseFcCost,
  emit: (p, ctx) => emitSparseFullyConnected(p, p.sparse!, ctx),
};

/** Pruned weights on RV32IMC: the same encoding, the loop unrolled by four, RV32's requantization. */
export const fcSparseRv32Variant: KernelVariant<FullyConnectedParams> = {
  name: 'rv32 sparse',
  family: 'rv32',
  storage: 'sparse',
  applies: (p) => p.sparse !== undefined,
  macs: sparseMacs,
  cost: sparseFcCost,
  emit: (p, ctx) => emitSparseFullyConnected(p, p.sparse!, ctx, true),
};
