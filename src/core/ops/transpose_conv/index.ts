// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV, int8: TFLite Micro's reference_integer_ops::TransposeConv. Filters OHWI
 * [out, kH, kW, in], per-channel (or per-tensor) symmetric int8 weights, optional int32 bias, SAME or
 * VALID padding computed as TFLite does for the transposed geometry (the padding a forward conv from
 * the output size would need), strides, fused activation as a clamp (TFLite Micro applies it since
 * it passes the options' activation to its quantization parameters).
 *
 * TFLite Micro scatters every input element into an int32 scratch the size of the output. The
 * reference kernel here does the same; the emitted C gathers instead (for each output element, the
 * taps whose input position lands on the stride grid), which needs no scratch: the same int32 terms
 * are summed, and int32 addition is associative, so the results are identical.
 *
 * A layer lowered from an ONNX ConvTranspose (attrs.arithmetic 'onnxruntime') computes ONNX Runtime's
 * float ConvTranspose instead (ort_float.ts), in the portable C on every target.
 */
import { OpError } from '../../errors.ts';
import type { ActivationAttrs, Graph, Op, Padding } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { transposePadding } from '../../ir/tflite_geometry.ts';
import type { LayerEmitContext, OpDef } from '../op.ts';
import type { ConvWindowParams } from '../common/families/conv_geometry.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { transposeConvInt16, transposeInputIsInt16 } from './transpose_conv_int16.ts';
import { transposeConvFloat, transposeInputIsFloat } from './transpose_conv_float.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { transposeConvDspVariant, transposeConvM0plusVariant, transposeConvRv32Variant } from './phases.ts';
import { type OrtTransposeFloat, emitOrtTransposeConv, evaluateOrtTransposeConv, ortTransposeFloat } from './ort_float.ts';
import { activationRange } from '../common/numerics/activation.ts';
import { clamp, mbqm, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { type AccumulatorView, accumulatorC, dotProductBound, dtypeRange, int32Accumulator } from '../common/numerics/accumulator_bound.ts';
import {
  type ChannelMultipliers,
  constInt32,
  constInt8,
  convChannelMultipliers,
  cTerm,
  optionalInput,
  positiveIntAttr,
  requantExprs,
  requireBias,
  requireClampActivation,
  requireConstant,
  requireInput,
  requireInt8Activation,
  requireOutput,
  requireRank,
  requireWeightQuant,
  tensorLabel,
} from '../common/families/weighted.ts';

/** The sizes, window and per-channel rescale the int8 and 16x8 kernels both carry (no dilation). */
export interface TransposeWindow extends ChannelMultipliers, Omit<ConvWindowParams, 'dilationH' | 'dilationW'> {}

export interface TransposeConvParams extends TransposeWindow, Partial<AccumulatorView> {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
  hasBias: boolean;
  /** ONNX Runtime's float ConvTranspose (a layer lowered from ONNX): ort_float.ts */
  ort?: OrtTransposeFloat;
  /** set with `ort`: the layer computes as ONNX Runtime does (counted among the exact ONNX layers) */
  onnxRuntime?: true;
}

// the padding arithmetic is shared with the ONNX importer (ir/tflite_geometry.ts)
export { transposePadding };

const INPUT = 2;
const FILTER = 1;
const BIAS = 3;

export function geometry(graph: Graph, op: Op) {
  // TFLite Micro never reads input 0: the output tensor's static shape sizes the layer
  const outputShape = optionalInput(graph, op, 0);
  const filter = requireInput(graph, op, FILTER, 'filter');
  const input = requireInput(graph, op, INPUT, 'input');
  const output = requireOutput(graph, op);
  requireRank(op, input, 'input', 4);
  requireRank(op, filter, 'filter', 4);
  requireRank(op, output, 'output', 4);
  const attrs = op.attrs as Partial<ActivationAttrs> & { padding?: unknown; strideH?: unknown; strideW?: unknown };
  const padding = (attrs.padding ?? 'SAME') as Padding;
  if (padding !== 'SAME' && padding !== 'VALID') throw new OpError(op.index, op.kind, `padding ${String(attrs.padding)} is not supported`);
  return {
    outputShape,
    filter,
    input,
    output,
    padding,
    strideH: positiveIntAttr(op, 'stride_h', attrs.strideH),
    strideW: positiveIntAttr(op, 'stride_w', attrs.strideW),
    activation: requireClampActivation(op, attrs.activation),
  };
}

/**
 * The filter, shapes and (constant) output-shape tensor of a TRANSPOSE_CONV (int8, 16x8 and float32
 * alike; `weightQuant`: the filter's per-channel quantization too, not for float32).
 */
export function requireTransposeShapes(op: Op, g: ReturnType<typeof geometry>, weightQuant = true): void {
  const [outC, , , filterInC] = g.filter.shape as [number, number, number, number];
  if (weightQuant) requireWeightQuant(op, g.filter, 0, outC, true);
  requireConstant(op, g.filter, 'filter');
  if (filterInC !== g.input.shape[3]) {
    throw new OpError(
      op.index,
      op.kind,
      `filter ${tensorLabel(g.filter)} has ${filterInC} input channels; the input ${tensorLabel(g.input)} has ${g.input.shape[3]}`,
    );
  }
  if (outC !== g.output.shape[3] || g.input.shape[0] !== g.output.shape[0]) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(g.output)} has shape [${g.output.shape.join(',')}]; expected batch ${g.input.shape[0]} and ${outC} channels`,
    );
  }
  // A computed output shape (or a model input: TFLite Micro's SEANet layer tests feed one) is not
  // read, as in TFLite Micro, which sizes the layer from the output tensor; the graph passes drop
  // the arithmetic that fed it. A constant one that disagrees with the output is a broken model.
  if (!g.outputShape?.data) return;
  const declared = Array.from(fromBytes(g.outputShape.dtype, g.outputShape.data) as ArrayLike<number | bigint>, Number);
  if (declared.join(',') !== g.output.shape.join(',')) {
    throw new OpError(
      op.index,
      op.kind,
      `output shape ${tensorLabel(g.outputShape)} says [${declared.join(',')}]; the output ${tensorLabel(g.output)} is [${g.output.shape.join(',')}]`,
    );
  }
}

/** The sizes and window of every kernel (int8, 16x8, float32): no rescale. */
export type TransposeShape = Omit<TransposeWindow, keyof ChannelMultipliers>;

export function transposeWindow(op: Op, g: ReturnType<typeof geometry>): TransposeWindow {
  const outC = g.filter.shape[0]!;
  const filterScales = requireWeightQuant(op, g.filter, 0, outC, true);
  return { ...convChannelMultipliers(g.input.quant!.scale[0]!, filterScales, g.output.quant!.scale[0]!, outC), ...transposeShape(g) };
}

export function transposeShape(g: ReturnType<typeof geometry>): TransposeShape {
  const [batches, inH, inW, inC] = g.input.shape as [number, number, number, number];
  const [outC, kH, kW] = g.filter.shape as [number, number, number, number];
  const [, outH, outW] = g.output.shape as [number, number, number, number];
  return {
    batches,
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH,
    kW,
    strideH: g.strideH,
    strideW: g.strideW,
    padTop: transposePadding(g.padding, outH, kH, g.strideH),
    padLeft: transposePadding(g.padding, outW, kW, g.strideW),
  };
}

/**
 * TFLite Micro's order: scatter each input element (plus `inputOffset`) over the outputs it reaches,
 * into `acc` the size of the output. An Int32Array wraps every partial sum as TFLite Micro's int32
 * scratch does; a Float64Array holds the int64 scratch's sums exactly (below 2^53 for any layer that
 * fits a microcontroller).
 */
export function scatterTransposeConv(p: TransposeWindow, x: Int8Array | Int16Array, w: Int8Array, inputOffset: number, acc: Int32Array | Float64Array): void {
  for (let b = 0; b < p.batches; b++) {
    for (let iy = 0; iy < p.inH; iy++) {
      for (let ix = 0; ix < p.inW; ix++) {
        for (let ic = 0; ic < p.inC; ic++) {
          const v = x[((b * p.inH + iy) * p.inW + ix) * p.inC + ic]! + inputOffset;
          for (let ky = 0; ky < p.kH; ky++) {
            const oy = iy * p.strideH - p.padTop + ky;
            if (oy < 0 || oy >= p.outH) continue;
            for (let kx = 0; kx < p.kW; kx++) {
              const ox = ix * p.strideW - p.padLeft + kx;
              if (ox < 0 || ox >= p.outW) continue;
              for (let oc = 0; oc < p.outC; oc++) {
                acc[((b * p.outH + oy) * p.outW + ox) * p.outC + oc]! += v * w[((oc * p.kH + ky) * p.kW + kx) * p.inC + ic]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * The bound on every output channel's int32 accumulator (accumulator_bound.ts), in the forms its
 * kernels sum in: TFLite Micro's, bias + sum w·(x - z_in) over the taps reaching an output (a subset
 * of the channel's kH·kW·inC weights: within the row's bound), and the phase kernels' folded one, per
 * output phase (ky mod stride_h, kx mod stride_w): (b + off·sum of the phase's w, wrapped to int32)
 * + sum of the phase's w·x. Past 2^31 the portable C sums in uint32_t and no phase kernel is taken.
 */
function transposeAccumulator(graph: Graph, op: Op): AccumulatorView {
  const g = geometry(graph, op);
  const [outC, kH, kW, inC] = g.filter.shape as [number, number, number, number];
  const w = constInt8(g.filter);
  const biasTensor = optionalInput(graph, op, BIAS);
  const bias = biasTensor && constInt32(biasTensor);
  const off = -g.input.quant!.zeroPoint[0]!;
  const [lo, hi] = dtypeRange('int8');
  const tflm = dotProductBound({ weights: w, rows: outC, rowLength: kH * kW * inC, inputRange: [lo, hi], inputOffset: off, start: bias });
  let folded = 0;
  const phases = g.strideH * g.strideW;
  const sums = new Float64Array(phases);
  const abs = new Float64Array(phases);
  for (let oc = 0; oc < outC; oc++) {
    sums.fill(0);
    abs.fill(0);
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) {
        const ph = (ky % g.strideH) * g.strideW + (kx % g.strideW);
        for (let ic = 0; ic < inC; ic++) {
          const v = w[((oc * kH + ky) * kW + kx) * inC + ic]!;
          sums[ph]! += v;
          abs[ph]! += Math.abs(v) * Math.max(-lo, hi);
        }
      }
    }
    for (let ph = 0; ph < phases; ph++) {
      const start = (sums[ph]! * off + (bias ? bias[oc]! : 0)) | 0;
      folded = Math.max(folded, Math.abs(start) + abs[ph]!);
    }
  }
  return int32Accumulator(Math.max(tflm, folded), tflm >= folded ? '|bias| + sum |w (x - z_in)|' : '|folded phase start| + sum |w x|');
}

/** The template fields transpose_conv.c.hbs and transpose_conv_int16.c.hbs share. */
export function transposeCView<P extends TransposeWindow>(p: P, ctx: LayerEmitContext) {
  const { mult, shift } = requantExprs(p, 'oc', (s, t, v) => ctx.addConst(s, t, v));
  return {
    ...p,
    fnName: ctx.fnName,
    input: ctx.input(INPUT),
    filter: ctx.input(FILTER),
    output: ctx.output(0),
    mult,
    shift,
    macs: p.batches * p.inH * p.inW * p.inC * p.outC * p.kH * p.kW,
  };
}

const transposeConv: OpDef<TransposeConvParams> = {
  kind: 'TRANSPOSE_CONV',
  dir: import.meta.dirname,

  check(graph, op) {
    const g = geometry(graph, op);
    const bias = optionalInput(graph, op, BIAS);
    requireInt8Activation(op, g.input, 'input');
    requireInt8Activation(op, g.output, 'output');
    const [outC] = g.filter.shape as [number, number, number, number];
    if (bias) requireBias(op, bias, outC);
    requireTransposeShapes(op, g);
  },

  prepare(graph, op) {
    const g = geometry(graph, op);
    const range = activationRange(g.activation, g.output);
    const ort = ortTransposeFloat(graph, op, g.input, g.filter, optionalInput(graph, op, BIAS), g.output);
    return {
      ...(ort ? { ort, onnxRuntime: true as const } : {}),
      ...transposeWindow(op, g),
      inputOffset: -g.input.quant!.zeroPoint[0]!,
      outputZeroPoint: g.output.quant!.zeroPoint[0]!,
      actMin: range.min,
      actMax: range.max,
      hasBias: optionalInput(graph, op, BIAS) !== undefined,
      ...transposeAccumulator(graph, op),
    };
  },

  macs(graph, op) {
    const input = graph.tensors[op.inputs[INPUT]!]!;
    const filter = graph.tensors[op.inputs[FILTER]!]!;
    return input.shape.reduce((n, d) => n * d, 1) * filter.shape[0]! * filter.shape[1]! * filter.shape[2]!;
  },

  evaluate(p, inputs, outputs) {
    const bias = inputs[BIAS] as Int32Array | undefined;
    const out = outputs[0] as Int8Array;
    if (p.ort) {
      evaluateOrtTransposeConv({ ...p, ort: p.ort }, inputs[INPUT] as Int8Array, inputs[FILTER] as Int8Array, bias, out);
      return;
    }
    const acc = new Int32Array(p.batches * p.outH * p.outW * p.outC);
    scatterTransposeConv(p, inputs[INPUT] as Int8Array, inputs[FILTER] as Int8Array, p.inputOffset, acc);
    for (let o = 0; o < acc.length; o++) {
      const oc = o % p.outC;
      const total = wrapInt32(acc[o]! + (bias ? bias[oc]! : 0));
      out[o] = clamp(mbqm(total, p.multiplier[oc]!, p.shift[oc]!) + p.outputZeroPoint, p.actMin, p.actMax);
    }
  },

  // the tuned CONV_2D kernels, one stride-1 convolution per output phase (phases.ts)
  variants: [transposeConvDspVariant, transposeConvM0plusVariant, transposeConvRv32Variant],

  emitC(p, ctx) {
    if (p.ort) {
      return emitOrtTransposeConv({ ...p, ort: p.ort }, ctx, {
        input: ctx.input(INPUT),
        filter: ctx.input(FILTER),
        bias: p.hasBias ? ctx.input(BIAS) : '',
        output: ctx.output(0),
      });
    }
    return ctx.render('transpose_conv.c.hbs', {
      ...transposeCView(p, ctx),
      bias: p.hasBias ? ctx.input(BIAS) : '',
      inputOffset: cTerm(p.inputOffset),
      outputZeroPoint: cTerm(p.outputZeroPoint),
      ...accumulatorC({ accWraps: p.accWraps ?? false, accBound: p.accBound ?? '' }),
    });
  },
};

// int16 activations (16x8) go to their own kernel in transpose_conv_int16.ts, float32 to transpose_conv_float.ts
export default withFloatVariant(withInt16Variant(transposeConv, transposeConvInt16, transposeInputIsInt16), transposeConvFloat, transposeInputIsFloat);
