// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { type ResizeGeometry, resizeGeometry } from '../common/families/resize.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { resizeBilinearFloat } from './resize_bilinear_float.ts';

/** One output row's (or column's) interpolation: the two input indices and the Q10 weight of the second. */
export interface Interpolation {
  lo: number;
  hi: number;
  /** scaled position minus 1024·lo: the weight of `hi` out of 1024 (may fall outside [0, 1024]) */
  frac: number;
}

export interface ResizeBilinearParams extends ResizeGeometry {
  rows: Interpolation[];
  cols: Interpolation[];
}

/** TFLite's Q10 scale: round(1024·in/out) by integer division ((in-1)/(out-1) with align_corners). */
export function scale10(inSize: number, outSize: number, alignCorners: boolean): number {
  if (alignCorners && outSize > 1) return Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1));
  return Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
}

/** TFLite's ComputeInterpolationValuesInteger (C's truncating division on a possibly negative value). */
export function interpolation(v: number, scale: number, halfPixel: boolean, inSize: number): Interpolation {
  const scaled = halfPixel ? v * scale + Math.trunc(scale / 2) - 512 : v * scale;
  const lo = Math.max(Math.trunc(scaled / 1024), 0);
  const hi = Math.min(Math.trunc((scaled + 1023) / 1024), inSize - 1);
  return { lo, hi, frac: scaled - 1024 * lo };
}

/**
 * RESIZE_BILINEAR int8 (TFLite Micro's reference ResizeBilinearInteger): Q10 positions and weights,
 * the four products summed in Q20 and rounded half away from zero (TFLite Micro's default double
 * rounding). Positions are computed here at compile time into const tables; the per-channel sum fits
 * int32 for int8 data (|x|·Σ|w| < 2^30), so the C needs no 64-bit arithmetic.
 */
const resizeBilinear: OpDef<ResizeBilinearParams> = {
  kind: 'RESIZE_BILINEAR',
  dir: import.meta.dirname,

  check(graph, op) {
    const g = resizeGeometry(graph, op);
    const input = graph.tensors[op.inputs[0]!]!;
    if (input.dtype !== 'int8') throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; only int8 is supported (as TFLite Micro)`);
    if (g.alignCorners && g.halfPixelCenters) throw new OpError(op.index, op.kind, 'align_corners and half_pixel_centers cannot both be set');
  },

  prepare(graph, op) {
    const g = resizeGeometry(graph, op);
    const sy = scale10(g.inH, g.outH, g.alignCorners);
    const sx = scale10(g.inW, g.outW, g.alignCorners);
    return {
      ...g,
      rows: Array.from({ length: g.outH }, (_, y) => interpolation(y, sy, g.halfPixelCenters, g.inH)),
      cols: Array.from({ length: g.outW }, (_, x) => interpolation(x, sx, g.halfPixelCenters, g.inW)),
    };
  },

  macs(graph, op) {
    return 4 * graph.tensors[op.outputs[0]!]!.shape.reduce((a, b) => a * b, 1);
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Int8Array;
    const output = outputs[0] as Int8Array;
    const at = (b: number, y: number, x: number, c: number) => input[((b * p.inH + y) * p.inW + x) * p.depth + c]!;
    let o = 0;
    for (let b = 0; b < p.batches; b++) {
      for (const r of p.rows) {
        for (const q of p.cols) {
          for (let c = 0; c < p.depth; c++) {
            const sum =
              at(b, r.lo, q.lo, c) * (1024 - r.frac) * (1024 - q.frac) +
              at(b, r.hi, q.lo, c) * r.frac * (1024 - q.frac) +
              at(b, r.lo, q.hi, c) * (1024 - r.frac) * q.frac +
              at(b, r.hi, q.hi, c) * r.frac * q.frac;
            output[o++] = Math.trunc((sum + (sum > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
          }
        }
      }
    }
  },

  emitC(p, ctx) {
    const rowStride = p.inW * p.depth;
    return ctx.render('resize_bilinear.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      rowTable: ctx.addConst(
        'rows',
        'int32_t',
        p.rows.flatMap((r) => [r.lo * rowStride, r.hi * rowStride, r.frac]),
      ),
      colTable: ctx.addConst(
        'cols',
        'int32_t',
        p.cols.flatMap((q) => [q.lo * p.depth, q.hi * p.depth, q.frac]),
      ),
      imageElements: p.inH * rowStride,
      macs: resizeBilinear.macs(ctx.graph, ctx.op),
      mode: p.alignCorners ? 'align_corners' : p.halfPixelCenters ? 'half_pixel_centers' : 'asymmetric',
    });
  },
};

// float32 layers go to resize_bilinear_float.ts
export default withFloatVariant(resizeBilinear, resizeBilinearFloat);
