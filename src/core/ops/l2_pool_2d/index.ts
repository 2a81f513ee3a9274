// SPDX-License-Identifier: Apache-2.0
/**
 * L2_POOL_2D, float32 only (TFLite Micro's L2Prepare requires kTfLiteFloat32: "We currently don't
 * have a quantized implementation of L2Pool"). TFLite's reference L2Pool: for each output pixel and
 * channel, sum = 0.0f plus val * val over the in-bounds taps of the window, row by row;
 * sqrt(sum / count) (count an int, converted to float for the division); then the fused
 * activation's clamp. Every step is exactly rounded (sqrtf too: the FPU's vsqrt.f32, newlib's and
 * glibc's sqrtf alike), so the outputs are TFLite Micro's bits on every target.
 */
import type { Graph, Op, Pool2DAttrs } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { C_CLAMP, cFloatLiteral, clampF, fround, requireFloat32Only } from '../common/families/float_variant.ts';
import { checkFloatPoolWindow, prepareFloatPoolWindow } from '../common/families/float_pool.ts';
import { type PoolParams, poolWindow } from '../common/families/pool.ts';
import { requireInput, requireOutput } from '../common/families/weighted.ts';

export interface L2PoolParams extends PoolParams {
  float32: true;
}

const l2Pool2d: OpDef<L2PoolParams> = {
  kind: 'L2_POOL_2D',
  dir: import.meta.dirname,
  floatKernel: true,
  check(graph: Graph, op: Op) {
    requireFloat32Only(op, [
      [requireInput(graph, op, 0, 'input'), 'input'],
      [requireOutput(graph, op), 'output'],
    ]);
    checkFloatPoolWindow(graph, op);
  },
  prepare(graph, op) {
    return { float32: true, ...prepareFloatPoolWindow(graph, op) };
  },
  macs(graph, op) {
    const out = graph.tensors[op.outputs[0]!]!.shape.reduce((n, d) => n * d, 1);
    const a = op.attrs as unknown as Pool2DAttrs;
    return out * a.filterH * a.filterW;
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const out = outputs[0] as Float32Array;
    let o = 0;
    for (let b = 0; b < p.batches; b++)
      for (let oy = 0; oy < p.outH; oy++)
        for (let ox = 0; ox < p.outW; ox++) {
          const win = poolWindow(p, oy, ox);
          for (let c = 0; c < p.depth; c++) {
            let sum = 0;
            for (let y = win.y0; y < win.y1; y++)
              for (let xx = win.x0; xx < win.x1; xx++) {
                const v = x[((b * p.inH + y) * p.inW + xx) * p.depth + c]!;
                sum = fround(sum + fround(v * v));
              }
            out[o++] = clampF(fround(Math.sqrt(fround(sum / win.count))), p.actMin, p.actMax);
          }
        }
  },
  emitC(p, ctx) {
    ctx.defineOnce('tf_fclamp', C_CLAMP);
    const lo = cFloatLiteral(p.actMin);
    const hi = cFloatLiteral(p.actMax);
    return `/* L2_POOL_2D float32: [${p.batches},${p.inH},${p.inW},${p.depth}], ${p.filterH}x${p.filterW} window, stride ${p.strideH}x${p.strideW}, padding ${p.padTop}x${p.padLeft} -> [${p.batches},${p.outH},${p.outW},${p.depth}] (portable C) */
#include <math.h>
static void ${ctx.fnName}(void) {
  /* As TFLite Micro's reference L2Pool: sum = 0.0f; sum += v * v over the in-bounds taps, row by
   * row; sqrtf(sum / count); then clamped to [${lo}, ${hi}] */
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  for (int b = 0; b < ${p.batches}; ++b) {
    for (int oy = 0; oy < ${p.outH}; ++oy) {
      const int oy0 = oy * ${p.strideH} - ${p.padTop};
      const int y0 = oy0 < 0 ? 0 : oy0;
      const int y1 = oy0 + ${p.filterH} < ${p.inH} ? oy0 + ${p.filterH} : ${p.inH};
      for (int ox = 0; ox < ${p.outW}; ++ox) {
        const int ox0 = ox * ${p.strideW} - ${p.padLeft};
        const int x0 = ox0 < 0 ? 0 : ox0;
        const int x1 = ox0 + ${p.filterW} < ${p.inW} ? ox0 + ${p.filterW} : ${p.inW};
        for (int c = 0; c < ${p.depth}; ++c) {
          float sum = 0.0f;
          int count = 0;
          for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) {
              const float v = in[((b * ${p.inH} + y) * ${p.inW} + x) * ${p.depth} + c];
              sum += v * v;
              count++;
            }
          *out++ = tf_fclamp(sqrtf(sum / (float)count), ${lo}, ${hi});
        }
      }
    }
  }
}
`;
  },
};

export default l2Pool2d;
