// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFftAutoScale (TFLite Micro's signal/micro/kernels/fft_auto_scale_kernel.cc): shifts a 1-D
 * int16 frame left as far as its largest magnitude allows, so the fixed-point FFT after it keeps
 * the most bits, and outputs the shift (int32 scalar) for the later stages to undo.
 * scale = max(0, 15 - bits(max|x|)), y = x * 2^scale narrowed to int16. The largest magnitude is
 * TFLite Micro's running maximum in int16, where -(-32768) wraps back to -32768 (a negative maximum,
 * whose "bits" are then 32: scale 0) and a later sample may replace it, so a frame holding -32768
 * can still be scaled and wrap; that is reproduced, as is a zero frame (scale 0).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { IsaFamily, KernelVariant, OpDef } from '../op.ts';
import { elements, requireArity, signalInput, signalKind, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalFftAutoScaleParams {
  size: number;
}

function prepareAutoScale(graph: Graph, op: Op): SignalFftAutoScaleParams {
  requireArity(op, 1, 2);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  const scale = signalOutput(graph, op, 1, 'scale', 'int32');
  if (input.shape.length !== 1 || output.shape.length !== 1)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} and output ${tensorLabel(output)} must have one dimension`);
  if (scale.shape.length !== 0) throw new OpError(op.index, op.kind, `scale ${tensorLabel(scale)} must be a scalar`);
  if (elements(output) > elements(input)) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is longer than input ${tensorLabel(input)}`);
  // TFLite Micro scales the output's length of samples
  return { size: elements(output) };
}

const narrow16 = (x: number): number => (x << 16) >> 16;

/** TFLite Micro's MaxAbs16: a running int16 maximum of x and -x (see the note above on -32768). */
export function maxAbs16(x: ArrayLike<number>, size: number): number {
  let max = 0;
  for (let i = 0; i < size; i++) {
    const v = x[i]!;
    if (v > max) max = v;
    else if (-v > max) max = narrow16(-v);
  }
  return max;
}

/** The shift FftAutoScale applies for the maximum `max` (int16). */
export function autoScaleBits(max: number): number {
  // MostSignificantBit32 of the int16 converted to uint32: 32 for zero and for a negative maximum
  const msb = max > 0 ? 32 - Math.clz32(max) : 32;
  return Math.max(0, 15 - msb);
}

/**
 * Armv6-M (no packed lanes): the largest and smallest sample, whose larger magnitude is the running
 * maximum's end unless a sample is -32768 (then its walk is replayed), two samples a step. On RV32
 * the same C runs more instructions than the portable loop (measured on the ESP32-C3): none there.
 */
function scalarVariant(family: IsaFamily): KernelVariant<SignalFftAutoScaleParams> {
  return {
    name: family,
    family,
    applies: () => true,
    emit: (p, ctx) =>
      ctx.render('signal_fft_auto_scale_scalar.c.hbs', {
        ...p,
        family,
        pairs: Math.floor(p.size / 2),
        odd: p.size % 2 === 1,
        fnName: ctx.fnName,
        input: ctx.input(0),
        output: ctx.output(0),
        scale: ctx.output(1),
      }),
  };
}

const signalFftAutoScale: OpDef<SignalFftAutoScaleParams> = {
  kind: signalKind('SignalFftAutoScale'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareAutoScale(graph, op),
  prepare: prepareAutoScale,
  macs: (graph, op) => elements(graph.tensors[op.outputs[0]!]!),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const y = outputs[0] as Int16Array;
    const bits = autoScaleBits(maxAbs16(x, p.size));
    for (let i = 0; i < p.size; i++) y[i] = narrow16(x[i]! * (1 << bits));
    (outputs[1] as Int32Array)[0] = bits;
  },
  emitC(p, ctx) {
    return ctx.render('signal_fft_auto_scale.c.hbs', { ...p, fnName: ctx.fnName, input: ctx.input(0), output: ctx.output(0), scale: ctx.output(1) });
  },
  variants: [
    {
      name: 'arm-dsp',
      family: 'arm-dsp',
      applies: () => true,
      emit: (p, ctx) =>
        `/* SignalFftAutoScale int16, ${p.size} samples: shifted left by 15 - bits(max |x|) (arm-dsp, two samples a word) */\n` +
        `static void ${ctx.fnName}(void) { tf_fft_auto_scale_dsp(${ctx.input(0)}, ${ctx.output(0)}, ${p.size}, ${ctx.output(1)}); }\n`,
      cFiles: ['signal_fft_auto_scale/signal_fft_auto_scale_dsp.h'],
    },
    scalarVariant('armv6m'),
  ],
};

export default signalFftAutoScale;
