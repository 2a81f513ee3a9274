// SPDX-License-Identifier: Apache-2.0
/**
 * The emulated Cortex-M family: micro:bit (M0), MPS2 AN385 (M3), AN386 (M4), AN500 (M7) and AN505
 * (M33). Each builds the harness with its own startup, linker script and UART driver, runs the real
 * models that fit bit-exact with TFLite Micro's golden outputs, and counts with the counter the
 * firmware picked on the device (SysTick: QEMU has no DWT), converted to instructions with the
 * factor measured here on a loop of known length.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware } from '../../src/lab/toolchain/firmware.ts';
import { CODE_FLASH_BYTES, HARNESS_RAM_BYTES, estimateFit } from '../../src/lab/toolchain/fit.ts';
import { counterFor, findBoard, loadTarget } from '../../src/core/targets/targets.ts';
import { compileFile } from '../../src/core/compile.ts';
import { runOnBoard } from '../../src/lab/device/emulator.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { LOOP_MODEL_DIR, expectRejection, fakeModelVariant, loopCase, requireTools, scratchDir } from '../build/helpers.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

interface BoardCase {
  target: string;
  board: string;
  /** the board's name in test titles, where two targets share it */
  label?: string;
  /** instructions per SysTick tick under -icount shift=0: 1e9 / the board's processor clock */
  perTick: number;
  cpuFlags: string[];
}

const BOARDS: BoardCase[] = [
  { target: 'cortex-m0', board: 'qemu-microbit', perTick: 62.5, cpuFlags: ['-mcpu=cortex-m0', '-mfloat-abi=soft'] },
  { target: 'cortex-m3', board: 'qemu-mps2-an385', perTick: 40, cpuFlags: ['-mcpu=cortex-m3', '-mfloat-abi=soft'] },
  { target: 'cortex-m4', board: 'qemu-mps2-an386', perTick: 40, cpuFlags: ['-mcpu=cortex-m4', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'] },
  { target: 'cortex-m7', board: 'qemu-mps2-an500', perTick: 40, cpuFlags: ['-mcpu=cortex-m7', '-mfloat-abi=hard', '-mfpu=fpv5-d16'] },
  { target: 'cortex-m33', board: 'qemu-mps2-an505', perTick: 50, cpuFlags: ['-mcpu=cortex-m33', '-mfloat-abi=hard', '-mfpu=fpv5-sp-d16'] },
  // gcc picks the M55's FPU and MVE from -mcpu alone; its SysTick runs at the AN547's 32 MHz
  { target: 'cortex-m55', board: 'qemu-mps3-an547', perTick: 31.25, cpuFlags: ['-mcpu=cortex-m55', '-mfloat-abi=hard'] },
  // gcc 12 has no -mcpu=cortex-m85: its instruction set by -march, on QEMU's Cortex-M55 (no M85 there)
  {
    target: 'cortex-m85',
    board: 'qemu-mps3-an547',
    label: 'qemu-mps3-an547 (cortex-m85 code)',
    perTick: 31.25,
    cpuFlags: ['-march=armv8.1-m.main+mve.fp+fp.dp', '-mtune=cortex-m55', '-mfloat-abi=hard'],
  },
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** FLASH and RAM of the linker map's "Memory Configuration" table. */
function mapMemory(mapFile: string): Record<string, { origin: number; bytes: number }> {
  const text = readFileSync(mapFile, 'utf8');
  const table = text.slice(text.indexOf('Memory Configuration'), text.indexOf('Linker script and memory map'));
  const out: Record<string, { origin: number; bytes: number }> = {};
  for (const m of table.matchAll(/^(FLASH|RAM)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/gm)) out[m[1]!] = { origin: parseInt(m[2]!, 16), bytes: parseInt(m[3]!, 16) };
  return out;
}

describe('device: the emulated Cortex-M boards', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let loopDir: string;

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    scratch = scratchDir('boards');
    // the loop in unified syntax on a low register, so that it assembles for Armv6-M too
    loopDir = fakeModelVariant(scratch.dir, 'loop', () =>
      readFileSync(join(LOOP_MODEL_DIR, 'model.c'), 'utf8')
        .replace('"1:\\n\\t"', '".syntax unified\\n"\n      "1:\\n\\t"')
        .replace(': "+r"(count)', ': "+l"(count)'),
    );
    for (const file of ['model.h']) writeFileSync(join(loopDir, file), readFileSync(join(LOOP_MODEL_DIR, file)));
  });
  after(() => scratch?.cleanup());

  it('describes each core truthfully: flags, FPU, DSP, memory, counter and loader', () => {
    for (const b of BOARDS) {
      const target = loadTarget(b.target);
      expect(target.toolchain.cflags, b.target).to.include.members([...b.cpuFlags, '-mthumb']);
      expect(target.defaultBoard).to.equal(b.board);
      const board = target.boards[0]!;
      expect(board.counter, b.board).to.deep.equal({
        kind: 'instructions',
        source: `SysTick x ${b.perTick} under QEMU -icount shift=0`,
        countsPerTick: b.perTick,
      });
      expect(board.deviceCounter).to.equal('systick');
      expect(board.clockHz * b.perTick, 'one tick is one processor clock period of 1 ns instructions').to.equal(1e9);
      // real silicon: the DWT cycle counter where the core has one (not Armv6-M)
      expect(Object.keys(target.counters ?? {})).to.deep.equal(b.target === 'cortex-m0' ? ['systick'] : ['dwt', 'systick']);
      expect(counterFor(target, undefined, 'systick').kind).to.equal('cycles');
      expect(() => counterFor(target, board, 'dwt')).to.throw(/counted with 'dwt', but this board's figures are defined for 'systick'/);
      // the loader runs an application behind it through VTOR, which the Cortex-M0 lacks; the AN547
      // reads its reset vector in the ITCM, not at the start of code memory where the loader would sit
      expect(board.loader === undefined, b.board).to.equal(b.target === 'cortex-m0' || b.target === 'cortex-m55' || b.target === 'cortex-m85');
    }
    expect(loadTarget('cortex-m0').memory).to.deep.equal({
      flash: { origin: 0, bytes: 256 << 10 },
      ram: { origin: 0x20000000, bytes: 16 << 10 },
      stackBytes: 3072,
    });
    expect(loadTarget('cortex-m33').memory).to.deep.include({ flash: { origin: 0x10000000, bytes: 4 << 20 }, ram: { origin: 0x38000000, bytes: 4 << 20 } });
    expect(loadTarget('cortex-m55').memory).to.deep.include({ flash: { origin: 0x38000000, bytes: 8 << 20 }, ram: { origin: 0x31000000, bytes: 4 << 20 } });
    expect(loadTarget('cortex-m85').memory).to.deep.equal(loadTarget('cortex-m55').memory);
    // the M85 code runs on the AN547's Cortex-M55, and both say so; the board's name alone means the M55
    const m85board = loadTarget('cortex-m85').boards[0]!;
    expect(m85board.emulator!.args.join(' ')).to.include('-M mps3-an547 -cpu cortex-m55');
    expect(loadTarget('cortex-m85').description).to.match(/QEMU 7\.2 has no Cortex-M85/);
    expect(m85board.description).to.match(/QEMU 7\.2 models no Cortex-M85/);
    expect(findBoard('qemu-mps3-an547').target.name).to.equal('cortex-m55');
    expect(loadTarget('cortex-m7').isa).to.deep.equal({ core: 'cortex-m7', thumb: true, dsp: true, fpu: 'fpv5-d16' });
    expect(loadTarget('cortex-m33').isa).to.deep.equal({ core: 'cortex-m33', thumb: true, dsp: true, fpu: 'fpv5-sp-d16' });
    // Helium: the Arm MVE kernel family, falling back to the Arm DSP one
    for (const t of ['cortex-m55', 'cortex-m85']) expect(loadTarget(t).isa, t).to.deep.equal({ core: t, thumb: true, dsp: true, fpu: 'fpv5-d16', mve: true });
  });

  for (const b of BOARDS) {
    it(`${b.label ?? b.board}: links where the descriptor says, picks SysTick on the device, ${b.perTick} instructions per tick`, async () => {
      const target = loadTarget(b.target);
      const built = await buildFirmware({ target: b.target, modelDir: loopDir, outDir: join(scratch.dir, `loop-${b.target}`), input0ArenaOffset: 0 });
      expect(mapMemory(built.mapFile!)).to.deep.equal({ FLASH: target.memory!.flash, RAM: target.memory!.ram });
      // a loop of 2N instructions: two runs differ by 2 * 1,000,000 instructions, to within one tick
      const iterations = [1, 1_000_001];
      const run = await runOnBoard({ board: b.board, elf: built.elf, cases: iterations.map(loopCase), timeoutMs: HANG_GUARD_MS, link: 'stdio' });
      expect(run.counter.device, 'the device found no running DWT and fell back to SysTick').to.equal('systick');
      expect(run.counter.kind).to.equal('instructions');
      const measured = (run.cases[1]!.ticks - run.cases[0]!.ticks) * b.perTick;
      expect(Math.abs(measured - 2_000_000), `measured ${measured}`).to.be.at.most(b.perTick);
      expect(Number.isInteger(run.cases[1]!.count)).to.equal(true);
      expect(run.memory.stack).to.be.greaterThan(0).and.lessThan(run.memory.stackCapacity);
    });
  }

  for (const b of BOARDS) {
    for (const model of ['hello_world_int8', 'micro_speech']) {
      it(`${b.label ?? b.board}: ${model} bit-exact with TFLite Micro on the golden inputs, instructions counted`, async function () {
        if (!sharedModelsAvailable(this)) return;
        const golden = goldenCases(model);
        const report = await runModel(sharedModelPath(model), { target: b.target, cases: golden.map((c) => [c.input]), link: 'stdio' });
        expect(report.board).to.equal(b.board);
        expect(report.counter).to.deep.equal({ kind: 'instructions', source: `SysTick x ${b.perTick} under QEMU -icount shift=0` });
        report.cases.forEach((c, i) => {
          expect(hex(Uint8Array.from(Int8Array.from(c.outputs.flat()))), golden[i]!.name).to.equal(hex(golden[i]!.output));
          expect(c.count).to.be.greaterThan(0);
        });
        expect(report.matchesReference).to.equal(true);
        // the fit check's figures are lower bounds of the real build
        const fit = estimateFit(compileFile(sharedModelPath(model), { isa: loadTarget(b.target).isa }), loadTarget(b.target))!;
        expect(report.memory.flash).to.be.at.least(fit.flash.weights + CODE_FLASH_BYTES);
        expect(report.memory.ram! - report.memory.stack!).to.be.at.least(fit.ram.arena + HARNESS_RAM_BYTES);
        expect(report.memory.ram).to.be.lessThan(loadTarget(b.target).memory!.ram.bytes);
      });
    }
  }

  it('refuses person_detect on the micro:bit before building, saying by how much it is too big', async function () {
    if (!sharedModelsAvailable(this)) return;
    const started = Date.now();
    let built = false;
    const target = loadTarget('cortex-m0');
    const ram = estimateFit(compileFile(sharedModelPath('person_detect'), { isa: target.isa }), target)!.ram;
    const n = (v: number) => v.toLocaleString('en-US');
    expect(ram.arena, 'person_detect needs more RAM than the micro:bit has for its arena alone').to.be.greaterThan(16 << 10);
    const error = await expectRejection(
      runModel(sharedModelPath('person_detect'), { target: 'cortex-m0', progress: (m) => (built ||= m.startsWith('building')) }),
      /^person_detect\.tflite does not fit cortex-m0 \(qemu-microbit\): RAM needs at least [\d,]+ bytes \(arena [\d,]+ \+ stack 3,072 \+ harness ~512\) of 16,384: [\d,]+ bytes over$/,
    );
    expect(error.message)
      .to.include(`RAM needs at least ${n(ram.total)} bytes (arena ${n(ram.arena)} `)
      .and.include(`${n(ram.total - 16384)} bytes over`);
    expect(built, 'nothing was built').to.equal(false);
    expect(Date.now() - started).to.be.lessThan(20_000);
  });
});
