// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceSession } from '../../src/lab/device/session.ts';
import { expectRejection, requireTools } from '../build/helpers.ts';
import { FakeDevice, type FakeFaults, type PtyPair, ptyPair } from './protocol-fakes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const xor = (bytes: Uint8Array) => Array.from(bytes, (b) => b ^ 0x5a);

describe('device protocol: a real port that vanishes and comes back (socat ptys at stable paths)', function () {
  let dir: string;
  let links: [string, string];
  let pair: PtyPair | undefined;
  let devices: FakeDevice[] = [];
  let session: DeviceSession | undefined;

  before(function () {
    requireTools(this, ['socat']);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-reconnect-'));
    links = [join(dir, 'host'), join(dir, 'device')];
  });
  afterEach(async () => {
    await session?.abort();
    for (const d of devices) await d.close().catch(() => {});
    pair?.kill();
    rmSync(dir, { recursive: true, force: true });
    session = pair = undefined;
    devices = [];
  });

  /** socat killed: both ends vanish, as a USB-serial adapter does when it re-enumerates */
  function vanish(): void {
    pair!.kill();
    // a killed socat leaves its links behind; the device node of a vanished port is gone
    for (const link of links) rmSync(link, { force: true });
  }

  async function start(faults: FakeFaults, reconnect: { tries: number; delayMs: number }, notes: string[] = []): Promise<FakeDevice> {
    pair = await ptyPair(links);
    const device = await FakeDevice.attach(links[1], faults);
    devices.push(device);
    session = await DeviceSession.open({ port: links[0], timeoutMs: 4000, reconnect, progress: (m) => notes.push(m) });
    return device;
  }

  const input = Uint8Array.from({ length: 16 }, (_, i) => 7 * i + 1);

  it('carries on when the port vanishes during READ_OUTPUT and the board kept running', async () => {
    const faults: FakeFaults = {};
    const notes: string[] = [];
    const device = await start(faults, { tries: 8, delayMs: 250 }, notes);
    await session!.resetState();
    await session!.writeInputs(input);
    await session!.invoke(1);
    faults.dropAnswers = 1; // the READ_OUTPUT answer is lost as the port goes
    const started = Date.now();
    const outputs = session!.readOutputs();
    await sleep(150);
    vanish();
    await sleep(600);
    pair = await ptyPair(links);
    await device.moveTo(links[1]);
    expect(Array.from(await outputs)).to.deep.equal(xor(input));
    expect(Date.now() - started, 'well before the 4 s answer timeout would have fired').to.be.lessThan(3500);
    // state rebuilt from the host's record: RESET_STATE, WRITE_INPUT, INVOKE again
    expect(device.invocations).to.equal(2);
    expect(notes.join('\n')).to.match(/: READ_OUTPUT at 0: the port came back; device re-synced \(2 requests replayed\)/);
    // and the session goes on with the next input
    const next = input.map((b) => b + 1);
    await session!.resetState();
    await session!.writeInputs(next);
    await session!.invoke(1);
    expect(Array.from(await session!.readOutputs())).to.deep.equal(xor(next));
  });

  it('re-issues an INVOKE whose answer was lost when the board came back restarted (state lost)', async () => {
    const faults: FakeFaults = {};
    await start(faults, { tries: 8, delayMs: 250 });
    await session!.resetState();
    await session!.writeInputs(input);
    faults.dropAnswers = 1; // INVOKE runs, its answer is lost, then the port goes
    const invoked = session!.invoke(1);
    await sleep(150);
    vanish();
    await sleep(500);
    pair = await ptyPair(links);
    const restarted = await FakeDevice.attach(links[1]); // a fresh board: inputs and outputs gone
    devices.push(restarted);
    expect((await invoked).firstTicks).to.equal(1234);
    expect(restarted.invocations, 'the inputs restored, then the INVOKE run once').to.equal(1);
    expect(restarted.received.map((r) => r.command)).to.deep.equal([0x01, 0x07, 0x02, 0x03]);
    expect(Array.from(await session!.readOutputs())).to.deep.equal(xor(input));
  });

  it('does not repeat an INVOKE when the session never reset the device state (its start is unknown)', async () => {
    const faults: FakeFaults = {};
    const device = await start(faults, { tries: 8, delayMs: 250 });
    await session!.writeInputs(input);
    faults.dropAnswers = 1;
    const invoked = session!.invoke(1);
    invoked.catch(() => {}); // it fails before it is awaited below
    await sleep(150);
    vanish();
    await sleep(300);
    pair = await ptyPair(links);
    await device.moveTo(links[1]);
    await expectRejection(
      invoked,
      /: INVOKE x1: the port vanished and the device's state cannot be rebuilt \(no RESET_STATE in this session\): an INVOKE that may have run is not repeated$/,
    );
    expect(device.invocations).to.equal(1);
  });

  it('fails in one line within the reconnection window when the port does not come back', async () => {
    await start({}, { tries: 3, delayMs: 300 });
    await session!.resetState();
    await session!.writeInputs(input);
    await session!.invoke(1);
    vanish();
    await sleep(100);
    const started = Date.now();
    await expectRejection(
      session!.readOutputs(),
      new RegExp(`^${links[0].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: READ_OUTPUT at 0: port vanished and did not come back within 0\\.9 s \\(3 tries\\)$`),
    );
    expect(Date.now() - started).to.be.within(800, 3000);
  });

  it('refuses a port that comes back with another build on it', async () => {
    const faults: FakeFaults = {};
    await start(faults, { tries: 8, delayMs: 250 });
    await session!.resetState();
    vanish();
    await sleep(300);
    pair = await ptyPair(links);
    devices.push(await FakeDevice.attach(links[1], { buildId: 'fedcba9876543210' }));
    await expectRejection(
      session!.writeInputs(input),
      /: WRITE_INPUT at 0: the port came back with a device running build fedcba9876543210 of model fake_xor, not build 0123456789abcdef of fake_xor$/,
    );
  });
});
