// SPDX-License-Identifier: Apache-2.0
/**
 * A serial link that lies: a relay between the host side (one end of a socat pty pair at stable
 * paths, the other end of which the host under test opens as its --port) and a device (an emulated
 * board in this process, or a fake boot loader on a second pty pair), in both directions, with a
 * seeded fault plan. It flips bits, drops and duplicates bytes, holds chunks back (sometimes past
 * the protocols' timeouts), cuts chunks short, and unplugs the host's port mid-transfer (socat
 * killed and its links removed, as a USB-serial adapter vanishes), bringing it back at the same path
 * after a while in some plans. Every fault is logged so that an outcome can be put down to it.
 */
import { rmSync } from 'node:fs';
import { type PtyPair, ptyPair } from '../device/protocol-fakes.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { seededRandom } from '../../src/lab/data/dataset.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

/** The project's seeded mulberry32, drawing fault plans and positions reproducibly. */
export class Prng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed >>> 0 || 0x9e3779b9);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

export const FAULT_KINDS = ['corrupt', 'drop', 'duplicate', 'delay', 'long-delay', 'truncate', 'unplug', 'replug'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultPlan {
  /** per byte: one bit flipped */
  corrupt: number;
  /** per byte: the byte lost */
  drop: number;
  /** per byte: the byte sent twice */
  duplicate: number;
  /** per chunk: held back 20..400 ms (order is kept: the chunks behind it wait too) */
  delay: number;
  /** per chunk: held back past the protocols' answer timeouts (1.2..2.6 s) */
  longDelay: number;
  /** per chunk: only a prefix of it goes through (a frame cut short) */
  truncate: number;
  /** after this many bytes relayed (both directions), the host's port vanishes */
  unplugAfterBytes: number | null;
  /** and comes back at the same path this long after (null: never) */
  replugAfterMs: number | null;
  /**
   * Scheduled faults, beside the rates: each kind named once, on the first byte (for `truncate`,
   * `delay`, `longDelay`: the first chunk) at or past this many bytes relayed (both directions).
   * The CI slice puts every kind in a session this way, at known points and at a known cost.
   */
  at?: Partial<Record<ScheduledKind, number>>;
  /** UF2: the console's scheduled faults (the drive's copy takes `at`) */
  consoleAt?: Partial<Record<ScheduledKind, number>>;
}

/** the kinds a plan can schedule at a byte position (an unplug has its own) */
export type ScheduledKind = 'corrupt' | 'drop' | 'duplicate' | 'truncate' | 'delay' | 'longDelay';

/** One scheduled fault of `kind` is due at [from, from + length): it fires once. */
export class Schedule {
  private readonly fired = new Set<ScheduledKind>();
  constructor(private readonly at: Partial<Record<ScheduledKind, number>> | undefined) {}
  due(kind: ScheduledKind, from: number, length = 1): boolean {
    const at = this.at?.[kind];
    if (at === undefined || this.fired.has(kind) || from + length <= at) return false;
    this.fired.add(kind);
    return true;
  }
}

export const NO_FAULTS: FaultPlan = {
  corrupt: 0,
  drop: 0,
  duplicate: 0,
  delay: 0,
  longDelay: 0,
  truncate: 0,
  unplugAfterBytes: null,
  replugAfterMs: null,
};

/**
 * A session's plan: corruption at 1% of bytes in half the sessions (0.1% in a quarter, none in the
 * rest), each other kind on in about half the sessions, an unplug in one session of 12.
 * `scaleBytes` is about how many bytes a clean session moves, so that an unplug falls mid-transfer.
 */
export function drawPlan(rng: Prng, scaleBytes: number): FaultPlan {
  const corruptLevel = rng.next();
  const unplug = rng.chance(1 / 12);
  return {
    corrupt: corruptLevel < 0.5 ? 0.01 : corruptLevel < 0.75 ? 0.001 : 0,
    drop: rng.chance(0.5) ? 0.002 : 0,
    duplicate: rng.chance(0.5) ? 0.002 : 0,
    delay: rng.chance(0.5) ? 0.03 : 0,
    longDelay: rng.chance(0.25) ? 0.01 : 0,
    truncate: rng.chance(0.5) ? 0.01 : 0,
    unplugAfterBytes: unplug ? rng.int(1, Math.max(2, scaleBytes)) : null,
    replugAfterMs: unplug && rng.chance(0.5) ? rng.int(200, 3000) : null,
  };
}

export interface FaultEvent {
  /** ms since the relay started */
  atMs: number;
  direction: 'to-device' | 'to-host' | 'port';
  kind: FaultKind;
  /** what exactly: the byte position and value, the delay, the bytes cut */
  detail: string;
}

/** The device side of the link: bytes to it, bytes from it. */
export interface DeviceEnd {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** socat pairs alive: a campaign ended early (^C, a kill) must not leave them behind */
const livePairs = new Set<PtyPair>();
process.on('exit', () => {
  for (const pair of livePairs) pair.kill();
});

export class FaultRelay {
  /** told about every fault as it is injected (a campaign's --trace) */
  static onFault: ((fault: FaultEvent) => void) | null = null;
  readonly faults: FaultEvent[] = [];
  /** bytes relayed so far, both directions (before faults) */
  bytes = 0;
  private readonly started = Date.now();
  private hostSide: SerialTransport | null = null;
  private pair: PtyPair | null = null;
  private readonly chains: Record<'to-device' | 'to-host', Promise<void>> = { 'to-device': Promise.resolve(), 'to-host': Promise.resolve() };
  private unplugged = false;
  private stopped = false;
  private replugTimer: NodeJS.Timeout | null = null;
  private readonly schedule: Schedule;

  private constructor(
    /** [the path the host under test opens, the relay's own end] */
    readonly links: [string, string],
    private readonly device: DeviceEnd,
    readonly plan: FaultPlan,
    private readonly rng: Prng,
  ) {
    this.schedule = new Schedule(plan.at);
    device.onData((bytes) => this.relay('to-host', bytes));
  }

  /** Starts the host side's pty pair at `links` and relays between it and `device`. */
  static async start(links: [string, string], device: DeviceEnd, plan: FaultPlan, seed: number): Promise<FaultRelay> {
    const relay = new FaultRelay(links, device, plan, new Prng(seed));
    await relay.plug();
    return relay;
  }

  /** the port the host under test opens */
  get hostPort(): string {
    return this.links[0];
  }

  /** faults injected, by kind */
  counts(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const f of this.faults) counts[f.kind]++;
    return counts;
  }

  /** what the log says, one fault a line (for a WRONG outcome's report) */
  describe(limit = 40): string {
    const lines = this.faults.slice(0, limit).map((f) => `  +${f.atMs} ms ${f.direction} ${f.kind}: ${f.detail}`);
    if (this.faults.length > limit) lines.push(`  ... ${this.faults.length - limit} more`);
    return lines.join('\n');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.replugTimer) clearTimeout(this.replugTimer);
    await this.unplugNow(false);
  }

  private log(direction: FaultEvent['direction'], kind: FaultKind, detail: string): void {
    const fault = { atMs: Date.now() - this.started, direction, kind, detail };
    this.faults.push(fault);
    FaultRelay.onFault?.(fault);
  }

  private async plug(): Promise<void> {
    // socat is slow to start on a loaded machine: a campaign of many sessions at once waits longer
    const pair = await ptyPair(this.links, HANG_GUARD_MS);
    if (this.stopped) {
      // a replug that was starting when the relay stopped
      pair.kill();
      for (const link of this.links) rmSync(link, { force: true });
      return;
    }
    this.pair = pair;
    livePairs.add(pair);
    let side: SerialTransport;
    try {
      side = await SerialTransport.open(this.links[1]);
    } catch (e) {
      await this.unplugNow(false);
      throw e;
    }
    side.onData((bytes) => {
      if (side === this.hostSide) this.relay('to-device', bytes);
    });
    this.hostSide = side;
    this.unplugged = false;
  }

  private async unplugNow(log: boolean): Promise<void> {
    if (log) this.log('port', 'unplug', `after ${this.bytes} bytes`);
    this.unplugged = true;
    const side = this.hostSide;
    this.hostSide = null;
    if (this.pair) {
      this.pair.kill();
      livePairs.delete(this.pair);
    }
    this.pair = null;
    // a killed socat leaves its links; a vanished port's device node is gone
    for (const link of this.links) rmSync(link, { force: true });
    await side?.close().catch(() => {});
  }

  private relay(direction: 'to-device' | 'to-host', chunk: Uint8Array): void {
    if (this.stopped || this.unplugged) return;
    const plan = this.plan;
    const before = this.bytes;
    this.bytes += chunk.length;
    if (plan.unplugAfterBytes !== null && before < plan.unplugAfterBytes && this.bytes >= plan.unplugAfterBytes) {
      // the bytes before the unplug point still go through
      const keep = chunk.subarray(0, plan.unplugAfterBytes - before);
      if (keep.length > 0) this.forward(direction, keep, before);
      this.chains[direction] = this.chains[direction].then(() => this.unplugNow(true));
      if (plan.replugAfterMs !== null) {
        const after = plan.replugAfterMs;
        this.replugTimer = setTimeout(() => {
          this.replugTimer = null;
          if (this.stopped) return;
          this.log('port', 'replug', `after ${after} ms`);
          this.plug().catch((e: Error) => this.log('port', 'replug', `failed: ${e.message}`));
        }, after);
      }
      return;
    }
    this.forward(direction, chunk, before);
  }

  /** `from`: how many bytes were relayed before the chunk (where scheduled faults fall) */
  private forward(direction: 'to-device' | 'to-host', chunk: Uint8Array, from: number): void {
    const plan = this.plan;
    const rng = this.rng;
    const due = this.schedule;
    let out: number[] = [];
    for (const [i, byte] of chunk.entries()) {
      if (due.due('drop', from + i) || (plan.drop && rng.chance(plan.drop))) {
        this.log(direction, 'drop', `byte ${i} of ${chunk.length} (0x${hex(byte)})`);
        continue;
      }
      let b = byte;
      if (due.due('corrupt', from + i) || (plan.corrupt && rng.chance(plan.corrupt))) {
        const bit = rng.int(0, 7);
        b ^= 1 << bit;
        this.log(direction, 'corrupt', `byte ${i} of ${chunk.length}: 0x${hex(byte)} -> 0x${hex(b)}`);
      }
      out.push(b);
      if (due.due('duplicate', from + i) || (plan.duplicate && rng.chance(plan.duplicate))) {
        this.log(direction, 'duplicate', `byte ${i} of ${chunk.length} (0x${hex(b)})`);
        out.push(b);
      }
    }
    if (out.length > 1 && (due.due('truncate', from, chunk.length) || (plan.truncate && rng.chance(plan.truncate)))) {
      const keep = rng.int(0, out.length - 1);
      this.log(direction, 'truncate', `chunk of ${out.length} cut to ${keep}`);
      out = out.slice(0, keep);
    }
    let holdMs = 0;
    if (due.due('longDelay', from, chunk.length) || (plan.longDelay && rng.chance(plan.longDelay))) {
      holdMs = rng.int(1200, 2600);
      this.log(direction, 'long-delay', `${holdMs} ms before a chunk of ${out.length}`);
    } else if (due.due('delay', from, chunk.length) || (plan.delay && rng.chance(plan.delay))) {
      holdMs = rng.int(20, 400);
      this.log(direction, 'delay', `${holdMs} ms before a chunk of ${out.length}`);
    }
    const bytes = Uint8Array.from(out);
    this.chains[direction] = this.chains[direction].then(async () => {
      if (holdMs) await sleep(holdMs);
      if (this.stopped || this.unplugged || bytes.length === 0) return;
      if (direction === 'to-device') this.device.write(bytes);
      else await this.hostSide?.write(bytes).catch(() => {});
    });
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
