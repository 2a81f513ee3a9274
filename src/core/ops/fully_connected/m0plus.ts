// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Armv6-M variant (Cortex-M0/M0+, the RP2040): common/isa/m0plus_mac.h's register-blocked (assembly: common/isa/m0plus_mac.S)
 * loop over blocks of 8 rows (then one of 4), the last 1-3 rows in C; one input feature is a plain
 * loop over the rows. Symmetric weights (the input offset folds into the per-row starts);
 * weight_offset.ts runs those with a zero point through it. The weights are re-laid in the order the loop reads
 * them (same byte count); the starts replace the bias. Requantization: common/isa/m0plus_requant.ts, exact, no 64-bit
 * multiply; per-tensor constants live in the code, per-channel ones take two int32 per row.
 *
 * Where every weight lies in [-127, 127] and there are 16 rows or more (`weightFit.lanes`; a speed
 * choice: not under `--prefer size`) the blocks of 8 rows
 * take the LSTM's row-pair lanes instead (unidirectional_sequence_lstm_pairs.h and its Armv6-M
 * assembly, tf_m0_lstm_pairs8): rows a, b of a pair stored per column as one int32 W = w_a + 65536 w_b,
 * one MULS by the column's value giving both products, the pair split exactly every two columns; the
 * input row is widened to int32 once (scratch). 11 cycles per 4 MACs instead of 15, for 2 bytes a
 * weight instead of 1; the last 1-7 rows keep the int8 blocks. Without the lanes, a block of 4 rows
 * whose weights allow it (`weightFit.pairs4`, an even row length; not under `--prefer size`) runs as two row pairs over the int8
 * input (tf_m0fc_pairs4: 26 cycles per 8 MACs instead of 40), for 2 bytes a weight in those rows.
 */
import type { KernelVariant, LayerEmitContext, VariantFacts } from '../op.ts';
import { rowBlocks84 } from '../common/codecs/row_blocks.ts';
import { summary } from './describe.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import type { FullyConnectedParams } from './contract.ts';
import { m0RequantFn } from '../common/isa/m0plus_requant.ts';
import { PAIR_MAX_COLUMNS, pairColumns } from '../common/codecs/row_pair_lanes.ts';

export function m0plusApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && p.multiplier.every((m) => m >= 0) && p.shift.every((s) => s >= -31 && s <= 31);
}

/**
 * The fewest rows the lanes take: the widened input row costs 4 bytes an input feature of scratch and
 * a load and store each per batch row, which one block of 8 rows barely wins back (mnist_lstm's
 * 560 -> 10 layer: 1.4 K cycles of 720 K for 1.4 KB more arena, past issue #13's RAM bar).
 */
export const LANE_MIN_ROWS = 16;

/**
 * The most int8 weight bytes a layer takes the lanes for: they double, and 512 KiB is a quarter of the
 * RP2040's 2 MiB flash (the sweep's 1 MiB FC layers did not link as lanes).
 */
export const LANE_MAX_WEIGHT_BYTES = 256 * 1024;

/** Whether the row-pair lanes can hold these weights: none is -128 (a lane sum could reach 2^15), rows within the kernel's reach. */
export function laneWeightsFit(weights: ArrayLike<number>, rows: number, rowLength: number): boolean {
  if (rows < LANE_MIN_ROWS || rowLength < 2 || rowLength > PAIR_MAX_COLUMNS || rows * rowLength > LANE_MAX_WEIGHT_BYTES) return false;
  for (let i = 0; i < rows * rowLength; i++) if (weights[i] === -128) return false;
  return true;
}

/** the blocks of 8 rows the lanes run, when they run (else 0) */
export const laneBlocks = (p: FullyConnectedParams): number => (p.weightFit?.lanes === true && p.inFeatures > 1 ? Math.floor(p.outFeatures / 8) : 0);

/** the lanes' int32 scratch: the input row widened (padded to whole column pairs), then the blocks' sums */
export const lanesScratchBytes = (p: FullyConnectedParams): number => (laneBlocks(p) > 0 ? 4 * (pairColumns(p.inFeatures) + 8 * laneBlocks(p)) : 0);

/**
 * Blocks of 8 rows as row-pair lanes, in the order tf_m0_lstm_pairs8 reads them: per block, per column
 * pair, per row pair (rows 2p, 2p + 1 of the block), the words w_a + 65536 w_b of the two columns; a
 * padding column has weight 0.
 */
export function rowPairLanes8(weights: ArrayLike<number>, blocks: number, rowLength: number): Int32Array {
  const cols2 = pairColumns(rowLength);
  const out = new Int32Array(blocks * 4 * cols2);
  let n = 0;
  const weight = (r: number, c: number) => (c < rowLength ? weights[r * rowLength + c]! : 0);
  for (let b = 0; b < blocks; b++)
    for (let k = 0; k < cols2; k += 2)
      for (let pair = 0; pair < 4; pair++) for (const c of [k, k + 1]) out[n++] = weight(8 * b + 2 * pair, c) + 65536 * weight(8 * b + 2 * pair + 1, c);
  return out;
}

/**
 * Whether a layer's block of 4 rows (the rows after its blocks of 8, when it has 4 or more left and no
 * lanes) may run as two row pairs (tf_m0fc_pairs4): whole column pairs, none of those rows' weights
 * -128 (a step's low half could reach 2^15).
 */
export function pairs4Fit(weights: ArrayLike<number>, rows: number, rowLength: number): boolean {
  if (rows % 8 < 4 || rowLength < 2 || rowLength % 2 !== 0 || rowLength > PAIR_MAX_COLUMNS) return false;
  const first = Math.floor(rows / 8) * 8;
  for (let i = first * rowLength; i < (first + 4) * rowLength; i++) if (weights[i] === -128) return false;
  return true;
}

/**
 * A block of 4 rows (from row `first`) as two row pairs, in the order tf_m0fc_pairs4 reads them: per
 * column pair, per row pair (rows 0, 1 then 2, 3), the words w_a + 65536 w_b of the two columns.
 */
export function rowPairLanes4(weights: ArrayLike<number>, first: number, rowLength: number): Int32Array {
  const out = new Int32Array(2 * rowLength);
  let n = 0;
  for (let k = 0; k < rowLength; k += 2)
    for (let pair = 0; pair < 2; pair++)
      for (const c of [k, k + 1]) out[n++] = weights[(first + 2 * pair) * rowLength + c]! + 65536 * weights[(first + 2 * pair + 1) * rowLength + c]!;
  return out;
}

/**
 * The row-pair forms (2 bytes a weight instead of 1) trade flash for speed: `--prefer size` keeps the
 * model's 1 byte a weight, so neither applies under it.
 */
const rowPairsWanted = (facts: VariantFacts): boolean => facts.prefer !== 'size';

/** Which rows an emit runs as row pairs: the blocks of 8 as lanes, or the block of 4 after them (default: neither) */
export interface M0RowPairs {
  lanes: boolean;
  pairs4: boolean;
}

export function emitFullyConnectedM0plus(
  p: FullyConnectedParams,
  ctx: LayerEmitContext,
  summary: string,
  rowPairs: M0RowPairs = { lanes: false, pairs4: false },
): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const bounds = accumulatorBounds(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias).map((b) => b + (p.accumulatorSlack ?? 0));
  const start = foldedAccumulatorInit(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias);
  const uniform = p.multiplier.every((m, i) => m === p.multiplier[0] && p.shift[i] === p.shift[0]);
  const rqName = `${ctx.fnName}_rq`;
  let rqFn: string;
  let rqTable: string | undefined;
  if (uniform) {
    rqFn = m0RequantFn({
      name: rqName,
      multiplier: p.multiplier[0]!,
      shift: p.shift[0]!,
      bound: Math.max(0, ...bounds),
      zp: p.outputZeroPoint,
      lo: p.actMin,
      hi: p.actMax,
    });
  } else {
    const records: number[] = [];
    for (let o = 0; o < p.outFeatures; o++) records.push(p.multiplier[o]!, Math.max(p.shift[o]!, 0) | (Math.max(-p.shift[o]!, 0) << 8));
    rqTable = ctx.addConst('rq', 'int32_t', records);
    rqFn =
      `static inline int32_t ${rqName}(int32_t acc, const int32_t *rec) {\n` +
      `  int32_t q = tf_m0_mbqm_rec(acc, rec) + ${p.outputZeroPoint};\n` +
      `  if (q < ${p.actMin}) q = ${p.actMin};\n  if (q > ${p.actMax}) q = ${p.actMax};\n  return q;\n}\n`;
  }
  const rq = (acc: string, row: string) => (uniform ? `${rqName}(${acc})` : `${rqName}(${acc}, ${rqTable} + 2 * (${row}))`);
  const single = p.inFeatures === 1;
  const lanes = rowPairs.lanes ? laneBlocks(p) : 0;
  const groups8 = single || lanes > 0 ? 0 : Math.floor(p.outFeatures / 8);
  const group4 = !single && p.outFeatures % 8 >= 4;
  const tailStart = single ? 0 : Math.floor(p.outFeatures / 8) * 8 + (group4 ? 4 : 0);
  // rows the int8 blocks run: all of them, or those after the lanes' blocks
  const int8From = 8 * lanes;
  const allZero = start.every((v) => v === 0);
  // the block of 4 as two row pairs: its rows leave the int8 table
  const pairs4 = group4 && rowPairs.pairs4;
  const pairs4From = Math.floor(p.outFeatures / 8) * 8;
  const int8Rows = pairs4
    ? Int8Array.from([...filter.subarray(int8From * p.inFeatures, pairs4From * p.inFeatures), ...filter.subarray((pairs4From + 4) * p.inFeatures)])
    : filter.subarray(int8From * p.inFeatures);
  const int8Count = p.outFeatures - int8From - (pairs4 ? 4 : 0);
  return ctx.render('fully_connected_m0plus.c.hbs', {
    summary,
    how: single
      ? 'one input feature'
      : `${lanes > 0 ? 'row-pair lanes in blocks' : 'blocks'} of 8 rows${group4 ? (pairs4 ? ' and 4 as row pairs' : ' and 4') : ''}${tailStart < p.outFeatures ? `, ${p.outFeatures - tailStart} row(s) in C` : ''}`,
    fnName: ctx.fnName,
    rqFn,
    input: ctx.input(0),
    output: ctx.output(0),
    batches: p.batches,
    inFeatures: p.inFeatures,
    rows: p.outFeatures,
    single,
    // one input feature reads the weights in their own order: the tensor itself
    weights: single ? ctx.input(1) : int8Count > 0 ? ctx.addConst('w_m0', 'int8_t', rowBlocks84(int8Rows, int8Count, p.inFeatures)) : undefined,
    pairs4,
    pairs4Weights: pairs4 ? ctx.addConst('w_pairs4', 'int32_t', Array.from(rowPairLanes4(filter, pairs4From, p.inFeatures))) : undefined,
    lanes: lanes > 0,
    laneWeights: lanes > 0 ? ctx.addConst('w_lanes', 'int32_t', Array.from(rowPairLanes8(filter, lanes, p.inFeatures))) : undefined,
    laneBlocks: lanes,
    laneRows: 8 * lanes,
    lanePairs: pairColumns(p.inFeatures) / 2,
    laneCols: pairColumns(p.inFeatures),
    laneW8: 4 * pairColumns(p.inFeatures),
    scratch: lanes > 0 ? ctx.scratch() : undefined,
    rqLane: rq('lane_acc[o]', 'o'),
    // the bias itself when there is no offset to fold
    start: single && allZero ? undefined : p.inputOffset === 0 && p.hasBias ? ctx.input(2) : ctx.addConst('start', 'int32_t', start),
    groups8,
    group4,
    blocked: groups8 > 0 || group4,
    int8From,
    tailStart,
    hasTail: tailStart < p.outFeatures,
    w8: 8 * p.inFeatures,
    rq8: rq('acc[j]', 'g * 8 + j'),
    rq4: rq('acc[j]', `${Math.floor(p.outFeatures / 8) * 8} + j`),
    rqTail: rq('a', 'o'),
    rqTail1: rq('a1', 'o + 1'),
    rqSingle: rq(allZero ? '(int32_t)w[o] * x0' : 's[o] + (int32_t)w[o] * x0', 'o'),
  });
}

/** int8 weights in blocks of 8 rows, then one of 4, then 1-3 rows in C: every symmetric layer whose multipliers the exact requantization takes */
export const fcM0plusVariant: KernelVariant<FullyConnectedParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: m0plusApplies,
  emit: (p, ctx) => emitFullyConnectedM0plus(p, ctx, summary(p)),
  cFiles: ['common/isa/m0plus_mac.h', 'common/isa/m0plus_mac.S', 'common/isa/m0plus_rq.h'],
};

/** The same with its block of 4 rows as two row pairs over the int8 input (tf_m0fc_pairs4), where no lanes run. */
export const fcM0plusPairs4Variant: KernelVariant<FullyConnectedParams> = {
  ...fcM0plusVariant,
  name: 'armv6m block of 4 as row pairs',
  applies: (p, facts) =>
    rowPairsWanted(facts) && m0plusApplies(p) && p.weightFit?.pairs4 === true && laneBlocks(p) === 0 && p.inFeatures > 1 && p.outFeatures % 8 >= 4,
  emit: (p, ctx) => emitFullyConnectedM0plus(p, ctx, summary(p), { lanes: false, pairs4: true }),
};

/** The same with its blocks of 8 rows as row-pair lanes. */
export const fcM0plusLanesVariant: KernelVariant<FullyConnectedParams> = {
  name: 'armv6m row-pair lanes',
  family: 'armv6m',
  applies: (p, facts) => rowPairsWanted(facts) && m0plusApplies(p) && laneBlocks(p) > 0,
  scratchBytes: lanesScratchBytes,
  emit: (p, ctx) => emitFullyConnectedM0plus(p, ctx, summary(p), { lanes: true, pairs4: false }),
  // the lanes' kernel is the LSTM's: its gate blocks are the same product of 8 rows
  cFiles: [
    ...fcM0plusVariant.cFiles!,
    'unidirectional_sequence_lstm/unidirectional_sequence_lstm_pairs.h',
    'unidirectional_sequence_lstm/unidirectional_sequence_lstm_m0plus.S',
  ],
};
