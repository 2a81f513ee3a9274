// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 and the ESP32 on Espressif's QEMU machines (`-M esp32s3`, `-M esp32`: boards
 * qemu-esp32s3 and qemu-esp32, the targets' default emulated boards): the device harness built with
 * Espressif's compilers, loaded with `-kernel`, spoken to over the chip's UART0, counted by the
 * project's QEMU plugin. On the S3 the `ee.*` SIMD kernels run (`"s3simd": true`): the shared and zoo
 * models on every golden case, byte for byte with TFLite Micro; per-layer counts read back by
 * profile. Without esp-qemu or the compilers (CI has neither: docs/reference-runtimes.md builds
 * them) the suite skips with a notice, and `run` falls back to QEMU's sim machine, saying so.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { splitInputs } from '../../src/core/ops/interpreter.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { boardOf, boardIsa, loadTarget } from '../../src/core/targets/targets.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { profileModel } from '../../src/lab/run/profile.ts';
import { findEmulator, installedBoard, placeOnInstalledBoards, toolchainPath } from '../../src/lab/toolchain/compilers.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { SHARED_MODEL_NAMES, sharedFile, sharedListing, sharedModelsAvailable } from '../helpers/shared.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { compileForTarget, withTargetBuild } from '../../src/lab/run/device-build.ts';
import { espAppImageFromElf } from '../../src/lab/device/esp/app_image.ts';
import { dromFlashImages } from '../../src/lab/device/esp/flash_window.ts';
import { ESP_MACHINES, startEspQemu, writeFlashFile } from '../../src/lab/device/esp/emulated.ts';
import { DeviceSession } from '../../src/lab/device/session.ts';
import { valuesToBytes } from '../fuzz/campaign.ts';
import { MLPERF_MODELS } from '../../bench/mlperf.ts';
import { saveTflite } from '../../src/lab/model_files.ts';

/** Why `target`'s esp-qemu board cannot run here, or null. */
function espQemuMissing(targetName: string): string | null {
  const target = loadTarget(targetName);
  try {
    findTool(target.toolchain.cc, target.toolchain.install, { ...process.env, PATH: toolchainPath(target) });
  } catch {
    return `${target.toolchain.cc} not found`;
  }
  try {
    findEmulator(boardOf(target, `qemu-${targetName}`)!.emulator!);
  } catch (e) {
    return (e as Error).message.split(':')[0]!;
  }
  return null;
}

/** A shared (or zoo) model's golden cases: inputs and TFLite Micro's outputs. */
function golden(name: string, zoo: boolean): { input: Uint8Array; output: Uint8Array }[] {
  const dir = sharedFile(...(zoo ? ['zoo'] : []), 'golden', name);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: { input: string; output: string }[] };
  return index.cases.map((c) => ({ input: new Uint8Array(readFileSync(join(dir, c.input))), output: new Uint8Array(readFileSync(join(dir, c.output))) }));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Runs every golden case of a model on `board` and checks TFLite Micro's bytes. */
async function runGolden(targetName: string, board: string, path: string, cases: { input: Uint8Array; output: Uint8Array }[]) {
  const target = loadTarget(targetName);
  const compiled = compileGraph(readTflite(path), basename(path), { isa: boardIsa(target, boardOf(target, board)) });
  const report = await runModel(path, {
    target: targetName,
    board,
    cases: cases.map((c, i) => splitInputs(compiled.prepared, c.input, `case ${i}`)),
    estimate: false,
  });
  report.cases.forEach((r, i) => {
    const bytes = Buffer.concat(r.outputs.map((values, k) => valuesToBytes(compiled.graph.tensors[compiled.graph.outputs[k]!]!.dtype, values as number[])));
    expect(hex(bytes), `case ${i}`).to.equal(hex(cases[i]!.output));
  });
  expect(report.matchesReference).to.equal(true);
  return { report, compiled };
}

const MODELS = [
  ...SHARED_MODEL_NAMES.map((name) => ({ name, zoo: false })),
  ...sharedListing('zoo')
    .filter((f) => f.endsWith('.tflite'))
    .map((f) => ({ name: f.replace(/\.tflite$/, ''), zoo: true })),
];

describe("device: esp32s3 on Espressif's QEMU esp32s3 machine (the SIMD kernels executed)", function () {
  before(function () {
    sharedModelsAvailable(this);
    const missing = espQemuMissing('esp32s3');
    if (missing) skipAbsent(missing, "skipping the runs on Espressif's QEMU esp32s3", this, false);
  });

  it('is the default board of --target esp32s3 and of the devkit without a port; --json names the machine and the ISA', async function () {
    const target = loadTarget('esp32s3');
    expect(placeOnInstalledBoards(target, undefined, false).runOn?.name).to.equal('qemu-esp32s3');
    expect(placeOnInstalledBoards(target, 'esp32-s3-devkitc-1', false).runOn?.name).to.equal('qemu-esp32s3');
    const report = await runModel(sharedFile('micro_speech.tflite'), { target: 'esp32s3', estimate: false });
    expect(report.board).to.equal('qemu-esp32s3');
    expect(report.emulator).to.deep.equal({ program: 'qemu-system-xtensa', machine: 'esp32s3' });
    expect(report.isa).to.include({ xtensa: true, s3simd: true });
    expect(report.counter?.source).to.match(/instruction-counting plugin/);
    expect(report.matchesReference).to.equal(true);
  });

  for (const { name, zoo } of MODELS) {
    it(`${zoo ? 'zoo/' : ''}${name}: every golden case bit-exact with TFLite Micro`, async function () {
      const path = sharedFile(...(zoo ? ['zoo'] : []), `${name}.tflite`);
      const { report, compiled } = await runGolden('esp32s3', 'qemu-esp32s3', path, golden(name, zoo));
      const simd = compiled.prepared.layers.filter((l) => l.variant.family === 'xtensa-s3').length;
      console.log(
        `    ${zoo ? 'zoo/' : ''}${name}: ${report.perInference} instructions per inference, ${simd} of ${compiled.prepared.layers.length} layers on the SIMD kernels`,
      );
    });
  }

  it('profile reads back per-layer counts that add up to the inference', async function () {
    const report = await profileModel(sharedFile('person_detect.tflite'), { target: 'esp32s3', board: 'esp32-s3-devkitc-1' });
    expect(report.board).to.equal('qemu-esp32s3');
    expect(report.isa).to.include({ s3simd: true });
    expect(report.matchesReference).to.equal(true);
    const counted = report.layers.filter((l) => l.count !== null && l.count > 0);
    expect(counted.length).to.be.greaterThan(10);
    const sum = report.layers.reduce((n, l) => n + (l.count ?? 0), 0);
    expect(sum)
      .to.be.at.most(report.perInference)
      .and.greaterThan(0.95 * report.perInference);
    expect(report.cycleEstimate?.core).to.equal('xtensa-lx7');
  });

  it('counts only the core that runs the model: two profiles of person_detect agree to the instruction, layer by layer', async function () {
    // the machine's second core (the app CPU) runs from reset in the ROM beside the first, as long
    // as host time lets it: counted, it added 0.5-15 % to an inference, differently each run
    const counts = async () => {
      const report = await profileModel(sharedFile('person_detect.tflite'), { target: 'esp32s3', board: 'esp32-s3-devkitc-1' });
      return [report.perInference, ...report.layers.map((l) => l.count)];
    };
    expect(await counts()).to.deep.equal(await counts());
  });
});

describe("device: esp32 on Espressif's QEMU esp32 machine", function () {
  before(function () {
    sharedModelsAvailable(this);
    const missing = espQemuMissing('esp32');
    if (missing) skipAbsent(missing, "skipping the runs on Espressif's QEMU esp32", this, false);
  });

  for (const name of ['hello_world_int8', 'micro_speech', 'simple_add', 'mnist_lstm_int8']) {
    it(`${name}: every golden case bit-exact with TFLite Micro`, async function () {
      const { report } = await runGolden('esp32', 'qemu-esp32', sharedFile(`${name}.tflite`), golden(name, false));
      expect(report.board).to.equal('qemu-esp32');
      expect(report.emulator).to.deep.equal({ program: 'qemu-system-xtensa', machine: 'esp32' });
      expect(report.counter?.source).to.match(/instruction-counting plugin/);
    });
  }

  it('person_detect: weights in flash behind the data cache (DROM0), every golden case bit-exact', async function () {
    // 300 KiB of weights and the arena do not fit the 320 KiB of data SRAM together: the weights
    // are read from the emulated SPI flash through the 0x3F400000 window, as on the chip
    const { report } = await runGolden('esp32', 'qemu-esp32', sharedFile('person_detect.tflite'), golden('person_detect', false));
    expect(report.memory.flashWeights).to.be.greaterThan(320 * 1024);
  });

  it('the MLPerf Tiny shapes whose weights outgrow the data SRAM run from flash, bit-exact with the reference', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-esp32-mlperf-'));
    try {
      for (const name of ['vww', 'ad']) {
        const path = join(dir, `${name}.tflite`);
        saveTflite(path, MLPERF_MODELS.find((m) => m.key === name)!.build());
        const report = await runModel(path, { target: 'esp32', estimate: false });
        expect(report.matchesReference, name).to.equal(true);
        expect(report.memory.flashWeights, name).to.be.greaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Xtensa targets where esp-qemu is not installed', function () {
  it('run on the sim machine instead, and say so', function () {
    const env = { ...process.env, TINYFORGE_TFLM_TOOLS: '/nonexistent' };
    const target = loadTarget('esp32s3');
    const said: string[] = [];
    const board = installedBoard(target, boardOf(target), (m) => said.push(m), env);
    expect(board?.name).to.equal('qemu-xtensa-sim');
    expect(said).to.have.length(1);
    expect(said[0]).to.match(/^qemu-esp32s3: qemu-system-xtensa not found in \/nonexistent\/esp-qemu\/bin; qemu-xtensa-sim runs the code instead$/);
    expect(existsSync('/nonexistent')).to.equal(false);
  });
});

for (const name of ['esp32s3', 'esp32'] as const) {
  describe(`device: the ${name} harness booted by the chip's ROM from flash (Espressif's QEMU ${name})`, function () {
    before(function () {
      sharedModelsAvailable(this);
      const missing = espQemuMissing(name);
      if (missing) skipAbsent(missing, `skipping the ${name} flash boot`, this, false);
    });

    it('the ROM loads the image from flash; the harness answers HELLO on UART0 and runs the model bit-exact', async function () {
      const target = loadTarget(name);
      const board = boardOf(target, `qemu-${name}`)!;
      const path = sharedFile('micro_speech.tflite');
      const graph = readTflite(path);
      const compiled = compileForTarget(graph, path, target, board);
      const machine = ESP_MACHINES[name];
      await withTargetBuild(compiled, target, board, { profile: false, progress: () => {} }, async ({ build }) => {
        const dir = mkdtempSync(join(tmpdir(), `tinyforge-${name}-boot-`));
        try {
          const image = espAppImageFromElf(machine.chip, new Uint8Array(readFileSync(build.elf)), build.elf);
          const flashFile = join(dir, 'flash.bin');
          const elf = new Uint8Array(readFileSync(build.elf));
          // the ESP32's weights sit in flash behind the data cache, beside the image
          const weights = name === 'esp32' ? dromFlashImages(elf, build.elf) : [];
          if (name === 'esp32') expect(weights.length).to.equal(1);
          writeFlashFile(flashFile, 4 * 1024 * 1024, [{ offset: machine.bootOffset, data: image, name: 'harness.bin' }, ...weights]);
          const running = await startEspQemu(name, { flashFile, mode: 'flash', link: 'pty' });
          try {
            const session = await DeviceSession.open({ port: running.ptyPath!, expectBuildId: build.buildId });
            try {
              expect(session.hello).to.deep.include({ target: name, board: `qemu-${name}`, buildId: build.buildId, counter: 'ccount' });
              const [c] = golden('micro_speech', false);
              await session.writeInputs(c!.input);
              await session.invoke();
              expect(hex(await session.readOutputs())).to.equal(hex(c!.output));
            } finally {
              await session.close();
            }
          } finally {
            await running.stop();
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
}
