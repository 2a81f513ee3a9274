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
import { floatCnn, hybridMlp } from '../helpers/float_models.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { randomFloats } from '../helpers/float_cases.ts';
import { tflmOutputs } from '../helpers/tflm_ref.ts';
import { listTargets, loadTarget } from '../../src/core/targets/targets.ts';

const F = 'float32' as const;

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
