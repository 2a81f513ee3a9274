// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { crc16Ccitt } from '../../src/lab/device/protocol/crc.ts';
import { type DecodedEvent, FrameDecoder, MAX_PAYLOAD, SOF, encodeFrame } from '../../src/lab/device/protocol/frame.ts';
import { ProtocolClient } from '../../src/lab/device/protocol/client.ts';
import { Command, PROTOCOL_VERSION, Status } from '../../src/lab/device/protocol/messages.ts';
import { DeviceSession } from '../../src/lab/device/session.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { expectRejection, requireTools } from '../build/helpers.ts';
import { FakeDevice, type FakeFaults, type PtyPair, ptyPair } from './protocol-fakes.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const frames = (events: DecodedEvent[]) =>
  events.filter((e) => e.kind === 'frame').map((e) => (e as { frame: { sequence: number; payload: Uint8Array } }).frame);

describe('device protocol: framing', () => {
  it('CRC-16/CCITT-FALSE gives the catalogue check value 0x29B1 for "123456789"', () => {
    expect(crc16Ccitt(ascii('123456789'))).to.equal(0x29b1);
    expect(crc16Ccitt(new Uint8Array(0))).to.equal(0xffff);
  });

  it('escapes SOF and ESC inside a frame and decodes it back, split at every byte', () => {
    const payload = Uint8Array.from([0x7e, 0x7d, 0x00, 0x5e, 0x7e, 0xff]);
    const wire = encodeFrame({ version: 1, command: 0x83, sequence: 0x7e, payload });
    expect(wire[0]).to.equal(SOF);
    expect(Array.from(wire.subarray(1)).includes(SOF), 'no raw SOF after the first byte').to.equal(false);
    const decoder = new FrameDecoder();
    const events = Array.from(wire).flatMap((b) => decoder.push(Uint8Array.of(b)));
    expect(events).to.have.length(1);
    const [f] = frames(events);
    expect(f).to.deep.include({ version: 1, command: 0x83, sequence: 0x7e });
    expect(Array.from(f!.payload)).to.deep.equal(Array.from(payload));
  });

  it('skips garbage before a frame and reports it as unframed output', () => {
    const wire = encodeFrame({ version: 1, command: 0x81, sequence: 3, payload: Uint8Array.of(0) });
    const events = new FrameDecoder().push(Uint8Array.from([...ascii('TF ERROR fault\n'), 0x00, 0x7d, ...wire]));
    expect(events.map((e) => e.kind)).to.deep.equal(['noise', 'frame']);
    expect(new TextDecoder().decode((events[0] as { bytes: Uint8Array }).bytes)).to.match(/^TF ERROR fault\n/);
  });

  it('resynchronises on the next SOF when a frame is cut short', () => {
    const good = encodeFrame({ version: 1, command: 0x81, sequence: 9, payload: ascii('ok') });
    const cut = encodeFrame({ version: 1, command: 0x81, sequence: 8, payload: ascii('lost in transit') }).subarray(0, 7);
    const events = new FrameDecoder().push(Uint8Array.from([...cut, ...good]));
    expect(frames(events).map((f) => f.sequence)).to.deep.equal([9]);
  });

  it('reports a frame whose CRC fails, and one whose length field is impossible', () => {
    const wire = encodeFrame({ version: 1, command: 0x81, sequence: 4, payload: ascii('abc') });
    wire[wire.length - 3]! ^= 0x01; // a payload bit flipped on the line
    expect(new FrameDecoder().push(wire)).to.deep.equal([{ kind: 'bad-crc', sequence: 4, command: 0x81 }]);
    const tooLong = Uint8Array.of(SOF, 1, 0x81, 0, 0xff, 0x7f);
    expect(new FrameDecoder().push(tooLong)).to.deep.equal([{ kind: 'too-long', length: 0x7fff }]);
    expect(() => encodeFrame({ version: 1, command: 1, sequence: 0, payload: new Uint8Array(MAX_PAYLOAD + 1) })).to.throw(/exceeds/);
  });
});

describe('device protocol: host over a pty pair (socat) with a fake device', function () {
  let pair: PtyPair | undefined;
  let device: FakeDevice | undefined;
  let host: SerialTransport | undefined;

  before(function () {
    requireTools(this, ['socat']);
  });
  afterEach(async () => {
    await host?.close();
    await device?.close().catch(() => {});
    pair?.kill();
    host = device = pair = undefined;
  });

  async function connect(faults: FakeFaults = {}, timeoutMs = 300): Promise<ProtocolClient> {
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b, faults);
    host = await SerialTransport.open(pair.a);
    return new ProtocolClient(host, { timeoutMs, retries: 2 });
  }

  it('a session says hello, writes the input, invokes and reads the outputs', async () => {
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b);
    const session = await DeviceSession.open({ port: pair.a, timeoutMs: 500 });
    expect(session.hello).to.deep.include({
      protocolVersion: PROTOCOL_VERSION,
      model: 'fake_xor',
      board: 'fake-board',
      target: 'fake-target',
      counter: 'systick',
      buildId: '0123456789abcdef',
      inputBytes: 16,
    });
    expect(session.counter.kind).to.equal('cycles');
    const input = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
    await session.writeInputs(input);
    expect((await session.invoke(1)).firstTicks).to.equal(1234);
    expect(Array.from(await session.readOutputs())).to.deep.equal(Array.from(input, (b) => b ^ 0x5a));
    await session.close();
  });

  it('a board that lies with valid CRCs is not believed: impossible INVOKE and READ_MEMORY figures are one line each', async () => {
    const lies: [FakeFaults, string, RegExp][] = [
      [{ invoke: { runs: 0 } }, 'invoke', /INVOKE x1: the board reports 0 runs for 1 asked, which cannot be; not believed/],
      [{ invoke: { min: 900n, max: 100n, first: 100n } }, 'invoke', /INVOKE x1: the board reports min 900 > max 100 ticks/],
      [{ invoke: { total: 2n ** 63n, first: 2n ** 63n, max: 2n ** 63n } }, 'invoke', /INVOKE x1: the board reports a total count of 9223372036854776000 ticks/],
      [{ invoke: { total: 1_000_000n } }, 'invoke', /INVOKE x1: the board reports 1000000 ticks over 1 runs of 1234\.\.1234/],
      [{ memory: { stackHighWater: 1_000_000 } }, 'memory', /READ_MEMORY: the board reports a stack use of 1000000 B on a stack of 1024/],
      [{ memory: { arenaUsed: 4096 } }, 'memory', /READ_MEMORY: the board reports 4096 B of arena used of 48/],
      [{ memory: { stackInvoke: 600 } }, 'memory', /READ_MEMORY: the board reports 600 B of stack in INVOKE above the high-water mark of 200/],
    ];
    for (const [faults, step, says] of lies) {
      pair = await ptyPair();
      device = await FakeDevice.attach(pair.b, faults);
      const session = await DeviceSession.open({ port: pair.a, timeoutMs: 500 });
      try {
        await expectRejection(step === 'invoke' ? session.invoke(1) : session.readMemory(), says);
      } finally {
        await session.close().catch(() => {});
        await device.close().catch(() => {});
        pair.kill();
        pair = device = undefined;
      }
    }
    // and the truthful fake's figures pass
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b);
    const session = await DeviceSession.open({ port: pair.a, timeoutMs: 500 });
    expect((await session.invoke(3)).totalTicks).to.equal(3 * 1234);
    expect((await session.readMemory()).stackHighWater).to.equal(200);
    await session.close();
  });

  it("a board whose HELLO misstates the compiled model's outputs is not believed", async () => {
    const facts = { numInputs: 1, numOutputs: 1, inputBytes: 16, outputBytes: 16, numLayers: 3, arenaBytes: 48 };
    const lies: [FakeFaults, RegExp][] = [
      [{ hello: { numOutputs: 3 } }, /^\/dev\/pts\/\d+: HELLO: the board reports 3 outputs where the compiled model has 1, which cannot be; not believed/],
      [{ hello: { outputBytes: 4096 } }, /^\/dev\/pts\/\d+: HELLO: the board reports 4096 output bytes where the compiled model has 16, which cannot be/],
    ];
    for (const [faults, says] of lies) {
      pair = await ptyPair();
      device = await FakeDevice.attach(pair.b, faults);
      try {
        await expectRejection(DeviceSession.open({ port: pair.a, timeoutMs: 500, expectModel: facts }), says);
      } finally {
        await device.close().catch(() => {});
        pair.kill();
        pair = device = undefined;
      }
    }
    // the truthful fake, checked against the same facts, opens
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b);
    const session = await DeviceSession.open({ port: pair.a, timeoutMs: 500, expectModel: facts });
    expect(session.hello.numOutputs).to.equal(1);
    await session.close();
  });

  it('a session refuses a board that runs another build', async () => {
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b);
    await expectRejection(
      DeviceSession.open({ port: pair.a, expectBuildId: 'ffffffffffffffff' }),
      /^\/dev\/pts\/\d+: HELLO: the device runs build 0123456789abcdef of model fake_xor, not this build \(ffffffffffffffff\): flash it first$/,
    );
  });

  it("talks through garbage bytes before every answer and keeps them as the device's text", async () => {
    const client = await connect({ garbage: ascii('boot banner\r\n\x00\x7d') });
    await client.request(Command.HELLO, new Uint8Array(0), { step: 'HELLO' });
    expect(client.unframedOutput).to.include('boot banner');
  });

  it('retries an answer that fails its CRC, with the same sequence number, and runs INVOKE once', async () => {
    const client = await connect({ corruptAnswers: 1 });
    await client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE' });
    expect(device!.received.map((r) => r.sequence)).to.deep.equal([0, 0]);
    expect(device!.invocations).to.equal(1);
  });

  it('retries an INVOKE whose answer was lost without running it twice', async () => {
    const client = await connect({ dropAnswers: 1 });
    await client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE' });
    await client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE' });
    expect(device!.received.map((r) => r.sequence)).to.deep.equal([0, 0, 1]);
    expect(device!.invocations).to.equal(2);
  });

  it('fuzz:links: resends an INVOKE lost on the way in, long before the invoke timeout', async () => {
    // it used to wait for the whole invoke timeout (120 s, 300 s for run) before a second try
    const client = await connect({ loseRequests: 1 }, 300);
    const started = Date.now();
    await client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE', patienceMs: 60_000 });
    expect(Date.now() - started).to.be.lessThan(2000);
    expect(device!.invocations).to.equal(1);
  });

  it('fuzz:links: an INVOKE sent again while it runs is answered from memory, run once', async () => {
    const client = await connect({ dropAnswers: 2 }, 200);
    await client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE', patienceMs: 60_000 });
    expect(device!.received.map((r) => r.sequence)).to.deep.equal([0, 0, 0]);
    expect(device!.invocations).to.equal(1);
  });

  it('fuzz:links: a patient request still ends at its patience, in one line', async () => {
    const client = await connect({ silent: true }, 200);
    const started = Date.now();
    await expectRejection(
      client.request(Command.INVOKE, Uint8Array.of(1, 0, 0xff, 0xff), { step: 'INVOKE x1', patienceMs: 1000 }),
      // sends at 0, 200 and 600 ms on an idle machine; a late timer on a loaded one can leave room for two only
      /^\/dev\/pts\/\d+: INVOKE x1: no answer within 1000 ms after [23] tries$/,
    );
    expect(Date.now() - started).to.be.within(900, 2000);
  });

  it('fuzz:links: a BAD_LENGTH answer (a length field damaged on the way) is sent again', async () => {
    const client = await connect({ badLengthAnswers: 1 });
    await client.request(Command.RESET_STATE, new Uint8Array(0), { step: 'RESET_STATE' });
    expect(device!.received).to.have.length(2);
  });

  it('fuzz:links: a NACK naming another sequence number is not taken for this request', async () => {
    const retries: string[] = [];
    pair = await ptyPair();
    device = await FakeDevice.attach(pair.b, { staleNacks: 1 });
    host = await SerialTransport.open(pair.a);
    const client = new ProtocolClient(host, { timeoutMs: 500, retries: 2, onRetry: (_s, why) => retries.push(why) });
    await client.request(Command.RESET_STATE, new Uint8Array(0), { step: 'RESET_STATE' });
    expect(retries).to.deep.equal([]);
    expect(device!.received).to.have.length(1);
  });

  it('resends after a NACK', async () => {
    const client = await connect({ nackRequests: 2 });
    await client.request(Command.RESET_STATE, new Uint8Array(0), { step: 'RESET_STATE' });
    expect(device!.received).to.have.length(3);
  });

  it('gives up on a device that never answers, naming the port and the step', async () => {
    const client = await connect({ silent: true }, 200);
    const started = Date.now();
    await expectRejection(
      client.request(Command.HELLO, new Uint8Array(0), { step: 'HELLO' }),
      /^\/dev\/pts\/\d+: HELLO: no answer within 200 ms after 3 tries$/,
    );
    expect(Date.now() - started).to.be.within(550, 2000);
  });

  it('gives up after NACKs that do not stop', async () => {
    const client = await connect({ nackRequests: 10 });
    await expectRejection(
      client.request(Command.RESET_STATE, new Uint8Array(0), { step: 'RESET_STATE' }),
      /^\/dev\/pts\/\d+: RESET_STATE: the device rejected the request \(NACK: CRC error on its side\) after 3 tries$/,
    );
  });

  it('reports a device status error in one line', async () => {
    const client = await connect();
    await expectRejection(client.request(0x42, new Uint8Array(0), { step: 'MYSTERY' }), /^\/dev\/pts\/\d+: MYSTERY: the device answered: unknown command$/);
  });

  it('reports an answer in another protocol version', async () => {
    const client = await connect({ version: 2 });
    await expectRejection(client.request(Command.HELLO, new Uint8Array(0), { step: 'HELLO' }), /HELLO: answer in protocol version 2 after 3 tries$/);
  });

  it('ends cleanly when the port vanishes in the middle of a transfer', async () => {
    const client = await connect({ silent: true }, 5000);
    const pending = client.request(Command.WRITE_INPUT, new Uint8Array(200), { step: 'WRITE_INPUT at 0' });
    setTimeout(() => pair!.kill(), 100);
    const started = Date.now();
    await expectRejection(pending, /^\/dev\/pts\/\d+: WRITE_INPUT at 0: the port (disappeared|was closed)/);
    expect(Date.now() - started, 'no waiting for the timeout').to.be.lessThan(3000);
    // and the next request fails at once, naming its own step
    await expectRejection(client.request(Command.HELLO, new Uint8Array(0), { step: 'HELLO' }), /^\/dev\/pts\/\d+: HELLO: the port/);
  });

  it('names a port that does not exist', async () => {
    await expectRejection(DeviceSession.open({ port: '/dev/tinyforge-no-such-port' }), /^\/dev\/tinyforge-no-such-port: cannot open the serial port: /);
  });

  it('statuses are numbered as docs/protocol.md says', () => {
    expect(Status).to.deep.equal({ OK: 0, BAD_CRC: 1, BAD_VERSION: 2, UNKNOWN_COMMAND: 3, BAD_LENGTH: 4, OUT_OF_RANGE: 5, NOT_SUPPORTED: 6, MODEL_FAILED: 7 });
  });
});
