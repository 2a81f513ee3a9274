// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --target rp2040` as a user runs it: the model built into the harness and loaded
 * into rp2040js's flash (HELLO shows it runs), the same UF2 to a BOOTSEL drive (a folder with an
 * INFO_UF2.TXT; a fake board in this process takes the file and "reboots", removing its drive), and
 * the one-line refusals.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { RP2350_ARM_S_FAMILY_ID, parseUf2 } from '../../src/device/rp2040/uf2.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';

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
  this.timeout(120_000);
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

  it("copies a model's UF2 (built for the Pico) to the BOOTSEL drive named with --drive and waits for the reboot", async () => {
    const drivePath = join(scratch.dir, 'RPI-RP2');
    const board = fakeBootselDrive(drivePath);
    try {
      const r = await tinyforgeAsync(['flash', sharedModelPath('hello_world_int8'), '--target', 'rp2040', '--drive', drivePath, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ target: 'rp2040', board: 'pico', drive: drivePath, application: null });
      expect(json.buildId)
        .to.match(/^[0-9a-f]{16}$/)
        .and.not.equal(builtId); // a build for the real board, not the emulator
      const got = board.received();
      expect(got, 'the drive received a UF2').to.not.equal(null);
      expect(parseUf2(got!, 'received').length).to.equal(json.image.blocks);
      expect(existsSync(drivePath)).to.equal(false);
    } finally {
      board.stop();
    }
  });

  it("pico2: a model's harness built for the RP2350 goes to its BOOTSEL drive (Board-ID RP2350) as a UF2 of the RP2350 Arm Secure family", async () => {
    const drivePath = join(scratch.dir, 'RP2350');
    const board = fakeBootselDrive(drivePath, 'UF2 Bootloader v1.0\nModel: Raspberry Pi RP2350\nBoard-ID: RP2350\n');
    try {
      const r = await tinyforgeAsync(['flash', sharedModelPath('hello_world_int8'), '--board', 'pico2', '--drive', drivePath, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ target: 'cortex-m33', board: 'pico2', drive: drivePath, application: null });
      expect(json.buildId).to.match(/^[0-9a-f]{16}$/);
      const got = board.received();
      expect(got, 'the drive received a UF2').to.not.equal(null);
      expect(parseUf2(got!, 'received', 4 << 20, RP2350_ARM_S_FAMILY_ID).length).to.equal(json.image.blocks);
      expect(() => parseUf2(got!, 'received')).to.throw(/not for the RP2040/);
    } finally {
      board.stop();
    }
    // the Pico's drive is not the Pico 2's
    const pico = join(scratch.dir, 'RPI-RP2-c');
    mkdirSync(pico, { recursive: true });
    writeFileSync(join(pico, 'INFO_UF2.TXT'), INFO_RP2040);
    const wrong = tinyforge(['flash', sharedModelPath('hello_world_int8'), '--board', 'pico2', '--drive', pico]);
    expect(wrong.stderr.trim()).to.equal(`error: ${pico}: a UF2 drive for RPI-RP2, not an RP2350`);
  });

  it('copies a given .uf2 byte for byte', async function () {
    if (!builtId) this.skip();
    const drivePath = join(scratch.dir, 'RPI-RP2-b');
    const board = fakeBootselDrive(drivePath);
    try {
      const uf2 = join(keep, 'build', 'firmware.uf2');
      const r = await tinyforgeAsync(['flash', uf2, '--target', 'rp2040', '--drive', drivePath]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/to pico through its BOOTSEL drive .*RPI-RP2-b; the board rebooted into it/);
      // fuzz:links: the drive going away is no verification, and the output says so
      expect(r.stdout).to.include('a UF2 copy cannot be read back: the drive going away is all the board says');
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
      expect(r.stderr.trim()).to.equal(`error: ${bin}: an RP2040 takes a .uf2 or .elf image (or a .tflite model to build), not .bin`);
      r = tinyforge(['flash', uf2, '--target', 'rp2040', '--port', '/dev/ttyACM0']);
      expect(r.stderr.trim()).to.equal('error: an RP2040 is flashed through its BOOTSEL drive (--drive DIR), not a serial port: drop --port');
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
