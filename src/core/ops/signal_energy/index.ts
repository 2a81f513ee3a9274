// SPDX-License-Identifier: Apache-2.0
/**
 * SignalEnergy (TFLite Micro's signal/micro/kernels/energy.cc): the squared magnitude of each complex
 * bin of an int16 spectrum (interleaved real, imaginary) as uint32, re * re + im * im, for the bins
 * start_index <= i < end_index. TFLite Micro leaves the other outputs as they were; here they are
 * zero, so the output never depends on what the arena held before.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { KernelVariant, OpDef } from '../op.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalEnergyParams {
  bins: number;
  start: number;
  end: number;
}

function prepareEnergy(graph: Graph, op: Op): SignalEnergyParams {
  requireArity(op, 1, 1);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'uint32');
  if (input.shape.length !== 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have one dimension`);
  if (output.shape.length !== 1) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have one dimension`);
  const bins = elements(output);
  const options = signalOptions(op);
  const start = intOption(op, options, 'start_index', 0, bins);
  const end = intOption(op, options, 'end_index', start, bins);
  if (2 * end > elements(input))
    throw new OpError(op.index, op.kind, `end_index ${end} reads past the input ${tensorLabel(input)} of ${elements(input) / 2} complex bins`);
  return { bins, start, end };
}

/** One bin's energy: the int32 sum of squares as TFLite Micro computes it, read as uint32 (2^31 when both are -32768). */
export function binEnergy(re: number, im: number): number {
  return (re * re + im * im) >>> 0;
}

/** Arm DSP: each bin's (re, im) word squared and summed by one SMUAD (signal_energy_dsp.h). */
const signalEnergyDsp: KernelVariant<SignalEnergyParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: () => true,
  overlap: () => ({ input: 0, gap: 0 }),
  emit: (p, ctx) => ctx.render('signal_energy_dsp.c.hbs', { ...p, fnName: ctx.fnName, input: ctx.input(0), output: ctx.output(0) }),
  cFiles: ['signal_energy/signal_energy_dsp.h'],
};

const signalEnergy: OpDef<SignalEnergyParams> = {
  kind: signalKind('SignalEnergy'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareEnergy(graph, op),
  prepare: prepareEnergy,
  macs: (graph, op) => {
    const p = prepareEnergy(graph, op);
    return 2 * (p.end - p.start);
  },
  // bin i reads the input's bytes 4i..4i+3 before writing the output's same bytes
  overlap: () => ({ input: 0, gap: 0 }),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const y = outputs[0] as Uint32Array;
    y.fill(0);
    for (let i = p.start; i < p.end; i++) y[i] = binEnergy(x[2 * i]!, x[2 * i + 1]!);
  },
  emitC(p, ctx) {
    return ctx.render('signal_energy.c.hbs', { ...p, fnName: ctx.fnName, input: ctx.input(0), output: ctx.output(0) });
  },
  variants: [signalEnergyDsp],
};

export default signalEnergy;
