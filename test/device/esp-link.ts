// SPDX-License-Identifier: Apache-2.0
/**
 * The serial line between the ROM loader client and an ESP chip, as tests handle it:
 *
 * - `RecordingTransport` keeps the byte exchange (what the host wrote, what the chip sent back, in
 *   order) of a session with Espressif's QEMU running the chip's real ROM;
 * - `ReplayTransport` plays such a recording back on any machine: each write must be the recorded
 *   one, and the chip's recorded bytes that followed it come back (a different write ends the line
 *   with a message naming both);
 * - `FaultyLink` sits between the client and the chip and damages the line: drops a byte of the
 *   host's requests, or changes the digest in the chip's SPI_FLASH_MD5 answers.
 */
import { SlipDecoder, slipEncode } from '../../src/lab/device/esp/slip.ts';
import { EspCommand } from '../../src/lab/device/esp/rom_loader.ts';
import type { Transport } from '../../src/lab/device/transport/transport.ts';

export interface TranscriptEntry {
  /** host: written by the loader; chip: received from the chip */
  dir: 'host' | 'chip';
  hex: string;
}

export interface Transcript {
  /** what was done: machine, image, faults */
  about: Record<string, unknown>;
  exchange: TranscriptEntry[];
}

export class RecordingTransport implements Transport {
  readonly exchange: TranscriptEntry[] = [];

  constructor(private readonly inner: Transport) {
    inner.onData((bytes) => this.add('chip', bytes));
  }

  get name(): string {
    return this.inner.name;
  }

  private add(dir: 'host' | 'chip', bytes: Uint8Array): void {
    const hex = Buffer.from(bytes).toString('hex');
    const last = this.exchange[this.exchange.length - 1];
    // chip bytes arrive in whatever chunks the line makes; only their place between writes counts
    if (dir === 'chip' && last?.dir === 'chip') last.hex += hex;
    else this.exchange.push({ dir, hex });
  }

  write(bytes: Uint8Array): Promise<void> {
    this.add('host', bytes);
    return this.inner.write(bytes);
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.inner.onData(listener);
  }
  onClose(listener: (reason: string) => void): void {
    this.inner.onClose(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export class ReplayTransport implements Transport {
  private next = 0;
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private closed = false;

  constructor(
    private readonly transcript: Transcript,
    readonly name = 'replay',
  ) {}

  /** whether every recorded write was made */
  get finished(): boolean {
    return this.transcript.exchange.slice(this.next).every((e) => e.dir === 'chip');
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the replay has ended'));
    const entries = this.transcript.exchange;
    const chipFirst: string[] = [];
    while (entries[this.next]?.dir === 'chip') chipFirst.push(entries[this.next++]!.hex);
    const expected = entries[this.next];
    const got = Buffer.from(bytes).toString('hex');
    if (!expected || expected.hex !== got) {
      const reason = `the loader wrote ${got.slice(0, 48)}${got.length > 48 ? '...' : ''} where the recording has ${expected ? expected.hex.slice(0, 48) : 'nothing more'}`;
      this.closed = true;
      setImmediate(() => this.closeListeners.forEach((l) => l(reason)));
      return Promise.resolve();
    }
    this.next++;
    const answer: string[] = [...chipFirst];
    while (entries[this.next]?.dir === 'chip') answer.push(entries[this.next++]!.hex);
    setImmediate(() => {
      for (const hex of answer) for (const l of this.dataListeners) l(new Uint8Array(Buffer.from(hex, 'hex')));
    });
    return Promise.resolve();
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export interface LinkFaults {
  /** drop one byte (at this offset of the SLIP frame) of the host's FLASH_DATA requests ... */
  dropByteOfBlock?: { at: number; /** ... of this many of them, the first ones */ times: number };
  /** change one hex digit of the chip's SPI_FLASH_MD5 answers (every one: the flash reads as other bytes) */
  wrongMd5?: boolean;
}

/** A line that damages what crosses it (see LinkFaults); chip packets are passed on re-framed, other chip bytes as they come. */
export class FaultyLink implements Transport {
  private readonly decoder = new SlipDecoder();
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private dropped = 0;

  constructor(
    private readonly inner: Transport,
    private readonly faults: LinkFaults,
  ) {
    inner.onData((bytes) => {
      if (!faults.wrongMd5) return this.dataListeners.forEach((l) => l(bytes));
      for (const event of this.decoder.push(bytes)) {
        if (event.kind !== 'packet') continue;
        const packet = Uint8Array.from(event.packet);
        // 0x01 | 0x13 | size | value | 32 hex digits | status
        if (packet[0] === 0x01 && packet[1] === EspCommand.SPI_FLASH_MD5 && packet.length >= 8 + 32) packet[8] = packet[8] === 0x30 ? 0x31 : 0x30;
        const frame = slipEncode(packet);
        this.dataListeners.forEach((l) => l(frame));
      }
    });
  }

  get name(): string {
    return this.inner.name;
  }

  write(bytes: Uint8Array): Promise<void> {
    const drop = this.faults.dropByteOfBlock;
    // a request frame: 0xC0 0x00 command ...
    if (drop && bytes[2] === EspCommand.FLASH_DATA && this.dropped < drop.times && drop.at < bytes.length - 1) {
      this.dropped++;
      return this.inner.write(Uint8Array.from([...bytes.subarray(0, drop.at), ...bytes.subarray(drop.at + 1)]));
    }
    return this.inner.write(bytes);
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: (reason: string) => void): void {
    this.inner.onClose(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
