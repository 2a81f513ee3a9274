// SPDX-License-Identifier: Apache-2.0
/**
 * SLIP framing as Espressif's ROM loader uses it: every packet starts and ends with 0xC0, and inside
 * it 0xC0 is sent as 0xDB 0xDC and 0xDB 0xDD stands for 0xDB.
 */
export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

export function slipEncode(packet: Uint8Array): Uint8Array {
  const out: number[] = [SLIP_END];
  for (const b of packet) {
    if (b === SLIP_END) out.push(SLIP_ESC, SLIP_ESC_END);
    else if (b === SLIP_ESC) out.push(SLIP_ESC, SLIP_ESC_ESC);
    else out.push(b);
  }
  out.push(SLIP_END);
  return Uint8Array.from(out);
}

export type SlipEvent = { kind: 'packet'; packet: Uint8Array } | { kind: 'bad-escape' };

/**
 * Streaming decoder: feed bytes in any split. A packet with an escape byte followed by anything but
 * 0xDC/0xDD is corrupt and reported as `bad-escape` (the rest of it is dropped); bytes between
 * packets (a booting chip's text) are ignored.
 */
export class SlipDecoder {
  private packet: number[] = [];
  private inPacket = false;
  private escaped = false;
  private corrupt = false;

  push(chunk: Uint8Array): SlipEvent[] {
    const events: SlipEvent[] = [];
    for (const b of chunk) {
      if (b === SLIP_END) {
        if (this.inPacket && this.corrupt) events.push({ kind: 'bad-escape' });
        else if (this.inPacket && this.packet.length > 0) events.push({ kind: 'packet', packet: Uint8Array.from(this.packet) });
        // an END right after an END is the start of the next packet (or an empty one: ignored)
        this.inPacket = true;
        this.packet = [];
        this.escaped = false;
        this.corrupt = false;
        continue;
      }
      if (!this.inPacket || this.corrupt) continue;
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) this.packet.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.packet.push(SLIP_ESC);
        else this.corrupt = true;
      } else if (b === SLIP_ESC) {
        this.escaped = true;
      } else {
        this.packet.push(b);
      }
    }
    return events;
  }
}
