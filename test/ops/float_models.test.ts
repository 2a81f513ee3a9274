// SPDX-License-Identifier: Apache-2.0
/**
 * Float32 models end to end: a float CNN (CONV_2D, DEPTHWISE_CONV_2D, pools, RELU/RELU6, RESHAPE,
 * FULLY_CONNECTED, ADD, MUL, SUB, NEG, SQUARE) and a hybrid int8 model whose middle runs in float32 between a
 * DEQUANTIZE and a QUANTIZE, with a float output. The TypeScript reference gives TFLite Micro's
 * outputs (tflm-ref) byte for byte, and the compiled C gives the same bytes on the host (sanitizers
 * on), on the emulated Cortex-M4 (single-precision FPU, -mfloat-abi=hard) and on the emulated
 * Cortex-M0 (soft-float).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { toBytes } from '../../src/core/ir/buffers.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools } from '../build/helpers.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { randomFloats } from '../helpers/float_cases.ts';
import { tflmOutputs } from '../helpers/tflm_ref.ts';
import { listTargets, loadTarget } from '../../src/core/targets/targets.ts';

const F = 'float32' as const;

/** A float CNN: 8x8x2 -> conv 3x3 RELU -> depthwise 3x3 /2 RELU6 -> max pool -> average pool -> FC -> +, x, -, RELU, NEG, SQUARE. */
export function floatCnn(): Graph {
  const rand = rng(501);
  const b = new GraphBuilder('float_cnn');
  const x = b.input({ shape: [1, 8, 8, 2], dtype: F, name: 'x' });
  const w1 = b.constant({ shape: [4, 3, 3, 2], dtype: F }, randomFloats(rand, 72, 1));
  const b1 = b.constant({ shape: [4], dtype: F }, randomFloats(rand, 4, 1));
  const conv = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
  const [c1] = b.op('CONV_2D', [x, w1, b1], [{ shape: [1, 8, 8, 4], dtype: F }], { ...conv, padding: 'SAME', activation: 'RELU' });
  const w2 = b.constant({ shape: [1, 3, 3, 8], dtype: F }, randomFloats(rand, 72, 1));
  const b2 = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [d1] = b.op('DEPTHWISE_CONV_2D', [c1!, w2, b2], [{ shape: [1, 4, 4, 8], dtype: F }], {
    ...conv,
    strideH: 2,
    strideW: 2,
    padding: 'SAME',
    activation: 'RELU6',
    depthMultiplier: 2,
  });
  const pool = { padding: 'VALID', strideH: 1, strideW: 1, filterH: 2, filterW: 2, activation: 'NONE' };
  const [m1] = b.op('MAX_POOL_2D', [d1!], [{ shape: [1, 3, 3, 8], dtype: F }], pool);
  const [a1] = b.op('AVERAGE_POOL_2D', [m1!], [{ shape: [1, 2, 2, 8], dtype: F }], pool);
  const [r1] = b.op('RESHAPE', [a1!], [{ shape: [1, 32], dtype: F }]);
  const w3 = b.constant({ shape: [10, 32], dtype: F }, randomFloats(rand, 320, 1));
  const [f1] = b.op('FULLY_CONNECTED', [r1!, w3], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const k1 = b.constant({ shape: [10], dtype: F }, randomFloats(rand, 10, 1));
  const [s1] = b.op('ADD', [f1!, k1], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const [p1] = b.op('MUL', [s1!, f1!], [{ shape: [1, 10], dtype: F }], { activation: 'RELU_N1_TO_1' });
  const [q1] = b.op('SUB', [p1!, s1!], [{ shape: [1, 10], dtype: F }], { activation: 'NONE' });
  const [u1] = b.op('RELU', [q1!], [{ shape: [1, 10], dtype: F }]);
  const [n1] = b.op('NEG', [u1!], [{ shape: [1, 10], dtype: F }]);
  const [v1] = b.op('SQUARE', [s1!], [{ shape: [1, 10], dtype: F }]);
  b.output(n1!, v1!);
  return b.build();
}

/** int8 in -> int8 FC -> DEQUANTIZE -> float FC RELU6 -> float ADD -> QUANTIZE -> int8 FC -> DEQUANTIZE (float out), and a float output. */
export function hybridMlp(): Graph {
  const rand = rng(502);
  const b = new GraphBuilder('hybrid_mlp');
  const x = b.input({ shape: [1, 12], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
  const w1 = b.constant({ shape: [16, 12], q: { scale: 0.01, zeroPoint: 0 } }, randomInt8(rand, 192));
  const bias1 = b.constant(
    { shape: [16], dtype: 'int32' },
    Int32Array.from({ length: 16 }, () => Math.floor(rand() * 400) - 200),
  );
  const [h1] = b.op('FULLY_CONNECTED', [x, w1, bias1], [{ shape: [1, 16], q: { scale: 0.08, zeroPoint: 5 } }], { activation: 'NONE' });
  const [f1] = b.op('DEQUANTIZE', [h1!], [{ shape: [1, 16], dtype: F }]);
  const w2 = b.constant({ shape: [8, 16], dtype: F }, randomFloats(rand, 128, 0.5));
  const bias2 = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [f2] = b.op('FULLY_CONNECTED', [f1!, w2, bias2], [{ shape: [1, 8], dtype: F }], { activation: 'RELU6' });
  const k = b.constant({ shape: [8], dtype: F }, randomFloats(rand, 8, 1));
  const [f3] = b.op('ADD', [f2!, k], [{ shape: [1, 8], dtype: F }], { activation: 'NONE' });
  const [q3] = b.op('QUANTIZE', [f3!], [{ shape: [1, 8], q: { scale: 0.04, zeroPoint: -10 } }]);
  const w3 = b.constant({ shape: [4, 8], q: { scale: 0.02, zeroPoint: 0 } }, randomInt8(rand, 32));
  const [h3] = b.op('FULLY_CONNECTED', [q3!, w3], [{ shape: [1, 4], q: { scale: 0.03, zeroPoint: 2 } }], { activation: 'NONE' });
  const [y] = b.op('DEQUANTIZE', [h3!], [{ shape: [1, 4], dtype: F }]);
  b.output(y!, f3!);
  return b.build();
}

function cases(graph: Graph, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  return [0, 1, 2].map(() =>
    graph.inputs.map((i) => {
      const t = graph.tensors[i]!;
      const n = elementCount(t.shape);
      return new Uint8Array(toBytes(t.dtype === F ? randomFloats(rand, n, 2) : randomInt8(rand, n)));
    }),
  );
}

const MODELS: [string, () => Graph, number][] = [
  ['a float CNN', floatCnn, 61],
  ['a hybrid int8 model with a float32 middle and a float output', hybridMlp, 62],
];

describe('float32 models (host, Cortex-M4 with FPU, Cortex-M0 soft-float)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-float-models-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every target compiles in ISO C mode, where GCC contracts no a * b + c into an FMA (-ffp-contract=off)', () => {
    // with -std=gnu99 the Cortex-M4 build fuses the float sums into vfma.f32: bits TFLite Micro never computes
    for (const name of listTargets()) {
      const flags = loadTarget(name).toolchain.cflags;
      expect(flags, name).to.include('-std=c99');
      expect(
        flags.filter((f) => /^-ffp-contract=(fast|on)$|^-ffast-math$|^-Ofast$/.test(f)),
        name,
      ).to.deep.equal([]);
    }
  });

  for (const [what, build, seed] of MODELS) {
    describe(what, () => {
      it("the TS reference gives TFLite Micro's outputs byte for byte", () => {
        const graph = build();
        const compiled = compileGraph(graph);
        for (const cs of cases(graph, seed)) {
          const ours = interpret(compiled.prepared, cs).outputs;
          const theirs = tflmOutputs(graph, cs);
          ours.forEach((o, i) => expect(Array.from(o), `output ${i}`).to.deep.equal(Array.from(theirs[i]!)));
        }
      });

      for (const target of ['host', 'cortex-m4', 'cortex-m0']) {
        it(`the compiled C on ${target} gives the reference bytes`, async function () {
          if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
          const graph = build();
          const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
          saveTflite(path, graph);
          const cs = cases(graph, seed);
          const report = await runModel(path, { target, cases: cs, sanitize: target === 'host' });
          expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cs.map(() => true));
        });
      }
    });
  }
});
