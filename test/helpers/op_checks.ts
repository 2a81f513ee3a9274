// SPDX-License-Identifier: Apache-2.0
/**
 * Short forms of the three checks every op test makes: the emitted C (host gcc, sanitizers) equals
 * the reference kernel byte for byte, desktop TFLite (tfjs-tflite) equals it on a model written by our
 * writer, and the quantization of a one-op graph is given compactly.
 */
import { expect } from 'chai';
import { toBytes } from '../../src/core/ir/buffers.ts';
import type { OpDef } from '../../src/core/ops/op.ts';
import type { OpAttrs } from '../../src/core/ir/graph.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { type CCase, type TensorSpec, evaluateOp, firstDifference, runCasesInC, singleOpGraph, tfliteInterpreterDifference } from './op_harness.ts';
import { runTfliteInterpreter } from './tfjs_tflite.ts';
import { tflmOutputs } from './tflm_ref.ts';

/** Every int8 value once, -128..127. */
export const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

export interface Q {
  scale: number;
  zeroPoint: number;
}

/** A one-input one-output op on int8 tensors of one shape. */
export function unaryGraph(kind: string, shape: number[], input: Q, output: Q, attrs: OpAttrs = {}) {
  return singleOpGraph(kind, [{ shape, ...input }], [{ shape, ...output }], attrs);
}

/** Compiles all cases into one C program and expects each output to equal the reference kernel's. */
export function expectCMatchesReference(cases: CCase[]): void {
  const c = runCasesInC(cases);
  cases.forEach((cs, k) => {
    const expected = evaluateOp(cs.def, cs.graph, cs.op, cs.inputs);
    expected.forEach((out, o) => {
      expect(firstDifference(toBytes(out), c[k]![o]!), `${cs.op.kind} case ${k} output ${o}`).to.equal(undefined);
    });
  });
}

/**
 * For ops TensorFlow Lite Micro has no kernel for (RELU_N1_TO_1, GELU at the tflm-ref commit):
 * desktop TFLite (tfjs-tflite) as the reference, every output of every case byte for byte.
 */
export async function expectDesktopTfliteAgrees(def: OpDef, cases: Omit<CCase, 'def'>[]): Promise<void> {
  for (const [k, c] of cases.entries()) {
    const ours = evaluateOp(def, c.graph, c.op, c.inputs).map((b) => new Uint8Array(toBytes(b)));
    const theirs = await runTfliteInterpreter(
      writeTflite(c.graph),
      c.inputs.map((b) => new Uint8Array(toBytes(b))),
    );
    ours.forEach((o, i) => expect(firstDifference(theirs[i]!, o), `${def.kind} case ${k} output ${i} (expected: desktop TFLite)`).to.equal(undefined));
  }
}

/** Expects TensorFlow Lite Micro (tflm-ref) to give the reference kernel's first output on every case. */
export async function expectTfliteAgrees(def: OpDef, cases: Omit<CCase, 'def'>[]): Promise<void> {
  for (const [k, c] of cases.entries()) {
    expect(await tfliteInterpreterDifference(def, c.graph, c.op, c.inputs), `${def.kind} case ${k}`).to.equal(undefined);
  }
}

/** A random per-tensor quantization: scale spread over decades, any zero point. */
export function randomQ(rand: () => number, minLog = -7, maxLog = 1): Q {
  return { scale: Math.exp(minLog + rand() * (maxLog - minLog)), zeroPoint: Math.floor(rand() * 256) - 128 };
}

export type { TensorSpec };

/** A two-input op (with broadcasting) on int8 tensors. */
export function binaryGraph(kind: string, a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, attrs: OpAttrs = {}) {
  return singleOpGraph(
    kind,
    [
      { shape: a, ...qa },
      { shape: b, ...qb },
    ],
    [{ shape: out, ...qo }],
    attrs,
  );
}

/** Shapes that exercise broadcasting: equal, per-channel vector, scalar, both sides, rank 5. */
export const BROADCAST_SHAPES: [number[], number[], number[]][] = [
  [
    [1, 5, 7, 3],
    [1, 5, 7, 3],
    [1, 5, 7, 3],
  ],
  [[1, 4, 4, 8], [8], [1, 4, 4, 8]],
  [[1], [3, 3], [3, 3]],
  [
    [2, 1, 3],
    [1, 4, 1],
    [2, 4, 3],
  ],
  [
    [6, 1, 3, 1, 2],
    [3, 4, 2],
    [6, 1, 3, 4, 2],
  ],
  [[1], [1], [1]],
];

export const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * For ops where desktop TFLite's optimized kernel rounds differently from TFLite Micro's reference:
 * every output element within one step of desktop TFLite's. Returns how many elements differ (the
 * test prints it, so a drift towards more differences is visible).
 */
export async function expectTfliteWithinOneStep(def: OpDef, cases: Omit<CCase, 'def'>[]): Promise<{ differing: number; total: number }> {
  let differing = 0;
  let total = 0;
  for (const [k, c] of cases.entries()) {
    const ours = evaluateOp(def, c.graph, c.op, c.inputs)[0] as Int8Array;
    const theirs = new Int8Array(
      (
        await runTfliteInterpreter(
          writeTflite(c.graph),
          c.inputs.map((b) => new Uint8Array(toBytes(b))),
        )
      )[0]!.buffer,
    );
    expect(theirs.length, `${def.kind} case ${k}`).to.equal(ours.length);
    for (let i = 0; i < ours.length; i++) {
      expect(Math.abs(ours[i]! - theirs[i]!), `${def.kind} case ${k} element ${i}: ours ${ours[i]}, desktop TFLite ${theirs[i]}`).to.be.at.most(1);
      if (ours[i] !== theirs[i]) differing++;
    }
    total += ours.length;
  }
  return { differing, total };
}

/** A reduction (MEAN, SUM, REDUCE_MAX) with a constant int32 axis input. */
export function reduceGraph(kind: string, inShape: number[], axes: number[], outShape: number[], qi: Q, qo: Q, keepDims: boolean) {
  return singleOpGraph(
    kind,
    [
      { shape: inShape, ...qi },
      { shape: [axes.length], dtype: 'int32', data: Int32Array.from(axes) },
    ],
    [{ shape: outShape, ...qo }],
    { keepDims },
  );
}

/** Reductions that exercise the loop collapsing: global pooling, one axis, non-adjacent axes, all, negative, rank 5. */
export const REDUCE_CASES: { in: number[]; axes: number[]; keep: number[]; drop: number[] }[] = [
  { in: [1, 5, 7, 3], axes: [1, 2], keep: [1, 1, 1, 3], drop: [1, 3] },
  { in: [2, 6, 4], axes: [2], keep: [2, 6, 1], drop: [2, 6] },
  { in: [3, 4, 5], axes: [0, 2], keep: [1, 4, 1], drop: [4] },
  { in: [2, 3, 4], axes: [0, 1, 2], keep: [1, 1, 1], drop: [] },
  { in: [4, 3, 2], axes: [-1, 1], keep: [4, 1, 1], drop: [4] },
  { in: [2, 1, 3, 2, 5], axes: [3, 1], keep: [2, 1, 3, 1, 5], drop: [2, 3, 5] },
  { in: [1, 8], axes: [1], keep: [1, 1], drop: [1] },
];

/**
 * Expects TensorFlow Lite Micro (`tflm-ref`, reference kernels) to give the reference kernel's
 * outputs, every output byte for byte, on a model written by our writer. The check every op makes.
 */
export function expectTflmAgrees(def: OpDef, cases: Omit<CCase, 'def'>[]): void {
  for (const [k, c] of cases.entries()) {
    const ours = evaluateOp(def, c.graph, c.op, c.inputs).map((b) => new Uint8Array(toBytes(b)));
    const theirs = tflmOutputs(
      c.graph,
      c.inputs.map((b) => new Uint8Array(toBytes(b))),
    );
    ours.forEach((o, i) => expect(firstDifference(theirs[i]!, o), `${def.kind} case ${k} output ${i} (expected: TFLite Micro)`).to.equal(undefined));
  }
}
