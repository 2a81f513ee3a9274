// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 family kernels of ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX and MEAN in real firmware:
 * models of several layers drawn by the int16 fuzz generators (test/fuzz/ops/int16.ts), run on the
 * emulated Cortex-M4 (QEMU mps2-an386: SMMULR, SSUB16/SEL), RP2040 (rp2040js: Armv6-M) and ESP32-C3
 * class (QEMU riscv32 virt: RV32), every output bit-exact with the TS reference on random int16
 * inputs, extremes included.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../../ir/graph.ts';
import { elementCount } from '../../../ir/graph.ts';
import { saveTflite } from '../../../../lab/model_files.ts';
import { runModel } from '../../../../lab/run/run.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { GraphBuilder, sideBySideCases } from '../../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../../test/helpers/op_harness.ts';
import { generators } from '../../../../../test/fuzz/ops/int16.ts';

/** One graph of independent generated layers, each with its own input and output. */
function generatedModel(name: string, seed: number, layers: string[]): Graph {
  const b = new GraphBuilder(name);
  layers.forEach((g, k) => generators.find((x) => x.name === g)!.generate({ b, rand: rng(seed * 100 + k), dtype: 'int16' }));
  return b.build();
}

/** Random int16 inputs: half the cases at the ends of the range (the largest products). */
function inputs(graph: Graph, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  return [false, true].map((ends) =>
    graph.inputs.map((i) => {
      const n = elementCount(graph.tensors[i]!.shape);
      const v = Int16Array.from({ length: n }, () => (ends ? (rand() < 0.5 ? -32768 : 32767) : Math.floor(rand() * 65536) - 32768));
      return new Uint8Array(v.buffer);
    }),
  );
}

const LAYERS = [
  'add-int16',
  'sub-int16',
  'mul-int16',
  'avg-pool-int16',
  'max-pool-int16',
  'avg-pool-int16',
  'max-pool-int16',
  'softmax-int16',
  'mean-int16',
  'mean-int16',
  'add-int16',
];

const BOARDS: { target: string; board: string; tools: string[] }[] = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'] },
  { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

for (const { target, board, tools } of BOARDS) {
  describe(`16x8 ADD / SUB / MUL / pool / SOFTMAX / MEAN family kernels on the emulated ${target} (${board})`, function () {
    let dir = '';
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-int16-family-emu-'));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    it(`two generated models of ${LAYERS.length} layers (seeds 1 and 2), side by side in one image, are bit-exact with the reference`, async () => {
      const seeded = (seed: number, graph = generatedModel(`int16_family_${seed}`, seed, LAYERS)) => ({ graph, cases: inputs(graph, seed) });
      const { graph, cases } = sideBySideCases('int16_family', [seeded(1), seeded(2)]);
      const path = join(dir, `${graph.name}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, board, cases });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });
  });
}
