// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { buildFirmware, loadTarget, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { runOnBoard } from '../../src/lab/device/index.ts';
import { defaultLink, qemuArgs, SEMIHOSTING_CONSOLE_ARG } from '../../src/lab/device/transport/qemu.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import {
  FAKE_IO_BYTES,
  FAKE_MODEL_DIR,
  LOOP_MODEL_DIR,
  atInvokeStart,
  expectRejection,
  fakeModelExpected,
  fakeModelVariant,
  loopCase,
  requireTools,
  scratchDir,
  withEmptyPath,
} from '../build/helpers.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const BOARD = 'qemu-mps2-an386';
const QUICK = 5000; // ms: every run here takes well under a second

describe('device: QEMU mps2-an386 (Cortex-M4)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const cases = [Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => i), new Uint8Array(FAKE_IO_BYTES).fill(0xa5)];
  const build = (name: string, modelDir: string, extra: Partial<Parameters<typeof buildFirmware>[0]> = {}) =>
    buildFirmware({ target: 'cortex-m4', modelDir, outDir: `${scratch.dir}/${name}`, input0ArenaOffset: 0, ...extra });
  // the stdio pipe is the quick link; the pty path has its own tests (test/device/protocol*.test.ts)
  const run = (elf: string, options: Partial<Parameters<typeof runOnBoard>[0]> = {}) =>
    runOnBoard({ board: BOARD, elf, cases, timeoutMs: QUICK, link: 'stdio', ...options });

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    scratch = scratchDir('qemu');
  });
  after(() => scratch?.cleanup());

  describe('the fake model', () => {
    let plain: BuildResult;
    before(async () => {
      plain = await build('plain', FAKE_MODEL_DIR);
    });

    it('runs every case and reads back outputs, counter and memory', async () => {
      const result = await run(plain.elf);
      expect(result.model).to.equal('fake_xor');
      expect(result.buildId).to.equal(plain.buildId);
      expect(result.counter).to.deep.equal({ kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0', countsPerTick: 40, device: 'systick' });
      expect(result.cases.map((c) => Array.from(c.outputs))).to.deep.equal(cases.map((c) => Array.from(fakeModelExpected(c))));
      for (const c of result.cases) {
        expect(c.ticks).to.be.greaterThan(0);
        expect(c.instructions).to.equal(c.ticks * 40);
        expect(c.count).to.equal(c.ticks * 40);
        expect(c.layers).to.deep.equal([]);
      }
      const ramBytes = loadTarget('cortex-m4').memory!.ram.bytes;
      expect(result.memory.arena).to.equal(48);
      // input, scratch and output fill the fake model's arena: painting sees all of it written
      expect(result.memory.arenaUsed).to.equal(48);
      expect(result.memory.stackCapacity).to.equal(plain.sizes.stackReserved);
      expect(result.memory.stack).to.be.greaterThan(0).and.lessThan(plain.sizes.stackReserved).and.lessThan(ramBytes);
      expect(result.memory.stackInvoke).to.be.greaterThan(0).and.at.most(result.memory.stack);
    });

    it('times each layer in a profile build', async () => {
      const profiled = await build('profile', FAKE_MODEL_DIR, { profile: true });
      const result = await run(profiled.elf, { layers: true });
      for (const c of result.cases) {
        expect(c.layers.map((l) => l.index)).to.deep.equal([0, 1, 2]);
        const layerTicks = c.layers.reduce((sum, l) => sum + l.ticks, 0);
        // each layer's figure can round up by one tick; the hooks' own cost is outside the layers
        expect(layerTicks)
          .to.be.greaterThan(0)
          .and.at.most(c.ticks + c.layers.length);
      }
    });

    it('the other MPS2 boards run the same firmware sources (AN385 Cortex-M3, AN500 Cortex-M7)', async () => {
      for (const [target, board] of [
        ['cortex-m3', 'qemu-mps2-an385'],
        ['cortex-m7', 'qemu-mps2-an500'],
      ] as const) {
        const built = await buildFirmware({ target, modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/${target}` });
        expect(built.board).to.equal(board);
        const result = await runOnBoard({ board, elf: built.elf, cases, timeoutMs: QUICK, link: 'stdio' });
        expect(Array.from(result.cases[1]!.outputs), board).to.deep.equal(Array.from(fakeModelExpected(cases[1]!)));
        expect(result.cases[0]!.ticks, board).to.be.greaterThan(0);
      }
    });

    it('answers the same over the semihosting console (stdio, the default) and over the UART (pty)', async () => {
      const overConsole = await run(plain.elf);
      const overUart = await run(plain.elf, { link: 'pty' });
      const byDefault = await run(plain.elf, { link: undefined });
      for (const other of [overUart, byDefault]) {
        expect(other.cases.map((c) => Array.from(c.outputs))).to.deep.equal(overConsole.cases.map((c) => Array.from(c.outputs)));
        expect(other.buildId).to.equal(overConsole.buildId);
        expect(other.memory.arena).to.equal(overConsole.memory.arena);
      }
    });

    it("refuses an input whose size differs from the model's input bytes", async () => {
      await expectRejection(
        run(plain.elf, { cases: [new Uint8Array(FAKE_IO_BYTES - 1)] }),
        /^qemu-mps2-an386 \(.*stdio\): WRITE_INPUT: 15 bytes given, the model on the device takes 16$/,
      );
    });

    it('names the missing emulator and how to install it', async () => {
      await withEmptyPath(() => expectRejection(run(plain.elf), /^qemu-system-arm not found: install it with: apt-get install qemu-system-arm$/));
    });
  });

  describe('the SysTick counter counts instructions (x40 under -icount shift=0)', () => {
    // The loop model runs `subs; bne` N times: exactly 2N instructions plus a fixed overhead.
    const within40 = (ticksA: number, ticksB: number, iterationsA: number, iterationsB: number) => {
      const measured = (ticksB - ticksA) * 40;
      const expected = 2 * (iterationsB - iterationsA);
      expect(Math.abs(measured - expected), `measured ${measured}, expected ${expected}`).to.be.at.most(40);
    };

    it('a known loop measures 2 instructions per iteration, across a 24-bit SysTick wrap', async function () {
      // 340M iterations = 680M instructions = 17M ticks, past SysTick's 2^24 range (about 1.5 s in QEMU)
      const iterations = [1, 500_001, 340_000_001];
      const built = await build('loop', LOOP_MODEL_DIR);
      const result = await run(built.elf, { cases: iterations.map(loopCase), timeoutMs: HANG_GUARD_MS });
      expect(result.cases[2]!.ticks).to.be.greaterThan(2 ** 24);
      within40(result.cases[0]!.ticks, result.cases[1]!.ticks, iterations[0]!, iterations[1]!);
      within40(result.cases[0]!.ticks, result.cases[2]!.ticks, iterations[0]!, iterations[2]!);
      // the fixed overhead (call, counter reads) is under two ticks
      expect(result.cases[0]!.count).to.be.at.most(80);
    });

    it('loses and doubles no wrap when SysTick wraps often', async () => {
      // a 4096-tick period wraps every 163,840 instructions: 4M instructions cross it ~24 times;
      // each wrap adds the handler's few instructions, far below one period
      const iterations = [1, 2_000_001];
      const built = await build('wraps', LOOP_MODEL_DIR, { extraCflags: ['-DTF_SYSTICK_RELOAD=0xFFFu'] });
      const result = await run(built.elf, { cases: iterations.map(loopCase) });
      const measured = (result.cases[1]!.ticks - result.cases[0]!.ticks) * 40;
      const expected = 2 * (iterations[1]! - iterations[0]!);
      expect(measured - expected)
        .to.be.at.least(-40)
        .and.at.most(24 * 16 + 40);
    });
  });

  describe('firmware behaviour', () => {
    it('enables the FPU before main (float code runs on the Cortex-M4)', async () => {
      const dir = fakeModelVariant(scratch.dir, 'float', atInvokeStart('volatile float half = 0.5f; if ((int)(half * 4.0f) != 2) return 1;'));
      const result = await run((await build('float-out', dir)).elf);
      expect(Array.from(result.cases[0]!.outputs)).to.deep.equal(Array.from(fakeModelExpected(cases[0]!)));
    });

    it('starts C with initialised .data and zeroed .bss', async () => {
      const dir = fakeModelVariant(scratch.dir, 'data', (c) =>
        atInvokeStart('if (initialised[0] != 0x5a5a1234u || initialised[1] != 7u || zeroed[0] != 0u || zeroed[3] != 0u) return 1;')(
          c.replace(
            'static uint32_t invocations;',
            'static uint32_t invocations;\nstatic volatile uint32_t initialised[2] = {0x5a5a1234u, 7u};\nstatic volatile uint32_t zeroed[4];',
          ),
        ),
      );
      const built = await build('data-out', dir);
      expect(built.sizes.data).to.be.at.least(8);
      const result = await run(built.elf);
      expect(Array.from(result.cases[0]!.outputs)).to.deep.equal(Array.from(fakeModelExpected(cases[0]!)));
    });

    it('measures the stack an inference uses', async () => {
      const dir = fakeModelVariant(
        scratch.dir,
        'deep',
        atInvokeStart('volatile uint8_t big[2048]; for (unsigned i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;'),
      );
      const result = await run((await build('deep-out', dir)).elf);
      expect(result.memory.stackInvoke)
        .to.be.at.least(2048)
        .and.lessThan(2048 + 256);
      expect(result.memory.stack).to.be.greaterThan(result.memory.stackInvoke);
    });

    it('reports a fault with the exception and the faulting pc', async () => {
      const dir = fakeModelVariant(
        scratch.dir,
        'fault',
        atInvokeStart('((void (*)(void))(uintptr_t)0x10000000u)(); /* bit 0 clear: not Thumb, an INVSTATE fault */'),
      );
      const result = run((await build('fault-out', dir)).elf);
      await expectRejection(
        result,
        /^qemu-mps2-an386 \(.*\): INVOKE x1: qemu-mps2-an386: .*qemu-system-arm exited with status 2; the device printed: "TF ERROR fault exception=0x00000003 pc=0x10000000"$/,
      );
    });

    it('gives up on a firmware that never answers, naming the step', async () => {
      const dir = fakeModelVariant(scratch.dir, 'hang', atInvokeStart('for (;;) {}'));
      const built = await build('hang-out', dir);
      const started = Date.now();
      // INVOKE waits the invoke timeout in all (sent again meanwhile while no answer comes), then the emulator is killed
      await expectRejection(run(built.elf, { timeoutMs: 1500 }), /^qemu-mps2-an386 \(.*\): INVOKE x1: no answer within 1500 ms after 1 try$/);
      expect(Date.now() - started).to.be.lessThan(5000);
    });
  });
});

describe('device: the QEMU command line per link', () => {
  const an386 = findBoard('qemu-mps2-an386').board;
  const microbit = findBoard('qemu-microbit').board;
  const valueOf = (args: string[], option: string) => args[args.indexOf(option) + 1];

  it('stdio on a board with the semihosting console: asked for on the command line, no UART', () => {
    const args = qemuArgs(an386.emulator!, 'fw.elf', 'stdio', true);
    expect(valueOf(args, '-semihosting-config')).to.equal(`enable=on,target=native,arg=${SEMIHOSTING_CONSOLE_ARG}`);
    expect(valueOf(args, '-serial')).to.equal('null');
    expect(args.filter((a) => a === '-serial')).to.have.length(1);
    expect(args).to.include('fw.elf');
  });

  it('pty: the UART on a pseudo-terminal, the semihosting command line untouched', () => {
    const args = qemuArgs(an386.emulator!, 'fw.elf', 'pty', true);
    expect(valueOf(args, '-semihosting-config')).to.equal('enable=on,target=native');
    expect(valueOf(args, '-serial')).to.equal('pty');
    expect(args).to.include('-S');
  });

  it('stdio without the semihosting console: the UART on stdio', () => {
    const args = qemuArgs(an386.emulator!, 'fw.elf', 'stdio', false);
    expect(valueOf(args, '-serial')).to.equal('stdio');
    expect(valueOf(args, '-semihosting-config')).to.equal('enable=on,target=native');
  });

  it('defaults to stdio where the firmware has the semihosting console, else pty', () => {
    expect(defaultLink(an386)).to.equal('stdio');
    expect(defaultLink(microbit)).to.equal('stdio');
    expect(defaultLink({ ...an386, defines: {} })).to.equal('pty');
  });
});
