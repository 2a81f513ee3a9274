// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge run MODEL --port P` as a user runs it on a real board already flashed with the model.
 * The "board" here is the image `tinyforge flash` copied to a (fake) BOOTSEL drive, booted on
 * rp2040js in this process, its UART0 bridged to one end of a socat pty pair; the CLI gets the
 * other end as its serial port. Also: nobody answering, and a board running another build.
 */
import { mkdirSync, readFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Rp2040Emulation } from '../../src/lab/device/rp2040/emulator.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FakeDevice, type PtyPair, ptyPair } from '../device/protocol-fakes.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';

describe('cli: run --port (a board already flashed with the model)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let pair: PtyPair | undefined;
  const model = () => sharedModelPath('hello_world_int8');

  before(function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['socat', 'arm-none-eabi-gcc']);
    scratch = scratchDir('cli-run-port');
  });
  after(() => scratch?.cleanup());
  afterEach(() => {
    pair?.kill();
    pair = undefined;
  });

  /** `tinyforge flash MODEL --target rp2040 --drive D`, with a fake board taking the UF2 off the drive. */
  async function flashToFakeDrive(): Promise<Uint8Array> {
    const drive = join(scratch.dir, 'RPI-RP2');
    mkdirSync(drive, { recursive: true });
    writeFileSync(join(drive, 'INFO_UF2.TXT'), 'UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n');
    let uf2: Uint8Array | null = null;
    const board = setInterval(() => {
      const name = existsSync(drive) ? readdirSync(drive).find((f) => f.endsWith('.uf2')) : undefined;
      if (!name) return;
      uf2 = new Uint8Array(readFileSync(join(drive, name)));
      rmSync(drive, { recursive: true, force: true });
    }, 50);
    try {
      const r = await tinyforgeAsync(['flash', model(), '--target', 'rp2040', '--drive', drive]);
      expect(r.status, r.stderr).to.equal(0);
    } finally {
      clearInterval(board);
    }
    expect(uf2, 'the drive received the UF2').to.not.equal(null);
    return uf2!;
  }

  it('runs on the flashed board and reports in the shape of an emulated run, with the same outputs and count', async () => {
    const uf2 = await flashToFakeDrive();
    pair = await ptyPair();
    const chip = Rp2040Emulation.start(uf2, 'flashed.uf2', 'pico');
    const uart = await SerialTransport.open(pair.b);
    chip.onData((bytes) => void uart.write(bytes).catch(() => {}));
    uart.onData((bytes) => void chip.write(bytes).catch(() => {}));
    let r;
    try {
      r = await tinyforgeAsync(['run', model(), '--target', 'rp2040', '--port', pair.a, '--json']);
    } finally {
      await uart.close();
      await chip.close();
    }
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`talking to the board on ${pair.a}`);
    const onPort = JSON.parse(r.stdout);
    const emulated = JSON.parse(tinyforge(['run', model(), '--target', 'rp2040', '--json']).stdout);
    expect(Object.keys(onPort)).to.deep.equal(Object.keys(emulated));
    expect(Object.keys(onPort.memory)).to.deep.equal(Object.keys(emulated.memory));
    expect(onPort).to.deep.include({ model: 'hello_world_int8', target: 'rp2040', board: 'pico', matchesReference: true });
    expect(onPort.counter.kind).to.equal('cycles');
    expect(onPort.outputs).to.deep.equal(emulated.outputs);
    // the same code on the same timing model: the board build differs only in how it exits
    expect(onPort.perInference).to.equal(emulated.perInference);
    expect(onPort.memory.stack).to.be.a('number').above(0);
  });

  it('nobody answering: one line naming the port and the step, within the HELLO tries', async () => {
    pair = await ptyPair();
    const r = await tinyforgeAsync(['run', model(), '--target', 'rp2040', '--port', pair.a]);
    expect(r.status).to.equal(1);
    expect(lastLine(r.stderr)).to.equal(`error: ${pair.a}: HELLO: no answer within 1000 ms after 8 tries`);
    expect(r.elapsedMs).to.be.below(40_000);
  });

  it('a board running another build is refused, saying to flash it first', async () => {
    pair = await ptyPair();
    const device = await FakeDevice.attach(pair.b);
    try {
      const r = await tinyforgeAsync(['run', model(), '--target', 'rp2040', '--port', pair.a]);
      expect(r.status).to.equal(1);
      expect(lastLine(r.stderr)).to.match(
        new RegExp(`^error: ${pair.a}: HELLO: the device runs build [0-9a-f]{16} of model fake_xor, not this build \\([0-9a-f]{16}\\): flash it first$`),
      );
    } finally {
      await device.close();
    }
  });

  it('a port that does not exist: refused before anything is built', () => {
    const r = tinyforge(['run', model(), '--target', 'rp2040', '--port', '/dev/tinyforge-no-such-port']);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.match(/^error: --port \/dev\/tinyforge-no-such-port: no such port/);
  });
});
