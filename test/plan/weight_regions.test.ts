// SPDX-License-Identifier: Apache-2.0
/**
 * Weights in internal RAM (src/core/plan/weight_regions.ts): with the option, the layers that read
 * their tables most per byte take the internal RAM the arena leaves, most-read first, within it;
 * the tables stay const, marked for ESP-IDF's DRAM only under ESP_PLATFORM; without the option the
 * C is unchanged; outputs are bit-exact on the host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { executedMacs } from '../../src/core/ops/prepare.ts';
import { findBoard, loadTarget } from '../../src/core/targets/targets.ts';
import { weightsInRamOptions } from '../../src/lab/toolchain/fit.ts';
import { withTargetBuild } from '../../src/lab/run/device-build.ts';
import { runOnHost } from '../../src/lab/device/host.ts';
import { formatWeightsInRam } from '../../src/face/cli/compile.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';

const XTENSA = loadTarget('esp32s3').isa;
const model = () => kwsDsCnn({ channels: 32, blocks: 2 });
const COSTS = { flashAccessCost: 24, ramAccessCost: 1 };

describe('weights in internal RAM', function () {
  const whole = compileGraph(model(), 'kws.tflite', { isa: XTENSA });
  const tableBytes = whole.generated.layerConstBytes;
  // every layer with tables, most-read first
  const candidates = whole.prepared.layers
    .filter((l) => !l.isAlias && (tableBytes[l.position] ?? 0) > 0)
    .map((l) => ({ position: l.position, bytes: tableBytes[l.position]!, readsPerByte: executedMacs(l) / tableBytes[l.position]! }))
    .sort((a, b) => b.readsPerByte - a.readsPerByte || a.bytes - b.bytes);
  const withRam = (left: number, costs = COSTS) =>
    compileGraph(model(), 'kws.tflite', { isa: XTENSA, weightsInRam: { internalBytes: whole.plan.arenaBytes + left, ...costs } });

  it('boards whose flash is slower than their internal RAM get the option', () => {
    const s3 = findBoard('esp32-s3-devkitc-1');
    expect(weightsInRamOptions(s3.target, s3.board)).to.deep.equal({
      weightsInRam: { internalBytes: 425984 - s3.target.memory!.stackBytes - 512, flashAccessCost: 24, ramAccessCost: 1 },
    });
    expect(weightsInRamOptions(loadTarget('esp32s3'), undefined)).to.deep.equal({});
  });

  it('room for every table: each goes, most-read first (one read once per inference too: the copy is made at boot)', () => {
    expect(candidates.length).to.be.greaterThan(1);
    const all = withRam(1 << 20).weightsInRam!;
    expect(all.layers.map((l) => l.position)).to.deep.equal(candidates.map((c) => c.position));
    expect(all.bytes).to.equal(candidates.reduce((n, c) => n + c.bytes, 0));
    expect(all.flashReadsSaved).to.equal(all.layers.reduce((n, l) => n + l.macs, 0));
  });

  it('the budget is honoured: the hottest that fit, none past what the arena leaves', () => {
    const hottest = candidates[0]!;
    const one = withRam(hottest.bytes).weightsInRam!;
    expect(one.layers[0]!.position).to.equal(hottest.position);
    expect(one.bytes).to.be.at.most(hottest.bytes);
    for (const left of [hottest.bytes - 1, Math.floor(candidates.reduce((n, c) => n + c.bytes, 0) / 2), 100]) {
      const plan = withRam(left).weightsInRam!;
      expect(plan.bytes, `${left} bytes left`).to.be.at.most(left);
      const rates = plan.layers.map((l) => l.readsPerByte);
      expect(rates, 'most-read first').to.deep.equal([...rates].sort((a, b) => b - a));
      // a hotter layer left out did not fit what the layers before it left
      for (const c of candidates) {
        if (plan.layers.some((l) => l.position === c.position)) continue;
        const ahead = new Set(candidates.slice(0, candidates.indexOf(c)).map((a) => a.position));
        const before = plan.layers.filter((l) => ahead.has(l.position)).reduce((n, l) => n + l.bytes, 0);
        expect(c.bytes, `layer ${c.position} left out`).to.be.greaterThan(left - before);
      }
    }
    expect(withRam(0).weightsInRam!.layers).to.deep.equal([]);
    expect(withRam(-10).weightsInRam!.layers).to.deep.equal([]);
  });

  it('flash no slower than RAM, or no option: nothing moves and the C is unchanged', () => {
    expect(withRam(1 << 20, { flashAccessCost: 1, ramAccessCost: 1 }).weightsInRam!.layers).to.deep.equal([]);
    const none = withRam(0);
    const text = (c: typeof whole) => c.generated.files.map((f) => f.text.replace(/^.*--weights-in-ram auto.*\n/m, ''));
    expect(whole.weightsInRam).to.equal(undefined);
    expect(text(none)).to.deep.equal(text(whole));
    expect(whole.generated.files.find((f) => f.role === 'weights-source')!.text).to.not.include('WEIGHTS_RAM_SECTION');
  });

  it('the C marks the chosen tables with DRAM_ATTR under ESP-IDF, a .data section of their own under GCC elsewhere, and compiles both ways', function () {
    const compiled = withRam(candidates[0]!.bytes);
    const weights = compiled.generated.files.find((f) => f.role === 'weights-source')!.text;
    expect(weights).to.match(
      /#if !defined\(TF_KWS_DS_CNN_WEIGHTS_RAM_SECTION\) && defined\(ESP_PLATFORM\)\n#include "esp_attr.h"\n#define TF_KWS_DS_CNN_WEIGHTS_RAM_SECTION DRAM_ATTR\n#endif/,
    );
    const inRam = weights.match(/^const \S+ \S+\[\d+\] TF_WEIGHT(16)?_RAM\(/gm) ?? [];
    expect(inRam.length).to.be.greaterThan(0);
    expect(weights.match(/^const \S+ \S+\[\d+\] TF_WEIGHT(16)?\(/gm)?.length ?? 0).to.be.greaterThan(0);
    expect(formatWeightsInRam(compiled.weightsInRam!)).to.match(/^weights in internal RAM: 1 layer's tables, [\d,]+ of [\d,]+ bytes/);
    requireTools(this, ['gcc']);
    const dir = mkdtempSync(join(tmpdir(), 'tf-weights-ram-'));
    try {
      for (const f of compiled.generated.files) writeFileSync(join(dir, f.name), f.text);
      // ESP-IDF's DRAM_ATTR is a section attribute; a stand-in checks it sits where GCC takes it
      writeFileSync(join(dir, 'esp_attr.h'), '#define DRAM_ATTR __attribute__((section(".dram1.tf")))\n');
      for (const defines of [[], ['-DESP_PLATFORM']]) {
        const object = join(dir, `weights${defines.length}.o`);
        execFileSync('gcc', [
          '-std=c99',
          '-Wall',
          '-Wextra',
          '-Wpedantic',
          '-Werror',
          ...defines,
          '-I',
          dir,
          '-c',
          join(dir, 'kws_ds_cnn_weights.c'),
          '-o',
          object,
        ]);
        const sections = execFileSync('objdump', ['-h', object], { encoding: 'utf8' });
        // ESP-IDF: DRAM_ATTR alone; GCC elsewhere: .data's own sections, which start-up copies to RAM
        expect(sections.includes('.dram1.tf')).to.equal(defines.length > 0);
        expect(sections.includes('.data.tf_weights_ram.')).to.equal(defines.length === 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('outputs are bit-exact with tables in RAM (host build)', async function () {
    requireTools(this, ['gcc']);
    const graph = model();
    const rand = rng(44);
    const inputBytes = elementCount(graph.tensors[graph.inputs[0]!]!.shape);
    const cases = [0, 1].map(() => new Uint8Array(randomInt8(rand, inputBytes).buffer));
    const compiled = compileGraph(graph, 'kws.tflite', { weightsInRam: { internalBytes: 1 << 20, ...COSTS } });
    expect(compiled.weightsInRam!.layers.length).to.be.greaterThan(0);
    const expected = cases.flatMap((c) => Array.from(interpret(compiled.prepared, [c]).outputs[0]!));
    const outputs = await withTargetBuild(compiled, loadTarget('host'), undefined, { profile: false, progress: () => {} }, async ({ build }) =>
      runOnHost(build.elf, Uint8Array.from(cases.flatMap((c) => Array.from(c)))),
    );
    expect(Array.from(outputs.outputs)).to.deep.equal(expected);
  });

  it('compile and inspect --weights-in-ram auto agree and report it; none and no flag write the same C', function () {
    if (!sharedModelsAvailable(this)) this.skip();
    const { dir, cleanup } = scratchDir('weights-in-ram');
    try {
      const model = sharedModelPath('micro_speech');
      const board = ['--board', 'esp32-s3-devkitc-1'];
      const compile = (out: string, extra: string[]) => tinyforge(['compile', model, ...board, '-o', join(dir, out), '--json', ...extra]);
      const auto = compile('auto', ['--weights-in-ram', 'auto']);
      expect(auto.status, auto.stderr).to.equal(0);
      const placed = JSON.parse(auto.stdout);
      expect(placed.weightsInRam.layers.length).to.be.greaterThan(0);
      expect(placed.fit.ram.weightsInRam).to.equal(placed.weightsInRam.bytes);
      const inspect = tinyforge(['inspect', model, ...board, '--weights-in-ram', 'auto', '--json']);
      expect(inspect.status, inspect.stderr).to.equal(0);
      expect(JSON.parse(inspect.stdout).weightsInRam).to.deep.equal(placed.weightsInRam);
      const plain = compile('plain', []);
      const none = compile('none', ['--weights-in-ram', 'none']);
      expect(JSON.parse(plain.stdout)).to.not.have.property('weightsInRam');
      const weights = (out: string) => readFileSync(join(dir, out, 'micro_speech_weights.c'), 'utf8');
      // the banner names the command line; the C after it is the same
      const code = (out: string) => weights(out).slice(weights(out).indexOf('#include'));
      expect(code('none')).to.equal(code('plain'));
      expect(weights('auto')).to.include('TF_MICRO_SPEECH_WEIGHTS_RAM_SECTION DRAM_ATTR');
      const noBoard = tinyforge(['compile', model, '-o', join(dir, 'x'), '--weights-in-ram', 'auto']);
      expect(noBoard.status).to.not.equal(0);
      expect(noBoard.stderr).to.include('give the --board');
      const inspectNoBoard = tinyforge(['inspect', model, '--weights-in-ram', 'auto']);
      expect(inspectNoBoard.status).to.not.equal(0);
      expect(inspectNoBoard.stderr).to.include('give the --board');
    } finally {
      cleanup();
    }
  });
});
