// SPDX-License-Identifier: Apache-2.0
/**
 * Test doubles for the device protocol: a pair of connected pseudo-terminals made by socat, and a
 * fake device in TypeScript that speaks the device side with faults on request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { FrameDecoder, encodeFrame } from '../../src/lab/device/protocol/frame.ts';
import { Command, NACK, PROTOCOL_VERSION, RESPONSE_BIT, Status } from '../../src/lab/device/protocol/messages.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';

export interface PtyPair {
  a: string;
  b: string;
  /** ends socat: both pseudo-terminals vanish */
  kill(): void;
}

/**
 * `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: it names both ends on stderr ("PTY is /dev/pts/N").
 * With `links`, socat also makes those symlinks to the two ends, and they become `a` and `b`: a
 * second socat given the same links stands for the same port coming back.
 */
/**
 * Every socat started here and still running: a test process or campaign that exits (a kill, ^C, a
 * crash) ends them, even those still starting.
 */
const socats = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of socats) child.kill('SIGKILL');
});

/** spawns socat with these arguments, tracked until it exits */
export function spawnSocat(args: string[]): ChildProcess {
  const child = spawn('socat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  socats.add(child);
  child.on('exit', () => socats.delete(child));
  return child;
}

export function ptyPair(links?: [string, string], timeoutMs = 5000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    const ends = links ? links.map((l) => `pty,raw,echo=0,link=${l}`) : ['pty,raw,echo=0', 'pty,raw,echo=0'];
    const child: ChildProcess = spawnSocat(['-d', '-d', ...ends]);
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socat named no ptys within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      const paths = [...stderr.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]!);
      if (paths.length === 2) {
        clearTimeout(timer);
        const [a, b] = links ?? [paths[0]!, paths[1]!];
        resolve({ a, b, kill: () => child.kill('SIGKILL') });
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export interface FakeFaults {
  /** bytes sent before every answer (a chatty board, line noise) */
  garbage?: Uint8Array;
  /** this many answers go out with a broken CRC */
  corruptAnswers?: number;
  /** this many requests are answered with NACK (as if their CRC failed on the device) */
  nackRequests?: number;
  /** this many requests are executed but their answers never sent (lost on the line) */
  dropAnswers?: number;
  /** never answers anything */
  silent?: boolean;
  /** this many requests are lost on the way in (never seen by the device) */
  loseRequests?: number;
  /** this many requests are answered BAD_LENGTH, as the harness answers a length field damaged past 256 */
  badLengthAnswers?: number;
  /** before this many answers, a NACK naming the previous sequence number (a stale repeat taken damaged) */
  staleNacks?: number;
  /** answers in another protocol version */
  version?: number;
  /** HELLO reports this build id (16 hex digits) instead of 0123456789abcdef */
  buildId?: string;
  /** HELLO's first string claims more bytes than the answer holds (other or damaged firmware; its frame CRC good) */
  malformedHello?: boolean;
  /** INVOKE answers these counts (valid CRCs, impossible figures): runs, then total, first, min, max ticks */
  invoke?: { runs?: number; total?: bigint; first?: bigint; min?: bigint; max?: bigint };
  /** READ_MEMORY answers these (default: an arena of 48 B, 40 used, stack 200 of 1,024, 120 in INVOKE) */
  memory?: { arenaPlanned?: number; arenaUsed?: number; stackHighWater?: number; stackInvoke?: number; stackCapacity?: number };
  /** HELLO names this target, board, model (default: the fake's own) and reports this image in flash (default: none) */
  hello?: {
    target?: string;
    board?: string;
    model?: string;
    image?: { crc: number; start: number; bytes: number };
    /** a lie about the model: another output count or size than the build's (1 output of 16 bytes) */
    numOutputs?: number;
    outputBytes?: number;
  };
}

/** Where a fake device reads requests and writes answers: a pty (SerialTransport), or an in-process link. */
export interface FakePort {
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

/**
 * The device side of the protocol over one pty: a 16-byte model computing out = in ^ 0x5a, with the
 * harness's rule that a repeated (command, sequence) is answered from memory without running again.
 */
export class FakeDevice {
  readonly received: { command: number; sequence: number }[] = [];
  invocations = 0;
  private input = new Uint8Array(16);
  private output = new Uint8Array(16);
  private last: { command: number; sequence: number; answer: Uint8Array } | null = null;
  private readonly decoder = new FrameDecoder();

  constructor(
    private port: FakePort,
    private readonly faults: FakeFaults,
  ) {
    this.listen(port);
  }

  /** Carries on, its state intact, over another port (the same board on a port that came back). */
  async moveTo(path: string): Promise<void> {
    await this.port.close().catch(() => {});
    this.port = await SerialTransport.open(path);
    this.listen(this.port);
  }

  private listen(port: FakePort): void {
    port.onData((bytes) => {
      if (port !== this.port) return;
      for (const event of this.decoder.push(bytes)) {
        if (event.kind === 'frame') void this.handle(event.frame.command, event.frame.sequence, event.frame.payload);
        else if (event.kind === 'bad-crc') void this.send(NACK, event.sequence, Uint8Array.of(Status.BAD_CRC));
      }
    });
  }

  static async attach(path: string, faults: FakeFaults = {}): Promise<FakeDevice> {
    return new FakeDevice(await SerialTransport.open(path), faults);
  }

  close(): Promise<void> {
    return this.port.close();
  }

  private async send(command: number, sequence: number, payload: Uint8Array, corrupt = false): Promise<void> {
    const frame = encodeFrame({ version: this.faults.version ?? PROTOCOL_VERSION, command, sequence, payload });
    if (corrupt) frame[frame.length - 1]! ^= 0x01;
    if (this.faults.garbage) await this.port.write(this.faults.garbage);
    await this.port.write(frame);
  }

  private async handle(command: number, sequence: number, payload: Uint8Array): Promise<void> {
    if ((this.faults.loseRequests ?? 0) > 0) {
      this.faults.loseRequests!--;
      return;
    }
    this.received.push({ command, sequence });
    if (this.faults.silent) return;
    if ((this.faults.badLengthAnswers ?? 0) > 0) {
      this.faults.badLengthAnswers!--;
      return this.send(command | RESPONSE_BIT, sequence, Uint8Array.of(Status.BAD_LENGTH));
    }
    if ((this.faults.staleNacks ?? 0) > 0) {
      this.faults.staleNacks!--;
      await this.send(NACK, (sequence - 1) & 0xff, Uint8Array.of(Status.BAD_CRC));
    }
    if ((this.faults.nackRequests ?? 0) > 0) {
      this.faults.nackRequests!--;
      return this.send(NACK, sequence, Uint8Array.of(Status.BAD_CRC));
    }
    let answer: Uint8Array;
    if (this.last && this.last.command === command && this.last.sequence === sequence && command !== Command.HELLO) {
      answer = this.last.answer;
    } else {
      answer = this.execute(command, payload);
      this.last = { command, sequence, answer };
    }
    if ((this.faults.dropAnswers ?? 0) > 0) {
      this.faults.dropAnswers!--;
      return;
    }
    const corrupt = (this.faults.corruptAnswers ?? 0) > 0;
    if (corrupt) this.faults.corruptAnswers!--;
    await this.send(command | RESPONSE_BIT, sequence, answer, corrupt);
  }

  private execute(command: number, payload: Uint8Array): Uint8Array {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    switch (command) {
      case Command.HELLO: {
        const text = (s: string) => [s.length, ...new TextEncoder().encode(s)];
        const head = new Uint8Array(34);
        const h = new DataView(head.buffer);
        head[0] = Status.OK;
        head[1] = PROTOCOL_VERSION;
        head[2] = 0;
        h.setUint16(4, 256, true);
        h.setUint32(6, 25_000_000, true);
        const buildId = BigInt(`0x${this.faults.buildId ?? '0123456789abcdef'}`);
        h.setBigUint64(10, buildId, true);
        h.setUint32(18, 48, true);
        const hello = this.faults.hello ?? {};
        head[22] = 1;
        head[23] = hello.numOutputs ?? 1;
        h.setUint16(24, 3, true);
        h.setUint32(26, 16, true);
        h.setUint32(30, hello.outputBytes ?? 16, true);
        const strings = [...text(hello.target ?? 'fake-target'), ...text(hello.board ?? 'fake-board'), ...text(hello.model ?? 'fake_xor'), ...text('systick')];
        if (this.faults.malformedHello) strings[0] = 0xf0;
        const image = new Uint8Array(hello.image ? 12 : 0);
        if (hello.image) [hello.image.crc, hello.image.start, hello.image.bytes].forEach((v, i) => new DataView(image.buffer).setUint32(4 * i, v, true));
        return Uint8Array.from([...head, ...strings, ...image]);
      }
      case Command.WRITE_INPUT: {
        const offset = view.getUint32(0, true);
        this.input.set(payload.subarray(4), offset);
        return Uint8Array.of(Status.OK);
      }
      case Command.INVOKE: {
        this.invocations++;
        this.output = this.input.map((b) => b ^ 0x5a);
        const out = new Uint8Array(35);
        const o = new DataView(out.buffer);
        const runs = view.getUint16(0, true);
        const lie = this.faults.invoke ?? {};
        o.setUint16(1, lie.runs ?? runs, true);
        o.setBigUint64(3, lie.total ?? 1234n * BigInt(runs), true);
        o.setBigUint64(11, lie.first ?? 1234n, true);
        o.setBigUint64(19, lie.min ?? 1234n, true);
        o.setBigUint64(27, lie.max ?? 1234n, true);
        return out;
      }
      case Command.READ_MEMORY: {
        const m = { arenaPlanned: 48, arenaUsed: 40, stackHighWater: 200, stackInvoke: 120, stackCapacity: 1024, ...this.faults.memory };
        const out = new Uint8Array(21);
        const o = new DataView(out.buffer);
        [m.arenaPlanned, m.arenaUsed, m.stackHighWater, m.stackInvoke, m.stackCapacity].forEach((v, i) => o.setUint32(1 + 4 * i, v, true));
        return out;
      }
      case Command.READ_OUTPUT: {
        const offset = view.getUint32(0, true);
        const length = view.getUint16(4, true);
        return Uint8Array.from([Status.OK, ...this.output.subarray(offset, offset + length)]);
      }
      case Command.RESET_STATE:
        return Uint8Array.of(Status.OK);
      default:
        return Uint8Array.of(Status.UNKNOWN_COMMAND);
    }
  }
}
