// SPDX-License-Identifier: Apache-2.0
/**
 * RESIZE_BILINEAR, float32: TFLite Micro's reference ResizeBilinear<float>. The scale is
 * (float)in / out ((in - 1) / (out - 1) with align_corners), an output row's position y * scale
 * ((y + 0.5f) * scale - 0.5f with half_pixel_centers), its rows y0 = max(floor, 0) and
 * y1 = min(ceil, in - 1) and its weight dy = position - y0 (the same per column). Each output is
 *
 *   x00 * (1 - dy) * (1 - dx) + x10 * dy * (1 - dx) + x01 * (1 - dy) * dx + x11 * dy * dx + 0.0f
 *
 * in float32, products and sums left to right (the reference's rounding offset is 0.0f for float,
 * which turns a -0 into +0). The positions and weights depend on the shapes only: computed here with
 * float32 rounding at every step into tables, so the C does the per-pixel arithmetic only.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { type FloatKernel, type FloatTagged, cFloatLiteral, fround, requireFloat } from '../common/families/float_variant.ts';
import { type ResizeGeometry, resizeGeometry } from '../common/families/resize.ts';

/** One output row's (or column's) two input indices and the weights (1 - d, d) of each. */
export interface FloatInterpolation {
  lo: number;
  hi: number;
  /** 1 - d, float32 */
  wLo: number;
  /** d: the position minus lo, float32 */
  wHi: number;
}

export interface ResizeBilinearFloatParams extends ResizeGeometry, FloatTagged {
  rows: FloatInterpolation[];
  cols: FloatInterpolation[];
}

/** TFLite's float scale: (float)in / out, or (in - 1) / (out - 1) with align_corners and out > 1. */
export function floatScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? fround((inSize - 1) / (outSize - 1)) : fround(inSize / outSize);
}

/** TFLite's ComputeInterpolationValues in float32, with the weights the reference derives from it. */
export function floatInterpolation(v: number, scale: number, halfPixel: boolean, inSize: number): FloatInterpolation {
  const scaled = halfPixel ? fround(fround(fround(v + 0.5) * scale) - 0.5) : fround(v * scale);
  const lo = Math.max(Math.floor(scaled), 0);
  const hi = 0 + Math.min(Math.ceil(scaled), inSize - 1); // 0 + : ceil(-0.25) is -0
  const d = fround(scaled - lo);
  return { lo, hi, wLo: fround(1 - d), wHi: d };
}

function check(graph: Graph, op: Op): void {
  const g = resizeGeometry(graph, op);
  requireFloat(op, [
    [graph.tensors[op.inputs[0]!], 'input'],
    [graph.tensors[op.outputs[0]!], 'output'],
  ]);
  if (g.alignCorners && g.halfPixelCenters) throw new OpError(op.index, op.kind, 'align_corners and half_pixel_centers cannot both be set');
}

export const resizeBilinearFloat: FloatKernel<ResizeBilinearFloatParams> = {
  check,
  prepare(graph, op) {
    const g = resizeGeometry(graph, op);
    const sy = floatScale(g.inH, g.outH, g.alignCorners);
    const sx = floatScale(g.inW, g.outW, g.alignCorners);
    return {
      float32: true,
      ...g,
      rows: Array.from({ length: g.outH }, (_, y) => floatInterpolation(y, sy, g.halfPixelCenters, g.inH)),
      cols: Array.from({ length: g.outW }, (_, x) => floatInterpolation(x, sx, g.halfPixelCenters, g.inW)),
    };
  },
  evaluate(p, inputs, outputs) {
    const input = inputs[0] as Float32Array;
    const output = outputs[0] as Float32Array;
    const at = (b: number, y: number, x: number, c: number) => input[((b * p.inH + y) * p.inW + x) * p.depth + c]!;
    const F = fround;
    let o = 0;
    for (let b = 0; b < p.batches; b++) {
      for (const r of p.rows) {
        for (const q of p.cols) {
          for (let c = 0; c < p.depth; c++) {
            let sum = F(F(at(b, r.lo, q.lo, c) * r.wLo) * q.wLo);
            sum = F(sum + F(F(at(b, r.hi, q.lo, c) * r.wHi) * q.wLo));
            sum = F(sum + F(F(at(b, r.lo, q.hi, c) * r.wLo) * q.wHi));
            sum = F(sum + F(F(at(b, r.hi, q.hi, c) * r.wHi) * q.wHi));
            output[o++] = F(sum + 0);
          }
        }
      }
    }
  },
  emitC(p, ctx) {
    const rowStride = p.inW * p.depth;
    return ctx.render('resize_bilinear_float.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      rowTable: ctx.addConst(
        'rows',
        'int32_t',
        p.rows.flatMap((r) => [r.lo * rowStride, r.hi * rowStride]),
      ),
      colTable: ctx.addConst(
        'cols',
        'int32_t',
        p.cols.flatMap((q) => [q.lo * p.depth, q.hi * p.depth]),
      ),
      rowWeights: p.rows.map((r) => `${cFloatLiteral(r.wLo)}, ${cFloatLiteral(r.wHi)}`).join(', '),
      colWeights: p.cols.map((q) => `${cFloatLiteral(q.wLo)}, ${cFloatLiteral(q.wHi)}`).join(', '),
      imageElements: p.inH * rowStride,
      mode: p.alignCorners ? 'align_corners' : p.halfPixelCenters ? 'half_pixel_centers' : 'asymmetric',
    });
  },
};
