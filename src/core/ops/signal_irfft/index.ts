// SPDX-License-Identifier: Apache-2.0
/**
 * SignalIrfft (TFLite Micro's signal/micro/kernels/irfft.cc): the inverse real FFT of each frame of
 * fft_length / 2 + 1 interleaved complex bins (the input's innermost dimension holds them, and may
 * hold more, which are not read) to fft_length samples, int16 or int32 (option `T`), with kissfft's
 * fixed-point scaling (common/numerics/fixed_fft.ts, signal_rfft/signal_fft.h). float32 (`T` 0) runs kissfft's float
 * build in its order of float operations, then divides each sample by fft_length as TFLite Micro's
 * IrfftFloatApply does (common/numerics/float_fft.ts, signal_rfft/signal_fft_float.h).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import { chooseStorage } from '../variant.ts';
import { elements, innerSize, signalKind } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { type FftLayer, emitFloatPlan, emitPlan, fftLayer, planSummary } from '../common/families/fft_layer.ts';
import { inverseRealFft } from '../common/numerics/fixed_fft.ts';
import { inverseRealFftFloat } from '../common/numerics/float_fft.ts';

export interface SignalIrfftParams extends FftLayer {
  frames: number;
  /** scalars per input frame (twice its complex bins) */
  inputStride: number;
}

function prepareIrfft(graph: Graph, op: Op): SignalIrfftParams {
  const { layer, input, output } = fftLayer(graph, op, true);
  const bins = layer.fftLength / 2 + 1;
  const complexLength = Math.floor(innerSize(input) / 2);
  if (complexLength < bins)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} frames hold ${complexLength} complex bins; fft_length ${layer.fftLength} reads ${bins}`);
  const frames = Math.ceil(Math.floor(elements(input) / 2) / complexLength);
  if (frames * complexLength * 2 !== elements(input)) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must be whole frames of complex bins`);
  if (innerSize(output) !== layer.fftLength || elements(output) !== frames * layer.fftLength)
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must hold ${frames} frame(s) of fft_length ${layer.fftLength} samples`);
  return { ...layer, frames, inputStride: 2 * complexLength };
}

/** The float32 kernel, on every target: plain C whose float operations are kissfft's. */
const floatVariant: KernelVariant<SignalIrfftParams> = {
  name: 'portable float32',
  family: 'portable',
  applies: (p) => p.floatPlan !== undefined,
  // the split bins the FFT then reads in its own order
  scratchBytes: (p) => p.fftLength * 4,
  emit: (p, ctx) => emitIrfftFloat(p, ctx),
  cFiles: ['signal_rfft/signal_fft_float.h'],
};

const signalIrfft: OpDef<SignalIrfftParams> = {
  kind: signalKind('SignalIrfft'),
  dir: import.meta.dirname,
  floatKernel: true,
  selectVariant: (p, isa, prefer, kernels) => (p.floatPlan ? floatVariant : chooseStorage(signalIrfft, p, isa, prefer, kernels)),
  check: (graph, op) => void prepareIrfft(graph, op),
  prepare: prepareIrfft,
  macs: (graph, op) => {
    const p = prepareIrfft(graph, op);
    return p.frames * p.plan.points * p.plan.stages.length * 4;
  },
  evaluate(p, inputs, outputs) {
    if (p.floatPlan) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      for (let f = 0; f < p.frames; f++) inverseRealFftFloat(p.floatPlan, x.subarray(f * p.inputStride), y.subarray(f * p.fftLength, (f + 1) * p.fftLength));
      return;
    }
    const x = inputs[0] as Int16Array | Int32Array;
    const y = outputs[0] as Int16Array | Int32Array;
    for (let f = 0; f < p.frames; f++) inverseRealFft(p.plan, x.subarray(f * p.inputStride), y.subarray(f * p.fftLength, (f + 1) * p.fftLength));
  },
  // the split bins the FFT then reads in its own order
  scratchBytes: (p) => (p.fftLength * p.width) / 8,
  emitC: (p, ctx) => emitIrfft(p, ctx, 'portable C', `tf_fft${p.width}_irfft`),
  cFiles: ['signal_rfft/signal_fft.h'],
  variants: [
    {
      name: 'arm-dsp',
      family: 'arm-dsp',
      // the int16 FFT in packed lanes; the int32 one keeps the portable C (64-bit products)
      applies: (p) => p.width === 16 && !p.floatPlan,
      scratchBytes: (p) => (p.fftLength * p.width) / 8,
      emit: (p, ctx) => emitIrfft(p, ctx, 'arm-dsp', 'tf_fft16_dsp_irfft'),
      cFiles: ['signal_rfft/signal_fft_dsp.h'],
    },
  ],
};

function emitIrfft(p: SignalIrfftParams, ctx: LayerEmitContext, variant: string, kernel: string): string {
  const plan = emitPlan(p.plan, ctx, p.width === 32 ? 'none' : variant === 'arm-dsp' ? 'packed' : 'wide');
  const t = `int${p.width}_t`;
  return (
    `/* SignalIrfft ${planSummary(p)}: ${p.frames} frame(s) (${variant}) */\n` +
    `static void ${ctx.fnName}(void) {\n` +
    `  const ${t} *in = ${ctx.input(0)};\n` +
    `  ${t} *out = ${ctx.output(0)};\n` +
    `  ${t} *work = (${t} *)(void *)${ctx.scratch()};\n` +
    `  int32_t f;\n` +
    `  for (f = 0; f < ${p.frames}; ++f, in += ${p.inputStride}, out += ${p.fftLength}) ${kernel}(&${plan}, in, work, out);\n` +
    `}\n`
  );
}

function emitIrfftFloat(p: SignalIrfftParams, ctx: LayerEmitContext): string {
  const plan = emitFloatPlan(p.floatPlan!, ctx);
  return (
    `/* SignalIrfft ${planSummary(p)}: ${p.frames} frame(s) (portable float32) */\n` +
    `static void ${ctx.fnName}(void) {\n` +
    `  const float *in = ${ctx.input(0)};\n` +
    `  float *out = ${ctx.output(0)};\n` +
    `  float *work = (float *)(void *)${ctx.scratch()};\n` +
    `  int32_t f;\n` +
    `  for (f = 0; f < ${p.frames}; ++f, in += ${p.inputStride}, out += ${p.fftLength}) tf_fftf_irfft(&${plan}, in, work, out);\n` +
    `}\n`
  );
}

export default signalIrfft;
