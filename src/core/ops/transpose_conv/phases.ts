// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV as stride-1 CONV_2D layers, one per output phase, run by each family's tuned
 * convolution kernels (Arm DSP, Armv6-M, RV32).
 *
 * Output row oy takes the taps ky with t = oy + padTop - ky on the stride grid, from input row t / sH.
 * Writing oy + padTop = sH q + r (r < sH), the taps are ky = r + sH m (m = 0 .. M_r - 1,
 * M_r = ceil((kH - r) / sH)) and read input rows q - m: every output row of residue r is a forward
 * correlation, stride 1, of the input with the sub-kernel k'[j] = w[r + sH (M_r - 1 - j)], whose
 * window for output q starts at input row q - (M_r - 1). The same holds for columns. So the layer
 * splits into sH x sW phases, each a CONV_2D with an M_r x M_c kernel, stride 1, padding
 * M_r - 1 - q_min (q_min the first q whose oy is in the output), writing every sH-th row and sW-th
 * column of the output. A phase with no taps (kH < sH) is the bias alone: a constant per channel.
 *
 * Exactness: each output element is the same int32 sum of w * (x - z_in) terms plus the bias as
 * TFLite Micro's scatter into its int32 scratch (addition modulo 2^32 is associative), requantized
 * with the same per-channel multiplier and shift, which the CONV_2D kernels reproduce exactly. Padded
 * taps of the phase convolutions contribute nothing, as taps TFLite Micro skips.
 *
 * Each phase writes its output pixels to a scratch buffer; a copy spreads them over the output grid.
 * At stride 1 the single phase writes the output directly.
 */
import { join } from 'node:path';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import type { IsaFamily, KernelVariant, LayerEmitContext, VariantFacts } from '../op.ts';
import { portableVariant } from '../variant.ts';
import { renderOpTemplate } from '../common/render.ts';
import { clamp, mbqm, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import conv2d, { type Conv2DParams } from '../conv_2d/index.ts';
import { isPointwise } from '../common/families/conv_geometry.ts';
import type { TransposeConvParams } from './index.ts';
import { layerText } from '../layer_code.ts';

const FILTER = 1;
const BIAS = 3;
const INPUT = 2;

/** One axis of one phase: residue r, the sub-kernel's taps, the first q, the output count. */
interface AxisPhase {
  r: number;
  taps: number;
  qMin: number;
  count: number;
}

function axisPhases(out: number, pad: number, k: number, stride: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < stride; r++) {
    const taps = Math.max(0, Math.ceil((k - r) / stride));
    // oy = stride q + r - pad in [0, out)
    const qMin = Math.ceil((pad - r) / stride);
    const qMax = Math.floor((out - 1 + pad - r) / stride);
    phases.push({ r, taps, qMin, count: Math.max(0, qMax - qMin + 1) });
  }
  return phases;
}

interface Phase {
  y: AxisPhase;
  x: AxisPhase;
  /** the phase's CONV_2D; undefined when it has no taps (bias only) */
  conv?: Conv2DParams;
  /** zero-weight taps before the sub-kernel's rows and columns (negative padding), after its columns (asConvolution) */
  leadY: number;
  leadX: number;
}

/**
 * A 1x1 phase reads its input pixel by pixel, as CONV_2D's kernels run a 1x1 stride-1 layer (a matrix
 * product over pixels): right when the phase covers the input exactly. With fewer output rows than
 * input rows (one image) the phase reads the first rows only: the input is cut to them. Otherwise a
 * zero-weight tap after each row's one (reading the next column, or padding) makes it a 1x2
 * convolution, whose kernels follow any geometry: the extra products are zero, the sums unchanged.
 */
function asConvolution(c: Conv2DParams): Conv2DParams {
  if (!isPointwise(c) || (c.outH === c.inH && c.outW === c.inW)) return c;
  if (c.outW === c.inW && c.outH < c.inH && c.batches === 1) return { ...c, inH: c.outH };
  return { ...c, kW: 2 };
}

function phasesOf(p: TransposeConvParams): Phase[] {
  const list: Phase[] = [];
  for (const y of axisPhases(p.outH, p.padTop, p.kH, p.strideH)) {
    for (const x of axisPhases(p.outW, p.padLeft, p.kW, p.strideW)) {
      if (y.count === 0 || x.count === 0) continue;
      const conv: Conv2DParams | undefined =
        y.taps === 0 || x.taps === 0
          ? undefined
          : {
              batches: p.batches,
              inH: p.inH,
              inW: p.inW,
              inC: p.inC,
              outH: y.count,
              outW: x.count,
              outC: p.outC,
              kH: y.taps,
              kW: x.taps,
              strideH: 1,
              strideW: 1,
              dilationH: 1,
              dilationW: 1,
              padTop: y.taps - 1 - y.qMin,
              padLeft: x.taps - 1 - x.qMin,
              filterInC: p.inC,
              groups: 1,
              inputOffset: p.inputOffset,
              outputZeroPoint: p.outputZeroPoint,
              actMin: p.actMin,
              actMax: p.actMax,
              hasBias: p.hasBias,
              multiplier: p.multiplier,
              shift: p.shift,
              // the layer's bound covers every phase's sums (index.ts); a wrapping layer takes no phase kernel
              accWraps: false,
              accBound: p.accBound,
            };
      // a window starting after the input's first row (column) starts at it, behind zero-weight taps
      const leadY = conv ? Math.max(0, -conv.padTop) : 0;
      const leadX = conv ? Math.max(0, -conv.padLeft) : 0;
      const led = conv && { ...conv, kH: conv.kH + leadY, kW: conv.kW + leadX, padTop: conv.padTop + leadY, padLeft: conv.padLeft + leadX };
      list.push({ y, x, conv: led && asConvolution(led), leadY, leadX });
    }
  }
  return list;
}

/** Whether every phase is a convolution the CONV_2D kernels take (always, after asConvolution: checked). */
export function phasesApply(p: TransposeConvParams): boolean {
  // ONNX Runtime's float ConvTranspose runs in the portable C (ort_float.ts)
  if (p.ort) return false;
  return phasesOf(p).every(({ conv: c }) => !c || (c.padTop >= 0 && c.padLeft >= 0 && (!isPointwise(c) || (c.outH === c.inH && c.outW === c.inW))));
}

/**
 * The facts a phase's CONV_2D kernel is chosen with: by family alone, no core. The forms tuned to one
 * core's timings (conv's row-band runs) need the core and are not taken in phases, whose scratch is
 * sized before any target is known.
 */
const PHASE_FACTS: VariantFacts = { isa: undefined, prefer: 'speed' };

/** The family's CONV_2D kernel for a phase: the one CONV_2D itself would run. */
function convVariantFor(c: Conv2DParams, family: IsaFamily): KernelVariant<Conv2DParams> {
  return conv2d.variants?.find((v) => v.family === family && v.applies(c, PHASE_FACTS)) ?? portableVariant(conv2d);
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** Phase outputs go first in the scratch (none at stride 1); the convolution kernels' scratch after them. */
function phaseBufferBytes(p: TransposeConvParams): number {
  if (p.strideH === 1 && p.strideW === 1) return 0;
  return align16(Math.max(0, ...phasesOf(p).map((ph) => p.batches * ph.y.count * ph.x.count * p.outC)));
}

function scratchFor(p: TransposeConvParams, family: IsaFamily): number {
  const convScratch = Math.max(0, ...phasesOf(p).map(({ conv: c }) => (c ? (convVariantFor(c, family).scratchBytes?.(c, PHASE_FACTS) ?? 0) : 0)));
  return phaseBufferBytes(p) + convScratch;
}

/** The phase's filter OHWI [outC][taps_y][taps_x][inC]: the taps of its residues, reversed. */
function phaseFilter(p: TransposeConvParams, w: Int8Array, ph: Phase): Int8Array {
  const ty = ph.y.taps;
  const tx = ph.x.taps;
  const { kH: rows, kW: rowTaps } = ph.conv!;
  const out = new Int8Array(p.outC * rows * rowTaps * p.inC);
  for (let oc = 0; oc < p.outC; oc++) {
    for (let jy = 0; jy < ty; jy++) {
      const ky = ph.y.r + p.strideH * (ty - 1 - jy);
      for (let jx = 0; jx < tx; jx++) {
        const kx = ph.x.r + p.strideW * (tx - 1 - jx);
        const from = ((oc * p.kH + ky) * p.kW + kx) * p.inC;
        out.set(w.subarray(from, from + p.inC), ((oc * rows + ph.leadY + jy) * rowTaps + ph.leadX + jx) * p.inC);
      }
    }
  }
  return out;
}

/**
 * The layer's context for one phase's CONV_2D: a small graph holding the phase's filter and bias
 * (which the CONV_2D emitters read as constants), templates from CONV_2D's folder, constants and
 * the function named per phase, the output and scratch inside this layer's scratch.
 */
function phaseContext(
  ctx: LayerEmitContext,
  index: number,
  filter: Int8Array,
  bias: Int32Array | undefined,
  output: () => string,
  scratch: () => string,
): LayerEmitContext {
  const tensor = (i: number, name: string, shape: number[], dtype: Tensor['dtype'], data?: ArrayLike<number>): Tensor => ({
    index: i,
    name,
    shape,
    dtype,
    data: data ? new Uint8Array((dtype === 'int8' ? Int8Array.from(data) : Int32Array.from(data)).buffer) : undefined,
  });
  const tensors = [tensor(0, 'input', [], 'int8'), tensor(1, 'filter', [filter.length], 'int8', filter)];
  if (bias) tensors.push(tensor(2, 'bias', [bias.length], 'int32', bias));
  const op: Op = { index: ctx.op.index, kind: 'CONV_2D', inputs: bias ? [0, 1, 2] : [0, 1], outputs: [], attrs: {} };
  const graph: Graph = { name: ctx.graph.name, tensors, ops: [op], inputs: [0], outputs: [] };
  const convDir = join(import.meta.dirname, '..', 'conv_2d');
  const tag = `p${index}_`;
  const consts = new Map<number, string>();
  const constOf = (i: number, make: () => string) => consts.get(i) ?? (consts.set(i, make()), consts.get(i)!);
  return Object.assign(Object.create(ctx) as LayerEmitContext, {
    graph,
    op,
    fnName: `${ctx.fnName}_${tag.slice(0, -1)}`,
    input: (i: number) => {
      if (i === 0) return ctx.input(INPUT);
      if (i === 1) return constOf(1, () => ctx.addConst(`${tag}filter`, 'int8_t', filter));
      if (i === 2 && bias) return constOf(2, () => ctx.addConst(`${tag}bias`, 'int32_t', bias));
      throw new Error(`internal: transpose conv phase has no input ${i}`);
    },
    output,
    scratch,
    addConst: (suffix: string, ctype: 'int8_t' | 'int16_t' | 'int32_t' | 'uint8_t', values: ArrayLike<number>, align?: 16) =>
      ctx.addConst(`${tag}${suffix}`, ctype, values, align),
    render: (file: string, view: object) => renderOpTemplate(convDir, file, view),
  });
}

function emitPhases(p: TransposeConvParams, ctx: LayerEmitContext, family: IsaFamily): string {
  const w = constInt8(ctx.graph.tensors[ctx.op.inputs[FILTER]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[BIAS]!]!) : undefined;
  const buffered = phaseBufferBytes(p) > 0;
  // asked lazily: a layer whose kernels need no scratch declared none
  const phaseOut = () => `((int8_t *)${ctx.scratch()})`;
  const convScratch = () => (buffered ? `(${ctx.scratch()} + ${phaseBufferBytes(p)})` : ctx.scratch());
  const parts: string[] = [];
  const body: string[] = [];
  phasesOf(p).forEach((ph, i) => {
    const oy0 = p.strideH * ph.y.qMin + ph.y.r - p.padTop;
    const ox0 = p.strideW * ph.x.qMin + ph.x.r - p.padLeft;
    const spread = (source: string, pixelStep: number, what: string) =>
      `  /* phase ${i} (rows ${oy0}, ${oy0 + p.strideH}, ... columns ${ox0}, ${ox0 + p.strideW}, ...): ${what} */\n` +
      `  tf_tconv_spread(${source}, ${pixelStep}, ${ctx.output(0)} + (${oy0} * ${p.outW} + ${ox0}) * ${p.outC}, ${p.batches}, ${ph.y.count}, ${ph.x.count}, ` +
      `${p.strideH * p.outW * p.outC}, ${p.strideW * p.outC}, ${p.outH * p.outW * p.outC}, ${p.outC});`;
    if (!ph.conv) {
      // no tap reaches these outputs: requantized bias, the same for every pixel
      const values = Array.from({ length: p.outC }, (_, oc) =>
        clamp(mbqm(wrapInt32(bias ? bias[oc]! : 0), p.multiplier[oc]!, p.shift[oc]!) + p.outputZeroPoint, p.actMin, p.actMax),
      );
      body.push(spread(ctx.addConst(`p${i}_const`, 'int8_t', values), 0, 'no taps, the requantized bias'));
      return;
    }
    const c = ph.conv;
    const variant = convVariantFor(c, family);
    const sub = phaseContext(ctx, i, phaseFilter(p, w, ph), bias, buffered ? phaseOut : () => ctx.output(0), convScratch);
    parts.push(layerText(variant.emit(c, sub)));
    body.push(`  ${sub.fnName}();`);
    if (buffered) body.push(spread(phaseOut(), p.outC, `${c.kH}x${c.kW} taps, ${variant.name}`));
  });
  if (body.some((line) => line.includes('tf_tconv_spread'))) ctx.defineOnce('tf_tconv_spread', SPREAD);
  const macs = p.batches * p.inH * p.inW * p.inC * p.outC * p.kH * p.kW;
  return `${parts.join('\n')}
/* TRANSPOSE_CONV int8 [${p.batches}x${p.inH}x${p.inW}x${p.inC}] -> [${p.batches}x${p.outH}x${p.outW}x${p.outC}], filter ${p.outC}x${p.kH}x${p.kW}x${p.inC},
 * stride ${p.strideH}x${p.strideW}, padding top ${p.padTop} left ${p.padLeft}, ${macs} MACs: ${p.strideH * p.strideW} stride-1 convolutions, one per output phase */
static void ${ctx.fnName}(void) {
${body.join('\n')}
}
`;
}

const SPREAD = `/* TRANSPOSE_CONV phases: copies a phase's pixels (out_c bytes each, source pixels pixel_step apart)
 * to every row_step-th row and col_step-th column of the output */
static void tf_tconv_spread(const int8_t *src, int pixel_step, int8_t *dst, int batches, int rows, int cols, int row_step, int col_step, int batch_step, int out_c) {
  int b, y, x, c;
  for (b = 0; b < batches; ++b) {
    for (y = 0; y < rows; ++y) {
      int8_t *d = dst + b * batch_step + y * row_step;
      for (x = 0; x < cols; ++x) {
        for (c = 0; c < out_c; ++c) d[c] = src[c];
        src += pixel_step;
        d += col_step;
      }
    }
  }
}
`;

function phaseVariant(family: IsaFamily, name: string): KernelVariant<TransposeConvParams> {
  // phases never carry a palette (their filters are re-cut from the transpose filter), so not palette.h
  const cFiles = [...new Set((conv2d.variants ?? []).filter((v) => v.family === family && !v.name.endsWith('palette')).flatMap((v) => v.cFiles ?? []))];
  return {
    name,
    family,
    applies: phasesApply,
    scratchBytes: (p) => scratchFor(p, family),
    emit: (p, ctx) => emitPhases(p, ctx, family),
    cFiles,
  };
}

export const transposeConvDspVariant = phaseVariant('arm-dsp', 'arm-dsp phases');
export const transposeConvM0plusVariant = phaseVariant('armv6m', 'armv6m phases');
export const transposeConvRv32Variant = phaseVariant('rv32', 'rv32 phases');
