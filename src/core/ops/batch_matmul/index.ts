// SPDX-License-Identifier: Apache-2.0
/**
 * BATCH_MATMUL, int8: TFLite Micro's reference BatchMatMul (int32 accumulation). Operands of rank 2
 * to 5, batch dimensions broadcast, adj_x / adj_y read an operand as transposed in its last two
 * dimensions. out[..., m, n] = Σ_k (lhs[m, k] - z_lhs)(rhs[k, n] - z_rhs), requantized by
 * (float)(s_lhs·s_rhs)/s_out (TFLite's GetQuantizedConvolutionMultipler: the scale product is rounded
 * to float32 first), plus z_out, clamped to int8 (no fused activation).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import type { LayerEmitContext, OpDef } from '../op.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { batchMatmulInt16 } from './batch_matmul_int16.ts';
import { batchMatmulFloat } from './batch_matmul_float.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { type BroadcastLoop, broadcastLoops, broadcastShape, forEachBroadcast } from '../common/families/broadcast.ts';
import { broadcastCView, rejectInt16 } from '../common/families/elementwise.ts';
import { clamp, mbqm, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import { type AccumulatorView, accumulatorC, dtypeRange, int32Accumulator, rangeProductBound } from '../common/numerics/accumulator_bound.ts';
import { cTerm, fcTensorMultiplier, requireInput, requireInt8Activation, requireOutput, tensorLabel } from '../common/families/weighted.ts';

export interface BatchMatMulParams extends Partial<AccumulatorView> {
  /** the broadcast walk over the batch dimensions, strides in whole matrices */
  loops: BroadcastLoop[];
  batches: number;
  m: number;
  k: number;
  n: number;
  adjX: boolean;
  adjY: boolean;
  lhsOffset: number;
  rhsOffset: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

export interface Geometry {
  lhs: Tensor;
  rhs: Tensor;
  out: Tensor;
  adjX: boolean;
  adjY: boolean;
  m: number;
  k: number;
  n: number;
  lhsBatch: number[];
  rhsBatch: number[];
  outBatch: number[];
}

function flag(op: Op, name: 'adjX' | 'adjY'): boolean {
  const v = (op.attrs as Record<string, unknown>)[name];
  if (v !== undefined && typeof v !== 'boolean')
    throw new OpError(op.index, op.kind, `attribute ${name === 'adjX' ? 'adj_x' : 'adj_y'} = ${String(v)}; expected a boolean`);
  return v === true;
}

export function geometry(graph: Graph, op: Op): Geometry {
  const lhs = requireInput(graph, op, 0, 'lhs');
  const rhs = requireInput(graph, op, 1, 'rhs');
  const out = requireOutput(graph, op);
  for (const [t, role] of [
    [lhs, 'lhs'],
    [rhs, 'rhs'],
  ] as const) {
    if (t.shape.length < 2 || t.shape.length > 5)
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; BATCH_MATMUL takes rank 2 to 5`);
  }
  const adjX = flag(op, 'adjX');
  const adjY = flag(op, 'adjY');
  const [l0, l1] = lhs.shape.slice(-2) as [number, number];
  const [r0, r1] = rhs.shape.slice(-2) as [number, number];
  const [m, kl] = adjX ? [l1, l0] : [l0, l1];
  const [kr, n] = adjY ? [r1, r0] : [r0, r1];
  if (kl !== kr) {
    throw new OpError(
      op.index,
      op.kind,
      `lhs ${tensorLabel(lhs)} [${lhs.shape.join(',')}]${adjX ? ' (adj_x)' : ''} and rhs ${tensorLabel(rhs)} [${rhs.shape.join(',')}]${adjY ? ' (adj_y)' : ''} do not agree on the accumulation depth (${kl} vs ${kr})`,
    );
  }
  const lhsBatch = lhs.shape.slice(0, -2);
  const rhsBatch = rhs.shape.slice(0, -2);
  const outBatch = broadcastShape(lhsBatch, rhsBatch);
  if (!outBatch) throw new OpError(op.index, op.kind, `batch dimensions [${lhsBatch.join(',')}] and [${rhsBatch.join(',')}] do not broadcast`);
  const expected = [...outBatch, m, n];
  if (expected.join(',') !== out.shape.join(',')) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} has shape [${out.shape.join(',')}]; expected [${expected.join(',')}]`);
  }
  return { lhs, rhs, out, adjX, adjY, m, k: kl, n, lhsBatch, rhsBatch, outBatch };
}

/** What every kernel (int8, int16, float32) prepares: the batch walk and the matrix sizes. */
export type MatmulWalk = Pick<BatchMatMulParams, 'loops' | 'batches' | 'm' | 'k' | 'n' | 'adjX' | 'adjY'>;

/** What the int8 and int16 kernels both prepare: the walk and the rescale. */
export type MatmulLayout = MatmulWalk & Pick<BatchMatMulParams, 'multiplier' | 'shift'>;

export function matmulWalk(g: Geometry): MatmulWalk {
  return {
    loops: broadcastLoops(g.lhsBatch, g.rhsBatch, g.outBatch),
    batches: g.outBatch.reduce((a, b) => a * b, 1),
    m: g.m,
    k: g.k,
    n: g.n,
    adjX: g.adjX,
    adjY: g.adjY,
  };
}

export function matmulLayout(g: Geometry): MatmulLayout {
  const { multiplier, shift } = fcTensorMultiplier(g.lhs.quant!.scale[0]!, g.rhs.quant!.scale[0]!, g.out.quant!.scale[0]!);
  return { ...matmulWalk(g), multiplier, shift };
}

/**
 * Visits the output cells in order (batch, m, n); for each, where its dot product starts in lhs and
 * rhs and the step from one k to the next (element (m, k) of lhs and (k, n) of rhs, transposed when
 * adj_x / adj_y).
 */
export function forEachDot(p: MatmulWalk, visit: (lAt: number, lStride: number, rAt: number, rStride: number) => void): void {
  forEachBroadcast(p.loops, (la, rb) => {
    const lBase = la * p.m * p.k;
    const rBase = rb * p.k * p.n;
    for (let m = 0; m < p.m; m++) {
      for (let n = 0; n < p.n; n++) {
        visit(lBase + (p.adjX ? m : m * p.k), p.adjX ? p.m : 1, rBase + (p.adjY ? n * p.k : n), p.adjY ? 1 : p.n);
      }
    }
  });
}

/** The template fields batch_matmul.c.hbs and batch_matmul_int16.c.hbs share. */
export function matmulCView(p: MatmulWalk, ctx: LayerEmitContext) {
  const lhs = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const rhs = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  return {
    ...broadcastCView(p.loops),
    fnName: ctx.fnName,
    lhs: ctx.input(0),
    rhs: ctx.input(1),
    output: ctx.output(0),
    lhsShape: lhs.shape.join('x'),
    rhsShape: rhs.shape.join('x'),
    outShape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
    lhsSize: p.m * p.k,
    rhsSize: p.k * p.n,
    // element (m, k) of lhs and (k, n) of rhs, transposed when adj_x / adj_y
    lhsIndex: p.adjX ? `k * ${p.m} + m` : `m * ${p.k} + k`,
    rhsIndex: p.adjY ? `n * ${p.k} + k` : `k * ${p.n} + n`,
    macs: p.batches * p.m * p.n * p.k,
  };
}

/**
 * The bound on the int32 accumulator (accumulator_bound.ts): k products of (lhs - z_lhs) and
 * (rhs - z_rhs), each operand anywhere in int8 (either may be a run-time tensor), up to k·255² with
 * both zero points -128: past 2^31 from k = 33,026. There the C sums in uint32_t and reads back the
 * int32 TFLite Micro's accumulator wraps to; the reference wraps the same (wrapInt32).
 */
export function matmulAccumulator(k: number, lhsOffset: number, rhsOffset: number): AccumulatorView {
  const [lo, hi] = dtypeRange('int8');
  const bound = rangeProductBound(k, [lo + lhsOffset, hi + lhsOffset], [lo + rhsOffset, hi + rhsOffset]);
  return int32Accumulator(bound, 'sum |(lhs - z_lhs)(rhs - z_rhs)|');
}

const batchMatmul: OpDef<BatchMatMulParams> = {
  kind: 'BATCH_MATMUL',
  dir: import.meta.dirname,

  check(graph, op) {
    const g = geometry(graph, op);
    for (const [t, role] of [
      [g.lhs, 'lhs'],
      [g.rhs, 'rhs'],
      [g.out, 'output'],
    ] as const) {
      rejectInt16(op, t, role);
      requireInt8Activation(op, t, role);
    }
  },

  prepare(graph, op) {
    const g = geometry(graph, op);
    const lhsOffset = -g.lhs.quant!.zeroPoint[0]!;
    const rhsOffset = -g.rhs.quant!.zeroPoint[0]!;
    return {
      ...matmulLayout(g),
      lhsOffset,
      rhsOffset,
      outputZeroPoint: g.out.quant!.zeroPoint[0]!,
      ...matmulAccumulator(g.k, lhsOffset, rhsOffset),
    };
  },

  macs(graph, op) {
    const g = geometry(graph, op);
    return g.outBatch.reduce((a, b) => a * b, 1) * g.m * g.n * g.k;
  },

  evaluate(p, inputs, outputs) {
    const lhs = inputs[0] as Int8Array;
    const rhs = inputs[1] as Int8Array;
    const out = outputs[0] as Int8Array;
    let o = 0;
    forEachDot(p, (lAt, lStride, rAt, rStride) => {
      let acc = 0;
      for (let k = 0; k < p.k; k++, lAt += lStride, rAt += rStride) {
        acc = wrapInt32(acc + (lhs[lAt]! + p.lhsOffset) * (rhs[rAt]! + p.rhsOffset));
      }
      out[o++] = clamp(mbqm(acc, p.multiplier, p.shift) + p.outputZeroPoint, -128, 127);
    });
  },

  emitC(p, ctx) {
    return ctx.render('batch_matmul.c.hbs', {
      ...p,
      ...matmulCView(p, ctx),
      lhsOffset: cTerm(p.lhsOffset),
      rhsOffset: cTerm(p.rhsOffset),
      outputZeroPoint: cTerm(p.outputZeroPoint),
      ...accumulatorC({ accWraps: p.accWraps ?? false, accBound: p.accBound ?? '' }),
    });
  },
};

// int16 activations (16x8) go to their own kernel in batch_matmul_int16.ts, float32 to batch_matmul_float.ts
export default withFloatVariant(withInt16Variant(batchMatmul, batchMatmulInt16), batchMatmulFloat);
