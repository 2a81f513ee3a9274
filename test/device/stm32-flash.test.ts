// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cmd } from '../../src/lab/device/stm32/an3155.ts';
import { blocksOf, flashImage } from '../../src/lab/device/stm32/flash.ts';
import { makeImage } from '../../src/lab/device/stm32/image.ts';
import { flashFile } from '../../src/lab/run/flash/stm32.ts';
import { openBootloaderPort } from '../../src/lab/device/stm32/port.ts';
import type { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { expectRejection, requireTools, scratchDir } from '../build/helpers.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FakeBootloader, type FakeOptions, type PtyPair, startPtyPair } from './stm32-fake-bootloader.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const BASE = 0x08000000;
/** 1000 bytes: not a multiple of 4 (the last block is padded) and more than 3 blocks */
const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
const image = () => makeImage('test image', [{ address: BASE, data: payload }]);
const quick = { ackMs: 300, syncMs: 200, eraseMs: 1000 };

describe('device/stm32: AN3155 host side against a fake boot loader on a socat pty pair', function () {
  let pair: PtyPair;
  let fake: FakeBootloader;
  let host: SerialTransport;

  before(function () {
    requireTools(this, ['socat']);
  });

  async function connect(options: FakeOptions = {}) {
    pair = await startPtyPair();
    fake = await FakeBootloader.open(pair.device, options);
    host = await openBootloaderPort(pair.host);
  }

  afterEach(async () => {
    await host?.close();
    await fake?.close();
    pair?.kill();
  });

  it('splits an image into 4-byte aligned blocks of at most 256 bytes, padded with 0xFF', () => {
    const blocks = blocksOf([
      { address: BASE + 2, data: Uint8Array.of(1, 2, 3) },
      { address: BASE + 0x400, data: new Uint8Array(600) },
    ]);
    expect(blocks.map((b) => [b.address - BASE, b.data.length])).to.deep.equal([
      [0, 8],
      [0x400, 256],
      [0x500, 256],
      [0x600, 88],
    ]);
    expect(Array.from(blocks[0]!.data)).to.deep.equal([0xff, 0xff, 1, 2, 3, 0xff, 0xff, 0xff]);
  });

  it('syncs, erases with EXTENDED ERASE, writes, verifies every block and only then sends GO', async () => {
    await connect({ productId: 0x0413 });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report).to.include({ port: pair.host, productId: 0x0413, erase: 'extended erase (0x44)', bytes: 1000, blocks: 4, retries: 0, started: BASE });
    expect(fake.erases).to.deep.equal(['extended']);
    expect(Array.from(fake.memory.subarray(0, 1000))).to.deep.equal(Array.from(payload));
    expect(fake.goAddress).to.equal(BASE);
  });

  it('uses the standard ERASE (0x43) when GET lists it instead', async () => {
    await connect({ erase: Cmd.ERASE });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report.erase).to.equal('erase (0x43)');
    expect(fake.erases).to.deep.equal(['standard']);
  });

  it('sends a NACKed block again and completes', async () => {
    await connect({ nackWriteAt: { address: BASE + 0x100, times: 2 } });
    const notes: string[] = [];
    const report = await flashImage(host, image(), { timeouts: quick, progress: (m) => notes.push(m) });
    expect(report.retries).to.equal(2);
    expect(notes.filter((n) => n.includes('write memory at 0x08000100: NACK'))).to.have.length(2);
    expect(Array.from(fake.memory.subarray(0x100, 0x200))).to.deep.equal(Array.from(payload.subarray(0x100, 0x200)));
    expect(fake.goAddress).to.equal(BASE);
  });

  it('sends a block again when line noise broke its checksum (the device NACKs it)', async () => {
    await connect({ corruptWriteAt: { address: BASE + 0x200, times: 1 } });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report.retries).to.equal(1);
    expect(Array.from(fake.memory.subarray(0x200, 0x300))).to.deep.equal(Array.from(payload.subarray(0x200, 0x300)));
  });

  it('sends a block again when the device answers garbage instead of ACK or NACK', async () => {
    await connect({ garbageWriteAt: { address: BASE, times: 1 } });
    const notes: string[] = [];
    const report = await flashImage(host, image(), { timeouts: quick, progress: (m) => notes.push(m) });
    expect(report.retries).to.equal(1);
    expect(notes.join('\n')).to.match(/write memory at 0x08000000: 0x00 instead of ACK \(0x79\) or NACK \(0x1f\) after the data; trying again/);
    expect(fake.goAddress).to.equal(BASE);
  });

  it('realigns with the device when a late second sync byte shifted it by one', async () => {
    await connect({ lateSecondSync: true });
    const notes: string[] = [];
    const report = await flashImage(host, image(), { timeouts: quick, progress: (m) => notes.push(m) });
    expect(notes.join('\n')).to.match(/get: NACK to command 0x00; trying again/);
    expect(report.retries).to.equal(1);
    expect(fake.goAddress).to.equal(BASE);
  });

  it('finds the sync ACK behind noise', async () => {
    await connect({ noiseBeforeSync: [0x00, 0xff, 0x42, 0x1e] });
    expect((await flashImage(host, image(), { timeouts: quick })).started).to.equal(BASE);
  });

  it('gives up on a block NACKed every time, names port and step, and does not start the image', async () => {
    await connect({ nackWriteAt: { address: BASE + 0x100, times: 99 } });
    await expectRejection(
      flashImage(host, image(), { timeouts: quick, blockTries: 3 }),
      new RegExp(`^${pair.host}: write memory at 0x08000100: NACK to the data after 3 tries$`),
    );
    expect(fake.goAddress).to.equal(null);
  });

  it('fails the verification of a byte the flash did not keep, and does not start the image', async () => {
    await connect({ stuckByteAt: BASE + 0x234 });
    await expectRejection(
      flashImage(host, image(), { timeouts: quick }),
      new RegExp(`^${pair.host}: verify at 0x08000200: byte at 0x08000234 reads 0x[0-9a-f]{2}, 0x[0-9a-f]{2} was written; the image was not started$`),
    );
    expect(fake.goAddress).to.equal(null);
  });

  it('fuzz:links: a GET answer garbled on the line is read again, not taken as a boot loader without GO', async () => {
    // it used to fail: "get: the boot loader does not list GO (0x21)"
    await connect({ garbleGetAnswers: 1 });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report.verified).to.equal(true);
    expect(fake.goAddress).to.equal(BASE);
  });

  it('fuzz:links: a GET ID answer garbled on the line does not misreport the chip', async () => {
    // it used to report the garbled product id (0x041b) in a successful flash
    await connect({ garbleIdAnswers: 1, productId: 0x0413 });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report.productId).to.equal(0x0413);
  });

  it('fuzz:links: read-backs garbled on the line are read again until two agree, and the flash succeeds', async () => {
    // it used to read a differing block only once more, and blame the flash when both reads were garbled
    await connect({ noisyReadBacks: 2 });
    const report = await flashImage(host, image(), { timeouts: quick });
    expect(report.verified).to.equal(true);
    expect(fake.goAddress).to.equal(BASE);
  });

  it('fuzz:links: read-backs that never agree fail as a noisy line, and the image is not started', async () => {
    await connect({ noisyReadBacks: 100 });
    await expectRejection(
      flashImage(host, image(), { timeouts: quick }),
      new RegExp(`^${pair.host}: verify at 0x08000000: the block reads back differently every time \\(4 reads: a noisy line\\?\\); the image was not started$`),
    );
    expect(fake.goAddress).to.equal(null);
  });

  it('reports a device that never answers after its sync tries, without hanging', async () => {
    await connect({ silent: true });
    const started = Date.now();
    await expectRejection(
      flashImage(host, image(), { timeouts: quick, syncTries: 3 }),
      new RegExp(`^${pair.host}: sync: no answer to 0x7f after 3 tries of 200 ms \\(is the board in its boot loader\\?\\)$`),
    );
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('reports the port vanishing mid-transfer (socat killed) with the step it was on', async () => {
    await connect({ stallAfterWrites: 2 });
    // no wall-clock bound a loaded machine can break: the ACK timeout is the hang guard, so the only
    // way to end is noticing the vanished port, which the message says (a timeout would say so)
    const flashing = flashImage(host, image(), { timeouts: { ...quick, ackMs: HANG_GUARD_MS } });
    const deadline = Date.now() + HANG_GUARD_MS;
    while (fake.writes < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fake.writes, 'the fake received the first two blocks').to.equal(2);
    pair.kill();
    // the step it was on: the third block, or the second where the host had not yet read its ACK
    await expectRejection(flashing, new RegExp(`^${pair.host}: write memory at 0x08000[12]00: .*(disappeared|closed|write failed)`));
    expect(fake.goAddress).to.equal(null);
  });
});

describe('device/stm32: flashFile refusals (before any port is touched)', () => {
  let scratch: ReturnType<typeof scratchDir>;
  let bin: string;
  before(() => {
    scratch = scratchDir('stm32-refusals');
    bin = join(scratch.dir, 'app.bin');
    writeFileSync(bin, new Uint8Array(16));
  });
  after(() => scratch.cleanup());

  it('does not build a model for a real port without the real board named', async function () {
    if (!sharedModelsAvailable(this)) return;
    await expectRejection(
      flashFile({ file: sharedModelPath('hello_world_int8'), target: 'cortex-m4', port: '/dev/ttyUSB9' }),
      /hello_world_int8\.tflite: building a model for a real board needs that board's descriptor \(memory map, UART\): give --board \(cortex-m4: nucleo-l4r5zi\)$/,
    );
  });

  it('names a port that does not open, and takes --port or --board, not both', async () => {
    await expectRejection(
      flashFile({ file: bin, target: 'cortex-m4', port: join(scratch.dir, 'no-such-port') }),
      /no-such-port: cannot open the serial port: /,
    );
    await expectRejection(
      flashFile({ file: bin, target: 'cortex-m4', port: '/dev/ttyUSB9', board: 'qemu-mps2-an386' }),
      /^give --port \(a real board\) or --board \(an emulated one\), not both$/,
    );
  });

  it('flashes Cortex-M targets only, and names a board without a loader', async () => {
    await expectRejection(flashFile({ file: bin, target: 'host' }), /^flashing over AN3155 is for Cortex-M targets \(STM32 boot loader\); host is host$/);
    await expectRejection(
      flashFile({ file: bin, target: 'cortex-m0' }),
      /^qemu-microbit has no loader of ours: its image is loaded by the emulator \(QEMU -kernel\)/,
    );
  });
});
