// SPDX-License-Identifier: Apache-2.0
/**
 * float32 SUM, MEAN, REDUCE_MAX and REDUCE_MIN over constant axes, as TFLite Micro's reference
 * kernels compute them (reduce_common.cc): every output starts at its initial value (0.0f for SUM and
 * MEAN, the lowest float for REDUCE_MAX, the largest for REDUCE_MIN) and takes the input elements in
 * the input's memory order (ReduceGeneric / ReduceSumImpl: `in + current`,
 * `in > current ? in : current`, `in < current ? in : current`). MEAN then divides each sum by the
 * number of reduced elements as a float (the generic Mean and the 4D Mean over H, W sum in the same
 * order and divide the same way). One float32 operation per step, so the C gives TFLite Micro's bits
 * on every target.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type FloatKernel, type FloatTagged, FLOAT_MAX, cFloatLiteral, fround, requireFloat } from './float_variant.ts';
import { reductionTensors } from './reduce.ts';

export type FloatReduceKind = 'SUM' | 'MEAN' | 'REDUCE_MAX' | 'REDUCE_MIN';

export interface FloatReduceParams extends FloatTagged {
  kind: FloatReduceKind;
  /** the input's dimensions in order (runs of kept or of reduced dimensions merged), with the output stride of each (0: reduced) */
  dims: { extent: number; outStride: number }[];
  inputCount: number;
  outputCount: number;
  /** input elements per output */
  reducedCount: number;
  inShape: number[];
  axes: number[];
}

const INIT: Record<FloatReduceKind, number> = { SUM: 0, MEAN: 0, REDUCE_MAX: -FLOAT_MAX, REDUCE_MIN: FLOAT_MAX };

function prepareReduce(graph: Graph, op: Op, kind: FloatReduceKind): FloatReduceParams {
  const { input, output, axes } = reductionTensors(graph, op);
  requireFloat(op, [
    [input, 'input'],
    [output, 'output'],
  ]);
  const merged: { extent: number; reduced: boolean }[] = [];
  input.shape.forEach((extent, i) => {
    if (extent === 1) return;
    const reduced = axes.includes(i);
    const last = merged[merged.length - 1];
    if (last && last.reduced === reduced) last.extent *= extent;
    else merged.push({ extent, reduced });
  });
  let stride = 1;
  const dims = merged
    .reverse()
    .map((d) => {
      const outStride = d.reduced ? 0 : stride;
      if (!d.reduced) stride *= d.extent;
      return { extent: d.extent, outStride };
    })
    .reverse();
  const inputCount = input.shape.reduce((a, d) => a * d, 1);
  const outputCount = output.shape.reduce((a, d) => a * d, 1);
  if (inputCount === 0) throw new OpError(op.index, op.kind, 'input has no elements');
  const reducedCount = axes.reduce((a, k) => a * input.shape[k]!, 1);
  return { float32: true, kind, dims, inputCount, outputCount, reducedCount, inShape: [...input.shape], axes };
}

function step(kind: FloatReduceKind, current: number, v: number): number {
  switch (kind) {
    case 'SUM':
    case 'MEAN':
      return fround(v + current);
    case 'REDUCE_MAX':
      return v > current ? v : current;
    case 'REDUCE_MIN':
      return v < current ? v : current;
  }
}

function emitReduce(p: FloatReduceParams, ctx: LayerEmitContext): string {
  const vars = p.dims.map((_, k) => `i${k}`);
  const index =
    p.dims
      .map((d, k) => ({ d, k }))
      .filter(({ d }) => d.outStride !== 0)
      .map(({ d, k }) => (d.outStride === 1 ? `i${k}` : `i${k} * ${d.outStride}`))
      .join(' + ') || '0';
  const open = p.dims.map((d, k) => `${'  '.repeat(k + 1)}for (i${k} = 0; i${k} < ${d.extent}; ++i${k}) {`).join('\n');
  const close = p.dims.map((_, k) => `${'  '.repeat(p.dims.length - k)}}`).join('\n');
  const pad = '  '.repeat(p.dims.length + 1);
  const update = p.kind === 'SUM' || p.kind === 'MEAN' ? `*y = v + *y;` : p.kind === 'REDUCE_MAX' ? `*y = (v > *y) ? v : *y;` : `*y = (v < *y) ? v : *y;`;
  const what = { SUM: 'sums', MEAN: 'means', REDUCE_MAX: 'maxima', REDUCE_MIN: 'minima' }[p.kind];
  return `/* ${p.kind} float32 [${p.inShape.join('x')}] over axes [${p.axes.join(',')}]: ${p.outputCount} ${what} of ${p.reducedCount}, input elements in memory order (TFLite Micro's reference order) */
static void ${ctx.fnName}(void) {
  const float *x = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int o${vars.length ? `, ${vars.join(', ')}` : ''};
  for (o = 0; o < ${p.outputCount}; ++o) out[o] = ${cFloatLiteral(INIT[p.kind])};
${open}
${pad}{
${pad}  const float v = *x++;
${pad}  float *y = out + ${index};
${pad}  ${update}
${pad}}
${close}
${p.kind === 'MEAN' ? `  for (o = 0; o < ${p.outputCount}; ++o) out[o] = out[o] / ${cFloatLiteral(p.reducedCount)};\n` : ''}}
`.replace(/\n\n+/g, '\n');
}

/** The float kernel of one reduction. */
export function floatReduce(kind: FloatReduceKind): FloatKernel<FloatReduceParams> {
  return {
    check: (graph, op) => void prepareReduce(graph, op, kind),
    prepare: (graph, op) => prepareReduce(graph, op, kind),
    macs: (graph, op) => prepareReduce(graph, op, kind).inputCount,
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Float32Array;
      const out = outputs[0] as Float32Array;
      out.fill(INIT[p.kind]);
      let i = 0;
      const walk = (k: number, at: number): void => {
        if (k === p.dims.length) {
          out[at] = step(p.kind, out[at]!, x[i++]!);
          return;
        }
        const d = p.dims[k]!;
        for (let j = 0; j < d.extent; j++) walk(k + 1, at + j * d.outStride);
      };
      walk(0, 0);
      if (p.kind === 'MEAN') for (let o = 0; o < p.outputCount; o++) out[o] = fround(out[o]! / p.reducedCount);
    },
    emitC: emitReduce,
  };
}
