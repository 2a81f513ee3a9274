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
import { accumulatorBounds } from '../common/isa/dsp.ts';
import { rowBlocksOf4 } from '../common/codecs/row_blocks.ts';
import { pairOrderRows } from '../common/families/int16_gemv.ts';
import { wrapInt32 } from '../common/numerics/fixedpoint.ts';
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
export function unitMajor(perGate: Int8Array[] | Int32Array[], units: number, rowLength: number): number[] {
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
  // the larger of the two forms': the paired kernel's lane pairs (8 bytes per four values) fit in it
  return Math.max(2 * (even(p.inputSize) + 2 * even(p.units)), 8 * (words4(p.inputSize) + words4(p.units)));
}

/** words of four values, the last one padded */
const words4 = (n: number) => Math.ceil(n / 4);

/** the odd columns' shift d_k (x - 127) of the paired values (unidirectional_sequence_lstm_dsp.h) */
const PAIR_ODD_SHIFT = 127;

/**
 * Paired weights (unidirectional_sequence_lstm_dsp.h): per unit, per word of four columns, the four
 * gates' words, each the int16 lanes 256 w1 + w0 and 256 w3 + w2 (columns past the row are 0).
 * Undefined when a lane leaves int16 (a -128 weight beside a negative one) or when a row's bound
 * 256 sum_k |w_k| max|x_k - d_k| (128 for even k, 255 for odd k) reaches 2^31.
 */
export function pairedWeights(perGate: Int8Array[], units: number, cols: number): number[] | undefined {
  const words = words4(cols);
  const out: number[] = [];
  for (let u = 0; u < units; u++) {
    for (const w of perGate) {
      let bound = 0;
      for (let k = 0; k < cols; k++) bound += Math.abs(w[u * cols + k]!) * (k & 1 ? 128 + PAIR_ODD_SHIFT : 128);
      if (256 * bound > 2 ** 31 - 1) return undefined;
    }
    for (let k = 0; k < words; k++) {
      for (const w of perGate) {
        const at = (j: number) => (4 * k + j < cols ? w[u * cols + 4 * k + j]! : 0);
        for (const [lo, hi] of [
          [at(0), at(1)],
          [at(2), at(3)],
        ] as const) {
          const v = 256 * hi + lo;
          if (v < -32768 || v > 32767) return undefined;
          out.push(((v & 0xff) << 24) >> 24, (v << 16) >> 24);
        }
      }
    }
  }
  return out;
}

/** Paired rows' starts, unit-major: bias + sum_k w_k (offset - d_k), d_k = -127 for odd k, wrapped to int32. */
function pairedStarts(perGate: Int8Array[], units: number, cols: number, offset: number, bias?: Int32Array[]): number[] {
  const out: number[] = [];
  for (let u = 0; u < units; u++) {
    perGate.forEach((w, g) => {
      let sum = bias ? bias[g]![u]! : 0;
      for (let k = 0; k < cols; k++) sum += w[u * cols + k]! * (offset + (k & 1 ? PAIR_ODD_SHIFT : 0));
      out.push(wrapInt32(sum));
    });
  }
  return out;
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
  const inPaired = pairedWeights(
    gates.map((g) => g.inputWeights),
    S,
    p.inputSize,
  );
  const recPaired = pairedWeights(
    gates.map((g) => g.recurrentWeights),
    S,
    S,
  );
  const requants = {
    kept: requantC('(int32_t)f * c[u]', p.forgetMultiplier, p.forgetShift, GATE_TIMES_CELL, 0, 16),
    added: requantC('i * g', p.inputCellMultiplier, p.inputCellShift, GATE_TIMES_GATE, 0, 16),
    hiddenOut: requantC('tanh_c * o', p.hiddenMultiplier, p.hiddenShift, GATE_TIMES_GATE, p.hiddenZeroPoint, 8),
  };
  if (inPaired && recPaired) {
    return ctx.render('unidirectional_sequence_lstm_dsp_pairs.c.hbs', {
      ...view,
      ...requants,
      scratch: ctx.scratch(),
      gateViews,
      inWords: p.inputSize >> 2,
      inTail: p.inputSize & 3,
      unitWords: S >> 2,
      unitTail: S & 3,
      inPairWords: words4(p.inputSize),
      unitPairWords: words4(S),
      xPairWords: 2 * words4(p.inputSize),
      inWeights: ctx.addConst('w_in_pairs', 'int8_t', inPaired),
      recWeights: ctx.addConst('w_rec_pairs', 'int8_t', recPaired),
      inStarts: ctx.addConst(
        'in_start',
        'int32_t',
        pairedStarts(
          gates.map((g) => g.inputWeights),
          S,
          p.inputSize,
          p.inputOffset,
          gates.map((g) => g.bias),
        ),
      ),
      recStarts: ctx.addConst(
        'rec_start',
        'int32_t',
        pairedStarts(
          gates.map((g) => g.recurrentWeights),
          S,
          S,
          p.hiddenOffset,
        ),
      ),
    });
  }
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
    ...requants,
  });
}
