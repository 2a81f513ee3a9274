// SPDX-License-Identifier: Apache-2.0
/**
 * The host side of ST's USART boot loader protocol (application note AN3155), one command at a
 * time. Facts of the protocol:
 *
 * - 8 data bits, even parity, 1 stop bit on real hardware; the host first sends 0x7F so the boot
 *   loader measures the baud rate, and it answers ACK (0x79). A boot loader that has already been
 *   synchronised takes 0x7F as a command byte and answers NACK (0x1F): it is alive all the same.
 * - A command is its code and the code's complement (0x00 0xFF for GET); the device answers ACK or
 *   NACK. Multi-byte fields end with a checksum: the XOR of their bytes; a single byte N is
 *   followed by its complement instead (N XOR 0xFF).
 * - Addresses are 4 bytes, most significant first. Counts are sent as N = count - 1.
 * - GET 0x00: ACK, N, version, N command codes, ACK. GET ID 0x02: ACK, N (=1), product id (2 bytes,
 *   MSB first), ACK.
 * - READ MEMORY 0x11: ACK; address + checksum: ACK; N + ~N: ACK, then N + 1 bytes (at most 256).
 * - WRITE MEMORY 0x31: ACK; address + checksum: ACK; N, N + 1 bytes, XOR of N and the bytes: ACK
 *   once written. Blocks of at most 256 bytes, a multiple of 4.
 * - ERASE 0x43: ACK; 0xFF 0x00 erases everything (or N, N + 1 page numbers, checksum): ACK.
 *   EXTENDED ERASE 0x44 (the newer boot loaders list it instead of 0x43): ACK; 0xFF 0xFF 0x00 is the
 *   mass erase (or 2-byte N, 2-byte page numbers, checksum): ACK. An erase can take many seconds.
 * - GO 0x21: ACK; address + checksum: ACK, then the device loads SP from the address and jumps to
 *   the reset vector after it.
 *
 * Every wait has a timeout; failures are AN3155Errors naming the step, which the flasher turns into
 * one-line messages naming the port.
 */
import { ByteReader, ReadFailure } from './byte-reader.ts';

export const ACK = 0x79;
export const NACK = 0x1f;
export const SYNC = 0x7f;

export const Cmd = {
  GET: 0x00,
  GET_VERSION: 0x01,
  GET_ID: 0x02,
  READ_MEMORY: 0x11,
  GO: 0x21,
  WRITE_MEMORY: 0x31,
  ERASE: 0x43,
  EXTENDED_ERASE: 0x44,
} as const;

/** Most bytes one READ MEMORY or WRITE MEMORY moves. */
export const MAX_BLOCK = 256;

/** Why a step failed: the device said NACK, or something else went wrong (timeout, port, garbage). */
export class AN3155Error extends Error {
  constructor(
    readonly kind: 'nack' | 'timeout' | 'closed' | 'protocol',
    message: string,
  ) {
    super(message);
    this.name = 'AN3155Error';
  }
}

export interface Timeouts {
  /** an ACK after a command or its arguments, and the bytes of an answer (default 1000 ms) */
  ackMs: number;
  /** the ACK that ends an erase (default 30 s: a real mass erase takes seconds) */
  eraseMs: number;
  /** one try of the 0x7F sync (default 400 ms) */
  syncMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { ackMs: 1000, eraseMs: 30_000, syncMs: 400 };

export interface BootloaderInfo {
  /** protocol version byte of GET, e.g. 0x31 for 3.1 */
  version: number;
  /** command codes the boot loader lists */
  commands: number[];
}

const hex = (v: number, digits = 2) => `0x${v.toString(16).padStart(digits, '0')}`;

export const xorChecksum = (bytes: ArrayLike<number>): number => {
  let x = 0;
  for (let i = 0; i < bytes.length; i++) x ^= bytes[i]!;
  return x;
};

function addressBytes(address: number): number[] {
  return [(address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
}

export class AN3155Client {
  constructor(
    readonly reader: ByteReader,
    readonly timeouts: Timeouts = DEFAULT_TIMEOUTS,
  ) {}

  /**
   * Sends 0x7F until the boot loader answers (ACK, or NACK when it was synchronised before),
   * `tries` times at most. Noise before the answer is discarded before each try.
   */
  async sync(tries: number): Promise<'ack' | 'already'> {
    let lastNoise: number | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      this.reader.discard();
      await this.send([SYNC]);
      const deadline = Date.now() + this.timeouts.syncMs;
      while (Date.now() < deadline) {
        let byte: number;
        try {
          byte = await this.reader.readByte(Math.max(1, deadline - Date.now()));
        } catch (e) {
          if (e instanceof ReadFailure && e.kind === 'timeout') break;
          throw this.failure(e);
        }
        if (byte === ACK) return 'ack';
        if (byte === NACK) return 'already';
        lastNoise = byte; // garbage: keep listening until this try's time is up
      }
    }
    const noise = lastNoise === undefined ? 'no answer' : `only noise (last byte ${hex(lastNoise)})`;
    throw new AN3155Error('timeout', `${noise} to ${hex(SYNC)} after ${tries} tries of ${this.timeouts.syncMs} ms (is the board in its boot loader?)`);
  }

  /**
   * Brings host and device back to a command boundary after a failed exchange. The device reads
   * commands as byte pairs and answers every pair; a stray byte it holds (a late second 0x7F of the
   * sync, a lost byte) shifts every later command by one. Single 0x00 bytes are sent until the
   * device answers: that answer ends a pair, so the next byte starts a command. (A pair ending in
   * 0x00 is never a valid command: its code would be 0xFF.) False when nothing ever answers.
   */
  async realign(tries = 3): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 20)); // the tail of the failed answer, which is no reply to us
    this.reader.discard();
    for (let attempt = 0; attempt < tries; attempt++) {
      await this.send([0x00]);
      try {
        await this.reader.readByte(this.timeouts.syncMs);
        await new Promise((r) => setTimeout(r, 20)); // the rest of a late answer
        this.reader.discard();
        return true;
      } catch (e) {
        if (!(e instanceof ReadFailure) || e.kind !== 'timeout') throw this.failure(e);
      }
    }
    return false;
  }

  async get(): Promise<BootloaderInfo> {
    await this.command(Cmd.GET);
    const n = await this.readBytes(1);
    const body = await this.readBytes(n[0]! + 1);
    await this.expectAck(this.timeouts.ackMs, 'the end of the GET answer');
    return { version: body[0]!, commands: Array.from(body.subarray(1)) };
  }

  /** The product id (e.g. 0x0413 for an STM32F405/407). */
  async getId(): Promise<number> {
    await this.command(Cmd.GET_ID);
    const n = await this.readBytes(1);
    const id = await this.readBytes(n[0]! + 1);
    await this.expectAck(this.timeouts.ackMs, 'the end of the GET ID answer');
    return id.length >= 2 ? (id[0]! << 8) | id[1]! : id[0]!;
  }

  async readMemory(address: number, count: number): Promise<Uint8Array> {
    if (count < 1 || count > MAX_BLOCK) throw new Error(`internal: READ MEMORY of ${count} bytes`);
    await this.command(Cmd.READ_MEMORY);
    await this.sendAddress(address);
    const n = count - 1;
    await this.send([n, n ^ 0xff]);
    await this.expectAck(this.timeouts.ackMs, 'the byte count');
    return this.readBytes(count);
  }

  async writeMemory(address: number, data: Uint8Array): Promise<void> {
    if (data.length < 1 || data.length > MAX_BLOCK || data.length % 4 !== 0) {
      throw new Error(`internal: WRITE MEMORY of ${data.length} bytes (1..256, a multiple of 4)`);
    }
    await this.command(Cmd.WRITE_MEMORY);
    await this.sendAddress(address);
    const n = data.length - 1;
    await this.send([n, ...data, n ^ xorChecksum(data)]);
    await this.expectAck(this.timeouts.ackMs, 'the data');
  }

  /** Erases all of the flash, with whichever erase command the boot loader listed. */
  async massErase(info: BootloaderInfo): Promise<void> {
    if (info.commands.includes(Cmd.EXTENDED_ERASE)) {
      await this.command(Cmd.EXTENDED_ERASE);
      await this.send([0xff, 0xff, 0x00]);
    } else if (info.commands.includes(Cmd.ERASE)) {
      await this.command(Cmd.ERASE);
      await this.send([0xff, 0x00]);
    } else {
      throw new AN3155Error('protocol', 'the boot loader lists neither ERASE (0x43) nor EXTENDED ERASE (0x44)');
    }
    await this.expectAck(this.timeouts.eraseMs, 'the erase');
  }

  async go(address: number): Promise<void> {
    await this.command(Cmd.GO);
    await this.sendAddress(address);
  }

  // ---- the pieces ----

  private async command(code: number): Promise<void> {
    this.reader.discard();
    await this.send([code, code ^ 0xff]);
    await this.expectAck(this.timeouts.ackMs, `command ${hex(code)}`);
  }

  private async sendAddress(address: number): Promise<void> {
    const bytes = addressBytes(address);
    await this.send([...bytes, xorChecksum(bytes)]);
    await this.expectAck(this.timeouts.ackMs, `address ${hex(address, 8)}`);
  }

  private async expectAck(timeoutMs: number, what: string): Promise<void> {
    let byte: number;
    try {
      byte = await this.reader.readByte(timeoutMs);
    } catch (e) {
      throw this.failure(e, `waiting for the ACK of ${what}`);
    }
    if (byte === ACK) return;
    if (byte === NACK) throw new AN3155Error('nack', `NACK to ${what}`);
    throw new AN3155Error('protocol', `${hex(byte)} instead of ACK (0x79) or NACK (0x1f) after ${what}`);
  }

  private async readBytes(count: number): Promise<Uint8Array> {
    try {
      return await this.reader.read(count, this.timeouts.ackMs);
    } catch (e) {
      throw this.failure(e, `reading ${count} bytes of the answer`);
    }
  }

  private async send(bytes: number[]): Promise<void> {
    try {
      await this.reader.write(bytes);
    } catch (e) {
      throw this.failure(e);
    }
  }

  private failure(e: unknown, doing?: string): AN3155Error {
    if (e instanceof AN3155Error) return e;
    if (e instanceof ReadFailure) {
      const where = doing ? ` (${doing})` : '';
      return new AN3155Error(e.kind, `${e.message}${where}`);
    }
    return new AN3155Error('protocol', (e as Error).message);
  }
}
