// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --target esp32c3 --port P` as a user runs it, against the fake ROM loader on a
 * socat pty pair (served in this process while the CLI runs as a child): an ESP-IDF build folder, a
 * raw .bin at --address, a chip that stops answering, and the one-line refusals.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { FakeEspRom, type PeerOptions } from '../device/esp-rom-peer.ts';
import { type PtyPair, ptyPair } from '../device/protocol-fakes.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';

const app = Uint8Array.from({ length: 2500 }, (_, i) => (i * 131 + 7) & 0xff);
const bootloader = Uint8Array.from({ length: 700 }, (_, i) => (i ^ 0xc0) & 0xff);

describe('cli: flash --target esp32c3 (a fake ROM loader on a pty)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let idfBuild: string;
  let appBin: string;
  let pair: PtyPair | undefined;
  let chip: FakeEspRom | undefined;

  before(function () {
    requireTools(this, ['socat']);
    scratch = scratchDir('cli-flash-esp');
    idfBuild = join(scratch.dir, 'build');
    mkdirSync(join(idfBuild, 'bootloader'), { recursive: true });
    writeFileSync(join(idfBuild, 'bootloader', 'bootloader.bin'), bootloader);
    writeFileSync(join(idfBuild, 'app.bin'), app);
    writeFileSync(
      join(idfBuild, 'flasher_args.json'),
      JSON.stringify({
        flash_files: { '0x0': 'bootloader/bootloader.bin', '0x10000': 'app.bin' },
        extra_esptool_args: { chip: 'esp32c3' },
      }),
    );
    appBin = join(scratch.dir, 'app.bin');
    writeFileSync(appBin, app);
  });
  after(() => scratch?.cleanup());

  async function startChip(options: PeerOptions = {}): Promise<string> {
    pair = await ptyPair();
    chip = await FakeEspRom.open(pair.b, options);
    return pair.a;
  }
  afterEach(async () => {
    await chip?.close();
    pair?.kill();
    chip = undefined;
    pair = undefined;
  });

  const holds = (offset: number, data: Uint8Array) => Buffer.from(chip!.flash.subarray(offset, offset + data.length)).equals(Buffer.from(data));

  it('writes every image of an ESP-IDF build folder, verifies each by MD5, reboots the chip, and prints one JSON object', async () => {
    const port = await startChip({ ignoreSyncs: 2 });
    const r = await tinyforgeAsync(['flash', idfBuild, '--target', 'esp32c3', '--port', port, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json).to.deep.include({ target: 'esp32c3', port });
    expect(json.flash).to.deep.include({ chip: 'ESP32-C3', retries: 0, verified: true });
    expect(json.flash.images.map((i: { offset: number; name: string; bytes: number }) => [i.offset, i.name, i.bytes])).to.deep.equal([
      [0, 'bootloader/bootloader.bin', 700],
      [0x10000, 'app.bin', 2500],
    ]);
    expect(holds(0, bootloader) && holds(0x10000, app)).to.equal(true);
    expect(chip!.rebooted).to.equal(true);
  });

  it('writes a raw .bin at --address, and --no-go leaves the chip in download mode', async () => {
    const port = await startChip();
    const r = await tinyforgeAsync(['flash', appBin, '--target', 'esp32c3', '--port', port, '--address', '0x20000', '--no-go']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/flashed 1 image to the ESP32-C3 on \/dev\/pts\/\d+ through its ROM loader, verified by MD5/);
    expect(r.stdout).to.include('0x00020000  app.bin (2500 bytes, 3 blocks)');
    expect(holds(0x20000, app)).to.equal(true);
    expect(chip!.rebooted).to.equal(false);
  });

  it('a chip that stops answering: one line naming the port and the step, exit 1, within the timeouts', async () => {
    const port = await startChip({ silentAfterBlocks: 2 });
    const r = await tinyforgeAsync(['flash', idfBuild, '--target', 'esp32c3', '--port', port]);
    expect(r.status).to.equal(1);
    expect(lastLine(r.stderr)).to.equal(`error: ${port}: FLASH_DATA app.bin block 1 of 3: no answer within 3182 ms, nor in the 6364 ms after`);
    expect(r.elapsedMs).to.be.below(30_000);
    expect(chip!.rebooted).to.equal(false);
  });

  it("another chip than the target's is refused before anything is written", async () => {
    const port = await startChip({ magic: 0x00f01d83 });
    const r = await tinyforgeAsync(['flash', idfBuild, '--target', 'esp32c3', '--port', port]);
    expect(r.status).to.equal(1);
    expect(lastLine(r.stderr)).to.equal(`error: ${port}: the device is an ESP32, not an ESP32-C3`);
    expect(chip!.flash.every((b) => b === 0xff)).to.equal(true);
  });

  it('refuses, in one line: no port, a .bin without --address, a model, a build for another chip', () => {
    const refusal = (args: string[]) => {
      const r = tinyforge(['flash', ...args]);
      expect(r.status).to.equal(1);
      return r.stderr.trim();
    };
    expect(refusal([idfBuild, '--target', 'esp32c3'])).to.equal(
      'error: flashing an esp32c3 needs --port (the chip in download mode: hold BOOT while pressing RESET)',
    );
    expect(refusal([appBin, '--target', 'esp32c3', '--port', '/dev/ttyUSB9'])).to.equal(
      `error: ${appBin}: a raw .bin needs --address (the flash offset, e.g. 0x10000 for the application)`,
    );
    expect(refusal(['model.tflite', '--target', 'esp32s3', '--port', '/dev/ttyUSB9'])).to.match(
      /^error: model\.tflite: ESP firmware is built by ESP-IDF, not here: .*idf\.py -C DIR\/harness build .*DIR\/harness\/build$/,
    );
    expect(refusal([idfBuild, '--target', 'esp32', '--port', '/dev/ttyUSB9'])).to.equal(
      `error: ${idfBuild}: the build is for an ESP32-C3, not an ESP32 (--target)`,
    );
    expect(refusal([join(scratch.dir, 'x.hex'), '--target', 'esp32c3', '--port', '/dev/ttyUSB9'])).to.match(/x\.hex: no such file or folder$/);
  });
});
