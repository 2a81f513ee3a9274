// SPDX-License-Identifier: Apache-2.0
/**
 * AVERAGE_POOL_2D and MAX_POOL_2D on float32: TFLite Micro's reference AveragePool<float> and
 * MaxPool<float>. For each output pixel and channel the in-bounds taps of the window, row by row:
 * the average sums them from 0.0f and divides by their count (a float), the max starts at the lowest
 * float and takes std::max(max, x) = (max < x ? x : max) (so a NaN tap is passed over); then the
 * fused activation's clamp.
 */
import { OpError } from '../../../errors.ts';
import { type Graph, type Op, type Pool2DAttrs } from '../../../ir/graph.ts';
import { type FloatKernel, type FloatTagged, C_CLAMP, FLOAT_MAX, cFloatLiteral, clampF, floatActivationRange, fround, requireFloat } from './float_variant.ts';
import { outputSize } from './padding.ts';
import { type PoolParams, poolGeometry, poolWindow } from './pool.ts';
import { MAX_WINDOW_ATTR, requireClampActivation, requireInput, requireOutput, requireRank, tensorLabel } from './weighted.ts';

export interface FloatPoolParams extends PoolParams, FloatTagged {
  max: boolean;
}

function check(graph: Graph, op: Op): void {
  requireFloat(op, [
    [requireInput(graph, op, 0, 'input'), 'input'],
    [requireOutput(graph, op), 'output'],
  ]);
  checkFloatPoolWindow(graph, op);
}

/** The checks of a float32 pool's window and shapes, after its own type checks (L2_POOL_2D's too). */
export function checkFloatPoolWindow(graph: Graph, op: Op): void {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  requireRank(op, input, 'input', 4);
  requireRank(op, output, 'output', 4);
  const a = op.attrs as unknown as Pool2DAttrs;
  if (a.padding !== 'SAME' && a.padding !== 'VALID') throw new OpError(op.index, op.kind, `unsupported padding ${String(a.padding)}`);
  if (a.explicitPads)
    throw new OpError(op.index, op.kind, `explicit pads [${a.explicitPads.join(',')}] are computed by ONNX Runtime's average pool only (an ONNX layer)`);
  for (const [name, v] of [
    ['stride height', a.strideH],
    ['stride width', a.strideW],
    ['filter height', a.filterH],
    ['filter width', a.filterW],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_WINDOW_ATTR)
      throw new OpError(op.index, op.kind, `${name} is ${v}; it must be a positive integer up to ${MAX_WINDOW_ATTR}`);
  }
  requireClampActivation(op, a.activation);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const expected = [n, outputSize(a.padding, h, a.filterH, a.strideH), outputSize(a.padding, w, a.filterW, a.strideW), c];
  if (expected[1]! < 1 || expected[2]! < 1 || output.shape.some((d, i) => d !== expected[i])) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; a ${a.filterH}x${a.filterW} ${a.padding} window at stride ${a.strideH}x${a.strideW} over [${input.shape.join(',')}] gives [${expected.join(',')}]`,
    );
  }
}

/** A float32 pool's window, padding and fused activation range (float bounds). */
export function prepareFloatPoolWindow(graph: Graph, op: Op): PoolParams {
  const [actMin, actMax] = floatActivationRange((op.attrs as unknown as Pool2DAttrs).activation);
  return { ...poolGeometry(graph, op), actMin, actMax };
}

export function floatPool(max: boolean): FloatKernel<FloatPoolParams> {
  return {
    check,
    prepare(graph, op) {
      return { float32: true, max, ...prepareFloatPoolWindow(graph, op) };
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
              let acc = p.max ? -FLOAT_MAX : 0;
              for (let y = win.y0; y < win.y1; y++)
                for (let xx = win.x0; xx < win.x1; xx++) {
                  const v = x[((b * p.inH + y) * p.inW + xx) * p.depth + c]!;
                  acc = p.max ? (acc < v ? v : acc) : fround(acc + v);
                }
              out[o++] = clampF(p.max ? acc : fround(acc / win.count), p.actMin, p.actMax);
            }
          }
    },
    emitC(p, ctx) {
      ctx.defineOnce('tf_fclamp', C_CLAMP);
      return ctx.render('../common/families/float_pool.c.hbs', {
        ...p,
        kind: p.max ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D',
        fnName: ctx.fnName,
        input: ctx.input(0),
        output: ctx.output(0),
        lo: cFloatLiteral(p.actMin),
        hi: cFloatLiteral(p.actMax),
        lowest: cFloatLiteral(-FLOAT_MAX),
      });
    },
  };
}
