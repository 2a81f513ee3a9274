// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFilterBankSquareRoot (TFLite Micro's signal/micro/kernels/filter_bank_square_root.cc): each
 * uint64 channel energy to its square root rounded to nearest, as uint32, shifted right by the int32
 * scalar `scale bits` (a run-time tensor: the FFT's auto-scale shift). TFLite Micro's root rounds up
 * when the remainder exceeds the floor root and stops at the type's largest value: 0xFFFF below 2^32
 * (its 32-bit routine), 0xFFFFFFFF above.
 *
 * The shift takes its low five bits, as the host build of TFLite Micro does for shifts of 32 or more
 * (which C leaves undefined); the FFT's scale is always below 16.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { IsaFamily, KernelVariant, OpDef } from '../op.ts';
import { elements, requireArity, signalInput, signalKind, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalFilterBankSquareRootParams {
  channels: number;
}

function prepareSquareRoot(graph: Graph, op: Op): SignalFilterBankSquareRootParams {
  requireArity(op, 2, 1);
  const input = signalInput(graph, op, 0, 'input', 'uint64');
  const scaleBits = signalInput(graph, op, 1, 'scale bits', 'int32');
  const output = signalOutput(graph, op, 0, 'output', 'uint32');
  if (input.shape.length !== 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have one dimension`);
  if (elements(scaleBits) !== 1) throw new OpError(op.index, op.kind, `scale bits ${tensorLabel(scaleBits)} must be a scalar`);
  if (output.shape.length !== 1 || elements(output) !== elements(input))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have the input's ${elements(input)} elements`);
  return { channels: elements(input) };
}

/** The square root of a uint64 rounded to nearest, capped as TFLite Micro's (see the file comment). */
export function roundedSquareRoot(n: bigint): number {
  if (n === 0n) return 0;
  // Newton's iteration from above converges to the floor root
  let r = BigInt(Math.floor(Math.sqrt(Number(n)))) + 2n;
  while (r * r > n) r = (r + n / r) >> 1n;
  while ((r + 1n) * (r + 1n) <= n) r++;
  const cap = n >> 32n === 0n ? 0xffffn : 0xffffffffn;
  if (n - r * r > r && r !== cap) r++;
  return Number(r);
}

/**
 * Cores with a 32-bit hardware divide (Armv7-M's UDIV on the Arm DSP targets): Newton's iteration
 * and one division for the low root bits instead of one loop step a root bit (sqrt_udiv.h).
 */
function udivVariant(family: IsaFamily): KernelVariant<SignalFilterBankSquareRootParams> {
  return {
    name: `${family} udiv`,
    family,
    applies: () => true,
    emit: (p, ctx) =>
      ctx.render('signal_filter_bank_square_root_udiv.c.hbs', {
        ...p,
        family,
        fnName: ctx.fnName,
        input: ctx.input(0),
        scaleBits: ctx.input(1),
        output: ctx.output(0),
      }),
    cFiles: ['signal_filter_bank_square_root/sqrt_udiv.h'],
  };
}

const signalFilterBankSquareRoot: OpDef<SignalFilterBankSquareRootParams> = {
  kind: signalKind('SignalFilterBankSquareRoot'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareSquareRoot(graph, op),
  prepare: prepareSquareRoot,
  macs: (graph, op) => elements(graph.tensors[op.inputs[0]!]!),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as BigUint64Array;
    const shift = (inputs[1] as Int32Array)[0]! & 31;
    const y = outputs[0] as Uint32Array;
    for (let i = 0; i < p.channels; i++) y[i] = roundedSquareRoot(x[i]!) >>> shift;
  },
  emitC(p, ctx) {
    return ctx.render('signal_filter_bank_square_root.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      scaleBits: ctx.input(1),
      output: ctx.output(0),
    });
  },
  variants: [udivVariant('arm-dsp'), udivVariant('rv32')],
};

export default signalFilterBankSquareRoot;
