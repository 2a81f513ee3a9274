// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { basename, join } from 'node:path';
import { buildFirmware, loadTarget } from '../../src/lab/toolchain/index.ts';
import { compileCheck } from '../../src/lab/toolchain/compile_check.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FAKE_MODEL_DIR, atInvokeStart, expectRejection, fakeModelVariant, requireTools, scratchDir } from './helpers.ts';

const EXAMPLE_MODEL = join(PROJECT_ROOT, 'examples', 'mnist', 'mnist_cnn_int8.tflite');

describe('build: Xtensa ESP32 / ESP32-S3, compile-checked only', function () {
  let scratch: ReturnType<typeof scratchDir>;

  before(function () {
    requireTools(this, ['xtensa-lx106-elf-gcc']);
    scratch = scratchDir('xtensa');
  });
  after(() => scratch?.cleanup());

  // both get the portable kernels today: the S3 checks one model, the ESP32 all that fit
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
        expect(result.compiler).to.equal('xtensa-lx106-elf-gcc');
        expect(result.checked).to.include.members(
          compiled.generated.files.filter((f) => f.role === 'source' || f.role === 'weights-source').map((f) => f.name),
        );
      }
    });
  }

  it('fails on a warning, naming the file and the warning', async () => {
    const dir = fakeModelVariant(scratch.dir, 'warns', atInvokeStart('int unused_here;'));
    await expectRejection(
      compileCheck({ target: 'esp32', modelDir: dir, outDir: join(scratch.dir, 'warns-out') }),
      /^compile check of model\.c for esp32 failed: .*unused variable 'unused_here'/,
    );
  });

  it('builds no firmware and runs nothing for Xtensa, and says why', async () => {
    await expectRejection(
      buildFirmware({ target: 'esp32s3', modelDir: FAKE_MODEL_DIR, outDir: join(scratch.dir, 'no-build') }),
      /^esp32s3: no firmware is built here for Xtensa .*compile-checked only/,
    );
    // the project's own example model: this refusal needs nothing from ../shared/
    await expectRejection(runModel(EXAMPLE_MODEL, { target: 'esp32' }), /esp32: no firmware is built here for Xtensa/);
  });

  it('tinyforge targets tells real hardware, emulated and compile-checked-only targets apart, with memory and counter', () => {
    const r = tinyforge(['targets', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const { targets } = JSON.parse(r.stdout) as {
      targets: { name: string; kind: string; flashBytes: number; ramBytes: number; boards: { name: string; kind: string; counter: { kind: string } }[] }[];
    };
    const byName = new Map(targets.map((t) => [t.name, t]));
    expect(byName.get('esp32')).to.include({ kind: 'compile-checked only', flashBytes: 4 * 1024 * 1024, ramBytes: 520 * 1024 });
    expect(byName.get('esp32s3')!.kind).to.equal('compile-checked only');
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
    expect(table).to.match(/^esp32 .*\(none here\) .*compile-checked only$/m);
    expect(table).to.match(/^rp2040 .*pico .*cycles: SysTick at clk_sys \(125 MHz\) .*real hardware$/m);
  });
});
