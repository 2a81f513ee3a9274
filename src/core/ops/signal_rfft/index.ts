// SPDX-License-Identifier: Apache-2.0
/**
 * SignalRfft (TFLite Micro's signal/micro/kernels/rfft.cc): the real FFT of each frame along the
 * innermost dimension, int16 or int32 (option `T`), of `fft_length` points: a frame shorter than
 * that is zero-padded; each gives fft_length / 2 + 1 interleaved complex bins, divided by
 * fft_length as kissfft's fixed point does (common/numerics/fixed_fft.ts, signal_fft.h). float32 (`T` 0) runs kissfft's
 * float build, undivided, in its order of float operations (common/numerics/float_fft.ts, signal_fft_float.h): the
 * same bits as TFLite Micro on every target, FPU or soft-float.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import { chooseStorage } from '../variant.ts';
import { elements, innerSize, signalKind } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { type FftLayer, emitFloatPlan, emitPlan, fftLayer, planSummary } from '../common/families/fft_layer.ts';
import { realFft } from '../common/numerics/fixed_fft.ts';
import { realFftFloat } from '../common/numerics/float_fft.ts';

export interface SignalRfftParams extends FftLayer {
  frames: number;
  /** samples per input frame (the input's innermost dimension), at most fft_length */
  inputLength: number;
}

function prepareRfft(graph: Graph, op: Op): SignalRfftParams {
  const { layer, input, output } = fftLayer(graph, op, false);
  const inputLength = innerSize(input);
  if (inputLength < 1 || inputLength > layer.fftLength)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} frames of ${inputLength} samples must be 1..fft_length ${layer.fftLength}`);
  const frames = elements(input) / inputLength;
  const bins = layer.fftLength + 2;
  if (innerSize(output) !== bins || elements(output) !== frames * bins)
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} must hold ${frames} frame(s) of fft_length + 2 = ${bins} values (fft_length / 2 + 1 complex bins)`,
    );
  return { ...layer, frames, inputLength };
}

/** The float32 kernel, on every target: plain C whose float operations are kissfft's. */
const floatVariant: KernelVariant<SignalRfftParams> = {
  name: 'portable float32',
  family: 'portable',
  applies: (p) => p.floatPlan !== undefined,
  emit: (p, ctx) => emitRfftFloat(p, ctx),
  cFiles: ['signal_rfft/signal_fft_float.h'],
};

const signalRfft: OpDef<SignalRfftParams> = {
  kind: signalKind('SignalRfft'),
  dir: import.meta.dirname,
  floatKernel: true,
  selectVariant: (p, isa, prefer, kernels) => (p.floatPlan ? floatVariant : chooseStorage(signalRfft, p, isa, prefer, kernels)),
  check: (graph, op) => void prepareRfft(graph, op),
  prepare: prepareRfft,
  // complex multiplies of the butterflies: about points * log2(points)
  macs: (graph, op) => {
    const p = prepareRfft(graph, op);
    return p.frames * p.plan.points * p.plan.stages.length * 4;
  },
  evaluate(p, inputs, outputs) {
    const bins = p.fftLength + 2;
    if (p.floatPlan) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      for (let f = 0; f < p.frames; f++)
        realFftFloat(p.floatPlan, x.subarray(f * p.inputLength, (f + 1) * p.inputLength), p.inputLength, y.subarray(f * bins, (f + 1) * bins));
      return;
    }
    const x = inputs[0] as Int16Array | Int32Array;
    const y = outputs[0] as Int16Array | Int32Array;
    for (let f = 0; f < p.frames; f++)
      realFft(p.plan, x.subarray(f * p.inputLength, (f + 1) * p.inputLength), p.inputLength, y.subarray(f * bins, (f + 1) * bins));
  },
  emitC: (p, ctx) => emitRfft(p, ctx, 'portable C', `tf_fft${p.width}_rfft`),
  cFiles: ['signal_rfft/signal_fft.h'],
  variants: [
    {
      name: 'arm-dsp',
      family: 'arm-dsp',
      // the int16 FFT in packed lanes; the int32 one keeps the portable C (64-bit products)
      applies: (p) => p.width === 16 && !p.floatPlan,
      emit: (p, ctx) => emitRfft(p, ctx, 'arm-dsp', 'tf_fft16_dsp_rfft'),
      cFiles: ['signal_rfft/signal_fft_dsp.h'],
    },
    {
      name: 'armv6m',
      family: 'armv6m',
      // the radix-4 butterflies in assembly; int32 keeps the portable C
      applies: (p) => p.width === 16 && !p.floatPlan,
      emit: (p, ctx) => emitRfft(p, ctx, 'armv6m', 'tf_fft16_m0_rfft'),
      cFiles: ['signal_rfft/signal_fft_m0.h', 'signal_rfft/signal_fft_m0plus.S'],
    },
  ],
};

function emitRfft(p: SignalRfftParams, ctx: LayerEmitContext, variant: string, kernel: string): string {
  const plan = emitPlan(p.plan, ctx, p.width === 32 ? 'none' : variant === 'portable C' ? 'wide' : 'packed');
  const t = `int${p.width}_t`;
  return (
    `/* SignalRfft ${planSummary(p)}: ${p.frames} frame(s) of ${p.inputLength} samples${p.inputLength < p.fftLength ? ' zero-padded' : ''} (${variant}) */\n` +
    `static void ${ctx.fnName}(void) {\n` +
    `  const ${t} *in = ${ctx.input(0)};\n` +
    `  ${t} *out = ${ctx.output(0)};\n` +
    `  int32_t f;\n` +
    `  for (f = 0; f < ${p.frames}; ++f, in += ${p.inputLength}, out += ${p.fftLength + 2}) ${kernel}(&${plan}, in, ${p.inputLength}, out);\n` +
    `}\n`
  );
}

function emitRfftFloat(p: SignalRfftParams, ctx: LayerEmitContext): string {
  const plan = emitFloatPlan(p.floatPlan!, ctx);
  return (
    `/* SignalRfft ${planSummary(p)}: ${p.frames} frame(s) of ${p.inputLength} samples${p.inputLength < p.fftLength ? ' zero-padded' : ''} (portable float32) */\n` +
    `static void ${ctx.fnName}(void) {\n` +
    `  const float *in = ${ctx.input(0)};\n` +
    `  float *out = ${ctx.output(0)};\n` +
    `  int32_t f;\n` +
    `  for (f = 0; f < ${p.frames}; ++f, in += ${p.inputLength}, out += ${p.fftLength + 2}) tf_fftf_rfft(&${plan}, in, ${p.inputLength}, out);\n` +
    `}\n`
  );
}

export default signalRfft;
