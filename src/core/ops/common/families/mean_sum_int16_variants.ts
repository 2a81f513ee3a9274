// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 MEAN and SUM kernels of the Arm DSP, Armv6-M and RV32 families, bit-exact with TFLite
 * Micro's int16 reductions (mean_sum_int16.ts): the same wrapping int32 sums and one requantization
 * per output, with two sums per pass where the layout is contiguous:
 *  - the innermost dimension kept (MEAN over H, W of an NHWC image): two neighbouring outputs per walk
 *    over the reduced elements, halving the loop overhead and the address arithmetic per element;
 *  - the innermost dimension reduced (MEAN over channels, or everything): two interleaved partial sums
 *    over the contiguous row, added at the end (int32 sums wrap, so any split gives TFLite's value).
 * Other layouts do not occur after reduceLayout merges dimensions (the last non-1 dimension is either
 * kept or reduced); applies() still checks.
 */
import type { KernelVariant, LayerEmitContext } from '../../op.ts';
import type { MeanOrSumInt16Params } from './mean_sum_int16.ts';
import type { ReduceLayout } from './reduce.ts';

type Family = 'arm-dsp' | 'armv6m' | 'rv32';

function pairsOfOutputs(l: ReduceLayout): boolean {
  return l.outer.length > 0 && l.outer[l.outer.length - 1]!.stride === 1 && l.outer[l.outer.length - 1]!.extent >= 2;
}

function pairsOfInputs(l: ReduceLayout): boolean {
  return l.inner.length > 0 && l.inner[l.inner.length - 1]!.stride === 1 && l.inner[l.inner.length - 1]!.extent >= 2;
}

function emit(kind: 'MEAN' | 'SUM', p: MeanOrSumInt16Params, ctx: LayerEmitContext): string {
  const l = p.layout;
  const term = (loops: { stride: number }[], v: string, skipLast: boolean) =>
    loops
      .slice(0, skipLast ? loops.length - 1 : loops.length)
      .map((x, k) => (x.stride === 1 ? `${v}${k}` : `${v}${k} * ${x.stride}`))
      .join(' + ') || '0';
  const vars = [...l.outer.map((_, k) => `o${k}`), ...l.inner.map((_, k) => `r${k}`)];
  const requant = (acc: string) => `(int16_t)tf_clamp(tf_mbqm((int32_t)${acc}, ${p.requant.multiplier}, ${p.requant.shift}), -32768, 32767)`;
  const ind = (n: number) => '  '.repeat(n);
  const inShape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
  const outShape = ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x');
  let body = '';
  let depth = 1;
  const outerOpen = (count: number) => {
    for (let k = 0; k < count; k++) body += `${ind(depth++)}for (o${k} = 0; o${k} < ${l.outer[k]!.extent}; ++o${k}) {\n`;
  };
  const innerLoops = (count: number, inner: string) => {
    let s = '';
    let d = depth;
    for (let k = 0; k < count; k++) s += `${ind(d++)}for (r${k} = 0; r${k} < ${l.inner[k]!.extent}; ++r${k}) {\n`;
    s += inner.replace(/^/gm, ind(d));
    for (let k = count - 1; k >= 0; k--) s += `${ind(--d)}}\n`;
    return s;
  };
  const closeOuter = () => {
    while (depth > 1) body += `${ind(--depth)}}\n`;
  };
  let how: string;
  if (pairsOfOutputs(l)) {
    how = 'two neighbouring outputs per pass';
    const last = l.outer.length - 1;
    const e = l.outer[last]!.extent;
    const offset = term(l.inner, 'r', false);
    outerOpen(last);
    body += `${ind(depth)}const int16_t *row = in + ${term(l.outer, 'o', true)};\n`;
    body += `${ind(depth++)}for (o${last} = 0; o${last} + 1 < ${e}; o${last} += 2) {\n`;
    body += `${ind(depth)}const int16_t *base = row + o${last};\n${ind(depth)}uint32_t acc0 = 0, acc1 = 0; /* TFLite's int32 accumulators, wrapping */\n`;
    body += innerLoops(l.inner.length, `acc0 += (uint32_t)(int32_t)base[${offset}];\nacc1 += (uint32_t)(int32_t)base[${offset} + 1];\n`);
    body += `${ind(depth)}*out++ = ${requant('acc0')};\n${ind(depth)}*out++ = ${requant('acc1')};\n`;
    body += `${ind(--depth)}}\n`;
    if (e % 2 === 1) {
      body += `${ind(depth)}{\n${ind(depth + 1)}const int16_t *base = row + ${e - 1};\n${ind(depth + 1)}uint32_t acc = 0;\n`;
      depth++;
      body += innerLoops(l.inner.length, `acc += (uint32_t)(int32_t)base[${offset}];\n`);
      depth--;
      body += `${ind(depth + 1)}*out++ = ${requant('acc')};\n${ind(depth)}}\n`;
    }
    closeOuter();
  } else {
    how = 'two partial sums over the contiguous reduced row';
    const last = l.inner.length - 1;
    const e = l.inner[last]!.extent;
    outerOpen(l.outer.length);
    body += `${ind(depth)}const int16_t *base = in + ${term(l.outer, 'o', false)};\n${ind(depth)}uint32_t acc0 = 0, acc1 = 0; /* TFLite's int32 accumulator, split in two, wrapping */\n`;
    const rowStart = term(l.inner, 'r', true);
    const row =
      `{\n  const int16_t *p = base + ${rowStart};\n` +
      `  for (r${last} = 0; r${last} + 1 < ${e}; r${last} += 2) {\n    acc0 += (uint32_t)(int32_t)p[r${last}];\n    acc1 += (uint32_t)(int32_t)p[r${last} + 1];\n  }\n` +
      (e % 2 === 1 ? `  acc0 += (uint32_t)(int32_t)p[${e - 1}];\n` : '') +
      `}\n`;
    body += innerLoops(last, row);
    body += `${ind(depth)}*out++ = ${requant('(acc0 + acc1)')};\n`;
    closeOuter();
  }
  return (
    `/* ${kind} 16x8 [${inShape}] -> [${outShape}] over axes [${p.axes.join(',')}], ${l.reducedCount} elements per output (${how}) */\n` +
    `static void ${ctx.fnName}(void) {\n  const int16_t *in = ${ctx.input(0)};\n  int16_t *out = ${ctx.output(0)};\n` +
    (vars.length ? `  int ${vars.join(', ')};\n` : '') +
    body +
    `}\n`
  );
}

export function meanOrSumInt16Variants(kind: 'MEAN' | 'SUM'): KernelVariant<MeanOrSumInt16Params>[] {
  return (['arm-dsp', 'armv6m', 'rv32'] as const).map((family: Family) => ({
    name: `${family} int16`,
    family,
    applies: (p: MeanOrSumInt16Params) => pairsOfOutputs(p.layout) || pairsOfInputs(p.layout),
    emit: (p: MeanOrSumInt16Params, ctx: LayerEmitContext) => emit(kind, p, ctx),
  }));
}
