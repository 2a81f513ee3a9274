// SPDX-License-Identifier: Apache-2.0
/**
 * ADD and SUB (int8) with no multiply at all, for cores where TFLite's 64-bit requantization is
 * dear (Armv6-M: no 32x32->64 multiply, so SRDHM is four 16x16 products). The output of a
 * common-scale op depends on the two int8 inputs alone, through the sum of one term per input; so
 * it is out = clamp((T1[q1] + T2[q2]) >> E) for two 256-entry integer tables T1, T2 built at
 * compile time, whenever such tables exist. They are found by solving the 65536 constraints
 * "T1[q1] + T2[q2] lies in the interval of sums that give TFLite's output for (q1, q2)": a system
 * of difference constraints, solved exactly by relaxation (Bellman-Ford) from the rounded real
 * answer; the result is checked on all 65536 pairs before it is used. No solution within the
 * table width: the layer keeps the SMMLAR kernel of binary_elementwise.ts.
 */
import type { BroadcastLoop } from './broadcast.ts';
import { type CommonScaleParams, input1AtCommonScale, input2AtCommonScale, srdhmSplit } from './binary_elementwise.ts';
import { broadcastCView } from './elementwise.ts';
import { rdbpot } from '../numerics/fixedpoint.ts';
import { cArrayBody, renderOpTemplate } from '../render.ts';
import type { KernelVariant, LayerEmitContext } from '../../op.ts';

export interface SumTablesKernel {
  t1: Int32Array;
  t2: Int32Array;
  /** E: the output is (T1[q1] + T2[q2]) >> shift before the clamp */
  shift: number;
  /** both tables fit int16 (half the flash, same speed) */
  int16: boolean;
  actMin: number;
  actMax: number;
  /** whether some sum falls below actMin / above actMax (else that clamp is left out) */
  clampLo: boolean;
  clampHi: boolean;
}

/** The prepared parameters of ADD and SUB this plan reads. */
export interface CommonScaleLayer extends CommonScaleParams {
  loops: BroadcastLoop[];
  actMin: number;
  actMax: number;
}

const int8Of = (u: number) => (u << 24) >> 24;
const clampTo = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/**
 * TFLite's output for every pair (index u1 * 256 + u2, u = (uint8_t)q) of a common-scale op whose
 * input terms are x1, x2 (MultiplyByQuantizedMultiplier of their sum), clamped to the activation.
 */
function exactOutputs(p: CommonScaleLayer, x1: Float64Array, x2: Float64Array): Int8Array {
  const left = Math.max(p.outputShift, 0);
  const right = Math.max(-p.outputShift, 0);
  const out = new Int8Array(65536);
  for (let u1 = 0; u1 < 256; u1++) {
    for (let u2 = 0; u2 < 256; u2++) {
      const scaled = ((x1[u1]! + x2[u2]!) * 2 ** left) | 0;
      out[u1 * 256 + u2] = clampTo(rdbpot(srdhmSplit(scaled, p.outputMultiplier), right) + p.outputZeroPoint, p.actMin, p.actMax);
    }
  }
  return out;
}

/** The output's clamp, the tables' fraction bits and entry limit, and how long to relax. */
export interface SumTableBounds {
  actMin: number;
  actMax: number;
  shift: number;
  limit: number;
  maxRounds?: number;
}

/**
 * Tables T1, T2 with clamp((T1[u1] + T2[u2]) >> shift) = target[u1 * 256 + u2] for all pairs, each
 * entry within ±limit, or undefined. `phi1 + phi2` is the real-valued output before flooring (the
 * starting point); the relaxation only ever lowers T1 and raises T2 to meet a violated bound, so it
 * reaches a solution in at most 512 rounds when one exists (no negative cycle).
 */
export function solveSumTables(
  target: Int8Array,
  phi1: Float64Array,
  phi2: Float64Array,
  table: SumTableBounds,
): { t1: Int32Array; t2: Int32Array } | undefined {
  const { actMin, actMax, shift, limit, maxRounds = 520 } = table;
  const unit = 2 ** shift;
  // a row (column) whose every sum saturates needs only to stay beyond the clamp: pulled in, the
  // tables stay narrow
  const min2 = Math.min(...phi2);
  const max2 = Math.max(...phi2);
  const p1 = phi1.map((v) => clampTo(v, actMin - 1 - max2, actMax + 1 - min2));
  const min1 = Math.min(...p1);
  const max1 = Math.max(...p1);
  const p2 = phi2.map((v) => clampTo(v, actMin - 1 - max1, actMax + 1 - min1));
  const t1 = Float64Array.from(p1, (v) => Math.round(v * unit));
  const t2 = Float64Array.from(p2, (v) => Math.round(v * unit));
  const lo = new Float64Array(65536);
  const hi = new Float64Array(65536);
  for (let k = 0; k < 65536; k++) {
    const t = target[k]!;
    lo[k] = t === actMin ? -Infinity : t * unit;
    hi[k] = t === actMax ? Infinity : (t + 1) * unit - 1;
  }
  for (let round = 0; ; round++) {
    let changed = false;
    for (let u1 = 0; u1 < 256; u1++) {
      for (let u2 = 0; u2 < 256; u2++) {
        const k = u1 * 256 + u2;
        const s = t1[u1]! + t2[u2]!;
        if (s > hi[k]!) {
          t1[u1] = hi[k]! - t2[u2]!;
          changed = true;
        } else if (s < lo[k]!) {
          t2[u2] = lo[k]! - t1[u1]!;
          changed = true;
        }
      }
    }
    if (!changed) break;
    if (round >= maxRounds) return undefined;
    for (let u = 0; u < 256; u++) if (Math.abs(t1[u]!) > limit || Math.abs(t2[u]!) > limit) return undefined;
  }
  if (!t1.every((v) => Math.abs(v) <= limit) || !t2.every((v) => Math.abs(v) <= limit)) return undefined;
  return { t1: Int32Array.from(t1), t2: Int32Array.from(t2) };
}

/** The arithmetic shift C and JavaScript agree on, for a sum of two entries (|sum| < 2^31). */
const asr = (v: number, e: number) => Math.floor(v / 2 ** e);

/**
 * The tables of a common-scale op (ADD: sign2 1, SUB: -1), int16 when a solution fits (preferred),
 * else int32, else undefined. Verified on all 65536 pairs.
 */
export function planSumTables(p: CommonScaleLayer, leftShift: number, sign2: 1 | -1): SumTablesKernel | undefined {
  const x1 = new Float64Array(256);
  const x2 = new Float64Array(256);
  for (let u = 0; u < 256; u++) {
    x1[u] = input1AtCommonScale(p, leftShift, int8Of(u));
    x2[u] = sign2 * input2AtCommonScale(p, leftShift, int8Of(u));
  }
  // the pre-scaled sum of TFLite's first step must fit int32 for its result to be the one we model
  if (x1.some((a) => x2.some((b) => Math.abs((a + b) * 2 ** Math.max(p.outputShift, 0)) >= 2 ** 31))) return undefined;
  const target = exactOutputs(p, x1, x2);
  // the real output before rounding: sum * multiplier * 2^shift / 2^31 + zero point, + 1/2 to floor
  const slope = (p.outputMultiplier / 2 ** 31) * 2 ** p.outputShift;
  const phi1 = x1.map((v) => v * slope + p.outputZeroPoint + 0.5);
  const phi2 = x2.map((v) => v * slope);
  const span = Math.max(...phi1.map(Math.abs), ...phi2.map(Math.abs), 1);
  // int16 is tried with few rounds (a start that far off is seldom a narrow solution), int32 with
  // enough for any solution
  for (const [limit, int16, rounds] of [
    [32767, true, 64],
    [2 ** 29, false, 520],
  ] as const) {
    // as many fraction bits as fit: the more, the fewer pairs the rounding of the start puts wrong
    const shift = Math.min(24, Math.floor(Math.log2((limit * 0.9) / (span + 2))));
    if (shift < 0) continue;
    const solved = solveSumTables(target, phi1, phi2, { actMin: p.actMin, actMax: p.actMax, shift, limit, maxRounds: rounds });
    if (!solved) continue;
    const { t1, t2 } = solved;
    let ok = true;
    let vMin = Infinity;
    let vMax = -Infinity;
    for (let k = 0; k < 65536 && ok; k++) {
      const v = asr(t1[k >> 8]! + t2[k & 255]!, shift);
      vMin = Math.min(vMin, v);
      vMax = Math.max(vMax, v);
      ok = clampTo(v, p.actMin, p.actMax) === target[k];
    }
    if (!ok) throw new Error('sum tables: the solution does not reproduce every pair');
    return { t1, t2, shift, int16, actMin: p.actMin, actMax: p.actMax, clampLo: vMin < p.actMin, clampHi: vMax > p.actMax };
  }
  return undefined;
}

/** The layer's C: the two tables as consts, the broadcast walk, one add, shift and clamp per element. */
export function renderSumTables(kernel: SumTablesKernel, loops: readonly BroadcastLoop[], kind: string, ctx: LayerEmitContext): string {
  const f = ctx.fnName;
  const inner = loops[loops.length - 1] ?? { extent: 1, strideA: 0, strideB: 0 };
  const outer = broadcastCView(loops.slice(0, -1));
  const out = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  const ctype = kernel.int16 ? 'int16_t' : 'int32_t';
  const term = (t: 1 | 2, hoisted: boolean) => (hoisted ? (t === 1 ? 'ta' : 'tb') : `${f}_lut${t}[(uint8_t)${t === 1 ? 'a' : 'b'}[0]]`);
  return renderOpTemplate(import.meta.dirname, 'sum_tables.c.hbs', {
    kind,
    shape: out.shape.join('x'),
    size: out.shape.reduce((n, d) => n * d, 1),
    ctype,
    bits: kernel.int16 ? 16 : 32,
    fnName: f,
    lut1: cArrayBody(Array.from(kernel.t1), 16),
    lut2: cArrayBody(Array.from(kernel.t2), 16),
    shift: kernel.shift,
    shiftPositive: kernel.shift > 0,
    clampLo: kernel.clampLo,
    clampHi: kernel.clampHi,
    actMin: kernel.actMin,
    actMax: kernel.actMax,
    input1: ctx.input(0),
    input2: ctx.input(1),
    output: ctx.output(0),
    outer: outer.loops,
    loopVars: outer.loopVars,
    indexA: outer.indexA,
    indexB: outer.indexB,
    hoistA: inner.strideA === 0,
    hoistB: inner.strideB === 0,
    extent: inner.extent,
    sum: `${term(1, inner.strideA === 0)} + ${term(2, inner.strideB === 0)}`,
    stepA: inner.strideA,
    stepB: inner.strideB,
    closers: outer.loops.map(() => ({})),
  });
}

/**
 * Tables already solved, by the integers that decide them: a model's layers of one quantization, and
 * the same model compiled again (each compile prepares new parameters), solve once. At most
 * SOLVED_KEPT, the oldest forgotten first; the tables are never written after they are made.
 */
const solved = new Map<string, SumTablesKernel | null>();
const SOLVED_KEPT = 256;
function solvedFor(p: CommonScaleLayer, leftShift: number, sign2: 1 | -1): SumTablesKernel | null {
  const key = [
    p.input1Offset,
    p.input1Multiplier,
    p.input1Shift,
    p.input2Offset,
    p.input2Multiplier,
    p.input2Shift,
    p.outputMultiplier,
    p.outputShift,
    p.outputZeroPoint,
    p.actMin,
    p.actMax,
    leftShift,
    sign2,
  ].join(' ');
  let kernel = solved.get(key);
  if (kernel === undefined) {
    kernel = planSumTables(p, leftShift, sign2) ?? null;
    if (solved.size >= SOLVED_KEPT) solved.delete(solved.keys().next().value!);
    solved.set(key, kernel);
  }
  return kernel;
}

/**
 * The Armv6-M variant of a common-scale op: sum tables when a solution exists, computed once per
 * prepared layer (applies and emit both ask).
 */
export function sumTablesVariant<P extends CommonScaleLayer>(
  kind: string,
  leftShift: number,
  sign2: 1 | -1,
  overlap: KernelVariant<P>['overlap'],
  family: KernelVariant<P>['family'] = 'armv6m',
): KernelVariant<P> {
  const plans = new WeakMap<P, SumTablesKernel | null>();
  const plan = (p: P) => {
    if (!plans.has(p)) plans.set(p, solvedFor(p, leftShift, sign2));
    return plans.get(p)!;
  };
  return {
    name: `${family} sum tables`,
    family,
    applies: (p) => plan(p) !== null,
    overlap,
    emit: (p, ctx) => renderSumTables(plan(p)!, p.loops, kind, ctx),
  };
}
