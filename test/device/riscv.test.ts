// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { resolve } from 'node:path';
import { buildFirmware, loadTarget, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { runOnBoard } from '../../src/lab/device/index.ts';
import { runModel } from '../../src/lab/run/run.ts';
import {
  FAKE_IO_BYTES,
  FAKE_MODEL_DIR,
  atInvokeStart,
  expectRejection,
  fakeModelExpected,
  fakeModelVariant,
  loopCase,
  requireTools,
  scratchDir,
} from '../build/helpers.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const BOARD = 'qemu-riscv32-virt';
const QUICK = 10_000;
const LOOP_MODEL_DIR = resolve(import.meta.dirname, 'riscv_loop_model');

describe('device: ESP32-C3 class RISC-V on QEMU riscv32 virt', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const cases = [Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => 3 * i), new Uint8Array(FAKE_IO_BYTES).fill(0x5a)];
  const build = (name: string, modelDir: string, extra: Partial<Parameters<typeof buildFirmware>[0]> = {}) =>
    buildFirmware({ target: 'esp32c3', modelDir, outDir: `${scratch.dir}/${name}`, input0ArenaOffset: 0, ...extra });
  const run = (elf: string, options: Partial<Parameters<typeof runOnBoard>[0]> = {}) =>
    runOnBoard({ board: BOARD, elf, cases, timeoutMs: QUICK, link: 'stdio', ...options });

  before(function () {
    requireTools(this, ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32']);
    scratch = scratchDir('riscv');
  });
  after(() => scratch?.cleanup());

  describe('the fake model', () => {
    let plain: BuildResult;
    before(async () => {
      plain = await build('plain', FAKE_MODEL_DIR);
    });

    it("links rv32imc code into the chip's 4 MiB flash and 400 KiB SRAM", () => {
      const target = loadTarget('esp32c3');
      expect(plain.board).to.equal(BOARD);
      expect(plain.sizes.flashWeights).to.equal(256);
      expect(plain.sizes.flash).to.be.below(target.memory!.flash.bytes);
      expect(plain.sizes.ram + plain.sizes.stackReserved).to.be.below(target.memory!.ram.bytes);
    });

    it('answers the protocol over the 16550 UART: outputs, instruction counter, memory', async () => {
      const result = await run(plain.elf);
      expect(result.model).to.equal('fake_xor');
      expect(result.buildId).to.equal(plain.buildId);
      expect(result.counter).to.deep.equal({ kind: 'instructions', source: 'minstret under QEMU -icount shift=0', countsPerTick: 1, device: 'minstret' });
      expect(result.cases.map((c) => Array.from(c.outputs))).to.deep.equal(cases.map((c) => Array.from(fakeModelExpected(c))));
      for (const c of result.cases) expect(c.instructions).to.equal(c.ticks).and.greaterThan(0);
      expect(result.memory.arenaUsed).to.equal(48);
      expect(result.memory.stack).to.be.greaterThan(0).and.lessThan(plain.sizes.stackReserved);
    });

    it('works over the pseudo-terminal link too (the real-port path)', async () => {
      const result = await run(plain.elf, { link: 'pty' });
      expect(Array.from(result.cases[0]!.outputs)).to.deep.equal(Array.from(fakeModelExpected(cases[0]!)));
    });

    it('reports a trap with its cause and pc, then exits with a failure status', async () => {
      const dir = fakeModelVariant(scratch.dir, 'trap', atInvokeStart('__asm__ volatile("ebreak");'));
      await expectRejection(run((await build('trap-out', dir)).elf), /trap mcause=0x00000003 pc=0x800[0-9a-f]{5}/);
    });
  });

  it('minstret counts instructions exactly under -icount shift=0 (2 per loop iteration)', async () => {
    const iterations = [1, 1001, 3_000_001];
    const built = await build('loop', LOOP_MODEL_DIR);
    const result = await run(built.elf, { cases: iterations.map(loopCase) });
    const counts = result.cases.map((c) => c.count);
    expect(counts[1]! - counts[0]!).to.equal(2 * 1000);
    expect(counts[2]! - counts[0]!).to.equal(2 * 3_000_000);
    expect(counts[0]).to.be.below(100); // the call and counter reads around the loop
  });

  describe("real models, bit-exact against TFLite Micro's golden outputs", () => {
    for (const model of ['hello_world_int8', 'micro_speech', 'person_detect']) {
      it(`${model}: every golden case, instructions, stack and flash read back`, async function () {
        if (!sharedModelsAvailable(this)) return;
        const golden = goldenCases(model);
        const report = await runModel(sharedModelPath(model), { target: 'esp32c3', cases: golden.map((c) => [c.input]), timeoutMs: HANG_GUARD_MS });
        expect(report.board).to.equal(BOARD);
        expect(report.counter).to.deep.equal({ kind: 'instructions', source: 'minstret under QEMU -icount shift=0' });
        report.cases.forEach((c, i) => {
          expect(Buffer.from(c.outputs.flat().map((v) => v & 0xff)), `${model} case ${golden[i]!.name}`).to.deep.equal(Buffer.from(golden[i]!.output));
          expect(c.matchesReference).to.equal(true);
          expect(c.count).to.be.greaterThan(0);
        });
        expect(report.memory.stack).to.be.greaterThan(0).and.below(loadTarget('esp32c3').memory!.stackBytes);
        expect(report.memory.flash).to.be.greaterThan(report.memory.flashWeights);
      });
    }
  });
});
