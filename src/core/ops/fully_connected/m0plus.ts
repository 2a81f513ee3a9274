// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Armv6-M variant (Cortex-M0/M0+, the RP2040): common/isa/m0plus_mac.h's register-blocked (assembly: common/isa/m0plus_mac.S)
 * loop over blocks of 8 rows (then one of 4), the last 1-3 rows in C; one input feature is a plain
 * loop over the rows. Symmetric weights (the input offset folds into the per-row starts);
 * weight_offset.ts runs those with a zero point through it. The weights are re-laid in the order the loop reads
 * them (same byte count); the starts replace the bias. Requantization: m0plus_rq.ts, exact, no 64-bit
 * multiply; per-tensor constants live in the code, per-channel ones take two int32 per row.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { summary } from './describe.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import type { FullyConnectedParams } from './index.ts';
import { m0RequantFn } from './m0plus_rq.ts';

export function m0plusApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0 && p.multiplier.every((m) => m >= 0) && p.shift.every((s) => s >= -31 && s <= 31);
}

/**
 * Rows in blocks of 8 whose weights go column by column (the block's 8 int8 of column 0, then of
 * column 1, ...), then one such block of 4 if 4 or more rows remain, then the last 1-3 rows plain.
 */
export function rowBlocks84(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array {
  const out = new Int8Array(rows * rowLength);
  let n = 0;
  let r = 0;
  const block = (size: number) => {
    for (let k = 0; k < rowLength; k++) for (let j = 0; j < size; j++) out[n++] = weights[(r + j) * rowLength + k]!;
    r += size;
  };
  while (r + 8 <= rows) block(8);
  if (r + 4 <= rows) block(4);
  for (; r < rows; r++) for (let k = 0; k < rowLength; k++) out[n++] = weights[r * rowLength + k]!;
  return out;
}

export function emitFullyConnectedM0plus(p: FullyConnectedParams, ctx: LayerEmitContext, summary: string): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const bounds = accumulatorBounds(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias).map((b) => b + (p.accumulatorSlack ?? 0));
  const start = foldedAccumulatorInit(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias);
  const uniform = p.multiplier.every((m, i) => m === p.multiplier[0] && p.shift[i] === p.shift[0]);
  const rqName = `${ctx.fnName}_rq`;
  let rqFn: string;
  let rqTable: string | undefined;
  if (uniform) {
    rqFn = m0RequantFn(rqName, p.multiplier[0]!, p.shift[0]!, Math.max(0, ...bounds), p.outputZeroPoint, p.actMin, p.actMax);
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
  const groups8 = single ? 0 : Math.floor(p.outFeatures / 8);
  const group4 = !single && p.outFeatures % 8 >= 4;
  const tailStart = single ? 0 : groups8 * 8 + (group4 ? 4 : 0);
  const allZero = start.every((v) => v === 0);
  return ctx.render('fully_connected_m0plus.c.hbs', {
    summary,
    how: single
      ? 'one input feature'
      : `blocks of 8 rows${group4 ? ' and 4' : ''}${tailStart < p.outFeatures ? `, ${p.outFeatures - tailStart} row(s) in C` : ''}`,
    fnName: ctx.fnName,
    rqFn,
    input: ctx.input(0),
    output: ctx.output(0),
    batches: p.batches,
    inFeatures: p.inFeatures,
    rows: p.outFeatures,
    single,
    // one input feature reads the weights in their own order: the tensor itself
    weights: single ? ctx.input(1) : ctx.addConst('w_m0', 'int8_t', rowBlocks84(filter, p.outFeatures, p.inFeatures)),
    // the bias itself when there is no offset to fold
    start: single && allZero ? undefined : p.inputOffset === 0 && p.hasBias ? ctx.input(2) : ctx.addConst('start', 'int32_t', start),
    groups8,
    group4,
    blocked: groups8 > 0 || group4,
    tailStart,
    hasTail: tailStart < p.outFeatures,
    w8: 8 * p.inFeatures,
    rq8: rq('acc[j]', 'g * 8 + j'),
    rq4: rq('acc[j]', `${groups8 * 8} + j`),
    rqTail: rq('a', 'o'),
    rqTail1: rq('a1', 'o + 1'),
    rqSingle: rq(allZero ? '(int32_t)w[o] * x0' : 's[o] + (int32_t)w[o] * x0', 'o'),
  });
}

export const fcM0plusVariant: KernelVariant<FullyConnectedParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: m0plusApplies,
  emit: (p, ctx) => emitFullyConnectedM0plus(p, ctx, summary(p)),
  cFiles: ['common/isa/m0plus_mac.h', 'common/isa/m0plus_mac.S', 'common/isa/m0plus_rq.h'],
};
