// SPDX-License-Identifier: Apache-2.0
/**
 * One float32 model holding every op whose TFLite Micro float kernel calls libm, side by side on one
 * input (so one build per target measures them all), and the worst ULP distance of each against the
 * TypeScript reference and against TFLite Micro over many inputs.
 */
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { toBytes } from '../../src/core/ir/buffers.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { maxUlpDistance } from '../../src/core/ops/common/numerics/float_ulp.ts';
import { floatUlpFloor } from '../../src/core/ops/common/families/float_libm.ts';
import { GraphBuilder } from './graph_builder.ts';
import { rng } from './op_harness.ts';
import { asFloats, libmInputs } from './float_libm_cases.ts';
import { tflmOutputs } from './tflm_ref.ts';

const F = 'float32' as const;

export const LIBM_KINDS = ['LOGISTIC', 'TANH', 'ELU', 'EXP', 'LOG', 'SOFTMAX', 'LOG_SOFTMAX'] as const;

/** input [rows, 32] -> each libm op -> one output each, in LIBM_KINDS order */
export function libmSweepModel(rows: number): Graph {
  const b = new GraphBuilder('libm_sweep');
  const shape = [rows, 32];
  const x = b.input({ shape, dtype: F, name: 'x' });
  const outs = LIBM_KINDS.map((kind) => b.op(kind, [x], [{ shape, dtype: F, name: kind.toLowerCase() }], kind === 'SOFTMAX' ? { beta: 0.75 } : {})[0]!);
  b.output(...outs);
  return b.build();
}

/** cases of the sweep: extreme values first (libmInputs), then dense ones */
export function libmSweepCases(graph: Graph, count: number, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  const n = elementCount(graph.tensors[graph.inputs[0]!]!.shape);
  return Array.from({ length: count }, (_, k) => {
    const x = libmInputs(rand, n);
    // every case but the first: the extreme values spread over the rows, not all in the first
    if (k > 0) x.reverse();
    return [new Uint8Array(toBytes(x))];
  });
}

export interface UlpMeasure {
  kind: string;
  /** the worst ULP distance of `actual` from the TypeScript reference and from TFLite Micro */
  vsReference: number;
  vsTflm: number | null;
}

/** Per op: the worst distance of each case's outputs from the TS reference and (when given) from TFLite Micro's. */
export function measureUlps(graph: Graph, cases: Uint8Array[][], actual: Uint8Array[][], withTflm: boolean): UlpMeasure[] {
  const prepared = compileGraph(graph).prepared;
  const worst = LIBM_KINDS.map((kind) => ({ kind, vsReference: 0, vsTflm: withTflm ? 0 : null }) as UlpMeasure);
  cases.forEach((c, k) => {
    const ref = interpret(prepared, c).outputs;
    const tflm = withTflm ? tflmOutputs(graph, c) : null;
    worst.forEach((w, o) => {
      const a = asFloats(actual[k]![o]!);
      const floor = floatUlpFloor(w.kind);
      w.vsReference = Math.max(w.vsReference, maxUlpDistance(asFloats(ref[o]!), a, floor).ulps);
      if (tflm) w.vsTflm = Math.max(w.vsTflm!, maxUlpDistance(asFloats(tflm[o]!), a, floor).ulps);
    });
  });
  return worst;
}
