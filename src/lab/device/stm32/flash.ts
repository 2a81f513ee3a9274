// SPDX-License-Identifier: Apache-2.0
/**
 * Flashes an image through an STM32-style USART boot loader (AN3155): sync, GET, GET ID, erase,
 * write every block, read every block back and compare, and only then GO. A block the device
 * NACKs (or does not acknowledge in time, or answers with garbage) is sent again, a bounded number
 * of times: rewriting the same bytes at the same address is harmless. A port that goes away ends
 * the flash at once. Whatever fails, the image is not started, and the error names the port and
 * the step (`/dev/ttyUSB0: write memory at 0x08004000: NACK after 3 tries`).
 */
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from '../transport/transport.ts';
import { AN3155Client, AN3155Error, type BootloaderInfo, Cmd, DEFAULT_TIMEOUTS, MAX_BLOCK, type Timeouts } from './an3155.ts';
import { ByteReader } from './byte-reader.ts';
import type { FlashImage, Segment } from './image.ts';

export interface FlashOptions {
  /** tries of the 0x7F sync (default 10: QEMU's first bytes can come ~1 s late) */
  syncTries?: number;
  /** tries of one block's write or read-back (default 3) */
  blockTries?: number;
  timeouts?: Partial<Timeouts>;
  /** leave the image unstarted (no GO) */
  noGo?: boolean;
  /** progress notes (one line each) */
  progress?: (message: string) => void;
}

export interface FlashReport {
  port: string;
  bootloaderVersion: number;
  productId: number;
  erase: 'extended erase (0x44)' | 'erase (0x43)';
  /** bytes written (blocks padded to a multiple of 4 with 0xFF) */
  bytes: number;
  blocks: number;
  /** block writes and reads that had to be repeated */
  retries: number;
  verified: true;
  /** address GO was sent to, or null with noGo */
  started: number | null;
  elapsedMs: number;
}

interface Block {
  address: number;
  data: Uint8Array;
}

const hex32 = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

/** The image's bytes as write blocks: 4-byte aligned, padded with 0xFF (erased flash), at most 256 bytes. */
export function blocksOf(segments: Segment[]): Block[] {
  const blocks: Block[] = [];
  for (const s of segments) {
    const start = s.address - (s.address % 4);
    const end = Math.ceil((s.address + s.data.length) / 4) * 4;
    const padded = new Uint8Array(end - start).fill(0xff);
    padded.set(s.data, s.address - start);
    for (let at = 0; at < padded.length; at += MAX_BLOCK) {
      blocks.push({ address: start + at, data: padded.subarray(at, Math.min(at + MAX_BLOCK, padded.length)) });
    }
  }
  return blocks;
}

export async function flashImage(transport: Transport, image: FlashImage, options: FlashOptions = {}): Promise<FlashReport> {
  const started = Date.now();
  const port = transport.name;
  const progress = options.progress ?? (() => {});
  const client = new AN3155Client(new ByteReader(transport), { ...DEFAULT_TIMEOUTS, ...options.timeouts });
  const blockTries = options.blockTries ?? 3;
  let retries = 0;

  const fail = (step: string, e: unknown, tries?: number): never => {
    if (!(e instanceof AN3155Error)) throw e;
    const after = tries !== undefined && tries > 1 && e.kind !== 'closed' ? ` after ${tries} tries` : '';
    throw new TinyforgeError(`${port}: ${step}: ${e.message}${after}`);
  };
  const once = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      return fail(step, e);
    }
  };
  /**
   * Repeats `work` on NACK, timeout or garbage (not when the port is gone), first bringing the
   * device back to a command boundary.
   */
  const retried = async <T>(step: string, work: () => Promise<T>, tries = blockTries): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (e) {
        if (!(e instanceof AN3155Error) || e.kind === 'closed' || attempt >= tries) return fail(step, e, attempt);
        retries++;
        progress(`${port}: ${step}: ${e.message}; trying again (${attempt + 1} of ${tries})`);
        try {
          await client.realign();
        } catch (again) {
          return fail(step, again);
        }
      }
    }
  };

  const syncTries = options.syncTries ?? 10;
  const synced = await once('sync', () => client.sync(syncTries));
  if (synced === 'already') progress(`${port}: the boot loader was already synchronised (NACK to 0x7F)`);
  // An emulated board takes bytes late: a second 0x7F of the sync may still be on its way and
  // shift the device by one byte, so GET is retried after realigning.
  // GET and GET ID answers carry no checksum: each counts once two reads agree, so that a byte
  // damaged on the way neither drops a command from the list nor misreports the chip.
  const agreed = async <T>(step: string, read: () => Promise<T>): Promise<T> => {
    let value = await retried(step, read);
    for (let attempt = 1; ; attempt++) {
      const again = await retried(step, read);
      if (JSON.stringify(again) === JSON.stringify(value)) return value;
      if (attempt >= blockTries) throw new TinyforgeError(`${port}: ${step}: the answer reads differently every time (a noisy line?)`);
      retries++;
      progress(`${port}: ${step}: two reads of the answer differ; reading it again`);
      value = again;
    }
  };
  const info: BootloaderInfo = await agreed('get', () => client.get());
  for (const [code, name] of [
    [Cmd.WRITE_MEMORY, 'WRITE MEMORY'],
    [Cmd.READ_MEMORY, 'READ MEMORY'],
    [Cmd.GO, 'GO'],
  ] as const) {
    if (!info.commands.includes(code)) throw new TinyforgeError(`${port}: get: the boot loader does not list ${name} (0x${code.toString(16)})`);
  }
  const productId = await agreed('get id', () => client.getId());
  progress(`${port}: boot loader v${info.version >> 4}.${info.version & 0xf}, product id 0x${productId.toString(16).padStart(4, '0')}`);

  const erase = info.commands.includes(Cmd.EXTENDED_ERASE) ? 'extended erase (0x44)' : 'erase (0x43)';
  progress(`${port}: mass ${erase}`);
  await once('erase', () => client.massErase(info));

  const blocks = blocksOf(image.segments);
  const bytes = blocks.reduce((n, b) => n + b.data.length, 0);
  progress(`${port}: writing ${bytes} bytes in ${blocks.length} blocks`);
  for (const block of blocks) {
    await retried(`write memory at ${hex32(block.address)}`, () => client.writeMemory(block.address, block.data));
  }

  progress(`${port}: reading back ${blocks.length} blocks`);
  for (const block of blocks) {
    const step = `verify at ${hex32(block.address)}`;
    let read = await retried(step, () => client.readMemory(block.address, block.data.length));
    let bad = firstDifference(read, block.data);
    // Read-backs carry no checksum: a block that differs is read again, so that bytes garbled on the
    // way back are told apart from wrong bytes in flash (the same difference twice).
    let agreeing = false;
    for (let attempt = 1; bad >= 0 && attempt <= blockTries; attempt++) {
      retries++;
      const again = await retried(step, () => client.readMemory(block.address, block.data.length));
      agreeing = firstDifference(again, read) < 0;
      read = again;
      bad = firstDifference(read, block.data);
      if (agreeing) break;
    }
    if (bad >= 0 && !agreeing) {
      throw new TinyforgeError(
        `${port}: ${step}: the block reads back differently every time (${blockTries + 1} reads: a noisy line?); the image was not started`,
      );
    }
    if (bad >= 0) {
      throw new TinyforgeError(
        `${port}: ${step}: byte at ${hex32(block.address + bad)} reads 0x${read[bad]!.toString(16).padStart(2, '0')}, ` +
          `0x${block.data[bad]!.toString(16).padStart(2, '0')} was written; the image was not started`,
      );
    }
  }

  let startedAt: number | null = null;
  if (!options.noGo) {
    await once(`go to ${hex32(image.start)}`, () => client.go(image.start));
    startedAt = image.start;
  }
  return {
    port,
    bootloaderVersion: info.version,
    productId,
    erase,
    bytes,
    blocks: blocks.length,
    retries,
    verified: true,
    started: startedAt,
    elapsedMs: Date.now() - started,
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
