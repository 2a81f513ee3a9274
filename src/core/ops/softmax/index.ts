// SPDX-License-Identifier: Apache-2.0
import { softmaxMve } from './mve.ts';
import { softmaxSumComment } from '../common/numerics/accumulator_bound.ts';
import { OpError } from '../../errors.ts';
import { type SoftmaxAttrs, elementCount } from '../../ir/graph.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import { clamp, f32, quantizeMultiplier, rdbpot, srdhm } from '../common/numerics/fixedpoint.ts';
import { add32, reciprocal } from '../common/numerics/gemmlowp.ts';
import { requireInput, requireInt8Activation, requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { softmaxInt16 } from './softmax_int16.ts';
import { softmaxFloat } from './softmax_float.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { softmaxInt16Variants } from './softmax_int16_variants.ts';
import { ACCUMULATION_INTEGER_BITS, SCALED_DIFF_INTEGER_BITS, expOfDifference, expToSumPrecision, softmaxTableVariants } from './table.ts';

export interface SoftmaxParams {
  outer: number;
  depth: number;
  inputMultiplier: number;
  inputLeftShift: number;
  /** differences below this contribute nothing */
  diffMin: number;
  outputBits: 8 | 16;
  outMin: number;
  outMax: number;
}

/**
 * SOFTMAX int8 -> int8 (output zero point -128, scale 1/256) or int8 -> int16 (zero point -32768,
 * scale 1/65536) along the last axis: TFLite Micro's fixed-point softmax (gemmlowp exp, Q12.19 sum,
 * Newton-Raphson reciprocal), bit for bit (checked against tflm-ref on random rows, scales and betas).
 *
 * One case TFLite Micro does not define: an int8 output whose row's sum of exponentials reaches 512
 * (512 or more elements within a step or so of the row's maximum). Its final RoundingDivideByPOT then
 * gets an exponent of 32 or more: tflm-ref aborts on the assertion, and a release build shifts an
 * int32 by 32 or more (undefined behaviour, hardware-dependent). Every share is then below 1/512,
 * under half an output step, so here the whole row is the output minimum (-128), with no shift.
 */
const softmax: OpDef<SoftmaxParams> = {
  kind: 'SOFTMAX',
  dir: import.meta.dirname,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    requireInt8Activation(op, input, 'input');
    if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is a scalar; softmax needs at least one axis`);
    if (output.shape.length !== input.shape.length || output.shape.some((d, i) => d !== input.shape[i])) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
      );
    }
    const scale = output.quant?.scale[0];
    const zero = output.quant?.zeroPoint[0];
    if (!output.quant) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has no quantization parameters`);
    if (output.dtype === 'int8') {
      if (zero !== -128 || f32(scale ?? 0) !== 1 / 256) {
        throw new OpError(
          op.index,
          op.kind,
          `int8 output ${tensorLabel(output)} has scale ${scale}, zero point ${zero}; TFLite requires scale 1/256 and zero point -128`,
        );
      }
    } else if (output.dtype === 'int16') {
      if (zero !== -32768 || !(Math.abs(f32(scale ?? 0) - 1 / 65536) <= 0.001 / 65536)) {
        throw new OpError(
          op.index,
          op.kind,
          `int16 output ${tensorLabel(output)} has scale ${scale}, zero point ${zero}; TFLite requires scale 1/65536 and zero point -32768`,
        );
      }
    } else {
      throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; only int8 and int16 outputs are supported`);
    }
    const beta = betaOf(op.attrs as unknown as SoftmaxAttrs);
    if (!(beta > 0)) throw new OpError(op.index, op.kind, `beta is ${beta}; it must be positive`);
    if (!(inputBetaRealMultiplier(beta, input.quant!.scale[0]!) > 1)) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} times beta ${beta} is too small for TFLite's softmax scaling`,
      );
    }
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const depth = input.shape[input.shape.length - 1]!;
    const { multiplier, shift } = quantizeMultiplier(inputBetaRealMultiplier(betaOf(op.attrs as unknown as SoftmaxAttrs), input.quant!.scale[0]!));
    const outputBits = output.dtype === 'int16' ? 16 : 8;
    return {
      outer: depth === 0 ? 0 : elementCount(input.shape) / depth,
      depth,
      inputMultiplier: multiplier,
      inputLeftShift: shift,
      diffMin: -calculateInputRadius(SCALED_DIFF_INTEGER_BITS, shift),
      outputBits,
      outMin: outputBits === 8 ? -128 : -32768,
      outMax: outputBits === 8 ? 127 : 32767,
    };
  },

  macs(graph, op) {
    return elementCount(graph.tensors[op.inputs[0]!]!.shape);
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int8Array;
    const output = outputs[0] as Int8Array | Int16Array;
    for (let row = 0; row < p.outer; row++) {
      const base = row * p.depth;
      let max = -128;
      for (let c = 0; c < p.depth; c++) max = Math.max(max, input[base + c]!);
      let sumOfExps = 0;
      for (let c = 0; c < p.depth; c++) {
        const diff = input[base + c]! - max;
        if (diff >= p.diffMin) {
          const e = expOfDifference(p, diff);
          sumOfExps = add32(sumOfExps, expToSumPrecision(e));
        }
      }
      const { value: shiftedScale, numBitsOverUnit } = reciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS);
      const exponent = numBitsOverUnit + 31 - p.outputBits;
      if (exponent > 31) {
        // a sum of exponentials of 512 or more (int8 output): every share is below 1/512, which
        // rounds to 0 (TFLite Micro's RoundingDivideByPOT would shift by 32 or more: see above)
        output.fill(p.outMin, base, base + p.depth);
        continue;
      }
      for (let c = 0; c < p.depth; c++) {
        const diff = input[base + c]! - max;
        if (diff >= p.diffMin) {
          const e = expOfDifference(p, diff);
          const unsaturated = rdbpot(srdhm(shiftedScale, e), exponent);
          output[base + c] = clamp(unsaturated + p.outMin, p.outMin, p.outMax);
        } else {
          output[base + c] = p.outMin;
        }
      }
    }
  },

  // short rows keep their exponentials (one int32 each) rather than computing them twice
  scratchBytes: (p) => (cachesExps(p) ? 4 * p.depth : 0),
  variants: [softmaxMve, ...softmaxTableVariants, softmaxM0Rows(), softmaxFastRows('arm-dsp'), softmaxFastRows('rv32')],
  emitC: (p, ctx) => emitRowKernel(p, ctx, 'portable'),
};

/**
 * The row kernel (exp per element, cached for short rows): the portable C, or on Armv6-M (`m0`) the
 * same arithmetic with every SRDHM from 32-bit products (softmax_m0.h), for the small layers the
 * exp table does not pay for (a keyword spotter's 4 classes).
 */
type RowKernel = 'portable' | 'm0' | 'fast';

function emitRowKernel(p: SoftmaxParams, ctx: LayerEmitContext, kind: RowKernel): string {
  const m0 = kind === 'm0';
  const fast = kind === 'fast';
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const cache = cachesExps(p);
  return ctx.render('softmax.c.hbs', {
    ...p,
    cache,
    scratch: cache ? ctx.scratch() : undefined,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    outType: p.outputBits === 8 ? 'int8_t' : 'int16_t',
    shape: input.shape.join('x'),
    exponentBias: 31 - p.outputBits,
    outBits: p.outputBits,
    sumBound: softmaxSumComment(p.depth),
    // only int8 outputs can reach a shift of 32 (int16: at most 12 + 15); rows of 512 or more only
    guardsShift: p.outputBits === 8 && p.depth >= 512,
    outMinLiteral: p.outMin === -32768 ? '(-32767 - 1)' : String(p.outMin),
    how: m0 ? ' (Armv6-M: SRDHM from 32-bit products)' : fast ? ' (Arm DSP / RV32: each SRDHM in the cheapest exact form, softmax_fast.h)' : '',
    // the exponential and the row's scale are >= 0: never both INT32_MIN
    srdhm: m0 ? 'tf_m0_srdhm_any' : fast ? 'tf_sf_srdhm' : 'tf_srdhm',
    inputSrdhm: m0 ? 'tf_m0_srdhm_any' : fast ? (p.inputMultiplier >= 2 ** 30 ? 'tf_sf_srdhm_big' : 'tf_sf_srdhm_small') : 'tf_srdhm',
    exp: m0 ? 'tf_m0_exp_on_negative_values_q5_26' : fast ? 'tf_sf_exp_on_negative_values_q5_26' : 'tf_exp_on_negative_values_q5_26',
    reciprocal: m0 ? 'tf_m0_reciprocal' : fast ? 'tf_sf_reciprocal' : 'tf_reciprocal',
  });
}

/** Armv6-M's row kernel, for the layers the table variant leaves (a function: `softmax` is built first). */
function softmaxM0Rows(): KernelVariant<SoftmaxParams> {
  return {
    name: 'armv6m rows',
    family: 'armv6m',
    applies: () => true,
    scratchBytes: (p) => (cachesExps(p) ? 4 * p.depth : 0),
    emit: (p, ctx) => emitRowKernel(p, ctx, 'm0'),
    cFiles: ['softmax/softmax_m0.h'],
  };
}

/**
 * The Arm DSP and RV32 row kernels, for the layers the table variant leaves (classifier heads): the
 * portable kernel's structure with softmax_fast.h's exp and reciprocal (SMMULR/SMMLAR, MULH forms).
 */
function softmaxFastRows(family: 'arm-dsp' | 'rv32'): KernelVariant<SoftmaxParams> {
  return {
    name: `${family} rows`,
    family,
    applies: (p) => p.depth > 0 && p.outer > 0,
    scratchBytes: (p) => (cachesExps(p) ? 4 * p.depth : 0),
    emit: (p, ctx) => emitRowKernel(p, ctx, 'fast'),
    cFiles: ['softmax/softmax_fast.h'],
  };
}

/** Rows of up to 64 values: at most 256 bytes of scratch for the cached exponentials. */
function cachesExps(p: SoftmaxParams): boolean {
  return p.depth > 0 && p.depth <= 64;
}

/** beta is a float in the flatbuffer; TFLite widens it to double. */
function betaOf(attrs: SoftmaxAttrs): number {
  return f32(attrs.beta ?? 1);
}

/** TFLite's PreprocessSoftmaxScaling in double: beta * s_in * 2^(31-5), capped at 2^31 - 1. */
function inputBetaRealMultiplier(beta: number, inputScale: number): number {
  return Math.min(beta * f32(inputScale) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
}

/** TFLite's CalculateInputRadius (31 signed bits): the largest |difference| that survives rescaling. */
function calculateInputRadius(integerBits: number, leftShift: number): number {
  return Math.floor(((2 ** integerBits - 1) * 2 ** (31 - integerBits)) / 2 ** leftShift);
}

// int16 input (16x8) goes to its own kernel in softmax_int16.ts; float32 to softmax_float.ts
export default withFloatVariant(withInt16Variant(softmax, { ...softmaxInt16, variants: softmaxInt16Variants }), softmaxFloat);
