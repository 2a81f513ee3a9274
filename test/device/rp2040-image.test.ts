// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { BOOT2_BYTES, boot2Crc, boot2Valid } from '../../src/lab/toolchain/rp2040/boot2.ts';
import { findBootselDrives, flashUf2ToDrive, pickBootselDrive, readDriveInfo } from '../../src/lab/device/rp2040/bootsel.ts';
import { readLoadSegments } from '../../src/lab/toolchain/rp2040/elf.ts';
import { RP2040_FAMILY_ID, UF2_BLOCK_BYTES, elfToUf2, parseUf2, writeUf2IntoFlash } from '../../src/lab/toolchain/rp2040/uf2.ts';
import { FAKE_MODEL_DIR, expectRejection, requireTools, scratchDir } from '../build/helpers.ts';

const FLASH = 2 * 1024 * 1024;
const INFO_RP2040 = 'UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n';

describe('RP2040 images: boot2 CRC, UF2, BOOTSEL drive', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let built: BuildResult;
  let elf: Uint8Array;

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    scratch = scratchDir('rp2040-image');
    built = await buildFirmware({ target: 'rp2040', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/build` });
    elf = new Uint8Array(readFileSync(built.elf));
  });
  after(() => scratch?.cleanup());

  describe('boot2', () => {
    it('computes the boot ROM\'s CRC32 (MPEG-2 parameters: check value of "123456789" is 0x0376e6e7)', () => {
      expect(boot2Crc(new TextEncoder().encode('123456789'))).to.equal(0x0376e6e7);
      expect(boot2Crc(new Uint8Array(0))).to.equal(0xffffffff);
    });

    it('the build seals the second stage at the start of flash, and a changed byte breaks it', () => {
      const segments = readLoadSegments(elf, built.elf);
      expect(segments[0]!.physicalAddress).to.equal(0x10000000);
      const stage = segments[0]!.data.slice(0, BOOT2_BYTES);
      expect(boot2Valid(stage)).to.equal(true);
      stage[0]! ^= 1;
      expect(boot2Valid(stage)).to.equal(false);
    });
  });

  describe('UF2', () => {
    it('cuts the flash contents into 256-byte RP2040 blocks and reads them back the same', () => {
      const uf2 = elfToUf2(elf, built.elf, FLASH);
      expect(Buffer.from(uf2).equals(readFileSync(built.uf2!))).to.equal(true); // the build wrote the same file
      const blocks = parseUf2(uf2, 'x.uf2');
      expect(blocks.length * UF2_BLOCK_BYTES).to.equal(uf2.length);
      expect(blocks[0]!.address).to.equal(0x10000000);
      for (const b of blocks) expect(b.address % 256).to.equal(0);
      const view = new DataView(uf2.buffer, uf2.byteOffset);
      expect(view.getUint32(28, true)).to.equal(RP2040_FAMILY_ID);
      // every loaded byte of the ELF lands where its segment says, in a flash image rebuilt from the UF2
      const flash = new Uint8Array(FLASH).fill(0xff);
      writeUf2IntoFlash(uf2, flash, 'x.uf2');
      for (const s of readLoadSegments(elf, built.elf)) {
        const at = s.physicalAddress - 0x10000000;
        expect(Buffer.from(flash.subarray(at, at + s.data.length)).equals(Buffer.from(s.data)), `segment at 0x${s.physicalAddress.toString(16)}`).to.equal(
          true,
        );
      }
    });

    it('rejects files that are not whole, not UF2, for another chip, mis-numbered or outside flash', () => {
      const uf2 = elfToUf2(elf, built.elf, FLASH);
      const patched = (at: number, value: number) => {
        const copy = uf2.slice();
        new DataView(copy.buffer).setUint32(at, value, true);
        return copy;
      };
      expect(() => parseUf2(uf2.subarray(0, 700), 'cut.uf2')).to.throw(/cut\.uf2: not a UF2 file \(700 bytes/);
      expect(() => parseUf2(patched(0, 0x12345678), 'bad.uf2')).to.throw(/bad\.uf2: block 0: bad UF2 magic numbers/);
      expect(() => parseUf2(patched(28, 0x1c5f21b0), 'esp.uf2')).to.throw(/esp\.uf2: block 0: not for the RP2040 \(family id 0x1c5f21b0/);
      expect(() => parseUf2(patched(20, 5), 'mixed.uf2')).to.throw(/mixed\.uf2: block 0: numbered 5 of \d+, expected 0 of \d+/);
      expect(() => parseUf2(patched(12, 0x20000000), 'ram.uf2')).to.throw(/ram\.uf2: block 0: address 0x20000000 is outside flash/);
      expect(() => parseUf2(patched(16, 476), 'big.uf2')).to.throw(/big\.uf2: block 0: 476 bytes at 0x10000000/);
    });

    it('refuses an image that does not fit the flash', () => {
      expect(() => elfToUf2(elf, built.elf, 1024)).to.throw(/outside the 1 KiB of flash at 0x10000000/);
    });
  });

  describe('BOOTSEL drive', () => {
    const makeDrive = (name: string, info: string) => {
      const dir = join(scratch.dir, 'media', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'INFO_UF2.TXT'), info);
      return dir;
    };

    it('finds RP2040 drives by INFO_UF2.TXT and ignores other UF2 and plain drives', () => {
      const pico = makeDrive('RPI-RP2', INFO_RP2040);
      makeDrive('OTHER', 'UF2 Bootloader v1\nModel: Some board\nBoard-ID: SAMD21G18A-Feather-v0\n');
      mkdirSync(join(scratch.dir, 'media', 'USBSTICK'), { recursive: true });
      const drives = findBootselDrives([join(scratch.dir, 'media')]);
      expect(drives).to.deep.equal([{ path: pico, boardId: 'RPI-RP2', model: 'Raspberry Pi RP2' }]);
      expect(pickBootselDrive(undefined, [join(scratch.dir, 'media')]).path).to.equal(pico);
      expect(readDriveInfo(join(scratch.dir, 'media', 'USBSTICK'))).to.equal(undefined);
      expect(() => pickBootselDrive(join(scratch.dir, 'media', 'OTHER'))).to.throw(/a UF2 drive for SAMD21G18A-Feather-v0, not an RP2040/);
      expect(() => pickBootselDrive(undefined, [join(scratch.dir, 'nothing')])).to.throw(/no RP2040 BOOTSEL drive found/);
      rmSync(join(scratch.dir, 'media'), { recursive: true });
    });

    it('copies the UF2 and waits for the board to reboot (its drive goes away)', async () => {
      const drive = makeDrive('RPI-RP2', INFO_RP2040);
      // the fake board takes the file and reboots: its drive disappears a moment later
      const board = setInterval(() => {
        if (existsSync(join(drive, 'firmware.uf2'))) {
          clearInterval(board);
          rmSync(drive, { recursive: true });
        }
      }, 20);
      try {
        await flashUf2ToDrive(built.uf2!, readDriveInfo(drive)!, { timeoutMs: 3000, pollMs: 20 });
      } finally {
        clearInterval(board);
      }
      expect(existsSync(drive)).to.equal(false);
    });

    it('fails clearly when the board does not reboot, and never copies a file for another chip', async () => {
      const drive = makeDrive('RPI-RP2', INFO_RP2040);
      await expectRejection(
        flashUf2ToDrive(built.uf2!, readDriveInfo(drive)!, { timeoutMs: 200, pollMs: 20 }),
        /RPI-RP2: the board did not reboot within 200 ms after the UF2 was copied/,
      );
      const foreign = join(scratch.dir, 'foreign.uf2');
      const bytes = new Uint8Array(readFileSync(built.uf2!));
      new DataView(bytes.buffer).setUint32(28, 0x1c5f21b0, true);
      writeFileSync(foreign, bytes);
      rmSync(join(drive, 'firmware.uf2'));
      await expectRejection(flashUf2ToDrive(foreign, readDriveInfo(drive)!, { timeoutMs: 200 }), /foreign\.uf2: block 0: not for the RP2040/);
      expect(existsSync(join(drive, 'foreign.uf2'))).to.equal(false);
    });
  });
});
