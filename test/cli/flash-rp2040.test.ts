// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --target rp2040` as a user runs it: the model built into the harness and loaded
 * into rp2040js's flash (HELLO shows it runs), the same UF2 to a BOOTSEL drive (a folder with an
 * INFO_UF2.TXT; a fake board in this process takes the file and "reboots", removing its drive),
 * verified with --port by a fake Pico that reboots into what its flash took (test/device/fake-pico.ts)
 * and reports the image's CRC over its console, and the one-line refusals. (The Pico 2:
 * test/cli/flash-pico2.test.ts.)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';
import { damageOneWeightByte, fakePicoWithConsole } from '../device/fake-pico.ts';

const INFO_RP2040 = 'UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n';

/** A BOOTSEL drive whose board takes the first .uf2 copied onto it and reboots (the drive goes away). */
function fakeBootselDrive(path: string, info = INFO_RP2040): { received: () => Uint8Array | null; stop: () => void } {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'INFO_UF2.TXT'), info);
  let received: Uint8Array | null = null;
  const timer = setInterval(() => {
    const uf2 = existsSync(path) ? readdirSync(path).find((f) => f.endsWith('.uf2')) : undefined;
    if (!uf2) return;
    clearInterval(timer);
    received = new Uint8Array(readFileSync(join(path, uf2)));
    rmSync(path, { recursive: true, force: true });
  }, 50);
  return { received: () => received, stop: () => clearInterval(timer) };
}

describe('cli: flash --target rp2040', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let keep: string;
  let builtId: string;

  before(function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['arm-none-eabi-gcc']);
    scratch = scratchDir('cli-flash-rp2040');
    keep = join(scratch.dir, 'keep');
  });
  after(() => scratch?.cleanup());

  it("builds the model's harness, loads the UF2 into rp2040js's flash, and the booted image answers HELLO", async () => {
    const r = await tinyforgeAsync(['flash', sharedModelPath('hello_world_int8'), '--target', 'rp2040', '--board', 'rp2040js', '--keep', keep, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json).to.deep.include({ target: 'rp2040', board: 'rp2040js', drive: null });
    expect(json.buildId).to.match(/^[0-9a-f]{16}$/);
    expect(json.application).to.deep.equal({ answered: true, model: 'hello_world_int8', buildId: json.buildId });
    const uf2 = readFileSync(join(keep, 'build', 'firmware.uf2'));
    expect(json.image).to.deep.include({ bytes: uf2.length, blocks: uf2.length / 512 });
    builtId = json.buildId;
  });

  it('takes a given .elf (its UF2 made here) and boots it on rp2040js', async function () {
    if (!builtId) this.skip();
    // copied away from firmware.uf2 so the UF2 must be made from the ELF's segments
    const elf = join(scratch.dir, 'hello.elf');
    writeFileSync(elf, readFileSync(join(keep, 'build', 'firmware.elf')));
    const r = await tinyforgeAsync(['flash', elf, '--target', 'rp2040', '--board', 'rp2040js']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`loaded ${elf}`);
    expect(r.stdout).to.include(`the application answers: harness of model hello_world_int8, build ${builtId}`);
  });

  /** A fake Pico in BOOTSEL, its console behind a clean relay (test/device/fake-pico.ts). */
  const picoWithConsole = (name: string, tamper?: (block: Uint8Array) => void) => fakePicoWithConsole(scratch.dir, name, { tamper });

  it("copies a model's UF2 (built for the Pico) to the BOOTSEL drive, and with --port the rebooted board's image CRC verifies it", async function () {
    requireTools(this, ['socat']);
    const board = await picoWithConsole('RPI-RP2');
    try {
      const r = await tinyforgeAsync([
        'flash',
        sharedModelPath('hello_world_int8'),
        '--target',
        'rp2040',
        '--drive',
        board.pico.drive,
        '--port',
        board.port,
        '--json',
      ]);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ target: 'rp2040', board: 'pico', drive: board.pico.drive, application: null, verified: true });
      expect(json.buildId)
        .to.match(/^[0-9a-f]{16}$/)
        .and.not.equal(builtId); // a build for the real board, not the emulator
      expect(json.verification).to.deep.include({ port: board.port, buildId: json.buildId, model: 'hello_world_int8' });
      expect(json.verification.image.start).to.equal(0x10000000);
      expect(board.pico.rebooted).to.equal(true);
      expect(existsSync(board.pico.drive)).to.equal(false);
    } finally {
      await board.stop();
    }
  });

  it('a copy damaged on the way (one weight byte, magic numbers intact): the CRC the board reports differs, one error: line', async function () {
    if (!builtId) this.skip();
    requireTools(this, ['socat']);
    const board = await picoWithConsole('RPI-RP2-c', damageOneWeightByte(join(keep, 'build', 'firmware.elf')));
    try {
      const r = await tinyforgeAsync(['flash', join(keep, 'build', 'firmware.uf2'), '--target', 'rp2040', '--drive', board.pico.drive, '--port', board.port]);
      expect(r.status, r.stderr).to.equal(1);
      expect(lastLine(r.stderr), r.stderr).to.match(
        /^error: .*-console: after the UF2 copy: the board's image \(\d+ bytes at 0x10000000\) has CRC 0x[0-9a-f]{8}, the UF2 copied 0x[0-9a-f]{8}: the copy was damaged; flash again$/,
      );
      expect(r.stdout).to.equal('');
      expect(board.pico.rebooted).to.equal(true);
    } finally {
      await board.stop();
    }
  });

  it('copies a given .uf2 byte for byte; without --port it says the copy is not verified', async function () {
    if (!builtId) this.skip();
    const drivePath = join(scratch.dir, 'RPI-RP2-b');
    const board = fakeBootselDrive(drivePath);
    try {
      const uf2 = join(keep, 'build', 'firmware.uf2');
      const r = await tinyforgeAsync(['flash', uf2, '--target', 'rp2040', '--drive', drivePath]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^copied .*firmware\.uf2 \(\d+ UF2 blocks\) to the BOOTSEL drive .*RPI-RP2-b, not verified\n/);
      expect(r.stdout).to.include("give --port (the board's console) to have the rebooted board report the image it runs");
      expect(r.stdout).to.not.match(/flashed/);
      expect(Buffer.from(board.received()!).equals(readFileSync(uf2))).to.equal(true);
    } finally {
      board.stop();
    }
  });

  describe('refusals, in one line', () => {
    it('a folder that is no UF2 drive: says how to enter BOOTSEL', () => {
      const notDrive = join(scratch.dir, 'usbstick');
      mkdirSync(notDrive, { recursive: true });
      const r = tinyforge(['flash', join(keep, 'build', 'firmware.uf2'), '--target', 'rp2040', '--drive', notDrive]);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.equal(`error: ${notDrive}: not a UF2 drive (no INFO_UF2.TXT); hold BOOTSEL while plugging the board in`);
    });

    it('a drive of another chip, a wrong file type, a serial port, a file for another chip', () => {
      const other = join(scratch.dir, 'FEATHERBOOT');
      mkdirSync(other, { recursive: true });
      writeFileSync(join(other, 'INFO_UF2.TXT'), 'UF2 Bootloader v1\nBoard-ID: SAMD21G18A-Feather-v0\n');
      const uf2 = join(keep, 'build', 'firmware.uf2');
      let r = tinyforge(['flash', uf2, '--target', 'rp2040', '--drive', other]);
      expect(r.stderr.trim()).to.equal(`error: ${other}: a UF2 drive for SAMD21G18A-Feather-v0, not an RP2040`);
      const bin = join(scratch.dir, 'app.bin');
      writeFileSync(bin, new Uint8Array(512));
      r = tinyforge(['flash', bin, '--target', 'rp2040', '--board', 'rp2040js']);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.equal(`error: ${bin}: an RP2040 takes a .uf2 or .elf image (or a .tflite or .onnx model to build), not .bin`);
      r = tinyforge(['flash', uf2, '--target', 'rp2040', '--drive', other, '--port', join(scratch.dir, 'no-such-port')]);
      expect(r.stderr.trim()).to.match(/^error: --port .*no-such-port: no such port/);
      r = tinyforge(['flash', uf2, '--target', 'rp2040', '--board', 'rp2040js', '--port', '/dev/null']);
      expect(r.stderr.trim()).to.equal('error: --port: rp2040js is emulated; the image is checked over its own UART');
      const foreign = join(scratch.dir, 'foreign.uf2');
      const bytes = new Uint8Array(readFileSync(uf2));
      new DataView(bytes.buffer).setUint32(28, 0x1c5f21b0, true);
      writeFileSync(foreign, bytes);
      r = tinyforge(['flash', foreign, '--target', 'rp2040', '--board', 'rp2040js']);
      expect(r.status).to.equal(1);
      expect(lastLine(r.stderr)).to.match(/^error: .*foreign\.uf2: block 0: not for the RP2040 \(family id 0x1c5f21b0/);
    });
  });
});
