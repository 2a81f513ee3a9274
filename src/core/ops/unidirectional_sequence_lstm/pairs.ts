// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's row-pair lanes, shared by the Armv6-M (m0plus.ts) and RV32 (rv32.ts) variants
 * (unidirectional_sequence_lstm_pairs.h): two gate rows a, b of a block in one int32 word per column,
 * W = w_a + 65536 w_b, so one 32-bit multiply by the column's value x gives both products
 * (x w_a + 65536 x w_b, exact). Two columns' words are summed, s = lo + 65536 hi, then split:
 * hi = (s + 32768) >> 16, lo = s - 65536 hi. Every weight in [-127, 127] keeps |lo| <= 2 * 127 * 128
 * = 32512 < 2^15 (the split is exact) and |s| <= 32512 * 65537 < 2^31.
 */
import { PAIR_MAX_COLUMNS, pairColumns } from '../common/codecs/row_pair_lanes.ts';
import type { LayerEmitContext } from '../op.ts';
import type { LstmParams } from './index.ts';
import { type LstmM0GateInputs, type LstmRequantFn, lstmBlockedPrologue } from './m0plus.ts';

/**
 * Row-pair lanes of the four gates' rows (`perGate`, each units x cols), in the blocks' order: per
 * block of two units (rows u i, u f, u g, u o, u+1 i, ... as m0plus.ts's lstmBlocks; an odd last unit
 * a block of 4), per column pair, per row pair (rows 2p, 2p + 1 of the block), the words of the two
 * columns. Undefined when a weight is -128 (a lane sum could reach 2^15) or the row is too long.
 */
export function pairLanes(perGate: Int8Array[], units: number, cols: number): Int32Array | undefined {
  if (cols > PAIR_MAX_COLUMNS) return undefined;
  for (const g of perGate) if (g.some((w) => w === -128)) return undefined;
  const cols2 = pairColumns(cols);
  const out = new Int32Array((4 * units * cols2) / 2);
  let n = 0;
  const weight = (u: number, g: number, k: number) => (k < cols ? perGate[g]![u * cols + k]! : 0);
  for (let u = 0; u < units; u += 2) {
    const rows: [number, number][] = [];
    for (let j = 0; j < Math.min(2, units - u); j++) for (let g = 0; g < 4; g++) rows.push([u + j, g]);
    for (let k = 0; k < cols2; k += 2) {
      for (let p = 0; p < rows.length; p += 2) {
        const [ua, ga] = rows[p]!;
        const [ub, gb] = rows[p + 1]!;
        for (const c of [k, k + 1]) out[n++] = weight(ua, ga, c) + 65536 * weight(ub, gb, c);
      }
    }
  }
  return out;
}

/** the variant's int32 scratch: the step's widened values (x, then h, each padded), then FC(x) and FC(h) of every gate row */
export function lstmPairsScratchBytes(p: LstmParams): number {
  return 4 * (pairColumns(p.inputSize) + pairColumns(p.units) + 2 * 4 * p.units);
}

export interface LstmPairsFamily {
  /** the Armv6-M variant runs its 8-row blocks in assembly (tf_m0_lstm_pairs8) on the device */
  m0: boolean;
  requantFn: LstmRequantFn;
  saturate: { sat: string; satTail: string };
  family: string;
}

/**
 * The row-pair form of the Armv6-M and RV32 variants (template unidirectional_sequence_lstm_pairs.c.hbs),
 * or undefined when the variant keeps the int8 weights (`lanes` off: the lanes variants' rule, index.ts)
 * or a gate matrix does not fit the lanes (the caller keeps its int8 blocks).
 */
export function emitLstmPairs(
  p: LstmParams,
  ctx: LayerEmitContext,
  gates: LstmM0GateInputs[],
  view: Record<string, unknown>,
  f: LstmPairsFamily,
  lanes: boolean,
): string | undefined {
  if (!lanes) return undefined;
  const S = p.units;
  const inLanes = pairLanes(
    gates.map((g) => g.inputWeights),
    S,
    p.inputSize,
  );
  const recLanes = pairLanes(
    gates.map((g) => g.recurrentWeights),
    S,
    S,
  );
  if (!inLanes || !recLanes) return undefined;
  const satFn = (e: string) => `${f.saturate.sat}(${e}${f.saturate.satTail})`;
  const { helpers, gateViews, inStarts, recStarts } = lstmBlockedPrologue(p, gates, ctx.fnName, f.requantFn, satFn);
  const recZero = recStarts.every((v) => v === 0);
  const inCols = pairColumns(p.inputSize);
  const recCols = pairColumns(S);
  return ctx.render('unidirectional_sequence_lstm_pairs.c.hbs', {
    ...view,
    ...f.saturate,
    m0: f.m0,
    family: f.family,
    inlineUnit: !f.m0,
    widenIn: f.m0 && p.inputSize % 4 === 0,
    widenRec: f.m0 && S % 4 === 0,
    helpers: helpers.join(''),
    scratch: ctx.scratch(),
    gateViews,
    pairs: S >> 1,
    odd: (S & 1) === 1,
    inCols,
    recCols,
    inPairs: inCols / 2,
    recPairs: recCols / 2,
    w8in: 4 * inCols,
    w8rec: 4 * recCols,
    inWeights: ctx.addConst('w_in_pairs', 'int32_t', Array.from(inLanes)),
    recWeights: ctx.addConst('w_rec_pairs', 'int32_t', Array.from(recLanes)),
    inStarts: ctx.addConst('in_start', 'int32_t', inStarts),
    recStarts: recZero ? undefined : ctx.addConst('rec_start', 'int32_t', recStarts),
  });
}
