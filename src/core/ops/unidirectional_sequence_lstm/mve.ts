// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's Arm MVE variant (Cortex-M55, Cortex-M85), four units at a time: per time step, each
 * gate's four rows over the int8 x and over the previous step's int8 h are summed with VMLADAVA, 16
 * columns a predicated pass (the tail under VCTP, no scalar loop), x and h loaded once for the four
 * rows. The offsets are folded into the rows' starts (bias + offset * sum of the row's weights), so
 * the values are read as they lie in memory: no widened copy per step. The gate and cell arithmetic
 * then runs on the four units' int32 lanes (unidirectional_sequence_lstm_mve.h: the int16 sigmoid
 * and tanh with gathered table reads), the last block's lanes past the units under a predicate.
 */
import type { LayerEmitContext } from '../op.ts';
import { wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { type LstmGateInputs, unitMajor } from './dsp.ts';
import type { LstmParams } from './index.ts';

/**
 * Rows in blocks of four units, gate-major inside a block: row 16 B + 4 g + j is gate g's row of
 * unit 4 B + j, so one four-row sum gives one gate's vector of four units. Units past the last are
 * zero rows (their lanes are never stored).
 */
export function gateBlocks(rows: number[], units: number, rowLength: number): number[] {
  const out: number[] = [];
  for (let u0 = 0; u0 < units; u0 += 4)
    for (let g = 0; g < 4; g++)
      for (let j = 0; j < 4; j++) {
        const u = u0 + j;
        for (let k = 0; k < rowLength; k++) out.push(u < units ? rows[(4 * u + g) * rowLength + k]! : 0);
      }
  return out;
}

/** Rows' starts, unit-major: bias (when given) + offset * sum of the row's weights, wrapped to int32. */
function foldedStarts(perGate: Int8Array[], units: number, cols: number, offset: number, bias?: Int32Array[]): number[] {
  const out: number[] = [];
  for (let u = 0; u < units; u++) {
    perGate.forEach((w, g) => {
      let sum = 0;
      for (let k = 0; k < cols; k++) sum += w[u * cols + k]!;
      out.push(wrapInt32((bias ? bias[g]![u]! : 0) + offset * sum));
    });
  }
  return out;
}

export function emitLstmMve(p: LstmParams, ctx: LayerEmitContext, gates: LstmGateInputs[], view: Record<string, unknown>): string {
  if (view.gateSigmoidMultiplier !== 3) throw new Error(`LSTM MVE variant: gate sigmoid multiplier ${String(view.gateSigmoidMultiplier)}, expected 3`);
  const S = p.units;
  // every requantization is TFLite Micro's MultiplyByQuantizedMultiplier per lane (tf_mve_mbqm_n),
  // saturated: the same as the Arm DSP variant's scalar forms, with no bounds to prove
  const gateViews = p.gates.map((g, k) => ({
    index: k,
    inMultiplier: g.inputMultiplier,
    inShift: g.inputShift,
    recMultiplier: g.recurrentMultiplier,
    recShift: g.recurrentShift,
  }));
  const inputWeights = gates.map((g) => g.inputWeights);
  const recurrentWeights = gates.map((g) => g.recurrentWeights);
  return ctx.render('unidirectional_sequence_lstm_mve.c.hbs', {
    ...view,
    gateViews,
    inWeights: ctx.addConst('w_in_mve', 'int8_t', gateBlocks(unitMajor(inputWeights, S, p.inputSize), S, p.inputSize)),
    recWeights: ctx.addConst('w_rec_mve', 'int8_t', gateBlocks(unitMajor(recurrentWeights, S, S), S, S)),
    inStarts: ctx.addConst(
      'in_start',
      'int32_t',
      gateBlocks(
        foldedStarts(
          inputWeights,
          S,
          p.inputSize,
          p.inputOffset,
          gates.map((g) => g.bias),
        ),
        S,
        1,
      ),
    ),
    recStarts: ctx.addConst('rec_start', 'int32_t', gateBlocks(foldedStarts(recurrentWeights, S, S, p.hiddenOffset), S, 1)),
  });
}
