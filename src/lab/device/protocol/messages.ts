// SPDX-License-Identifier: Apache-2.0
/**
 * Requests and responses of the device protocol, version 1 (docs/protocol.md has the byte tables).
 * Every multi-byte field is little-endian. A response's command is the request's with bit 7 set;
 * its payload starts with a status byte. The device answers a frame whose CRC failed with NACK.
 */
import { TinyforgeError } from '../../../core/errors.ts';
import { MAX_PAYLOAD } from './frame.ts';

export const PROTOCOL_VERSION = 1;

export const Command = {
  HELLO: 0x01,
  WRITE_INPUT: 0x02,
  INVOKE: 0x03,
  READ_OUTPUT: 0x04,
  READ_LAYERS: 0x05,
  READ_MEMORY: 0x06,
  RESET_STATE: 0x07,
  READ_TENSOR: 0x08,
  END: 0x09,
  INVOKE_STEP: 0x0a,
} as const;
export type CommandName = keyof typeof Command;
export const RESPONSE_BIT = 0x80;
export const NACK = 0xff;

export const Status = {
  OK: 0,
  BAD_CRC: 1,
  BAD_VERSION: 2,
  UNKNOWN_COMMAND: 3,
  BAD_LENGTH: 4,
  OUT_OF_RANGE: 5,
  NOT_SUPPORTED: 6,
  MODEL_FAILED: 7,
} as const;

const STATUS_TEXT: Record<number, string> = {
  [Status.BAD_CRC]: 'CRC error',
  [Status.BAD_VERSION]: 'protocol version not supported',
  [Status.UNKNOWN_COMMAND]: 'unknown command',
  [Status.BAD_LENGTH]: 'bad payload length',
  [Status.OUT_OF_RANGE]: 'offset or count out of range',
  [Status.NOT_SUPPORTED]: 'not supported by this firmware build',
  [Status.MODEL_FAILED]: 'the model returned an error',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? `status ${status}`;
}

export function commandName(command: number): string {
  return (Object.keys(Command) as CommandName[]).find((k) => Command[k] === (command & ~RESPONSE_BIT)) ?? `0x${command.toString(16)}`;
}

/** INVOKE's stop-after value meaning "run every layer". */
export const NO_STOP = 0xffff;
/** WRITE_INPUT data per frame: the payload less its offset field. */
export const WRITE_CHUNK = MAX_PAYLOAD - 4;
/** READ_OUTPUT / READ_TENSOR data per frame: the payload less the status byte. */
export const READ_CHUNK = MAX_PAYLOAD - 1;
const LAYER_HEADER_BYTES = 22;
/** READ_LAYERS counters per frame. */
export const LAYERS_PER_READ = Math.floor((MAX_PAYLOAD - LAYER_HEADER_BYTES) / 8);

class Writer {
  private bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  raw(b: Uint8Array): this {
    this.bytes.push(...b);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Reads a response payload; running past its end is a protocol error naming the command. */
export class Reader {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw new ProtocolError(this.what, `response too short (${this.bytes.length} bytes)`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  /** u64 as a JS number; counters stay far below 2^53 */
  u64(): number {
    const low = this.u32();
    return low + this.u32() * 2 ** 32;
  }
  u64Hex(): string {
    const low = this.u32();
    const high = this.u32();
    return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
  }
  string(): string {
    const n = this.u8();
    this.need(n);
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return text;
  }
  /** bytes not read yet */
  get remaining(): number {
    return this.bytes.length - this.at;
  }
  rest(): Uint8Array {
    const out = this.bytes.slice(this.at);
    this.at = this.bytes.length;
    return out;
  }
}

/**
 * A malformed or unexpected answer (as opposed to no answer at all): a frame whose CRC holds but
 * whose fields do not, i.e. firmware that is not (or no longer) the harness the host speaks to, such
 * as a damaged image. One line, like every error the user sees (fuzz:links found it as an internal
 * error after a UF2 copy damaged a HELLO string's length byte).
 */
export class ProtocolError extends TinyforgeError {
  constructor(
    where: string,
    /** what does not hold in the answer ("response too short (34 bytes)") */
    readonly detail: string,
  ) {
    super(`${where}: ${detail}: the board runs other or damaged firmware`);
  }
}

// ---- requests ----

export const requests = {
  hello: () => new Uint8Array(0),
  writeInput: (offset: number, data: Uint8Array) => new Writer().u32(offset).raw(data).done(),
  invoke: (count: number, stopAfter = NO_STOP) => new Writer().u16(count).u16(stopAfter).done(),
  invokeStep: (pauseAfter: number) => new Writer().u16(pauseAfter).done(),
  readRange: (offset: number, length: number) => new Writer().u32(offset).u16(length).done(),
  readLayers: (first: number, count: number) => new Writer().u16(first).u8(count).done(),
  empty: () => new Uint8Array(0),
};

// ---- responses (the status byte already taken off) ----

export interface Hello {
  protocolVersion: number;
  /** built with -DTF_PROFILE: per-layer counters and INVOKE's stop-after-layer */
  profile: boolean;
  /** the harness knows where the arena is: "arena used" and READ_TENSOR work */
  arenaKnown: boolean;
  maxPayload: number;
  coreClockHz: number;
  buildId: string;
  arenaBytes: number;
  numInputs: number;
  numOutputs: number;
  numLayers: number;
  inputBytes: number;
  outputBytes: number;
  target: string;
  board: string;
  model: string;
  /** the counter the device picked, e.g. "systick" or "dwt" */
  counter: string;
  /**
   * The firmware's own image in flash and its CRC-32/MPEG-2, computed on the device (firmware that
   * knows its image: the RP2040's); what `flash` checks after a UF2 copy, which has no read-back.
   */
  image?: { crc: number; start: number; bytes: number };
}

export function parseHello(r: Reader): Hello {
  const protocolVersion = r.u8();
  const flags = r.u8();
  r.u8();
  const hello: Hello = {
    protocolVersion,
    profile: (flags & 1) !== 0,
    arenaKnown: (flags & 2) !== 0,
    maxPayload: r.u16(),
    coreClockHz: r.u32(),
    buildId: r.u64Hex(),
    arenaBytes: r.u32(),
    numInputs: r.u8(),
    numOutputs: r.u8(),
    numLayers: r.u16(),
    inputBytes: r.u32(),
    outputBytes: r.u32(),
    target: r.string(),
    board: r.string(),
    model: r.string(),
    counter: r.string(),
  };
  if (r.remaining >= 12) hello.image = { crc: r.u32(), start: r.u32(), bytes: r.u32() };
  return hello;
}

export interface InvokeResult {
  runs: number;
  /** ticks summed over all runs */
  totalTicks: number;
  firstTicks: number;
  minTicks: number;
  maxTicks: number;
}

export function parseInvoke(r: Reader): InvokeResult {
  return { runs: r.u16(), totalTicks: r.u64(), firstTicks: r.u64(), minTicks: r.u64(), maxTicks: r.u64() };
}

export interface LayersChunk {
  numLayers: number;
  /** INVOKE's run count the counters are summed over */
  runs: number;
  first: number;
  calibration: { pairs: number; pairTicks: number; emptyTicks: number; insideTicks: number };
  ticks: number[];
}

export function parseLayers(r: Reader): LayersChunk {
  const numLayers = r.u16();
  const runs = r.u16();
  const first = r.u16();
  const count = r.u8();
  const calibration = { pairs: r.u16(), pairTicks: r.u32(), emptyTicks: r.u32(), insideTicks: r.u32() };
  const ticks = Array.from({ length: count }, () => r.u64());
  return { numLayers, runs, first, calibration, ticks };
}

export interface DeviceMemory {
  /** TF_MODEL_ARENA_BYTES */
  arenaPlanned: number;
  /** highest arena byte written + 1, found by painting; null when the harness does not know the arena */
  arenaUsed: number | null;
  /** deepest stack use since reset, by painting */
  stackHighWater: number;
  /** deepest stack use of any INVOKE, below the harness's frame */
  stackInvoke: number;
  stackCapacity: number;
}

export function parseMemory(r: Reader): DeviceMemory {
  const arenaPlanned = r.u32();
  const used = r.u32();
  return { arenaPlanned, arenaUsed: used === 0xffffffff ? null : used, stackHighWater: r.u32(), stackInvoke: r.u32(), stackCapacity: r.u32() };
}
