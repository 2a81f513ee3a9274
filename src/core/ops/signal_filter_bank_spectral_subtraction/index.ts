// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFilterBankSpectralSubtraction (TFLite Micro's signal/micro/kernels/
 * filter_bank_spectral_subtraction.cc): a running noise estimate per channel, kept from frame to
 * frame, is subtracted from each uint32 channel energy, never leaving less than a floor
 * (min_signal_remaining of the input). The estimate moves towards the input scaled up by
 * smoothing_bits with the weights smoothing and one_minus_smoothing (the alternate pair on odd
 * channels), in uint64 shifted down by spectral_subtraction_bits; with `clamping` it never exceeds
 * the scaled input. Outputs: the result and a copy of the estimate after this frame. The estimate
 * starts at zero, as after TFLite Micro's Reset.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { boolOption, elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalSpectralSubtractionParams {
  channels: number;
  smoothing: number;
  oneMinusSmoothing: number;
  alternateSmoothing: number;
  alternateOneMinusSmoothing: number;
  smoothingBits: number;
  minSignalRemaining: number;
  subtractionBits: number;
  clamping: boolean;
}

/** TFLite Micro reads these options as int32 and keeps them as uint32. */
const uint32Option = (op: Op, options: ReturnType<typeof signalOptions>, name: string): number => intOption(op, options, name, -0x80000000, 0xffffffff) >>> 0;

function prepareSpectralSubtraction(graph: Graph, op: Op): SignalSpectralSubtractionParams {
  requireArity(op, 1, 2, 1);
  const input = signalInput(graph, op, 0, 'input', 'uint32');
  const output = signalOutput(graph, op, 0, 'output', 'uint32');
  const estimate = signalOutput(graph, op, 1, 'noise estimate', 'uint32');
  const options = signalOptions(op);
  const channels = intOption(op, options, 'num_channels', 1, 0x7fffffff);
  for (const [t, role] of [
    [input, 'input'],
    [output, 'output'],
    [estimate, 'noise estimate'],
  ] as const)
    if (t.shape.length !== 1 || elements(t) !== channels)
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} must have one dimension of num_channels = ${channels}`);
  return {
    channels,
    smoothing: uint32Option(op, options, 'smoothing'),
    oneMinusSmoothing: uint32Option(op, options, 'one_minus_smoothing'),
    alternateSmoothing: uint32Option(op, options, 'alternate_smoothing'),
    alternateOneMinusSmoothing: uint32Option(op, options, 'alternate_one_minus_smoothing'),
    // shifts of a uint32 and of a uint64 by these: C defines them below the width only
    smoothingBits: intOption(op, options, 'smoothing_bits', 0, 31),
    minSignalRemaining: uint32Option(op, options, 'min_signal_remaining'),
    subtractionBits: intOption(op, options, 'spectral_subtraction_bits', 0, 63),
    clamping: boolOption(op, options, 'clamping'),
  };
}

const MASK64 = (1n << 64n) - 1n;

/** One frame: updates `noise` (the state) and writes `y`. */
export function spectralSubtraction(p: SignalSpectralSubtractionParams, x: Uint32Array, y: Uint32Array, noise: Uint32Array): void {
  const bits = BigInt(p.subtractionBits);
  for (let i = 0; i < p.channels; i++) {
    const odd = (i & 1) === 1;
    const smoothing = BigInt(odd ? p.alternateSmoothing : p.smoothing);
    const oneMinus = BigInt(odd ? p.alternateOneMinusSmoothing : p.oneMinusSmoothing);
    const scaledUp = (x[i]! << p.smoothingBits) >>> 0;
    noise[i] = Number(BigInt.asUintN(32, ((BigInt(scaledUp) * smoothing + BigInt(noise[i]!) * oneMinus) & MASK64) >> bits));
    let estimate = noise[i]!;
    if (estimate > scaledUp) {
      estimate = scaledUp;
      if (p.clamping) noise[i] = estimate;
    }
    const floor = Number(BigInt.asUintN(32, (BigInt(x[i]!) * BigInt(p.minSignalRemaining)) >> bits));
    const subtracted = (scaledUp - estimate) >>> p.smoothingBits;
    y[i] = subtracted > floor ? subtracted : floor;
  }
}

const signalSpectralSubtraction: OpDef<SignalSpectralSubtractionParams> = {
  kind: signalKind('SignalFilterBankSpectralSubtraction'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareSpectralSubtraction(graph, op),
  prepare: prepareSpectralSubtraction,
  macs: (graph, op) => 3 * elements(graph.tensors[op.inputs[0]!]!),
  state: (graph, op) => [{ name: 'noise_estimate', dtype: 'uint32', shape: [intOption(op, signalOptions(op), 'num_channels', 1, 0x7fffffff)] }],
  evaluate(p, inputs, outputs) {
    const noise = inputs[1] as Uint32Array;
    spectralSubtraction(p, inputs[0] as Uint32Array, outputs[0] as Uint32Array, noise);
    (outputs[1] as Uint32Array).set(noise);
  },
  emitC(p, ctx) {
    // Armv6-M has no 32x32->64 multiply: with coefficients below 2^16 two 32-bit products make each one
    const halves =
      ctx.isa?.armv6m === true &&
      [p.smoothing, p.oneMinusSmoothing, p.alternateSmoothing, p.alternateOneMinusSmoothing, p.minSignalRemaining].every((c) => c < 0x10000);
    return ctx.render('signal_filter_bank_spectral_subtraction.c.hbs', {
      ...p,
      halves,
      coefficientType: halves ? 'uint32_t' : 'uint64_t',
      fnName: ctx.fnName,
      input: ctx.input(0),
      state: ctx.input(1),
      output: ctx.output(0),
      estimateOut: ctx.output(1),
    });
  },
};

export default signalSpectralSubtraction;
