// SPDX-License-Identifier: Apache-2.0
/**
 * Frames of the device protocol (docs/protocol.md): SOF 0x7E, then the escaped content
 *   version u8 | command u8 | sequence u8 | length u16 LE | payload | crc16 u16 LE
 * with 0x7E and 0x7D inside the content sent as 0x7D, byte ^ 0x20. A raw 0x7E always starts a
 * frame, so a decoder that meets garbage or a cut frame picks up again at the next one.
 */
import { crc16Ccitt } from './crc.ts';

export const SOF = 0x7e;
export const ESCAPE = 0x7d;
export const ESCAPE_XOR = 0x20;
export const HEADER_BYTES = 5;
/** the largest payload either side sends or accepts */
export const MAX_PAYLOAD = 256;

export interface Frame {
  version: number;
  command: number;
  sequence: number;
  payload: Uint8Array;
}

function header(frame: Frame): Uint8Array {
  const length = frame.payload.length;
  return Uint8Array.of(frame.version, frame.command, frame.sequence, length & 0xff, length >> 8);
}

export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.payload.length > MAX_PAYLOAD) throw new Error(`internal: payload of ${frame.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const head = header(frame);
  const crc = crc16Ccitt(frame.payload, crc16Ccitt(head));
  const content = [...head, ...frame.payload, crc & 0xff, crc >> 8];
  const out: number[] = [SOF];
  for (const b of content) {
    if (b === SOF || b === ESCAPE) out.push(ESCAPE, b ^ ESCAPE_XOR);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/** What the decoder hands on: a good frame, a frame whose CRC failed, or bytes outside any frame. */
export type DecodedEvent =
  | { kind: 'frame'; frame: Frame }
  | { kind: 'bad-crc'; sequence: number; command: number }
  | { kind: 'too-long'; length: number }
  | { kind: 'noise'; bytes: Uint8Array };

/**
 * A streaming decoder: feed it bytes as they come, in any split, and it reports whole frames.
 * Bytes outside frames (a board's text, line noise) are reported as `noise` so they can be shown.
 */
export class FrameDecoder {
  private content: number[] = [];
  private inFrame = false;
  private escaped = false;
  private noise: number[] = [];

  push(chunk: Uint8Array): DecodedEvent[] {
    const events: DecodedEvent[] = [];
    for (const byte of chunk) {
      if (byte === SOF) {
        this.flushNoise(events);
        if (this.inFrame && this.content.length > 0) this.noise.push(...this.partialAsNoise());
        this.flushNoise(events);
        this.inFrame = true;
        this.content = [];
        this.escaped = false;
        continue;
      }
      if (!this.inFrame) {
        this.noise.push(byte);
        continue;
      }
      if (this.escaped) {
        this.content.push(byte ^ ESCAPE_XOR);
        this.escaped = false;
      } else if (byte === ESCAPE) {
        this.escaped = true;
        continue;
      } else {
        this.content.push(byte);
      }
      this.check(events);
    }
    this.flushNoise(events);
    return events;
  }

  /** A cut-off frame's content, reported as noise (it is not trustworthy as a frame). */
  private partialAsNoise(): number[] {
    return [SOF, ...this.content];
  }

  private check(events: DecodedEvent[]): void {
    const c = this.content;
    if (c.length < HEADER_BYTES) return;
    const length = c[3]! | (c[4]! << 8);
    if (length > MAX_PAYLOAD) {
      events.push({ kind: 'too-long', length });
      this.inFrame = false;
      this.content = [];
      return;
    }
    if (c.length < HEADER_BYTES + length + 2) return;
    const body = Uint8Array.from(c.slice(0, HEADER_BYTES + length));
    const crc = c[HEADER_BYTES + length]! | (c[HEADER_BYTES + length + 1]! << 8);
    if (crc16Ccitt(body) === crc) {
      events.push({ kind: 'frame', frame: { version: c[0]!, command: c[1]!, sequence: c[2]!, payload: body.slice(HEADER_BYTES) } });
    } else {
      events.push({ kind: 'bad-crc', sequence: c[2]!, command: c[1]! });
    }
    this.inFrame = false;
    this.content = [];
  }

  private flushNoise(events: DecodedEvent[]): void {
    if (this.noise.length > 0) {
      events.push({ kind: 'noise', bytes: Uint8Array.from(this.noise) });
      this.noise = [];
    }
  }
}
