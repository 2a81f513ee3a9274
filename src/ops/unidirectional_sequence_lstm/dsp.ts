// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's Arm DSP variant: per time step and unit, the four gates' rows over x and over h are one
 * block of fully_connected_dsp.h's streaming kernel each (weights re-laid out so a block is unit u's
 * input, forget, cell and output rows), then the gate and cell arithmetic of that unit right away,
 * so no gate buffers: the new hidden values go to the output row, which the next step reads as h.
 * Requantizations take the SMMULR path (unidirectional_sequence_lstm_dsp.h) wherever the compile-time bounds below prove it
 * exact, else TFLite Micro's 64-bit steps.
 */
import type { LayerEmitContext } from '../op.ts';
import { accumulatorBounds } from '../common/dsp.ts';
import { rowBlocksOf4 } from '../fully_connected/dsp.ts';
import { pairOrderRows } from '../common/int16_gemv.ts';
import type { LstmParams } from './index.ts';

/**
 * Largest |products| of the cell update: sigmoid outputs lie in [0, 32767] and tanh outputs in
 * [-32767, 32767] (sigmoid_int16.h), the cell state is any int16.
 */
const GATE_TIMES_CELL = 32767 * 32768;
const GATE_TIMES_GATE = 32767 * 32767;

/** An int32 as a C literal (INT32_MIN has none). */
function cInt32(v: number): string {
  return v === -(2 ** 31) ? '(-2147483647 - 1)' : String(v);
}

/**
 * C for mbqm(acc) + zp saturated to `bits` (TFLite Micro's MultiplyByQuantizedMultiplier), in
 * unidirectional_sequence_lstm_dsp.h's SMMLAR / SMMULR forms where `bound` (on |acc|) proves them exact, else TFLM's
 * 64-bit steps. Shifts <= 0: SMMLAR is exact for any acc and |SRDHM| <= min(bound, 2^31) m / 2^31 + 1
 * = high; the rounding sum high + 2^(e-1) + |zp| 2^e + 1 must stay inside int32. Left shifts: acc <<
 * (shift+1) must fit int32, and high + |zp| too. The saturation goes where high / 2^e + 1 + |zp| may
 * leave the type.
 */
export function requantC(acc: string, multiplier: number, shift: number, bound: number, zp: number, bits: 8 | 16): string {
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  const high = Math.floor((Math.min(bound, 2 ** 31) * 2 ** left * multiplier) / 2 ** 31) + 1;
  // no saturation where the bound keeps the result inside the type
  const inRange = Math.floor(high / 2 ** right) + 1 + Math.abs(zp) < 2 ** (bits - 1);
  const sat = inRange ? '' : bits === 8 ? 'tf_ssat8' : 'tf_ssat16';
  const round = right > 0 ? 2 ** (right - 1) : 0;
  const sumFits = high + round + Math.abs(zp) * 2 ** right + 1 < 2 ** 31;
  if (left === 0 && multiplier >= 2 ** 30 && sumFits) {
    const m2 = cInt32(2 * multiplier - 2 ** 32);
    if (right === 0) return `${sat}(tf_lstm_rq_k0(${acc}, ${m2}, ${zp}))`;
    return `${sat}(tf_lstm_rq_k(${acc}, ${m2}, ${round + zp * 2 ** right}, ${right}))`;
  }
  if (left > 0 && bound * 2 ** (left + 1) <= 2 ** 31 - 1 && sumFits) return `${sat}(tf_lstm_rq_kl(${acc}, ${multiplier}, ${left + 1}, ${zp}))`;
  return `${sat}(tf_mbqm(${acc}, ${multiplier}, ${shift})${zp === 0 ? '' : ` + ${zp}`})`;
}

export interface LstmGateInputs {
  /** the gate's input-to-gate and recurrent weights, [units, inputSize] and [units, units] */
  inputWeights: Int8Array;
  recurrentWeights: Int8Array;
  bias: Int32Array;
}

/** Rows of the four gates interleaved by unit: row 4u + g is gate g's row u. */
function unitMajor(perGate: Int8Array[] | Int32Array[], units: number, rowLength: number): number[] {
  const out: number[] = [];
  for (let u = 0; u < units; u++) for (const g of perGate) for (let k = 0; k < rowLength; k++) out.push(g[u * rowLength + k]!);
  return out;
}

/** int16 values of a buffer rounded up to a whole number of words. */
const even = (n: number) => n + (n & 1);

/**
 * Scratch of the DSP variant: the time step's inputs and two rows of hidden values (the previous
 * step's, read, and this step's, written), all as int16 with their offsets applied.
 */
export function lstmDspScratchBytes(p: LstmParams): number {
  return 2 * (even(p.inputSize) + 2 * even(p.units));
}

export function emitLstmDsp(p: LstmParams, ctx: LayerEmitContext, gates: LstmGateInputs[], view: Record<string, unknown>): string {
  // the template's tf_lstm_sigmoid3 multiplies by TFLM's 3 itself
  if (view.gateSigmoidMultiplier !== 3) throw new Error(`LSTM DSP variant: gate sigmoid multiplier ${String(view.gateSigmoidMultiplier)}, expected 3`);
  const S = p.units;
  const max = (a: number[]) => Math.max(0, ...a);
  const gateViews = p.gates.map((g, k) => {
    const inBound = max(accumulatorBounds(gates[k]!.inputWeights, S, p.inputSize, p.inputOffset, gates[k]!.bias));
    const recBound = max(accumulatorBounds(gates[k]!.recurrentWeights, S, S, p.hiddenOffset));
    return {
      index: k,
      fromInput: requantC(`a[${k}]`, g.inputMultiplier, g.inputShift, inBound, 0, 16),
      fromHidden: requantC(`r[${k}]`, g.recurrentMultiplier, g.recurrentShift, recBound, 0, 16),
    };
  });
  const lanes = (off: number) => `0x${(((off & 0xffff) * 0x10001) >>> 0).toString(16)}u`;
  return ctx.render('unidirectional_sequence_lstm_dsp.c.hbs', {
    ...view,
    scratch: ctx.scratch(),
    gateViews,
    xStride: even(p.inputSize),
    hStride: even(S),
    inWords: p.inputSize >> 2,
    inTail: p.inputSize & 3,
    unitWords: S >> 2,
    unitTail: S & 3,
    inputLanes: p.inputOffset === 0 ? undefined : lanes(p.inputOffset),
    // inputs are extended in SXTB16's order, (x0, x2) (x1, x3): the weights stay in natural order;
    // hidden values are written one by one in natural order: their weights go w0 w2 w1 w3
    inWeights: ctx.addConst(
      'w_in_dsp',
      'int8_t',
      rowBlocksOf4(
        unitMajor(
          gates.map((g) => g.inputWeights),
          S,
          p.inputSize,
        ),
        4 * S,
        p.inputSize,
      ),
    ),
    recWeights: ctx.addConst(
      'w_rec_dsp',
      'int8_t',
      rowBlocksOf4(
        unitMajor(
          gates.map((g) => pairOrderRows(g.recurrentWeights, S, S)),
          S,
          S,
        ),
        4 * S,
        S,
      ),
    ),
    // the offsets are applied to the values, so the starts are the biases, interleaved by unit
    inStarts: ctx.addConst(
      'in_start',
      'int32_t',
      unitMajor(
        gates.map((g) => g.bias),
        S,
        1,
      ),
    ),
    kept: requantC('(int32_t)f * c[u]', p.forgetMultiplier, p.forgetShift, GATE_TIMES_CELL, 0, 16),
    added: requantC('i * g', p.inputCellMultiplier, p.inputCellShift, GATE_TIMES_GATE, 0, 16),
    hiddenOut: requantC('tanh_c * o', p.hiddenMultiplier, p.hiddenShift, GATE_TIMES_GATE, p.hiddenZeroPoint, 8),
  });
}
