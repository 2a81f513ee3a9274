// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV lowered from an ONNX ConvTranspose (attrs.arithmetic 'onnxruntime'): ONNX Runtime
 * has no quantized ConvTranspose kernel and fuses none, so it runs its float ConvTranspose between the
 * DequantizeLinear and QuantizeLinear nodes (CPU provider, MLAS), and this computes what that gives,
 * in float32 at every step:
 *
 * - x = fround(s_x (q - z_x)), w = fround(s_w[oc] q_w), the bias fround(fround(b) s_b[oc]);
 * - the column of each tap (oc, ky, kx) and input pixel: the sum over the input channels of w x,
 *   as MLAS's SGEMM takes it: a chain of fused multiply-adds from 0 (one rounding each), over blocks
 *   of `blockK` channels (MLAS's K stride, 128), the blocks added in order;
 * - col2im: each output cell starts at 0 and adds its taps' columns in filter order (ky, then kx);
 * - the bias added, then QuantizeLinear: / s_out, rounded half to even, + z_out, saturated.
 *
 * Checked against native ONNX Runtime over 1,650 random layers (input channels up to 160, 1x1
 * inputs, strides, pads, groups, per-channel weights): every output equal; and the float
 * ConvTranspose output itself (before QuantizeLinear), bit for bit, on 71,186 outputs of layers with
 * up to 400 input channels. One exception in float: an input of one pixel with several channels,
 * where MLAS's GEMM takes its one-column path and sums in another order, so the float result can
 * differ in its last bits (its quantized outputs equalled ORT's on all 239 such layers tried).
 * The emitted C takes the same steps; its fused multiply-add is exact without libm or an FMA
 * instruction (`fmaF32`'s round-to-odd in double), so every target gives the same bytes.
 */
import type { ConvWindowParams } from '../common/families/conv_geometry.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { f32 } from '../common/numerics/fixedpoint.ts';
import { fmaF32 } from '../common/numerics/ort_lookup.ts';
import { f32Bits, opArithmetic, roundHalfEven } from '../common/numerics/requant_f32.ts';
import type { LayerEmitContext } from '../op.ts';
import { cTerm } from '../common/families/weighted.ts';

/** What the float path needs beyond the window (scales as float32). */
export interface OrtTransposeFloat {
  inputScale: number;
  /** per output channel */
  weightScales: number[];
  /** per output channel; empty without a bias */
  biasScales: number[];
  outputScale: number;
  /** MLAS's K stride for this layer's GEMM */
  blockK: number;
}

const SGEMM_STRIDE = 128;

/**
 * MlasSgemmOperation's K stride: 128 (it halves while K fits half of it, which leaves K in one
 * block). ORT's filter here is the DequantizeLinear's output, computed at run time, so ConvTranspose
 * cannot prepack (transpose) it: the GEMM takes A transposed, and the stride does not widen for few
 * columns as it does for a prepacked A.
 */
export function mlasBlockK(k: number, n: number): number {
  let strideN = SGEMM_STRIDE;
  let strideK = SGEMM_STRIDE;
  if (n >= k) {
    while (strideK / 2 >= k) {
      strideN *= 2;
      strideK /= 2;
    }
  }
  return strideK;
}

/** The float path's parameters, for a layer that must match ONNX Runtime; else undefined. */
export function ortTransposeFloat(
  graph: Graph,
  op: Op,
  input: Tensor,
  filter: Tensor,
  bias: Tensor | undefined,
  output: Tensor,
): OrtTransposeFloat | undefined {
  if (opArithmetic(op.attrs) !== 'onnxruntime' || input.dtype !== 'int8') return undefined;
  const [outC, , , inC] = filter.shape as [number, number, number, number];
  const ws = filter.quant!.scale;
  const [, inH, inW] = input.shape as [number, number, number, number];
  void graph;
  return {
    inputScale: f32(input.quant!.scale[0]!),
    weightScales: Array.from({ length: outC }, (_, c) => f32(ws.length === 1 ? ws[0]! : ws[c]!)),
    biasScales: bias ? Array.from({ length: outC }, (_, c) => f32(bias.quant!.scale.length === 1 ? bias.quant!.scale[0]! : bias.quant!.scale[c]!)) : [],
    outputScale: f32(output.quant!.scale[0]!),
    blockK: mlasBlockK(inC, inH * inW),
  };
}

/** The layer's window (no dilation: ConvTranspose's taps are the filter's) and its quantized edges. */
type Window = Omit<ConvWindowParams, 'dilationH' | 'dilationW'> & {
  inputOffset: number;
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
};

/** The reference: ONNX Runtime's float ConvTranspose and QuantizeLinear, gathered per output cell (NHWC, OHWI). */
export function evaluateOrtTransposeConv(
  p: Window & { ort: OrtTransposeFloat },
  x: Int8Array,
  w: Int8Array,
  bias: Int32Array | undefined,
  out: Int8Array,
): void {
  const { ort } = p;
  const low = -128 - p.outputZeroPoint;
  const high = 127 - p.outputZeroPoint;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        for (let oc = 0; oc < p.outC; oc++) {
          const sw = ort.weightScales[oc]!;
          let y = 0;
          for (let ky = (oy + p.padTop) % p.strideH; ky < p.kH; ky += p.strideH) {
            const iy = (oy + p.padTop - ky) / p.strideH;
            if (iy < 0) break;
            if (iy >= p.inH) continue;
            for (let kx = (ox + p.padLeft) % p.strideW; kx < p.kW; kx += p.strideW) {
              const ix = (ox + p.padLeft - kx) / p.strideW;
              if (ix < 0) break;
              if (ix >= p.inW) continue;
              const px = ((b * p.inH + iy) * p.inW + ix) * p.inC;
              const pw = ((oc * p.kH + ky) * p.kW + kx) * p.inC;
              let col = 0;
              for (let ic0 = 0; ic0 < p.inC; ic0 += ort.blockK) {
                let acc = 0;
                const end = Math.min(p.inC, ic0 + ort.blockK);
                for (let ic = ic0; ic < end; ic++) acc = fmaF32(f32(sw * w[pw + ic]!), f32(ort.inputScale * (x[px + ic]! + p.inputOffset)), acc);
                col = ic0 === 0 ? acc : f32(col + acc);
              }
              y = f32(y + col);
            }
          }
          if (bias) y = f32(y + f32(f32(bias[oc]!) * ort.biasScales[oc]!));
          const v = Math.min(Math.max(f32(y / ort.outputScale), low), high);
          const q = roundHalfEven(v) + p.outputZeroPoint;
          out[o++] = Math.min(Math.max(q, p.actMin), p.actMax);
        }
      }
    }
  }
}

/** The portable C of the float path (the families' phase kernels compute TFLite's fixed point). */
export function emitOrtTransposeConv(
  p: Window & { ort: OrtTransposeFloat; hasBias: boolean },
  ctx: LayerEmitContext,
  names: { input: string; filter: string; bias: string; output: string },
): string {
  const { ort } = p;
  const bits = (v: number) => `tf_f32_from_bits(${f32Bits(v)})`;
  const sameScale = ort.weightScales.every((s) => s === ort.weightScales[0]);
  const wScale = sameScale ? bits(ort.weightScales[0]!) : `tf_f32_from_bits(${ctx.addConst('ort_wscale', 'int32_t', ort.weightScales.map(f32Bits))}[oc])`;
  const bScale = p.hasBias ? `tf_f32_from_bits(${ctx.addConst('ort_bscale', 'int32_t', ort.biasScales.map(f32Bits))}[oc])` : '';
  const fma = `${ctx.fnName}_fma`;
  const macs = p.batches * p.inH * p.inW * p.inC * p.outC * p.kH * p.kW;
  return `/* TRANSPOSE_CONV int8 [${p.batches}x${p.inH}x${p.inW}x${p.inC}] -> [${p.batches}x${p.outH}x${p.outW}x${p.outC}], filter ${p.outC}x${p.kH}x${p.kW}x${p.inC},
 * stride ${p.strideH}x${p.strideW}, padding top ${p.padTop} left ${p.padLeft}, ${macs} MACs, as ONNX Runtime's float ConvTranspose
 * between DequantizeLinear and QuantizeLinear (MLAS, float32 at every step): x and w dequantized; per tap and input
 * pixel a chain of fused multiply-adds from 0 over the input channels, in blocks of ${ort.blockK} added in order (SGEMM);
 * an output cell's taps added from 0 in filter order (col2im); + bias; / s_out, rounded half to even, + zero point. */

/* fmaf(a, b, c), rounded once without libm or an FMA unit: the product is exact in double, the double sum is
 * rounded to odd (its rounding error, exact by the two-sum, moves an even last bit one ulp toward the exact sum),
 * and a round-to-odd double rounds to float as the exact sum does. */
static float ${fma}(float a, float b, float c) {
  const double p = (double)a * (double)b;
  union {
    double d;
    uint64_t u;
  } s;
  double cp, e;
  s.d = p + (double)c;
  cp = s.d - p;
  e = (p - (s.d - cp)) + ((double)c - cp);
  if (e != 0.0 && (s.u & 1u) == 0u) {
    if ((e > 0.0) == (s.d > 0.0)) ++s.u;
    else --s.u;
  }
  return (float)s.d;
}

static void ${ctx.fnName}(void) {
  const int8_t *in = ${names.input};
  const int8_t *w = ${names.filter};
${p.hasBias ? `  const int32_t *bias = ${names.bias};\n` : ''}  int8_t *out = ${names.output};
  const float sx = ${bits(ort.inputScale)}, sy = ${bits(ort.outputScale)};
  const float low = (float)(${-128 - p.outputZeroPoint}), high = (float)(${127 - p.outputZeroPoint});
  int b, oy, ox, oc, ky, kx, ic, ic0;
  for (b = 0; b < ${p.batches}; ++b) {
    for (oy = 0; oy < ${p.outH}; ++oy) {
      for (ox = 0; ox < ${p.outW}; ++ox) {
        for (oc = 0; oc < ${p.outC}; ++oc) {
          const float sw = ${wScale};
          float y = 0.0f;
          int32_t q;
          for (ky = (oy + ${p.padTop}) % ${p.strideH}; ky < ${p.kH}; ky += ${p.strideH}) {
            const int iy = (oy + ${p.padTop} - ky) / ${p.strideH};
            if (iy < 0) break;
            if (iy >= ${p.inH}) continue;
            for (kx = (ox + ${p.padLeft}) % ${p.strideW}; kx < ${p.kW}; kx += ${p.strideW}) {
              const int ix = (ox + ${p.padLeft} - kx) / ${p.strideW};
              const int8_t *px;
              const int8_t *pw;
              float col = 0.0f;
              if (ix < 0) break;
              if (ix >= ${p.inW}) continue;
              px = in + ((b * ${p.inH} + iy) * ${p.inW} + ix) * ${p.inC};
              pw = w + ((oc * ${p.kH} + ky) * ${p.kW} + kx) * ${p.inC};
              for (ic0 = 0; ic0 < ${p.inC}; ic0 += ${ort.blockK}) {
                const int end = ic0 + ${ort.blockK} < ${p.inC} ? ic0 + ${ort.blockK} : ${p.inC};
                float acc = 0.0f;
                for (ic = ic0; ic < end; ++ic) {
                  const float wf = sw * (float)pw[ic];
                  const float xf = sx * (float)((int32_t)px[ic] ${cTerm(p.inputOffset)});
                  acc = ${fma}(wf, xf, acc);
                }
                col = ic0 == 0 ? acc : col + acc;
              }
              y = y + col;
            }
          }
${p.hasBias ? `          y = y + (float)bias[oc] * ${bScale};\n` : ''}          y = y / sy;
          if (!(y >= low)) y = low;
          if (y > high) y = high;
          q = tf_round_half_even_f32(y) + ${p.outputZeroPoint};
          *out++ = (int8_t)tf_clamp(q, ${p.actMin}, ${p.actMax});
        }
      }
    }
  }
}
`;
}
