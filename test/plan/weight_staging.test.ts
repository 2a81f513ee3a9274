// SPDX-License-Identifier: Apache-2.0
/**
 * Weights staged in the arena (src/core/plan/weight_staging.ts): on a board whose flash is slower
 * and replayed (the NUCLEO-L4R5ZI's ART), each layer that reads its tables many times copies them
 * into its scratch at its start. Checked on generated models of every shape family the staging
 * meets (a MobileNet's stem, depthwise and 1x1 layers, a keyword spotter's 10x4 conv and FC, a
 * ResNet's residual adds, a pruned MobileNet's sparse kernels, the row-band stage): which layers
 * are staged, that the arena stays within the RAM given, bit-exact outputs on the host under the
 * sanitizers (portable kernels) and on the emulated Cortex-M4 (its DSP kernels), and fewer cycles
 * than the tables read from flash.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { type Graph, elementCount } from '../../src/core/ir/graph.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { executedMacs } from '../../src/core/ops/prepare.ts';
import { findBoard, loadTarget } from '../../src/core/targets/targets.ts';
import { STAGE_MIN_READS_PER_BYTE, type StageWeightsOption } from '../../src/core/plan/weight_staging.ts';
import { stageWeightsOptions, weightsInRamChoice, weightsInRamDefault } from '../../src/lab/toolchain/fit.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools } from '../build/helpers.ts';
import { STRICT_HOST_CFLAGS, randomInt8, rng } from '../helpers/op_harness.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { mobileNet } from '../helpers/mobilenet_model.ts';
import { resnet8 } from '../helpers/resnet_model.ts';

const M4 = loadTarget('cortex-m4');
const L4R5 = findBoard('nucleo-l4r5zi');
const STAGE: StageWeightsOption = { internalBytes: 1 << 20, cachedBytes: 256, minReadsPerByte: STAGE_MIN_READS_PER_BYTE };

/** The graph with `fraction` of every CONV_2D's weights set to zero (a pruned model: sparse kernels where they pay). */
function pruned(graph: Graph, fraction: number, seed: number): Graph {
  const rand = rng(seed);
  const tensors = graph.tensors.map((t) => ({ ...t }));
  for (const op of graph.ops.filter((o) => o.kind === 'CONV_2D')) {
    const w = tensors[op.inputs[1]!]!;
    if (!w.data) continue;
    const data = Uint8Array.from(w.data);
    for (let k = 0; k < data.length; k++) if (rand() < fraction) data[k] = 0;
    tensors[op.inputs[1]!] = { ...w, data };
  }
  return { ...graph, tensors };
}

const MODELS: { name: string; graph: () => Graph }[] = [
  { name: 'MobileNet 0.25 at 32x32', graph: () => mobileNet({ size: 32, widths: [8, 16, -32, 32, -64, 64], classes: 4, name: 'mobilenet_stage' }) },
  { name: 'keyword spotter (10x4 conv, FC)', graph: () => kwsDsCnn({ channels: 24, blocks: 2, classes: 6, name: 'kws_stage' }) },
  { name: 'ResNet-8 (residual adds)', graph: () => resnet8({ seed: 9 }) },
  {
    name: 'MobileNet pruned 98 % (sparse kernels)',
    graph: () => pruned(mobileNet({ size: 24, widths: [8, 16, -32, 64, 128], classes: 4, name: 'mobilenet_pruned', seed: 5 }), 0.98, 3),
  },
  { name: 'MobileNet 0.25 at 96x96 (row bands)', graph: () => mobileNet({ size: 96, widths: [8, 16, -32, 32], classes: 2, name: 'mobilenet_bands' }) },
];

describe('weights staged in the arena', function () {
  it('the boards whose flash path is replayed stage by default, above their data cache; the others keep their tables where they are', () => {
    expect(weightsInRamDefault(L4R5.target, L4R5.board)).to.equal('staged');
    expect(stageWeightsOptions(L4R5.target, L4R5.board)).to.deep.equal({
      stageWeights: { internalBytes: 655360 - L4R5.target.memory!.stackBytes - 512, cachedBytes: 256, minReadsPerByte: STAGE_MIN_READS_PER_BYTE },
    });
    // the M7's 16 KiB D-cache; half the U575's ICACHE and the Pico's XIP cache, which hold the code too
    for (const [name, cachedBytes] of [
      ['nucleo-h7a3zi-q', 16384],
      ['nucleo-u575zi-q', 4096],
      ['pico', 8192],
    ] as const) {
      const { target, board } = findBoard(name);
      expect(weightsInRamDefault(target, board), name).to.equal('staged');
      expect(stageWeightsOptions(target, board).stageWeights, name).to.deep.include({ cachedBytes, minReadsPerByte: STAGE_MIN_READS_PER_BYTE });
    }
    for (const name of ['esp32-s3-devkitc-1', 'nrf52840-dk', 'qemu-mps2-an386']) {
      const { target, board } = findBoard(name);
      expect(weightsInRamDefault(target, board), name).to.equal('none');
      expect(weightsInRamChoice(undefined, target, board), name).to.deep.equal({});
    }
    expect(weightsInRamDefault(M4, undefined)).to.equal('none');
    expect(weightsInRamChoice('none', L4R5.target, L4R5.board)).to.deep.equal({});
    expect(weightsInRamChoice('auto', L4R5.target, L4R5.board)).to.have.property('weightsInRam');
    expect(() => weightsInRamChoice('staged', M4, undefined)).to.throw(/give the --board/);
  });

  for (const { name, graph } of MODELS) {
    it(`${name}: the layers that re-read tables larger than the flash's cache are staged, within the RAM given`, () => {
      const plain = compileGraph(graph(), 'm.tflite', { isa: M4.isa });
      const staged = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: STAGE });
      const plan = staged.stagedWeights!;
      expect(plan.layers.length, 'layers staged').to.be.greaterThan(0);
      // the families each model is here for
      const variants = plain.prepared.layers.map((l) => `${l.op.kind} ${l.variant.name}`).join('; ');
      if (/pruned/.test(name)) expect(variants).to.match(/sparse/);
      if (/row bands/.test(name))
        expect(
          plan.layers.some((l) => plain.prepared.layers[l.position]!.op.kind === 'PATCH_STAGE'),
          variants,
        ).to.equal(true);
      const tables = plain.generated.layerTables;
      for (const layer of plain.prepared.layers) {
        const bytes = (tables[layer.position] ?? []).reduce((n, t) => n + t.bytes, 0);
        const chosen = plan.layers.find((l) => l.position === layer.position);
        const eligible = !layer.isAlias && bytes > STAGE.cachedBytes && executedMacs(layer) / bytes >= STAGE.minReadsPerByte;
        expect(chosen !== undefined, `layer ${layer.position} ${layer.op.kind}: ${bytes} B, ${executedMacs(layer)} MACs`).to.equal(eligible);
        if (chosen) {
          expect(chosen.bytes).to.equal(bytes);
          // each table on a 16-byte boundary, after the kernel's own scratch, inside the layer's scratch
          for (const t of chosen.tables) expect(t.offset % 16).to.equal(0);
          expect(chosen.tables[0]!.offset).to.be.at.least(layer.scratchBytes);
          expect(staged.prepared.layers[layer.position]!.scratchBytes).to.be.at.least(chosen.tables.at(-1)!.offset + chosen.tables.at(-1)!.bytes);
        }
      }
      // a fully connected layer on one row reads each weight once: never staged
      for (const l of plain.prepared.layers.filter((x) => x.op.kind === 'FULLY_CONNECTED'))
        expect(plan.layers.some((s) => s.position === l.position)).to.equal(false);
      expect(plan.arenaBefore).to.equal(plain.plan.arenaBytes);
      expect(staged.plan.arenaBytes).to.equal(plan.arenaAfter);
      // the weights stay in flash: the same tables, byte for byte
      const weights = (c: typeof plain) => c.generated.files.find((f) => f.role === 'weights-source')!.text.replace(/^.*\n/, '');
      expect(weights(staged)).to.equal(weights(plain));
    });
  }

  it('the arena grows only as far as the RAM given; the least-read layers are dropped first, none when nothing fits', () => {
    const graph = MODELS[0]!.graph;
    const plain = compileGraph(graph(), 'm.tflite', { isa: M4.isa });
    const all = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: STAGE }).stagedWeights!;
    const grown = all.arenaAfter - all.arenaBefore;
    expect(grown).to.be.greaterThan(0);
    const tight = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: { ...STAGE, internalBytes: all.arenaAfter - 1 } });
    expect(tight.plan.arenaBytes).to.be.at.most(all.arenaAfter - 1);
    const kept = tight.stagedWeights?.layers ?? [];
    expect(kept.length).to.be.lessThan(all.layers.length);
    const least = Math.min(...kept.map((l) => l.readsPerByte));
    for (const dropped of all.layers.filter((l) => !kept.some((k) => k.position === l.position))) expect(dropped.readsPerByte).to.be.at.most(least);
    const none = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: { ...STAGE, internalBytes: plain.plan.arenaBytes - 1 } });
    expect(none.stagedWeights).to.equal(undefined);
    expect(none.generated.files.map((f) => f.text)).to.deep.equal(plain.generated.files.map((f) => f.text));
    // a budget is a limit too
    const budget = compileGraph(graph(), 'm.tflite', { isa: M4.isa, budget: { ram: all.arenaAfter - 1 }, stageWeights: STAGE });
    expect(budget.plan.arenaBytes).to.be.at.most(all.arenaAfter - 1);
    // an arena the application passes is not planned for copies
    expect(compileGraph(graph(), 'm.tflite', { isa: M4.isa, arena: 'caller', stageWeights: STAGE }).stagedWeights).to.equal(undefined);
    // an arena that fits a faster RAM unstaged (the H7A3's DTCM) keeps within it; one that does not, within the RAM
    const fast = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: { ...STAGE, fastBytes: all.arenaAfter - 1 } });
    expect(fast.plan.arenaBytes).to.be.at.most(all.arenaAfter - 1);
    expect(fast.stagedWeights?.layers.length ?? 0).to.be.lessThan(all.layers.length);
    const past = compileGraph(graph(), 'm.tflite', { isa: M4.isa, stageWeights: { ...STAGE, fastBytes: plain.plan.arenaBytes - 1 } });
    expect(past.stagedWeights?.arenaAfter).to.equal(all.arenaAfter);
  });

  it('bit-exact on the host under AddressSanitizer and UBSan, every model (portable kernels reading the copies)', function () {
    requireTools(this, ['gcc']);
    for (const { name, graph: make } of MODELS) {
      const graph = make();
      const compiled = compileGraph(graph, 'm.tflite', { stageWeights: STAGE });
      expect(compiled.stagedWeights?.layers.length ?? 0, name).to.be.greaterThan(0);
      const input = graph.tensors[graph.inputs[0]!]!;
      const bytes = Uint8Array.from(randomInt8(rng(17), elementCount(input.shape)), (v) => v & 0xff);
      const expected = Array.from(interpret(compiled.prepared, [bytes]).outputs[0]!);
      const prefix = compiled.generated.prefix;
      const dir = mkdtempSync(join(tmpdir(), 'tf-staged-'));
      try {
        for (const f of compiled.generated.files) writeFileSync(join(dir, f.name), f.text);
        const main = join(dir, 'main.c');
        writeFileSync(
          main,
          `#include <stdio.h>
#include <string.h>
#include "${compiled.generated.fileNames.header}"
static const unsigned char input[] = { ${Array.from(bytes).join(', ')} };
int main(void) {
  if (${prefix}_init() != TF_OK) return 2;
  memcpy(${prefix}_input(0), input, sizeof input);
  if (${prefix}_invoke() != TF_OK) return 3;
  const unsigned char *out = (const unsigned char *)${prefix}_output(0);
  for (size_t k = 0; k < ${prefix}_output_bytes(0); k++) printf("%d\\n", (signed char)out[k]);
  return 0;
}
`,
        );
        const sources = compiled.generated.files.filter((f) => f.name.endsWith('.c')).map((f) => join(dir, f.name));
        const exe = join(dir, 'main');
        execFileSync('gcc', [...STRICT_HOST_CFLAGS, '-I', dir, ...sources, main, '-o', exe, '-lm'], { stdio: 'pipe' });
        const printed = execFileSync(exe, [], { encoding: 'utf8' }).trim().split('\n').map(Number);
        expect(printed, name).to.deep.equal(expected.map((v) => (v << 24) >> 24));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  describe('on the emulated Cortex-M4 for the NUCLEO-L4R5ZI (its DSP kernels)', function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tf-staged-m4-'));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    for (const k of [0, 3]) {
      const { name, graph } = MODELS[k]!;
      it(`${name}: bit-exact by default (staged), the same outputs as in flash, fewer cycles`, async function () {
        const path = join(dir, `m${k}.tflite`);
        writeFileSync(path, writeTflite(graph()));
        const rand = rng(31 + k);
        const g = graph();
        const inputBytes = elementCount(g.tensors[g.inputs[0]!]!.shape);
        const cases = [0, 1].map(() => [new Uint8Array(randomInt8(rand, inputBytes).buffer)]);
        const staged = await runModel(path, { target: 'cortex-m4', board: 'nucleo-l4r5zi', cases });
        const flash = await runModel(path, { target: 'cortex-m4', board: 'nucleo-l4r5zi', weightsInRam: 'none', cases });
        expect(staged.matchesReference).to.equal(true);
        expect(staged.cases.map((c) => c.outputs)).to.deep.equal(flash.cases.map((c) => c.outputs));
        expect(staged.cycleEstimate!.perInference).to.be.lessThan(flash.cycleEstimate!.perInference);
      });
    }
  });
});
