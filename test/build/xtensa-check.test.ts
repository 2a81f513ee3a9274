// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildFirmware, loadTarget } from '../../src/lab/toolchain/index.ts';
import { compileCheck } from '../../src/lab/toolchain/compile_check.ts';
import { findCompiler } from '../../src/lab/toolchain/compilers.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FAKE_MODEL_DIR, atInvokeStart, expectRejection, fakeModelVariant, requireTools, scratchDir } from './helpers.ts';
import { skipAbsent } from '../helpers/absent.ts';

/** A stand-in compiler file (never run): enough for findCompiler, which only checks it is executable. */
function fakeTool(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 1\n');
  chmodSync(path, 0o755);
}

describe('build: Xtensa ESP32 / ESP32-S3 compilers and compile check', function () {
  let scratch: ReturnType<typeof scratchDir>;

  before(function () {
    // Espressif's compiler, or the lx106 fallback (CI has the fallback)
    try {
      findCompiler(loadTarget('esp32'));
    } catch {
      skipAbsent('neither xtensa-esp32-elf-gcc nor xtensa-lx106-elf-gcc found', 'skipping', this);
    }
    scratch = scratchDir('xtensa');
  });
  after(() => scratch?.cleanup());

  // the S3 checks one model (its SIMD conv and FC kernels: ee.* inline asm; the `xtensa` MAC16 assembly elsewhere), the ESP32 all that fit (MAC16; their C twins under the lx106 fallback)
  const checks: [string, string[]][] = [
    ['esp32', ['hello_world_int8', 'micro_speech', 'person_detect']],
    ['esp32s3', ['micro_speech']],
  ];
  for (const [target, models] of checks) {
    it(`${target}: the generated C of ${models.join(', ')} compiles warning-free with -Werror`, async function () {
      if (!sharedModelsAvailable(this)) return;
      for (const model of models) {
        const path = sharedModelPath(model);
        const compiled = compileGraph(loadGraph(path), basename(path), { isa: loadTarget(target).isa });
        const modelDir = writeDirectoryAtomically(join(scratch.dir, `${target}-${model}`, 'model'), compiled.generated.files);
        const result = await compileCheck({ target, modelDir, outDir: join(scratch.dir, `${target}-${model}`, 'check') });
        const compiler = findCompiler(loadTarget(target));
        expect(result).to.include({ compiler: compiler.name, fallback: compiler.fallback });
        expect(result.checked).to.include.members(
          compiled.generated.files.filter((f) => f.role === 'source' || f.role === 'weights-source').map((f) => f.name),
        );
      }
    });
  }

  it("checks with Espressif's own compiler and ESP-IDF's flags where it is found", async function () {
    for (const target of ['esp32', 'esp32s3']) {
      const compiler = findCompiler(loadTarget(target));
      if (compiler.fallback !== null) {
        skipAbsent(`xtensa-${target}-elf-gcc not found (PATH, $TINYFORGE_TFLM_TOOLS/xtensa-esp/bin, ESP-IDF)`, 'skipping', this, false);
      }
      const result = await compileCheck({ target, modelDir: FAKE_MODEL_DIR, outDir: join(scratch.dir, `own-${target}`) });
      expect(result).to.include({ compiler: `xtensa-${target}-elf-gcc`, fallback: null });
      expect(compiler.cflags).to.include.members(['-mlongcalls', '-fstrict-volatile-bitfields', '-fno-jump-tables', '-Werror']);
    }
  });

  it("falls back to xtensa-lx106-elf-gcc, labelled, when Espressif's compiler is nowhere", async function () {
    requireTools(this, ['xtensa-lx106-elf-gcc']);
    const empty = join(scratch.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const env = { PATH: dirname(findTool('xtensa-lx106-elf-gcc', '')), TINYFORGE_TFLM_TOOLS: empty, IDF_TOOLS_PATH: empty };
    const result = await compileCheck({ target: 'esp32s3', modelDir: FAKE_MODEL_DIR, outDir: join(scratch.dir, 'fallback'), env });
    expect(result.compiler).to.equal('xtensa-lx106-elf-gcc');
    expect(result.fallback).to.match(/^Debian's xtensa-lx106-elf-gcc .*stands in: .*not that the ESP32-S3's compiler accepts it$/);
    await expectRejection(
      compileCheck({
        target: 'esp32',
        modelDir: FAKE_MODEL_DIR,
        outDir: join(scratch.dir, 'none'),
        env: { PATH: empty, TINYFORGE_TFLM_TOOLS: empty, IDF_TOOLS_PATH: empty },
      }),
      /^xtensa-esp32-elf-gcc not found \(on PATH or in \{tools\}\/xtensa-esp\/bin, .*\): install it with: ESP-IDF's install\.sh esp32.*; or, for a compile check only, xtensa-lx106-elf-gcc: apt-get install gcc-xtensa-lx106$/,
    );
  });

  it('finds the compilers in the tools folder and in an ESP-IDF install, its newest version first', () => {
    const tools = join(scratch.dir, 'tools');
    const idf = join(scratch.dir, 'idf');
    fakeTool(join(tools, 'xtensa-esp', 'bin', 'xtensa-esp32-elf-gcc'));
    for (const version of ['esp-12.2.0_20230208', 'esp-13.2.0_20230928', 'esp-9.0']) {
      fakeTool(join(idf, 'tools', 'xtensa-esp-elf', version, 'xtensa-esp-elf', 'bin', 'xtensa-esp32s3-elf-gcc'));
    }
    fakeTool(join(idf, 'tools', 'xtensa-esp32-elf', 'esp-2021r2-8.4.0', 'xtensa-esp32-elf', 'bin', 'xtensa-esp32-elf-gcc'));
    const env = { PATH: '', TINYFORGE_TFLM_TOOLS: tools, IDF_TOOLS_PATH: idf };
    expect(findCompiler(loadTarget('esp32'), env)).to.include({ path: join(tools, 'xtensa-esp', 'bin', 'xtensa-esp32-elf-gcc'), fallback: null });
    expect(findCompiler(loadTarget('esp32s3'), env).path).to.equal(
      join(idf, 'tools', 'xtensa-esp-elf', 'esp-13.2.0_20230928', 'xtensa-esp-elf', 'bin', 'xtensa-esp32s3-elf-gcc'),
    );
    // ESP-IDF before 5.2: one folder per chip
    expect(findCompiler(loadTarget('esp32'), { ...env, TINYFORGE_TFLM_TOOLS: join(scratch.dir, 'nothing') }).path).to.equal(
      join(idf, 'tools', 'xtensa-esp32-elf', 'esp-2021r2-8.4.0', 'xtensa-esp32-elf', 'bin', 'xtensa-esp32-elf-gcc'),
    );
  });

  it('fails on a warning, naming the file and the warning', async () => {
    const dir = fakeModelVariant(scratch.dir, 'warns', atInvokeStart('int unused_here;'));
    await expectRejection(
      compileCheck({ target: 'esp32', modelDir: dir, outDir: join(scratch.dir, 'warns-out') }),
      /^compile check of model\.c for esp32 failed: .*unused variable 'unused_here'/,
    );
  });

  it("builds firmware only with the core's own compiler, never with the compile check's fallback", async () => {
    const saved = { PATH: process.env.PATH, TINYFORGE_TFLM_TOOLS: process.env.TINYFORGE_TFLM_TOOLS, IDF_TOOLS_PATH: process.env.IDF_TOOLS_PATH };
    const empty = join(scratch.dir, 'no-tools');
    Object.assign(process.env, { PATH: '', TINYFORGE_TFLM_TOOLS: empty, IDF_TOOLS_PATH: empty });
    try {
      await expectRejection(
        buildFirmware({ target: 'esp32s3', modelDir: FAKE_MODEL_DIR, outDir: join(scratch.dir, 'no-build') }),
        /^xtensa-esp32s3-elf-gcc not found: install it with: ESP-IDF's install\.sh esp32s3/,
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("tinyforge targets lists the ESP32 cores as emulated, on Espressif's QEMU machines, with memory and counter", () => {
    const r = tinyforge(['targets', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const { targets } = JSON.parse(r.stdout) as {
      targets: { name: string; kind: string; flashBytes: number; ramBytes: number; boards: { name: string; kind: string; counter: { kind: string } }[] }[];
    };
    const byName = new Map(targets.map((t) => [t.name, t]));
    expect(byName.get('esp32')).to.include({ kind: 'emulated', flashBytes: 4 * 1024 * 1024, ramBytes: 520 * 1024 });
    expect(byName.get('esp32s3')!.kind).to.equal('emulated');
    for (const name of ['esp32', 'esp32s3']) {
      expect(byName.get(name)!.boards[0]).to.deep.include({ name: `qemu-${name}`, kind: 'emulated', counter: byName.get(name)!.boards[0]!.counter });
      expect(byName.get(name)!.boards[1]).to.deep.include({ name: 'qemu-xtensa-sim', kind: 'emulated' });
    }
    expect(byName.get('esp32s3')!.boards[0]!.counter.kind).to.equal('instructions');
    expect(byName.get('esp32c3')).to.include({ kind: 'emulated', ramBytes: 400 * 1024 });
    expect(byName.get('esp32c3')!.boards[0]).to.deep.include({ name: 'qemu-riscv32-virt', kind: 'emulated' });
    const rp2040 = byName.get('rp2040')!;
    expect(rp2040).to.include({ kind: 'emulated', flashBytes: 2 * 1024 * 1024, ramBytes: 264 * 1024 });
    expect(rp2040.boards.map((b) => [b.name, b.kind, b.counter.kind])).to.deep.equal([
      ['rp2040js', 'emulated', 'cycles'],
      ['pico', 'real hardware', 'cycles'],
    ]);
    expect(byName.get('host')!.kind).to.equal('native');
    const table = tinyforge(['targets', '--wide']).stdout;
    expect(table).to.match(/^esp32 .*qemu-esp32 .*emulated$/m);
    expect(table).to.match(/^rp2040 .*pico .*cycles: SysTick at clk_sys \(125 MHz\) .*real hardware$/m);
  });
});
