// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's Armv6-M variant (Cortex-M0/M0+, the RP2040). When every gate weight lies in [-127, 127],
 * the row-pair lanes (pairs.ts, unidirectional_sequence_lstm_pairs.h, the 8-row blocks in
 * unidirectional_sequence_lstm_m0plus.S): two rows per int32 word, one MULS for two products. Otherwise
 * the int8 blocks below: per time step, units in pairs, the pair's
 * eight gate rows (unit u's input, forget, cell and output rows, then unit u+1's) run as one block of
 * common/isa/m0plus_mac.h's loop (common/isa/m0plus_mac.S) over x and one over h (an odd last unit a block of 4), all accumulators
 * of a block in registers, every block of a step in one call (tf_m0fc_blocks8) into the scratch; then
 * each unit's gate and cell arithmetic: the new hidden values go to the output row, which the next
 * step reads as h. Every requantization is
 * common/isa/m0plus_requant.ts's exact form for the compile-time bound of its operand (TFLite's
 * 2^-15 and 2^-30-over-a-power-of-two cell multipliers are powers of two: one add and shift), no
 * 64-bit multiply. Weights re-laid in read order (same bytes); the input starts (bias + input offset
 * * sum of the row) replace the biases, the hidden offset's fold adds one int32 per row when nonzero.
 */
import type { LayerEmitContext } from '../op.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import { foldedAccumulatorInit } from '../common/families/weighted.ts';
import { m0RequantFn } from '../common/isa/m0plus_requant.ts';
import type { RequantFn } from '../common/isa/rv32_rq.ts';
import type { LstmParams } from './index.ts';
import { emitLstmPairs, lstmPairsScratchBytes } from './pairs.ts';

/** sigmoid outputs lie in [0, 32768], tanh outputs in [-32768, 32768] (generous), the cell any int16 */
const GATE_TIMES_CELL = 32768 * 32768;
const GATE_TIMES_GATE = 32768 * 32768;

/** the step's accumulators: FC(x) and FC(h) of every gate row */
export function lstmM0plusScratchBytes(p: LstmParams): number {
  return Math.max(2 * 4 * p.units * 4, lstmPairsScratchBytes(p));
}

export interface LstmM0GateInputs {
  inputWeights: Int8Array;
  recurrentWeights: Int8Array;
  bias: Int32Array;
}

/**
 * Gate rows of all four gates in blocks of two units (rows u i, u f, u g, u o, u+1 i, ...), column by
 * column within a block (the block's 8 int8 of column 0, then of column 1...); an odd last unit a block
 * of 4 the same way.
 */
export function lstmBlocks(perGate: Int8Array[], units: number, rowLength: number): Int8Array {
  const out = new Int8Array(4 * units * rowLength);
  let n = 0;
  for (let u = 0; u < units; u += 2) {
    const pair = Math.min(2, units - u);
    for (let k = 0; k < rowLength; k++) {
      for (let j = 0; j < pair; j++) for (const g of perGate) out[n++] = g[(u + j) * rowLength + k]!;
    }
  }
  return out;
}

/** per-row values of the four gates in the blocks' row order: unit-major, gate-minor */
export function unitMajor(perGate: ArrayLike<number>[], units: number): number[] {
  const out: number[] = [];
  for (let u = 0; u < units; u++) for (const g of perGate) out.push(g[u]!);
  return out;
}

/** one of the families' exact requantization emitters (common/isa/m0plus_requant.ts, common/isa/rv32_rq.ts) */
export type LstmRequantFn = RequantFn;

/** Armv6-M's exact requantization, as the family-shared emitters call it */
const m0Requant: RequantFn = m0RequantFn;

/**
 * What the register-blocked LSTM variants (Armv6-M here, RV32 in rv32.ts) share: each gate's two
 * requantizations (input and recurrent sums, each for its compile-time bound) and the cell's three, as
 * C helpers from the family's `requantFn`; the gates' pre-activation expressions (the two requantized
 * sums added and saturated to int16 by `saturate`); and the input and recurrent starts in unit-major
 * row order.
 */
export function lstmBlockedPrologue(p: LstmParams, gates: LstmM0GateInputs[], fn: string, requantFn: LstmRequantFn, saturate: (sum: string) => string) {
  const S = p.units;
  const max = (a: number[]) => Math.max(0, ...a);
  const helpers: string[] = [];
  const gateViews = p.gates.map((g, k) => {
    const inBound = max(accumulatorBounds(gates[k]!.inputWeights, S, p.inputSize, p.inputOffset, gates[k]!.bias));
    const recBound = max(accumulatorBounds(gates[k]!.recurrentWeights, S, S, p.hiddenOffset));
    helpers.push(requantFn({ name: `${fn}_in${k}`, multiplier: g.inputMultiplier, shift: g.inputShift, bound: inBound, zp: 0, lo: -32768, hi: 32767 }));
    helpers.push(
      requantFn({ name: `${fn}_rec${k}`, multiplier: g.recurrentMultiplier, shift: g.recurrentShift, bound: recBound, zp: 0, lo: -32768, hi: 32767 }),
    );
    return { pre: saturate(`${fn}_in${k}(a[${k}]) + ${fn}_rec${k}(r[${k}])`) };
  });
  helpers.push(requantFn({ name: `${fn}_kept`, multiplier: p.forgetMultiplier, shift: p.forgetShift, bound: GATE_TIMES_CELL, zp: 0, lo: -32768, hi: 32767 }));
  helpers.push(
    requantFn({ name: `${fn}_added`, multiplier: p.inputCellMultiplier, shift: p.inputCellShift, bound: GATE_TIMES_GATE, zp: 0, lo: -32768, hi: 32767 }),
  );
  helpers.push(
    requantFn({ name: `${fn}_hidden`, multiplier: p.hiddenMultiplier, shift: p.hiddenShift, bound: GATE_TIMES_GATE, zp: p.hiddenZeroPoint, lo: -128, hi: 127 }),
  );
  const inStarts = unitMajor(
    gates.map((g) => foldedAccumulatorInit(g.inputWeights, S, p.inputSize, p.inputOffset, g.bias)),
    S,
  );
  const recStarts = unitMajor(
    gates.map((g) => foldedAccumulatorInit(g.recurrentWeights, S, S, p.hiddenOffset)),
    S,
  );
  return { helpers, gateViews, inStarts, recStarts };
}

/** `lanes`: the gates as row-pair lanes where they fit (the lanes variant), else the int8 blocks */
export function emitLstmM0plus(p: LstmParams, ctx: LayerEmitContext, gates: LstmM0GateInputs[], view: Record<string, unknown>, lanes: boolean): string {
  if (view.gateSigmoidMultiplier !== 3) throw new Error(`LSTM Armv6-M variant: gate sigmoid multiplier ${String(view.gateSigmoidMultiplier)}, expected 3`);
  const paired = emitLstmPairs(
    p,
    ctx,
    gates,
    view,
    { m0: true, requantFn: m0Requant, saturate: { sat: 'tf_m0_sat16', satTail: '' }, family: 'Armv6-M' },
    lanes,
  );
  if (paired) return paired;
  const S = p.units;
  const { helpers, gateViews, inStarts, recStarts } = lstmBlockedPrologue(p, gates, ctx.fnName, m0Requant, (e) => `tf_m0_sat16(${e})`);
  const recZero = recStarts.every((v) => v === 0);
  return ctx.render('unidirectional_sequence_lstm_m0plus.c.hbs', {
    ...view,
    helpers: helpers.join(''),
    scratch: ctx.scratch(),
    gateViews,
    pairs: S >> 1,
    odd: (S & 1) === 1,
    w8in: 8 * p.inputSize,
    w8rec: 8 * S,
    inWeights: ctx.addConst(
      'w_in_m0',
      'int8_t',
      lstmBlocks(
        gates.map((g) => g.inputWeights),
        S,
        p.inputSize,
      ),
    ),
    recWeights: ctx.addConst(
      'w_rec_m0',
      'int8_t',
      lstmBlocks(
        gates.map((g) => g.recurrentWeights),
        S,
        S,
      ),
    ),
    inStarts: ctx.addConst('in_start', 'int32_t', inStarts),
    recStarts: recZero ? undefined : ctx.addConst('rec_start', 'int32_t', recStarts),
  });
}
