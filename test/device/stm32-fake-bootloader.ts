// SPDX-License-Identifier: Apache-2.0
/**
 * Test helpers for the AN3155 host side: a pair of connected pseudo-terminals from socat, and a
 * fake STM32 boot loader (the device side of AN3155, in TypeScript) on one end of it, with faults
 * to inject: a NACK on a block, a flash cell that does not keep its byte, a device that never
 * answers.
 */
import type { ChildProcess } from 'node:child_process';
import { SerialPort } from 'serialport';
import { spawnSocat } from './protocol-fakes.ts';

export interface PtyPair {
  /** the end the host under test opens */
  host: string;
  /** the end the fake device opens */
  device: string;
  /** socat's process id (to kill it: the port vanishes) */
  process: ChildProcess;
  kill(): void;
}

/** `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: two ptys wired together; socat names them on stderr. */
export function startPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    const child = spawnSocat(['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0']);
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socat named no ptys within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      const ptys = [...stderr.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]!);
      if (ptys.length === 2 && /starting data transfer loop/.test(stderr)) {
        clearTimeout(timer);
        resolve({
          host: ptys[0]!,
          device: ptys[1]!,
          process: child,
          kill: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          },
        });
      }
    });
  });
}

export interface FakeOptions {
  /** where the fake flash starts (0x08000000 as on an STM32) */
  flashBase?: number;
  flashBytes?: number;
  productId?: number;
  /** command codes listed by GET: 0x44 (extended erase) or 0x43 (erase) decides the host's erase */
  erase?: 0x43 | 0x44;
  /** NACK the data of the first `times` writes to this address */
  nackWriteAt?: { address: number; times: number };
  /** line noise: flip a bit of the first data byte of the first `times` writes to this address (its checksum then fails) */
  corruptWriteAt?: { address: number; times: number };
  /** answer the first `times` writes to this address with garbage bytes instead of ACK (and write nothing) */
  garbageWriteAt?: { address: number; times: number };
  /** noise bytes sent before the ACK of the sync (a boot banner, a glitch) */
  noiseBeforeSync?: number[];
  /** a second 0x7F of the sync arrives late and is taken as the first byte of the next command */
  lateSecondSync?: boolean;
  /** this flash byte keeps the wrong value (flipped bits) whatever is written */
  stuckByteAt?: number;
  /** never answer anything */
  silent?: boolean;
  /** stop answering after this many WRITE MEMORY commands (and keep the port open) */
  stallAfterWrites?: number;
  /** the first `times` GET answers come back with GO (0x21) garbled to 0x23 on the line */
  garbleGetAnswers?: number;
  /** the first `times` GET ID answers come back with the product id's low byte garbled */
  garbleIdAnswers?: number;
  /** the first `times` READ MEMORY answers come back with their first byte garbled on the line, another bit each time (the flash is right) */
  noisyReadBacks?: number;
}

const ACK = 0x79;
const NACK = 0x1f;

/** The device side of AN3155 over a pty, enough for the host's flashing sequence. */
export class FakeBootloader {
  readonly memory: Uint8Array;
  readonly flashBase: number;
  goAddress: number | null = null;
  writes = 0;
  /** addresses of the writes whose checksum was right, in order */
  acceptedWrites: number[] = [];
  erases: string[] = [];
  private queue: number[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  private nacksToSend: number;
  private corruptionsLeft: number;
  private garbageLeft: number;
  private getsGarbled = 0;
  private idsGarbled = 0;
  private readsGarbled = 0;

  private constructor(
    private readonly port: SerialPort,
    private readonly options: FakeOptions,
  ) {
    this.flashBase = options.flashBase ?? 0x08000000;
    this.memory = new Uint8Array(options.flashBytes ?? 64 * 1024).fill(0xff);
    this.nacksToSend = options.nackWriteAt?.times ?? 0;
    this.corruptionsLeft = options.corruptWriteAt?.times ?? 0;
    this.garbageLeft = options.garbageWriteAt?.times ?? 0;
    port.on('data', (chunk: Buffer) => {
      for (const b of chunk) this.queue.push(b);
      this.wake?.();
    });
    port.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    port.on('error', () => {});
  }

  static async open(path: string, options: FakeOptions = {}): Promise<FakeBootloader> {
    const port = await new Promise<SerialPort>((resolve, reject) => {
      const p = new SerialPort({ path, baudRate: 115200, parity: 'even', autoOpen: false });
      p.open((err) => (err ? reject(err) : resolve(p)));
    });
    const fake = new FakeBootloader(port, options);
    void fake.serve().catch(() => {});
    return fake;
  }

  close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  private async byte(): Promise<number> {
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('closed');
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    return this.queue.shift()!;
  }

  private async bytes(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.byte());
    return out;
  }

  private send(bytes: number[]): void {
    if (!this.closed) this.port.write(Buffer.from(bytes));
  }

  private inFlash(address: number, length: number): boolean {
    return address >= this.flashBase && address + length <= this.flashBase + this.memory.length;
  }

  private async address(): Promise<number | null> {
    const a = await this.bytes(5);
    if ((a[0]! ^ a[1]! ^ a[2]! ^ a[3]!) !== a[4]) return null;
    return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  }

  private async serve(): Promise<void> {
    const commands = [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, this.options.erase ?? 0x44];
    let synced = false;
    for (;;) {
      const code = await this.byte();
      if (this.options.silent) continue;
      if (this.options.stallAfterWrites !== undefined && this.writes >= this.options.stallAfterWrites) continue;
      if (!synced) {
        if (code === 0x7f) {
          synced = true;
          this.send([...(this.options.noiseBeforeSync ?? []), ACK]);
          if (this.options.lateSecondSync) this.queue.unshift(0x7f);
        }
        continue;
      }
      const complement = await this.byte();
      if ((code ^ complement) !== 0xff || !commands.includes(code)) {
        this.send([NACK]);
        continue;
      }
      this.send([ACK]);
      if (code === 0x00) {
        const listed = (this.options.garbleGetAnswers ?? 0) > this.getsGarbled++ ? commands.map((c) => (c === 0x21 ? 0x23 : c)) : commands;
        this.send([commands.length, 0x31, ...listed, ACK]);
      } else if (code === 0x01) {
        this.send([0x31, 0, 0, ACK]);
      } else if (code === 0x02) {
        const id = this.options.productId ?? 0x0413;
        const garble = (this.options.garbleIdAnswers ?? 0) > this.idsGarbled++ ? 0x08 : 0;
        this.send([1, id >> 8, (id & 0xff) ^ garble, ACK]);
      } else if (code === 0x11) {
        const address = await this.address();
        if (address === null) {
          this.send([NACK]);
          continue;
        }
        this.send([ACK]);
        const [n, check] = await this.bytes(2);
        if ((n! ^ check!) !== 0xff || !this.inFlash(address, n! + 1)) {
          this.send([NACK]);
          continue;
        }
        const at = address - this.flashBase;
        const read = Array.from(this.memory.subarray(at, at + n! + 1));
        // line noise: another bit each time
        if ((this.options.noisyReadBacks ?? 0) > this.readsGarbled) read[0] = read[0]! ^ (1 << this.readsGarbled++ % 8);
        this.send([ACK, ...read]);
      } else if (code === 0x31) {
        const address = await this.address();
        if (address === null) {
          this.send([NACK]);
          continue;
        }
        this.send([ACK]);
        const n = await this.byte();
        const data = await this.bytes(n + 1);
        const check = await this.byte();
        if (this.options.corruptWriteAt?.address === address && this.corruptionsLeft > 0) {
          this.corruptionsLeft--;
          data[0] = data[0]! ^ 0x04;
        }
        if (this.options.garbageWriteAt?.address === address && this.garbageLeft > 0) {
          this.garbageLeft--;
          this.send([0x00, 0xa5, 0x3c]);
          continue;
        }
        const sum = data.reduce((x, v) => x ^ v, n);
        if (sum !== check || !this.inFlash(address, n + 1) || (n + 1) % 4 !== 0) {
          this.send([NACK]);
          continue;
        }
        this.writes++;
        this.acceptedWrites.push(address);
        if (this.options.nackWriteAt?.address === address && this.nacksToSend > 0) {
          this.nacksToSend--;
          this.send([NACK]);
          continue;
        }
        const at = address - this.flashBase;
        this.memory.set(data, at);
        const stuck = this.options.stuckByteAt;
        if (stuck !== undefined && stuck >= address && stuck < address + data.length) this.memory[stuck - this.flashBase]! ^= 0x10;
        this.send([ACK]);
      } else if (code === 0x43 || code === 0x44) {
        const first = await this.bytes(code === 0x44 ? 3 : 2);
        const mass = code === 0x44 ? first[0] === 0xff && first[1] === 0xff && first[2] === 0x00 : first[0] === 0xff && first[1] === 0x00;
        if (!mass) {
          this.send([NACK]); // page erase is not what the host under test sends
          continue;
        }
        this.memory.fill(0xff);
        this.erases.push(code === 0x44 ? 'extended' : 'standard');
        this.send([ACK]);
      } else if (code === 0x21) {
        const address = await this.address();
        if (address === null || !this.inFlash(address, 8)) {
          this.send([NACK]);
          continue;
        }
        this.goAddress = address;
        this.send([ACK]);
      }
    }
  }
}
