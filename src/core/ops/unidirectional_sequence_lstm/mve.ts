// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's Arm MVE variant (Cortex-M55, Cortex-M85): per time step and unit, the four gates' rows
 * over the int8 x and over the previous step's int8 h are summed with VMLADAVA, 16 columns a
 * predicated pass (the tail under VCTP, no scalar loop), x and h loaded once for the four rows. The
 * offsets are folded into the rows' starts (bias + offset * sum of the row's weights), so the values
 * are read as they lie in memory: no widened copy per step. The gate and cell arithmetic is the Arm
 * DSP variant's (unidirectional_sequence_lstm_dsp.h and its requantization forms).
 */
import type { LayerEmitContext } from '../op.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import { wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { GATE_TIMES_CELL, GATE_TIMES_GATE, type LstmGateInputs, requantC, unitMajor } from './dsp.ts';
import type { LstmParams } from './index.ts';

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
  const max = (a: number[]) => Math.max(0, ...a);
  // the bounds are those of the true sums: the folded starts change the partial sums only modulo 2^32
  const gateViews = p.gates.map((g, k) => {
    const inBound = max(accumulatorBounds(gates[k]!.inputWeights, S, p.inputSize, p.inputOffset, gates[k]!.bias));
    const recBound = max(accumulatorBounds(gates[k]!.recurrentWeights, S, S, p.hiddenOffset));
    return {
      index: k,
      fromInput: requantC(`a[${k}]`, g.inputMultiplier, g.inputShift, inBound, 0, 16),
      fromHidden: requantC(`r[${k}]`, g.recurrentMultiplier, g.recurrentShift, recBound, 0, 16),
    };
  });
  const inputWeights = gates.map((g) => g.inputWeights);
  const recurrentWeights = gates.map((g) => g.recurrentWeights);
  return ctx.render('unidirectional_sequence_lstm_mve.c.hbs', {
    ...view,
    gateViews,
    inWeights: ctx.addConst('w_in_mve', 'int8_t', unitMajor(inputWeights, S, p.inputSize)),
    recWeights: ctx.addConst('w_rec_mve', 'int8_t', unitMajor(recurrentWeights, S, S)),
    inStarts: ctx.addConst(
      'in_start',
      'int32_t',
      foldedStarts(
        inputWeights,
        S,
        p.inputSize,
        p.inputOffset,
        gates.map((g) => g.bias),
      ),
    ),
    recStarts: ctx.addConst('rec_start', 'int32_t', foldedStarts(recurrentWeights, S, S, p.hiddenOffset)),
    kept: requantC('(int32_t)f * c[u]', p.forgetMultiplier, p.forgetShift, GATE_TIMES_CELL, 0, 16),
    added: requantC('i * g', p.inputCellMultiplier, p.inputCellShift, GATE_TIMES_GATE, 0, 16),
    hiddenOut: requantC('tanh_c * o', p.hiddenMultiplier, p.hiddenShift, GATE_TIMES_GATE, p.hiddenZeroPoint, 8),
  });
}
