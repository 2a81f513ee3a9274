// SPDX-License-Identifier: Apache-2.0
/**
 * CEIL, ROUND, FLOOR_DIV, FLOOR_MOD and L2_POOL_2D on every kind of target: the host (glibc), the
 * emulated Cortex-M4 (single-precision FPU), Cortex-M0 and RP2040 (Cortex-M0+, soft-float) and
 * ESP32-C3 (RV32, soft-float). A float32 model, and the same ops as a float island of an int8 model
 * (DEQUANTIZE -> op -> QUANTIZE): every output byte equal to the TypeScript reference's (as `run`
 * compares) and to TFLite Micro's (tflm-ref, or its recorded answers).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import type { Graph } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';

const F = 'float32' as const;
const SHAPE = [1, 6, 5, 3];
const N = SHAPE.reduce((a, b) => a * b, 1);

/** x -> CEIL, ROUND, FLOOR_DIV(x, d), FLOOR_MOD(x, d), FLOOR_MOD(d, x), L2_POOL_2D (3x2 SAME, stride 2x1, RELU6) */
function mathGraph(hybrid: boolean): Graph {
  const rand = rng(hybrid ? 612 : 611);
  const b = new GraphBuilder(hybrid ? 'float_math_hybrid' : 'float_math');
  const q = { scale: 0.07, zeroPoint: -5 };
  const input = b.input(hybrid ? { shape: SHAPE, q, name: 'x' } : { shape: SHAPE, dtype: F, name: 'x' });
  const x = hybrid ? b.op('DEQUANTIZE', [input], [{ shape: SHAPE, dtype: F }])[0]! : input;
  const divisor = b.constant(
    { shape: [3], dtype: F },
    Float32Array.from({ length: 3 }, () => Math.fround((rand() < 0.5 ? -1 : 1) * (0.3 + rand() * 2))),
  );
  const outs = [
    b.op('CEIL', [x], [{ shape: SHAPE, dtype: F }])[0]!,
    b.op('ROUND', [x], [{ shape: SHAPE, dtype: F }])[0]!,
    b.op('FLOOR_DIV', [x, divisor], [{ shape: SHAPE, dtype: F }])[0]!,
    b.op('FLOOR_MOD', [x, divisor], [{ shape: SHAPE, dtype: F }])[0]!,
    b.op('FLOOR_MOD', [divisor, x], [{ shape: SHAPE, dtype: F }])[0]!,
    b.op('L2_POOL_2D', [x], [{ shape: [1, 3, 5, 3], dtype: F }], { padding: 'SAME', strideH: 2, strideW: 1, filterH: 3, filterW: 2, activation: 'RELU6' })[0]!,
  ];
  if (!hybrid) b.output(...outs);
  else
    b.output(
      ...outs.map((t, k) => {
        const shape = k === 5 ? [1, 3, 5, 3] : SHAPE;
        return b.op('QUANTIZE', [t], [{ shape, q: { scale: 0.05, zeroPoint: k - 3 } }])[0]!;
      }),
    );
  return b.build();
}

function inputBytes(hybrid: boolean, seed: number): Uint8Array {
  const rand = rng(seed);
  // no zero point (a 0.0 divisor gives NaN, whose QUANTIZE is not what this test is about)
  if (hybrid) return new Uint8Array(toBytes(randomInt8(rand, N).map((v) => (v === -5 ? -4 : v))));
  // halves, integers and random values; no zeros (FLOOR_MOD(d, x) divides by x)
  const x = Float32Array.from({ length: N }, (_, i) => {
    const v = i % 3 === 0 ? Math.floor((rand() - 0.5) * 20) + 0.5 : Math.fround((rand() - 0.5) * 2 ** Math.floor(rand() * 16 - 6));
    return v === 0 ? 1.25 : v;
  });
  return new Uint8Array(toBytes(x));
}

const TARGETS = FLOAT_FAMILY_TARGETS;

describe('float32 CEIL, ROUND, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D on every target, float models and float islands', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-fmath-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { target, tools } of TARGETS) {
    for (const hybrid of [false, true]) {
      it(`${target}, ${hybrid ? 'int8 model with a float island' : 'float32 model'}: every output byte as the reference and TFLite Micro`, async function () {
        if (tools.length > 0) requireTools(this, tools);
        const graph = mathGraph(hybrid);
        const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
        saveTflite(path, graph);
        const cases = [[inputBytes(hybrid, 620)], [inputBytes(hybrid, 621)]];
        const report = await runModel(path, { target, cases, sanitize: target === 'host' });
        expect(report.matchesReference, 'the C gives the reference bytes').to.equal(true);
        if (!tflmRefAvailable(this)) return;
        const input = new Uint8Array(cases.reduce((s, c) => s + c[0]!.length, 0));
        cases.reduce((at, c) => (input.set(c[0]!, at), at + c[0]!.length), 0);
        const theirs = splitTflmOutputs(graph, runTflmRef(writeTflite(graph), input).outputs, cases.length);
        report.cases.forEach((c, k) =>
          c.outputs.forEach((o, i) => {
            const ours = hybrid ? new Uint8Array(Int8Array.from(o).buffer) : new Uint8Array(toBytes(Float32Array.from(o)));
            expect(Array.from(ours), `case ${k} output ${i} against TFLite Micro`).to.deep.equal(Array.from(theirs[k]![i]!));
          }),
        );
      });
    }
  }
});
