// SPDX-License-Identifier: Apache-2.0
/**
 * SignalPCAN (TFLite Micro's signal/micro/kernels/pcan.cc): per-channel energy normalisation. Each
 * uint32 channel's noise estimate picks a gain from the int16 gain table (the "wide dynamic
 * function": table row by the estimate's bit length, quadratic interpolation on the next ten bits),
 * the channel is multiplied by it in uint64 and shifted down by snr_shift, then compressed
 * (square below 2 << 12, linear above) to a uint32. The gain is an int16 widened to uint32 (a
 * negative one sign-extends) as TFLite Micro does. Inputs: x, noise estimate (uint32), gain table
 * (int16, at least 125 entries: the row of bit length 32 ends at entry 124).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { bitLength32 } from '../common/numerics/bit_length.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

/** Fixed-point positions of TFLite Micro's PCAN: the SNR has 12 fraction bits, the output 6. */
export const PCAN_SNR_BITS = 12;
export const PCAN_OUTPUT_BITS = 6;
/** Entries the gain table needs: rows of four from bit length 2 up to 32, after three for 0, 1 and 2. */
export const PCAN_GAIN_ENTRIES = 4 * 32 - 6 + 3;

export interface SignalPcanParams {
  channels: number;
  snrShift: number;
}

function preparePcan(graph: Graph, op: Op): SignalPcanParams {
  requireArity(op, 3, 1);
  const input = signalInput(graph, op, 0, 'input', 'uint32');
  const noise = signalInput(graph, op, 1, 'noise estimate', 'uint32');
  const lut = signalInput(graph, op, 2, 'gain table', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'uint32');
  const channels = elements(input);
  for (const [t, role] of [
    [input, 'input'],
    [noise, 'noise estimate'],
    [output, 'output'],
  ] as const)
    if (t.shape.length !== 1 || elements(t) !== channels)
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} must have one dimension of ${channels}`);
  if (lut.shape.length !== 1 || elements(lut) < PCAN_GAIN_ENTRIES)
    throw new OpError(op.index, op.kind, `gain table ${tensorLabel(lut)} has ${elements(lut)} entries; ${PCAN_GAIN_ENTRIES} needed`);
  // a uint64 shift
  return { channels, snrShift: intOption(op, signalOptions(op), 'snr_shift', 0, 63) };
}

/** The gain for a noise estimate, an int16 (TFLite Micro's WideDynamicFunction). */
export function pcanGain(x: number, lut: Int16Array): number {
  if (x <= 2) return lut[x]!;
  const interval = bitLength32(x);
  const row = 4 * interval - 6;
  const frac = (interval < 11 ? x << (11 - interval) : x >>> (interval - 11)) & 0x3ff;
  // every step stays within int32 for any int16 table (|result * frac| < 2^31)
  let result = (lut[row + 2]! * frac) >> 5;
  result += lut[row + 1]! * 32;
  result *= frac;
  result = (result + (1 << 14)) >> 15;
  result += lut[row]!;
  return (result << 16) >> 16;
}

/** The compression of the SNR (12 fraction bits) to the output (6). */
export function pcanShrink(snr: number): number {
  if (snr < 2 << PCAN_SNR_BITS) return (snr * snr) >>> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
  return ((snr >>> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS)) >>> 0;
}

const signalPcan: OpDef<SignalPcanParams> = {
  kind: signalKind('SignalPCAN'),
  dir: import.meta.dirname,
  check: (graph, op) => void preparePcan(graph, op),
  prepare: preparePcan,
  macs: (graph, op) => 4 * elements(graph.tensors[op.inputs[0]!]!),
  // channel i reads x[i] before writing y[i]
  overlap: () => ({ input: 0, gap: 0 }),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Uint32Array;
    const noise = inputs[1] as Uint32Array;
    const lut = inputs[2] as Int16Array;
    const y = outputs[0] as Uint32Array;
    const shift = BigInt(p.snrShift);
    for (let i = 0; i < p.channels; i++) {
      const gain = pcanGain(noise[i]!, lut) >>> 0;
      const snr = Number(BigInt.asUintN(32, (BigInt(x[i]!) * BigInt(gain)) >> shift));
      y[i] = pcanShrink(snr);
    }
  },
  emitC(p, ctx) {
    return ctx.render('signal_pcan.c.hbs', {
      ...p,
      // Armv6-M has no 32x32->64 multiply
      halves: ctx.isa?.armv6m === true,
      fnName: ctx.fnName,
      input: ctx.input(0),
      noise: ctx.input(1),
      lut: ctx.input(2),
      output: ctx.output(0),
      shrinkBelow: 2 << PCAN_SNR_BITS,
      squareShift: 2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS,
      linearShift: PCAN_SNR_BITS - PCAN_OUTPUT_BITS,
      linearOffset: 1 << PCAN_OUTPUT_BITS,
    });
  },
};

export default signalPcan;
