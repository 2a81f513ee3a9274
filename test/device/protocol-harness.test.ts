// SPDX-License-Identifier: Apache-2.0
/**
 * The device side (firmware/common/harness.c, tf_frame.c) on QEMU mps2-an386, spoken to with raw
 * frames so faults can be made on purpose: CRC errors, garbage, cut frames, repeated sequence
 * numbers, wrong versions, unknown commands.
 */
import { expect } from 'chai';
import { buildFirmware, type BuildResult } from '../../src/lab/toolchain/index.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { type Frame, FrameDecoder, encodeFrame } from '../../src/lab/device/protocol/frame.ts';
import { Command, NACK, PROTOCOL_VERSION, RESPONSE_BIT, Status } from '../../src/lab/device/protocol/messages.ts';
import { type RunningEmulator, startQemu } from '../../src/lab/device/transport/qemu.ts';
import { FAKE_MODEL_DIR, requireTools, scratchDir } from '../build/helpers.ts';

const BOARD = 'qemu-mps2-an386';

class RawLink {
  private readonly decoder = new FrameDecoder();
  private readonly inbox: Frame[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly emulator: RunningEmulator) {
    emulator.transport.onData((bytes) => {
      for (const e of this.decoder.push(bytes)) if (e.kind === 'frame') this.inbox.push(e.frame);
      this.wake?.();
    });
  }
  send(bytes: Uint8Array): Promise<void> {
    return this.emulator.transport.write(bytes);
  }
  request(command: number, sequence: number, payload: number[] = [], version = PROTOCOL_VERSION): Promise<void> {
    return this.send(encodeFrame({ version, command, sequence, payload: Uint8Array.from(payload) }));
  }
  async next(timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('no frame from the device');
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.inbox.shift()!;
  }
}

describe('device protocol: the C harness on QEMU mps2-an386 (raw frames over stdio)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let plain: BuildResult;
  let profiled: BuildResult;
  let link: RawLink | undefined;

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    scratch = scratchDir('harness');
    plain = await buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/plain` });
    profiled = await buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/profile`, profile: true, input0ArenaOffset: 0 });
  });
  after(() => scratch?.cleanup());
  afterEach(() => link?.emulator.kill());

  async function start(build: BuildResult): Promise<RawLink> {
    const { board } = findBoard(BOARD);
    link = new RawLink(await startQemu(board, findTool('qemu-system-arm', ''), build.elf, { link: 'stdio' }));
    return link;
  }

  it('answers a repeated sequence number from memory: a retried INVOKE does not run twice', async () => {
    const l = await start(plain);
    await l.request(Command.RESET_STATE, 1);
    expect((await l.next()).payload[0]).to.equal(Status.OK);
    await l.request(Command.INVOKE, 2, [1, 0, 0xff, 0xff]);
    const first = await l.next();
    expect(first.payload[0]).to.equal(Status.OK);
    // the same request again (a host retry): the same answer, and the model does not run again
    await l.request(Command.INVOKE, 2, [1, 0, 0xff, 0xff]);
    const again = await l.next();
    expect(Array.from(again.payload)).to.deep.equal(Array.from(first.payload));
    // a new sequence number does run: the fake model fails a second inference without a reset
    await l.request(Command.INVOKE, 3, [1, 0, 0xff, 0xff]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.MODEL_FAILED, 0, 0]);
  });

  it('NACKs a frame whose CRC fails, skips garbage and cut frames, then answers the next good one', async () => {
    const l = await start(plain);
    const bad = encodeFrame({ version: PROTOCOL_VERSION, command: Command.HELLO, sequence: 7, payload: new Uint8Array(0) });
    bad[bad.length - 1]! ^= 0x10;
    await l.send(bad);
    const nack = await l.next();
    expect(nack).to.deep.include({ command: NACK, sequence: 7 });
    expect(Array.from(nack.payload)).to.deep.equal([Status.BAD_CRC]);
    const cut = encodeFrame({ version: PROTOCOL_VERSION, command: Command.HELLO, sequence: 8, payload: new Uint8Array(0) }).subarray(0, 4);
    await l.send(Uint8Array.from([0x00, 0x41, 0x42, 0x7d, 0x13, ...cut]));
    await l.request(Command.HELLO, 9);
    const hello = await l.next();
    expect(hello).to.deep.include({ command: Command.HELLO | RESPONSE_BIT, sequence: 9 });
    expect(hello.payload[0]).to.equal(Status.OK);
  });

  it('refuses another protocol version, an unknown command, a bad length and an out-of-range read', async () => {
    const l = await start(plain);
    await l.request(Command.HELLO, 1, [], 9);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.BAD_VERSION, PROTOCOL_VERSION]);
    await l.request(0x55, 2);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.UNKNOWN_COMMAND]);
    await l.request(Command.INVOKE, 3, [1]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.BAD_LENGTH]);
    await l.request(Command.READ_OUTPUT, 4, [10, 0, 0, 0, 7, 0]); // 10 + 7 > 16 output bytes
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OUT_OF_RANGE]);
    await l.send(Uint8Array.of(0x7e, PROTOCOL_VERSION, Command.WRITE_INPUT, 5, 0x01, 0x02)); // length 513
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.BAD_LENGTH]);
  });

  it('a plain build has no per-layer counters, stop-after or arena reads; a profile build has them', async () => {
    let l = await start(plain);
    await l.request(Command.READ_LAYERS, 1, [0, 0, 3]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.NOT_SUPPORTED]);
    await l.request(Command.INVOKE, 2, [1, 0, 1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.NOT_SUPPORTED]);
    await l.request(Command.READ_TENSOR, 3, [0, 0, 0, 0, 4, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.NOT_SUPPORTED]);
    l.emulator.kill();

    l = await start(profiled);
    await l.request(Command.WRITE_INPUT, 1, [0, 0, 0, 0, ...Array.from({ length: 16 }, (_, i) => i)]);
    expect((await l.next()).payload[0]).to.equal(Status.OK);
    // stop after layer 1: the scratch copy (arena 16..31) holds in ^ key, the output (32..47) is not written yet
    await l.request(Command.INVOKE, 2, [1, 0, 1, 0]);
    expect((await l.next()).payload[0]).to.equal(Status.OK);
    await l.request(Command.READ_TENSOR, 3, [16, 0, 0, 0, 16, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, ...Array.from({ length: 16 }, (_, i) => i ^ 0x5a)]);
    await l.request(Command.READ_TENSOR, 4, [32, 0, 0, 0, 1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, 0], 'the output as init left it: layer 2 did not run');
    await l.request(Command.READ_TENSOR, 5, [40, 0, 0, 0, 9, 0]); // 40 + 9 > 48 arena bytes
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OUT_OF_RANGE]);
  });

  it('INVOKE_STEP pauses one inference after a layer, serves reads there, continues, and is abandoned by anything else', async () => {
    const input = Array.from({ length: 16 }, (_, i) => 3 * i + 1);
    let l = await start(plain);
    await l.request(Command.INVOKE_STEP, 1, [0, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.NOT_SUPPORTED]);
    l.emulator.kill();

    l = await start(profiled);
    await l.request(Command.RESET_STATE, 5);
    await l.next();
    await l.request(Command.WRITE_INPUT, 6, [0, 0, 0, 0, ...input]);
    await l.next();
    await l.request(Command.INVOKE_STEP, 7, [1, 0]);
    const paused = await l.next();
    expect(paused).to.deep.include({ command: Command.INVOKE_STEP | RESPONSE_BIT, sequence: 7 });
    expect(Array.from(paused.payload)).to.deep.equal([Status.OK, 1, 0]);
    // a retried step is answered from memory, not run again
    await l.request(Command.INVOKE_STEP, 7, [1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, 1, 0]);
    // paused after layer 1: its scratch copy is there, layer 2's output not yet
    await l.request(Command.READ_TENSOR, 8, [16, 0, 0, 0, 16, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, ...input.map((v) => v ^ 0x5a)]);
    await l.request(Command.READ_TENSOR, 9, [32, 0, 0, 0, 1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, 0]);
    // not backwards: refused, and still paused
    await l.request(Command.INVOKE_STEP, 10, [1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OUT_OF_RANGE]);
    await l.request(Command.READ_TENSOR, 11, [16, 0, 0, 0, 1, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, input[0]! ^ 0x5a]);
    // to the end: the same outputs as the whole inference
    await l.request(Command.INVOKE_STEP, 12, [0xff, 0xff]);
    const ended = await l.next();
    expect(ended).to.deep.include({ command: Command.INVOKE_STEP | RESPONSE_BIT, sequence: 12 });
    expect(Array.from(ended.payload)).to.deep.equal([Status.OK, 0xff, 0xff]);
    await l.request(Command.READ_OUTPUT, 13, [0, 0, 0, 0, 16, 0]);
    const stepped = Array.from((await l.next()).payload);
    expect(stepped[0]).to.equal(Status.OK);
    // the outputs of a whole inference, the same as the stepped one's
    await l.request(Command.RESET_STATE, 31);
    await l.next();
    await l.request(Command.WRITE_INPUT, 32, [0, 0, 0, 0, ...input]);
    await l.next();
    await l.request(Command.INVOKE, 33, [1, 0, 0xff, 0xff]);
    expect((await l.next()).payload[0]).to.equal(Status.OK);
    await l.request(Command.READ_OUTPUT, 34, [0, 0, 0, 0, 16, 0]);
    const whole = Array.from((await l.next()).payload);
    expect(whole[0]).to.equal(Status.OK);

    expect(stepped).to.deep.equal(whole);

    // another request abandons a paused inference and is served: RESET_STATE, then a whole INVOKE
    await l.request(Command.RESET_STATE, 14);
    await l.next();
    await l.request(Command.WRITE_INPUT, 15, [0, 0, 0, 0, ...input]);
    await l.next();
    await l.request(Command.INVOKE_STEP, 16, [0, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal([Status.OK, 0, 0]);
    await l.request(Command.RESET_STATE, 17);
    const reset = await l.next();
    expect(reset).to.deep.include({ command: Command.RESET_STATE | RESPONSE_BIT, sequence: 17 });
    expect(reset.payload[0]).to.equal(Status.OK);
    await l.request(Command.WRITE_INPUT, 18, [0, 0, 0, 0, ...input]);
    await l.next();
    await l.request(Command.INVOKE, 19, [1, 0, 0xff, 0xff]);
    expect((await l.next()).payload[0]).to.equal(Status.OK);
    await l.request(Command.READ_OUTPUT, 20, [0, 0, 0, 0, 16, 0]);
    expect(Array.from((await l.next()).payload)).to.deep.equal(whole);
  });
});
