// SPDX-License-Identifier: Apache-2.0
/**
 * The host side of Espressif's ROM serial loader (the UART download mode of the ESP32 family),
 * spoken directly, without uploading esptool's stub:
 *
 *   request:  0x00 | command u8 | size u16 | checksum u32 | data[size]          (SLIP framed)
 *   response: 0x01 | command u8 | size u16 | value u32    | data[size]
 *
 * all little-endian. A response's data ends with the status bytes: status (0 = success) and an error
 * code, then (ESP32-family ROMs) two reserved bytes. The checksum is used by data-carrying commands
 * only: 0xEF xor every byte of the data block. Requests wait for their answer with a timeout; answers
 * to other commands (the ROM answers one SYNC several times) are skipped.
 */
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from '../transport/transport.ts';
import { SlipDecoder, slipEncode } from './slip.ts';

export const EspCommand = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  SYNC: 0x08,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  SPI_FLASH_MD5: 0x13,
} as const;

/** ROM loader error codes (the byte after a failed status). */
export const ESP_ROM_ERRORS: Record<number, string> = {
  0x05: 'received message is invalid',
  0x06: 'failed to act on received message',
  0x07: 'invalid CRC in message',
  0x08: 'flash write error',
  0x09: 'flash read error',
  0x0a: 'flash read length error',
  0x0b: 'deflate error',
};

export const CHECKSUM_SEED = 0xef;
/** the ROM loader's flash write block (esptool's stub takes 16 KiB; the ROM 1 KiB) */
export const ROM_FLASH_BLOCK = 0x400;
/** where every ESP32-family chip holds its identifying magic word */
export const CHIP_MAGIC_REGISTER = 0x40001000;
/** SYNC's data: 0x07 0x07 0x12 0x20, then 32 x 0x55 (lets the ROM measure the baud rate) */
export const SYNC_DATA = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);

/** Chips by the magic word at 0x40001000 (several revisions of a chip have their own). */
const CHIP_MAGICS: [string, number[]][] = [
  ['ESP32', [0x00f01d83]],
  ['ESP32-S2', [0x000007c6]],
  ['ESP32-S3', [0x00000009]],
  ['ESP32-C3', [0x6921506f, 0x1b31506f, 0x4881606f, 0x4361606f]],
  ['ESP32-C6', [0x2ce0806f]],
];

export function chipFromMagic(magic: number): string | undefined {
  return CHIP_MAGICS.find(([, values]) => values.includes(magic >>> 0))?.[0];
}

export function espChecksum(data: Uint8Array): number {
  let sum = CHECKSUM_SEED;
  for (const b of data) sum ^= b;
  return sum;
}

export function encodeRequest(command: number, data: Uint8Array, checksum = 0): Uint8Array {
  const packet = new Uint8Array(8 + data.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x00;
  packet[1] = command;
  view.setUint16(2, data.length, true);
  view.setUint32(4, checksum, true);
  packet.set(data, 8);
  return slipEncode(packet);
}

export interface EspResponse {
  command: number;
  value: number;
  /** the data before the status bytes */
  data: Uint8Array;
  status: number;
  error: number;
}

/** A device that answered with a failure status (as opposed to not answering). */
export class EspStatusError extends TinyforgeError {
  constructor(
    message: string,
    readonly error: number,
  ) {
    super(message);
    this.name = 'EspStatusError';
  }
}

/** Little-endian u32 words as bytes. */
export function words(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v >>> 0, true));
  return out;
}

export interface CommandOptions {
  timeoutMs: number;
  /** tries in all */
  tries: number;
  /** for data-carrying commands */
  checksum?: number;
  /** error codes that mean the request arrived damaged: sent again like a request met by silence */
  retryOnErrors?: ReadonlySet<number>;
  onRetry?: (why: string) => void;
}

type Waiter = (event: { kind: 'response'; response: EspResponse } | { kind: 'corrupt' } | { kind: 'closed'; reason: string }) => void;

export class EspRomClient {
  private readonly decoder = new SlipDecoder();
  private waiter: Waiter | null = null;
  private closedReason: string | null = null;

  /** `statusBytes`: 4 for the ESP32-family ROMs (2 for esptool's stub and the ESP8266) */
  constructor(
    readonly transport: Transport,
    private readonly statusBytes = 4,
  ) {
    transport.onData((bytes) => {
      for (const event of this.decoder.push(bytes)) {
        if (event.kind === 'bad-escape') {
          this.waiter?.({ kind: 'corrupt' });
          continue;
        }
        const response = this.parse(event.packet);
        if (response) this.waiter?.({ kind: 'response', response });
      }
    });
    transport.onClose((reason) => {
      this.closedReason = reason;
      this.waiter?.({ kind: 'closed', reason });
    });
  }

  private parse(packet: Uint8Array): EspResponse | undefined {
    if (packet.length < 8 || packet[0] !== 0x01) return undefined; // not a response: boot text, noise
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const size = view.getUint16(2, true);
    if (packet.length !== 8 + size || size < 2) return undefined;
    const body = packet.subarray(8);
    const statusAt = size >= this.statusBytes ? size - this.statusBytes : size - 2;
    return { command: packet[1]!, value: view.getUint32(4, true), data: body.subarray(0, statusAt), status: body[statusAt]!, error: body[statusAt + 1]! };
  }

  /**
   * Sends a request and waits for the answer to that command. Resolves with the response, or with
   * `undefined` when none came in time or it arrived corrupt (the caller decides whether to retry);
   * a closed port is an error at once.
   */
  async exchange(command: number, data: Uint8Array, timeoutMs: number, checksum = 0): Promise<EspResponse | { problem: string }> {
    const answer = this.answerTo(command, timeoutMs);
    try {
      await this.transport.write(encodeRequest(command, data, checksum));
    } catch (e) {
      this.waiter = null;
      throw new TinyforgeError(`${this.transport.name}: cannot write to the port: ${(e as Error).message}`);
    }
    return answer;
  }

  /**
   * Waits for an answer to `command` without sending anything: the late answer to a request that
   * met silence (a slow line: the request was still arriving when its time ran out).
   */
  awaitAnswer(command: number, timeoutMs: number): Promise<EspResponse | { problem: string }> {
    return this.answerTo(command, timeoutMs);
  }

  private answerTo(command: number, timeoutMs: number): Promise<EspResponse | { problem: string }> {
    if (this.closedReason !== null) throw new TinyforgeError(`${this.transport.name}: ${this.closedReason}`);
    return new Promise<EspResponse | { problem: string }>((resolve, reject) => {
      const timer = setTimeout(() => finish({ problem: `no answer within ${timeoutMs} ms` }), timeoutMs);
      const finish = (value: EspResponse | { problem: string } | Error) => {
        clearTimeout(timer);
        this.waiter = null;
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      this.waiter = (event) => {
        if (event.kind === 'closed') finish(new TinyforgeError(`${this.transport.name}: ${event.reason}`));
        else if (event.kind === 'corrupt') finish({ problem: 'the answer was a corrupt SLIP frame' });
        else if (event.response.command === command) finish(event.response);
        // an answer to another command (a repeated SYNC answer): keep waiting
      };
    });
  }

  /**
   * A request retried on silence or a corrupt answer, and on the failure statuses named in
   * `retryOnErrors` (any other failure is the device's considered answer): `tries` in all. The step
   * names the request in errors.
   */
  async command(step: string, command: number, data: Uint8Array, options: CommandOptions): Promise<EspResponse> {
    let problem = '';
    for (let attempt = 1; attempt <= options.tries; attempt++) {
      if (attempt > 1) options.onRetry?.(problem);
      const result = await this.exchange(command, data, options.timeoutMs, options.checksum ?? 0);
      if ('problem' in result) {
        problem = result.problem;
        continue;
      }
      if (result.status !== 0) {
        const why = `the ROM loader answered: ${ESP_ROM_ERRORS[result.error] ?? `error 0x${result.error.toString(16)}`}`;
        if (options.retryOnErrors?.has(result.error)) {
          problem = why;
          continue;
        }
        throw new EspStatusError(`${this.transport.name}: ${step}: ${why}`, result.error);
      }
      return result;
    }
    throw new TinyforgeError(`${this.transport.name}: ${step}: ${problem} after ${options.tries} tries`);
  }
}
