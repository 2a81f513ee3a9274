// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED layers whose (legacy, per-tensor) weights have a zero point, on the symmetric
 * kernels of every family (Arm DSP, Armv6-M, RV32), exact: with fo = -z_w,
 * Σ(w+fo)(x+io) + b = [Σw(x+io) + b] + fo·Σ(x+io).
 *
 * - Every w + fo fits int8: the offset folds into the weights at compile time and the symmetric
 *   kernel runs them as they are: no runtime cost.
 * - Otherwise (the usual case: asymmetric weights span the whole int8 range) the symmetric kernel
 *   runs the model's weights with the input offset left out (its starts are b + io·Σw), one batch row
 *   at a time, and before each row the starts are rewritten into scratch with the row's correction
 *   fo·(Σx + n·io) added: n adds and one multiply per batch row, a store per output. The
 *   compile-time accumulator bound that picks the kernel's requantization grows by the correction's
 *   largest magnitude (`accumulatorSlack`).
 */
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { rv32Block } from '../common/isa/rv32_matmul.ts';
import type { FullyConnectedParams } from './contract.ts';
import { layerText } from '../layer_code.ts';

/** the weights with the zero point folded in, when every one fits int8 */
export function foldedWeights(weights: Int8Array, filterOffset: number): Int8Array | undefined {
  const out = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const v = weights[i]! + filterOffset;
    if (v < -128 || v > 127) return undefined;
    out[i] = v;
  }
  return out;
}

/** Start values rewritten per batch row: one int32 per output (RV32: per column of its padded groups). */
function startCount(p: FullyConnectedParams, family: KernelVariant<FullyConnectedParams>['family']): number {
  if (family !== 'rv32') return p.outFeatures;
  const c = rv32Block(1, p.outFeatures).columns;
  return Math.ceil(p.outFeatures / c) * c;
}

/** A context whose weights (and bias) tensors are replaced, and whose input pointers may be overridden. */
function innerContext(
  ctx: LayerEmitContext,
  tensors: { weights: Tensor; bias?: Tensor },
  pointers: Partial<Record<number, () => string>>,
  extra: Partial<LayerEmitContext> = {},
): LayerEmitContext {
  const graph: Graph = { ...ctx.graph, tensors: [...ctx.graph.tensors, tensors.weights, ...(tensors.bias ? [tensors.bias] : [])] };
  const n = ctx.graph.tensors.length;
  const inputs = [...ctx.op.inputs];
  inputs[1] = n;
  if (tensors.bias) inputs[2] = n + 1;
  const op: Op = { ...ctx.op, inputs };
  return { ...ctx, graph, op, input: (i) => pointers[i]?.() ?? ctx.input(i), ...extra };
}

/**
 * `inner`, extended to layers with a weight zero point (emitted as described above). `emitRows`:
 * for kernels that do not read their starts through the bias pointer (RV32), emits the kernel
 * reading them from the given table.
 */
export function withWeightOffset(
  inner: KernelVariant<FullyConnectedParams>,
  emitRows?: (p: FullyConnectedParams, ctx: LayerEmitContext, starts: string) => string,
): KernelVariant<FullyConnectedParams> {
  const symmetric = (p: FullyConnectedParams): FullyConnectedParams => ({ ...p, filterOffset: 0 });
  return {
    ...inner,
    applies: (p, facts) => (p.filterOffset === 0 ? inner.applies(p, facts) : inner.applies(symmetric(p), facts)),
    scratchBytes: (p, facts) => (p.filterOffset === 0 || p.weightOffsetFolds ? (inner.scratchBytes?.(p, facts) ?? 0) : 4 * startCount(p, inner.family)),
    emit(p, ctx) {
      if (p.filterOffset === 0) return inner.emit(p, ctx);
      const wTensor = ctx.graph.tensors[ctx.op.inputs[1]!]!;
      const weights = constInt8(wTensor);
      const symmetricQuant = { ...wTensor.quant!, zeroPoint: wTensor.quant!.zeroPoint.map(() => 0) };
      const folded = foldedWeights(weights, p.filterOffset);
      if (folded) {
        let symbol: string | undefined;
        const foldedCtx = innerContext(
          ctx,
          { weights: { ...wTensor, index: ctx.graph.tensors.length, quant: symmetricQuant, data: toBytes(folded) } },
          { 1: () => (symbol ??= ctx.addConst('w_folded', 'int8_t', folded)) },
        );
        return inner.emit(symmetric(p), foldedCtx);
      }
      // the symmetric kernel over the model's weights, one batch row per call, input offset left out
      const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
      const starts = foldedAccumulatorInit(weights, p.outFeatures, p.inFeatures, p.inputOffset, bias);
      const scratch = `((int32_t *)(void *)${ctx.scratch()})`;
      const batch = `${ctx.fnName}_batch`;
      const maxInput = Math.max(Math.abs(-128 + p.inputOffset), Math.abs(127 + p.inputOffset));
      const rows: FullyConnectedParams = {
        ...symmetric(p),
        batches: 1,
        inputOffset: 0,
        hasBias: true,
        accumulatorSlack: Math.abs(p.filterOffset) * p.inFeatures * maxInput + 1,
      };
      // a nonzero stand-in keeps the kernels from dropping a start table that is all zeros (the slack covers it)
      const standIn = starts.every((v) => v === 0) ? Int32Array.from(starts, (v, i) => (i === 0 ? 1 : v)) : starts;
      const rowsCtx = innerContext(
        ctx,
        {
          weights: { ...wTensor, index: ctx.graph.tensors.length, quant: symmetricQuant },
          bias: { index: ctx.graph.tensors.length + 1, name: 'starts', shape: [p.outFeatures], dtype: 'int32', data: toBytes(standIn) },
        },
        { 0: () => `(${ctx.input(0)} + ${batch} * ${p.inFeatures})`, 2: () => scratch },
        { fnName: `${ctx.fnName}_rows`, output: (i) => (i === 0 ? `(${ctx.output(0)} + ${batch} * ${p.outFeatures})` : ctx.output(i)) },
      );
      const rowsCode = emitRows ? emitRows(rows, rowsCtx, scratch) : layerText(inner.emit(rows, rowsCtx));
      const count = startCount(p, inner.family);
      return [
        `static int ${batch};`,
        rowsCode.trimEnd(),
        `/* the weight zero point (${-p.filterOffset}) as a correction of the accumulator starts per batch row: ${p.filterOffset} * (sum of x + ${p.inFeatures} * ${p.inputOffset}) */`,
        `static void ${ctx.fnName}(void) {`,
        `  int32_t *const starts = ${scratch};`,
        `  for (${batch} = 0; ${batch} < ${p.batches}; ++${batch}) {`,
        `    const int8_t *const x = ${ctx.input(0)} + ${batch} * ${p.inFeatures};`,
        `    int32_t sum = ${p.inFeatures * p.inputOffset};`,
        `    for (int k = 0; k < ${p.inFeatures}; ++k) sum += x[k];`,
        `    const uint32_t correction = (uint32_t)${p.filterOffset} * (uint32_t)sum; /* int32 wrap-around, as the reference */`,
        `    for (int o = 0; o < ${p.outFeatures}; ++o) starts[o] = (int32_t)((uint32_t)${ctx.addConst('starts', 'int32_t', starts)}[o] + correction);`,
        ...(count > p.outFeatures ? [`    for (int o = ${p.outFeatures}; o < ${count}; ++o) starts[o] = 0;`] : []),
        `    ${ctx.fnName}_rows();`,
        '  }',
        '}',
        '',
      ].join('\n');
    },
  };
}
