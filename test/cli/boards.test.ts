// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge boards`, and `--board NAME` on the commands: the target it implies, the fit against the
 * real chip (refused in one line saying by how much, nothing written), and a run for a real board on
 * its core's emulator that says which board ran and which one the fit is for.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { fcAutoencoder } from '../helpers/autoencoder_model.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { compileFile } from '../../src/core/compile.ts';
import { estimateFit } from '../../src/lab/toolchain/fit.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import type { BoardListing } from '../../src/face/cli/boards.ts';

const n = (v: number) => v.toLocaleString('en-US');

describe('CLI: boards and --board', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-boards-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tinyforge boards lists every board in 100 columns; --wide adds core, wait states, uA/MHz and flashing', () => {
    const narrow = tinyforge(['boards']);
    expect(narrow.status, narrow.stderr).to.equal(0);
    expect(narrow.stdout).to.match(/^board +chip +target +flash +ram +clock +kind$/m);
    expect(narrow.stdout).to.match(/^nucleo-l4r5zi +STM32L4R5ZIT6 +cortex-m4 +2 MiB +640 KiB +120 MHz +real$/m);
    expect(narrow.stdout).to.match(/^esp32-s3-devkitc-1 +ESP32-S3 +esp32s3 +.* +real$/m);
    expect(narrow.stdout).to.match(/^qemu-mps2-an386 +- +cortex-m4 +4 MiB +4 MiB +25 MHz +emulated$/m);
    for (const line of narrow.stdout.split('\n')) expect(line.length, line).to.be.at.most(100);
    const r = tinyforge(['boards', '--wide']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^board +chip +core \(target\) +flash +ram +clock +wait states +uA\/MHz +flashing +kind$/m);
    expect(r.stdout).to.match(
      /^nucleo-l4r5zi +STM32L4R5ZIT6 +cortex-m4 +2 MiB +640 KiB +120 MHz +5 +100 @ 3\.3 V +swd-stlink +real \(no port: emulated as qemu-mps2-an386\)$/m,
    );
    expect(r.stdout).to.match(/^nucleo-u575zi-q +STM32U575ZIT6Q +cortex-m33 +2 MiB +768 KiB +160 MHz +4 +44\.69 @ 3 V +swd-stlink/m);
    expect(r.stdout).to.match(
      /^pico +RP2040 +cortex-m0plus \(rp2040\) +2 MiB +264 KiB +125 MHz +unknown +227\.08 @ 3\.3 V +uf2 +real \(no port: emulated as rp2040js\)$/m,
    );
    expect(r.stdout).to.match(/^esp32-s3-devkitc-1 +.* +real \(no port: emulated as qemu-esp32s3\)$/m);
    expect(r.stdout).to.match(/^qemu-mps2-an386 +- +cortex-m4 +4 MiB +4 MiB +25 MHz +- +- +stm32-usart-bootloader +emulated$/m);

    const json = tinyforge(['boards', '--json']);
    expect(json.status, json.stderr).to.equal(0);
    const { boards } = JSON.parse(json.stdout) as { boards: BoardListing[] };
    const byName = new Map(boards.map((b) => [b.name, b]));
    for (const name of ['nucleo-l4r5zi', 'nucleo-h7a3zi-q', 'nucleo-u575zi-q', 'pico', 'pico2', 'esp32-c3-devkitm-1', 'esp32-s3-devkitc-1', 'nrf52840-dk']) {
      expect(byName.get(name), name).to.deep.include({ kind: 'real' });
      const keys = ['chip', 'memory', 'clock', 'flashWaitStates', 'runCurrent', 'flashing', 'console'];
      // the boards whose caches the timing model replays carry them
      if (['nucleo-h7a3zi-q', 'nucleo-u575zi-q', 'pico'].includes(name)) keys.push('caches');
      expect(byName.get(name)!.hardware, name).to.have.keys(keys);
    }
    expect(byName.get('nucleo-u575zi-q')).to.deep.include({
      target: 'cortex-m33',
      core: 'cortex-m33',
      flashBytes: 2 << 20,
      ramBytes: 768 << 10,
      firmware: true,
    });
    expect(byName.get('pico2')).to.deep.include({ firmware: true });
    expect(byName.get('nucleo-u575zi-q')!.emulatedBy).to.equal('qemu-mps2-an505');
    expect(byName.get('qemu-mps2-an386')).to.deep.include({ kind: 'emulated', chip: null, hardware: null, firmware: true, atClock: null });
    // at its clock: the power range, wait states and run current that apply, or why they are unknown
    expect(byName.get('nucleo-l4r5zi')!.atClock).to.deep.include({ powerRange: 'Range 1 boost mode', flashWaitStates: 5, microampsPerMHz: 100, volts: 3.3 });
    expect(byName.get('pico')!.atClock).to.deep.include({ flashWaitStates: null, microampsPerMHz: 227.08, volts: 3.3 });
    expect(byName.get('pico')!.atClock!.runCurrentBasis).to.match(/Popcorn/);
  });

  it('compile --board alone implies the target and checks the fit for the chip', function () {
    if (!sharedModelsAvailable(this)) return;
    const out = join(dir, 'h7');
    const r = tinyforge(['compile', sharedModelPath('person_detect'), '--board', 'nucleo-h7a3zi-q', '-o', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(unwrapped(r.stdout)).to.match(
      /^fits nucleo-h7a3zi-q \(STM32H7A3ZIT6Q\): flash needs at least [\d,]+ of 2,097,152 bytes, RAM at least [\d,]+ of 1,048,576/m,
    );
    expect(unwrapped(r.stdout)).to.match(/wrote .* for cortex-m7 \(nucleo-h7a3zi-q\): person_detect\.h/);
    expect(readFileSync(join(out, 'person_detect.c'), 'utf8')).to.match(/target:? +cortex-m7 /);
  });

  it('compile --board of a model too big for the chip refuses in one line saying by how much, writing nothing', () => {
    // one FULLY_CONNECTED layer over 700,000 inputs: a 700 KB arena, beyond the STM32L4R5's 640 KiB of SRAM
    const model = join(dir, 'wide.tflite');
    const graph = fcAutoencoder({ widths: [700_000, 1], name: 'wide' });
    writeFileSync(model, writeTflite(graph));
    const { target, board } = findBoard('nucleo-l4r5zi');
    const fit = estimateFit(compileFile(model, { isa: target.isa }), target, board)!;
    expect(fit.ram.total).to.be.greaterThan(640 << 10);
    expect(fit.flash.total).to.be.lessThan(2 << 20);

    const out = join(dir, 'wide-out');
    const started = Date.now();
    const r = tinyforge(['compile', model, '--board', 'nucleo-l4r5zi', '-o', out]);
    expect(r.status).to.not.equal(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.equal(
      `error: wide.tflite does not fit cortex-m4 (nucleo-l4r5zi: STM32L4R5ZIT6): RAM needs at least ${n(fit.ram.total)} bytes ` +
        `(arena ${n(fit.ram.arena)} + stack ${n(fit.ram.stack)} + harness ~512) of 655,360: ${n(fit.ram.total - 655_360)} bytes over`,
    );
    expect(existsSync(out), 'nothing written').to.equal(false);
    // the same model fits the 4 MiB of the emulated board, which compile without --board does not check
    expect(Date.now() - started).to.be.lessThan(60_000);
  });

  it('--board with a --target it does not belong to, and a real board a command cannot reach, are one clear line each', function () {
    const wrong = tinyforge(['compile', join(dir, 'none.tflite'), '--target', 'rp2040', '--board', 'nucleo-l4r5zi', '-o', join(dir, 'x')]);
    expect(wrong.stderr.trim()).to.equal('error: board nucleo-l4r5zi is a cortex-m4 board, not a rp2040 one: drop --target or give --target cortex-m4');
    if (!sharedModelsAvailable(this)) return;
    // a Pico 2 is flashed through its BOOTSEL drive: none mounted here
    const model = tinyforge(['flash', sharedModelPath('hello_world_int8'), '--board', 'pico2', '--drive', join(dir, 'none')]);
    expect(model.status).to.not.equal(0);
    expect(model.stderr.trim()).to.equal(`error: ${join(dir, 'none')}: not a UF2 drive (no INFO_UF2.TXT); hold BOOTSEL while plugging the board in`);
    // a real board we build firmware for is reached through a probe or its boot loader, never as if emulated
    const unreached = tinyforge(['flash', sharedModelPath('hello_world_int8'), '--board', 'nucleo-l4r5zi']);
    expect(unreached.stderr.trim()).to.match(
      /^error: nucleo-l4r5zi is a real board: flash it with --probe \(openocd, cmsis-dap or tcp:HOST:PORT\) or, an STM32 in its boot loader, --port; /,
    );
    const image = join(dir, 'app.bin');
    writeFileSync(image, Buffer.alloc(64));
    const uf2Only = tinyforge(['flash', image, '--board', 'pico2']);
    expect(uf2Only.stderr.trim()).to.equal(`error: ${image}: the pico2 takes a .uf2 or .elf image (or a .tflite or .onnx model to build), not .bin`);
    // two real boards of one target: the port needs --board
    const port = tinyforge(['run', sharedModelPath('hello_world_int8'), '--target', 'cortex-m4', '--port', '/dev/ptmx']);
    expect(port.stderr.trim()).to.equal('error: --port: give --board, the real board on the port (cortex-m4: nucleo-l4r5zi, nrf52840-dk)');
  });

  it("run --board REAL runs on the core's emulator and says which board ran and which real board the fit is for", function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    if (!sharedModelsAvailable(this)) return;
    const short = tinyforge(['run', sharedModelPath('hello_world_int8'), '--board', 'nucleo-l4r5zi', '--link', 'stdio']);
    expect(short.status, short.stderr).to.equal(0);
    expect(unwrapped(short.stderr)).to.include(
      "running on qemu-mps2-an386, the emulator of nucleo-l4r5zi's core; the memory fit is checked for nucleo-l4r5zi (STM32L4R5ZIT6)",
    );
    // the short table: the board's figures at a glance, the estimates at its clock
    expect(short.stdout).to.match(/^target +cortex-m4 on qemu-mps2-an386 \(emulated\); est\. for nucleo-l4r5zi at 120 MHz$/m);
    expect(short.stdout).to.match(/^per inference +est\. ms +est\. uJ +arena +stack +flash +fits$/m);
    expect(short.stdout).to.match(/^[\d,]+ instructions +[\d.]+ +[\d.]+ +\d+ B +\d+ B +[\d.]+ KiB +yes \(nucleo-l4r5zi\)$/m);
    // --verbose: every figure with its basis, wrapped at 100 columns
    const verbose = tinyforge(['run', sharedModelPath('hello_world_int8'), '--board', 'nucleo-l4r5zi', '--link', 'stdio', '--verbose']);
    expect(verbose.status, verbose.stderr).to.equal(0);
    for (const line of verbose.stdout.split('\n')) expect(line.length, line).to.be.at.most(100);
    const r = { stdout: unwrapped(verbose.stdout) };
    expect(r.stdout).to.match(/^target +cortex-m4 on qemu-mps2-an386 \(emulated\)$/m);
    expect(r.stdout).to.match(
      /^real board +nucleo-l4r5zi \(STM32L4R5ZIT6\): fits, flash >= [\d,]+ of 2,097,152 B, RAM >= [\d,]+ of 655,360 B; the counts are qemu-mps2-an386's/m,
    );
    // and estimates for the board, marked as such (docs/json-output.md, Estimates)
    expect(r.stdout).to.match(
      /^estimated for +nucleo-l4r5zi \(STM32L4R5ZIT6\) at 120 MHz, Range 1 boost mode, 5 flash wait states: estimates, not measurements$/m,
    );
    expect(r.stdout).to.match(/^est\. time +[\d.]+ ms \(estimated cycles of the inference at 120 MHz/m);
    expect(r.stdout).to.match(/^est\. energy +[\d.,]+ uJ \(estimated cycles of the inference x 100 uA\/MHz at 3\.3 V: /m);

    const json = tinyforge(['run', sharedModelPath('hello_world_int8'), '--board', 'nucleo-l4r5zi', '--link', 'stdio', '--json']);
    expect(json.status, json.stderr).to.equal(0);
    const report = JSON.parse(json.stdout);
    expect(report).to.deep.include({ target: 'cortex-m4', board: 'qemu-mps2-an386', matchesReference: true });
    expect(report.counter.kind).to.equal('instructions');
    expect(report.realBoard).to.deep.include({ name: 'nucleo-l4r5zi', chip: 'STM32L4R5ZIT6' });
    expect(report.realBoard.ram.available).to.equal(640 << 10);
    // the exact count labelled, the estimates beside it for the real board at its own clock
    expect(report.counter.exact).to.equal('instructions');
    expect(report.estimates.map((e: { kind: string; unit: string }) => [e.kind, e.unit])).to.deep.equal([
      ['cycles-estimated', 'cycles'],
      ['ms-estimated', 'ms'],
      ['uJ-estimated', 'uJ'],
    ]);
    expect(report.estimates[1].value).to.be.closeTo((report.estimates[0].value / 120e6) * 1000, 1e-6);
    // DS12023's 100 µA/MHz at the board's 3.3 V (targets/cortex-m4.json)
    expect(report.estimates[2].value).to.be.closeTo(((100 * report.estimates[0].value) / 1e6) * 3.3, 1e-3);
    expect(report.estimatedFor).to.deep.include({ board: 'nucleo-l4r5zi', clockHz: 120e6, clockRequested: false, flashWaitStates: 5, batteryMah: null });
  });
});
