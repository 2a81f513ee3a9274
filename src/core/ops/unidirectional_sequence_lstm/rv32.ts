// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's RV32IMC variant (the ESP32-C3 class). When every gate weight lies in [-127, 127], the
 * row-pair lanes (pairs.ts, unidirectional_sequence_lstm_pairs.h): two rows per int32 word, one MUL for
 * two products. Otherwise the int8 blocks below: per time step, units in pairs, the pair's eight
 * gate rows (unit u's input, forget, cell and output rows, then unit u+1's) are one 1 x 8 register
 * block of common/isa/rv32_matmul.ts's product over x and one over h (an odd last unit a block of 4),
 * each input byte loaded once for the 8 rows; then each unit's gate and cell arithmetic right away:
 * no gate buffers, no scratch. The new hidden values go to the output row, which the next step reads
 * as h. Weights re-laid in read order (m0plus.ts's lstmBlocks, same bytes); the input starts (bias +
 * input offset * sum of the row) replace the biases, the hidden offset's fold adds one int32 per row
 * when nonzero. Every requantization is common/isa/rv32_rq.ts's exact form for the compile-time bound of
 * its operand (MULHSU, or one add and shift for TFLite's power-of-two cell multipliers).
 */
import type { LayerEmitContext } from '../op.ts';
import { rv32AccumulatePass } from '../common/isa/rv32_matmul.ts';
import { rv32RequantFn } from '../common/isa/rv32_rq.ts';
import { type LstmM0GateInputs, lstmBlockedPrologue, lstmBlocks } from './m0plus.ts';
import type { LstmParams } from './index.ts';
import { emitLstmPairs } from './pairs.ts';

/** `lanes`: the gates as row-pair lanes where they fit (the lanes variant), else the int8 blocks */
export function emitLstmRv32(p: LstmParams, ctx: LayerEmitContext, gates: LstmM0GateInputs[], view: Record<string, unknown>, lanes: boolean): string {
  if (view.gateSigmoidMultiplier !== 3) throw new Error(`LSTM RV32 variant: gate sigmoid multiplier ${String(view.gateSigmoidMultiplier)}, expected 3`);
  const paired = emitLstmPairs(
    p,
    ctx,
    gates,
    view,
    {
      m0: false,
      requantFn: rv32RequantFn,
      saturate: { sat: 'tf_clamp', satTail: ', -32768, 32767' },
      family: 'RV32IMC',
    },
    lanes,
  );
  if (paired) return paired;
  const S = p.units;
  const fn = ctx.fnName;
  const { helpers, gateViews, inStarts, recStarts } = lstmBlockedPrologue(p, gates, fn, rv32RequantFn, (e) => `tf_clamp(${e}, -32768, 32767)`);
  const withRec = recStarts.some((v) => v !== 0);
  const pairs = S >> 1;
  const odd = (S & 1) === 1;
  const passes = [
    ...(pairs > 0 ? [rv32AccumulatePass(`${fn}_x8`, p.inputSize, 8, true), rv32AccumulatePass(`${fn}_h8`, S, 8, withRec)] : []),
    ...(odd ? [rv32AccumulatePass(`${fn}_x4`, p.inputSize, 4, true), rv32AccumulatePass(`${fn}_h4`, S, 4, withRec)] : []),
  ];
  const inWeights = ctx.addConst(
    'w_in_rv32',
    'int8_t',
    lstmBlocks(
      gates.map((g) => g.inputWeights),
      S,
      p.inputSize,
    ),
  );
  const recWeights = ctx.addConst(
    'w_rec_rv32',
    'int8_t',
    lstmBlocks(
      gates.map((g) => g.recurrentWeights),
      S,
      S,
    ),
  );
  const inStart = ctx.addConst('in_start', 'int32_t', inStarts);
  const recStart = withRec ? ctx.addConst('rec_start', 'int32_t', recStarts) : undefined;
  return ctx.render('unidirectional_sequence_lstm_rv32.c.hbs', {
    ...view,
    helpers: helpers.join(''),
    gateViews,
    passes,
    pairs,
    odd,
    inWeights,
    recWeights,
    inStart,
    recArg: recStart ? 'sr, ' : '',
    recStart,
    w8in: 8 * p.inputSize,
    w8rec: 8 * S,
  });
}
