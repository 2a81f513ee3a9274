// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash` as a user runs it: an image to a real port (here the fake STM32 boot loader on a
 * socat pty pair, served in this process while the CLI runs as a child), and the clear refusals.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { tinyforge } from '../helpers/cli.ts';
import { tinyforgeAsync } from './async-cli.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FakeBootloader, type PtyPair, startPtyPair } from '../device/stm32-fake-bootloader.ts';

describe('cli: flash', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const payload = Uint8Array.from({ length: 700 }, (_, i) => (i * 13 + 5) & 0xff);
  let bin: string;

  before(() => {
    scratch = scratchDir('cli-flash');
    bin = join(scratch.dir, 'app.bin');
    writeFileSync(bin, payload);
  });
  after(() => scratch.cleanup());

  describe('to a real port (a fake STM32 boot loader)', () => {
    let pair: PtyPair;
    let fake: FakeBootloader;

    beforeEach(async function () {
      requireTools(this, ['socat']);
      pair = await startPtyPair();
      fake = await FakeBootloader.open(pair.device, { productId: 0x0413 });
    });
    afterEach(async () => {
      await fake?.close();
      pair?.kill();
    });

    it('writes a .bin at 0x08000000, verifies it, starts it, and prints one JSON object', async () => {
      const r = await tinyforgeAsync(['flash', bin, '--port', pair.host, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ target: 'cortex-m4', board: null, port: pair.host, buildId: null, application: null });
      expect(json.image).to.deep.equal({ source: bin, bytes: 700, start: 0x08000000 });
      expect(json.flash).to.include({ productId: 0x0413, erase: 'extended erase (0x44)', bytes: 700, blocks: 3, verified: true, started: 0x08000000 });
      expect(Array.from(fake.memory.subarray(0, 700))).to.deep.equal(Array.from(payload));
      expect(fake.goAddress).to.equal(0x08000000);
      expect(r.stderr).to.include('product id 0x0413');
    });

    it('a model to a real NUCLEO (--board --port): the harness built for its chip, linked at 0x08000000, its build id reported', async function () {
      requireTools(this, ['arm-none-eabi-gcc']);
      if (!sharedModelsAvailable(this)) return;
      const r = await tinyforgeAsync(['flash', sharedModelPath('hello_world_int8'), '--board', 'nucleo-l4r5zi', '--port', pair.host, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ target: 'cortex-m4', board: 'nucleo-l4r5zi', emulated: false, application: null });
      expect(json.buildId).to.match(/^[0-9a-f]{16}$/);
      expect(json.image.start).to.equal(0x08000000);
      expect(json.image.source).to.equal('the harness firmware of hello_world_int8.tflite');
      // its vector table: the stack's top in the STM32L4R5's SRAM, the reset handler in its flash
      const words = new DataView(fake.memory.buffer, fake.memory.byteOffset, 8);
      expect(words.getUint32(0, true)).to.be.within(0x20000000, 0x20000000 + (640 << 10));
      expect(words.getUint32(4, true)).to.be.within(0x08000000, 0x08000000 + json.image.bytes);
      expect(fake.goAddress).to.equal(0x08000000);
    });

    it('--no-go writes and verifies at --address without starting', async () => {
      const r = await tinyforgeAsync(['flash', bin, '--port', pair.host, '--address', '0x08001000', '--no-go']);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/3 blocks written and read back identical/);
      expect(r.stdout).to.include('not started (--no-go)');
      expect(Array.from(fake.memory.subarray(0x1000, 0x1000 + 700))).to.deep.equal(Array.from(payload));
      expect(fake.goAddress).to.equal(null);
    });
  });

  describe('refusals', () => {
    it('says that the micro:bit gets its image from the emulator, not over the serial path', function () {
      if (!sharedModelsAvailable(this)) return;
      const r = tinyforge(['flash', sharedModelPath('hello_world_int8'), '--target', 'cortex-m0']);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.equal(
        'error: qemu-microbit has no loader of ours: its image is loaded by the emulator (QEMU -kernel) when it runs, not flashed over the serial path',
      );
    });

    it('names a bad address', () => {
      const r = tinyforge(['flash', bin, '--port', '/dev/ttyUSB9', '--address', 'eight']);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.equal("error: --address must be a 32-bit address such as 0x08000000, got 'eight'");
    });
  });
});
