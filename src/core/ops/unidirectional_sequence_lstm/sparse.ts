// SPDX-License-Identifier: Apache-2.0
/**
 * Sparse LSTM gate weights (pruned models): the eight gate matrices (input-to-gate [units, inputSize]
 * and recurrent-to-gate [units, units], per gate) stored as FULLY_CONNECTED's column-gap rows
 * (common/codecs/sparse_rows.ts: per row its nonzero weights, each with its uint8 column distance from the
 * previous one) and multiplied by common/codecs/sparse_dot.h's tf_sparse_dot_gaps, the FC sparse kernels' dot
 * product. Each gate's FC(x) and FC(h) are FC-like (int8 in, int32 sums requantized to int16 Q3.12),
 * so the zero weights are skipped and nothing else changes: integer sums do not depend on their order,
 * so the result is the dense kernel's, bit for bit.
 *
 * One storage for the layer (not per matrix): the rows of the four input matrices, gate after gate,
 * then those of the four recurrent ones, with one int16 count per row. The layer is encoded when its
 * eight matrices together are at least SPARSE_MIN_ZEROS zeros and the encoding at most
 * SPARSE_MAX_BYTES_RATIO of the dense bytes, as for FC; whether it runs is the cost model's call
 * (encoding_choice.ts, `--prefer`).
 */
import {
  type EncodingCost,
  type IsaFamily,
  type KernelChoices,
  type KernelIsa,
  type KernelVariant,
  type LayerEmitContext,
  type PricedFamily,
  isaFamily,
  pricingFamily,
} from '../op.ts';
import { SPARSE_MAX_BYTES_RATIO, SPARSE_MIN_ZEROS, gapRows, sparseKernelsEnabled, zeroShare } from '../common/codecs/sparse_rows.ts';
import { foldedAccumulatorInit } from '../common/families/weighted.ts';
import type { LstmGateInputs } from './dsp.ts';
import type { LstmParams } from './index.ts';

export interface LstmSparse {
  /** nonzero weights (and zero fillers): the input rows of the four gates, then their recurrent rows */
  values: Int8Array;
  /** column distance of each entry from the previous one in its row */
  deltas: Uint8Array;
  /** entries per row: 4 * units input rows, then 4 * units recurrent rows */
  counts: Int32Array;
  /** entries of the input rows (the recurrent rows' entries follow them) */
  inputEntries: number;
  /** fraction of the eight matrices' weights that are zero */
  zeros: number;
  /** bytes of the encoding (values + deltas + counts as int16) */
  bytes: number;
}

const concat = (parts: Int8Array[]): Int8Array => {
  const out = new Int8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The sparse encoding of the layer's gate weights, or undefined when the dense form is as good. */
export function encodeLstmSparse(
  gates: { inputWeights: Int8Array; recurrentWeights: Int8Array }[],
  units: number,
  inputSize: number,
  kernels: KernelChoices = {},
): LstmSparse | undefined {
  if (!sparseKernelsEnabled(kernels)) return undefined;
  const inputRows = concat(gates.map((g) => g.inputWeights));
  const recurrentRows = concat(gates.map((g) => g.recurrentWeights));
  const denseBytes = inputRows.length + recurrentRows.length;
  const zeros = (zeroShare(inputRows) * inputRows.length + zeroShare(recurrentRows) * recurrentRows.length) / denseBytes;
  if (zeros < SPARSE_MIN_ZEROS) return undefined;
  const fromInput = gapRows(inputRows, 4 * units, inputSize);
  const fromHidden = gapRows(recurrentRows, 4 * units, units);
  const counts = Int32Array.from([...fromInput.counts, ...fromHidden.counts]);
  // counts live in an int16 table
  if (counts.some((n) => n > 32767)) return undefined;
  const entries = fromInput.values.length + fromHidden.values.length;
  const bytes = 2 * entries + 2 * counts.length;
  if (bytes > SPARSE_MAX_BYTES_RATIO * denseBytes) return undefined;
  return {
    values: Int8Array.from([...fromInput.values, ...fromHidden.values]),
    deltas: Uint8Array.from([...fromInput.deltas, ...fromHidden.deltas]),
    counts,
    inputEntries: fromInput.values.length,
    zeros,
    bytes,
  };
}

/** The kernel multiplies every stored entry (nonzero weights and gap fillers) once per time step and batch. */
export function lstmSparseMacs(p: LstmParams): number {
  return p.batches * p.steps * p.sparse!.values.length;
}

/**
 * Measured costs of the sparse LSTM kernel (the portable C): instructions (RP2040: cycles) per stored
 * entry and per gate row (4 * units a step: two out-of-line dot products, two requantizations, the
 * gate's sigmoid or tanh, and a quarter of the unit's cell update), on each family's emulated target,
 * from `npx tsx bench/sparse_costs.ts --ops lstm` (docs/kernels.md, "Sparse weights").
 */
export const SPARSE_LSTM_COSTS: Record<PricedFamily, { entry: number; gateRow: number }> = {
  // 28 steps of 28 inputs and 20 units at 70%, 90% and 95% zeros: M4 8 an entry and 140 a gate row,
  // RP2040 13.5 and 405 cycles, ESP32-C3 8.3 and 135
  'arm-dsp': { entry: 8, gateRow: 140 },
  armv6m: { entry: 13.5, gateRow: 405 },
  rv32: { entry: 8.3, gateRow: 135 },
  portable: { entry: 8, gateRow: 140 },
};

/**
 * Flash bytes of the encoding (and of the recurrent start values a hidden zero point needs, which the
 * Arm DSP kernel does without) and estimated instructions per inference on `isa`'s family.
 */
export function lstmSparseCost(p: LstmParams, isa: KernelIsa | undefined): EncodingCost {
  const c = SPARSE_LSTM_COSTS[pricingFamily(isaFamily(isa))];
  const s = p.sparse!;
  return {
    flashBytes: s.bytes + (p.hiddenOffset === 0 ? 0 : 4 * 4 * p.units),
    instructions: Math.round(p.batches * p.steps * (s.values.length * c.entry + 4 * p.units * c.gateRow)),
  };
}

/** The C of a sparse LSTM layer (the dense gate weights are never emitted). */
export function emitLstmSparse(
  p: LstmParams,
  ctx: LayerEmitContext,
  gates: LstmGateInputs[],
  view: Record<string, unknown>,
  gateNames: readonly string[],
): string {
  const s = p.sparse!;
  const S = p.units;
  // the input and hidden offsets fold into per-row start values: Σw(x+o)+b = Σwx + (oΣw+b)
  const inInit = gates.flatMap((g) => Array.from(foldedAccumulatorInit(g.inputWeights, S, p.inputSize, p.inputOffset, g.bias)));
  const recInit = gates.flatMap((g) => Array.from(foldedAccumulatorInit(g.recurrentWeights, S, S, p.hiddenOffset)));
  const dense = 4 * S * (p.inputSize + S);
  return ctx.render('unidirectional_sequence_lstm_sparse.c.hbs', {
    ...view,
    summary:
      `${String(view.summary).replace(/, \d+ MACs$/, '')}, sparse gate weights: ${(s.zeros * 100).toFixed(1)}% zeros, ` +
      `${s.values.length} entries (${s.bytes} bytes for ${dense} dense), ${p.batches * p.steps * s.values.length} MACs`,
    scratch: ctx.scratch(),
    values: ctx.addConst('sparse_values', 'int8_t', s.values),
    deltas: ctx.addConst('sparse_deltas', 'uint8_t', s.deltas),
    counts: ctx.addConst('sparse_counts', 'int16_t', s.counts),
    inputEntries: s.inputEntries,
    gateRows: 4 * S,
    inInit: ctx.addConst('in_init', 'int32_t', inInit),
    recInit: p.hiddenOffset === 0 ? undefined : ctx.addConst('rec_init', 'int32_t', recInit),
    gates: p.gates.map((g, k) => ({ ...g, name: gateNames[k], isCellGate: k === 2 })),
  });
}

/** Pruned gate weights (LstmParams.sparse): the portable kernel, on every family. */
export function lstmSparseVariant(
  gateInputs: (ctx: LayerEmitContext) => LstmGateInputs[],
  view: (p: LstmParams, ctx: LayerEmitContext) => Record<string, unknown>,
  gateNames: readonly string[],
): KernelVariant<LstmParams> {
  return {
    name: 'sparse',
    family: 'portable',
    storage: 'sparse',
    applies: (p) => p.sparse !== undefined,
    // the four gate buffers of the portable kernel
    scratchBytes: (p) => 4 * p.units * 2,
    macs: lstmSparseMacs,
    cost: lstmSparseCost,
    emit: (p, ctx) => emitLstmSparse(p, ctx, gateInputs(ctx), view(p, ctx), gateNames),
  };
}
