// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildFirmware, loadTarget, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { runOnBoard } from '../../src/lab/device/index.ts';
import { Rp2040Emulation } from '../../src/lab/device/rp2040/emulator.ts';
import { ProtocolClient } from '../../src/lab/device/protocol/client.ts';
import { Command, parseHello, requests } from '../../src/lab/device/protocol/messages.ts';
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

const BOARD = 'rp2040js';
const QUICK = 10_000;
const LOOP_MODEL_DIR = resolve(import.meta.dirname, 'rp2040_loop_model');
/** rp2040js's Cortex-M0+ timing: subs 1 cycle, a taken bne 2 */
const CYCLES_PER_LOOP = 3;
/** the SysTick wrap interrupt's entry, handler and return, as rp2040js times them (measured: 10-20) */
const WRAP_HANDLER_CYCLES = 24;

describe('device: RP2040 on rp2040js (in process)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const cases = [Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => i), new Uint8Array(FAKE_IO_BYTES).fill(0xa5)];
  const build = (name: string, modelDir: string, extra: Partial<Parameters<typeof buildFirmware>[0]> = {}) =>
    buildFirmware({ target: 'rp2040', modelDir, outDir: `${scratch.dir}/${name}`, input0ArenaOffset: 0, ...extra });
  const run = (elf: string, options: Partial<Parameters<typeof runOnBoard>[0]> = {}) => runOnBoard({ board: BOARD, elf, cases, timeoutMs: QUICK, ...options });

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    scratch = scratchDir('rp2040js');
  });
  after(() => scratch?.cleanup());

  describe('the fake model', () => {
    let plain: BuildResult;
    before(async () => {
      plain = await build('plain', FAKE_MODEL_DIR);
    });

    it('builds a UF2 image beside the ELF, with the boot stage counted as code', () => {
      expect(plain.board).to.equal(BOARD);
      expect(plain.uf2).to.match(/firmware\.uf2$/);
      expect(readFileSync(plain.uf2!).length % 512).to.equal(0);
      expect(plain.sizes.flashWeights).to.equal(256);
      expect(plain.sizes.text).to.be.greaterThan(256); // boot2 alone is 256 bytes
      expect(plain.sizes.stackReserved).to.equal(loadTarget('rp2040').memory!.stackBytes);
    });

    it('boots from the UF2 through boot2 and answers the protocol: outputs, cycle counter, memory', async () => {
      const result = await run(plain.elf);
      expect(result.model).to.equal('fake_xor');
      expect(result.buildId).to.equal(plain.buildId);
      expect(result.counter).to.deep.equal({
        kind: 'cycles',
        source: "SysTick at clk_sys under rp2040js's Cortex-M0+ timing model",
        countsPerTick: 1,
        device: 'systick',
      });
      expect(result.cases.map((c) => Array.from(c.outputs))).to.deep.equal(cases.map((c) => Array.from(fakeModelExpected(c))));
      for (const c of result.cases) {
        expect(c.ticks).to.be.greaterThan(0);
        expect(c.count).to.equal(c.ticks);
        expect(c.instructions).to.equal(undefined); // cycles, not instructions
      }
      expect(result.memory.arena).to.equal(48);
      expect(result.memory.arenaUsed).to.equal(48);
      expect(result.memory.stackCapacity).to.equal(plain.sizes.stackReserved);
      expect(result.memory.stack).to.be.greaterThan(0).and.lessThan(plain.sizes.stackReserved);
    });

    it('times each layer in a profile build', async () => {
      const profiled = await build('profile', FAKE_MODEL_DIR, { profile: true });
      const result = await run(profiled.elf, { layers: true });
      for (const c of result.cases) {
        expect(c.layers.map((l) => l.index)).to.deep.equal([0, 1, 2]);
        expect(c.layers.reduce((sum, l) => sum + l.ticks, 0))
          .to.be.greaterThan(0)
          .and.at.most(c.ticks);
      }
    });

    it('takes a frame longer than the UART FIFO whole (the host paces its bytes)', async () => {
      // 256-byte WRITE_INPUT frames: the emulated FIFO holds 32 and the firmware drains it by interrupt
      const emulation = Rp2040Emulation.start(new Uint8Array(readFileSync(plain.uf2!)), plain.uf2!);
      try {
        const client = new ProtocolClient(emulation, { timeoutMs: 2000, retries: 0 });
        const hello = parseHello(await client.request(Command.HELLO, requests.hello(), { step: 'HELLO' }));
        expect(hello.board).to.equal(BOARD);
        const tooMuch = new Uint8Array(252).fill(7);
        await expectRejection(client.request(Command.WRITE_INPUT, requests.writeInput(0, tooMuch), { step: 'WRITE_INPUT' }), /out of range|outside/i);
        await client.request(Command.WRITE_INPUT, requests.writeInput(0, cases[1]!), { step: 'WRITE_INPUT' });
        await client.request(Command.END, requests.empty(), { step: 'END' });
        expect(await emulation.exit).to.deep.equal({ status: 0, reason: 'firmware exited with status 0' });
      } finally {
        await emulation.close();
      }
    });

    it('refuses an image whose second stage fails its CRC, as the boot ROM would', async () => {
      const uf2 = new Uint8Array(readFileSync(plain.uf2!));
      uf2[32 + 10]! ^= 0xff; // a byte of boot2, in the first block's payload
      expect(() => Rp2040Emulation.start(uf2, 'broken.uf2')).to.throw(/broken\.uf2: the first 256 bytes of flash are not a second stage with a valid CRC32/);
    });
  });

  describe("the SysTick counter counts the timing model's cycles", () => {
    it('a known loop costs 3 cycles per iteration, exactly, also across 24-bit SysTick wraps', async () => {
      const iterations = [1, 100_001, 7_000_001];
      const built = await build('loop', LOOP_MODEL_DIR);
      const result = await run(built.elf, { cases: iterations.map(loopCase), timeoutMs: HANG_GUARD_MS });
      const delta = (i: number) => result.cases[i]!.count - result.cases[0]!.count;
      const expected = (i: number) => CYCLES_PER_LOOP * (iterations[i]! - iterations[0]!);
      // 21M cycles cross at most two wraps of 2^24; each adds only its interrupt handler's cycles
      for (const i of [1, 2])
        expect(delta(i) - expected(i), `case ${i}`)
          .to.be.at.least(0)
          .and.at.most(2 * WRAP_HANDLER_CYCLES);
      expect(result.cases[0]!.count).to.be.below(200); // call and counter reads around the loop
    });

    it('loses and doubles no wrap when SysTick wraps often', async () => {
      // a 4096-cycle period: 3M cycles cross it ~730 times
      const iterations = [1, 1_000_001];
      const built = await build('wraps', LOOP_MODEL_DIR, { extraCflags: ['-DTF_SYSTICK_RELOAD=0xFFFu'] });
      const result = await run(built.elf, { cases: iterations.map(loopCase), timeoutMs: HANG_GUARD_MS });
      const wraps = Math.ceil((CYCLES_PER_LOOP * 1_000_000) / 4096);
      const excess = result.cases[1]!.count - result.cases[0]!.count - CYCLES_PER_LOOP * 1_000_000;
      // a lost wrap would cost 4096 cycles, a doubled one add 4096: only the handlers' cycles remain
      expect(excess)
        .to.be.at.least(0)
        .and.at.most(wraps * WRAP_HANDLER_CYCLES);
    });
  });

  describe('failures', () => {
    // one firmware whose model misbehaves as its first input byte says: 1 SVC, 2 unmapped read, 3 hang
    let misbehaving: BuildResult;
    const failCase = (how: number) => [new Uint8Array(FAKE_IO_BYTES).fill(how)];
    before(async () => {
      const dir = fakeModelVariant(
        scratch.dir,
        'misbehave',
        atInvokeStart(
          'switch (arena[0]) {\n' +
            '    case 1: __asm__ volatile("svc #0"); break; /* SVCall: no handler of ours */\n' +
            '    case 2: if (*(volatile uint32_t *)0x30000000u == 1u) return 1; break;\n' +
            '    case 3: for (;;) { __asm__ volatile(""); }\n' +
            '    default: break;\n' +
            '  }',
        ),
      );
      misbehaving = await build('misbehave-out', dir);
    });

    it('reports an unexpected exception with its number and pc, then ends the run', async () => {
      await expectRejection(run(misbehaving.elf, { cases: failCase(1) }), /fault exception=0x0000000b pc=0x1[0-9a-f]{7}/);
    });

    it('ends the run on an access to unmapped memory instead of reading garbage', async () => {
      await expectRejection(run(misbehaving.elf, { cases: failCase(2) }), /rp2040js: RP2040: Read from invalid memory address: 30000000/);
    });

    it('times out on a model that never returns', async () => {
      await expectRejection(run(misbehaving.elf, { cases: failCase(3), timeoutMs: 1500 }), /INVOKE.*no answer within 1500 ms/);
    });
  });

  describe("real models, bit-exact against TFLite Micro's golden outputs", () => {
    const models: [string, number][] = [
      ['hello_world_int8', 4],
      ['micro_speech', 4],
      ['person_detect', 1],
    ];
    for (const [model, caseCount] of models) {
      it(`${model}: ${caseCount} golden case(s), cycles, stack and flash read back`, async function () {
        if (!sharedModelsAvailable(this)) return;
        const golden = goldenCases(model).slice(0, caseCount);
        const report = await runModel(sharedModelPath(model), { target: 'rp2040', cases: golden.map((c) => [c.input]), timeoutMs: HANG_GUARD_MS });
        expect(report.board).to.equal(BOARD);
        expect(report.counter?.kind).to.equal('cycles');
        report.cases.forEach((c, i) => {
          expect(Buffer.from(c.outputs.flat().map((v) => v & 0xff)), `${model} case ${golden[i]!.name}`).to.deep.equal(Buffer.from(golden[i]!.output));
          expect(c.matchesReference).to.equal(true);
        });
        expect(report.perInference).to.be.greaterThan(0);
        expect(report.memory.stack).to.be.greaterThan(0).and.below(loadTarget('rp2040').memory!.stackBytes);
        expect(report.memory.flash).to.be.greaterThan(report.memory.flashWeights).and.below(loadTarget('rp2040').memory!.flash.bytes);
        writeFileSync(`${scratch.dir}/${model}.json`, JSON.stringify(report)); // for a look after a failure
      });
    }
  });
});
