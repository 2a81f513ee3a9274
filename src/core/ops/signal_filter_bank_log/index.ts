// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFilterBankLog (TFLite Micro's signal/micro/kernels/filter_bank_log.cc): the natural log of
 * each uint32 channel, scaled up first by input_correction_bits (modulo 2^32), in fixed point with
 * 16 fraction bits, times output_scale, saturated to int16; inputs scaled to 0 or 1 give 0.
 * log2 is the bit length plus a fraction read from a 129-entry table of log2(1 + f) - f at
 * f = k / 128 (in units of 2^-16, computed here) with linear interpolation between entries.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { bitLength32 } from '../common/numerics/bit_length.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalFilterBankLogParams {
  channels: number;
  correctionBits: number;
  /** uint32, as TFLite Micro multiplies by it */
  outputScale: number;
}

const LOG_SEGMENTS_LOG2 = 7;
const LOG_SCALE_LOG2 = 16;
/** ln(2) in units of 2^-16, rounded */
const LN2_Q16 = Math.round(Math.LN2 * 65536);

/** log2(1 + k / 128) - k / 128 in units of 2^-16, k = 0..128: the correction from a linear fraction to log2. */
export const LOG2_CORRECTION_TABLE: readonly number[] = Array.from({ length: (1 << LOG_SEGMENTS_LOG2) + 1 }, (_, k) => {
  const f = k / (1 << LOG_SEGMENTS_LOG2);
  return Math.round((Math.log2(1 + f) - f) * (1 << LOG_SCALE_LOG2));
});

function prepareLog(graph: Graph, op: Op): SignalFilterBankLogParams {
  requireArity(op, 1, 1);
  const input = signalInput(graph, op, 0, 'input', 'uint32');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  if (input.shape.length !== 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have one dimension`);
  if (output.shape.length !== 1 || elements(output) !== elements(input))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have the input's ${elements(input)} elements`);
  const options = signalOptions(op);
  return {
    channels: elements(input),
    // a shift of a uint32
    correctionBits: intOption(op, options, 'input_correction_bits', 0, 31),
    outputScale: intOption(op, options, 'output_scale', -0x80000000, 0xffffffff) >>> 0,
  };
}

/** ln(x) * outputScale in units of 2^-16 for x >= 2, as TFLite Micro's Log32 (uint32 arithmetic). */
export function log32(x: number, outputScale: number): number {
  const integer = bitLength32(x) - 1;
  let frac = x - 2 ** integer;
  frac = integer < LOG_SCALE_LOG2 ? frac << (LOG_SCALE_LOG2 - integer) : frac >>> (integer - LOG_SCALE_LOG2);
  const segment = frac >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2);
  const c0 = LOG2_CORRECTION_TABLE[segment]!;
  const c1 = LOG2_CORRECTION_TABLE[segment + 1]!;
  const within = frac - segment * (1 << (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2));
  const fraction = frac + c0 + (((c1 - c0) * within) >> LOG_SCALE_LOG2);
  const log2 = integer * (1 << LOG_SCALE_LOG2) + fraction;
  const loge = Math.floor((LN2_Q16 * log2 + (1 << 15)) / (1 << LOG_SCALE_LOG2));
  return ((Math.imul(outputScale, loge) >>> 0) + (1 << 15)) % 2 ** 32 >>> LOG_SCALE_LOG2;
}

/** One channel's output. */
export function filterBankLog(x: number, p: SignalFilterBankLogParams): number {
  const scaled = (x << p.correctionBits) >>> 0;
  if (scaled <= 1) return 0;
  return Math.min(log32(scaled, p.outputScale), 32767);
}

const signalFilterBankLog: OpDef<SignalFilterBankLogParams> = {
  kind: signalKind('SignalFilterBankLog'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareLog(graph, op),
  prepare: prepareLog,
  macs: (graph, op) => 3 * elements(graph.tensors[op.inputs[0]!]!),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Uint32Array;
    const y = outputs[0] as Int16Array;
    for (let i = 0; i < p.channels; i++) y[i] = filterBankLog(x[i]!, p);
  },
  emitC(p, ctx) {
    return ctx.render('signal_filter_bank_log.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      table: ctx.addConst('log2_correction', 'uint16_t', LOG2_CORRECTION_TABLE),
      ln2: LN2_Q16,
      // Armv6-M has no 32x32->64 multiply; the product's halves fit 32 bits
      halves: ctx.isa?.armv6m === true,
    });
  },
};

export default signalFilterBankLog;
