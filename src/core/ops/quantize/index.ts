// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type DType, type Tensor, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { f32Bits, opArithmetic, roundHalfEven } from '../common/numerics/requant_f32.ts';
import { clamp, f32, mbqm, quantizeMultiplier, quantizeMultiplierUnchecked, roundHalfAway, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { type PerChannelParams, allowsPerChannel, perChannelParams } from '../common/numerics/per_channel.ts';
import { floatLiteral } from '../common/render.ts';
import { quantizeM0plusVariant } from './m0plus.ts';

export type QuantizeParams =
  | {
      mode: 'float';
      count: number;
      outType: DType;
      scale: number;
      zeroPoint: number;
      outMin: number;
      outMax: number;
      /** ONNX Runtime's QuantizeLinear (attrs.arithmetic 'onnxruntime'): halves round to even, not away from zero */
      halfEven?: boolean;
      /** ONNX's per-axis QuantizeLinear: one scale and zero point per channel (`scale`, `zeroPoint` are channel 0's) */
      perChannel?: PerChannelParams;
    }
  | {
      /**
       * ONNX Runtime's DequantizeLinear then QuantizeLinear (attrs.arithmetic 'onnxruntime', 8-bit):
       * y = rint(fround(fround(sx * (q - zx)) / sy)) + zy, halves to even, saturated
       */
      mode: 'ortRequantize';
      count: number;
      inType: DType;
      outType: DType;
      sx: number;
      zx: number;
      sy: number;
      zy: number;
      outMin: number;
      outMax: number;
      halfEven: true;
    }
  | {
      mode: 'requantize';
      count: number;
      inType: DType;
      outType: DType;
      inputZeroPoint: number;
      outputZeroPoint: number;
      multiplier: number;
      shift: number;
      outMin: number;
      outMax: number;
    };

const RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};
/** beyond this a float rounds to the same clamped int8/int16 value; keeps the C cast defined */
const FLOAT_LIMIT = 1e6;

/**
 * QUANTIZE: float32 -> int8/int16 (TFLite's AffineQuantize: round(x / s) in float32, half away from
 * zero, plus the zero point, clamped) or int8/int16 -> int8/int16 (TFLite's Requantize with the
 * multiplier s_in / s_out computed in double). Requantize also runs int8/int16 -> int32 and int32 ->
 * int8/int16 (TFLite Micro's quantize Eval has those cases, not float32 <-> int32 nor int32 -> int32);
 * with int32 tensors the zero-point arithmetic wraps as TFLite's int32 arithmetic does on the device.
 * uint8 appears only at a model's edges, as image models from model zoos ship: uint8 -> int8 in front of
 * the first layer and int8 -> uint8 after the last, the only uint8 pairs TFLite Micro runs (equal scales
 * and zero points 128 apart make it a flip of the top bit; the multiplier path gives the same bytes).
 */
const quantize: OpDef<QuantizeParams> = {
  kind: 'QUANTIZE',
  dir: import.meta.dirname,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    if (!RANGE[output.dtype])
      throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; only int8, uint8, int16 and int32 are supported`);
    const perChannel = input.dtype === 'float32' && allowsPerChannel(op.attrs, output);
    if (!perChannel) requirePerTensor(op.index, op.kind, output, 'output');
    if (input.dtype !== 'float32') {
      if (!RANGE[input.dtype])
        throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; only float32, int8, uint8, int16 and int32 are supported`);
      requirePerTensor(op.index, op.kind, input, 'input');
      // s_in / s_out of 2^31 or more: TFLite Micro's MultiplyByQuantizedMultiplier would shift an
      // int32 left by 32 or more (undefined behaviour; its result depends on the hardware)
      if (input.quant && output.quant && quantizeMultiplierUnchecked(f32(input.quant.scale[0]!) / f32(output.quant.scale[0]!)).shift > 31) {
        throw new OpError(
          op.index,
          op.kind,
          `input scale ${input.quant.scale[0]} / output scale ${output.quant.scale[0]} is 2^31 or more: TFLite's requantization is undefined there`,
        );
      }
    }
    // TFLite Micro's quantize Eval pairs uint8 with int8 only, both ways
    if (input.dtype === 'uint8' && output.dtype !== 'int8')
      throw new OpError(op.index, op.kind, `uint8 -> ${output.dtype} is not a QUANTIZE TFLite Micro runs (uint8 inputs go to int8)`);
    // ONNX's QuantizeLinear gives uint8 from float directly
    if (output.dtype === 'uint8' && input.dtype !== 'int8' && !(input.dtype === 'float32' && opArithmetic(op.attrs) === 'onnxruntime'))
      throw new OpError(op.index, op.kind, `${input.dtype} -> uint8 is not a QUANTIZE TFLite Micro runs (uint8 outputs come from int8)`);
    if (output.dtype === 'int32' && (input.dtype === 'float32' || input.dtype === 'int32')) {
      throw new OpError(op.index, op.kind, `${input.dtype} -> int32 is not a QUANTIZE TFLite Micro runs (int32 outputs come from int8 or int16)`);
    }
    if (elementCount(input.shape) !== elementCount(output.shape)) {
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(input)} [${input.shape.join(',')}] and output ${tensorLabel(output)} [${output.shape.join(',')}] differ in size`,
      );
    }
  },

  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const [outMin, outMax] = RANGE[output.dtype]!;
    const count = elementCount(output.shape);
    const outScale = f32(output.quant!.scale[0]!);
    const outZero = output.quant!.zeroPoint[0]!;
    if (input.dtype === 'float32') {
      const halfEven = opArithmetic(op.attrs) === 'onnxruntime';
      const perChannel = allowsPerChannel(op.attrs, output) ? { perChannel: perChannelParams(output) } : {};
      return {
        mode: 'float',
        count,
        outType: output.dtype,
        scale: outScale,
        zeroPoint: outZero,
        outMin,
        outMax,
        ...(halfEven ? { halfEven } : {}),
        ...perChannel,
      };
    }
    if (opArithmetic(op.attrs) === 'onnxruntime' && NARROW_8.has(input.dtype) && NARROW_8.has(output.dtype)) {
      return {
        mode: 'ortRequantize',
        count,
        inType: input.dtype,
        outType: output.dtype,
        sx: f32(input.quant!.scale[0]!),
        zx: input.quant!.zeroPoint[0]!,
        sy: outScale,
        zy: outZero,
        outMin,
        outMax,
        halfEven: true,
      };
    }
    const { multiplier, shift } = quantizeMultiplier(f32(input.quant!.scale[0]!) / outScale);
    return {
      mode: 'requantize',
      count,
      inType: input.dtype,
      outType: output.dtype,
      inputZeroPoint: input.quant!.zeroPoint[0]!,
      outputZeroPoint: outZero,
      multiplier,
      shift,
      outMin,
      outMax,
    };
  },

  macs(graph, op) {
    return elementCount(graph.tensors[op.outputs[0]!]!.shape);
  },

  // element i is read before it is written, and an output element no wider than the input's never
  // reaches an input element not yet read: in place (the uint8 image and its int8 copy at a model's
  // edge share one buffer)
  overlap: (p) => (DTYPE_BYTES[p.outType] <= DTYPE_BYTES[p.mode === 'float' ? 'float32' : p.inType] ? { input: 0, gap: 0 } : undefined),

  evaluate(p, inputs, outputs) {
    const out = outputs[0] as Int8Array | Uint8Array | Int16Array | Int32Array;
    if (p.mode === 'float') {
      const input = inputs[0] as Float32Array;
      const pc = p.perChannel;
      for (let i = 0; i < p.count; i++) {
        const c = pc ? Math.floor(i / pc.inner) % pc.scales.length : 0;
        const [scale, zeroPoint] = pc ? [pc.scales[c]!, pc.zeroPoints[c]!] : [p.scale, p.zeroPoint];
        out[i] = clamp(quantizeFloat(input[i]!, scale, p.halfEven) + zeroPoint, p.outMin, p.outMax);
      }
    } else if (p.mode === 'ortRequantize') {
      const input = inputs[0] as Int8Array | Uint8Array;
      for (let i = 0; i < p.count; i++) out[i] = ortRequantize(input[i]!, p);
    } else {
      const input = inputs[0] as Int8Array | Uint8Array | Int16Array | Int32Array;
      for (let i = 0; i < p.count; i++) {
        out[i] = clamp(wrapInt32(mbqm(input[i]! - p.inputZeroPoint, p.multiplier, p.shift) + p.outputZeroPoint), p.outMin, p.outMax);
      }
    }
  },

  emitC(p, ctx) {
    const view = {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      outCType: DTYPE_C[p.outType],
      shape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
      outMinLiteral: p.outMin === -32768 ? '(-32767 - 1)' : p.outMin === -2147483648 ? '(-2147483647 - 1)' : String(p.outMin),
    };
    if (p.mode === 'float') {
      const pc = p.perChannel;
      const channels = pc
        ? {
            channelCount: pc.scales.length,
            inner: pc.inner,
            outer: p.count / (pc.inner * pc.scales.length),
            scaleList: pc.scales.map(floatLiteral).join(', '),
            zeroPointList: pc.zeroPoints.join(', '),
          }
        : {};
      return ctx.render('quantize_float.c.hbs', { ...view, ...channels, scaleLiteral: floatLiteral(p.scale), limit: `${FLOAT_LIMIT}.0f` });
    }
    if (p.mode === 'ortRequantize') {
      const inC = DTYPE_C[p.inType];
      return `/* QUANTIZE ${inC} -> ${view.outCType} [${view.shape}] as ONNX Runtime's DequantizeLinear then QuantizeLinear: fround(sx * (q - ${p.zx}))
 * / sy in float32 (sx = ${p.sx}, sy = ${p.sy}), clamped, rounded half to even, + ${p.zy} (requant_f32.h) */
static void ${ctx.fnName}(void) {
  const ${inC} *in = ${view.input};
  ${view.outCType} *out = ${view.output};
  const float sx = tf_f32_from_bits(${f32Bits(p.sx)}), sy = tf_f32_from_bits(${f32Bits(p.sy)});
  uint32_t i;
  for (i = 0; i < ${p.count}u; ++i) {
    float v = sx * (float)((int32_t)in[i] - (${p.zx})) / sy;
    if (!(v >= ${p.outMin - p.zy}.0f)) v = ${p.outMin - p.zy}.0f;
    if (v > ${p.outMax - p.zy}.0f) v = ${p.outMax - p.zy}.0f;
    out[i] = (${view.outCType})(tf_round_half_even_f32(v) + (${p.zy}));
  }
}
`;
    }
    return ctx.render('requantize.c.hbs', { ...view, inCType: DTYPE_C[p.inType] });
  },
  variants: [quantizeM0plusVariant],
};

/** ONNX Runtime's DequantizeLinear then QuantizeLinear of one stored value. */
export function ortRequantize(q: number, p: { sx: number; zx: number; sy: number; zy: number; outMin: number; outMax: number }): number {
  const real = f32(p.sx * (q - p.zx));
  // clamped before rounding (an integer bound: the same as after), so that the rounding stays in range
  return roundHalfEven(Math.min(Math.max(f32(real / p.sy), p.outMin - p.zy), p.outMax - p.zy)) + p.zy;
}

const NARROW_8 = new Set<DType>(['int8', 'uint8']);

/**
 * round(x / s) as TFLite computes it in float32. NaN becomes 0 (what the Arm float-to-int conversion
 * gives, where TFLite leaves it undefined); values past +-1e6 saturate, as they would after clamping.
 */
export function quantizeFloat(x: number, scale: number, halfEven = false): number {
  const v = f32(f32(x) / scale);
  if (Number.isNaN(v)) return 0;
  const limited = Math.min(FLOAT_LIMIT, Math.max(-FLOAT_LIMIT, v));
  // ONNX Runtime's MlasQuantizeLinear divides the same way and rounds half to even
  return halfEven ? roundHalfEven(limited) : roundHalfAway(limited);
}

function requirePerTensor(opIndex: number, kind: string, t: Tensor, role: string): void {
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new OpError(opIndex, kind, `${role} ${tensorLabel(t)} has no quantization parameters`);
  if (q.scale.length !== 1) throw new OpError(opIndex, kind, `${role} ${tensorLabel(t)} is quantized per channel; only per-tensor is supported`);
  if (!(q.scale[0]! > 0)) throw new OpError(opIndex, kind, `${role} ${tensorLabel(t)} has scale ${q.scale[0]}; it must be positive`);
}

export default quantize;
