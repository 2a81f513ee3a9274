// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 target variants (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) in real firmware: models of
 * several layers drawn by the int16 fuzz generators (test/fuzz/ops/int16.ts), run on the emulated
 * Cortex-M4 (QEMU mps2-an386: the DSP kernel's SMLAD), RP2040 (rp2040js: Armv6-M) and ESP32-C3 class (QEMU riscv32 virt:
 * RV32), every output bit-exact with the TS reference on random int16 inputs, extremes included.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../../ir/graph.ts';
import { elementCount } from '../../../ir/graph.ts';
import { saveTflite } from '../../../../lab/model_files.ts';
import { runModel } from '../../../../lab/run/run.ts';
import { compileGraph } from '../../../compile.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import { interpret } from '../../interpreter.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { GraphBuilder, sideBySide, sideBySideCases } from '../../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../../test/helpers/op_harness.ts';
import { int16BoundaryCase } from '../../../../../test/helpers/int16_boundary_cases.ts';
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

const LAYERS = ['conv2d-int16', 'conv2d-int16', 'conv2d-int16', 'depthwise-int16', 'depthwise-int16', 'fc-int16', 'fc-int16'];

/** CONV_2D only: the Arm DSP kernel's two-pixel blocks, odd pixel counts, odd filters and left-over inputs */
const CONV_LAYERS = Array.from({ length: 10 }, () => 'conv2d-int16');

const BOARDS: { target: string; board: string; tools: string[] }[] = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'] },
  { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

for (const { target, board, tools } of BOARDS) {
  describe(`16x8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED variants on the emulated ${target} (${board})`, function () {
    let dir = '';
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-int16-emu-'));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    it(`two generated models of ${LAYERS.length} layers (seeds 1 and 2), side by side in one image, are bit-exact with the reference`, async () => {
      const seeded = (seed: number, graph = generatedModel(`int16_variants_${seed}`, seed, LAYERS)) => ({ graph, cases: inputs(graph, seed) });
      const { graph, cases } = sideBySideCases('int16_variants', [seeded(1), seeded(2)]);
      const path = join(dir, `${graph.name}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, board, cases });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });

    it('6 generated layers across the 32-bit requantization bounds (shifts, sums near the int32 limits) are bit-exact with the reference', async () => {
      // the six single-layer graphs side by side in one model: one build and one session, every output checked
      const rand = rng(4242);
      const layers = Array.from({ length: 6 }, (_, k) => int16BoundaryCase(rand, k));
      const graph = sideBySide(
        'int16_boundary',
        layers.map((l) => l.graph),
      );
      const path = join(dir, `${graph.name}.tflite`);
      saveTflite(path, graph);
      const xs = layers.flatMap((l) => l.inputs.map((x) => new Uint8Array(x.buffer)));
      const report = await runModel(path, { target, board, cases: [xs] });
      const expected = interpret(compileGraph(graph, `${graph.name}.tflite`).prepared, xs).outputs;
      expect(report.cases[0]!.outputs).to.have.length(layers.length);
      report.cases[0]!.outputs.forEach((values, o) => {
        const layer = `layer ${o} (${layers[o]!.op.kind}, weights ${JSON.stringify(layers[o]!.graph.tensors[1]!.shape)})`;
        expect(values, layer).to.deep.equal(Array.from(fromBytes('int16', expected[o]!) as Int16Array));
      });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true]);
    });

    it(`a generated model of ${CONV_LAYERS.length} CONV_2D layers is bit-exact with the reference`, async () => {
      const graph = generatedModel('int16_conv_variants', 3, CONV_LAYERS);
      const path = join(dir, `${graph.name}.tflite`);
      saveTflite(path, graph);
      const cases = inputs(graph, 3);
      const report = await runModel(path, { target, board, cases });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });
  });
}
