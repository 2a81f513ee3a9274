// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --board pico2` (RP2350, on the cortex-m33 target) as a user runs it: the model
 * built into our RP2350 harness with the real toolchain, its UF2 (RP2350 Arm Secure family) copied
 * to a fake Pico 2 in BOOTSEL (test/device/fake-pico.ts with the RP2350's drive and ROM), which
 * reboots into a stand-in for the harness (test/device/fake-pico2-firmware.ts: nothing here emulates
 * the RP2350) that answers HELLO with the image range the built ELF's linker symbols give and the
 * CRC of what its flash took. With --port: verified only on a CRC match; a damaged byte, a malformed
 * HELLO, a board that never reboots or never answers: one error: line; without --port: not verified.
 * And the real ELF: HELLO's image range is the UF2's whole image, with the CRC a host computes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { boot2Crc } from '../../src/lab/toolchain/rp2040/boot2.ts';
import { RP2350_DRIVE, pickBootselDrive } from '../../src/lab/device/rp2040/bootsel.ts';
import { readLoadSegments } from '../../src/lab/toolchain/rp2040/elf.ts';
import { RP2040_FLASH_BASE, RP2350_ARM_S_FAMILY_ID, parseUf2 } from '../../src/lab/toolchain/rp2040/uf2.ts';
import { copyUf2AndVerify, uf2RangeCrc } from '../../src/lab/device/rp2040/verify.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';
import { PICO_INFO, damageOneWeightByte, fakePico2, fakePicoWithConsole } from '../device/fake-pico.ts';
import { elfSymbols, fakePico2WithHarness, harnessImageRange, rp2350HarnessFacts } from '../device/fake-pico2-firmware.ts';

const MODEL = 'hello_world_int8';

describe('cli: flash --board pico2 (RP2350), verified by the image CRC its harness reports', function () {
  let scratch: ReturnType<typeof scratchDir>;
  /** the first build's folder (--keep): its ELF, UF2 and build log */
  let keep: string;
  let built: { buildId: string; elf: string; uf2: string } | undefined;

  before(function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-nm', 'socat']);
    scratch = scratchDir('cli-flash-pico2');
    keep = join(scratch.dir, 'keep');
  });
  after(() => scratch?.cleanup());

  /** the harness the board runs: the build of the first test (its ELF and log read when the board boots) */
  const firstBuild = () => rp2350HarnessFacts(join(keep, 'build', 'firmware.elf'), MODEL);
  const board = (name: string, options: Parameters<typeof fakePicoWithConsole>[2] = {}) => fakePicoWithConsole(scratch.dir, name, options);

  it("with --port: the model built into the RP2350 harness, its UF2 (RP2350 Arm Secure) copied to the RP2350 drive, the rebooted board's image CRC equal to the UF2's: flashed and verified", async () => {
    const fake = await board('RP2350', { rom: fakePico2WithHarness(firstBuild) });
    try {
      const r = await tinyforgeAsync(['flash', sharedModelPath(MODEL), '--board', 'pico2', '--drive', fake.pico.drive, '--port', fake.port, '--keep', keep]);
      expect(r.status, r.stderr).to.equal(0);
      built = { buildId: firstBuild().buildId, elf: join(keep, 'build', 'firmware.elf'), uf2: join(keep, 'build', 'firmware.uf2') };
      const uf2 = new Uint8Array(readFileSync(built.uf2));
      const blocks = parseUf2(uf2, 'firmware.uf2', 4 << 20, RP2350_ARM_S_FAMILY_ID).length;
      expect(() => parseUf2(uf2, 'firmware.uf2')).to.throw(/not for the RP2040/);
      const range = harnessImageRange(built.elf);
      const crc = uf2RangeCrc(uf2, 'firmware.uf2', range.start, range.bytes, RP2350_ARM_S_FAMILY_ID)!;
      const lines = r.stdout.split('\n');
      expect(lines[0]).to.equal(
        `flashed and verified the harness firmware of ${MODEL}.tflite (${blocks} UF2 blocks) to pico2 through its BOOTSEL drive ${fake.pico.drive}`,
      );
      expect(lines[1]).to.match(
        new RegExp(
          `^  the board answers on ${fake.port} [\\d.]+ s after the reboot: build ${built.buildId} of model ${MODEL}, image ${range.bytes} bytes with CRC 0x${crc.toString(16).padStart(8, '0')}, as copied$`,
        ),
      );
      // the fake ROM took every block (it takes only the RP2350 Arm Secure family) and rebooted
      expect(fake.pico.rebooted).to.equal(true);
      expect(existsSync(fake.pico.drive)).to.equal(false);
      for (const segment of readLoadSegments(new Uint8Array(readFileSync(built.elf)), built.elf)) {
        expect(fake.pico.holds(segment.physicalAddress, segment.data)).to.equal(true);
      }
    } finally {
      await fake.stop();
    }
  });

  it('the real RP2350 harness (arm-none-eabi-gcc, -Werror): HELLO reports the range of the whole UF2 image, whose CRC a host computes', function () {
    if (!built) this.skip();
    const log = readFileSync(join(keep, 'build', 'build.log'), 'utf8');
    const chipLine = log.split('\n').find((l) => l.includes(' -c ') && l.includes('chips/rp2350.c'))!;
    expect(chipLine, 'rp2350.c compiled').to.be.a('string');
    expect(chipLine).to.include('-Werror').and.include('-mcpu=cortex-m33').and.include('-DTF_PLATFORM_IMAGE=1');
    const symbols = elfSymbols(built!.elf);
    expect(symbols.has('tf_platform_image'), 'the image code is linked').to.equal(true);
    // the firmware's range: from the vector table at the start of flash to the end of .data's initial values
    const range = harnessImageRange(built!.elf);
    expect(range.start).to.equal(RP2040_FLASH_BASE);
    const segments = readLoadSegments(new Uint8Array(readFileSync(built!.elf)), built!.elf).filter((s) => s.data.length > 0);
    const end = Math.max(...segments.map((s) => s.physicalAddress + s.data.length));
    expect(Math.min(...segments.map((s) => s.physicalAddress))).to.equal(range.start);
    expect(range.start + range.bytes, 'the range ends with the last byte the ELF loads into flash').to.equal(end);
    // the CRC the board computes over that range of flash, from the ELF's loaded bytes...
    const flash = new Uint8Array(range.bytes).fill(0xff);
    for (const s of segments) flash.set(s.data, s.physicalAddress - range.start);
    // ...is the one the host computes over the UF2 copied
    const uf2 = new Uint8Array(readFileSync(built!.uf2));
    expect(uf2RangeCrc(uf2, 'firmware.uf2', range.start, range.bytes, RP2350_ARM_S_FAMILY_ID)).to.equal(boot2Crc(flash));
    expect(uf2RangeCrc(uf2, 'firmware.uf2', range.start + 256, range.bytes - 256, RP2350_ARM_S_FAMILY_ID), 'not the whole image').to.equal(null);
    // the IMAGE_DEF block the RP2350's ROM looks for is in the first 4 KiB (the fake ROM needs it too)
    expect(symbols.get('__image_def_end')! - RP2040_FLASH_BASE).to.be.within(20, 4096);
  });

  it('without --port: copied, not verified (exit 0); a Pico drive is refused', async function () {
    if (!built) this.skip();
    const fake = await board('RP2350-b', { rom: fakePico2WithHarness(firstBuild) });
    try {
      const r = await tinyforgeAsync(['flash', built!.uf2, '--board', 'pico2', '--drive', fake.pico.drive]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^copied .*firmware\.uf2 \(\d+ UF2 blocks\) to the BOOTSEL drive .*RP2350-b, not verified\n/);
      expect(r.stdout).to.include("give --port (the board's console) to have the rebooted board report the image it runs");
      expect(r.stdout).to.not.match(/flashed/);
      expect(fake.pico.rebooted).to.equal(true);
    } finally {
      await fake.stop();
    }
    // the Pico's drive is not the Pico 2's
    const pico = join(scratch.dir, 'RPI-RP2');
    mkdirSync(pico, { recursive: true });
    writeFileSync(join(pico, 'INFO_UF2.TXT'), PICO_INFO);
    const wrong = tinyforge(['flash', built!.uf2, '--board', 'pico2', '--drive', pico]);
    expect(wrong.stderr.trim()).to.equal(`error: ${pico}: a UF2 drive for RPI-RP2, not an RP2350`);
  });

  it('a copy damaged on the way (one weight byte, magic numbers intact): the CRC the board reports differs, one error: line', async function () {
    if (!built) this.skip();
    const fake = await board('RP2350-d', { rom: fakePico2WithHarness(firstBuild), tamper: damageOneWeightByte(built!.elf) });
    try {
      const r = await tinyforgeAsync(['flash', built!.uf2, '--board', 'pico2', '--drive', fake.pico.drive, '--port', fake.port]);
      expect(r.status, r.stderr).to.equal(1);
      expect(lastLine(r.stderr), r.stderr).to.match(
        /^error: .*RP2350-d-console: after the UF2 copy: the board's image \(\d+ bytes at 0x10000000\) has CRC 0x[0-9a-f]{8}, the UF2 copied 0x[0-9a-f]{8}: the copy was damaged; flash again$/,
      );
      expect(r.stdout).to.equal('');
      expect(fake.pico.rebooted).to.equal(true);
    } finally {
      await fake.stop();
    }
  });

  // said as malformed (at once), not as a board that did not answer within 30 s (the wait is not timed here: a loaded machine's CLI start alone can take 20 s)
  it('a rebooted board answering a malformed HELLO: one error: line, not verified', async function () {
    if (!built) this.skip();
    const fake = await board('RP2350-e', { rom: fakePico2WithHarness(firstBuild, { malformedHello: true }) });
    try {
      const r = await tinyforgeAsync(['flash', built!.uf2, '--board', 'pico2', '--drive', fake.pico.drive, '--port', fake.port]);
      expect(r.status, r.stderr).to.equal(1);
      expect(lastLine(r.stderr), r.stderr).to.match(
        /^error: .*RP2350-e-console: after the UF2 copy: the board's HELLO answer is malformed \(response too short \(\d+ bytes\)\): it runs other or damaged firmware, not verified$/,
      );
      expect(r.stdout).to.equal('');
    } finally {
      await fake.stop();
    }
  });

  it('--port is checked before anything is built: a port that is not there is one line', () => {
    const r = tinyforge([
      'flash',
      sharedModelPath(MODEL),
      '--board',
      'pico2',
      '--drive',
      join(scratch.dir, 'none'),
      '--port',
      join(scratch.dir, 'no-such-port'),
    ]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.match(/^error: --port .*no-such-port: no such port/);
  });

  describe('a board that never reboots, or reboots into nothing (copyUf2AndVerify with the RP2350 drive, short waits)', () => {
    it('the drive stays (the copy not taken): one line, not verified', async function () {
      if (!built) this.skip();
      const drive = join(scratch.dir, 'RP2350-stuck');
      mkdirSync(drive, { recursive: true });
      writeFileSync(join(drive, 'INFO_UF2.TXT'), fakePico2(() => null).info);
      let thrown: unknown;
      try {
        await copyUf2AndVerify(built!.uf2, pickBootselDrive(drive, undefined, RP2350_DRIVE), {
          chip: RP2350_DRIVE,
          port: '/dev/null',
          drivePolling: { timeoutMs: 600, pollMs: 50 },
        });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(TinyforgeError);
      expect((thrown as Error).message).to.equal(
        `${drive}: the board did not reboot within 600 ms after the UF2 was copied (the drive is still there); was the image for this board?`,
      );
    });

    it('rebooted, but the ROM starts nothing (no IMAGE_DEF block in the image): the board does not answer, one line', async function () {
      if (!built) this.skip();
      // the image's first page blanked: no vector table, no IMAGE_DEF; the ROM would not run it
      const fake = await board('RP2350-f', {
        rom: fakePico2WithHarness(firstBuild),
        tamper: (block) => {
          if (new DataView(block.buffer, block.byteOffset).getUint32(12, true) === RP2040_FLASH_BASE) block.fill(0xff, 32, 32 + 256);
        },
      });
      try {
        let thrown: unknown;
        try {
          await copyUf2AndVerify(built!.uf2, pickBootselDrive(fake.pico.drive, undefined, RP2350_DRIVE), {
            chip: RP2350_DRIVE,
            port: fake.port,
            waitMs: 2500,
            drivePolling: { timeoutMs: 5000, pollMs: 50 },
          });
        } catch (e) {
          thrown = e;
        }
        expect(fake.pico.rebooted).to.equal(true);
        expect(fake.pico.chip).to.equal(null);
        expect(thrown).to.be.instanceOf(TinyforgeError);
        expect((thrown as Error).message).to.match(
          new RegExp(
            `^${fake.port}: copied to the BOOTSEL drive, but the board did not answer HELLO within 2.5 s after it left BOOTSEL \\(.*\\): not verified$`,
          ),
        );
      } finally {
        await fake.stop();
      }
    });
  });
});
