// SPDX-License-Identifier: Apache-2.0
/**
 * What SignalRfft and SignalIrfft share: their options (`T`, the tensor type TensorFlow resolved,
 * and `fft_length`), the checks TFLite Micro's Init and Prepare make or rely on, and the plan's C
 * (const tables and the plan struct of signal_fft.h).
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import { intOption, requireArity, signalOptions } from './signal.ts';
import { tensorLabel } from './weighted.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type FftPlan, type FftWidth, fftPlan, unsupportedFftLength } from '../numerics/fixed_fft.ts';
import { type FloatFftPlan, floatFftPlan } from '../numerics/float_fft.ts';

/** TensorFlow's TensorType codes of the `T` option */
const TENSOR_TYPE: Record<number, string> = { 0: 'float32', 2: 'int32', 7: 'int16' };

export interface FftLayer {
  fftLength: number;
  /** bits of a scalar: 32 for float32 too */
  width: FftWidth;
  plan: FftPlan;
  /** the float32 kernel's plan (float_fft.ts), for a float32 layer */
  floatPlan?: FloatFftPlan;
}

/** The options and the plan; the tensors must be one input and one output of the type `T` names. */
export function fftLayer(graph: Graph, op: Op, inverse: boolean): { layer: FftLayer; input: Tensor; output: Tensor } {
  requireArity(op, 1, 1);
  const options = signalOptions(op);
  const input = graph.tensors[op.inputs[0]!];
  const output = graph.tensors[op.outputs[0]!];
  if (!input || !output) throw new OpError(op.index, op.kind, 'missing input or output tensor');
  const typeCode = options.T === undefined ? undefined : intOption(op, options, 'T', 0, 255);
  const named = typeCode === undefined ? input.dtype : TENSOR_TYPE[typeCode];
  if (named !== 'int16' && named !== 'int32' && named !== 'float32')
    throw new OpError(op.index, op.kind, `custom option 'T' is ${typeCode}; expected int16 (7), int32 (2) or float32 (0)`);
  for (const [role, t] of [
    ['input', input],
    ['output', output],
  ] as const) {
    if (t.dtype !== named) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; option 'T' says ${named}`);
  }
  if (input.shape.length < 1 || input.shape.length !== output.shape.length)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} and output ${tensorLabel(output)} must have the same number of dimensions`);
  const fftLength = intOption(op, options, 'fft_length', 0, 2 ** 31 - 1);
  const why = unsupportedFftLength(fftLength);
  if (why) throw new OpError(op.index, op.kind, `fft_length ${fftLength} ${why}`);
  const width: FftWidth = named === 'int16' ? 16 : 32;
  const floatPlan = named === 'float32' ? floatFftPlan(fftLength, inverse) : undefined;
  return { layer: { fftLength, width, plan: fftPlan(fftLength, width, inverse), ...(floatPlan ? { floatPlan } : {}) }, input, output };
}

/**
 * The plan's tables and struct in C; returns the struct's name. The int16 butterflies walk the
 * stage twiddles, as int32 values (`wide`, the portable C) or as words of two int16 lanes
 * (`packed`, the Arm DSP kernel); the int32 ones read the twiddle table (`none`).
 */
export function emitPlan(plan: FftPlan, ctx: LayerEmitContext, stageTwiddles: 'wide' | 'packed' | 'none'): string {
  const ctype = plan.width === 16 ? 'int16_t' : 'int32_t';
  const order = ctx.addConst('fft_order', 'uint16_t', plan.order);
  const twiddles = ctx.addConst('fft_twiddles', ctype, plan.twiddles);
  const superTwiddles = plan.superTwiddles.length > 0 ? ctx.addConst('fft_super_twiddles', ctype, plan.superTwiddles) : '0';
  const walk = plan.stageTwiddles;
  const packed = Int32Array.from({ length: walk.length / 2 }, (_, k) => (walk[2 * k]! & 0xffff) | (walk[2 * k + 1]! << 16));
  const table = stageTwiddles === 'wide' ? walk : packed;
  const stageTable = stageTwiddles !== 'none' && table.length > 0 ? ctx.addConst('fft_stage_twiddles', 'int32_t', table) : '0';
  const stageAt = (k: number) => (stageTwiddles === 'none' ? 0 : stageTwiddles === 'wide' ? plan.stageTwiddleAt[k]! : plan.stageTwiddleAt[k]! / 2);
  const list = (f: (s: FftPlan['stages'][number], k: number) => number) => `{ ${plan.stages.map(f).join(', ')} }`;
  const name = `${ctx.fnName}_plan`;
  ctx.defineOnce(
    name,
    `/* the ${plan.points}-point complex FFT: radices ${plan.stages.map((s) => s.radix).join(' x ')}, ${plan.inverse ? 'inverse' : 'forward'} twiddles */\n` +
      `static const tf_fft${plan.width}_plan_t ${name} = { .points = ${plan.points}, .stage_count = ${plan.stages.length}, .inverse = ${plan.inverse ? 1 : 0}, ` +
      `.radix = ${list((s) => s.radix)}, .span = ${list((s) => s.span)}, .stride = ${list((s) => s.stride)}, ` +
      `.order = ${order}, .twiddles = ${twiddles}, .super_twiddles = ${superTwiddles}, ` +
      `.stage_twiddles = ${stageTable}, .stage_twiddle_at = ${list((_, k) => stageAt(k))} };\n`,
  );
  return name;
}

/** The float32 plan's tables and struct in C (signal_fft_float.h); returns the struct's name. */
export function emitFloatPlan(plan: FloatFftPlan, ctx: LayerEmitContext): string {
  const order = ctx.addConst('fft_order', 'uint16_t', plan.order);
  const twiddles = ctx.addConst('fft_twiddles', 'float', plan.twiddles);
  const superTwiddles = plan.superTwiddles.length > 0 ? ctx.addConst('fft_super_twiddles', 'float', plan.superTwiddles) : '0';
  const list = (f: (s: FloatFftPlan['stages'][number]) => number) => `{ ${plan.stages.map(f).join(', ')} }`;
  const name = `${ctx.fnName}_plan`;
  ctx.defineOnce(
    name,
    `/* the ${plan.points}-point complex float FFT: radices ${plan.stages.map((s) => s.radix).join(' x ')}, ${plan.inverse ? 'inverse' : 'forward'} twiddles */\n` +
      `static const tf_fftf_plan_t ${name} = { .points = ${plan.points}, .stage_count = ${plan.stages.length}, .inverse = ${plan.inverse ? 1 : 0}, ` +
      `.radix = ${list((s) => s.radix)}, .span = ${list((s) => s.span)}, .stride = ${list((s) => s.stride)}, ` +
      `.order = ${order}, .twiddles = ${twiddles}, .super_twiddles = ${superTwiddles} };\n`,
  );
  return name;
}

export function planSummary(layer: FftLayer): string {
  return `${layer.floatPlan ? 'float32' : `int${layer.width}`}, fft_length ${layer.fftLength} (radices ${layer.plan.stages.map((s) => s.radix).join('x')})`;
}
